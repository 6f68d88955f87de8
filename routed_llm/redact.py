"""Defence in depth: mask API keys in anything that leaves the router (callback payloads,
responses, events, trace lines).

Keys are ``SecretStr`` and the core never puts them in its records; this pass also masks a key a
provider might have echoed into an error message that ends up in ``attempts``. Both framework
adapters use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

MASK = "**********"
MIN_SECRET_LENGTH = 8  # shorter "keys" are placeholders for local servers; masking them mangles words
_T = TypeVar("_T")


def redact(value: _T, secrets: Iterable[str]) -> _T:
    """``value`` (JSON-like) with every occurrence of each secret replaced by ``MASK``."""
    live = [s for s in secrets if len(s) >= MIN_SECRET_LENGTH]
    if not live:
        return value
    return _walk(value, live)  # type: ignore[no-any-return]


def _walk(value: Any, secrets: list[str]) -> Any:
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
