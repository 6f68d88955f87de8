from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from routed_llm.classify import rules
from routed_llm.classify.prefilter import present, required_literals

REPO = Path(__file__).resolve().parents[2]
# texts that ship with the repo (CI has no ../shared): the project's agent steps and the test set
TEXT_FILES = (REPO / "data" / "agent_steps_project.jsonl", REPO / "data" / "agent_steps_more.jsonl",
              REPO / "tests" / "classify" / "data" / "small_train.jsonl")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\btranslat(e|ion|ing)\b", {"translat"}),
        (r"\b(re-?phrase|re-?word|paraphrase|proof-?read)\b", {"phrase", "word", "paraphrase", "proof"}),
        (r"\bhow (many|much|long)\b", {"how "}),
        (r"\bsum (it|this|that) up\b|\bto sum up\b", {"sum ", "to sum up"}),
        (r"(ab)+cd", {"ab"}),
        (r"x(ab){1,3}", {"ab"}),
        (r"\d+", None),
        (r"(ab)?c", {"c"}),
        (r"foo|\d+", None),  # one branch needs no literal, so the whole needs none
        (r"a*", None),
        (r"", None),
    ],
)
def test_required_literals(pattern: str, expected: set[str] | None) -> None:
    got = required_literals(pattern)
    assert (None if got is None else set(got)) == expected


def test_case_insensitive_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="case-sensitive"):
        required_literals("abc", re.IGNORECASE)
    with pytest.raises(ValueError, match="case-sensitive"):
        required_literals("(?i)abc")


def test_present() -> None:
    assert present(("ab", "cd", "x"), "abcab") == {"ab"}
    assert present((), "anything") == frozenset()


def _all_rule_patterns() -> list[str]:
    return [p for rs in rules.RULES.values() for p, _ in rs] + [p for _, p in rules.SHORTCUTS]


def test_rule_patterns_are_lower_case() -> None:
    """The rules lowercase the text and match case-sensitively: an upper-case letter in a pattern
    (outside an escape such as \\b or \\d) could never match."""
    for p in _all_rule_patterns():
        assert not re.search(r"(?<!\\)[A-Z]", p), p


def _texts() -> list[str]:
    texts = [
        "Rewrite this sentence to sound friendlier: 'Send me the report by noon.'",
        "TRANSLATE THIS INTO FRENCH, PLEASE",
        "Übersetze bitte: guten Morgen",
    ]
    for path in TEXT_FILES:
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    return texts


def test_the_prefilter_never_hides_a_match() -> None:
    """Whenever a rule's regex matches a (lowercased) text, the text holds one of its literals:
    the prefilter only ever skips regexes that could not have matched."""
    texts = [t.lower() for t in _texts()]
    assert len(texts) > 500
    checked = 0
    for p in _all_rule_patterns():
        needs = required_literals(p, re.MULTILINE)
        if needs is None:
            continue
        compiled = re.compile(p, re.MULTILINE)
        for t in texts:
            if compiled.search(t):
                checked += 1
                assert not needs.isdisjoint(present(needs, t)), (p, t[:80])
    assert checked > 100


def test_scores_match_plain_regex_matching() -> None:
    """rule_scores with the prefilter equals scoring every regex over the lowercased text."""
    for text in _texts()[:400]:
        instruction, body = rules.split_instruction(rules.clean_text(text))
        instruction, body = instruction.lower(), body.lower()
        expected: dict[str, float] = {}
        for label, rs in rules.RULES.items():
            s = 0.0
            for p, w in rs:
                c = re.compile(p, re.MULTILINE)
                if c.search(instruction):
                    s += w
                elif body and c.search(body):
                    s += w * rules.BODY_WEIGHT
            expected[label] = s
        cleaned = rules.clean_text(text)
        if len(cleaned) < 200 and max(expected.values()) < 1.0:
            expected["chat"] += 1.0
        assert rules.rule_scores(cleaned) == expected, text[:80]
