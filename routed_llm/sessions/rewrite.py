"""Pure rewriting of requests and responses between caller ids and provider ids, and the
reasoning-block / thinking rules. No I/O: the manager fetches the id map and calls these."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from routed_llm.catalog import ModelSpec, Wire
from routed_llm.errors import InvalidRequestError
from routed_llm.messages import Message, ProviderResponse, ReasoningPart, Request, ToolCall
from routed_llm.sessions.ids import derived_id


def request_ids(request: Request) -> list[str]:
    """Every tool-call id the request mentions (calls and results), first occurrence order."""
    seen: dict[str, None] = {}
    for message in request.messages:
        for call in message.tool_calls:
            seen.setdefault(call.id, None)
        if message.tool_call_id is not None:
            seen.setdefault(message.tool_call_id, None)
    return list(seen)


def response_ids(response: ProviderResponse) -> list[str]:
    return list(dict.fromkeys(call.id for call in response.message.tool_calls))


def has_open_tool_loop(messages: Sequence[Message]) -> bool:
    """True when some assistant tool call has no tool result in ``messages``."""
    answered = {m.tool_call_id for m in messages if m.role == "tool"}
    return any(call.id not in answered for m in messages for call in m.tool_calls)


def is_new_user_turn(messages: Sequence[Message]) -> bool:
    """The newest message is a user message and no tool loop is open."""
    return bool(messages) and messages[-1].role == "user" and not has_open_tool_loop(messages)


def keeps_reasoning(part: ReasoningPart, model: ModelSpec, wire: Wire) -> bool:
    """A reasoning block goes back only to the model that produced it; an anthropic-wire model
    also needs it signed (or redacted with its payload), else it would refuse it."""
    if part.provider != model.provider or part.model not in (model.name, model.wire_name):
        return False
    if wire == "anthropic":
        return bool(part.data) if part.redacted else bool(part.signature)
    return True


def _id_translator(
    session_id: str, request: Request, model: ModelSpec, known: Mapping[str, tuple[str, str]]
) -> Callable[[str], str]:
    own_calls = {call.id for m in request.messages for call in m.tool_calls}
    for i, message in enumerate(request.messages):
        tid = message.tool_call_id
        if message.role == "tool" and tid is not None and tid not in known and tid not in own_calls:
            raise InvalidRequestError(
                f"messages[{i}] answers tool call {tid!r}, which this session never issued and no "
                "assistant message of the request makes; pass the id the router returned",
                field=f"messages[{i}].tool_call_id",
            )
    cache: dict[str, str] = {}

    def translate(caller_id: str) -> str:
        out = cache.get(caller_id)
        if out is None:
            entry = known.get(caller_id)
            if entry is None:
                # not ours (written by the caller, or its mapping expired): a stable stand-in that
                # every provider accepts and none issued
                out = derived_id(session_id, caller_id)
            elif entry[0] == model.provider:
                out = entry[1]  # this provider issued it: its own id
            else:
                out = caller_id  # issued elsewhere: the caller id, valid everywhere, issued by nobody
            cache[caller_id] = out
        return out

    return translate


def _last_assistant(messages: Sequence[Message]) -> Message | None:
    for message in reversed(messages):
        if message.role == "assistant":
            return message
    return None


def rewrite_request(
    session_id: str,
    request: Request,
    model: ModelSpec,
    wire: Wire,
    known: Mapping[str, tuple[str, str]],
) -> Request:
    """``request`` as ``model`` must receive it: ids in ``model.provider``'s terms, reasoning
    blocks only for their own model, thinking off when the history would be refused with it."""
    translate = _id_translator(session_id, request, model, known)
    messages: list[Message] = []
    for message in request.messages:
        calls = message.tool_calls
        if calls:
            calls = tuple(call if translate(call.id) == call.id else _call_with_id(call, translate(call.id))
                          for call in calls)
        tid = message.tool_call_id
        if tid is not None:
            tid = translate(tid)
        content = message.content
        if any(isinstance(p, ReasoningPart) for p in content):
            content = tuple(p for p in content if not isinstance(p, ReasoningPart) or keeps_reasoning(p, model, wire))
        if tid != message.tool_call_id or len(content) != len(message.content) or any(
            a is not b for a, b in zip(calls, message.tool_calls, strict=True)
        ):
            message = Message(message.role, content, calls, tid, message.is_error, message.name)
        messages.append(message)
    thinking = request.thinking
    if thinking is not None and wire == "anthropic" and "reasoning" in model.capabilities:
        last = _last_assistant(messages)
        if last is not None and last.tool_calls and not last.reasoning:
            # Anthropic (and the emulator) refuse thinking when the final assistant message is a
            # tool_use turn without a thinking block this model signed: switch thinking off, and
            # then send no thinking block at all
            thinking = None
            messages = [_without_reasoning(m) for m in messages]
    if thinking is request.thinking and all(a is b for a, b in zip(messages, request.messages, strict=True)):
        return request  # nothing to rewrite (most steps): no copy
    return replace(request, messages=tuple(messages), thinking=thinking)


# Direct constructors instead of dataclasses.replace (5x faster on the per-step path); the field
# lists are pinned by tests/sessions/test_prepare_commit.py::test_rewrite_knows_every_field.
MESSAGE_FIELDS = ("role", "content", "tool_calls", "tool_call_id", "is_error", "name")
TOOL_CALL_FIELDS = ("id", "name", "arguments", "raw_arguments")


def _call_with_id(call: ToolCall, call_id: str) -> ToolCall:
    return ToolCall(call_id, call.name, call.arguments, call.raw_arguments)


def _without_reasoning(message: Message) -> Message:
    if not any(isinstance(p, ReasoningPart) for p in message.content):
        return message
    return replace(message, content=tuple(p for p in message.content if not isinstance(p, ReasoningPart)))


def rewrite_response(response: ProviderResponse, caller_ids: Mapping[str, str]) -> ProviderResponse:
    """``response`` with each provider tool-call id replaced by its caller id."""
    calls = response.message.tool_calls
    if not calls:
        return response
    new_calls = tuple(_call_with_id(call, caller_ids[call.id]) for call in calls)
    return replace(response, message=replace(response.message, tool_calls=new_calls))
