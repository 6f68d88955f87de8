"""Thinking-block signatures: an HMAC (server secret) over the model name and the thinking text.

``signature = base64(0x01 + nonce[16] + HMAC(secret, model, nonce, thinking))``: it verifies only
for the model that produced it and the exact thinking text it came with (the empty string when the
thinking was omitted from the response). Redacted thinking carries
``data = base64(0x02 + nonce[16] + HMAC(secret, model, nonce))``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

_SIG = b"\x01"
_REDACTED = b"\x02"
_NONCE = 16
_MAC = 32


class Signer:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the signing secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, kind: bytes, model: str, nonce: bytes, payload: bytes) -> bytes:
        msg = kind + model.encode("utf-8") + b"\0" + nonce + payload
        return hmac.new(self._secret, msg, hashlib.sha256).digest()

    def sign(self, model: str, thinking: str, *, nonce_from: str | None = None) -> str:
        """Sign ``thinking`` for ``model``; ``nonce_from`` (the hidden text) makes it deterministic."""
        nonce = hashlib.sha256((nonce_from if nonce_from is not None else thinking).encode("utf-8", "surrogatepass")).digest()[:_NONCE]
        mac = self._mac(_SIG, model, nonce, thinking.encode("utf-8", "surrogatepass"))
        return base64.b64encode(_SIG + nonce + mac).decode("ascii")

    def verify(self, model: str, thinking: object, signature: object) -> bool:
        raw = _decode(signature, _SIG)
        if raw is None or not isinstance(thinking, str):
            return False
        nonce, mac = raw[1 : 1 + _NONCE], raw[1 + _NONCE :]
        expected = self._mac(_SIG, model, nonce, thinking.encode("utf-8", "surrogatepass"))
        return hmac.compare_digest(mac, expected)

    def redacted(self, model: str, seed: str) -> str:
        nonce = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest()[:_NONCE]
        return base64.b64encode(_REDACTED + nonce + self._mac(_REDACTED, model, nonce, b"")).decode("ascii")

    def verify_redacted(self, model: str, data: object) -> bool:
        raw = _decode(data, _REDACTED)
        if raw is None:
            return False
        nonce, mac = raw[1 : 1 + _NONCE], raw[1 + _NONCE :]
        return hmac.compare_digest(mac, self._mac(_REDACTED, model, nonce, b""))


def _decode(value: object, kind: bytes) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 1 + _NONCE + _MAC or raw[:1] != kind:
        return None
    return raw
