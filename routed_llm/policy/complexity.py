"""Complexity signals of a step, and how many tiers they lift the quality floor.

Signals are cheap text checks on the newest user message (plus tool results after it): a long
context, many questions, multi-step wording, numbered steps, and code in a step not labelled code.
Each ``signals_per_tier`` signals lift the label's floor by ``floor_step`` (up to ``max_lift``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from routed_llm.labels import Label
from routed_llm.messages import Request
from routed_llm.policy.config import ComplexityConfig

_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*•]\s+step)\s+", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Complexity:
    signals: tuple[str, ...] = ()
    lift: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"signals": list(self.signals), "lift": self.lift}


def step_text(request: Request) -> str:
    """The newest user message and whatever tool results follow it."""
    parts: list[str] = []
    for message in reversed(request.messages):
        if message.role == "tool":
            parts.append(message.text)
            continue
        if message.role == "user":
            parts.append(message.text)
        break
    return "\n".join(reversed(parts))


def _user_text(request: Request) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.text
    return ""


def signals(request: Request, label: Label, input_tokens: int, config: ComplexityConfig) -> tuple[str, ...]:
    if not config.enabled:
        return ()
    found: list[str] = []
    ask = _user_text(request)
    low = ask.lower()
    if input_tokens >= config.long_context_tokens:
        found.append(f"long context ({input_tokens} >= {config.long_context_tokens} tokens)")
    questions = ask.count("?")
    if questions >= config.many_questions:
        found.append(f"many questions ({questions})")
    phrases = [p for p in config.multi_step_phrases if p.lower() in low]
    numbered = len(_NUMBERED.findall(ask))
    if phrases or numbered >= config.numbered_steps:
        what = ", ".join(repr(p) for p in phrases[:3]) if phrases else f"{numbered} numbered steps"
        found.append(f"multi-step wording ({what})")
    if label in config.code_labels:
        text = step_text(request).lower()
        markers = [m for m in config.code_markers if m.lower() in text]
        if markers:
            found.append(f"code context ({markers[0].strip()!r})")
    return tuple(found)


def assess(
    request: Request, label: Label, input_tokens: int, config: ComplexityConfig, *, enabled: bool = True
) -> Complexity:
    found = signals(request, label, input_tokens, config)
    lift = min(config.max_lift, len(found) // config.signals_per_tier) if enabled else 0
    return Complexity(found, lift)
