"""JSON Schema checks (is this a usable schema?) and deterministic instances synthesized from one."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_MAX_DEPTH = 24
_KV = re.compile(r"""\b([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*("([^"]*)"|'([^']*)'|[^\s,;]+)""")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
STOPWORDS = frozenset(
    """a about again all also an and any are as at be both by call can check could do does each
    explain find for from get give hello help hey hi have how i in is it its just know let like look
    me my need now of on or parallel please show some tell thank thanks that the their them then
    there these this to tool tools up use using want was what when where which who why will with
    would write describe you your""".split()
)


def schema_problem(schema: object, *, path: str = "", depth: int = 0) -> str | None:
    """Why ``schema`` is not a well-formed JSON Schema, or None."""
    where = path or "(root)"
    if depth > _MAX_DEPTH:
        return f"{where}: schema nested deeper than {_MAX_DEPTH} levels"
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{where}: a schema must be an object, got {type(schema).__name__}"
    typ = schema.get("type")
    if typ is not None:
        types = typ if isinstance(typ, list) else [typ]
        if not types or any(not isinstance(t, str) or t not in JSON_TYPES for t in types):
            return f"{where}.type: {typ!r} is not a JSON Schema type (one of {sorted(JSON_TYPES)})"
    props = schema.get("properties")
    if props is not None:
        if not isinstance(props, Mapping):
            return f"{where}.properties: must be an object mapping names to schemas"
        for name, sub in props.items():
            problem = schema_problem(sub, path=f"{path}.properties.{name}", depth=depth + 1)
            if problem:
                return problem
    required = schema.get("required")
    if required is not None and (
        not isinstance(required, list) or any(not isinstance(r, str) for r in required)
    ):
        return f"{where}.required: must be an array of property names"
    items = schema.get("items")
    if items is not None:
        subs = items if isinstance(items, list) else [items]
        for i, sub in enumerate(subs):
            problem = schema_problem(sub, path=f"{path}.items" + (f"[{i}]" if isinstance(items, list) else ""), depth=depth + 1)
            if problem:
                return problem
    for key in ("anyOf", "oneOf", "allOf"):
        alts = schema.get(key)
        if alts is None:
            continue
        if not isinstance(alts, list) or not alts:
            return f"{where}.{key}: must be a non-empty array of schemas"
        for i, sub in enumerate(alts):
            problem = schema_problem(sub, path=f"{path}.{key}[{i}]", depth=depth + 1)
            if problem:
                return problem
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if defs is None:
            continue
        if not isinstance(defs, Mapping):
            return f"{where}.{key}: must be an object mapping names to schemas"
        for name, sub in defs.items():
            problem = schema_problem(sub, path=f"{path}.{key}.{name}", depth=depth + 1)
            if problem:
                return problem
    extra = schema.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool):
        problem = schema_problem(extra, path=f"{path}.additionalProperties", depth=depth + 1)
        if problem:
            return problem
    enum = schema.get("enum")
    if enum is not None and (not isinstance(enum, list) or not enum):
        return f"{where}.enum: must be a non-empty array"
    ref = schema.get("$ref")
    if ref is not None and not isinstance(ref, str):
        return f"{where}.$ref: must be a string"
    return None


def strict_problem(schema: Mapping[str, Any], *, path: str = "") -> str | None:
    """OpenAI strict mode: every object lists all its properties as required, no extra properties."""
    where = path or "(root)"
    if schema.get("type") == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        if schema.get("additionalProperties") is not False:
            return f"{where}: 'additionalProperties' is required to be supplied and to be false"
        missing = [p for p in props if p not in (schema.get("required") or [])]
        if missing:
            return f"{where}: 'required' is required to be supplied and to be an array including every key in properties. Missing {missing[0]!r}."
        for name, sub in props.items():
            if isinstance(sub, Mapping):
                problem = strict_problem(sub, path=f"{path}.properties.{name}")
                if problem:
                    return problem
    for key in ("items",):
        sub = schema.get(key)
        if isinstance(sub, Mapping):
            problem = strict_problem(sub, path=f"{path}.{key}")
            if problem:
                return problem
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        seq: Sequence[Any] = list(subs.values()) if isinstance(subs, Mapping) else (subs or [])
        for i, sub in enumerate(seq):
            if isinstance(sub, Mapping):
                problem = strict_problem(sub, path=f"{path}.{key}[{i}]")
                if problem:
                    return problem
    return None


def _excluded(exclude: frozenset[str]) -> set[str]:
    out: set[str] = set()
    for name in exclude:
        out.add(name.lower())
        out.update(p for p in re.split(r"[_-]", name.lower()) if p)
    return out


def content_words(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """The words of ``text`` worth echoing: no stop words, no tool names (nor their parts)."""
    ex = _excluded(exclude)
    return [w for w in _WORD.findall(text) if w.lower() not in STOPWORDS and w.lower() not in ex]


def key_phrases(text: str, exclude: frozenset[str] = frozenset()) -> list[str]:
    """Runs of capitalized words not opening a sentence ("Paris", "New York"): likely argument values."""
    ex = _excluded(exclude)
    phrases: list[str] = []
    current: list[str] = []
    sentence_start = True
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9'-]*|[.!?]", text):
        tok = m.group(0)
        if tok in ".!?":
            sentence_start = True
            if current:
                phrases.append(" ".join(current))
                current = []
            continue
        if tok[0].isupper() and not sentence_start and tok.lower() not in ex and tok.lower() not in STOPWORDS:
            current.append(tok)
        elif current:
            phrases.append(" ".join(current))
            current = []
        sentence_start = False
    if current:
        phrases.append(" ".join(current))
    return list(dict.fromkeys(phrases))


def prompt_assignments(text: str) -> dict[str, str]:
    """``name=value`` / ``name: "value"`` pairs written in the prompt (used for matching arguments)."""
    out: dict[str, str] = {}
    for m in _KV.finditer(text):
        value = m.group(3) if m.group(3) is not None else m.group(4) if m.group(4) is not None else m.group(2)
        out.setdefault(m.group(1), value)
    return out


class Synthesizer:
    """Builds a value valid against a schema, deterministically from a seed and the prompt words."""

    def __init__(self, root: Mapping[str, Any], *, seed: bytes, words: Sequence[str],
                 assignments: Mapping[str, str], all_properties: bool, phrases: Sequence[str] = ()) -> None:
        self._root = root
        self._seed = seed
        self._words = list(words)
        self._phrases = list(phrases)
        self._kv = dict(assignments)
        self._all = all_properties

    def value(self) -> Any:
        return self._make(self._root, "$", None, 0)

    def _num(self, path: str, n: int) -> int:
        h = hashlib.sha256(self._seed + path.encode()).digest()
        return int.from_bytes(h[:4], "big") % n

    def _resolve(self, schema: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
            ref: str = schema["$ref"]
            target: Any = self._root
            if ref.startswith("#"):
                for part in [p for p in ref[1:].split("/") if p]:
                    target = target.get(part) if isinstance(target, Mapping) else None
            if not isinstance(target, Mapping):
                return {}
            schema = target
            seen += 1
        return schema

    def _make(self, schema: Any, path: str, name: str | None, depth: int) -> Any:
        if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
            return None if schema is False else self._string(path, name, {})
        schema = self._resolve(schema)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            given = self._kv.get(name or "")
            return given if given in schema["enum"] else schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            alts = schema.get(key)
            if isinstance(alts, list) and alts:
                non_null = [a for a in alts if not (isinstance(a, Mapping) and a.get("type") == "null")]
                return self._make((non_null or alts)[0], path, name, depth + 1)
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                if isinstance(part, Mapping):
                    part = self._resolve(part)
                    for k, v in part.items():
                        if k in ("properties",) and isinstance(v, Mapping):
                            merged.setdefault("properties", {}).update(v)
                        elif k == "required" and isinstance(v, list):
                            merged.setdefault("required", []).extend(v)
                        else:
                            merged.setdefault(k, v)
            return self._make(merged, path, name, depth + 1)
        typ = schema.get("type")
        if isinstance(typ, list):
            typ = next((t for t in typ if t != "null"), "null")
        if typ is None:
            typ = "object" if "properties" in schema else "array" if "items" in schema else "string"
        given = self._kv.get(name or "")
        if typ == "object":
            return self._object(schema, path, depth)
        if typ == "array":
            return self._array(schema, path, depth)
        if typ == "integer":
            return self._integer(schema, path, given)
        if typ == "number":
            return self._number(schema, path, given)
        if typ == "boolean":
            return given.lower() not in ("false", "no", "0") if given else True
        if typ == "null":
            return None
        return self._string(path, name, schema)

    def _object(self, schema: Mapping[str, Any], path: str, depth: int) -> dict[str, Any]:
        props = schema.get("properties")
        if not isinstance(props, Mapping):
            return {}
        required = [r for r in schema.get("required") or [] if isinstance(r, str)]
        names = list(props) if self._all else [r for r in required if r in props]
        names += [r for r in required if r not in props and r not in names]
        return {n: self._make(props.get(n, {"type": "string"}), f"{path}.{n}", n, depth + 1) for n in names}

    def _array(self, schema: Mapping[str, Any], path: str, depth: int) -> list[Any]:
        items = schema.get("items", {"type": "string"})
        count = max(1, int(schema.get("minItems", 1) or 1))
        max_items = schema.get("maxItems")
        if isinstance(max_items, int):
            count = min(count, max_items)
        if isinstance(items, list):
            return [self._make(s, f"{path}[{i}]", None, depth + 1) for i, s in enumerate(items)]
        return [self._make(items, f"{path}[{i}]", None, depth + 1) for i in range(count)]

    def _bounds(self, schema: Mapping[str, Any], default: tuple[float, float]) -> tuple[float, float]:
        def num(key: str) -> float | None:
            v = schema.get(key)
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

        lo, hi = default
        if (v := num("minimum")) is not None:
            lo = v
        if (v := num("exclusiveMinimum")) is not None:
            lo = v + 1
        has_max = False
        if (v := num("maximum")) is not None:
            hi, has_max = v, True
        if (v := num("exclusiveMaximum")) is not None:
            hi, has_max = v - 1, True
        if hi < lo:
            hi = lo if has_max else lo + 10
        return lo, hi

    def _integer(self, schema: Mapping[str, Any], path: str, given: str | None) -> int:
        if given is not None:
            try:
                return int(float(given))
            except ValueError:
                pass
        lo, hi = self._bounds(schema, (1, 10))
        lo_i, hi_i = int(-(-lo // 1)), int(hi // 1)
        if hi_i < lo_i:
            return lo_i
        return lo_i + self._num(path, hi_i - lo_i + 1)

    def _number(self, schema: Mapping[str, Any], path: str, given: str | None) -> float:
        if given is not None:
            try:
                return float(given)
            except ValueError:
                pass
        lo, hi = self._bounds(schema, (0, 100))
        return round(lo + (hi - lo) * self._num(path, 1000) / 1000, 2)

    def _string(self, path: str, name: str | None, schema: Mapping[str, Any]) -> str:
        given = self._kv.get(name or "")
        fmt = schema.get("format")
        if given is not None:
            text = given
        elif fmt == "date":
            text = "2025-01-15"
        elif fmt == "date-time":
            text = "2025-01-15T12:00:00Z"
        elif fmt == "email":
            text = "user@example.com"
        elif fmt in ("uri", "url"):
            text = "https://example.com/" + (self._words[0].lower() if self._words else "item")
        elif self._phrases:
            text = self._phrases[self._num(path, len(self._phrases))]
        elif self._words:
            start = self._num(path, len(self._words))
            take = 1 + self._num(path + "#n", min(3, len(self._words)))
            picked = (self._words[start:] + self._words[:start])[:take]
            text = " ".join(picked)
        else:
            text = name or "value"
        min_len = schema.get("minLength")
        max_len = schema.get("maxLength")
        if isinstance(min_len, int) and len(text) < min_len:
            text = text + "x" * (min_len - len(text))
        if isinstance(max_len, int) and len(text) > max_len:
            text = text[:max_len]
        return text


def dumps(value: Any) -> str:
    """Compact JSON the way providers write tool arguments."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
