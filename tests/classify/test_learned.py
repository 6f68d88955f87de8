from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("sklearn")

from routed_llm.classify.features import featurize
from routed_llm.classify.head import Head, load_head
from routed_llm.classify.learned import LearnedClassifier
from routed_llm.classify.train import fit_thresholds, read_examples, split_holdout, train_head
from routed_llm.classify.window import step_window
from routed_llm.errors import ConfigError
from routed_llm.labels import LABELS
from routed_llm.messages import Message, ToolCall

from .conftest import SMALL, HashEncoder


@pytest.fixture(scope="module")
def trained() -> tuple[Head, dict[str, object]]:
    enc = HashEncoder()
    examples = read_examples([SMALL])
    return train_head(
        examples, lambda ws: featurize(ws, enc), static_featurize_fn=lambda ws: featurize(ws, enc)
    )


def _classifier(head: Head, **kw: object) -> LearnedClassifier:
    return LearnedClassifier(head=head, encoder=HashEncoder(), static_encoder=HashEncoder(), **kw)  # type: ignore[arg-type]


def test_thresholds_come_from_fit(trained: tuple[Head, dict[str, object]]) -> None:
    head, report = trained
    assert dict(head.thresholds) == report["thresholds"]
    assert set(head.thresholds) == set(LABELS)
    # The fit picks the lowest threshold that hands the head's unsure rows to the rules.
    import numpy as np

    probs = np.full((4, len(LABELS)), 0.01, dtype=np.float32)
    probs[:, 0] = [0.9, 0.9, 0.4, 0.4]
    y = np.asarray([0, 0, 1, 1])
    th = fit_thresholds(probs, y, rules_pred=np.asarray([1, 1, 1, 1]))
    assert th["reasoning"] == 0.45
    assert split_holdout(read_examples([SMALL]))[1], "the small file must leave rows for the fit"


def test_every_path_is_reachable_and_reported(trained: tuple[Head, dict[str, object]]) -> None:
    head, _ = trained
    c = _classifier(replace(head, thresholds=dict.fromkeys(LABELS, 0.0), static_threshold=1.01))
    assert c.classify("Translate into French: the shop is closed.").path == "keyword"
    learned = c.classify("ok that all makes sense to me now")
    assert learned.path == "learned"
    strict = _classifier(replace(head, thresholds=dict.fromkeys(LABELS, 1.01)))
    fallback = strict.classify("Please make this sound more polite: send me the file")
    assert fallback.path == "rules" and fallback.label == "rewrite"
    no_kw = _classifier(head, keyword=False)
    assert no_kw.classify("Translate into French: the shop is closed.").path in ("learned", "rules")


def test_static_stage_skips_minilm(trained: tuple[Head, dict[str, object]]) -> None:
    head, _ = trained
    minilm, static = HashEncoder(), HashEncoder()
    c = LearnedClassifier(
        head=replace(head, static_threshold=0.0), encoder=minilm, static_encoder=static, keyword=False
    )
    c.warm()
    before = minilm.calls
    assert c.classify("some step text").path in ("learned", "rules")
    assert minilm.calls == before and static.calls >= 1


def test_cache_and_batch(trained: tuple[Head, dict[str, object]]) -> None:
    head, _ = trained
    enc = HashEncoder()
    c = LearnedClassifier(head=head, encoder=enc, static=False, keyword=False)
    c.warm()
    texts = ["what is the capital of Peru?", "write a poem about rain", "what is the capital of Peru?"]
    many = c.classify_many(texts)
    assert enc.calls == 2  # warm-up + one batch for the two distinct texts
    one = [c.classify(t) for t in texts]
    assert enc.calls == 2  # all cached
    assert [m.label for m in many] == [o.label for o in one]


def test_200_message_conversation_classifies_from_window(trained: tuple[Head, dict[str, object]]) -> None:
    head, _ = trained
    msgs: list[Message] = []
    for i in range(100):
        msgs += [Message.user(f"write a poem number {i}"), Message.assistant(f"a poem {i}")]
    msgs += [
        Message.user("Extract the dates from the search result"),
        Message.assistant("", [ToolCall(id="t1", name="search")]),
        Message.tool("t1", "3 May, 9 June"),
    ]
    assert len(msgs) > 200
    c = _classifier(head)
    window = step_window(msgs)
    assert "poem" not in window
    assert (
        c.classify(window).label
        == c.classify("Extract the dates from the search result\n\n3 May, 9 June").label
    )


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\x00\x01\x02\xff\ufffe" * 200, "word " * 200_000])
def test_odd_inputs_get_a_label(trained: tuple[Head, dict[str, object]], text: str) -> None:
    head, _ = trained
    assert _classifier(head).classify(text).label in LABELS


def test_head_roundtrip_and_errors(trained: tuple[Head, dict[str, object]], tmp_path: Path) -> None:
    head, _ = trained
    path = head.save(tmp_path / "head.json")
    again = load_head(path)
    assert again.thresholds == head.thresholds and len(again.coef) == len(LABELS)
    assert again.has_static == head.has_static
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(ConfigError, match="not a routed-llm classifier head"):
        load_head(bad)
    with pytest.raises(ConfigError, match="routed-llm train"):
        load_head(tmp_path / "missing.json")


def test_bad_training_rows_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "d.jsonl"
    p.write_text('{"text": "hi", "label": "chat"}\n{"text": "x", "label": "poetry"}\n')
    with pytest.raises(ConfigError, match=r"d\.jsonl:2"):
        read_examples([p])
