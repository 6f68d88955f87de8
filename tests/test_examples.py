"""Every example and the demo, end to end against the emulator (no keys in the environment):
the printed totals equal the sum of the steps and of the trace records."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from routed_llm.catalog import load_catalog
from routed_llm.demo.report import summarize
from routed_llm.trace import read_trace

ROOT = Path(__file__).resolve().parents[1]
TOTALS = re.compile(r"(\d+) steps: routed \$([0-9.]+) vs \$([0-9.]+) on (\S+)")
ROW = re.compile(r"^\d+\s+\w+\s+[0-9.]+\s+\w+\s+\w+\s+\S+\s+\d+/\d+\s+\$([0-9.]+)\s+\$([0-9.]+)\s*$", re.M)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {p.api_key_env for p in load_catalog().providers.values()}}
    env["HF_HUB_OFFLINE"] = "1"
    return env


def _check(out: str, trace: Path, banner: str) -> None:
    assert out.splitlines()[0].startswith(banner), out[:300]
    m = TOTALS.search(out)
    assert m, out[-800:]
    steps, routed, flagship = int(m.group(1)), Decimal(m.group(2)), Decimal(m.group(3))
    rows = ROW.findall(out)
    assert len(rows) == steps
    assert sum(Decimal(r[0]) for r in rows) == routed
    assert sum(Decimal(r[1]) for r in rows) == flagship
    summary = summarize(read_trace(trace))
    assert len(summary.steps) == steps
    assert summary.total.cost == routed
    # the research loop is at least 5x cheaper routed than on the flagship (issue 8)
    assert flagship >= 5 * routed


@pytest.mark.parametrize("script", ["research_agent_langchain.py", "research_agent_llamaindex.py"])
def test_example_runs_offline(script: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), "--out", str(tmp_path)],
                          capture_output=True, text=True, env=_env(), timeout=300, cwd=ROOT / "examples")
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check(proc.stdout, tmp_path / "trace.jsonl", "No API keys set")


def test_demo_runs_offline_and_writes_trace_and_chart(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "routed_llm.cli", "demo", "--out", str(tmp_path),
                           "--time-scale", "0"], capture_output=True, text=True, env=_env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    _check(proc.stdout, tmp_path / "trace.jsonl", "No API keys set")
    assert (tmp_path / "cost.png").stat().st_size > 10_000
    report = subprocess.run([sys.executable, "-m", "routed_llm.cli", "report", str(tmp_path / "trace.jsonl"),
                             "--chart", str(tmp_path / "r.png")], capture_output=True, text=True,
                            env=_env(), timeout=120)
    assert report.returncode == 0, report.stderr[-2000:]
    assert "label mix" in report.stdout and "per model" in report.stdout and (tmp_path / "r.png").exists()
