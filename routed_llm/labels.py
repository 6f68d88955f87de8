"""The eight task labels a step is classified into, and what each means."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from routed_llm.errors import ConfigError

Label = Literal[
    "reasoning", "code", "creative", "rewrite", "chat", "extraction", "summarize", "translation"
]

LABELS: tuple[Label, ...] = (
    "reasoning",
    "code",
    "creative",
    "rewrite",
    "chat",
    "extraction",
    "summarize",
    "translation",
)

DESCRIPTIONS: Mapping[Label, str] = {
    "reasoning": "multi-step reasoning, math, planning, analysis that needs a chain of thought",
    "code": "writing, fixing, explaining or translating program code",
    "creative": "stories, poems, slogans, open-ended creative writing",
    "rewrite": "rephrase, edit, fix grammar, change tone or format of a given text",
    "chat": "small talk, greetings, short conversational turns and simple questions",
    "extraction": "pull fields, entities or answers out of given text into a structure",
    "summarize": "condense given material into a summary, TL;DR, headline or key points",
    "translation": "translate natural-language text from one language to another",
}


def check_label(value: str, *, key: str = "label") -> Label:
    """Return ``value`` as a Label, or raise a ConfigError naming ``key`` and the valid labels."""
    if value not in LABELS:
        raise ConfigError(
            f"unknown label {value!r}; use one of {', '.join(LABELS)}", key=key
        )
    return value
