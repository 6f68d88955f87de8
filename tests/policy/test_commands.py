"""Rules 7 and 8: `routed-llm calibrate` and `routed-llm route --explain`; the cost benchmark."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from routed_llm.catalog import Catalog
from routed_llm.errors import ClassifierUnavailableError, ConfigError
from routed_llm.messages import Message, Request
from routed_llm.policy import Policy, commands, load_policy
from routed_llm.policy.calibrate import Row, calibrate, read_results, render_quality_file
from routed_llm.policy.explain import format_explanation

REPO = Path(__file__).resolve().parents[2]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_route_explain_prints_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["route", "Fix this function", "--label", "code", "--explain", "--provider", "openai",
                 "--require", "vision", "--keys", "all"]) == 0
    out = capsys.readouterr().out
    assert "label: code" in out and "candidates" in out and "chain:" in out
    assert "openai/gpt-5-mini (choice)" in out
    assert "missing capability vision" in out
    assert "provider anthropic not pinned (session pinned to openai)" in out


def test_route_json_and_dial(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["route", "hi", "--label", "chat", "--json", "--dial", "0", "--keys", "all",
                 "--provider", "openai"]) == 0
    expl = json.loads(capsys.readouterr().out)
    assert expl["dial"] == 0.0 and expl["chain"][0]["model"] == "openai/gpt-5"
    for c in expl["candidates"]:
        assert set(c["score"]) == {"quality", "cost", "latency", "carbon", "total"}


def test_route_preference_and_pin(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["route", "hi", "--label", "chat", "--preference", "cost", "--keys", "all"]) == 0
    assert "chain:" in capsys.readouterr().out
    assert _run(["route", "hi", "--model", "claude-haiku-4-5", "--keys", "all"]) == 0
    assert "path pinned" in capsys.readouterr().out


def test_route_bad_dial() -> None:
    with pytest.raises(ConfigError) as info:
        _run(["route", "hi", "--label", "chat", "--dial", "3"])
    assert info.value.key == "--dial"


def test_route_without_classifier_asks_for_label(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "routed_llm.classify", types.ModuleType("routed_llm.classify"))
    with pytest.raises(ClassifierUnavailableError, match="--label"):
        _run(["route", "hi", "--keys", "all"])


def test_route_uses_env_keys(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for env in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "MISTRAL_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "x")
    assert _run(["route", "hi", "--label", "chat", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "no API key: set OPENAI_API_KEY" in out
    assert "anthropic/claude-haiku-4-5 (choice)" in out


def test_explanation_on_every_route(catalog: Catalog) -> None:
    route = Policy(catalog, None).route("summarize", Request((Message.user("tl;dr"),)))
    expl = route.explanation
    for key in ("label", "dial", "weights", "candidates", "filtered", "complexity", "chain"):
        assert key in expl
    json.dumps(dict(expl))  # a lazy Mapping: dict() builds it
    assert "chain:" in format_explanation(expl)


def test_calibrate_shrinks_toward_catalog(catalog: Catalog) -> None:
    prior = catalog.model("gpt-5-nano").quality_for("code")
    few = calibrate([Row("code", "gpt-5-nano", 1.0)] * 2, catalog)
    assert prior < few[0].quality < prior + 0.05
    many = calibrate([Row("code", "gpt-5-nano", 1.0)] * 2000, catalog)
    assert many[0].quality > 0.99
    none = calibrate([Row("code", "gpt-5-nano", 0.0)] * 20, catalog, strength=20)
    assert none[0].quality == pytest.approx(prior / 2, abs=1e-4)


def test_calibrate_command_writes_usable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "results.jsonl"
    lines = [json.dumps({"label": "code", "model": "gpt-5-nano", "score": 1.0}) for _ in range(200)]
    lines += ["", "# comment", json.dumps({"label": "chat", "model": "openai/gpt-5", "pass": False})]
    results.write_text("\n".join(lines))
    out = tmp_path / "q.toml"
    assert _run(["calibrate", str(results), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "before" in printed and "after" in printed and "gpt-5-nano" in printed
    policy_file = tmp_path / "p.toml"
    policy_file.write_text(f'quality_file = "{out.name}"\n[labels.code]\nfloor = 0.92\n')
    cfg = load_policy(policy_file)
    assert cfg.quality["gpt-5-nano"]["code"] > 0.95
    route = Policy(Catalog.load_default(), cfg).route("code", Request((Message.user("x"),)), pinned_provider="openai")
    assert route.choice.name == "gpt-5-nano"


def test_calibrate_bad_rows_name_the_line(tmp_path: Path, catalog: Catalog) -> None:
    bad = tmp_path / "r.jsonl"
    bad.write_text('{"label": "code", "model": "gpt-5", "score": 0.5}\n{"label": "code", "model": "gpt-9", "score": 1}\n')
    with pytest.raises(ConfigError) as info:
        read_results([bad], catalog)
    assert info.value.key == "r.jsonl:2.model" and "gpt-5-mini" in str(info.value)
    bad.write_text('{"label": "code", "model": "gpt-5", "score": 7}\n')
    with pytest.raises(ConfigError) as info:
        read_results([bad], catalog)
    assert info.value.key == "r.jsonl:1.score"
    bad.write_text('{"label": "poem", "model": "gpt-5", "score": 1}\n')
    with pytest.raises(ConfigError, match=r"r\.jsonl:1\.label"):
        read_results([bad], catalog)


def test_render_quality_file_is_toml(catalog: Catalog) -> None:
    import tomllib

    text = render_quality_file(calibrate([Row("chat", "gpt-5", 0.5)], catalog), strength=20, sources=["r.jsonl"])
    assert "chat" in tomllib.loads(text)["quality"]["gpt-5"]


def test_cost_mix_benchmark(tmp_path: Path) -> None:
    data = tmp_path / "v.jsonl"
    rows = [{"text": "Summarize: " + "words " * 200, "label": "summarize"},
            {"text": "Prove that sqrt(2) is irrational.", "label": "reasoning"},
            {"text": "hi!", "label": "chat"}]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "cost_mix.py"), "--data", str(data),
                           "--true-labels", "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(proc.stdout)
    assert set(summary["labels"]) == {"summarize", "reasoning", "chat"}
    assert summary["labels"]["summarize"]["ratio"] > 5
    assert summary["ratio"] > 1
