"""The NoRouteError message: each model's reason and the config key to change."""

from __future__ import annotations

from collections.abc import Sequence

from routed_llm.catalog import ModelSpec
from routed_llm.errors import NoRouteError

_FIXES: tuple[tuple[str, str, str], ...] = (
    ("no API key", "available_providers",
     "set the API key environment variable of a provider (e.g. OPENAI_API_KEY)"),
    ("missing capability", "required",
     "drop the requirement or add a capable model to the catalog (models.<name>.capabilities)"),
    ("context window", "context_window",
     "shorten the prompt, lower max_tokens, or add a model with a larger models.<name>.context_window"),
    ("max output", "max_tokens", "lower max_tokens or add a model with a larger models.<name>.max_output_tokens"),
    ("not pinned", "pin_mode", "set pin_mode = \"prefer\" so other providers may serve, or pin another provider"),
    ("cooling down", "cooling", "wait for the cooldown to end, or add fallbacks on another provider"),
)


def no_route(what: str, filtered: Sequence[tuple[ModelSpec, str]], *, key: str | None = None,
             fix: str | None = None) -> NoRouteError:
    lines = [f"no model can serve {what}:"]
    for model, reason in filtered:
        lines.append(f"  {model.key}: {reason}")
    counts: dict[str, int] = {}
    keyed = [(m, r) for m, r in filtered if "no API key" not in r]
    for _, reason in keyed or filtered:
        for needle, k, _ in _FIXES:
            if needle in reason:
                counts[k] = counts.get(k, 0) + 1
    if key is None and counts:
        key = max(counts, key=lambda k: counts[k])
    if fix is None:
        fix = next((f for _, k, f in _FIXES if k == key), "relax the constraints of this step")
    lines.append(f"to fix ({key}): {fix}")
    return NoRouteError("\n".join(lines), key=key)
