"""Embedding a source: the texts its rows are embedded as, its vector store, and incremental embedding.

Each row's ``embed_hash`` is the hash of the exact text embedded for it (a caption with its
camera glosses, an asset's kind, description, tags and emotions, an image's name, kind and tags), so only rows whose text is
new or changed are embedded again, and vectors no row needs any more are dropped.
"""

from __future__ import annotations

import json
import time

from filmcraft.layout import LibraryLayout
from filmcraft.roles import Embedder
from filmcraft.store import write_text

from corpus_ingest.audio import audio_text
from corpus_ingest.captions import caption_embed_text
from corpus_ingest.embedstore import EmbeddingStore
from corpus_ingest.registry import EMBED_REPORT_FILE, now_iso, source_dir
from corpus_ingest.tables import asset_from_row, read_table


def embed_texts_of(kind: str, rows: list[dict]) -> list[str]:
    """The exact texts whose hashes are stored in the rows' ``embed_hash``."""
    if kind == "captions":
        return [caption_embed_text(r["text"], json.loads(r["fields_json"])) for r in rows]
    if kind == "visuals":
        from corpus_ingest.visual_files import visual_from_row
        from corpus_ingest.visuals import visual_text

        return [visual_text(visual_from_row(r)) for r in rows]
    return [audio_text(asset_from_row(r)) for r in rows]


def embedding_store(lib: LibraryLayout, kind: str, name: str, embedder: Embedder) -> EmbeddingStore:
    return EmbeddingStore(source_dir(lib, kind, name) / "embeddings", embedder.name)


def embed_source(lib: LibraryLayout, kind: str, name: str, embedder: Embedder, progress: bool = True) -> dict:
    """Embed the rows of a source whose text is new or changed; drop stale vectors; return a report."""
    t0 = time.perf_counter()
    rows = read_table(lib, kind, name)
    hashes = [r["embed_hash"] for r in rows]
    store = embedding_store(lib, kind, name, embedder)
    todo = store.missing(hashes)
    texts = embed_texts_of(kind, [rows[i] for i in todo])
    new = store.embed_missing([hashes[i] for i in todo], texts, embedder,
                              progress=f"embedding {kind}/{name}" if progress else None)
    dropped = store.compact(set(hashes))
    report = {"kind": kind, "source": name, "rows": len(rows), "embedded": new,
              "reused": len(rows) - len(todo), "stale_dropped": dropped, "embedder": embedder.name,
              "seconds": round(time.perf_counter() - t0, 3), "embedded_at": now_iso()}
    write_text(source_dir(lib, kind, name) / EMBED_REPORT_FILE, json.dumps(report, indent=2) + "\n")
    return report
