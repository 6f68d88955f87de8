"""Literal prefilters for regular expressions: skip a regex when it cannot possibly match.

``required_literals(pattern)`` reads a pattern's parse tree and returns a set of strings of which
any match must contain at least one (``None`` when no such set can be derived, e.g. ``\\d+``). A
substring test (``in``, C speed) on those few strings is far cheaper than running the regex, and
most rules do not match most steps, so the rules classifier checks the literals first.

The derivation is conservative by construction: a sequence needs what any one of its elements
needs, an alternation needs what one of its branches needs (the union), a repeat with a minimum of
at least one needs what its body needs, and anything else (classes, anchors, optional parts) needs
nothing. It assumes a case-sensitive pattern; the rules lowercase the text and their patterns are
written in lower case, so case never breaks the guarantee.
"""

from __future__ import annotations

from collections.abc import Iterable
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

Literals = frozenset[str]

_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


def _best(candidates: list[Literals]) -> Literals | None:
    """The most selective requirement: the longest shortest string, then the fewest strings."""
    if not candidates:
        return None
    return max(candidates, key=lambda s: (min(len(x) for x in s), -len(s)))


def _required(items: Iterable[tuple[Any, Any]]) -> Literals | None:
    candidates: list[Literals] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            candidates.append(frozenset({"".join(run)}))
            run.clear()

    for op, av in items:
        if op is sre.LITERAL:
            run.append(chr(av))
            continue
        flush()
        needed: Literals | None = None
        if op is sre.SUBPATTERN:
            needed = _required(av[-1])
        elif op is sre.ATOMIC_GROUP:
            needed = _required(av)
        elif op is sre.BRANCH:
            branches = [_required(b) for b in av[1]]
            if all(b is not None for b in branches):
                needed = frozenset().union(*(b for b in branches if b is not None))
        elif op in _REPEATS and av[0] >= 1:
            needed = _required(av[2])
        if needed:
            candidates.append(needed)
    flush()
    return _best(candidates)


def required_literals(pattern: str, flags: int = 0) -> Literals | None:
    """Strings of which every match of ``pattern`` contains at least one, or ``None`` if unknown.

    Raises ``ValueError`` for a case-insensitive pattern (the literals would be case-sensitive).
    """
    parsed = sre_parse.parse(pattern, flags)
    if parsed.state.flags & sre.SRE_FLAG_IGNORECASE:
        raise ValueError("required_literals needs a case-sensitive pattern; lowercase the text instead")
    return _required(parsed)


def present(literals: Iterable[str], text: str) -> frozenset[str]:
    """The literals that occur in ``text``."""
    return frozenset(s for s in literals if s in text)


__all__ = ["Literals", "present", "required_literals"]
