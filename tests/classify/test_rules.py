from __future__ import annotations

import pytest

from routed_llm.classify import RulesClassifier, keyword_shortcut
from routed_llm.labels import LABELS

CASES = [
    ("Translate 'good morning, see you tomorrow' into German.", "translation"),
    ("¿Puedes traducir este correo al inglés? Hola, gracias por su reserva.", "translation"),
    ("Rewrite this function in Java:\n```python\ndef add(a, b):\n    return a + b\n```", "code"),
    ("Translate this Python to Go:\n```python\nfor i in range(3): print(i)\n```", "code"),
    ("Generate a headline for this article: the council voted on Tuesday to close the bridge.", "summarize"),
    ("Answer from this passage: who founded the company? Passage: Acme was founded by Jo Lee.", "extraction"),
    ("tl;dr of this please: the meeting is moved to Friday because the room is booked.", "summarize"),
    ("fix the grammar pls: we was happy to recieve you're booking", "rewrite"),
    ("Write a haiku about autumn rain.", "creative"),
    ("hey, how are you today?", "chat"),
    (
        "A train leaves at 3pm going 60 mph; another at 4pm going 80 mph. How many hours until it catches up?",
        "reasoning",
    ),
    ("Extract every email address and name from this thread as a JSON array.", "extraction"),
]


@pytest.mark.parametrize(("text", "label"), CASES)
def test_rules_labels(text: str, label: str) -> None:
    c = RulesClassifier().classify(text)
    assert c.label == label
    assert c.path == "rules"
    assert set(c.probabilities) == set(LABELS)
    assert abs(sum(c.probabilities.values()) - 1.0) < 1e-9
    assert c.confidence == max(c.probabilities.values())


def test_instruction_outweighs_pasted_content() -> None:
    pasted = "\n".join(f"def f{i}(x):\n    return x + {i}  # python function" for i in range(40))
    text = (
        "Here is the module from our repo:\n" + pasted + "\nGive me a two-sentence summary of what it does."
    )
    assert RulesClassifier().classify(text).label == "summarize"


def test_shortcut_is_conservative() -> None:
    assert keyword_shortcut("Translate into French: I am late.") == "translation"
    assert keyword_shortcut("Translate this function into Rust") == "code"
    assert keyword_shortcut("what should we do about the outage?") is None
    assert keyword_shortcut("") is None


@pytest.mark.parametrize("text", ["", "   \n\t ", "\x00\x01\xff\ufffd" * 100, "a" * 1_000_000])
def test_odd_inputs_get_a_label(text: str) -> None:
    c = RulesClassifier().classify(text)
    assert c.label in LABELS


def test_classify_many_and_warm() -> None:
    r = RulesClassifier()
    r.warm()
    out = r.classify_many(["hello", "summarize this: x"])
    assert [c.label for c in out] == ["chat", "summarize"]


def test_non_str_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="str"):
        RulesClassifier().classify(b"bytes")  # type: ignore[arg-type]
