"""The research loop behind `routed-llm demo`: plan, search, read, extract, summarize, answer.

It drives the core Router directly (the examples/ folder has the same loop on LangChain and
LlamaIndex agents). Every phase is a user turn in one session, so the provider pin holds and each
step is routed to the model of that provider that fits its task.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from routed_llm.demo.corpus import fetch, search
from routed_llm.messages import Message, Request, ToolCall, ToolSpec
from routed_llm.response import Response

QUESTION = "Is grid battery storage ready to replace gas peaker plants?"
TOPIC = "grid battery storage costs, safety and duration"

PHASES: tuple[tuple[str, str], ...] = (
    ("plan", "I need a short research brief on this question: {question} Before we look anything up, "
             "plan the research: which sub-questions must be answered, in what order, and why does "
             "that order make sense? Think it through step by step."),
    ("search", "Use search to find sources in our library on {topic}."),
    ("read", "Use fetch to read the most relevant source about battery cost outlook to 2030."),
    ("read", "Use fetch to read the source about the Moss Landing fire and battery safety."),
    ("extract", "From the pages above, extract every figure (prices in $/kWh, capacities in GW or GWh, "
                "percentages, dates) as a JSON list of objects with the keys fact, value and source id."),
    ("summarize", "Summarize what the sources say about cost and safety in five bullet points, one line each."),
    ("answer", "Now answer the question '{question}' in three short paragraphs: weigh the evidence for "
               "and against, reason about what would have to change, and cite sources by id."),
)

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "search",
        "Search the research library. Returns the top documents as id, title and snippet.",
        {"type": "object", "properties": {"query": {"type": "string", "description": "what to look for"}},
         "required": ["query"]},
    ),
    ToolSpec(
        "fetch",
        "Fetch the full text of one document of the research library by its id (or title).",
        {"type": "object", "properties": {"doc_id": {"type": "string", "description": "a document id from search"}},
         "required": ["doc_id"]},
    ),
)

ToolFunctions = Mapping[str, Callable[..., Any]]
DEFAULT_TOOLS: ToolFunctions = {"search": search, "fetch": fetch}


@dataclass(frozen=True, slots=True)
class StepResult:
    phase: str
    response: Response


def run_tool(functions: ToolFunctions, call: ToolCall) -> tuple[str, bool]:
    """Run one tool call; an unknown tool or a failing tool becomes an error result, not a crash."""
    fn = functions.get(call.name)
    if fn is None:
        return f"error: unknown tool {call.name!r}", True
    try:
        result = fn(**dict(call.arguments))
    except Exception as exc:
        return f"error: {type(exc).__name__}: {exc}", True
    return (result if isinstance(result, str) else json.dumps(result, ensure_ascii=False)), False


def research_steps(
    invoke: Callable[[Request], Response],
    *,
    session_id: str = "demo-research",
    question: str = QUESTION,
    topic: str = TOPIC,
    tools: ToolFunctions = DEFAULT_TOOLS,
    max_tool_rounds: int = 4,
) -> Iterator[StepResult]:
    """Run every phase; yield each model step as it completes."""
    history: list[Message] = [
        Message.system("You are a careful research assistant. Use the tools to read sources before "
                       "making claims, and cite document ids.")
    ]
    for phase, template in PHASES:
        history.append(Message.user(template.format(question=question, topic=topic)))
        for _ in range(max_tool_rounds + 1):
            response = invoke(Request(tuple(history), tools=TOOLS, session_id=session_id))
            yield StepResult(phase, response)
            history.append(response.message)
            if not response.message.tool_calls:
                break
            for call in response.message.tool_calls:
                content, is_error = run_tool(tools, call)
                history.append(Message.tool(call.id, content, is_error=is_error, name=call.name))
