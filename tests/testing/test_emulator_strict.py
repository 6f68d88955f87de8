"""Where the emulator is as strict as the providers: ids, pairing, windows, auth, validation."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from emulator_helpers import ANTHROPIC_TOOLS, OPENAI_TOOLS, anthropic_for, client_for

from routed_llm.testing import EmulatedModel, Emulator


def _openai_call(call_id: str, name: str = "get_time") -> dict[str, Any]:
    return {"role": "assistant", "content": None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": '{"tz":"UTC"}'}}]}


def _openai_history(call_id: str, result_id: str | None = None) -> list[Any]:
    return [{"role": "user", "content": "use get_time"}, _openai_call(call_id),
            {"role": "tool", "tool_call_id": result_id or call_id, "content": "12:00"}]


def _anthropic_history(call_id: str, result_id: str | None = None) -> list[Any]:
    return [
        {"role": "user", "content": "use get_time"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": call_id, "name": "get_time", "input": {"tz": "UTC"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": result_id or call_id, "content": "12:00"}]},
    ]


def _issue_openai(client: openai.OpenAI, model: str = "gpt-4.1") -> str:
    r = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "get_time"}], tools=OPENAI_TOOLS)
    return (r.choices[0].message.tool_calls or [])[0].id


def _issue_anthropic(client: anthropic.Anthropic) -> str:
    m = client.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=[{"role": "user", "content": "get_time"}],
                               tools=ANTHROPIC_TOOLS)
    return next(b.id for b in m.content if b.type == "tool_use")


def test_own_ids_round_trip(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    call_id = _issue_openai(oai)
    oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(call_id), tools=OPENAI_TOOLS)
    tool_id = _issue_anthropic(claude)
    claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history(tool_id), tools=ANTHROPIC_TOOLS)


def test_foreign_ids_are_refused(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    openai_id = _issue_openai(oai)
    tool_id = _issue_anthropic(claude)
    with pytest.raises(anthropic.BadRequestError) as err:
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history(openai_id), tools=ANTHROPIC_TOOLS)
    assert "messages.1.content.0.tool_use.id" in str(err.value) and "issued by provider 'openai'" in str(err.value)
    with pytest.raises(openai.BadRequestError) as oerr:
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(tool_id), tools=OPENAI_TOOLS)
    assert "messages[1].tool_calls[0].id" in str(oerr.value) and oerr.value.param == "messages[1].tool_calls[0].id"
    deepseek = client_for(emu, "deepseek")
    with pytest.raises(openai.BadRequestError, match="not issued by this provider"):
        deepseek.chat.completions.create(model="deepseek-chat", messages=_openai_history(openai_id), tools=OPENAI_TOOLS)


def test_unissued_ids_in_own_format_are_refused_but_neutral_ids_pass(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    fake_openai = "call_" + "A" * 24
    with pytest.raises(openai.BadRequestError, match="was not issued by this provider"):
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(fake_openai), tools=OPENAI_TOOLS)
    fake_anthropic = "toolu_01" + "B" * 22
    with pytest.raises(anthropic.BadRequestError, match="was not issued by this provider"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history(fake_anthropic), tools=ANTHROPIC_TOOLS)
    neutral = "rt_0123456789abcdef"  # a router-minted id: never issued, no provider's issuing format
    oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(neutral), tools=OPENAI_TOOLS)
    claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history(neutral), tools=ANTHROPIC_TOOLS)


def test_format_rules(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history("x" * 41), tools=OPENAI_TOOLS)
    assert err.value.code == "string_above_max_length"
    with pytest.raises(anthropic.BadRequestError, match=r"\^\[a-zA-Z0-9_-\]\+\$"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history("bad.id!"), tools=ANTHROPIC_TOOLS)
    mistral = client_for(emu, "mistral")
    with pytest.raises(openai.BadRequestError, match="exactly 9 characters"):
        mistral.chat.completions.create(model="mistral-small-latest", messages=_openai_history("call_abc"), tools=OPENAI_TOOLS)
    mistral.chat.completions.create(model="mistral-small-latest", messages=_openai_history("abcDEF123"), tools=OPENAI_TOOLS)


def test_unpaired_ids_are_refused(oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    call_id = _issue_openai(oai)
    with pytest.raises(openai.BadRequestError, match=r"messages\[2\]: tool_call_id 'other_id' does not match"):
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(call_id, "other_id"), tools=OPENAI_TOOLS)
    unanswered = [*_openai_history(call_id)[:2], {"role": "user", "content": "well?"}]
    with pytest.raises(openai.BadRequestError, match=r"messages\[1\]: an assistant message with 'tool_calls' must be followed"):
        oai.chat.completions.create(model="gpt-4.1", messages=unanswered, tools=OPENAI_TOOLS)
    orphan = [{"role": "user", "content": "hi"}, {"role": "tool", "tool_call_id": call_id, "content": "x"}]
    with pytest.raises(openai.BadRequestError, match=r"messages\[1\]: messages with role 'tool' must be a response"):
        oai.chat.completions.create(model="gpt-4.1", messages=orphan, tools=OPENAI_TOOLS)
    tool_id = _issue_anthropic(claude)
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.2\.content\.0: unexpected `tool_use_id`"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=_anthropic_history(tool_id, "rt_other"), tools=ANTHROPIC_TOOLS)
    dangling = [*_anthropic_history(tool_id)[:2], {"role": "user", "content": "well?"}]
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.1: `tool_use` ids were found without `tool_result`"):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=300, messages=dangling, tools=ANTHROPIC_TOOLS)


def test_not_strict_skips_only_the_issued_id_checks() -> None:
    with Emulator(strict=False) as emu:
        oai = client_for(emu, "openai")
        claude = anthropic_for(emu)
        tool_id = _issue_anthropic(claude)
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(tool_id), tools=OPENAI_TOOLS)
        oai.chat.completions.create(model="gpt-4.1", messages=_openai_history("call_" + "A" * 24), tools=OPENAI_TOOLS)
        with pytest.raises(openai.BadRequestError):
            oai.chat.completions.create(model="gpt-4.1", messages=_openai_history("x" * 41), tools=OPENAI_TOOLS)
        with pytest.raises(openai.BadRequestError):
            oai.chat.completions.create(model="gpt-4.1", messages=_openai_history(tool_id, "nope"), tools=OPENAI_TOOLS)


def test_context_window_is_enforced() -> None:
    small = [
        EmulatedModel("tiny-gpt", "openai", "openai", context_window=1000, max_output_tokens=500),
        EmulatedModel("tiny-claude", "anthropic", "anthropic", context_window=1000, max_output_tokens=500),
    ]
    long = "word " * 1000  # ~1250 tokens
    with Emulator(small) as emu:
        with pytest.raises(openai.BadRequestError) as err:
            client_for(emu, "openai").chat.completions.create(model="tiny-gpt", messages=[{"role": "user", "content": long}])
        assert err.value.code == "context_length_exceeded" and "maximum context length is 1000 tokens" in str(err.value)
        near = "word " * 700  # fits alone, not with 400 more
        client_for(emu, "openai").chat.completions.create(model="tiny-gpt", messages=[{"role": "user", "content": near}])
        with pytest.raises(openai.BadRequestError) as err2:
            client_for(emu, "openai").chat.completions.create(model="tiny-gpt", messages=[{"role": "user", "content": near}],
                                                               max_completion_tokens=400)
        assert err2.value.code == "context_length_exceeded" and "400 in the completion" in str(err2.value)
        with pytest.raises(anthropic.BadRequestError, match=r"prompt is too long: \d+ tokens > 1000 maximum"):
            anthropic_for(emu).messages.create(model="tiny-claude", max_tokens=400, messages=[{"role": "user", "content": near}])
        with pytest.raises(openai.BadRequestError, match="max_tokens is too large"):
            client_for(emu, "openai").chat.completions.create(model="tiny-gpt", messages=[{"role": "user", "content": "x"}], max_tokens=501)


def test_tool_schemas_count_toward_the_prompt(oai: openai.OpenAI) -> None:
    bare = oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hello"}])
    tooled = oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hello"}], tools=OPENAI_TOOLS)
    assert bare.usage is not None and tooled.usage is not None and tooled.usage.prompt_tokens > bare.usage.prompt_tokens + 50


def test_api_keys_are_checked_and_never_echoed() -> None:
    with Emulator(api_keys={"openai": "sk-right", "anthropic": "sk-ant-right"}) as emu:
        client_for(emu, "openai", api_key="sk-right").chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.AuthenticationError) as err:
            client_for(emu, "openai", api_key="sk-wrong-secret").chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}])
        assert err.value.status_code == 401 and err.value.code == "invalid_api_key"
        assert "sk-wrong-secret" not in str(err.value.body)
        with pytest.raises(anthropic.AuthenticationError) as aerr:
            anthropic_for(emu, api_key="sk-wrong").messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        assert aerr.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
        anthropic_for(emu, api_key="sk-ant-right").messages.create(model="claude-haiku-4-5", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
        client_for(emu, "deepseek", api_key="anything").chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
        assert "sk-" not in repr(emu.requests)


def test_unknown_model_and_wrong_provider_are_404(emu: Emulator, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        oai.chat.completions.create(model="gpt-99", messages=[{"role": "user", "content": "hi"}])
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(anthropic.NotFoundError) as aerr:
        claude.messages.create(model="claude-9", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert aerr.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    wrong_wire = anthropic_for(emu).with_options(base_url=emu.base_url("openai").removesuffix("/v1"))
    with pytest.raises(anthropic.NotFoundError):
        wrong_wire.messages.create(model="gpt-4.1", max_tokens=10, messages=[{"role": "user", "content": "hi"}])


@pytest.mark.parametrize(
    ("messages", "needle"),
    [
        ([], "empty array"),
        ([{"role": "bot", "content": "hi"}], "Invalid value: 'bot'"),
        ([{"role": "assistant", "content": None}], "expected a string, got null"),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}], "Invalid image URL"),
    ],
)
def test_openai_validation(oai: openai.OpenAI, messages: list[Any], needle: str) -> None:
    with pytest.raises(openai.BadRequestError, match=needle):
        oai.chat.completions.create(model="gpt-4.1", messages=messages)


@pytest.mark.parametrize(
    ("tool", "needle"),
    [
        ({"type": "function", "function": {"name": "bad name", "parameters": {"type": "object"}}}, "does not match pattern"),
        ({"type": "function", "function": {"name": "t", "parameters": {"type": "array"}}}, "Invalid schema for function 't'"),
        ({"type": "function", "function": {"name": "t", "parameters": {"type": "object", "properties": {"a": {"type": "strung"}}}}},
         "not a JSON Schema type"),
        ({"type": "function", "function": {"name": "t", "parameters": {"type": "object", "required": "a"}}}, "array of property names"),
        ({"type": "function", "function": {"name": "t", "strict": True,
                                           "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}},
         "additionalProperties"),
    ],
)
def test_openai_malformed_tool_schemas(oai: openai.OpenAI, tool: Any, needle: str) -> None:
    with pytest.raises(openai.BadRequestError, match=needle):
        oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], tools=[tool])


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "system", "content": "be nice"}]}, 'Unexpected role "system"'),
        ({"messages": [{"role": "user", "content": ""}]}, "must be non-empty"),
        ({"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "t", "input_schema": {"type": "string"}}]},
         "input_schema.type: Input should be 'object'"),
        ({"messages": [{"role": "user", "content": "hi"}], "tools": [{"name": "t"}]}, "input_schema: Field required"),
        ({"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                                "data": "!!!"}}]}]}, "not valid base64"),
        ({"messages": [{"role": "user", "content": [{"type": "tool_use", "id": "x", "name": "t", "input": {}}]}]},
         "does not match any of the expected tags"),
    ],
)
def test_anthropic_validation(claude: anthropic.Anthropic, kwargs: dict[str, Any], needle: str) -> None:
    with pytest.raises(anthropic.BadRequestError, match=needle):
        claude.messages.create(model="claude-haiku-4-5", max_tokens=100, **kwargs)


def test_gpt5_parameter_rules(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError, match="Use 'max_completion_tokens' instead"):
        oai.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}], max_tokens=100)
    with pytest.raises(openai.BadRequestError, match="temperature"):
        oai.chat.completions.create(model="gpt-5-mini", messages=[{"role": "user", "content": "hi"}], temperature=0.2)
    oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], max_tokens=100, temperature=0.2)
    with pytest.raises(openai.BadRequestError, match="reasoning_effort"):
        oai.chat.completions.create(model="gpt-4.1", messages=[{"role": "user", "content": "hi"}], reasoning_effort="low")
