from __future__ import annotations

import base64
import logging

import pytest

import routed_llm.classify as classify
from routed_llm.classify import RulesClassifier, load_classifier, required_capabilities
from routed_llm.errors import ClassifierUnavailableError
from routed_llm.messages import ImagePart, Message, Request, ResponseFormat, TextPart, Thinking, ToolSpec


def test_capabilities() -> None:
    base = Request((Message.user("hi"),))
    assert required_capabilities(base) == frozenset()
    tools = Request((Message.user("hi"),), tools=(ToolSpec("search"),))
    assert required_capabilities(tools) == {"tools"}
    assert (
        required_capabilities(Request((Message.user("hi"),), tools=(ToolSpec("s"),), tool_choice="none"))
        == set()
    )
    img = ImagePart(data=base64.b64encode(b"png").decode())
    assert required_capabilities(Request((Message.user([TextPart("see"), img]),))) == {"vision"}
    assert required_capabilities(Request((Message.user("x"),), response_format=ResponseFormat())) == {
        "json_schema"
    }
    assert required_capabilities(Request((Message.user("x"),), thinking=Thinking())) == {"reasoning"}


def test_auto_falls_back_to_rules_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(classify, "_warned", False)
    missing = "/nonexistent/head.json"
    with caplog.at_level(logging.WARNING, logger="routed_llm.classify"):
        a = load_classifier("auto", head_path=missing)
        b = load_classifier("auto", head_path=missing)
    assert isinstance(a, RulesClassifier) and isinstance(b, RulesClassifier)
    warned = [r for r in caplog.records if "routed-llm[classifier]" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING


def test_learned_without_head_names_the_fix() -> None:
    with pytest.raises(ClassifierUnavailableError, match=r"routed-llm\[classifier\]"):
        load_classifier("learned", head_path="/nonexistent/head.json")


def test_rules_kind() -> None:
    assert load_classifier("rules").name == "rules"


def test_router_reports_pinned_and_classifier_paths() -> None:
    from routed_llm.messages import RoutingOptions
    from routed_llm.router import Router

    router = Router(classifier="rules")
    pinned = router._classify(Request((Message.user("hi"),), options=RoutingOptions(model="gpt-5")), "s", frozenset())
    assert pinned.path == "pinned"
    labelled = router._classify(Request((Message.user("hi"),), options=RoutingOptions(label="code")), "s", frozenset())
    assert (labelled.path, labelled.label) == ("pinned", "code")
    assert router._classify(Request((Message.user("Summarize this: x"),)), "s", frozenset()).path == "rules"
