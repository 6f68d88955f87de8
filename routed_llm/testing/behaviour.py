"""What the emulated model answers: tool calls, text, thinking, all deterministic given the request.

Tool rule: with tools bound and ``tool_choice`` not none, the model calls the tools whose names
appear (case-insensitive, as whole words) in the newest user message, in order of first
appearance, one per turn, skipping those already called since that message; when that message
contains the word "parallel" (and parallel calls are allowed) it calls all remaining ones at once.
``required``/``any`` forces at least one call (the next mentioned tool, else the first mentioned,
else the first tool); a named choice calls that tool. With no mentioned tool left it answers in
text that summarizes the tool results since the user message.

Text: ``"[<model>] "`` followed by sentences on the user's topic, 20-150 tokens (150-400 when the
prompt asks to write/explain/describe...), chosen by a hash of (model, conversation).

ReAct text mode (LlamaIndex's ``ReActAgent`` and the like): with no tools bound and a system message
listing ``> Tool Name: X`` / ``Tool Args: {schema}`` lines and mentioning ``Action Input:``, the same
tool rule applies to the task (the newest user message not starting ``Observation:``), one tool per
turn, skipping those named by ``Action: X`` lines in assistant messages since the task. The model
then answers in text ``Thought: ...\nAction: X\nAction Input: {json}``; with no mentioned tool left,
``Thought: ...\nAnswer: [<model>] ...`` summarizing the ``Observation:`` messages since the task.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from routed_llm.testing.conversation import Conversation, ToolCall, ToolDef, Turn
from routed_llm.testing.models import EmulatedModel
from routed_llm.testing.schema import Synthesizer, content_words, dumps, key_phrases, prompt_assignments
from routed_llm.tokens import estimate_text_tokens

REDACTED_MAGIC = "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253"
_LONG = re.compile(r"\b(write|explain|describe|essay|detailed|elaborate|story|report|in depth)\b", re.I)
_PARALLEL = re.compile(r"\bparallel\b", re.I)
_REACT_TOOL = re.compile(r"^> Tool Name: (\S+)$", re.M)
_REACT_ARGS = re.compile(r"^Tool Args: (\{.*\})$", re.M)
_REACT_ACTION = re.compile(r"^Action: (\S+)", re.M)
_OBSERVATION = "Observation:"
REACT_ACTION_THOUGHT = "Thought: I need to use a tool to help me answer the question."
REACT_ANSWER_THOUGHT = "Thought: I can answer without using any more tools. I'll use the user's language to answer"

_SENTENCES = (
    "Here is a short answer about {topic}.",
    "The key point is that the details depend on the context you are working in.",
    "In practice, {topic} is easiest to reason about one step at a time.",
    "A common mistake is to skip checking the assumptions first.",
    "If you need more depth, I can expand on any part of this.",
    "Most sources agree on the basics of {topic}, even where they differ on the details.",
    "It helps to start from a concrete example and generalise from there.",
    "The trade-offs are mostly about cost, speed and accuracy.",
    "A simple approach usually works well before anything more elaborate.",
    "One useful way to frame {topic} is in terms of inputs, outputs and constraints.",
    "Keep in mind that this can change over time, so verify anything that matters.",
    "To summarise: start simple, measure, then refine.",
)
_THOUGHTS = (
    "The user is asking about {topic}.",
    "Let me consider what matters most here.",
    "I should check the assumptions before answering.",
    "There are a few angles on {topic}: definitions, examples and trade-offs.",
    "A concise answer will serve best here.",
    "I will structure the reply around the main points.",
)
_EFFORT_RANGE = {"low": (20, 60), "medium": (40, 160), "high": (100, 300), "xhigh": (150, 400)}


@dataclass(slots=True)
class Output:
    text: str | None = None
    thinking: str | None = None
    redacted: bool = False
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish: Literal["stop", "length", "tool_calls"] = "stop"
    stop_sequence: str | None = None
    output_tokens: int = 1
    reasoning_tokens: int = 0
    malformed: bool = False


def _newest_user(turns: Sequence[Turn]) -> int | None:
    for i in range(len(turns) - 1, -1, -1):
        if turns[i].role == "user" and turns[i].user_text:
            return i
    return None


def mentioned_tools(text: str, names: Sequence[str]) -> list[str]:
    """Tool names found in ``text`` as whole words, in order of first appearance."""
    found: list[tuple[int, str]] = []
    for name in names:
        m = re.search(r"(?<![A-Za-z0-9_-])" + re.escape(name) + r"(?![A-Za-z0-9_-])", text, re.I)
        if m:
            found.append((m.start(), name))
    return [n for _, n in sorted(found)]


def choose_tools(conv: Conversation) -> list[str]:
    if not conv.tools or conv.tool_choice.mode == "none":
        return []
    if conv.tool_choice.mode == "tool" and conv.tool_choice.name:
        return [conv.tool_choice.name]
    names = [t.name for t in conv.tools]
    idx = _newest_user(conv.turns)
    user = conv.turns[idx].text if idx is not None else ""
    after = conv.turns[idx + 1 :] if idx is not None else conv.turns
    called = {c.name for t in after for c in t.tool_calls}
    mentioned = mentioned_tools(user, names)
    remaining = [n for n in mentioned if n not in called]
    if remaining:
        return remaining if (conv.parallel and _PARALLEL.search(user)) else remaining[:1]
    if conv.tool_choice.mode == "required":
        return [mentioned[0] if mentioned else names[0]]
    return []


def _topic(words: Sequence[str]) -> str:
    return " ".join(words[:6]) if words else "your question"


def _fill(templates: Sequence[str], topic: str, rng: random.Random, target: int, head: str) -> str:
    parts = [head] if head else []
    order = list(templates)
    rng.shuffle(order)
    i = 0
    while estimate_text_tokens(" ".join(parts)) < target:
        parts.append(order[i % len(order)].format(topic=topic))
        i += 1
    return " ".join(parts)


def _summary(results: Sequence[tuple[str, str]]) -> str:
    if not results:
        return ""
    bits = []
    for name, content in results:
        snippet = " ".join(content.split())
        snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
        bits.append(f'{name} returned "{snippet}"')
    return "Based on the tool results: " + "; ".join(bits) + "."


def _tool_summary(conv: Conversation, idx: int | None) -> str:
    names = {c.id: c.name for t in conv.turns for c in t.tool_calls}
    after = conv.turns[idx + 1 :] if idx is not None else conv.turns
    return _summary([(names.get(cid, "a tool"), content) for t in after for cid, content in t.tool_results])


# -------------------------------------------------------------------------------------------- ReAct


@dataclass(frozen=True, slots=True)
class ReactPrompt:
    """A ReAct-style request: the tools its system prompt lists, and where its task is."""

    tools: list[ToolDef]
    task: int | None


def _react_tools(text: str) -> list[ToolDef]:
    names = list(_REACT_TOOL.finditer(text))
    tools: list[ToolDef] = []
    for k, m in enumerate(names):
        end = names[k + 1].start() if k + 1 < len(names) else len(text)
        args = _REACT_ARGS.search(text, m.end(), end)
        schema: Any = {}
        if args:
            try:
                schema = json.loads(args.group(1))
            except ValueError:
                schema = {}
        tools.append(ToolDef(m.group(1), "", schema if isinstance(schema, Mapping) else {}))
    return tools


def _is_observation(turn: Turn) -> bool:
    return turn.role == "user" and turn.text.lstrip().startswith(_OBSERVATION)


def react_prompt(conv: Conversation) -> ReactPrompt | None:
    """The ReAct reading of ``conv``, or None when it is not a ReAct-style request."""
    if conv.tools:
        return None
    systems = [*conv.system, *(t.text for t in conv.turns if t.role == "system")]
    tools: dict[str, ToolDef] = {}
    for text in systems:
        if "Action Input:" in text and _REACT_TOOL.search(text):
            for tool in _react_tools(text):
                tools.setdefault(tool.name, tool)
    if not tools:
        return None
    task = next(
        (i for i in range(len(conv.turns) - 1, -1, -1)
         if conv.turns[i].role == "user" and conv.turns[i].user_text and not _is_observation(conv.turns[i])),
        None,
    )
    return ReactPrompt(list(tools.values()), task)


def _react_steps(conv: Conversation, task: int | None) -> tuple[set[str], list[tuple[str, str]]]:
    """Tools already called since the task (``Action:`` lines), and (tool, observation) pairs."""
    called: set[str] = set()
    pending: list[str] = []
    results: list[tuple[str, str]] = []
    for turn in conv.turns[task + 1 :] if task is not None else conv.turns:
        if turn.role == "assistant":
            actions = _REACT_ACTION.findall(turn.text)
            called.update(actions)
            pending.extend(actions)
        elif _is_observation(turn):
            text = turn.text.lstrip()[len(_OBSERVATION) :].strip()
            results.append((pending.pop(0) if pending else "a tool", text))
    return called, results


def _react_text(conv: Conversation, model: EmulatedModel, react: ReactPrompt, rng: random.Random) -> str:
    task = conv.turns[react.task].text if react.task is not None else ""
    names = [t.name for t in react.tools]
    tool_names = frozenset(names)
    words = content_words(task, tool_names)
    called, results = _react_steps(conv, react.task)
    remaining = [n for n in mentioned_tools(task, names) if n not in called]
    if remaining:
        name = remaining[0]
        schema = next(t.schema for t in react.tools if t.name == name)
        synth = Synthesizer(schema, seed=conv.seed + name.encode(), words=words, assignments=prompt_assignments(task),
                            all_properties=False, phrases=key_phrases(task, tool_names))
        value = synth.value()
        args = json.dumps(value if isinstance(value, dict) else {}, ensure_ascii=False)
        return f"{REACT_ACTION_THOUGHT}\nAction: {name}\nAction Input: {args}"
    topic = _topic(words)
    target = rng.randint(150, 400) if _LONG.search(task) else rng.randint(20, 150)
    head = f"[{model.name}]"
    summary = _summary(results)
    if summary:
        head += " " + summary
    elif words:
        head += f" On {topic}:"
    answer = _fill(_SENTENCES, topic, rng, target, head).replace("Action:", "Action -")
    return f"{REACT_ANSWER_THOUGHT}\nAnswer: {answer}"


def _truncate(text: str, tokens: int) -> str:
    return text.encode("utf-8")[: max(0, tokens) * 4].decode("utf-8", "ignore")


def plan(
    conv: Conversation,
    model: EmulatedModel,
    *,
    issue_id: Callable[[int], str],
    malformed: bool = False,
) -> Output:
    """The model's answer to ``conv``; ``issue_id(i)`` mints the id of the i-th tool call."""
    rng = random.Random(hashlib.sha256(model.name.encode() + conv.seed).digest())
    idx = _newest_user(conv.turns)
    user = conv.turns[idx].text if idx is not None else ""
    tool_names = frozenset(t.name for t in conv.tools)
    words = content_words(user, tool_names)
    topic = _topic(words)
    out = Output()

    think_target = 0
    if conv.thinking_budget is not None:
        think_target = min(conv.thinking_budget, rng.randint(40, 200))
    elif model.wire == "openai" and model.reasoning and conv.reasoning_effort not in ("none", "minimal"):
        lo, hi = _EFFORT_RANGE.get(conv.reasoning_effort or "medium", (40, 160))
        think_target = rng.randint(lo, hi)
    if think_target:
        out.thinking = _fill(_THOUGHTS, topic, rng, think_target, "")
        out.redacted = conv.redacted_trigger
    limit = conv.max_tokens if conv.max_tokens is not None else model.max_output_tokens
    think_tokens = estimate_text_tokens(out.thinking or "")
    if out.thinking is not None and think_tokens > limit:
        out.thinking = _truncate(out.thinking, limit)
        think_tokens = estimate_text_tokens(out.thinking)

    react = react_prompt(conv) if conv.response_format is None else None
    calls = choose_tools(conv)
    if react is not None:
        out.text = _react_text(conv, model, react, rng)
    elif calls:
        by_name = {t.name: t for t in conv.tools}
        kv = prompt_assignments(user)
        for i, name in enumerate(calls):
            schema = by_name[name].schema
            synth = Synthesizer(schema, seed=conv.seed + name.encode(), words=words, assignments=kv,
                                all_properties=False, phrases=key_phrases(user, tool_names))
            value = synth.value()
            args = dumps(value if isinstance(value, dict) else {})
            if malformed:
                args = args[:-1] + ",,}"
            out.tool_calls.append(ToolCall(issue_id(i), name, args))
        out.finish = "tool_calls"
        out.malformed = malformed
    elif conv.response_format is not None:
        out.text = _json_answer(conv, model, words, user)
    else:
        long = bool(_LONG.search(user))
        target = rng.randint(150, 400) if long else rng.randint(20, 150)
        head = f"[{model.name}]"
        summary = _tool_summary(conv, idx)
        if summary:
            head += " " + summary
        elif words:
            head += f" On {topic}:"
        out.text = _fill(_SENTENCES, topic, rng, target, head)

    if out.text is not None:
        text = out.text
        hits = [(text.find(s), s) for s in conv.stop if s and s in text]
        if hits:
            pos, stop = min(hits)
            out.text, out.stop_sequence = text[:pos], stop
        remain = limit - think_tokens
        if remain <= 0:
            out.text, out.finish, out.stop_sequence = None, "length", None
        elif estimate_text_tokens(out.text) > remain:
            out.text, out.finish, out.stop_sequence = _truncate(out.text, remain), "length", None
    out.reasoning_tokens = think_tokens
    tool_tokens = sum(estimate_text_tokens(c.name) + estimate_text_tokens(c.arguments) for c in out.tool_calls)
    out.output_tokens = max(1, think_tokens + estimate_text_tokens(out.text or "") + tool_tokens)
    return out


def _json_answer(conv: Conversation, model: EmulatedModel, words: Sequence[str], user: str) -> str:
    fmt = conv.response_format
    assert fmt is not None
    if fmt.kind == "json_object" or fmt.schema is None:
        return json.dumps({"model": model.name, "answer": f"[{model.name}] On {_topic(words)}."})
    synth = Synthesizer(fmt.schema, seed=conv.seed, words=words, assignments=prompt_assignments(user),
                        all_properties=True, phrases=key_phrases(user))
    return json.dumps(synth.value(), ensure_ascii=False)
