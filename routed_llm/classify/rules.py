"""Keyword / regex rules for the eight labels. Stdlib only, always available.

The instruction of a step usually sits in its first and last lines, with pasted tool output in
between, so matches there weigh more than matches in the body. ``keyword_shortcut`` is a separate,
high-precision subset used as the learned classifier's ``keyword`` path.

Matching is on the lowercased text with case-sensitive patterns written in lower case, and each
pattern first checks the literals any match of it must contain (``prefilter``): most rules miss
most steps, and a substring test is far cheaper than the regex. Patterns compile on first use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from routed_llm.classify.base import Classification
from routed_llm.classify.prefilter import Literals, present, required_literals
from routed_llm.labels import LABELS, Label

_F = re.MULTILINE  # case: the text is lowercased and every pattern is written in lower case

_LANG = (
    r"(english|spanish|french|german|italian|portuguese|dutch|russian|chinese|mandarin|cantonese|japanese|"
    r"korean|arabic|hindi|turkish|polish|greek|hebrew|swedish|norwegian|danish|finnish|czech|hungarian|"
    r"romanian|ukrainian|vietnamese|thai|indonesian|malay|tagalog|persian|farsi|bengali|urdu|swahili|"
    r"catalan|esperanto|latin|bulgarian|serbian|croatian|slovak|lithuanian|estonian|latvian)"
)
_PROG = (
    r"(python|java(script)?|typescript|golang|\bgo\b|rust|kotlin|swift|c\+\+|c#|\bruby\b|php|scala|bash|shell|"
    r"powershell|sql|haskell|perl|\br\b|lua|dart|elixir|terraform|yaml|dockerfile|regex)"
)

# (pattern, weight) per label. Weights are rough log-odds; the instruction region counts in full.
RULES: Mapping[Label, tuple[tuple[str, float], ...]] = {
    "translation": (
        (r"\btranslat(e|ion|ing)\b", 3.0),
        (rf"\b(into|to|in) {_LANG}\b", 1.5),
        (rf"\bfrom {_LANG}\b", 1.0),
        (r"\bhow (would|do) (you|i) say\b", 2.5),
        (r"\bwhat does (this|it|that)( \w+)? (say|mean) in\b", 2.5),
        (r"\bput (it|this|that) into\b", 1.5),
        (r"\btradu(c|z|i)", 3.0),
        (r"\bübersetz", 3.0),
        (r"\bperev|перев[оеё]д", 3.0),
        (r"翻译|翻譯|翻訳|訳して|번역", 3.0),
        (r"\bin (plain )?english,? please\b", 1.0),
    ),
    "summarize": (
        (r"\bsummar(y|ies|ize|ise|izing|ising)\b", 3.0),
        (r"\btl;?dr\b", 3.0),
        (r"\b(key|main) (points|takeaways|findings)\b", 2.0),
        (r"\b(headline|title) for\b", 2.5),
        (r"\b(generate|write|suggest|give)( me)? an? (headline|title)\b", 2.5),
        (r"\bcondense\b", 2.5),
        (r"\bboil\b.{0,40}\bdown\b", 2.5),
        (r"\b(gist|recap|synopsis|digest|overview)\b", 1.5),
        (r"\bshort version\b", 2.0),
        (r"\b(one|two|three|1|2|3)[- ](line|sentence|paragraph)( version| summary)?\b", 1.0),
        (r"\bin a nutshell\b", 2.0),
        (r"\bsum (it|this|that) up\b|\bto sum up\b", 2.5),
        (r"\bwhat (went wrong|happened)\b", 1.0),
        (r"\boutline of\b", 1.5),
        (r"\bbullet(s| points)\b", 0.8),
        (r"\brésum|\bresum(e|en|ir)\b|zusammenfass|riassun", 2.5),
        (r"总结|概括|摘要|要約|まとめ|요약|резюм|кратко", 2.5),
    ),
    "rewrite": (
        (r"\b(re-?phrase|re-?word|paraphrase|proof-?read)\b", 3.0),
        (r"\brewrite\b|\bre-?write\b", 2.0),
        (r"\b(fix|correct|check)\b.{0,30}\b(grammar|grammer|spelling|typos?|punctuation)\b", 3.0),
        (r"\bgrammar\b|\bgrammatical", 1.0),
        (r"\b(more|less) (formal|casual|polite|concise|professional|friendly|direct|diplomatic)\b", 2.0),
        (r"\b(change|adjust|soften|tone down)\b.{0,20}\btone\b", 2.0),
        (r"\bsimplif(y|ied)\b", 1.5),
        (r"\b(polish|tighten|shorten|reformat|restructure|edit)\b", 1.2),
        (r"\bmake (it|this|that) (sound|more|less|shorter|clearer|friendlier)\b", 2.0),
        (r"\bin (other|different|my own|plain|simpler) words\b", 2.0),
        (r"\bplain (english|language)\b", 1.0),
        (r"\b(improve|clean up) (the )?(wording|writing|phrasing|text|draft)\b", 2.0),
        (r"\bexpand (it|this|that)\b", 1.5),
        (r"\bumschreib|umformulier|reformul|riformul|korrigier", 2.5),
        (r"改写|润色|改寫|言い換え|書き直|고쳐|다듬", 2.5),
    ),
    "extraction": (
        (r"\bextract\b", 3.0),
        (r"\bpull (out|the)\b", 2.0),
        (r"\bas (a )?(json|csv|yaml|table)\b", 2.0),
        (r"\b(into|in) (a )?(json|csv|table|spreadsheet)\b", 2.0),
        (r"\bjson (array|object|list)\b", 2.0),
        (r"\b(keys?|fields?|columns?)\b.{0,40}\b(name|date|email|amount|id|owner)\b", 1.0),
        (r"\b(named entit|entities|ner task|ner\b)", 2.5),
        (
            r"\blist (all|every|each) (the )?\w*\s?(names|dates|emails|numbers|urls|people|companies|amounts)\b",
            2.0,
        ),
        (
            r"\b(according to|based on|from|using) (the|this) (passage|article|text|paragraph|bio|document|context|plot)\b",
            2.0,
        ),
        (r"\banswer\b.{0,40}\b(passage|paragraph|context|article)\b", 2.0),
        (r"\bgiven the following passage\b", 2.0),
        (r"\b(give|provide) details on\b", 2.0),
        (r"\bkey details\b", 1.5),
        (r"\bwhich of these\b.{0,60}\bmention", 1.5),
        (r"\bextra(ire|hiere|igan|ia)\b|extrahier|提取|抽出|추출", 2.5),
    ),
    "code": (
        (
            r"\b(function|method|class|module|script|snippet|endpoint|unit tests?|pytest|regex|query|schema)\b",
            1.2,
        ),
        (
            r"\b(bug|debug|stack ?trace|traceback|exception|segfault|compile|compiler|linter|refactor|"
            r"null ?pointer|type ?error|syntax error)\b",
            1.5,
        ),
        (rf"\b(write|implement|fix|port|convert|translate|rewrite)\b.{{0,40}}\b(in|to|into) {_PROG}\b", 3.5),
        (rf"\b{_PROG}\b", 1.0),
        (r"```", 1.0),
        (r"\bdef \w+\(|\bfunction \w*\(|\bpublic (static )?\w+|\bimport \w+|#include|\bconsole\.log|=>", 1.0),
        (r"\b(bash|shell) (command|one-liner|script)\b|\bcommand line\b|\bone-liner\b", 2.0),
        (r"\b(ci|pipeline|workflow|docker|kubernetes|k8s|terraform|git|npm|pip|api)\b", 0.6),
        (r"\b(select|insert|update|delete) .{0,40}\b(from|into|where|set)\b", 1.0),
        (r"\b(error|failed|failing)\b", 0.4),
    ),
    "reasoning": (
        (r"\bhow (many|much|long)\b", 1.5),
        (r"\b(calculate|compute|solve|prove|derive|estimate|work out|figure out)\b", 2.0),
        (r"\bstep[- ]by[- ]step\b|\bshow (your|the) (work|working|numbers|math)\b", 2.0),
        (
            r"\b(probability|percent(age)?|ratio|average|expected value|equation|integer|remainder|divisible)\b",
            1.2,
        ),
        (r"\$[^$]+\$|\\frac|\\sqrt|\d+\s*[-+*/×^]\s*\d+", 1.0),
        (r"\bwhich (option|answer|choice)\b|\boptions?:|\b[a-e]\)", 1.5),
        (r"\b(compare|weigh|trade-?offs?|pros and cons|recommend|which (one|option) (would|should))\b", 1.2),
        (r"\bshould (i|we)\b", 0.8),
        (r"\b(is it possible|does it follow|true or false|yes or no)\b", 1.0),
        (r"\bwhat is the date\b|\bmm/dd/yyyy\b", 2.5),
        (r"\b(schedule|allocation|feasible|optimi[sz]e|minimi[sz]e|maximi[sz]e|break-?even)\b", 1.0),
        (r"\bwhy\b.{0,60}\b(cause|because|explain)\b", 0.5),
    ),
    "creative": (
        (r"\b(poem|poetry|haiku|limerick|sonnet|verse|rhymes?|lyrics|song|rap)\b", 3.0),
        (
            r"\b(story|fairy ?tale|fable|fiction|short story|flash fiction|plot|screenplay|script for a)\b",
            2.0,
        ),
        (r"\b(slogan|tagline|catchphrase|jingle|pun|joke|riddle)s?\b", 2.5),
        (r"\b(toast|speech|eulogy|wedding|birthday (card|message)|greeting card)\b", 1.2),
        (r"\b(imagine|invent|brainstorm|fictional|creative|whimsical|playful|humou?rous|funny)\b", 1.2),
        (r"\bwrite (a|an|me a)\b.{0,40}\b(dialogue|monologue|scene|letter from|tweet|post|ad|blurb)\b", 1.0),
        (r"\b(name ideas|names for|come up with)\b", 1.2),
        (r"\bpoème|\bpoema|gedicht|\bhistoire\b|\bcuento\b|\bconte\b|geschichte|slogans?\b", 2.0),
        (r"诗|故事|口号|詩|物語|시를|이야기|стих|сказк|рассказ", 2.0),
    ),
    "chat": (
        (
            r"^\s*(hi|hello|hey|yo|hiya|good (morning|afternoon|evening)|thanks|thank you|thx|cheers|ok(ay)?|"
            r"cool|great|nice|awesome|perfect|sounds good|got it|bye|lol)\b",
            2.5,
        ),
        (r"\bhow are you\b|\bwhat'?s up\b|\bhow'?s it going\b", 3.0),
        (r"^\s*(who|what|when|where|which|why|is|are|do|does|can|could)\b[^\n]{0,120}\?\s*$", 0.8),
        (r"\b(what is|what's|what are|who (is|was|wrote|invented)|when (did|was|is)|where (is|was))\b", 0.8),
        (r"\b(explain|tell me about|difference between|what do you think|any (tips|advice))\b", 0.8),
        (r"\b(i feel|i'm feeling|i am feeling|just wanted to|honestly|be honest)\b", 1.2),
        (
            r"привет|спасибо|hola\b|gracias|bonjour|merci|danke|hallo\b|你好|谢谢|こんにちは|ありがとう|안녕|감사",
            2.0,
        ),
    ),
}

# High-precision patterns over the instruction lines only: a match answers without the model.
SHORTCUTS: tuple[tuple[Label, str], ...] = (
    ("translation", rf"^\s*(please )?translate\b(?!.{{0,60}}\b(code|function|script|program|{_PROG})\b)"),
    ("translation", rf"\btranslate\b.{{0,60}}\b(into|to) {_LANG}\b(?!.{{0,20}}code)"),
    ("translation", r"^\s*how (would|do) (you|i) say\b"),
    ("summarize", r"\btl;?dr\b"),
    ("summarize", r"^\s*(please )?(summari[sz]e|condense)\b"),
    ("summarize", r"\b(write|give|generate|suggest)( me)? an? (short |brief |one-line |concise )?summary\b"),
    ("summarize", r"\b(generate|write|suggest) an? (headline|title) for (this|the following)\b"),
    ("rewrite", r"\b(fix|correct)\b.{0,20}\b(the |my )?(grammar|grammer|spelling)\b"),
    ("rewrite", r"^\s*(please )?(rephrase|paraphrase|reword|proofread)\b"),
    ("extraction", r"^\s*(please )?extract\b(?!.{0,40}\b(function|method|code|class)\b)"),
    ("extraction", r"\bner task\b|\btag the named entities\b"),
    ("creative", r"^\s*(please )?write (me )?an? (short )?(poem|haiku|limerick|sonnet|short story|song)\b"),
    (
        "code",
        rf"\b(write|implement|rewrite|port|translate|convert)\b.{{0,40}}\b(function|class|script|program)\b"
        rf".{{0,40}}\b(in|to|into) {_PROG}\b",
    ),
    ("code", r"^\s*(write|give me) an? (bash|shell) (command|one-liner|script)\b"),
    ("chat", r"^\s*(hi|hello|hey|thanks|thank you|thx|good (morning|evening))[\s!.,]*(there)?[\s!.]*$"),
)



@dataclass(frozen=True, slots=True)
class _Rule:
    label: Label
    pattern: re.Pattern[str]
    weight: float
    needs: Literals | None  # a match contains one of these; None: no literal is certain


@dataclass(frozen=True, slots=True)
class _Rules:
    """A list of rules indexed by the literals they need: ``candidates(text)`` is the (ordered)
    indices of the rules that could match ``text``; the others cannot, so they are not run."""

    rules: tuple[_Rule, ...]
    by_literal: Mapping[str, frozenset[int]]
    always: frozenset[int]  # rules with no certain literal

    @classmethod
    def build(cls, rules: Sequence[_Rule]) -> _Rules:
        by: dict[str, set[int]] = {}
        for i, r in enumerate(rules):
            for s in r.needs or ():
                by.setdefault(s, set()).add(i)
        return cls(tuple(rules), {s: frozenset(ix) for s, ix in by.items()},
                   frozenset(i for i, r in enumerate(rules) if r.needs is None))

    def candidates(self, text: str) -> list[int]:
        if not text:
            return []
        hit = set(self.always)
        for s in present(self.by_literal, text):
            hit |= self.by_literal[s]
        return sorted(hit)

    def matching(self, text: str, skip: frozenset[int] | set[int] = frozenset()) -> list[int]:
        """Indices of the rules that match ``text`` (those in ``skip`` are not tried)."""
        return [i for i in self.candidates(text) if i not in skip and self.rules[i].pattern.search(text) is not None]


def _rule(label: Label, pattern: str, weight: float) -> _Rule:
    return _Rule(label, re.compile(pattern, _F), weight, required_literals(pattern, _F))


@cache
def _scoring_rules() -> _Rules:
    return _Rules.build([_rule(label, p, w) for label, rs in RULES.items() for p, w in rs])


@cache
def _shortcut_rules() -> _Rules:
    return _Rules.build([_rule(label, p, 0.0) for label, p in SHORTCUTS])


INSTRUCTION_CHARS = 400
BODY_WEIGHT = 0.25
PRIOR = 0.15


def split_instruction(text: str) -> tuple[str, str]:
    """``(instruction, body)``: the first and last non-empty lines (a few hundred characters each)
    and what lies between them. A short text is all instruction."""
    if len(text) <= 2 * INSTRUCTION_CHARS:
        return text, ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) <= 1:
        return text[:INSTRUCTION_CHARS] + "\n" + text[-INSTRUCTION_CHARS:], text[
            INSTRUCTION_CHARS:-INSTRUCTION_CHARS
        ]
    first, last = lines[0][:INSTRUCTION_CHARS], lines[-1][-INSTRUCTION_CHARS:]
    body = "\n".join(lines[1:-1])
    return first + "\n" + last, body


def rule_scores(text: str) -> dict[Label, float]:
    compiled = _scoring_rules()
    instruction, body = split_instruction(text)
    in_instruction = set(compiled.matching(instruction.lower()))
    in_body = set(compiled.matching(body.lower(), skip=in_instruction))  # weighed only if not above
    scores: dict[Label, float] = dict.fromkeys(RULES, 0.0)
    for i in sorted(in_instruction | in_body):  # rule order, so the sums are the same floats
        rule = compiled.rules[i]
        scores[rule.label] += rule.weight if i in in_instruction else rule.weight * BODY_WEIGHT
    # Nothing specific and short: a conversational turn.
    if len(text) < 200 and max(scores.values()) < 1.0:
        scores["chat"] += 1.0
    return scores


def rule_probabilities(text: str) -> dict[Label, float]:
    scores = rule_scores(text)
    raw = {label: (scores[label] + PRIOR) ** 2 for label in LABELS}
    total = sum(raw.values())
    return {label: raw[label] / total for label in LABELS}


def keyword_shortcut(text: str) -> Label | None:
    """A label when an unambiguous instruction keyword says it, else ``None``. Precision first."""
    compiled = _shortcut_rules()
    hits = {compiled.rules[i].label for i in compiled.matching(split_instruction(text)[0].lower())}
    if len(hits) == 1:
        return hits.pop()
    if hits == {"code", "translation"} or hits == {"code", "rewrite"}:
        return "code"
    return None


def _best(probabilities: Mapping[Label, float]) -> Label:
    return max(LABELS, key=lambda label: probabilities[label])


class RulesClassifier:
    """Keyword rules over the step window: stdlib only, microseconds a call."""

    name = "rules"

    def classify(self, text: str) -> Classification:
        started = time.perf_counter()
        text = clean_text(text)
        probabilities = rule_probabilities(text)
        label = _best(probabilities)
        return Classification(
            label=label,
            confidence=probabilities[label],
            path="rules",
            probabilities=probabilities,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        )

    def classify_many(self, texts: Sequence[str]) -> list[Classification]:
        return [self.classify(t) for t in texts]

    def warm(self) -> None:
        _scoring_rules()
        _shortcut_rules()


MAX_CHARS = 8192
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Bound the input and drop control characters so binary-looking input is plain text."""
    if not isinstance(text, str):
        raise TypeError(f"classify() takes a str, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        half = MAX_CHARS // 2
        text = text[:half] + "\n" + text[-half:]
    return _CONTROL.sub(" ", text)
