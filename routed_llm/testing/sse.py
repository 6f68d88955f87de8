"""Server-sent event frames and their pacing weights."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Frame:
    """One SSE event. ``content`` frames carry generated tokens (``tokens`` paces them); ``final``
    frames come after the last content (a dropped stream never sends them)."""

    data: bytes
    content: bool = False
    tokens: int = 0
    final: bool = False


def sse(data: Mapping[str, Any], event: str | None = None) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()
