"""Benchmark the caption vector index at corpus scale (the paper's corpus: 440k clips).

Generates N random L2-normalised 384-d vectors, builds the HNSW index through
corpus_ingest.index.build_index (the same code path as the pipeline, written to disk and
swapped in), then measures single-query latency (p50/p99, k=10), recall@10 against exact
inner-product search, exact-search latency and peak RSS.

Vectors are "clustered" by default (50 per random centre, like real caption embeddings that
gather by topic); ``--uniform`` draws structureless uniform vectors, the worst case for any
graph index. Usage:

    python benchmarks/bench_index.py --rows 100000 [--uniform] [--queries 1000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus_ingest.index import VectorIndex, build_index  # noqa: E402

DIM = 384


def make_vectors(rows: int, queries: int, uniform: bool, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if uniform:
        base = rng.standard_normal((rows, DIM), dtype=np.float32)
        qs = rng.standard_normal((queries, DIM), dtype=np.float32)
    else:
        centres = rng.standard_normal((max(rows // 50, 1), DIM), dtype=np.float32)
        base = centres[rng.integers(0, len(centres), rows)]
        base += 0.8 * rng.standard_normal((rows, DIM), dtype=np.float32)
        qs = centres[rng.integers(0, len(centres), queries)] + 0.8 * rng.standard_normal((queries, DIM), dtype=np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    return base, qs


def recall_at_10(approx: list[list[tuple[str, float]]], exact: list[list[tuple[str, float]]]) -> float:
    return float(np.mean([len({i for i, _ in a} & {i for i, _ in e}) / 10 for a, e in zip(approx, exact)]))


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=440_000)
    ap.add_argument("--queries", type=int, default=1000, help="single queries timed for p50/p99")
    ap.add_argument("--recall-queries", type=int, default=200, help="queries checked against exact search")
    ap.add_argument("--uniform", action="store_true", help="structureless uniform vectors (worst case)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.rows < 1_000:
        ap.error("--rows must be at least 1000 (below that the index is exact, not HNSW)")

    t0 = time.perf_counter()
    base, queries = make_vectors(args.rows, max(args.queries, args.recall_queries), args.uniform, args.seed)
    gen_s = time.perf_counter() - t0
    ids = [f"c{i:07d}" for i in range(args.rows)]

    with tempfile.TemporaryDirectory(prefix="bench_index_") as tmp:
        out = Path(tmp) / "hnsw"
        t0 = time.perf_counter()
        meta = build_index(base, ids, out, "bench-random", exact_threshold=1_000)
        build_total_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        index = VectorIndex.load(out)
        load_s = time.perf_counter() - t0
        index_bytes = (out / "index.faiss").stat().st_size

        lat = []
        for q in queries[: args.queries]:
            t = time.perf_counter()
            index.search(q[None, :], 10)
            lat.append((time.perf_counter() - t) * 1000)

        rq = queries[: args.recall_queries]
        approx64 = index.search(rq, 10)
        approx256 = index.search(rq, 10, ef_search=256)

    import faiss

    flat = faiss.IndexFlatIP(DIM)
    flat.add(base)
    exact_lat = []
    exact: list[list[tuple[str, float]]] = []
    for q in rq:
        t = time.perf_counter()
        s, l = flat.search(q[None, :], 10)
        exact_lat.append((time.perf_counter() - t) * 1000)
        exact.append([(ids[int(i)], float(x)) for x, i in zip(s[0], l[0])])

    figures = {
        "rows": args.rows,
        "dim": DIM,
        "vectors": "uniform" if args.uniform else "clustered",
        "generate_s": round(gen_s, 2),
        "hnsw_build_s": meta["build_seconds"],
        "build_and_write_s": round(build_total_s, 2),
        "load_s": round(load_s, 3),
        "index_mb": round(index_bytes / 2**20, 1),
        "query_p50_ms": round(float(np.percentile(lat, 50)), 3),
        "query_p99_ms": round(float(np.percentile(lat, 99)), 3),
        "recall_at_10_ef64": round(recall_at_10(approx64, exact), 4),
        "recall_at_10_ef256": round(recall_at_10(approx256, exact), 4),
        "exact_query_p50_ms": round(float(np.percentile(exact_lat, 50)), 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


if __name__ == "__main__":
    main()
