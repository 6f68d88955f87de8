"""ReAct text mode: no tools bound, the tools listed in the system prompt, observations as user text."""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import openai
from emulator_helpers import OPENAI_TOOLS

TOOL_SCHEMAS: dict[str, Any] = {
    "search_web": {"properties": {"query": {"title": "Query", "type": "string"}}, "required": ["query"], "type": "object"},
    "fetch_page": {"properties": {"url": {"title": "Url", "type": "string", "format": "uri"}}, "required": ["url"], "type": "object"},
    "word_count": {"properties": {"text": {"title": "Text", "type": "string"}, "limit": {"type": "integer", "minimum": 5, "maximum": 9}},
                   "required": ["text", "limit"], "type": "object"},
}
SYSTEM = (
    "You are designed to help with a variety of tasks.\n\n## Tools\n\nYou have access to the following tools:\n"
    + "\n".join(
        f"> Tool Name: {name}\nTool Description: {name} does things\nTool Args: {json.dumps(schema)}\n"
        for name, schema in TOOL_SCHEMAS.items()
    )
    + "\n## Output Format\n\n```\nThought: I need to use a tool to help me answer the question.\n"
    "Action: tool name (one of search_web, fetch_page, word_count) if using a tool.\n"
    'Action Input: the input to the tool, in a JSON format representing the kwargs (e.g. {"input": "hello world"})\n```\n'
    "If this format is used, the tool will respond in the following format:\n\n```\nObservation: tool response\n```\n"
)
TASK = "Use word_count on the page, but first search_web for the fibonacci docs and fetch_page the top result."
ACTION = re.compile(
    r"Thought: I need to use a tool to help me answer the question\.\nAction: (\S+)\nAction Input: (\{.*\})", re.S
)
ANSWER_HEAD = "Thought: I can answer without using any more tools. I'll use the user's language to answer\nAnswer: "
OBSERVATIONS = {
    "search_web": "Top result for fibonacci: https://docs.example.com/fibonacci",
    "fetch_page": "def fibonacci(n):\n    Action: loop\n    return a",
    "word_count": "7",
}


def _action(text: str | None) -> tuple[str, dict[str, Any]]:
    assert text is not None
    m = ACTION.fullmatch(text)
    assert m, text
    assert "\n" not in m.group(2) and "'" not in m.group(2)
    args = json.loads(m.group(2))
    assert isinstance(args, dict)
    return m.group(1), args


def _oai_text(oai: openai.OpenAI, messages: list[Any], model: str = "gpt-4.1-mini") -> str:
    r = oai.chat.completions.create(model=model, messages=messages)
    assert r.choices[0].finish_reason == "stop" and r.choices[0].message.tool_calls is None
    assert r.choices[0].message.content is not None
    return r.choices[0].message.content


def _claude_text(claude: anthropic.Anthropic, messages: list[Any], system: Any = SYSTEM) -> str:
    m = claude.messages.create(model="claude-haiku-4-5", max_tokens=1000, system=system, messages=messages)
    assert m.stop_reason == "end_turn" and [b.type for b in m.content] == ["text"]
    block = m.content[0]
    assert block.type == "text"
    return block.text


def _check_answer(text: str, model: str) -> None:
    assert text.startswith(ANSWER_HEAD), text
    answer = text[len(ANSWER_HEAD) :]
    assert answer.startswith(f'[{model}] Based on the tool results: word_count returned "7"; search_web returned ')
    assert f'search_web returned "{OBSERVATIONS["search_web"]}"; fetch_page returned "def fibonacci(n): Action - loop return a".' in answer
    assert "Action:" not in answer


def test_openai_react_loop_calls_each_mentioned_tool_then_answers(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TASK}]
    seen: list[str] = []
    for _ in range(3):
        text = _oai_text(oai, msgs)
        name, args = _action(text)
        seen.append(name)
        assert set(args) == set(TOOL_SCHEMAS[name]["required"])
        msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": f"Observation: {OBSERVATIONS[name]}"}]
    assert seen == ["word_count", "search_web", "fetch_page"]  # order of first mention, one per turn
    assert 5 <= _action(_oai_text(oai, msgs[:2]))[1]["limit"] <= 9
    query = _action(_oai_text(oai, msgs[:4]))[1]["query"]
    assert query and set(query.split()) <= set(re.findall(r"[a-z]+", TASK))  # synthesized from the task's words
    assert _action(_oai_text(oai, msgs[:6]))[1]["url"].startswith("https://example.com/")
    _check_answer(_oai_text(oai, msgs), "gpt-4.1-mini")


def test_openai_react_is_deterministic_and_streams_the_same_text(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": TASK}]
    first = oai.chat.completions.create(model="gpt-4.1", messages=msgs)
    again = oai.chat.completions.create(model="gpt-4.1", messages=msgs)
    assert first.choices[0].message.content == again.choices[0].message.content and first.usage == again.usage
    chunks = list(oai.chat.completions.create(model="gpt-4.1", messages=msgs, stream=True, stream_options={"include_usage": True}))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 3 and "".join(pieces) == first.choices[0].message.content
    assert chunks[-1].usage == first.usage and first.usage is not None and first.usage.completion_tokens > 1
    done = msgs + [
        {"role": "assistant", "content": f"Thought: x\nAction: {name}\nAction Input: {{}}"} for name in TOOL_SCHEMAS
    ]
    full = oai.chat.completions.create(model="gpt-4.1", messages=done)
    streamed = list(oai.chat.completions.create(model="gpt-4.1", messages=done, stream=True, stream_options={"include_usage": True}))
    text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
    assert text == full.choices[0].message.content and text.startswith(ANSWER_HEAD + "[gpt-4.1] ")
    assert streamed[-1].usage == full.usage


def test_openai_react_task_is_the_newest_non_observation_user_message(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "search_web for cats"},
        {"role": "assistant", "content": "Thought: t\nAction: search_web\nAction Input: {\"query\": \"cats\"}"},
        {"role": "user", "content": "Observation: cats are great"},
        {"role": "assistant", "content": ANSWER_HEAD + "cats."},
        {"role": "user", "content": "Now search_web for dogs and word_count it"},
    ]
    assert _action(_oai_text(oai, msgs))[0] == "search_web"  # the earlier call was for an older task
    msgs += [
        {"role": "assistant", "content": "Thought: t\nAction: search_web\nAction Input: {\"query\": \"dogs\"}"},
        {"role": "user", "content": "Observation: dogs are loyal"},
    ]
    assert _action(_oai_text(oai, msgs))[0] == "word_count"


def test_openai_react_without_mentioned_tools_answers_directly(oai: openai.OpenAI) -> None:
    msgs: list[Any] = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Tell me about green tea in Japan"}]
    text = _oai_text(oai, msgs)
    assert text.startswith(ANSWER_HEAD + "[gpt-4.1-mini] On ") and "tea" in text
    assert "Action:" not in text[len(ANSWER_HEAD) :]


def test_openai_react_trigger_needs_the_format_and_no_bound_tools(oai: openai.OpenAI) -> None:
    listing_only = SYSTEM.split("## Output Format")[0]
    plain = _oai_text(oai, [{"role": "system", "content": listing_only}, {"role": "user", "content": TASK}])
    assert plain.startswith("[gpt-4.1-mini] ")
    bound = oai.chat.completions.create(
        model="gpt-4.1-mini", messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Use get_time for Tokyo"}],
        tools=OPENAI_TOOLS,
    )
    calls = bound.choices[0].message.tool_calls
    assert calls is not None and calls[0].type == "function" and calls[0].function.name == "get_time"
    dev = _oai_text(oai, [{"role": "developer", "content": SYSTEM}, {"role": "user", "content": TASK}])
    assert _action(dev)[0] == "word_count"


def test_anthropic_react_loop_and_answer(claude: anthropic.Anthropic) -> None:
    msgs: list[Any] = [{"role": "user", "content": TASK}]
    seen: list[str] = []
    for _ in range(3):
        text = _claude_text(claude, msgs)
        name, args = _action(text)
        seen.append(name)
        assert set(args) == set(TOOL_SCHEMAS[name]["required"])
        msgs += [{"role": "assistant", "content": text}, {"role": "user", "content": f"Observation: {OBSERVATIONS[name]}"}]
    assert seen == ["word_count", "search_web", "fetch_page"]
    _check_answer(_claude_text(claude, msgs), "claude-haiku-4-5")
    # the system prompt may also come as text blocks
    blocks = [{"type": "text", "text": "Be helpful."}, {"type": "text", "text": SYSTEM}]
    assert _action(_claude_text(claude, msgs[:1], system=blocks))[0] == "word_count"
    assert _claude_text(claude, msgs[:1], system="Be helpful.").startswith("[claude-haiku-4-5] ")


def test_anthropic_react_stream_matches(claude: anthropic.Anthropic) -> None:
    cases: list[list[Any]] = [
        [{"role": "user", "content": TASK}],
        [{"role": "user", "content": "search_web for cats"},
         {"role": "assistant", "content": "Thought: t\nAction: search_web\nAction Input: {\"query\": \"cats\"}"},
         {"role": "user", "content": "Observation: cats are great"}],
    ]
    text = ""
    for msgs in cases:
        text = _claude_text(claude, msgs)
        full = claude.messages.create(model="claude-haiku-4-5", max_tokens=1000, system=SYSTEM, messages=msgs)
        events = list(claude.messages.create(model="claude-haiku-4-5", max_tokens=1000, system=SYSTEM, messages=msgs, stream=True))
        deltas = [e.delta.text for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"]
        assert len(deltas) > 3 and "".join(deltas) == text
        tail = [e.usage.output_tokens for e in events if e.type == "message_delta"]
        assert tail == [full.usage.output_tokens] and full.usage.output_tokens > 1
    assert text.startswith(ANSWER_HEAD + '[claude-haiku-4-5] Based on the tool results: search_web returned "cats are great".')
