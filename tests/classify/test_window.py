from __future__ import annotations

import time

from routed_llm.classify.window import step_window, truncate_tokens, turn_key, window_key
from routed_llm.messages import Message, ToolCall
from routed_llm.tokens import estimate_text_tokens


def _conversation(n: int, tool_text: str = "result") -> list[Message]:
    msgs: list[Message] = [Message.system("be useful")]
    for i in range(n // 3):
        msgs.append(Message.user(f"question {i}"))
        msgs.append(Message.assistant("", [ToolCall(id=f"c{i}", name="search")]))
        msgs.append(Message.tool(f"c{i}", f"{tool_text} {i}"))
    return msgs


def test_window_is_newest_user_message_plus_tool_results_since() -> None:
    msgs = [
        Message.user("old question"),
        Message.assistant("old answer"),
        Message.user("summarize what the search finds"),
        Message.assistant("calling search", [ToolCall(id="a", name="search")]),
        Message.tool("a", "page one text"),
        Message.assistant("thinking aloud"),
    ]
    w = step_window(msgs)
    assert w.startswith("summarize what the search finds")
    assert "page one text" in w
    assert "old question" not in w and "calling search" not in w and "thinking aloud" not in w


def test_no_user_message_uses_last_message_with_text() -> None:
    assert (
        step_window([Message.system("sys"), Message.assistant("hello there"), Message.assistant("")])
        == "hello there"
    )
    assert step_window([]) == ""


def test_window_fits_budget_and_keeps_head_and_tail() -> None:
    text = "INSTRUCTION first line\n" + "x" * 50_000 + "\nlast line QUESTION"
    w = step_window([Message.user(text)], budget_tokens=64)
    assert estimate_text_tokens(w) <= 64
    assert w.startswith("INSTRUCTION") and w.endswith("QUESTION")


def test_truncate_multibyte() -> None:
    w = truncate_tokens("日本語" * 10_000, 32)
    assert estimate_text_tokens(w) <= 32
    assert w.startswith("日本語")


def test_200_message_conversation_classifies_from_window_only() -> None:
    msgs = _conversation(600)
    assert len(msgs) > 200
    w = step_window(msgs)
    last = (len(msgs) - 1) // 3 - 1
    assert w == f"question {last}\n\nresult {last}"


def test_window_cost_is_flat_in_conversation_length() -> None:
    def timed(msgs: list[Message]) -> float:
        best = float("inf")
        for _ in range(20):
            t = time.perf_counter()
            step_window(msgs)
            best = min(best, time.perf_counter() - t)
        return best

    short, long = _conversation(6, "r" * 2000), _conversation(30_000, "r" * 2000)
    timed(short)
    assert timed(long) < 20 * timed(short) + 1e-4


def test_turn_key_stable_within_turn_changes_on_new_user_message() -> None:
    msgs = [Message.user("do it"), Message.assistant("", [ToolCall(id="a", name="t")])]
    k1 = turn_key(msgs)
    k2 = turn_key([*msgs, Message.tool("a", "out")])
    assert k1 == k2
    k3 = turn_key([*msgs, Message.tool("a", "out"), Message.user("do it")])
    assert k3 != k1
    assert turn_key([Message.system("x")]) == "no-user"
    assert window_key("a") == window_key("a") != window_key("b")


def test_react_observations_are_tool_results_not_the_instruction() -> None:
    """Text-based ReAct agents send tool output as a user message "Observation: ...": the window is
    still the user's instruction plus those observations, and the turn does not change."""
    task = "Translate the release notes the tool returns into German."
    msgs = [
        Message.system("You are a ReAct agent. Use Thought/Action/Action Input/Observation."),
        Message.user(task),
        Message.assistant("Thought: I need the notes.\nAction: fetch_notes\nAction Input: {}"),
    ]
    key = turn_key(msgs)
    msgs += [Message.user("Observation: v2.1 fixes the login bug and adds dark mode."),
             Message.assistant("Thought: now translate.")]
    window = step_window(msgs)
    assert window.startswith(task) and "Observation: v2.1 fixes" in window and "Thought" not in window
    assert turn_key(msgs) == key
    # a conversation of observations only still has a window (the newest one)
    only = [Message.user("Observation: first"), Message.user("observation: second")]
    assert step_window(only) == "observation: second"
