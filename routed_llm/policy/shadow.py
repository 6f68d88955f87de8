"""Deterministic shadow sampling: the same request (and seed) is always sampled the same way."""

from __future__ import annotations

import hashlib

from routed_llm.labels import Label
from routed_llm.messages import Request
from routed_llm.policy.complexity import step_text


def sample_point(request: Request, label: Label, seed: str) -> float:
    """A number in [0, 1) fixed by the seed, the label, the session and the step's text."""
    basis = "\x1f".join((seed, label, request.session_id or "", str(len(request.messages)), step_text(request)))
    digest = hashlib.sha256(basis.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def sampled(request: Request, label: Label, seed: str, share: float) -> bool:
    return share > 0.0 and sample_point(request, label, seed) < share
