"""Defence in depth: no API key may leave through a callback payload, metadata or trace line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

MASK = "**********"
_T = TypeVar("_T")


def redact(value: _T, secrets: Sequence[str]) -> _T:
    """``value`` (JSON-like) with every occurrence of each secret replaced by ``MASK``."""
    live = [s for s in secrets if s]
    if not live:
        return value
    return _walk(value, live)  # type: ignore[no-any-return]


def _walk(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, Mapping):
        return {k: _walk(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v, secrets) for v in value]
    return value
