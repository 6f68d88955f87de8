"""Calibrate per-(label, model) quality from graded results.

Results file (JSON Lines, one graded answer a line; blank lines and lines starting with ``#`` skipped)::

    {"label": "code", "model": "gpt-5-mini", "score": 0.8}
    {"label": "chat", "model": "anthropic/claude-haiku-4-5", "pass": true, "weight": 2}

``label`` is one of the eight labels; ``model`` a catalog model (``name`` or ``provider/name``);
``score`` a grade from 0 to 1 (or ``pass``: true/false = 1/0); ``weight`` (optional, > 0, default 1)
counts the row as that many rows. Other keys (prompt, answer, grader, ...) are ignored.

The estimate shrinks toward the catalog's score, so a few rows do not swing it::

    quality = (strength * catalog_quality + sum(weight * score)) / (strength + sum(weight))

``strength`` (default 20) is how many graded rows the catalog's score is worth. Each run starts from
the catalog, not from an earlier calibration, so pass every results file you have each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from routed_llm.catalog import Catalog
from routed_llm.errors import ConfigError
from routed_llm.labels import Label, check_label

DEFAULT_STRENGTH = 20.0


@dataclass(frozen=True, slots=True)
class Row:
    label: Label
    model: str
    score: float
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class Estimate:
    model: str
    label: Label
    prior: float
    n: float
    mean: float
    quality: float


def parse_row(raw: object, catalog: Catalog, where: str) -> Row:
    if not isinstance(raw, Mapping):
        raise ConfigError("each line must be a JSON object like "
                          '{"label": "code", "model": "gpt-5-mini", "score": 0.8}', key=where)
    label = check_label(str(raw.get("label")), key=f"{where}.label")
    name = raw.get("model")
    if not isinstance(name, str):
        raise ConfigError("model must name a catalog model", key=f"{where}.model")
    try:
        model = catalog.model(name).name
    except ConfigError as exc:
        raise ConfigError(str(exc).removeprefix("model: "), key=f"{where}.model") from None
    if "score" in raw:
        score = raw["score"]
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
            raise ConfigError(f"score is a grade from 0 to 1, got {score!r}", key=f"{where}.score")
    elif isinstance(raw.get("pass"), bool):
        score = 1.0 if raw["pass"] else 0.0
    else:
        raise ConfigError('needs "score" (0..1) or "pass" (true/false)', key=f"{where}.score")
    weight = raw.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight <= 0:
        raise ConfigError(f"weight must be a number > 0, got {weight!r}", key=f"{where}.weight")
    return Row(label, model, float(score), float(weight))


def read_results(paths: Iterable[str | Path], catalog: Catalog) -> list[Row]:
    rows: list[Row] = []
    for path in paths:
        p = Path(path)
        try:
            text = p.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read results file: {exc.strerror}", key=str(p)) from exc
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = f"{p.name}:{i}"
            try:
                raw = json.loads(line)
            except ValueError as exc:
                raise ConfigError(f"not valid JSON ({exc})", key=where) from None
            rows.append(parse_row(raw, catalog, where))
    return rows


def calibrate(rows: Iterable[Row], catalog: Catalog, *, strength: float = DEFAULT_STRENGTH) -> list[Estimate]:
    if strength < 0:
        raise ConfigError("must be >= 0 (rows the catalog score is worth)", key="strength")
    sums: dict[tuple[str, Label], tuple[float, float]] = {}
    for row in rows:
        n, s = sums.get((row.model, row.label), (0.0, 0.0))
        sums[(row.model, row.label)] = (n + row.weight, s + row.weight * row.score)
    out: list[Estimate] = []
    for (model, label), (n, s) in sorted(sums.items()):
        prior = catalog.model(model).quality_for(label)
        quality = (strength * prior + s) / (strength + n)
        out.append(Estimate(model, label, prior, n, s / n, round(quality, 4)))
    return out


def render_quality_file(estimates: Iterable[Estimate], *, strength: float, sources: Iterable[str]) -> str:
    lines = [
        "# Calibrated per-label quality, written by `routed-llm calibrate`.",
        f"# From: {', '.join(sources)}; shrinkage strength {strength:g} rows toward the catalog score.",
        "# Use it from a policy file with:  quality_file = \"<this file>\"",
        "# Each entry: calibrated quality  # rows, mean grade, catalog prior",
        "",
    ]
    by_model: dict[str, list[Estimate]] = {}
    for e in estimates:
        by_model.setdefault(e.model, []).append(e)
    for model in sorted(by_model):
        lines.append(f'[quality."{model}"]')
        for e in by_model[model]:
            lines.append(f"{e.label} = {e.quality}  # n={e.n:g} mean={e.mean:.3f} prior={e.prior:.3f}")
        lines.append("")
    return "\n".join(lines)
