"""The small research corpus shipped with the demo and examples, and the two tools over it.

``search`` and ``fetch`` have the same shape as a web-search tool and a page-fetch tool, so an
example swaps them for real ones (Tavily, a fetch MCP server, ...) without touching the agent.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset("a an and are as at be by for from has have in is it its of on or that the this to was were with what how why which".split())


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    title: str
    source: str
    text: str


def _parse(doc_id: str, raw: str) -> Document:
    meta: dict[str, str] = {}
    body = raw
    if raw.startswith("---\n"):
        head, _, body = raw[4:].partition("\n---\n")
        for line in head.splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    return Document(doc_id, meta.get("title", doc_id), meta.get("source", ""), body.strip())


@lru_cache(maxsize=1)
def documents() -> tuple[Document, ...]:
    folder = resources.files("routed_llm.demo").joinpath("corpus")
    docs = [
        _parse(item.name.removesuffix(".md"), item.read_text("utf-8"))
        for item in sorted(folder.iterdir(), key=lambda p: p.name)
        if item.name.endswith(".md")
    ]
    return tuple(docs)


def _terms(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def search(query: str, k: int = 3) -> list[dict[str, str]]:
    """Rank the corpus for ``query`` (BM25) and return the top ``k`` as id, title, snippet."""
    docs = documents()
    tokenized = [_terms(d.title + " " + d.text) for d in docs]
    avg = sum(len(t) for t in tokenized) / len(tokenized)
    df = Counter(term for terms in tokenized for term in set(terms))
    scores = []
    for doc, terms in zip(docs, tokenized, strict=True):
        tf = Counter(terms)
        score = 0.0
        for term in set(_terms(query)):
            if term not in tf:
                continue
            idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
            score += idf * tf[term] * 2.2 / (tf[term] + 1.2 * (0.25 + 0.75 * len(terms) / avg))
        scores.append((score, doc))
    ranked = [d for s, d in sorted(scores, key=lambda x: -x[0]) if s > 0][: max(1, k)]
    return [{"id": d.id, "title": d.title, "snippet": d.text[:200].replace("\n", " ") + "..."} for d in ranked]


def fetch(doc_id: str) -> str:
    """The full text of document ``doc_id`` (as returned by ``search``)."""
    for doc in documents():
        if doc.id == doc_id or doc.title == doc_id:
            return f"# {doc.title}\n{doc.source}\n\n{doc.text}"
    best = search(doc_id, k=1)
    if best:  # tolerate a title or a few words instead of an id, as page fetchers tolerate redirects
        return fetch(best[0]["id"])
    known = ", ".join(d.id for d in documents())
    return f"error: no document {doc_id!r}; known ids: {known}"
