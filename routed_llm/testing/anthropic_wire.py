"""Anthropic Messages: request validation into a Conversation, and the response shapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from routed_llm.testing.behaviour import REDACTED_MAGIC, Output
from routed_llm.testing.caching import CacheUse
from routed_llm.testing.conversation import (
    Conversation,
    ResponseFormat,
    Segment,
    ToolCall,
    ToolChoice,
    ToolDef,
    Turn,
    canonical,
    image_problem,
    seed_of,
)
from routed_llm.testing.errors import WireError, bad_request
from routed_llm.testing.ids import IdRegistry
from routed_llm.testing.models import EmulatedModel
from routed_llm.testing.schema import schema_problem
from routed_llm.testing.signing import Signer
from routed_llm.testing.sse import Frame, sse
from routed_llm.tokens import IMAGE_TOKENS, MESSAGE_OVERHEAD_TOKENS, estimate_text_tokens

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
THINKING_DOCS = "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
MISSING_THINKING = (
    "Expected `thinking` or `redacted_thinking`, but found `{found}`. When `thinking` is enabled, a final "
    "`assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and "
    "`tool_result` blocks). We recommend you include thinking blocks from previous turns. To avoid this "
    "requirement, disable `thinking`. Please consult our documentation at " + THINKING_DOCS
)
_USER_BLOCKS = frozenset({"text", "image", "document", "tool_result"})
_ASSISTANT_BLOCKS = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})


def _bad(message: str) -> WireError:
    return bad_request(message)


@dataclass(slots=True)
class _State:
    segments: list[Segment] = field(default_factory=list)
    breakpoints: int = 0


def _cache_control(block: Mapping[str, Any], where: str, state: _State) -> bool:
    cc = block.get("cache_control")
    if cc is None:
        return False
    if not isinstance(cc, Mapping) or cc.get("type") != "ephemeral":
        raise _bad(f"{where}.cache_control.type: Input should be 'ephemeral'")
    state.breakpoints += 1
    return True


def _add(state: _State, block: Mapping[str, Any], tokens: int, where: str, *, prefix: Any = None) -> None:
    key_block = {k: v for k, v in block.items() if k != "cache_control"}
    bp = _cache_control(block, where, state)
    state.segments.append(Segment(canonical([prefix, key_block]), tokens, breakpoint=bp))


def _image_tokens(block: Mapping[str, Any], where: str, model: EmulatedModel) -> int:
    if not model.vision:
        raise _bad(f"{where}: model {model.name} does not support image input")
    src = block.get("source")
    if not isinstance(src, Mapping):
        raise _bad(f"{where}.source: Field required")
    if src.get("type") == "base64":
        media, data = src.get("media_type"), src.get("data")
        if not isinstance(media, str) or not isinstance(data, str):
            raise _bad(f"{where}.source.base64: media_type and data are required")
        problem = image_problem(media, data)
        if problem:
            raise _bad(f"{where}.source.base64.data: {problem}")
    elif src.get("type") == "url":
        if not isinstance(src.get("url"), str) or not src["url"].startswith(("http://", "https://")):
            raise _bad(f"{where}.source.url: must be an http(s) URL")
    else:
        raise _bad(f"{where}.source.type: Input should be 'base64' or 'url'")
    return IMAGE_TOKENS


def _text_block(block: Mapping[str, Any], where: str) -> str:
    text = block.get("text")
    if not isinstance(text, str):
        raise _bad(f"{where}.text: Field required")
    if not text:
        raise _bad("messages: text content blocks must be non-empty")
    return text


def _tool_result(block: Mapping[str, Any], where: str, model: EmulatedModel) -> tuple[str, int]:
    content = block.get("content", "")
    if isinstance(content, str):
        return content, estimate_text_tokens(content)
    if not isinstance(content, list):
        raise _bad(f"{where}.content: Input should be a valid string or list of content blocks")
    texts: list[str] = []
    tokens = 0
    for k, sub in enumerate(content):
        sw = f"{where}.content.{k}"
        if not isinstance(sub, Mapping):
            raise _bad(f"{sw}: Input should be an object")
        if sub.get("type") == "text":
            texts.append(_text_block(sub, sw))
            tokens += estimate_text_tokens(texts[-1])
        elif sub.get("type") == "image":
            tokens += _image_tokens(sub, sw, model)
        else:
            raise _bad(f"{sw}.type: Input tag {sub.get('type')!r} does not match any of the expected tags: 'text', 'image'")
    return "\n".join(texts), tokens


def _tools(raw: Any, state: _State, model: EmulatedModel) -> list[ToolDef]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _bad("tools: Input should be a valid list")
    if raw and not model.tools:
        raise _bad(f"tools: model {model.name} does not support tool use")
    tools: list[ToolDef] = []
    for i, tool in enumerate(raw):
        where = f"tools.{i}"
        if not isinstance(tool, Mapping):
            raise _bad(f"{where}: Input should be an object")
        if tool.get("type") not in (None, "custom"):
            raise _bad(f"{where}.type: the emulator supports only custom (client) tools, not {tool.get('type')!r}")
        name = tool.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name):
            raise _bad(f"{where}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{{1,128}}$'")
        if any(t.name == name for t in tools):
            raise _bad("tools: Tool names must be unique.")
        schema = tool.get("input_schema")
        if not isinstance(schema, Mapping):
            raise _bad(f"{where}.custom.input_schema: Field required")
        if schema.get("type") != "object":
            raise _bad(f"{where}.custom.input_schema.type: Input should be 'object'")
        problem = schema_problem(schema)
        if problem:
            raise _bad(f"{where}.custom.input_schema: JSON schema is invalid - please consult https://json-schema.org or our documentation at https://docs.anthropic.com/en/docs/tool-use ({problem})")
        desc = tool.get("description") or ""
        tools.append(ToolDef(name, str(desc), schema))
        tokens = estimate_text_tokens(name) + estimate_text_tokens(str(desc)) + estimate_text_tokens(canonical(schema).decode())
        _add(state, tool, tokens, where, prefix="tool")
    return tools


def _tool_choice(raw: Any, tools: Sequence[ToolDef]) -> tuple[ToolChoice, bool]:
    if raw is None:
        return ToolChoice("auto"), True
    if not isinstance(raw, Mapping) or raw.get("type") not in ("auto", "any", "tool", "none"):
        raise _bad("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    parallel = raw.get("disable_parallel_tool_use") is not True
    kind = raw["type"]
    if kind in ("any", "tool") and not tools:
        raise _bad("tool_choice: tool_choice may only be specified while providing tools")
    if kind == "tool":
        name = raw.get("name")
        if not any(t.name == name for t in tools):
            raise _bad(f"tool_choice.tool.name: Tool '{name}' not found in provided tools")
        return ToolChoice("tool", str(name)), parallel
    return ToolChoice({"auto": "auto", "any": "required", "none": "none"}[kind]), parallel  # type: ignore[arg-type]


def _thinking(body: Mapping[str, Any], model: EmulatedModel, max_tokens: int) -> tuple[int | None, bool]:
    raw = body.get("thinking")
    if raw is None:
        return None, False
    if not isinstance(raw, Mapping) or raw.get("type") not in ("enabled", "disabled", "adaptive"):
        raise _bad("thinking.type: Input should be 'enabled', 'disabled' or 'adaptive'")
    if raw["type"] == "disabled":
        return None, False
    if not model.reasoning:
        raise _bad(f"thinking: `{model.name}` does not support thinking; remove `thinking` or choose a model that supports extended thinking")
    omitted = raw.get("display") == "omitted"
    if raw["type"] == "adaptive":
        return max(1, max_tokens // 2), omitted
    budget = raw.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int):
        raise _bad("thinking.enabled.budget_tokens: Field required")
    if budget < 1024:
        raise _bad("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
    if max_tokens <= budget:
        raise _bad(f"`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at {THINKING_DOCS}#max-tokens-and-context-window-size")
    if body.get("temperature") not in (None, 1, 1.0):
        raise _bad(f"`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at {THINKING_DOCS}#important-considerations-when-using-extended-thinking")
    return budget, omitted


def _output_format(body: Mapping[str, Any], model: EmulatedModel) -> tuple[ResponseFormat | None, int]:
    cfg = body.get("output_config")
    fmt = cfg.get("format") if isinstance(cfg, Mapping) else None
    if fmt is None:
        return None, 0
    if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema" or not isinstance(fmt.get("schema"), Mapping):
        raise _bad("output_config.format: expected {'type': 'json_schema', 'schema': {...}}")
    if not model.json_schema:
        raise _bad(f"output_config.format: model {model.name} does not support structured outputs")
    problem = schema_problem(fmt["schema"])
    if problem:
        raise _bad(f"output_config.format.schema: JSON schema is invalid ({problem})")
    return ResponseFormat("json_schema", fmt["schema"]), estimate_text_tokens(canonical(fmt["schema"]).decode())


def parse(
    body: Mapping[str, Any], *, provider: str, model: EmulatedModel, registry: IdRegistry, strict: bool, signer: Signer
) -> Conversation:
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        raise _bad("max_tokens: Field required")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise _bad("max_tokens: Input should be a valid integer greater than or equal to 1")
    if max_tokens > model.max_output_tokens:
        raise _bad(f"max_tokens: {max_tokens} > {model.max_output_tokens}, which is the maximum allowed number of output tokens for {model.name}")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _bad("messages: Field required")
    if not messages:
        raise _bad("messages: at least one message is required")
    state = _State()
    tools = _tools(body.get("tools"), state, model)
    choice, parallel = _tool_choice(body.get("tool_choice"), tools)
    budget, omitted = _thinking(body, model, max_tokens)
    if budget is not None and choice.mode in ("required", "tool"):
        raise _bad("Thinking may not be enabled when tool_choice forces tool use.")
    system = _system(body.get("system"), state)
    turns, first_types, positions = _messages(messages, state, provider, model, registry, strict, signer)
    _pairing(turns, positions)
    if budget is not None:
        for turn, first in zip(reversed(turns), reversed(first_types), strict=True):
            if turn.role == "assistant":
                if turn.tool_calls and first not in ("thinking", "redacted_thinking"):
                    raise _bad(f"messages.{turn.index}.content.0.type: " + MISSING_THINKING.format(found=first))
                break
    if state.breakpoints > 4:
        raise _bad(f"A maximum of 4 blocks with cache_control may be provided. Found {state.breakpoints}.")
    response_format, format_tokens = _output_format(body, model)
    if format_tokens:
        state.segments.append(Segment(canonical(["output_format", response_format.schema if response_format else None]), format_tokens, boundary=False))
    stops = body.get("stop_sequences") or []
    newest = next((t for t in reversed(turns) if t.role == "user" and t.user_text), None)
    conv = Conversation(
        model=model.name,
        turns=turns,
        tools=tools,
        tool_choice=choice,
        parallel=parallel,
        max_tokens=max_tokens,
        stream=body.get("stream") is True,
        include_usage=True,
        segments=state.segments,
        seed=seed_of(model.name, body.get("system"), messages, body.get("tools"), body.get("tool_choice"), body.get("output_config")),
        thinking_budget=budget,
        thinking_omitted=omitted,
        response_format=response_format,
        stop=[s for s in stops if isinstance(s, str)] if isinstance(stops, list) else [],
        redacted_trigger=budget is not None and newest is not None and REDACTED_MAGIC in newest.text,
        system=system,
    )
    total = conv.prompt_tokens + max_tokens
    if total > model.context_window:
        raise _bad(f"prompt is too long: {total} tokens > {model.context_window} maximum")
    return conv


def _system(raw: Any, state: _State) -> list[str]:
    """Records the system prompt's segments and returns its text blocks."""
    if raw is None:
        return []
    if isinstance(raw, str):
        if raw:
            _add(state, {"type": "text", "text": raw}, MESSAGE_OVERHEAD_TOKENS + estimate_text_tokens(raw), "system", prefix="system")
        return [raw] if raw else []
    if not isinstance(raw, list):
        raise _bad("system: Input should be a valid string or list of text blocks")
    texts: list[str] = []
    for j, block in enumerate(raw):
        where = f"system.{j}"
        if not isinstance(block, Mapping) or block.get("type") != "text":
            raise _bad(f"{where}.type: Input should be 'text'")
        text = _text_block(block, where)
        texts.append(text)
        _add(state, block, estimate_text_tokens(text) + (MESSAGE_OVERHEAD_TOKENS if j == 0 else 0), where, prefix="system")
    return texts


def _messages(
    messages: list[Any], state: _State, provider: str, model: EmulatedModel, registry: IdRegistry, strict: bool, signer: Signer
) -> tuple[list[Turn], list[str], list[list[int]]]:
    turns: list[Turn] = []
    first_types: list[str] = []
    positions: list[list[int]] = []
    for i, msg in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(msg, Mapping):
            raise _bad(f"{where}: Input should be an object")
        role = msg.get("role")
        if role == "system":
            raise _bad('messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.')
        if role not in ("user", "assistant"):
            raise _bad(f"{where}.role: Input should be 'user' or 'assistant'")
        content = msg.get("content")
        if isinstance(content, str):
            if not content:
                raise _bad("messages: text content blocks must be non-empty")
            blocks: list[Any] = [{"type": "text", "text": content}]
        elif isinstance(content, list):
            if not content:
                raise _bad(f"{where}.content: all messages must have non-empty content except for the optional final assistant message")
            blocks = content
        else:
            raise _bad(f"{where}.content: Input should be a valid string or list of content blocks")
        turn = Turn(role, i)
        result_pos: list[int] = []
        texts: list[str] = []
        allowed = _USER_BLOCKS if role == "user" else _ASSISTANT_BLOCKS
        for j, block in enumerate(blocks):
            bw = f"{where}.content.{j}"
            btype = block.get("type") if isinstance(block, Mapping) else None
            if btype not in allowed:
                raise _bad(f"{bw}.type: Input tag {btype!r} found using 'type' does not match any of the expected tags for a {role} message: {', '.join(sorted(allowed))}")
            assert isinstance(block, Mapping)
            tokens = MESSAGE_OVERHEAD_TOKENS if j == 0 else 0
            if btype == "text":
                texts.append(_text_block(block, bw))
                tokens += estimate_text_tokens(texts[-1])
                turn.user_text = role == "user"
            elif btype == "image":
                tokens += _image_tokens(block, bw, model)
                turn.user_text = True
            elif btype == "document":
                tokens += _document_tokens(block, bw)
                turn.user_text = True
            elif btype == "tool_result":
                problem = registry.check(provider, "anthropic", block.get("tool_use_id"), strict=strict)
                if problem:
                    raise _bad(f"{bw}.tool_use_id: {problem.message}")
                text, n = _tool_result(block, bw, model)
                turn.tool_results.append((block["tool_use_id"], text))
                result_pos.append(j)
                tokens += n
            elif btype == "tool_use":
                problem = registry.check(provider, "anthropic", block.get("id"), strict=strict)
                if problem:
                    raise _bad(f"{bw}.tool_use.id: {problem.message}")
                name, args = block.get("name"), block.get("input")
                if not isinstance(name, str) or not isinstance(args, Mapping):
                    raise _bad(f"{bw}.tool_use: `name` (a string) and `input` (an object) are required")
                raw_args = json.dumps(args, ensure_ascii=False, separators=(",", ":"))
                turn.tool_calls.append(ToolCall(block["id"], name, raw_args))
                tokens += estimate_text_tokens(name) + estimate_text_tokens(raw_args)
            elif btype == "thinking":
                thinking = block.get("thinking")
                if not signer.verify(model.name, thinking, block.get("signature")):
                    raise _bad(f"{bw}: Invalid `signature` in `thinking` block")
                tokens += estimate_text_tokens(str(thinking))
            elif btype == "redacted_thinking":
                if not signer.verify_redacted(model.name, block.get("data")):
                    raise _bad(f"{bw}: Invalid `data` in `redacted_thinking` block")
                tokens += 64
            _add(state, block, tokens, bw, prefix=role if j == 0 else None)
        turn.text = "\n".join(texts)
        turns.append(turn)
        first_types.append(str(blocks[0].get("type")))
        positions.append(result_pos)
    return turns, first_types, positions


def _document_tokens(block: Mapping[str, Any], where: str) -> int:
    src = block.get("source")
    if not isinstance(src, Mapping):
        raise _bad(f"{where}.source: Field required")
    data = src.get("data")
    if src.get("type") == "text" and isinstance(data, str):
        return estimate_text_tokens(data)
    if src.get("type") == "base64" and isinstance(data, str):
        return max(1, len(data) // 8)
    if src.get("type") == "url" and isinstance(src.get("url"), str):
        return 1500
    raise _bad(f"{where}.source: expected a text, base64 or url document source")


def _pairing(turns: Sequence[Turn], positions: Sequence[Sequence[int]]) -> None:
    for k, turn in enumerate(turns):
        if turn.role == "user" and turn.tool_results:
            prev = turns[k - 1] if k > 0 else None
            allowed = {c.id for c in prev.tool_calls} if prev is not None and prev.role == "assistant" else set()
            for (cid, _), j in zip(turn.tool_results, positions[k], strict=True):
                if cid not in allowed:
                    raise _bad(
                        f"messages.{turn.index}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {cid}. "
                        "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
                    )
    for k, turn in enumerate(turns):
        if turn.role == "assistant" and turn.tool_calls:
            nxt = turns[k + 1] if k + 1 < len(turns) else None
            answered = {cid for cid, _ in nxt.tool_results} if nxt is not None and nxt.role == "user" else set()
            missing = [c.id for c in turn.tool_calls if c.id not in answered]
            if missing:
                raise _bad(
                    f"messages.{turn.index}: `tool_use` ids were found without `tool_result` blocks immediately after: "
                    f"{', '.join(missing)}. Each `tool_use` block must have a corresponding `tool_result` block in the next message."
                )


# ------------------------------------------------------------------------------------------- output


def usage(conv: Conversation, out: Output, cache: CacheUse) -> dict[str, Any]:
    return {
        "input_tokens": conv.prompt_tokens - cache.read - cache.write,
        "cache_creation_input_tokens": cache.write,
        "cache_read_input_tokens": cache.read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache.write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": out.output_tokens,
        "service_tier": "standard",
    }


def stop_reason(out: Output) -> str:
    if out.tool_calls:
        return "tool_use"
    if out.finish == "length":
        return "max_tokens"
    return "stop_sequence" if out.stop_sequence is not None else "end_turn"


def blocks(conv: Conversation, out: Output, signer: Signer) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = []
    if out.thinking is not None:
        if out.redacted:
            content.append({"type": "redacted_thinking", "data": signer.redacted(conv.model, out.thinking)})
        else:
            shown = "" if conv.thinking_omitted else out.thinking
            content.append({"type": "thinking", "thinking": shown, "signature": signer.sign(conv.model, shown, nonce_from=out.thinking)})
    if out.text is not None and not out.tool_calls:
        content.append({"type": "text", "text": out.text})
    for call in out.tool_calls:
        try:
            args: Any = json.loads(call.arguments)
        except ValueError:
            args = call.arguments
        content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": args})
    return content


def message(conv: Conversation, out: Output, usage_: Mapping[str, Any], message_id: str, signer: Signer) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": conv.model,
        "content": blocks(conv, out, signer),
        "stop_reason": stop_reason(out),
        "stop_sequence": out.stop_sequence,
        "usage": dict(usage_),
    }


def _words(text: str) -> list[str]:
    return re.findall(r"\s*\S+|\s+$", text) or ([text] if text else [])


def stream(conv: Conversation, out: Output, usage_: Mapping[str, Any], message_id: str, signer: Signer) -> Iterator[Frame]:
    start = message(conv, out, usage_, message_id, signer)
    start.update(content=[], stop_reason=None, stop_sequence=None)
    start["usage"] = {**usage_, "output_tokens": 1}
    yield Frame(sse({"type": "message_start", "message": start}, "message_start"))
    yield Frame(sse({"type": "ping"}, "ping"))
    for index, block in enumerate(blocks(conv, out, signer)):
        kind = block["type"]

        def delta(d: Mapping[str, Any], tokens: int = 0, content: bool = True, index: int = index) -> Frame:
            return Frame(sse({"type": "content_block_delta", "index": index, "delta": dict(d)}, "content_block_delta"), content=content, tokens=tokens)

        if kind == "thinking":
            yield Frame(sse({"type": "content_block_start", "index": index, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}, "content_block_start"))
            for piece in _words(block["thinking"]):
                yield delta({"type": "thinking_delta", "thinking": piece}, estimate_text_tokens(piece))
            yield delta({"type": "signature_delta", "signature": block["signature"]}, content=False)
        elif kind == "redacted_thinking":
            yield Frame(sse({"type": "content_block_start", "index": index, "content_block": block}, "content_block_start"), content=True, tokens=out.reasoning_tokens)
        elif kind == "text":
            yield Frame(sse({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}, "content_block_start"))
            for piece in _words(block["text"]):
                yield delta({"type": "text_delta", "text": piece}, estimate_text_tokens(piece))
        else:
            head = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            yield Frame(sse({"type": "content_block_start", "index": index, "content_block": head}, "content_block_start"))
            raw = next(c.arguments for c in out.tool_calls if c.id == block["id"])
            yield delta({"type": "input_json_delta", "partial_json": ""}, content=False)
            for i in range(0, len(raw), 16):
                yield delta({"type": "input_json_delta", "partial_json": raw[i : i + 16]}, estimate_text_tokens(raw[i : i + 16]))
        yield Frame(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    tail_usage = {k: usage_[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens", "output_tokens")}
    yield Frame(sse({"type": "message_delta", "delta": {"stop_reason": stop_reason(out), "stop_sequence": out.stop_sequence}, "usage": tail_usage}, "message_delta"), final=True)
    yield Frame(sse({"type": "message_stop"}, "message_stop"), final=True)
