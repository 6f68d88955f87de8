"""Capability flags read from the request. They constrain the candidate models; they do not
replace the task label."""

from __future__ import annotations

from routed_llm.messages import ImagePart, Request

CAPABILITIES: tuple[str, ...] = ("tools", "vision", "json_schema", "reasoning")


def required_capabilities(request: Request) -> frozenset[str]:
    """``tools`` if tools are bound and ``tool_choice`` is not ``"none"``; ``vision`` if any message
    holds an image; ``json_schema`` if a response format is set; ``reasoning`` if thinking is on."""
    out: set[str] = set()
    if request.tools and request.tool_choice != "none":
        out.add("tools")
    if any(isinstance(p, ImagePart) for m in request.messages for p in m.content):
        out.add("vision")
    if request.response_format is not None:
        out.add("json_schema")
    if request.thinking is not None:
        out.add("reasoning")
    return frozenset(out)
