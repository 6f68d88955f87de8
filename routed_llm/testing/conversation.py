"""What either wire's request boils down to, once validated: the emulator's neutral view."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

IMAGE_MAGIC: Mapping[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(slots=True)
class Turn:
    """One request message. ``user_text`` is True when a person wrote it (not only tool results)."""

    role: Literal["system", "user", "assistant", "tool"]
    index: int
    text: str = ""
    user_text: bool = False
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ToolDef:
    name: str
    description: str
    schema: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: Literal["auto", "none", "required", "tool"] = "auto"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ResponseFormat:
    kind: Literal["json_object", "json_schema"]
    schema: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A cacheable unit of the prompt, in prompt order (a message, a block, a tool)."""

    key: bytes
    tokens: int
    breakpoint: bool = False
    boundary: bool = True


@dataclass(slots=True)
class Conversation:
    model: str
    turns: list[Turn]
    tools: list[ToolDef]
    tool_choice: ToolChoice
    parallel: bool
    max_tokens: int | None
    stream: bool
    include_usage: bool
    segments: list[Segment]
    seed: bytes
    thinking_budget: int | None = None
    thinking_omitted: bool = False
    reasoning_effort: str | None = None
    response_format: ResponseFormat | None = None
    stop: list[str] = field(default_factory=list)
    redacted_trigger: bool = False
    system: list[str] = field(default_factory=list)
    """Top-level system text blocks (Anthropic); OpenAI system messages are turns instead."""

    @property
    def prompt_tokens(self) -> int:
        return sum(s.tokens for s in self.segments)


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def seed_of(*parts: Any) -> bytes:
    return hashlib.sha256(canonical(list(parts))).digest()


def image_problem(media_type: str, data: str) -> str | None:
    """Why this base64 image is unusable, or None."""
    if media_type not in IMAGE_MAGIC:
        return f"unsupported image media type {media_type!r}; use one of {sorted(IMAGE_MAGIC)}"
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return "the image data is not valid base64"
    if not raw:
        return "the image data is empty"
    for other, magics in IMAGE_MAGIC.items():
        if any(raw.startswith(m) for m in magics) and (other != "image/webp" or raw[8:12] == b"WEBP"):
            if other != media_type:
                return f"The image was specified using the {media_type} media type, but the image appears to be a {other} image"
            return None
    return "Could not process image: the data is not a PNG, JPEG, GIF or WebP image"
