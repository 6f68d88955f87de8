"""Property: whatever models a session's steps go to, in whatever order tool results come back,
every outgoing request carries only ids its provider accepts, results stay paired with their
calls, and the caller's ids never change."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sessions_helpers import CATALOG, DEEPSEEK, GPT5, GPT5_MINI, HAIKU, MISTRAL, SONNET, FakeProviders

from routed_llm.messages import Message, Request
from routed_llm.sessions import MemoryStore, SessionManager, is_caller_id

MODELS = [GPT5, GPT5_MINI, SONNET, HAIKU, MISTRAL, DEEPSEEK]
step = st.tuples(st.sampled_from(MODELS), st.integers(0, 3), st.randoms(use_true_random=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=10))
def test_any_route_sequence_keeps_ids_valid_and_paired(steps: list) -> None:  # type: ignore[type-arg]
    mgr = SessionManager(MemoryStore(), catalog=CATALOG)
    fake = FakeProviders()
    history = [Message.system("agent"), Message.user("go")]
    seen: list[str] = []
    for model, n_calls, rng in steps:
        request = Request(tuple(history), session_id="p")
        sent = mgr.prepare("p", request, model)
        fake.check(sent, model)
        # pairing: each sent result answers the call whose arguments name it
        args = {c.id: c.arguments.get("q") for m in sent.messages for c in m.tool_calls}
        for orig, out in zip(request.messages, sent.messages, strict=True):
            if out.role == "tool":
                assert orig.text == f"result {args[out.tool_call_id or '']}"
        resp = mgr.commit("p", fake.respond(model, n_calls), model)
        ids = [c.id for c in resp.message.tool_calls]
        assert all(is_caller_id(i) for i in ids) and not set(ids) & set(seen)
        seen += ids
        history.append(resp.message)
        order = list(range(n_calls))
        rng.shuffle(order)
        history.extend(Message.tool(resp.message.tool_calls[i].id,
                                    f"result {resp.message.tool_calls[i].arguments['q']}") for i in order)
    assert [c.id for m in history for c in m.tool_calls] == seen
