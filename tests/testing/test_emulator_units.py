"""Pure parts of the emulator: schemas, ids, signatures, cache, tool choice, faults."""

from __future__ import annotations

import re
from typing import Any

import pytest

from routed_llm.testing import Fault
from routed_llm.testing.behaviour import mentioned_tools
from routed_llm.testing.caching import PromptCache
from routed_llm.testing.conversation import Segment
from routed_llm.testing.faults import FaultBook
from routed_llm.testing.ids import IdRegistry
from routed_llm.testing.schema import Synthesizer, key_phrases, prompt_assignments, schema_problem
from routed_llm.testing.signing import Signer


def _valid(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        return _valid(value, node, root)
    if "anyOf" in schema:
        return any(_valid(value, s, root) for s in schema["anyOf"])
    if "enum" in schema:
        return value in schema["enum"]
    typ = schema.get("type")
    checks = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "array": list, "object": dict}
    if typ == "null":
        return value is None
    if typ and not isinstance(value, checks[typ]):
        return False
    if typ == "integer" and isinstance(value, bool):
        return False
    if typ == "integer":
        return schema.get("minimum", value) <= value <= schema.get("maximum", value)
    if typ == "array":
        return len(value) >= schema.get("minItems", 0) and all(_valid(v, schema["items"], root) for v in value)
    if typ == "object":
        props = schema.get("properties", {})
        return all(k in value for k in schema.get("required", [])) and all(_valid(v, props[k], root) for k, v in value.items())
    return True


SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {"Point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}}, "required": ["x", "y"]}},
    "properties": {
        "city": {"type": "string"},
        "count": {"type": "integer", "minimum": 3, "maximum": 5},
        "mode": {"enum": ["fast", "slow"]},
        "flag": {"type": "boolean"},
        "maybe": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "where": {"$ref": "#/$defs/Point"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "opt": {"type": "string"},
    },
    "required": ["city", "count", "mode", "flag", "maybe", "where", "tags"],
}


def test_synthesized_values_satisfy_the_schema() -> None:
    value = Synthesizer(SCHEMA, seed=b"s", words=["Lisbon", "trams"], assignments={}, all_properties=False,
                        phrases=["Lisbon"]).value()
    assert _valid(value, SCHEMA, SCHEMA) and "opt" not in value and value["city"] == "Lisbon"
    everything = Synthesizer(SCHEMA, seed=b"s", words=[], assignments={}, all_properties=True).value()
    assert "opt" in everything and _valid(everything, SCHEMA, SCHEMA)
    again = Synthesizer(SCHEMA, seed=b"s", words=["Lisbon", "trams"], assignments={}, all_properties=False,
                        phrases=["Lisbon"]).value()
    assert again == value


def test_prompt_assignments_fill_arguments() -> None:
    kv = prompt_assignments('use it with city="New York" count=4 mode: slow')
    assert kv == {"city": "New York", "count": "4", "mode": "slow"}
    value = Synthesizer(SCHEMA, seed=b"s", words=[], assignments=kv, all_properties=False).value()
    assert (value["city"], value["count"], value["mode"]) == ("New York", 4, "slow")


def test_key_phrases_and_mentions() -> None:
    assert key_phrases("What is the weather in New York and Paris today?") == ["New York", "Paris"]
    assert mentioned_tools("first search, then get_time, then search again", ["get_time", "search", "fetch"]) == ["search", "get_time"]
    assert mentioned_tools("research this", ["search"]) == []


@pytest.mark.parametrize(
    ("schema", "ok"),
    [
        ({"type": "object", "properties": {"a": {"type": "string"}}}, True),
        ({"type": "object", "properties": {"a": {"type": "text"}}}, False),
        ({"type": "object", "properties": []}, False),
        ({"type": "object", "required": [1]}, False),
        ({"type": "object", "properties": {"a": {"anyOf": []}}}, False),
        ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, True),
        ("object", False),
    ],
)
def test_schema_problems(schema: Any, ok: bool) -> None:
    assert (schema_problem(schema) is None) == ok


def test_id_registry_rules() -> None:
    ids = IdRegistry()
    openai_id = ids.issue("openai", "openai", b"1")
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", openai_id) and ids.issue("openai", "openai", b"1") == openai_id
    assert ids.check("openai", "openai", openai_id, strict=True) is None
    problem = ids.check("anthropic", "anthropic", openai_id, strict=True)
    assert problem is not None and problem.kind == "foreign"
    assert ids.check("anthropic", "anthropic", openai_id, strict=False) is None
    made_up = ids.check("openai", "openai", "call_" + "z" * 24, strict=True)
    assert made_up is not None and made_up.kind == "unissued"
    assert ids.check("mistral", "openai", "abcdefghi", strict=True) is None  # any 9-alnum id is fine for Mistral
    mistral = ids.check("mistral", "openai", "abc", strict=True)
    assert mistral is not None and mistral.kind == "format"
    other = ids.issue("my-vllm", "openai", b"1")
    assert re.fullmatch(r"call_[A-Za-z0-9]{24}", other) and other != openai_id
    bedrock = ids.issue("bedrock", "anthropic", b"1")
    assert bedrock.startswith("toolu_01")


def test_signatures_bind_model_and_text() -> None:
    signer = Signer(b"k" * 32)
    sig = signer.sign("claude-a", "thinking text")
    assert signer.verify("claude-a", "thinking text", sig)
    assert not signer.verify("claude-b", "thinking text", sig)
    assert not signer.verify("claude-a", "thinking text!", sig)
    assert not Signer(b"j" * 32).verify("claude-a", "thinking text", sig)
    assert not signer.verify("claude-a", "thinking text", "garbage")
    data = signer.redacted("claude-a", "seed")
    assert signer.verify_redacted("claude-a", data) and not signer.verify_redacted("claude-b", data)


def test_anthropic_cache_finds_the_longest_written_prefix() -> None:
    cache = PromptCache(anthropic_min_tokens=100)
    system = Segment(b"system", 500, breakpoint=True)
    first = cache.anthropic("anthropic", "m", [system, Segment(b"u1", 20)])
    assert (first.read, first.write) == (0, 500)
    # a later turn marks its newest block; the earlier breakpoint is found and read
    second = cache.anthropic("anthropic", "m", [system, Segment(b"u1", 20), Segment(b"a1", 30, breakpoint=True)])
    assert (second.read, second.write) == (500, 50)
    third = cache.anthropic("anthropic", "m", [Segment(b"system", 500), Segment(b"u1", 20), Segment(b"a1", 30, breakpoint=True), Segment(b"u2", 5)])
    assert (third.read, third.write) == (550, 0)
    small = cache.anthropic("anthropic", "m", [Segment(b"tiny", 50, breakpoint=True)])
    assert (small.read, small.write) == (0, 0)


def test_openai_cache_rounds_to_128() -> None:
    cache = PromptCache()
    segs = [Segment(b"tools", 0, boundary=False), Segment(b"sys", 1300), Segment(b"u1", 10)]
    assert cache.openai("openai", "m", segs).read == 0
    assert cache.openai("openai", "m", [*segs[:2], Segment(b"u2", 10)]).read == 1280
    assert cache.openai("openai", "other-model", [*segs[:2], Segment(b"u2", 10)]).read == 0


def test_fault_book_queue() -> None:
    book = FaultBook()
    book.add("m", Fault.server_error(503), times=2)
    book.add("m", Fault.rate_limit(), times=None)
    kinds = [f.kind if (f := book.take("m", b"k")) else None for _ in range(4)]
    assert kinds == ["server_error", "server_error", "rate_limit", "rate_limit"]
    assert book.take("other", b"k") is None
    with pytest.raises(ValueError):
        Fault.server_error(404)
    with pytest.raises(ValueError):
        book.add("m", Fault.auth(), times=0)
