"""The DuckDB catalog over every ingested source, corpus statistics, and removing a source.

``catalog.duckdb`` holds a ``sources`` table (one row per ingest report) and views over the
sources' Parquet files (``caption_rows``, ``audio_rows``, ``visual_rows``, ``quarantine``). It is rebuilt whole
after every ingest or removal and swapped in atomically, so a query never sees half a catalog.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from filmcraft.layout import LibraryLayout
from filmcraft.store import atomic_path, file_lock

from corpus_ingest.index import read_meta
from corpus_ingest.registry import KINDS, list_sources, read_report, source_dir
from corpus_ingest.tables import QUARANTINE_FILE, ROWS_FILE


def refresh_catalog(lib: LibraryLayout) -> Path:
    """Rebuild ``catalog.duckdb`` (views over every ingested source's Parquet files) and swap it in."""
    import duckdb

    with file_lock(lib.root / ".catalog.lock"):
        files: dict[str, list[str]] = {}
        reports: list[dict] = []
        for kind in KINDS:
            for name in list_sources(lib, kind, ingested_only=True):
                folder = lib.source_dir(kind, name)
                for file in (ROWS_FILE, QUARANTINE_FILE):
                    if (folder / file).is_file():
                        files.setdefault(f"{kind}:{file}", []).append(str(folder / file))
                rep = read_report(lib, kind, name)
                if rep:
                    reports.append(rep)
        with atomic_path(lib.catalog) as tmp:
            tmp.unlink()  # duckdb refuses to open an empty non-database file
            con = duckdb.connect(str(tmp))
            try:
                con.execute("CREATE TABLE sources (kind VARCHAR, source VARCHAR, path VARCHAR, rows BIGINT, "
                            "quarantined BIGINT, ingested_at VARCHAR)")
                if reports:
                    con.executemany("INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                                    [[r["kind"], r["source"], r.get("path"), r["rows"], r["quarantined"],
                                      r.get("ingested_at")] for r in reports])
                views = {"caption_rows": "captions:" + ROWS_FILE, "audio_rows": "audio:" + ROWS_FILE,
                         "visual_rows": "visuals:" + ROWS_FILE}
                for view, key in views.items():
                    if files.get(key):
                        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({files[key]!r}, union_by_name=true)")
                quarantine = [f for kind in KINDS for f in files.get(f"{kind}:{QUARANTINE_FILE}", [])]
                if quarantine:
                    con.execute(f"CREATE VIEW quarantine AS SELECT * FROM read_parquet({quarantine!r}, union_by_name=true)")
                else:
                    con.execute("CREATE VIEW quarantine AS SELECT NULL::VARCHAR AS kind, NULL::VARCHAR AS source, "
                                "NULL::BIGINT AS row, NULL::VARCHAR AS id, NULL::VARCHAR AS reason, "
                                "NULL::VARCHAR AS excerpt WHERE false")
            finally:
                con.close()
            wal = tmp.with_name(tmp.name + ".wal")
            wal.unlink(missing_ok=True)
    return lib.catalog


def query_catalog(lib: LibraryLayout, sql: str, params: list | None = None) -> list[tuple]:
    """Run a read-only query against the catalog (rebuilt first when missing)."""
    import duckdb

    if not lib.catalog.is_file():
        refresh_catalog(lib)
    con = duckdb.connect(str(lib.catalog), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def corpus_stats(lib: LibraryLayout) -> dict:
    """Rows, sources, quarantined rows and the index of each corpus kind (read through the catalog)."""
    refresh_catalog(lib)
    out: dict[str, Any] = {}
    rows = query_catalog(lib, "SELECT kind, source, path, rows, quarantined, ingested_at FROM sources ORDER BY kind, source")
    reasons = query_catalog(lib, "SELECT kind, source, regexp_replace(reason, '\\s*[(:].*$', '') AS why, count(*) "
                            "FROM quarantine GROUP BY ALL ORDER BY 4 DESC")
    for kind, index_dir in (("captions", lib.clip_caption_index), ("audio", lib.audio_library_index),
                            ("visuals", lib.visual_library_index)):
        sources = [{"source": s, "path": p, "rows": n, "quarantined": q, "ingested_at": at}
                   for k, s, p, n, q, at in rows if k == kind]
        meta = read_meta(index_dir) or {}
        out[kind] = {
            "sources": sources,
            "rows": sum(s["rows"] for s in sources),
            "quarantined": sum(s["quarantined"] for s in sources),
            "top_quarantine_reasons": [{"source": s, "reason": r, "count": c} for k, s, r, c in reasons if k == kind][:10],
            "index": {k: meta.get(k) for k in ("rows", "dim", "index_type", "embedder", "build_seconds",
                                              "created_at", "quarantined", "sources")} if meta else None,
        }
        if meta:
            # Sources ingested (or removed) since the last build: the index answers from older data.
            indexed = meta.get("source_rows") or meta.get("sources") or {}
            out[kind]["index"]["stale"] = ({s["source"]: s["rows"] for s in sources} != indexed
                                           if isinstance(indexed, dict) else None)
    return out


def remove_source(lib: LibraryLayout, kind: str, name: str) -> bool:
    """Delete a source's tables and embeddings (the next reindex drops its rows). False if absent."""
    folder = source_dir(lib, kind, name)
    if not folder.exists():
        return False
    # Rename first: the source disappears in one step even if the delete is interrupted.
    trash = folder.with_name(f".{name}.removed-{time.time_ns()}")
    folder.rename(trash)
    shutil.rmtree(trash, ignore_errors=True)
    refresh_catalog(lib)
    return True
