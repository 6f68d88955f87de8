"""Cascade verifiers: decide whether a cheap tier's answer stands or the step escalates.

A verifier is anything with ``verify(request, response_text, label) -> VerifyResult``. Rule
verifiers are pure and instant; ``JudgeVerifier`` asks a cheap judge model through a callable the
router supplies (``judge(prompt) -> str``), so this module never calls a provider itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from routed_llm.labels import Label
from routed_llm.messages import Request
from routed_llm.policy.complexity import step_text
from routed_llm.policy.config import DEFAULT_REFUSALS, CascadeConfig

Judge = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class VerifyResult:
    ok: bool
    reason: str = ""


@runtime_checkable
class Verifier(Protocol):
    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult: ...


@dataclass(frozen=True, slots=True)
class NonEmpty:
    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        if response_text.strip():
            return VerifyResult(True, "non-empty")
        return VerifyResult(False, "empty answer")


@dataclass(frozen=True, slots=True)
class ValidJson:
    """When the request asks for JSON (a response_format), the answer must parse as a JSON object."""

    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        fmt = request.response_format
        if fmt is None:
            return VerifyResult(True, "no JSON requested")
        text = response_text.strip()
        if text.startswith("```"):
            text = text.strip("`").removeprefix("json").strip()
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            return VerifyResult(False, f"not valid JSON: {exc.msg}")
        if not isinstance(value, dict):
            return VerifyResult(False, "JSON is not an object")
        required = fmt.schema.get("required", []) if fmt.schema else []
        missing = [k for k in required if isinstance(k, str) and k not in value]
        if missing:
            return VerifyResult(False, f"JSON misses required keys {missing}")
        return VerifyResult(True, "valid JSON")


@dataclass(frozen=True, slots=True)
class NoRefusal:
    phrases: tuple[str, ...] = DEFAULT_REFUSALS

    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        low = response_text.lower()
        for phrase in self.phrases:
            if phrase.lower() in low:
                return VerifyResult(False, f"refusal or hedging: {phrase!r}")
        return VerifyResult(True, "no refusal")


@dataclass(frozen=True, slots=True)
class MinLength:
    chars: int = 1

    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        n = len(response_text.strip())
        if n >= self.chars:
            return VerifyResult(True, f"length {n} >= {self.chars}")
        return VerifyResult(False, f"too short ({n} < {self.chars} characters)")


@dataclass(frozen=True, slots=True)
class AllOf:
    """Passes when every verifier passes; the reason is the first failure (or all passes)."""

    verifiers: tuple[Verifier, ...]

    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        reasons: list[str] = []
        for v in self.verifiers:
            result = v.verify(request, response_text, label)
            if not result.ok:
                return result
            reasons.append(result.reason)
        return VerifyResult(True, "; ".join(reasons))


JUDGE_PROMPT = """You grade an assistant's answer for a task of type "{label}".
Task:
<<<
{task}
>>>
Answer:
<<<
{answer}
>>>
Reply with PASS if the answer is complete and correct for the task, or FAIL if it is wrong,
incomplete, evasive or off-task. Then one short sentence of reason."""


@dataclass(frozen=True, slots=True)
class JudgeVerifier:
    """Asks a judge model (through ``judge``) whether the answer passes; rules run first.

    Without a bound judge it answers with the rule verdict and says so, so a cascade never
    silently accepts an unchecked answer as judged.
    """

    judge: Judge | None = None
    rules: Verifier = NonEmpty()
    max_chars: int = 6000

    def bind(self, judge: Judge) -> JudgeVerifier:
        return JudgeVerifier(judge, self.rules, self.max_chars)

    def prompt(self, request: Request, response_text: str, label: Label) -> str:
        half = self.max_chars // 2
        task = step_text(request)
        if len(task) > self.max_chars:
            task = task[:half] + "\n[...]\n" + task[-half:]
        return JUDGE_PROMPT.format(label=label, task=task, answer=response_text[: self.max_chars])

    def verify(self, request: Request, response_text: str, label: Label) -> VerifyResult:
        pre = self.rules.verify(request, response_text, label)
        if not pre.ok:
            return pre
        if self.judge is None:
            return VerifyResult(True, f"{pre.reason}; no judge bound (rules only)")
        verdict = self.judge(self.prompt(request, response_text, label)).strip()
        head = verdict.split(None, 1)[0].strip(".:,!").upper() if verdict else ""
        reason = verdict[len(head):].strip(" .:-\n") or verdict
        if head in ("PASS", "YES", "OK"):
            return VerifyResult(True, f"judge: {reason or 'pass'}")
        if head in ("FAIL", "NO"):
            return VerifyResult(False, f"judge: {reason or 'fail'}")
        return VerifyResult(False, f"judge gave no verdict: {verdict[:80]!r}")


def rule_verifier(rules: Sequence[str], *, min_length: int = 1,
                  refusal_phrases: tuple[str, ...] = DEFAULT_REFUSALS) -> Verifier:
    made: list[Verifier] = []
    for rule in rules:
        if rule == "non_empty":
            made.append(NonEmpty())
        elif rule == "json":
            made.append(ValidJson())
        elif rule == "no_refusal":
            made.append(NoRefusal(refusal_phrases))
        elif rule == "min_length":
            made.append(MinLength(min_length))
        else:
            raise ValueError(f"unknown rule {rule!r}")
    return made[0] if len(made) == 1 else AllOf(tuple(made))


def build_verifier(config: CascadeConfig, judge: Judge | None = None) -> Verifier:
    rules = rule_verifier(config.rules or ("non_empty",), min_length=config.min_length,
                          refusal_phrases=config.refusal_phrases)
    if config.verifier == "judge":
        return JudgeVerifier(judge, rules)
    return rules
