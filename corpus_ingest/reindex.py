"""Build ``clip_caption_index``, ``audio_library_index`` and ``visual_library_index`` over every ingested source.

The built-in corpora count as sources (``starter`` captions, ``builtin`` audio and visuals). Vectors come from
each source's embedding store (rows without a vector are embedded here, e.g. after an embedder
change). FAISS is exact below ``exact_threshold`` rows and HNSW above; the folder is written
beside the live index and swapped in atomically (corpus_ingest.index.build_index), so searches
keep working during and after a failed or killed rebuild. A rebuild is skipped when the sources'
content fingerprint and the embedder match the live index; a large caption index is updated in
place (only new or changed rows are added) unless ``force`` asks for a fresh build. Builds of one studio are serialised
by a file lock so the last swap always reflects the latest sources.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from filmcraft.contracts import AudioAsset
from filmcraft.layout import LibraryLayout
from filmcraft.roles import Embedder
from filmcraft.store import content_key, file_lock

from corpus_ingest.audio import ASSETS_FILE, AUDIO_INDEX_VERSION
from corpus_ingest.captions import CAPTION_INDEX_VERSION, INDEX_ROWS_FILE
from corpus_ingest.embedding import embed_source, embedding_store
from corpus_ingest.index import build_index, read_meta
from corpus_ingest.registry import list_sources, read_report
from corpus_ingest.tables import asset_from_row, read_table

EXACT_THRESHOLD = 50_000  # below: exact flat search (~4 ms at 50k); above: HNSW (~0.2 ms at 440k)


def _fingerprint(kind: str, lib: LibraryLayout, sources: list[str], embedder: Embedder, version: int,
                 exact_threshold: int) -> str:
    parts = [(s, (read_report(lib, kind, s) or {}).get("rows_hash")) for s in sources]
    return content_key({"kind": kind, "sources": parts, "embedder": embedder.name, "version": version,
                        "exact_threshold": exact_threshold})


def _source_vectors(lib: LibraryLayout, kind: str, name: str, rows: list[dict], embedder: Embedder,
                    progress: bool) -> np.ndarray:
    store = embedding_store(lib, kind, name, embedder)
    if store.missing([r["embed_hash"] for r in rows]):
        embed_source(lib, kind, name, embedder, progress=progress)
        store = embedding_store(lib, kind, name, embedder)
    return store.vectors_for([r["embed_hash"] for r in rows])


def _quarantined(lib: LibraryLayout, kind: str, sources: list[str]) -> int:
    return sum(int((read_report(lib, kind, s) or {}).get("quarantined", 0)) for s in sources)


def rebuild_caption_index(lib: LibraryLayout, embedder: Embedder, exact_threshold: int = EXACT_THRESHOLD,
                          force: bool = False, progress: bool = True) -> dict:
    """Index every ingested caption source into ``lib.clip_caption_index``; return the index meta.

    The result has ``"rebuilt": False`` when the live index already matched the sources.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with file_lock(lib.root / ".clip_caption_index.lock"):
        sources = list_sources(lib, "captions", ingested_only=True)
        if not sources:
            raise ValueError("no caption sources are ingested: run the corpus job (built-in starter) or "
                             "`filmaster ingest captions PATH` first")
        fingerprint = _fingerprint("captions", lib, sources, embedder, CAPTION_INDEX_VERSION, exact_threshold)
        live = read_meta(lib.clip_caption_index)
        if not force and live and live.get("sources_fingerprint") == fingerprint and live.get("embedder") == embedder.name:
            return {**live, "rebuilt": False}
        t0 = time.perf_counter()
        keys: list[str] = []
        texts: list[str] = []
        src: list[str] = []
        fields: list[str] = []
        hashes: list[str] = []  # what each vector was embedded from: lets the build update in place
        vectors: list[np.ndarray] = []
        per_source: dict[str, int] = {}
        source_rows: dict[str, int] = {}
        seen_keys: set[str] = set()
        seen_texts: set[str] = set()
        cross_dupes = 0
        for name in sources:  # built-in first, then alphabetical: the first copy of a text wins
            rows = read_table(lib, "captions", name)
            vecs = _source_vectors(lib, "captions", name, rows, embedder, progress)
            take = []
            for i, r in enumerate(rows):
                folded = r["text"].lower()
                if r["key"] in seen_keys or folded in seen_texts:
                    cross_dupes += 1
                    continue
                seen_keys.add(r["key"])
                seen_texts.add(folded)
                take.append(i)
                keys.append(r["key"])
                texts.append(r["text"])
                src.append(name)
                fields.append(r["fields_json"])
                hashes.append(r["embed_hash"])
            per_source[name] = len(take)
            source_rows[name] = len(rows)
            if take:
                vectors.append(vecs[np.asarray(take, dtype=np.int64)])
        all_vecs = np.concatenate(vectors)
        del vectors
        gather_s = time.perf_counter() - t0

        def write_rows(folder: Path) -> None:
            # The columns search_captions reads (corpus_ingest.captions).
            pq.write_table(pa.table({"id": keys, "text": texts, "source": src, "fields_json": fields}),
                           folder / INDEX_ROWS_FILE)

        meta = {
            "kind": "captions", "version": CAPTION_INDEX_VERSION, "corpus": "all-sources",
            "sources_fingerprint": fingerprint, "sources": per_source, "source_rows": source_rows,
            "quarantined": _quarantined(lib, "captions", sources), "cross_source_duplicates": cross_dupes,
            "gather_seconds": round(gather_s, 3),
        }
        info = build_index(all_vecs, keys, lib.clip_caption_index, embedder.name,
                           exact_threshold=exact_threshold, meta=meta, write_extra=write_rows,
                           hashes=None if force else hashes)
        return {**info, "rebuilt": True}


def rebuild_audio_index(lib: LibraryLayout, embedder: Embedder, exact_threshold: int = EXACT_THRESHOLD,
                        force: bool = False, progress: bool = True) -> dict:
    """Index every ingested audio source (built-in library included) into ``lib.audio_library_index``."""
    with file_lock(lib.root / ".audio_library_index.lock"):
        sources = list_sources(lib, "audio", ingested_only=True)
        if not sources:
            raise ValueError("no audio sources are ingested: run the corpus job (built-in library) or "
                             "`filmaster ingest audio PATH` first")
        fingerprint = _fingerprint("audio", lib, sources, embedder, AUDIO_INDEX_VERSION, exact_threshold)
        live = read_meta(lib.audio_library_index)
        if not force and live and live.get("sources_fingerprint") == fingerprint and live.get("embedder") == embedder.name:
            return {**live, "rebuilt": False}
        assets: list[AudioAsset] = []
        vectors: list[np.ndarray] = []
        per_source: dict[str, int] = {}
        for name in sources:
            rows = read_table(lib, "audio", name)
            vectors.append(_source_vectors(lib, "audio", name, rows, embedder, progress))
            assets.extend(asset_from_row(r) for r in rows)
            per_source[name] = len(rows)

        def write_assets(folder: Path) -> None:
            (folder / ASSETS_FILE).write_text(
                json.dumps([a.model_dump(mode="json") for a in assets], ensure_ascii=False), encoding="utf-8")

        meta = {
            "kind": "audio", "version": AUDIO_INDEX_VERSION, "sources_fingerprint": fingerprint,
            "sources": per_source, "source_rows": per_source, "quarantined": _quarantined(lib, "audio", sources),
            "kinds": {k: sum(a.kind == k for a in assets) for k in ("ambience", "music", "foley", "sfx")},
        }
        info = build_index(np.concatenate(vectors), [a.asset_id for a in assets], lib.audio_library_index,
                           embedder.name, exact_threshold=exact_threshold, meta=meta, write_extra=write_assets)
        return {**info, "rebuilt": True}


def rebuild_visual_index(lib: LibraryLayout, embedder: Embedder, exact_threshold: int = EXACT_THRESHOLD,
                         force: bool = False, progress: bool = True) -> dict:
    """Index every ingested visuals source (built-in icon set included) into ``lib.visual_library_index``."""
    from corpus_ingest.visual_files import visual_from_row
    from corpus_ingest.visuals import ASSETS_FILE as VISUAL_ASSETS_FILE, VISUAL_INDEX_VERSION, VISUAL_KINDS

    with file_lock(lib.root / ".visual_library_index.lock"):
        sources = list_sources(lib, "visuals", ingested_only=True)
        if not sources:
            raise ValueError("no visuals sources are ingested: run the corpus job (built-in icon set) or "
                             "`filmaster ingest visuals DIR --tags-csv F` first")
        fingerprint = _fingerprint("visuals", lib, sources, embedder, VISUAL_INDEX_VERSION, exact_threshold)
        live = read_meta(lib.visual_library_index)
        if not force and live and live.get("sources_fingerprint") == fingerprint and live.get("embedder") == embedder.name:
            return {**live, "rebuilt": False}
        visuals = []
        vectors: list[np.ndarray] = []
        per_source: dict[str, int] = {}
        for name in sources:  # built-in first: on equal tags its image wins the exact match
            rows = read_table(lib, "visuals", name)
            vectors.append(_source_vectors(lib, "visuals", name, rows, embedder, progress))
            visuals.extend(visual_from_row(r) for r in rows)
            per_source[name] = len(rows)

        def write_assets(folder: Path) -> None:
            (folder / VISUAL_ASSETS_FILE).write_text(
                json.dumps([v.model_dump(mode="json") for v in visuals], ensure_ascii=False), encoding="utf-8")

        meta = {
            "kind": "visuals", "version": VISUAL_INDEX_VERSION, "sources_fingerprint": fingerprint,
            "sources": per_source, "source_rows": per_source, "quarantined": _quarantined(lib, "visuals", sources),
            "kinds": {k: sum(v.kind == k for v in visuals) for k in VISUAL_KINDS},
        }
        info = build_index(np.concatenate(vectors), [v.visual_id for v in visuals], lib.visual_library_index,
                           embedder.name, exact_threshold=exact_threshold, meta=meta, write_extra=write_assets)
        return {**info, "rebuilt": True}
