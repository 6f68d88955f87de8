"""Tool-call ids: each provider's issuing format, its acceptance rules, and who issued what.

Issuing formats: openai ``call_`` + 24 alnum; anthropic ``toolu_01`` + 22 alnum; mistral exactly 9
alnum; deepseek ``call_0_`` + 32 hex; gemini ``function-call-`` + 16 digits; any other
openai-wire provider ``call_`` + 24 alnum, any other anthropic-wire provider like anthropic.

Acceptance (format rules, always on): openai ids are at most 40 characters; anthropic-wire ids
match ``^[a-zA-Z0-9_-]+$``; mistral ids are exactly 9 alnum; other providers take any non-empty id.

Issued-id checks (``strict``): an id in this provider's own issuing format that it did not issue is
refused, and so is an id another emulated provider issued (a foreign id leaked through). Mistral is
exempt from the first check, since every id it accepts has its issuing format (a real Mistral takes
any 9-alnum id, which is how a router replays a history to it).
"""

from __future__ import annotations

import functools
import hashlib
import re
import string
import threading
from dataclasses import dataclass
from typing import Literal

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
DIGITS = string.digits
ANTHROPIC_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
MISTRAL_ID = re.compile(r"^[a-zA-Z0-9]{9}$")


@dataclass(frozen=True, slots=True)
class IdFormat:
    prefix: str
    length: int
    alphabet: str
    accept: re.Pattern[str] | None
    max_len: int | None
    rule: str
    check_unissued: bool = True

    @property
    def issued_pattern(self) -> re.Pattern[str]:
        return _issued_re(self.prefix, self.length, self.alphabet)


@functools.lru_cache(maxsize=64)
def _issued_re(prefix: str, length: int, alphabet: str) -> re.Pattern[str]:
    return re.compile("^" + re.escape(prefix) + "[" + re.escape(alphabet) + f"]{{{length}}}$")


@functools.lru_cache(maxsize=256)
def id_format(provider: str, wire: Literal["openai", "anthropic"]) -> IdFormat:
    if provider == "openai":
        return IdFormat("call_", 24, ALNUM, None, 40, "at most 40 characters")
    if provider == "mistral":
        return IdFormat("", 9, ALNUM, MISTRAL_ID, None, "exactly 9 characters a-z, A-Z, 0-9", check_unissued=False)
    if provider == "deepseek":
        return IdFormat("call_0_", 32, HEX, None, None, "a non-empty string")
    if provider == "gemini":
        return IdFormat("function-call-", 16, DIGITS, None, None, "a non-empty string")
    if wire == "anthropic":
        return IdFormat("toolu_01", 22, ALNUM, ANTHROPIC_ID, None, "matching ^[a-zA-Z0-9_-]+$")
    return IdFormat("call_", 24, ALNUM, None, None, "a non-empty string")


IdProblemKind = Literal["format", "unissued", "foreign"]


@dataclass(frozen=True, slots=True)
class IdProblem:
    kind: IdProblemKind
    message: str


def _chars(seed: bytes, n: int, alphabet: str) -> str:
    out: list[str] = []
    counter = 0
    while len(out) < n:
        block = hashlib.sha256(seed + counter.to_bytes(4, "big")).digest()
        out.extend(alphabet[b % len(alphabet)] for b in block)
        counter += 1
    return "".join(out[:n])


class IdRegistry:
    """Remembers every id each provider issued; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._issued: dict[str, str] = {}  # id -> provider

    def clear(self) -> None:
        with self._lock:
            self._issued.clear()

    def issue(self, provider: str, wire: Literal["openai", "anthropic"], seed: bytes) -> str:
        """A new id in ``provider``'s format, derived from ``seed`` (deterministic)."""
        fmt = id_format(provider, wire)
        call_id = fmt.prefix + _chars(provider.encode() + b"\0" + seed, fmt.length, fmt.alphabet)
        with self._lock:
            self._issued.setdefault(call_id, provider)
        return call_id

    def issuer(self, call_id: str) -> str | None:
        with self._lock:
            return self._issued.get(call_id)

    def check(
        self, provider: str, wire: Literal["openai", "anthropic"], call_id: object, *, strict: bool
    ) -> IdProblem | None:
        fmt = id_format(provider, wire)
        if not isinstance(call_id, str) or not call_id:
            return IdProblem("format", "tool call ids must be non-empty strings")
        if fmt.max_len is not None and len(call_id) > fmt.max_len:
            return IdProblem(
                "format",
                f"string too long. Expected a string with maximum length {fmt.max_len}, "
                f"but got a string with length {len(call_id)} instead.",
            )
        if fmt.accept is not None and not fmt.accept.match(call_id):
            return IdProblem("format", f"tool call id {call_id!r} must be {fmt.rule}")
        if not strict:
            return None
        issuer = self.issuer(call_id)
        if issuer is not None and issuer != provider:
            return IdProblem(
                "foreign",
                f"tool call id {call_id!r} was not issued by this provider "
                f"(emulator: it was issued by provider {issuer!r})",
            )
        if issuer is None and fmt.check_unissued and fmt.issued_pattern.match(call_id):
            return IdProblem("unissued", f"tool call id {call_id!r} was not issued by this provider")
        return None
