"""A FAISS inner-product vector index stored as a folder: index.faiss, ids.json, meta.json.

Small corpora get an exact flat index; large ones an HNSW graph (see benchmarks/bench_ingest.py for
its latency and recall at 440k rows). A build writes a temp folder beside
the target and swaps it in with one rename, so readers always see a complete index: the old one
until the swap, the new one after. faiss is imported inside functions (import cost per process).

Re-indexing after a small change is incremental when the caller gives each row's content hash:
an HNSW graph takes new vectors in place (rebuilding 440k rows costs ~100 s, adding 1% ~1 s), and
rows that were changed or removed become tombstones that searches skip. Once tombstones pass
MAX_TOMBSTONE_FRACTION of the graph the next build starts afresh, so dead nodes never dominate.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as _dt
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from filmcraft.store import read_json_or_none, remove_orphan_temps, temp_prefix

INDEX_FILE = "index.faiss"
IDS_FILE = "ids.json"
META_FILE = "meta.json"
HASHES_FILE = "hashes.json"  # content hash per vector position: what an incremental update diffs
TOMBSTONES_FILE = "tombstones.json"  # positions of rows changed or removed since the last full build
MAX_TOMBSTONE_FRACTION = 0.1

# Measured on the 440k-caption benchmark (prose queries, rows with camera glosses): efConstruction
# 80 -> 200 lifts recall@10 at efSearch 128 from 0.943 to 0.982 for 2.3x the build time.
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


class IndexMissingError(FileNotFoundError):
    pass


def _check_vectors(vectors: np.ndarray, ids: list[str]) -> np.ndarray:
    if not isinstance(vectors, np.ndarray) or vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D numpy array (rows x dim), got {getattr(vectors, 'shape', type(vectors))}")
    if vectors.shape[0] == 0:
        raise ValueError("no vectors to index: give at least one row")
    if vectors.shape[0] != len(ids):
        raise ValueError(f"{vectors.shape[0]} vectors but {len(ids)} ids: give one id per vector")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise ValueError(f"duplicate id {dup!r} in the index rows: de-duplicate the corpus first")
    vecs = np.ascontiguousarray(vectors, dtype=np.float32)
    if not np.isfinite(vecs).all():
        raise ValueError("vectors contain NaN or inf: re-embed the offending rows")
    norms = np.linalg.norm(vecs, axis=1)
    if np.abs(norms - 1.0).max() > 1e-3:
        raise ValueError(
            "vectors are not L2-normalised (inner product would not be cosine similarity): "
            "normalise them, e.g. vecs / np.linalg.norm(vecs, axis=1, keepdims=True)"
        )
    return vecs


def _exchange_dirs(a: Path, b: Path) -> bool:
    """Atomically swap two directory entries (Linux renameat2 RENAME_EXCHANGE). False if unsupported."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _swap_in(tmp_dir: Path, out_dir: Path) -> None:
    """Put tmp_dir at out_dir; the previous out_dir stays complete and readable until this instant."""
    if not out_dir.exists():
        try:
            os.rename(tmp_dir, out_dir)
            return
        except OSError:
            if not out_dir.exists():
                raise
            # Another builder installed one meanwhile: replace it like any older index.
    if _exchange_dirs(tmp_dir, out_dir):
        shutil.rmtree(tmp_dir, ignore_errors=True)  # tmp_dir now holds the old index
        return
    # Fallback (no renameat2): two renames; the gap is one syscall long.
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}-{time.time_ns()}")
    os.rename(out_dir, old)
    os.rename(tmp_dir, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _make_faiss_index(vecs: np.ndarray, exact: bool) -> Any:
    import faiss

    dim = vecs.shape[1]
    if exact:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    index.add(vecs)
    return index


# recall@10 the build asks of its sampled queries. Sampled queries are easier than real ones (a
# row moved off the graph vs a prose query), so the beam never starts below HNSW_EF_SEARCH, the
# value measured to hold recall 0.98 for real queries at 440k rows; harder corpora widen it.
EF_TUNE_TARGET = 0.98
EF_TUNE_STEPS = (HNSW_EF_SEARCH, 192, 256, 384, 512)
EF_TUNE_QUERIES = 200


def _tune_ef_search(index: Any, vecs: np.ndarray, seed: int = 0) -> tuple[int, float]:
    """Smallest efSearch reaching EF_TUNE_TARGET recall@10 against exact search, and that recall.

    Rows themselves are easy queries (the graph is built around them), so each query is a sampled
    row moved off the graph: rotated away from it by the angle to that row's 10th neighbour, as a
    real query lands near, not on, the captions it should find. Corpora whose neighbours are
    near-ties (templated text) need a wider beam than clearly clustered ones: measuring beats
    one guessed value for every corpus.
    """
    import faiss

    rng = np.random.default_rng(seed)
    picks = rng.choice(vecs.shape[0], size=min(EF_TUNE_QUERIES, vecs.shape[0]), replace=False)
    rows = vecs[picks]
    exact = faiss.IndexFlatIP(vecs.shape[1])
    exact.add(vecs)
    near, _ = exact.search(rows, 11)
    cos10 = np.clip(near[:, -1], 0.05, 0.9999)  # similarity of each row to its 10th neighbour
    noise = rng.standard_normal(rows.shape).astype(np.float32)
    noise -= (noise * rows).sum(axis=1, keepdims=True) * rows  # orthogonal to the row
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    tangent = np.sqrt(1.0 / cos10**2 - 1.0)[:, None]
    queries = rows + tangent * noise
    queries = np.ascontiguousarray(queries / np.linalg.norm(queries, axis=1, keepdims=True), dtype=np.float32)
    _, truth = exact.search(queries, 10)
    del exact
    truth_sets = [set(row.tolist()) for row in truth]
    recall = 0.0
    for ef in EF_TUNE_STEPS:
        params = faiss.SearchParametersHNSW()
        params.efSearch = ef
        _, got = index.search(queries, 10, params=params)
        recall = float(np.mean([len(set(g.tolist()) & t) / 10 for g, t in zip(got, truth_sets)]))
        if recall >= EF_TUNE_TARGET:
            return ef, recall
    return EF_TUNE_STEPS[-1], recall


def _write_faiss(index: Any, path: Path) -> None:
    import faiss

    faiss.write_index(index, str(path))


def build_index(
    vectors: np.ndarray,
    ids: list[str],
    out_dir: Path,
    embedder_name: str,
    exact_threshold: int = 50_000,
    meta: dict | None = None,
    write_extra: Callable[[Path], None] | None = None,
    hashes: list[str] | None = None,
) -> dict:
    """Build and atomically install an inner-product index of L2-normalised ``vectors``; return its meta.

    ``write_extra(folder)`` may add files (e.g. the corpus rows) that must swap in with the index.
    With ``hashes`` (one content hash per row) a live HNSW index of the same embedder is updated in
    place of a rebuild: only rows whose hash is new are added (meta ``"update": "incremental"``).
    """
    if not embedder_name:
        raise ValueError("embedder_name is empty: record which model made the vectors (e.g. 'all-MiniLM-L6-v2')")
    ids = [str(i) for i in ids]
    vecs = _check_vectors(vectors, ids)
    if hashes is not None and len(hashes) != len(ids):
        raise ValueError(f"{len(hashes)} hashes but {len(ids)} ids: give one content hash per row")
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    exact = vecs.shape[0] < exact_threshold
    plan = None if (exact or hashes is None) else _incremental_plan(out_dir, ids, hashes, embedder_name, vecs.shape[1])

    remove_orphan_temps(out_dir.parent)  # a build killed earlier (SIGKILL skips cleanup) left its folder
    tmp_dir = Path(tempfile.mkdtemp(prefix=temp_prefix(out_dir.name) + "build-", dir=out_dir.parent))
    try:
        if plan is not None:
            info = _write_incremental(plan, vecs, ids, hashes, tmp_dir, embedder_name)
        else:
            info = _write_full(vecs, ids, hashes, exact, tmp_dir, embedder_name)
        if write_extra is not None:
            write_extra(tmp_dir)
        for key, value in (meta or {}).items():
            if key in info:
                raise ValueError(f"extra meta key {key!r} would overwrite the index's own field: rename it")
            info[key] = value
        (tmp_dir / META_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        _swap_in(tmp_dir, out_dir)
    finally:
        if tmp_dir.exists():
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return info


def _base_info(index: Any, rows: int, dim: int, exact: bool, embedder_name: str, build_seconds: float) -> dict[str, Any]:
    return {
        "rows": rows,  # live rows (searchable)
        "vectors": int(index.ntotal),  # vectors in the file: rows + tombstones
        "dim": dim,
        "index_type": "flat_ip" if exact else "hnsw_flat_ip",
        "embedder": embedder_name,
        "build_seconds": round(build_seconds, 4),
        "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _write_full(vecs: np.ndarray, ids: list[str], hashes: list[str] | None, exact: bool, tmp_dir: Path,
                embedder_name: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    index = _make_faiss_index(vecs, exact)
    build_seconds = time.perf_counter() - t0
    info = _base_info(index, int(vecs.shape[0]), int(vecs.shape[1]), exact, embedder_name, build_seconds)
    info["update"] = "full"
    if not exact:
        t1 = time.perf_counter()
        ef, recall = _tune_ef_search(index, vecs)
        index.hnsw.efSearch = ef
        info["hnsw"] = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": ef,
                        "sampled_recall_at_10": round(recall, 4), "tune_seconds": round(time.perf_counter() - t1, 3)}
    _write_faiss(index, tmp_dir / INDEX_FILE)
    _write_json(tmp_dir / IDS_FILE, ids)
    if hashes is not None:
        _write_json(tmp_dir / HASHES_FILE, list(hashes))
    _write_json(tmp_dir / TOMBSTONES_FILE, [])
    return info


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")


class _UpdatePlan:
    def __init__(self, live_dir: Path, live_meta: dict, live_ids: list[str], live_hashes: list[str],
                 tombstones: list[int], add: list[int]):
        self.live_dir, self.live_meta = live_dir, live_meta
        self.live_ids, self.live_hashes, self.tombstones, self.add = live_ids, live_hashes, tombstones, add


def _incremental_plan(out_dir: Path, ids: list[str], hashes: list[str], embedder_name: str, dim: int) -> "_UpdatePlan | None":
    """What to add and tombstone to turn the live index into one over (ids, hashes); None: rebuild."""
    live_meta = read_meta(out_dir)
    if not live_meta or live_meta.get("index_type") != "hnsw_flat_ip" or live_meta.get("embedder") != embedder_name \
            or live_meta.get("dim") != dim:
        return None
    live_ids = read_json_or_none(out_dir / IDS_FILE)
    live_hashes = read_json_or_none(out_dir / HASHES_FILE)
    tombstones = read_json_or_none(out_dir / TOMBSTONES_FILE)
    if not isinstance(live_ids, list) or not isinstance(live_hashes, list) or not isinstance(tombstones, list) \
            or len(live_ids) != len(live_hashes):
        return None
    dead = set(tombstones)
    live = {(i, h): pos for pos, (i, h) in enumerate(zip(live_ids, live_hashes)) if pos not in dead}
    wanted = set(zip(ids, hashes))
    removed = [pos for key, pos in live.items() if key not in wanted]
    add = [n for n, key in enumerate(zip(ids, hashes)) if key not in live]
    new_tombstones = sorted(dead.union(removed))
    if len(new_tombstones) > MAX_TOMBSTONE_FRACTION * (len(live_ids) + len(add)):
        return None  # too much dead weight in the graph: a fresh build is both smaller and faster to search
    return _UpdatePlan(out_dir, live_meta, live_ids, live_hashes, new_tombstones, add)


def _write_incremental(plan: _UpdatePlan, vecs: np.ndarray, ids: list[str], hashes: list[str], tmp_dir: Path,
                       embedder_name: str) -> dict[str, Any]:
    import faiss

    index = faiss.read_index(str(plan.live_dir / INDEX_FILE))  # an in-memory copy: the live file is untouched
    t0 = time.perf_counter()
    if plan.add:
        index.hnsw.efConstruction = int(plan.live_meta.get("hnsw", {}).get("efConstruction", HNSW_EF_CONSTRUCTION))
        index.add(np.ascontiguousarray(vecs[np.asarray(plan.add, dtype=np.int64)]))
    add_seconds = time.perf_counter() - t0
    all_ids = plan.live_ids + [ids[n] for n in plan.add]
    all_hashes = plan.live_hashes + [hashes[n] for n in plan.add]
    rows = len(all_ids) - len(plan.tombstones)
    info = _base_info(index, rows, int(vecs.shape[1]), False, embedder_name, add_seconds)
    info.update(update="incremental", added=len(plan.add), tombstones=len(plan.tombstones),
                hnsw=plan.live_meta.get("hnsw", {}))
    _write_faiss(index, tmp_dir / INDEX_FILE)
    _write_json(tmp_dir / IDS_FILE, all_ids)
    _write_json(tmp_dir / HASHES_FILE, all_hashes)
    _write_json(tmp_dir / TOMBSTONES_FILE, plan.tombstones)
    return info


def read_meta(index_dir: Path) -> dict | None:
    """meta.json of an index folder, or None when there is no complete index there."""
    return read_json_or_none(Path(index_dir) / META_FILE)


class VectorIndex:
    """A loaded index folder. ``search`` returns, per query, [(id, score), ...] best first."""

    def __init__(self, index: Any, ids: list[str], meta: dict, path: Path, tombstones: list[int] | None = None):
        self.index = index
        self.ids = ids
        self.meta = meta
        self.path = path
        self.tombstones = sorted(tombstones or [])
        self._selector = None
        if self.tombstones:
            import faiss

            alive = np.ones(len(ids), dtype=bool)
            alive[np.asarray(self.tombstones, dtype=np.int64)] = False
            # The selector reads this bitmap through a raw pointer: keep the array alive with it.
            self._alive_bits = np.packbits(alive, bitorder="little")
            self._selector = faiss.IDSelectorBitmap(len(ids), faiss.swig_ptr(self._alive_bits))

    @classmethod
    def load(cls, index_dir: Path) -> "VectorIndex":
        import faiss

        index_dir = Path(index_dir)
        missing = [n for n in (INDEX_FILE, IDS_FILE, META_FILE) if not (index_dir / n).is_file()]
        if missing:
            raise IndexMissingError(
                f"no complete vector index at {index_dir} (missing {', '.join(missing)}): build it first"
            )
        meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
        ids = json.loads((index_dir / IDS_FILE).read_text(encoding="utf-8"))
        tombstones = read_json_or_none(index_dir / TOMBSTONES_FILE) or []
        index = faiss.read_index(str(index_dir / INDEX_FILE))
        if index.ntotal != len(ids) or index.ntotal - len(tombstones) != meta.get("rows"):
            raise ValueError(
                f"index at {index_dir} is inconsistent ({index.ntotal} vectors, {len(ids)} ids, "
                f"{len(tombstones)} tombstones, meta rows {meta.get('rows')}): rebuild it"
            )
        if meta.get("index_type") == "hnsw_flat_ip":
            index.hnsw.efSearch = int(meta.get("hnsw", {}).get("efSearch", HNSW_EF_SEARCH))
        return cls(index, ids, meta, index_dir, tombstones)

    def check_embedder(self, embedder_name: str) -> None:
        built_with = self.meta.get("embedder")
        if embedder_name != built_with:
            raise ValueError(
                f"index at {self.path} was built with embedder {built_with!r} but the query uses "
                f"{embedder_name!r} (vectors of different models are not comparable): run "
                "'filmaster corpus reindex' with the same FILMASTER_EMBED_* settings to rebuild it for "
                f"{embedder_name!r}, or unset FILMASTER_EMBED_BASE_URL to use the offline embedder it was built with"
            )

    def search(
        self, query_vecs: np.ndarray, k: int, embedder_name: str | None = None, ef_search: int | None = None
    ) -> list[list[tuple[str, float]]]:
        """``ef_search`` overrides the HNSW beam for this call (higher: better recall, slower)."""
        if embedder_name is not None:
            self.check_embedder(embedder_name)
        if k < 1:
            raise ValueError(f"k={k}: ask for at least one neighbour")
        q = np.asarray(query_vecs, dtype=np.float32)
        if q.ndim == 1:
            q = q[None, :]
        if q.ndim != 2 or q.shape[1] != self.meta["dim"]:
            raise ValueError(
                f"query vectors have shape {q.shape} but the index at {self.path} is {self.meta['dim']}-d: "
                "embed the query with the index's embedder"
            )
        q = np.ascontiguousarray(q)
        kk = min(k, len(self))
        if self.meta.get("index_type") == "hnsw_flat_ip" and (ef_search is not None or self._selector is not None):
            import faiss

            # Tombstoned rows stay in the graph as stepping stones but never come back as results.
            params = faiss.SearchParametersHNSW(sel=self._selector) if self._selector is not None \
                else faiss.SearchParametersHNSW()
            params.efSearch = max(int(ef_search or self.index.hnsw.efSearch), kk)
            scores, labels = self.index.search(q, kk, params=params)
        else:
            scores, labels = self.index.search(q, kk)
        out: list[list[tuple[str, float]]] = []
        for row_s, row_l in zip(scores, labels):
            # faiss pads with -1 when fewer than k neighbours are reachable.
            out.append([(self.ids[int(l)], float(s)) for s, l in zip(row_s, row_l) if l >= 0])
        return out

    def __len__(self) -> int:
        return len(self.ids) - len(self.tombstones)

    def live_positions(self) -> np.ndarray:
        """Vector positions that searches can return (all but the tombstones)."""
        alive = np.ones(len(self.ids), dtype=bool)
        if self.tombstones:
            alive[np.asarray(self.tombstones, dtype=np.int64)] = False
        return np.flatnonzero(alive)


_LOADED: dict[str, tuple[tuple[int, int], VectorIndex]] = {}


def load_cached(index_dir: Path) -> VectorIndex:
    """VectorIndex.load, reused within a process until the folder is swapped for a new build."""
    index_dir = Path(index_dir)
    meta_path = index_dir / META_FILE
    try:
        st = meta_path.stat()
    except FileNotFoundError:
        raise IndexMissingError(f"no complete vector index at {index_dir} (missing {META_FILE}): build it first")
    stamp = (st.st_ino, st.st_mtime_ns)  # a swap brings a new meta.json inode
    key = str(index_dir.resolve())
    hit = _LOADED.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    loaded = VectorIndex.load(index_dir)
    _LOADED[key] = (stamp, loaded)
    return loaded
