"""Incremental HNSW updates: changed and new rows are added in place, replaced or removed rows become
tombstones that searches never return, and too many tombstones bring a fresh build."""

import numpy as np

from corpus_ingest.index import MAX_TOMBSTONE_FRACTION, VectorIndex, build_index


def _unit(rng: np.random.Generator, n: int, dim: int = 32) -> np.ndarray:
    # Clustered like real embeddings (a few topics), not uniform noise.
    centres = rng.standard_normal((20, dim))
    x = centres[rng.integers(0, 20, n)] + 0.6 * rng.standard_normal((n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact_top(vecs: np.ndarray, ids: list[str], queries: np.ndarray, k: int) -> list[set[str]]:
    scores = queries @ vecs.T
    return [{ids[j] for j in np.argsort(-row)[:k]} for row in scores]


def test_small_change_updates_in_place_and_hides_old_rows(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    vecs = _unit(rng, n)
    ids = [f"r{i}" for i in range(n)]
    hashes = [f"h{i}" for i in range(n)]
    out = tmp_path / "idx"
    first = build_index(vecs, ids, out, "test-embedder", exact_threshold=100, hashes=hashes)
    assert first["update"] == "full" and first["index_type"] == "hnsw_flat_ip" and first["rows"] == n

    # 1% changed (new vector, new hash), 10 removed, 20 new rows
    changed = list(range(0, 300, 10))
    removed = set(range(1000, 1010))
    new_vecs = vecs.copy()
    new_vecs[changed] = _unit(rng, len(changed))
    keep = [i for i in range(n) if i not in removed]
    extra = _unit(rng, 20)
    v2 = np.vstack([new_vecs[keep], extra])
    ids2 = [ids[i] for i in keep] + [f"new{j}" for j in range(20)]
    hashes2 = [(f"h{i}-v2" if i in changed else hashes[i]) for i in keep] + [f"hn{j}" for j in range(20)]
    second = build_index(v2, ids2, out, "test-embedder", exact_threshold=100, hashes=hashes2)
    assert second["update"] == "incremental"
    assert second["added"] == len(changed) + 20
    assert second["tombstones"] == len(changed) + len(removed)
    assert second["rows"] == len(ids2) and second["vectors"] == n + len(changed) + 20

    index = VectorIndex.load(out)
    assert len(index) == len(ids2)
    # a changed row is found by its new vector; its old vector no longer scores 1.0 against anything
    hits = index.search(new_vecs[changed[0]], 1)[0]
    assert hits[0][0] == "r0" and hits[0][1] > 0.999
    old_hits = index.search(vecs[changed[0]], 5)[0]
    assert all(score < 0.999 for _, score in old_hits)
    # removed rows never come back, even queried with their own vectors
    for i in removed:
        assert f"r{i}" not in {h for h, _ in index.search(vecs[i], 10)[0]}
    # recall@10 against exact search over the live rows
    qrng = np.random.default_rng(5)
    queries = v2[qrng.choice(len(v2), 200, replace=False)] + 0.3 * qrng.standard_normal((200, v2.shape[1]))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    truth = _exact_top(v2, ids2, queries, 10)
    got = index.search(queries, 10)
    recall = np.mean([len({h for h, _ in g} & t) / 10 for g, t in zip(got, truth)])
    assert recall >= 0.95, recall


def test_unchanged_rows_add_nothing_and_too_many_tombstones_rebuild(tmp_path):
    rng = np.random.default_rng(1)
    n = 2000
    vecs = _unit(rng, n)
    ids = [f"r{i}" for i in range(n)]
    hashes = [f"h{i}" for i in range(n)]
    out = tmp_path / "idx"
    build_index(vecs, ids, out, "e", exact_threshold=100, hashes=hashes)
    same = build_index(vecs, ids, out, "e", exact_threshold=100, hashes=hashes)
    assert same["update"] == "incremental" and same["added"] == 0 and same["tombstones"] == 0

    # change more rows than the tombstone budget allows: a fresh build, no tombstones left
    many = int(n * MAX_TOMBSTONE_FRACTION) + 50
    vecs2 = vecs.copy()
    vecs2[:many] = _unit(rng, many)
    hashes2 = [f"h{i}-v2" if i < many else hashes[i] for i in range(n)]
    rebuilt = build_index(vecs2, ids, out, "e", exact_threshold=100, hashes=hashes2)
    assert rebuilt["update"] == "full" and rebuilt["vectors"] == n
    assert VectorIndex.load(out).tombstones == []

    # another embedder never updates in place: its vectors are not comparable
    other = build_index(vecs2, ids, out, "other-embedder", exact_threshold=100, hashes=hashes2)
    assert other["update"] == "full" and other["embedder"] == "other-embedder"
