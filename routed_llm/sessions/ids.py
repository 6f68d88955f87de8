"""Caller-facing tool-call ids and session fingerprints.

A caller id is exactly 9 ASCII letters or digits: the one format every target provider accepts
(OpenAI: at most 40 characters; Anthropic: ``^[a-zA-Z0-9_-]+$``; Mistral: exactly 9 alphanumerics).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import string
from collections.abc import Sequence
from typing import Any

from routed_llm.messages import ImagePart, Message, ReasoningPart, TextPart

ALNUM = string.ascii_letters + string.digits
CALLER_ID_LENGTH = 9
CALLER_ID = re.compile(r"^[A-Za-z0-9]{9}$")
FINGERPRINT_PREFIX = "fp-"


_SPACE = len(ALNUM) ** CALLER_ID_LENGTH


def _base62(number: int) -> str:
    out = []
    for _ in range(CALLER_ID_LENGTH):
        number, rem = divmod(number, len(ALNUM))
        out.append(ALNUM[rem])
    return "".join(out)


def mint_caller_id() -> str:
    """A fresh random caller id: 9 characters, uniform over 62**9 ≈ 1.4e16 values."""
    return _base62(secrets.randbelow(_SPACE))


def is_caller_id(value: str) -> bool:
    return CALLER_ID.match(value) is not None


def derived_id(session_id: str, foreign_id: str) -> str:
    """A stable caller-format stand-in for an id the session does not know.

    Used for ids the caller wrote itself (or whose mapping expired): the same input always gives
    the same 9 alphanumerics, so a call and its result stay paired inside one request.
    """
    digest = hashlib.sha256(f"{session_id}\0{foreign_id}".encode("utf-8", "surrogatepass")).digest()
    return _base62(int.from_bytes(digest[:16], "big") % _SPACE)


def _part_key(part: object) -> Any:
    if isinstance(part, TextPart):
        return ["t", part.text]
    if isinstance(part, ImagePart):
        return ["i", part.url or hashlib.sha256((part.data or "").encode()).hexdigest()]
    if isinstance(part, ReasoningPart):
        return None
    return ["?", repr(part)]


def fingerprint(messages: Sequence[Message]) -> str:
    """A session id derived from the conversation's opening: its system messages up to and
    including the first user message. Loops that pass no session id still pin consistently."""
    opening: list[Any] = []
    for message in messages:
        if message.role == "system":
            opening.append(["system", [k for k in map(_part_key, message.content) if k is not None]])
        elif message.role == "user":
            opening.append(["user", [k for k in map(_part_key, message.content) if k is not None]])
            break
    if not any(role == "user" for role, _ in opening) and messages:
        # no user message: fall back to the first message, whatever it is
        first = messages[0]
        opening.append([first.role, [k for k in map(_part_key, first.content) if k is not None]])
    blob = json.dumps(opening, ensure_ascii=False, separators=(",", ":"))
    return FINGERPRINT_PREFIX + hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:32]
