from __future__ import annotations

import pytest
from sessions_helpers import (
    CATALOG,
    DEEPSEEK,
    GPT5,
    GPT5_MINI,
    HAIKU,
    MISTRAL,
    SONNET,
    FakeProviders,
    tool_results,
)

from routed_llm.errors import InvalidRequestError
from routed_llm.messages import Message, ReasoningPart, Request, TextPart, Thinking, ToolCall
from routed_llm.sessions import MemoryStore, SessionManager, SessionStore, is_caller_id


@pytest.fixture
def mgr(store: SessionStore) -> SessionManager:
    """Every test runs on the memory store and on a real Redis."""
    return SessionManager(store, catalog=CATALOG)


def _start() -> Request:
    return Request((Message.system("You are an agent."), Message.user("find the price of lithium")),
                   session_id="s1")


def test_commit_mints_caller_ids_and_prepare_restores_provider_ids(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    out = mgr.prepare("s1", req, GPT5)
    assert out is req  # nothing to rewrite: the (frozen) request is passed on, not copied
    raw = fake.respond(GPT5, 2)
    resp = mgr.commit("s1", raw, GPT5)
    caller = [c.id for c in resp.message.tool_calls]
    assert all(is_caller_id(c) for c in caller) and len(set(caller)) == 2
    assert [c.id for c in raw.message.tool_calls] != caller  # the raw response was not mutated
    history = req.with_messages([*req.messages, resp.message, *tool_results(resp.message)])
    sent = mgr.prepare("s1", history, GPT5_MINI)
    fake.check(sent, GPT5_MINI)
    assert [c.id for c in sent.messages[2].tool_calls] == [c.id for c in raw.message.tool_calls]
    assert [m.tool_call_id for m in sent.messages[3:]] == [c.id for c in raw.message.tool_calls]
    # the caller's history is untouched
    assert [c.id for c in history.messages[2].tool_calls] == caller


def test_other_provider_gets_caller_ids(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    resp = mgr.commit("s1", fake.respond(GPT5, 3), GPT5)
    history = req.with_messages([*req.messages, resp.message, *tool_results(resp.message)])
    for model in (SONNET, MISTRAL, DEEPSEEK):
        sent = mgr.prepare("s1", history, model)
        fake.check(sent, model)
        assert [c.id for c in sent.messages[2].tool_calls] == [c.id for c in resp.message.tool_calls]


def test_parallel_calls_and_out_of_order_results_keep_pairing(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    raw = fake.respond(SONNET, 4)
    resp = mgr.commit("s1", raw, SONNET)
    results = tool_results(resp.message, order=[2, 0, 3, 1])
    history = req.with_messages([*req.messages, resp.message, *results])
    for model in (HAIKU, GPT5, MISTRAL):
        sent = mgr.prepare("s1", history, model)
        fake.check(sent, model)
        sent_calls = {c.id: c.arguments["q"] for c in sent.messages[2].tool_calls}
        for m in sent.messages[3:]:
            assert m.text == f"result {sent_calls[m.tool_call_id or '']}"


def test_known_provider_id_reuses_caller_id(mgr: SessionManager) -> None:
    fake = FakeProviders()
    raw = fake.respond(GPT5, 2)
    first = mgr.commit("s1", raw, GPT5)
    again = mgr.commit("s1", raw, GPT5)
    assert [c.id for c in first.message.tool_calls] == [c.id for c in again.message.tool_calls]
    other = mgr.commit("s2", raw, GPT5)  # another session: its own caller ids
    assert {c.id for c in other.message.tool_calls}.isdisjoint(c.id for c in first.message.tool_calls)


def test_streaming_caller_id_is_the_committed_one(mgr: SessionManager) -> None:
    fake = FakeProviders()
    raw = fake.respond(SONNET, 2)
    streamed = [mgr.caller_id("s1", "anthropic", c.id) for c in raw.message.tool_calls]
    assert streamed == [mgr.caller_id("s1", "anthropic", c.id) for c in raw.message.tool_calls]
    assert mgr.store.id_map("s1") == {}  # minted, not persisted
    resp = mgr.commit("s1", raw, SONNET)
    assert [c.id for c in resp.message.tool_calls] == streamed
    assert mgr.caller_id("s1", "anthropic", raw.message.tool_calls[0].id) == streamed[0]


def test_failed_call_leaves_state_unchanged(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    resp = mgr.commit("s1", fake.respond(GPT5, 1), GPT5)
    before = mgr.store.id_map("s1")
    history = req.with_messages([*req.messages, resp.message, *tool_results(resp.message)])
    for model in (GPT5, SONNET, MISTRAL):  # attempts that fail: prepared, never committed
        mgr.prepare("s1", history, model)
    assert mgr.store.id_map("s1") == before
    assert mgr.moves("s1") == []


def test_unknown_result_id_is_refused(mgr: SessionManager) -> None:
    req = Request((Message.user("hi"), Message.tool("nope12345", "x")))
    with pytest.raises(InvalidRequestError, match="nope12345"):
        mgr.prepare("s1", req, GPT5)


def test_caller_written_ids_get_a_stable_valid_stand_in(mgr: SessionManager) -> None:
    fake = FakeProviders()
    long_id = "call_" + "x" * 60  # too long for OpenAI, and not Anthropic's alphabet below
    req = Request((
        Message.user("hi"),
        Message.assistant("", [ToolCall(long_id, "f"), ToolCall("a.b:c", "g")]),
        Message.tool("a.b:c", "1"),
        Message.tool(long_id, "2"),
    ))
    for model in (GPT5, SONNET, MISTRAL):
        sent = mgr.prepare("s1", req, model)
        fake.check(sent, model)
        calls = [c.id for c in sent.messages[1].tool_calls]
        assert [sent.messages[3].tool_call_id, sent.messages[2].tool_call_id] == calls
        assert all(is_caller_id(c) for c in calls)


def _reasoning(model_provider: str, model_name: str, signed: bool = True) -> ReasoningPart:
    return ReasoningPart("hmm", model_provider, model_name, signature="sig" if signed else None)


def test_reasoning_blocks_go_only_to_their_model(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    resp = mgr.commit("s1", fake.respond(SONNET, 1, reasoning=True), SONNET)
    history = req.with_messages([*req.messages, resp.message, *tool_results(resp.message)])
    assert mgr.prepare("s1", history, SONNET).messages[2].reasoning
    for model in (HAIKU, GPT5, MISTRAL):
        sent = mgr.prepare("s1", history, model)
        assert sent.messages[2].reasoning == ()
        fake.check(sent, model)
    assert history.messages[2].reasoning  # not mutated


def test_thinking_switched_off_when_last_tool_turn_has_no_valid_block(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    resp = mgr.commit("s1", fake.respond(SONNET, 1, reasoning=True), SONNET)
    history = Request(
        (*req.messages, resp.message, *tool_results(resp.message)), thinking=Thinking(2048), session_id="s1"
    )
    kept = mgr.prepare("s1", history, SONNET)
    assert kept.thinking == Thinking(2048) and kept.messages[2].reasoning
    moved = mgr.prepare("s1", history, HAIKU)  # another model: the block is foreign
    assert moved.thinking is None and moved.messages[2].reasoning == ()
    other = mgr.prepare("s1", history, GPT5)  # openai wire: thinking is the adapter's business
    assert other.thinking == Thinking(2048)
    assert history.thinking == Thinking(2048)


def test_thinking_off_for_unsigned_block_and_kept_without_tool_turn(mgr: SessionManager) -> None:
    calls = (ToolCall("abcdefghi", "f"),)
    unsigned = Message("assistant", (_reasoning("anthropic", SONNET.name, signed=False),), calls)
    req = Request((Message.user("q"), unsigned, Message.tool("abcdefghi", "r")), thinking=Thinking())
    assert mgr.prepare("s1", req, SONNET).thinking is None
    plain = Request((Message.user("q"),), thinking=Thinking())
    assert mgr.prepare("s1", plain, SONNET).thinking == Thinking()
    closed = Request((Message.user("q"), unsigned, Message.tool("abcdefghi", "r"), Message.assistant("done"),
                      Message.user("next")), thinking=Thinking())
    assert mgr.prepare("s1", closed, SONNET).thinking == Thinking()  # the final assistant turn is text
    signed = Message("assistant", (_reasoning("anthropic", SONNET.name), TextPart("x")), calls)
    req2 = Request((Message.user("q"), signed, Message.tool("abcdefghi", "r")), thinking=Thinking())
    assert mgr.prepare("s1", req2, SONNET).thinking == Thinking()


def test_pin_is_set_if_absent_and_moves_are_recorded(mgr: SessionManager) -> None:
    req = _start()
    assert mgr.pinned_provider("s1", req) is None
    assert mgr.pin("s1", "openai") == "openai"
    assert mgr.pin("s1", "anthropic") == "openai"
    assert mgr.pinned_provider("s1", req) == "openai"
    assert mgr.move("s1", "openai", "anthropic") == "anthropic"
    assert mgr.move("s1", "openai", "mistral") == "anthropic"  # stale from: CAS fails
    assert mgr.pinned_provider("s1", req) == "anthropic"
    (move,) = mgr.moves("s1")
    assert (move.from_provider, move.to_provider) == ("openai", "anthropic") and move[0] == "openai"


def test_reroute_on_new_turn_only_without_open_tool_loop() -> None:
    mgr = SessionManager(MemoryStore(), catalog=CATALOG, reroute_on_new_turn=True)
    mgr.pin("s1", "openai")
    open_loop = Request((Message.user("q"), Message.assistant("", [ToolCall("abcdefghi", "f")]),
                         Message.tool("abcdefghi", "r")))
    assert mgr.pinned_provider("s1", open_loop) == "openai"
    new_turn = open_loop.with_messages([*open_loop.messages, Message.assistant("done"), Message.user("next")])
    assert mgr.pinned_provider("s1", new_turn) is None
    assert mgr.pin("s1", "anthropic") == "anthropic"


def test_resolve_id_explicit_then_fingerprint() -> None:
    req = _start()
    assert SessionManager.resolve_id(req) == "s1"
    anon = Request(req.messages)
    longer = anon.with_messages([*anon.messages, Message.assistant("ok"), Message.user("more")])
    assert SessionManager.resolve_id(anon) == SessionManager.resolve_id(longer)
    other = Request((Message.system("You are an agent."), Message.user("something else")))
    assert SessionManager.resolve_id(other) != SessionManager.resolve_id(anon)
    assert SessionManager.resolve_id(anon).startswith("fp-")


async def test_async_twins(mgr: SessionManager) -> None:
    fake = FakeProviders()
    req = _start()
    assert await mgr.apinned_provider("s1", req) is None
    assert await mgr.apin("s1", "openai") == "openai"
    resp = await mgr.acommit("s1", fake.respond(GPT5, 2), GPT5)
    history = req.with_messages([*req.messages, resp.message, *tool_results(resp.message)])
    fake.check(await mgr.aprepare("s1", history, GPT5_MINI), GPT5_MINI)
    assert await mgr.amove("s1", "openai", "anthropic") == "anthropic"
    assert len(await mgr.amoves("s1")) == 1


def test_rewrite_knows_every_field() -> None:
    """rewrite.py rebuilds Message and ToolCall field by field; a new field must be added there."""
    from dataclasses import fields

    from routed_llm.messages import Message as M
    from routed_llm.sessions import rewrite

    assert tuple(f.name for f in fields(M)) == rewrite.MESSAGE_FIELDS
    assert tuple(f.name for f in fields(ToolCall)) == rewrite.TOOL_CALL_FIELDS


def test_importing_sessions_does_not_import_redis_and_missing_redis_names_the_extra() -> None:
    import subprocess
    import sys

    code = (
        "import sys; import routed_llm.sessions as s; assert 'redis' not in sys.modules\n"
        "sys.modules['redis'] = None\n"
        "try:\n    s.open_store('redis://127.0.0.1:1/0')\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "routed-llm[redis]" in out.stdout
