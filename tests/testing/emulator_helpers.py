"""Shared constants and clients for the emulator tests."""

from __future__ import annotations

import base64
from typing import Any

import anthropic
import openai

from routed_llm.testing import Emulator

PNG_1PX = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
        "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
    )
).decode()

OPENAI_TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string"},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                },
                "required": ["city", "unit"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "get_time",
            "description": "Local time in a timezone",
            "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]},
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Web search",
            "parameters": {
                "type": "object",
                "properties": {
                    "query": {"type": "string"},
                    "filters": {
                        "type": "object",
                        "properties": {"site": {"type": "string"}, "recent": {"type": "boolean"}},
                        "required": ["site", "recent"],
                    },
                    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
                },
                "required": ["query", "filters", "tags"],
            },
        },
    },
]

ANTHROPIC_TOOLS: list[Any] = [
    {"name": t["function"]["name"], "description": t["function"]["description"], "input_schema": t["function"]["parameters"]}
    for t in OPENAI_TOOLS
]


_HTTP: dict[str, Any] = {}


def _shared(kind: str) -> Any:
    # Building an SDK client builds an SSL context (~0.1 s); one pooled HTTP client per SDK keeps
    # the tests fast, and exercises connection reuse against the emulator.
    if kind not in _HTTP:
        _HTTP[kind] = openai.DefaultHttpxClient() if kind == "openai" else anthropic.DefaultHttpxClient()
    return _HTTP[kind]


def client_for(emu: Emulator, provider: str, *, api_key: str = "x", **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=emu.base_url(provider), api_key=api_key, max_retries=0,
                         http_client=_shared("openai"), **kwargs)


def anthropic_for(emu: Emulator, provider: str = "anthropic", *, api_key: str = "x", **kwargs: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=emu.base_url(provider), api_key=api_key, max_retries=0,
                               http_client=_shared("anthropic"), **kwargs)
