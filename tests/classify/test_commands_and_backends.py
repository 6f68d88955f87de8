"""End-to-end: the real ONNX / torch encoders and the `routed-llm` subcommands."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

from routed_llm.classify import commands

from .conftest import SMALL, needs_extra


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers()
    commands.register(sub)
    return p


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    code: int = args.handler(args)
    return code


def test_register_adds_three_subcommands() -> None:
    p = _parser()
    for name in ("train", "eval", "classify"):
        assert callable(p.parse_args([name, "x"]).handler)


def test_classify_with_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["classify", "Summarize this: the meeting moved.", "--classifier", "rules"]) == 0
    out = capsys.readouterr().out
    assert "label summarize" in out and "path rules" in out and "latency" in out


def test_eval_with_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["eval", str(SMALL), "--classifier", "rules", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 80 and 0.5 < report["macro_f1"] <= 1.0
    if importlib.util.find_spec("matplotlib") is not None:
        png = tmp_path / "cm.png"
        assert _run(["eval", str(SMALL), "--classifier", "rules", "--png", str(png)]) == 0
        assert png.read_bytes()[:4] == b"\x89PNG"


@needs_extra
def test_head_trained_by_command_routes_as_expected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = tmp_path / "head.json"
    assert _run(["train", str(SMALL), "--out", str(head), "--backend", "onnx", "--valid", str(SMALL)]) == 0
    out = capsys.readouterr().out
    assert "thresholds" in out and "macro-F1" in out
    from routed_llm.classify.learned import LearnedClassifier

    c = LearnedClassifier(head, backend="onnx", keyword=False)
    expected = {
        "Write a Python function that checks whether a number is prime.": "code",
        "Write a short poem about the first snow.": "creative",
        "hello! how's it going?": "chat",
        "A shop sells 3 pens for 2 euros. How much do 12 pens cost?": "reasoning",
    }
    got = {t: c.classify(t).label for t in expected}
    assert got == expected
    assert _run(["classify", "Write a haiku about tea.", "--head", str(head), "--backend", "onnx"]) == 0
    assert "label creative" in capsys.readouterr().out


@needs_extra
@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None, reason="torch path not installed"
)
def test_torch_and_onnx_paths_agree() -> None:
    from routed_llm.classify.learned import LearnedClassifier

    texts = [json.loads(line)["text"] for line in SMALL.read_text().splitlines()]
    onnx = LearnedClassifier(backend="onnx", keyword=False, static=False, cache_size=0)
    torch = LearnedClassifier(backend="torch", keyword=False, static=False, cache_size=0)
    a = [c.label for c in onnx.classify_many(texts)]
    b = [c.label for c in torch.classify_many(texts)]
    agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(texts)
    assert agree >= 0.97, agree
    import numpy as np

    from routed_llm.classify.features import prepare

    w = [prepare(t, 256) for t in texts[:16]]
    ea, eb = onnx.encoder.encode(w), torch.encoder.encode(w)
    assert float(np.min((ea * eb).sum(axis=1))) > 0.97  # cosine of int8 vs fp32 embeddings


@needs_extra
def test_shipped_classifier_paths_and_odd_inputs() -> None:
    from routed_llm.classify import load_classifier
    from routed_llm.labels import LABELS

    c = load_classifier("learned")
    c.warm()
    assert c.classify("Translate 'good night' into Spanish.").path == "keyword"
    assert c.classify("ok that makes sense, cheers").path == "learned"
    for text in ["", "  \n ", "\x00\xff\x01" * 300, "a" * 1_000_000]:
        assert c.classify(text).label in LABELS
