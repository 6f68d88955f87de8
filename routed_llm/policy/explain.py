"""Render a Route's explanation (a JSON-friendly mapping) as text for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _fmt_cost(value: Any) -> str:
    try:
        return f"{float(value):.6f}"
    except (TypeError, ValueError):
        return "?"


def format_explanation(expl: Mapping[str, Any]) -> str:
    lines: list[str] = []
    w = expl.get("weights") or {}
    head = f"label: {expl.get('label')}   mode: {expl.get('mode')}   dial: {float(expl.get('dial', 0)):.2f}"
    if w:
        head += "   weights: " + " ".join(f"{k}={v:g}" for k, v in w.items())
    lines.append(head)
    pin = expl.get("pinned_provider")
    lines.append(
        f"tokens: input {expl.get('input_tokens')}, output {expl.get('output_tokens', '-')}, "
        f"context needed {expl.get('needed_context')}; required: {', '.join(expl.get('required') or []) or 'none'}; "
        f"pinned provider: {pin or 'none'}" + (f" ({expl.get('pin_mode')})" if pin and expl.get("pin_mode") else "")
    )
    cx = expl.get("complexity")
    if cx:
        sig = "; ".join(cx.get("signals") or []) or "no signals"
        lines.append(f"complexity: {sig} -> lift {cx.get('lift', 0)} "
                     f"(floor {cx.get('floor')} -> {cx.get('effective_floor')})")
    candidates = expl.get("candidates") or []
    if candidates:
        chain0 = (expl.get("chain") or [{}])[0].get("model")
        lines.append("")
        lines.append("candidates (best first; terms are 0..1, 1 = best; score = weighted terms):")
        lines.append(f"  {'model':<34}{'quality':>8}{'cost $':>12}{'lat ms':>9}   "
                     f"{'q':>6}{'cost':>6}{'lat':>6}{'co2':>6}{'total':>8}  notes")
        for c in candidates:
            s = c.get("score", {})
            notes = []
            if not c.get("meets_floor", True):
                notes.append("below floor")
            if c.get("fallback_only"):
                notes.append("other provider")
            mark = "*" if c.get("model") == chain0 else " "
            lines.append(
                f"{mark} {c.get('model', ''):<34}{c.get('quality', 0):>8.3f}{_fmt_cost(c.get('cost_usd')):>12}"
                f"{c.get('latency_ms', 0):>9.0f}   {s.get('quality', 0):>6.3f}{s.get('cost', 0):>6.3f}"
                f"{s.get('latency', 0):>6.3f}{s.get('carbon', 0):>6.3f}{s.get('total', 0):>8.4f}  {', '.join(notes)}"
            )
    filtered = expl.get("filtered") or []
    if filtered:
        lines.append("")
        lines.append("filtered:")
        for f in filtered:
            lines.append(f"  {f.get('model', ''):<34}{f.get('reason', '')}")
    lines.append("")
    lines.append("chain:")
    for i, entry in enumerate(expl.get("chain") or [], 1):
        lines.append(f"  {i}. {entry.get('model')} ({entry.get('role')})")
    cascade = expl.get("cascade")
    if cascade:
        tiers = " -> ".join(f"{t['model']} (~${_fmt_cost(t.get('estimated_cost_usd'))})" for t in cascade["tiers"])
        judge = f", judge {cascade['judge_model']}" if cascade.get("judge_model") else ""
        lines.append(f"cascade: {tiers}; verifier {cascade.get('verifier')}{judge}")
    if expl.get("shadow"):
        lines.append(f"shadow: also sent to {expl['shadow']} for comparison (never changes the answer)")
    for note in expl.get("notes") or []:
        lines.append(f"note: {note}")
    return "\n".join(lines)
