"""OpenAI Chat Completions: request validation into a Conversation, and the response shapes."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from routed_llm.testing.behaviour import Output
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
from routed_llm.testing.schema import schema_problem, strict_problem
from routed_llm.testing.sse import Frame, sse
from routed_llm.tokens import IMAGE_TOKENS, MESSAGE_OVERHEAD_TOKENS, estimate_text_tokens

ROLES = ("system", "developer", "user", "assistant", "tool")
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_DATA_URL = re.compile(r"^data:([^;,]+);base64,(.*)$", re.S)
EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")


def _invalid(param: str, message: str, code: str = "invalid_value") -> WireError:
    return bad_request(message, code=code, param=param)


def _text_of(content: Any, where: str, *, allow_images: bool, model: EmulatedModel) -> tuple[str, int]:
    """(text, number of images) of a message's content."""
    if content is None:
        return "", 0
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise _invalid(f"{where}.content", f"Invalid type for '{where}.content': expected a string or an array of content parts.", "invalid_type")
    texts: list[str] = []
    images = 0
    for j, part in enumerate(content):
        pw = f"{where}.content[{j}]"
        if not isinstance(part, Mapping):
            raise _invalid(pw, f"Invalid type for '{pw}': expected an object.", "invalid_type")
        ptype = part.get("type")
        if ptype == "text":
            if not isinstance(part.get("text"), str):
                raise _invalid(f"{pw}.text", f"Missing required parameter: '{pw}.text'.", "missing_required_parameter")
            texts.append(part["text"])
        elif ptype == "refusal" and isinstance(part.get("refusal"), str):
            texts.append(part["refusal"])
        elif ptype == "image_url" and allow_images:
            if not model.vision:
                raise _invalid(f"{pw}.type", "Invalid content type. image_url is only supported by certain models.")
            url = part.get("image_url", {}).get("url") if isinstance(part.get("image_url"), Mapping) else None
            if not isinstance(url, str):
                raise _invalid(f"{pw}.image_url.url", f"Missing required parameter: '{pw}.image_url.url'.", "missing_required_parameter")
            m = _DATA_URL.match(url)
            if m:
                problem = image_problem(m.group(1), m.group(2))
                if problem:
                    raise _invalid(f"{pw}.image_url.url", f"Invalid image in '{pw}': {problem}.", "invalid_image_format")
            elif not url.startswith(("http://", "https://")):
                raise _invalid(f"{pw}.image_url.url", f"Invalid image URL in '{pw}': expected an http(s) URL or a base64 data URL.", "invalid_image_url")
            images += 1
        else:
            raise _invalid(f"{pw}.type", f"Invalid value: {ptype!r}. Supported content part types for this role are: 'text'" + (", 'image_url'" if allow_images else "") + ".")
    return "".join(texts), images


def _tools(raw: Any) -> tuple[list[ToolDef], int]:
    if raw is None:
        return [], 0
    if not isinstance(raw, list):
        raise _invalid("tools", "Invalid type for 'tools': expected an array of objects.", "invalid_type")
    tools: list[ToolDef] = []
    tokens = 0
    for i, tool in enumerate(raw):
        where = f"tools[{i}]"
        if not isinstance(tool, Mapping) or tool.get("type") != "function" or not isinstance(tool.get("function"), Mapping):
            raise _invalid(f"{where}.type", f"Invalid value for '{where}': expected a function tool {{'type': 'function', 'function': {{...}}}}.")
        fn = tool["function"]
        name = fn.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise _invalid(f"{where}.function.name", f"Invalid '{where}.function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$' (1-64 characters).", "invalid_value")
        if any(t.name == name for t in tools):
            raise _invalid("tools", f"Invalid 'tools': duplicate function name '{name}'.")
        params = fn.get("parameters", {"type": "object", "properties": {}})
        problem = schema_problem(params)
        if problem is None and isinstance(params, Mapping) and params.get("type", "object") != "object":
            problem = f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{params.get('type')}\"'"
        if problem is None and fn.get("strict") is True and isinstance(params, Mapping):
            problem = strict_problem(params)
        if problem is not None or not isinstance(params, Mapping):
            raise _invalid(f"{where}.function.parameters", f"Invalid schema for function '{name}': {problem}.", "invalid_function_parameters")
        desc = fn.get("description") or ""
        if not isinstance(desc, str):
            raise _invalid(f"{where}.function.description", f"Invalid type for '{where}.function.description': expected a string.", "invalid_type")
        tools.append(ToolDef(name, desc, params))
        tokens += estimate_text_tokens(name) + estimate_text_tokens(desc) + estimate_text_tokens(canonical(params).decode())
    return tools, tokens


def _tool_choice(raw: Any, tools: Sequence[ToolDef]) -> ToolChoice:
    if raw is None:
        return ToolChoice("auto")
    if raw in ("none", "auto", "required"):
        if not tools and raw == "required":
            raise _invalid("tool_choice", "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.")
        return ToolChoice(raw)
    if isinstance(raw, Mapping) and raw.get("type") == "function" and isinstance(raw.get("function"), Mapping):
        name = raw["function"].get("name")
        if not any(t.name == name for t in tools):
            raise _invalid("tool_choice", f"Invalid value for 'tool_choice': function '{name}' is not among the provided tools.")
        return ToolChoice("tool", str(name))
    raise _invalid("tool_choice", "Invalid value for 'tool_choice': expected 'none', 'auto', 'required' or {'type': 'function', 'function': {'name': ...}}.")


def _response_format(raw: Any, model: EmulatedModel, all_text: str) -> tuple[ResponseFormat | None, int]:
    if raw is None:
        return None, 0
    if not isinstance(raw, Mapping):
        raise _invalid("response_format", "Invalid type for 'response_format': expected an object.", "invalid_type")
    kind = raw.get("type")
    if kind == "text":
        return None, 0
    if kind == "json_object":
        if "json" not in all_text.lower():
            raise _invalid("messages", "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.")
        return ResponseFormat("json_object"), 0
    if kind == "json_schema":
        if not model.json_schema:
            raise _invalid("response_format", f"Invalid parameter: 'response_format' of type 'json_schema' is not supported with model {model.name}.")
        spec = raw.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("name"), str) or not _NAME.match(spec["name"]):
            raise _invalid("response_format.json_schema.name", "Missing or invalid 'response_format.json_schema.name' (pattern '^[a-zA-Z0-9_-]{1,64}$').", "missing_required_parameter")
        schema = spec.get("schema", {"type": "object"})
        problem = schema_problem(schema)
        if problem is None and spec.get("strict") is True and isinstance(schema, Mapping):
            problem = strict_problem(schema)
        if problem is not None or not isinstance(schema, Mapping):
            raise _invalid("response_format", f"Invalid schema for response_format '{spec['name']}': {problem}.", "invalid_json_schema")
        return ResponseFormat("json_schema", schema), estimate_text_tokens(canonical(schema).decode())
    raise _invalid("response_format.type", f"Invalid value: {kind!r}. Supported values are: 'text', 'json_object' and 'json_schema'.")


def _check_id(registry: IdRegistry, provider: str, strict: bool, call_id: Any, param: str) -> None:
    problem = registry.check(provider, "openai", call_id, strict=strict)
    if problem is not None:
        code = "string_above_max_length" if "too long" in problem.message else "invalid_value"
        raise _invalid(param, f"Invalid '{param}': {problem.message}", code)


def _pairing(turns: Sequence[Turn]) -> None:
    pending: list[str] = []
    owner = -1
    for turn in turns:
        if turn.role == "tool":
            cid = turn.tool_results[0][0]
            if owner < 0:
                raise _invalid(f"messages.[{turn.index}].role", f"Invalid parameter: messages[{turn.index}]: messages with role 'tool' must be a response to a preceding message with 'tool_calls'.")
            if cid not in pending:
                raise _invalid(f"messages.[{turn.index}].tool_call_id", f"Invalid parameter: messages[{turn.index}]: tool_call_id {cid!r} does not match any unanswered tool call of the preceding assistant message messages[{owner}].")
            pending.remove(cid)
            continue
        if pending:
            break
        owner = turn.index if turn.role == "assistant" and turn.tool_calls else -1
        pending = [c.id for c in turn.tool_calls] if owner >= 0 else []
    if pending:
        raise _invalid(f"messages.[{owner}].role", f"Invalid parameter: messages[{owner}]: an assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(pending)}")


def parse(body: Mapping[str, Any], *, provider: str, model: EmulatedModel, registry: IdRegistry, strict: bool) -> Conversation:
    messages = body.get("messages")
    if messages is None:
        raise _invalid("messages", "Missing required parameter: 'messages'.", "missing_required_parameter")
    if not isinstance(messages, list):
        raise _invalid("messages", "Invalid type for 'messages': expected an array.", "invalid_type")
    if not messages:
        raise _invalid("messages", "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "empty_array")
    tools, tool_tokens = _tools(body.get("tools"))
    if tools and not model.tools:
        raise _invalid("tools", f"Invalid parameter: 'tools' is not supported with model {model.name}.", "unsupported_parameter")
    turns: list[Turn] = []
    segments: list[Segment] = []
    for i, msg in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(msg, Mapping):
            raise _invalid(where, f"Invalid type for '{where}': expected an object.", "invalid_type")
        role = msg.get("role")
        if role not in ROLES:
            raise _invalid(f"{where}.role", f"Invalid value: {role!r}. Supported values are: 'system', 'assistant', 'user', 'tool', and 'developer'.")
        text, images = _text_of(msg.get("content"), where, allow_images=role == "user", model=model)
        turn = Turn("system" if role == "developer" else role, i, text, user_text=role == "user")
        tokens = MESSAGE_OVERHEAD_TOKENS + estimate_text_tokens(text) + images * IMAGE_TOKENS
        if role == "assistant":
            raw_calls = msg.get("tool_calls") or []
            if not isinstance(raw_calls, list):
                raise _invalid(f"{where}.tool_calls", f"Invalid type for '{where}.tool_calls': expected an array.", "invalid_type")
            for j, call in enumerate(raw_calls):
                cw = f"{where}.tool_calls[{j}]"
                fn = call.get("function") if isinstance(call, Mapping) else None
                if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not isinstance(fn.get("arguments"), str):
                    raise _invalid(cw, f"Invalid '{cw}': expected {{'id', 'type': 'function', 'function': {{'name', 'arguments' (a string)}}}}.")
                assert isinstance(call, Mapping)
                _check_id(registry, provider, strict, call.get("id"), f"{cw}.id")
                turn.tool_calls.append(ToolCall(call["id"], fn["name"], fn["arguments"]))
                tokens += estimate_text_tokens(fn["name"]) + estimate_text_tokens(fn["arguments"])
            if msg.get("content") is None and not raw_calls:
                raise _invalid(f"{where}.content", f"Invalid value for '{where}.content': expected a string, got null.")
        elif role == "tool":
            _check_id(registry, provider, strict, msg.get("tool_call_id"), f"{where}.tool_call_id")
            turn.tool_results.append((msg["tool_call_id"], text))
        turns.append(turn)
        segments.append(Segment(canonical(msg), tokens))
    _pairing(turns)
    all_text = " ".join(t.text for t in turns)
    response_format, format_tokens = _response_format(body.get("response_format"), model, all_text)
    choice = _tool_choice(body.get("tool_choice"), tools)
    root = Segment(canonical([body.get("tools"), body.get("response_format")]), tool_tokens + format_tokens, boundary=False)
    segments.insert(0, root)
    max_tokens = _max_tokens(body, provider, model)
    _reasoning_rules(body, provider, model)
    stream = body.get("stream") is True
    opts = body.get("stream_options")
    if opts is not None and not stream:
        raise _invalid("stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled.")
    n = body.get("n", 1)
    if n not in (1, None):
        raise _invalid("n", "The emulator supports only n=1.", "unsupported_value")
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str)] if isinstance(stop, list) else []
    conv = Conversation(
        model=model.name,
        turns=turns,
        tools=tools,
        tool_choice=choice,
        parallel=body.get("parallel_tool_calls") is not False,
        max_tokens=max_tokens,
        stream=stream,
        include_usage=bool(isinstance(opts, Mapping) and opts.get("include_usage")),
        segments=segments,
        seed=seed_of(model.name, messages, body.get("tools"), body.get("tool_choice"), body.get("response_format")),
        reasoning_effort=body.get("reasoning_effort"),
        response_format=response_format,
        stop=stops[:4],
    )
    _context_check(conv, model)
    return conv


def _max_tokens(body: Mapping[str, Any], provider: str, model: EmulatedModel) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        value = body.get(key)
        if value is None:
            continue
        if key == "max_tokens" and provider == "openai" and model.reasoning:
            raise _invalid("max_tokens", "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "unsupported_parameter")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise _invalid(key, f"Invalid '{key}': expected an integer >= 1, got {value!r}.")
        if value > model.max_output_tokens:
            raise _invalid(key, f"{key} is too large: {value}. This model supports at most {model.max_output_tokens} completion tokens, whereas you provided {value}.")
        return value
    return None


def _reasoning_rules(body: Mapping[str, Any], provider: str, model: EmulatedModel) -> None:
    effort = body.get("reasoning_effort")
    if effort is not None:
        if not model.reasoning:
            raise _invalid("reasoning_effort", f"Unrecognized request argument supplied: reasoning_effort (model {model.name} does not reason).", "unsupported_parameter")
        if effort not in EFFORTS:
            raise _invalid("reasoning_effort", f"Invalid value: {effort!r}. Supported values are: {', '.join(repr(e) for e in EFFORTS)}.")
    temperature = body.get("temperature")
    if provider == "openai" and model.reasoning and temperature not in (None, 1, 1.0):
        raise _invalid("temperature", f"Unsupported value: 'temperature' does not support {temperature} with this model. Only the default (1) value is supported.", "unsupported_value")


def _context_check(conv: Conversation, model: EmulatedModel) -> None:
    prompt = conv.prompt_tokens
    completion = conv.max_tokens or 0
    if prompt + completion > model.context_window:
        raise _invalid(
            "messages",
            f"This model's maximum context length is {model.context_window} tokens. However, you requested "
            f"{prompt + completion} tokens ({prompt} in the messages, {completion} in the completion). "
            "Please reduce the length of the messages or completion.",
            "context_length_exceeded",
        )


# ------------------------------------------------------------------------------------------- output


def usage(conv: Conversation, out: Output, cache: CacheUse, provider: str) -> dict[str, Any]:
    prompt = conv.prompt_tokens
    data: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": out.output_tokens,
        "total_tokens": prompt + out.output_tokens,
        "prompt_tokens_details": {"cached_tokens": cache.read, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": out.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if provider == "deepseek":
        data["prompt_cache_hit_tokens"] = cache.read
        data["prompt_cache_miss_tokens"] = prompt - cache.read
    return data


def _finish(out: Output) -> str:
    return "tool_calls" if out.tool_calls else out.finish


def completion(conv: Conversation, out: Output, usage_: Mapping[str, Any], response_id: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": out.text if not out.tool_calls else None, "refusal": None}
    if out.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in out.tool_calls
        ]
    if out.thinking is not None:
        message["reasoning_content"] = out.thinking
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": conv.model,
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(out), "logprobs": None}],
        "usage": dict(usage_),
        "service_tier": "default",
        "system_fingerprint": "fp_emulator",
    }


def _pieces(text: str, size: int = 0) -> list[str]:
    if size:
        return [text[i : i + size] for i in range(0, len(text), size)] or [""]
    return re.findall(r"\s*\S+|\s+$", text) or ([text] if text else [])


def stream(conv: Conversation, out: Output, usage_: Mapping[str, Any], response_id: str) -> Iterator[Frame]:
    created = int(time.time())

    def chunk(delta: Mapping[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": conv.model,
            "system_fingerprint": "fp_emulator",
            "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish, "logprobs": None}],
        }
        if conv.include_usage:
            data["usage"] = None
        data.update(extra)
        return data

    yield Frame(sse(chunk({"role": "assistant", "content": "", "refusal": None})))
    if out.thinking:
        for piece in _pieces(out.thinking):
            yield Frame(sse(chunk({"reasoning_content": piece})), content=True, tokens=estimate_text_tokens(piece))
    for i, call in enumerate(out.tool_calls):
        head = {"index": i, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        yield Frame(sse(chunk({"tool_calls": [head]})), tokens=estimate_text_tokens(call.name))
        for piece in _pieces(call.arguments, 16):
            yield Frame(sse(chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})), content=True, tokens=estimate_text_tokens(piece))
    if out.text and not out.tool_calls:
        for piece in _pieces(out.text):
            yield Frame(sse(chunk({"content": piece})), content=True, tokens=estimate_text_tokens(piece))
    yield Frame(sse(chunk({}, _finish(out))), final=True)
    if conv.include_usage:
        tail = chunk({})
        tail["choices"] = []
        tail["usage"] = dict(usage_)
        yield Frame(sse(tail), final=True)
    yield Frame(b"data: [DONE]\n\n", final=True)
