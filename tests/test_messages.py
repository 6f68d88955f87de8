from __future__ import annotations

import pytest

from routed_llm.errors import InvalidRequestError
from routed_llm.messages import (
    ImagePart,
    Message,
    NamedTool,
    Request,
    RoutingOptions,
    TextPart,
    ToolCall,
    ToolSpec,
    validate_request,
)


def test_empty_messages_named() -> None:
    with pytest.raises(InvalidRequestError) as info:
        validate_request(Request(()))
    assert info.value.field == "messages"


def test_tool_result_without_call_named() -> None:
    req = Request((Message.user("hi"), Message.tool("abc", "result")))
    with pytest.raises(InvalidRequestError, match=r"messages\[1\].*abc"):
        validate_request(req)


def test_tool_result_with_call_ok_and_bad_role() -> None:
    call = ToolCall("abc", "search", {"q": "x"})
    validate_request(Request((Message.user("hi"), Message.assistant("", [call]), Message.tool("abc", "r"))))
    bad = Message("wizard", (TextPart("x"),))  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="role"):
        validate_request(Request((bad,)))


def test_non_string_content_and_bad_image() -> None:
    with pytest.raises(InvalidRequestError, match="str"):
        validate_request(Request((Message("user", (TextPart(42),)),)))  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="base64"):
        ImagePart(data="not base64!!")
    with pytest.raises(InvalidRequestError):
        ImagePart()


def test_tool_choice_must_name_bound_tool_and_dial_range() -> None:
    tool = ToolSpec("search", "find", {"type": "object", "properties": {"q": {"type": "string"}}})
    with pytest.raises(InvalidRequestError, match="tool_choice"):
        validate_request(Request((Message.user("x"),), tools=(tool,), tool_choice=NamedTool("fetch")))
    with pytest.raises(InvalidRequestError, match="dial"):
        RoutingOptions(dial=1.5)
    with pytest.raises(InvalidRequestError, match="tool name"):
        ToolSpec("bad name!")
    assert RoutingOptions(preference="cost").effective_dial(0.5) == 1.0
