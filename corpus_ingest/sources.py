"""Registered corpus sources: per-source Parquet tables, quarantine, incremental embeddings, catalog.

Layout under ``<studio>/.library`` (filmcraft.layout.LibraryLayout)::

    sources/<kind>/<source>/source.json        the registration (path + field mapping)
    sources/<kind>/<source>/rows.parquet       normalised, validated rows
    sources/<kind>/<source>/quarantine.parquet rows refused: (kind, source, row, id, reason, excerpt)
    sources/<kind>/<source>/ingest.json        what the last ingest did (counts, fingerprints, timings)
    sources/<kind>/<source>/embeddings/        vectors keyed by text hash (corpus_ingest.embedstore)
    catalog.duckdb                             views over every source's Parquet files

``kind`` is ``captions`` or ``audio``. The built-in corpora are sources too: ``starter`` (captions)
and ``builtin`` (the synthesised audio library). Every file is written atomically, so a killed
ingest leaves the previous tables (and the index built from them) intact.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import json
import re
import shutil
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterator, Literal, Optional

from pydantic import BaseModel, field_validator

from filmcraft.layout import LibraryLayout
from filmcraft.roles import Embedder
from filmcraft.store import atomic_path, read_json_or_none, sha256_file, write_text

from corpus_ingest.embedstore import EmbeddingStore, text_hash
from corpus_ingest.readers import ID_FIELD_GUESSES, TEXT_FIELD_GUESSES, peek_fields, read_rows, resolve_field

KINDS = ("captions", "audio")
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BUILTIN_SOURCES = {"captions": "starter", "audio": "builtin"}
INGEST_VERSION = 1  # bump when normalisation or validation changes: forces a re-read of every source
MIN_CAPTION_CHARS = 3
MAX_CAPTION_CHARS = 4000  # longer "captions" are scripts or dumps, not clip descriptions
EXCERPT_CHARS = 160

ROWS_FILE = "rows.parquet"
QUARANTINE_FILE = "quarantine.parquet"
SPEC_FILE = "source.json"
REPORT_FILE = "ingest.json"
EMBED_REPORT_FILE = "embeddings.json"


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def source_name_from(path: Path) -> str:
    """A valid source name from a file or folder name: 'ESC-50 subset.csv' -> 'esc-50-subset'."""
    stem = Path(path).name
    for suffix in (".gz", ".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet", ".pq"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    slug = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")[:63]
    return slug or "source"


def check_source_name(kind: str, name: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"corpus kind {kind!r} is unknown: use captions or audio")
    if not isinstance(name, str) or not SOURCE_RE.match(name):
        raise ValueError(
            f"source name {name!r} is not valid: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


class SourceSpec(BaseModel):
    """A registered source: where its data is and how its fields map."""

    kind: Literal["captions", "audio"]
    name: str
    path: str
    # captions
    text_field: Optional[str] = None
    id_field: Optional[str] = None
    keep_fields: Optional[list[str]] = None  # None: keep every other field as metadata
    # audio
    tags_csv: Optional[str] = None
    file_field: Optional[str] = None
    tags_field: Optional[str] = None
    description_field: Optional[str] = None
    audio_kind: str = "auto"  # ambience, music, foley, sfx or auto (from tags, genre and duration)
    registered_at: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not SOURCE_RE.match(v or ""):
            raise ValueError(f"source name {v!r} is not valid: lowercase letters, digits, '-' or '_'")
        return v

    def mapping(self) -> dict:
        """What decides the rows besides the input bytes (part of the input fingerprint)."""
        return self.model_dump(exclude={"registered_at", "name"})


# --- folders and registration ----------------------------------------------------------------

def source_dir(lib: LibraryLayout, kind: str, name: str) -> Path:
    return lib.source_dir(kind, check_source_name(kind, name))


def register_source(lib: LibraryLayout, spec: SourceSpec) -> Path:
    """Write (or replace) the registration of a source; its data is read by the next ingest."""
    folder = source_dir(lib, spec.kind, spec.name)
    if not spec.registered_at:
        spec = spec.model_copy(update={"registered_at": now_iso()})
    write_text(folder / SPEC_FILE, spec.model_dump_json(indent=2) + "\n")
    return folder


def read_spec(lib: LibraryLayout, kind: str, name: str) -> SourceSpec:
    path = source_dir(lib, kind, name) / SPEC_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{kind} source {name!r} is not registered (no {path}): register it with `filmaster ingest {kind} PATH --source {name}`"
        )
    return SourceSpec.model_validate_json(path.read_text(encoding="utf-8"))


def list_sources(lib: LibraryLayout, kind: str, ingested_only: bool = False) -> list[str]:
    """Source names of a kind, the built-in one first, then alphabetical."""
    base = lib.sources / kind
    if not base.is_dir():
        return []
    names = sorted(p.name for p in base.iterdir()
                   if p.is_dir() and SOURCE_RE.match(p.name)
                   and ((p / REPORT_FILE).is_file() if ingested_only else (p / SPEC_FILE).is_file() or (p / REPORT_FILE).is_file()))
    builtin = BUILTIN_SOURCES[kind]
    return ([builtin] if builtin in names else []) + [n for n in names if n != builtin]


def read_report(lib: LibraryLayout, kind: str, name: str, file: str = REPORT_FILE) -> dict | None:
    return read_json_or_none(source_dir(lib, kind, name) / file)


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


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive advisory lock: index builds and catalog refreshes of one studio run one at a time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- caption rows ----------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def normalise_text(text: str) -> str:
    """NFC, no control characters, single spaces."""
    return " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())


def field_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def caption_key(source: str, row_id: str) -> str:
    """Index id of a caption: starter ids as shipped (films cite them), other sources namespaced."""
    return row_id if source == BUILTIN_SOURCES["captions"] else f"{source}:{row_id}"


def _excerpt(record: Any) -> str:
    try:
        text = json.dumps(record, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(record)
    return text[:EXCERPT_CHARS]


def resolve_caption_fields(spec: SourceSpec) -> tuple[str, str | None, list[str]]:
    """(text field, id field or None, all fields) for a caption source; ValueError naming the fields found."""
    path = Path(spec.path)
    fields = peek_fields(path)
    if not fields:
        raise ValueError(f"{path} has no readable rows: check that it is a non-empty CSV, JSONL or Parquet table")
    text_field = resolve_field(fields, spec.text_field, TEXT_FIELD_GUESSES, "caption text", "--text-field", path, True)
    id_field = resolve_field(fields, spec.id_field, ID_FIELD_GUESSES, "row id", "--id-field", path, False)
    if spec.keep_fields:
        unknown = [f for f in spec.keep_fields if f not in fields]
        if unknown:
            raise ValueError(f"{path.name} has no field(s) {unknown}; fields found: {', '.join(fields)}")
    assert text_field is not None
    return text_field, id_field, fields


def clean_caption_rows(spec: SourceSpec) -> tuple[list[dict], list[dict], dict]:
    """Read, normalise and validate a caption source: (rows, quarantine, field mapping used)."""
    from corpus_ingest.captions import caption_embed_text

    text_field, id_field, fields = resolve_caption_fields(spec)
    keep = set(spec.keep_fields) if spec.keep_fields else None
    good: list[dict] = []
    bad: list[dict] = []
    seen_ids: dict[str, int] = {}
    seen_texts: dict[str, int] = {}

    def refuse(row_no: int, row_id: str | None, reason: str, record: Any) -> None:
        bad.append({"kind": "captions", "source": spec.name, "row": row_no, "id": row_id, "reason": reason,
                    "excerpt": _excerpt(record)})

    for row_no, rec, problem in read_rows(Path(spec.path)):
        if rec is None:
            refuse(row_no, None, f"unreadable: {problem}", problem)
            continue
        raw_text = rec.get(text_field)
        if id_field is not None:
            raw_id = rec.get(id_field)
            row_id = None if raw_id is None else normalise_text(field_value(raw_id))
            if not row_id:
                refuse(row_no, None, f"missing id (field {id_field!r} is empty)", rec)
                continue
        else:
            row_id = None
        if raw_text is None or (isinstance(raw_text, str) and not raw_text.strip()):
            refuse(row_no, row_id, f"empty text (field {text_field!r} is null or blank)", rec)
            continue
        if not isinstance(raw_text, str):
            refuse(row_no, row_id, f"text is a {type(raw_text).__name__}, not a string", rec)
            continue
        text = normalise_text(raw_text)
        if len(text) > MAX_CAPTION_CHARS:
            refuse(row_no, row_id, f"text too long ({len(text)} chars > {MAX_CAPTION_CHARS})", {"text": text[:80]})
            continue
        if len(text) < MIN_CAPTION_CHARS:
            refuse(row_no, row_id, f"text too short ({len(text)} chars < {MIN_CAPTION_CHARS})", rec)
            continue
        if row_id is None:
            row_id = text_hash(text.lower())[:12]  # stable under row insertions, unlike a row number
        if row_id in seen_ids:
            refuse(row_no, row_id, f"duplicate id (first at row {seen_ids[row_id]})", rec)
            continue
        folded = text.lower()
        if folded in seen_texts:
            refuse(row_no, row_id, f"duplicate text (same as row {seen_texts[folded]})", rec)
            continue
        seen_ids[row_id] = row_no
        seen_texts[folded] = row_no
        meta = {k: field_value(v) for k, v in rec.items()
                if k not in (text_field, id_field, "source") and v is not None and (keep is None or k in keep)}
        good.append({
            "key": caption_key(spec.name, row_id), "id": row_id, "text": text, "source": spec.name,
            "fields_json": json.dumps(meta, ensure_ascii=False, sort_keys=True),
            "embed_hash": text_hash(caption_embed_text(text, meta)), "row": row_no,
        })
    return good, bad, {"text_field": text_field, "id_field": id_field, "fields": fields}


def _rows_hash(rows: list[dict], cols: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for r in rows:
        for c in cols:
            h.update(str(r[c]).encode("utf-8"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()[:32]


def _write_table(path: Path, rows: list[dict], schema) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def quarantine_schema():
    import pyarrow as pa

    return pa.schema([("kind", pa.string()), ("source", pa.string()), ("row", pa.int64()), ("id", pa.string()),
                      ("reason", pa.string()), ("excerpt", pa.string())])


def caption_schema():
    import pyarrow as pa

    return pa.schema([("key", pa.string()), ("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
                      ("fields_json", pa.string()), ("embed_hash", pa.string()), ("row", pa.int64())])


def reason_counts(bad: list[dict]) -> dict[str, int]:
    """Quarantine reasons grouped by their leading words (before any parenthesis or colon)."""
    counts: dict[str, int] = {}
    for b in bad:
        head = re.split(r"[(:]", b["reason"], maxsplit=1)[0].strip()
        counts[head] = counts.get(head, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def input_fingerprint(spec: SourceSpec) -> str:
    path = Path(spec.path)
    return hashlib.sha256(json.dumps(
        {"v": INGEST_VERSION, "sha256": sha256_file(path), "mapping": spec.mapping()}, sort_keys=True
    ).encode()).hexdigest()[:32]


def ingest_caption_source(lib: LibraryLayout, spec: SourceSpec, force: bool = False) -> dict:
    """Read, validate and store one caption source as Parquet; return the ingest report.

    Unchanged input (same bytes, same mapping, same ingest version) is not re-read unless ``force``.
    """
    if spec.kind != "captions":
        raise ValueError(f"source {spec.name!r} is a {spec.kind} source, not captions")
    path = Path(spec.path)
    if not path.is_file():
        raise FileNotFoundError(f"caption source {spec.name!r}: {path} does not exist; re-register it with the right path")
    folder = source_dir(lib, "captions", spec.name)
    t0 = time.perf_counter()
    fingerprint = input_fingerprint(spec)
    previous = read_report(lib, "captions", spec.name)
    if (not force and previous and previous.get("input_fingerprint") == fingerprint
            and (folder / ROWS_FILE).is_file()):
        report = {**previous, "unchanged": True, "checked_at": now_iso()}
        write_text(folder / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        return report
    good, bad, mapping = clean_caption_rows(spec)
    if not good:
        reasons = list(reason_counts(bad))[:3]
        raise ValueError(
            f"{path}: no usable caption rows out of {len(bad)} (reasons: {reasons}); each row needs a non-empty "
            f"text in field {mapping['text_field']!r}: check --text-field"
        )
    read_s = time.perf_counter() - t0
    _write_table(folder / ROWS_FILE, good, caption_schema())
    _write_table(folder / QUARANTINE_FILE, bad, quarantine_schema())
    report = {
        "kind": "captions", "source": spec.name, "path": str(path), "version": INGEST_VERSION,
        "input_fingerprint": fingerprint, "rows": len(good), "quarantined": len(bad),
        "quarantine_reasons": reason_counts(bad),
        "rows_hash": _rows_hash(good, ("key", "embed_hash", "fields_json")),
        "text_field": mapping["text_field"], "id_field": mapping["id_field"],
        "read_seconds": round(read_s, 3), "seconds": round(time.perf_counter() - t0, 3),
        "ingested_at": now_iso(), "unchanged": False,
    }
    write_text(folder / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    refresh_catalog(lib)
    return report


def read_table(lib: LibraryLayout, kind: str, name: str, file: str = ROWS_FILE) -> list[dict]:
    import pyarrow.parquet as pq

    path = source_dir(lib, kind, name) / file
    if not path.is_file():
        raise FileNotFoundError(f"{kind} source {name!r} has no {file}: ingest it first (filmaster ingest {kind} ...)")
    return pq.read_table(path).to_pylist()


def embed_texts_of(kind: str, rows: list[dict]) -> list[str]:
    """The exact texts whose hashes are stored in the rows' ``embed_hash``."""
    if kind == "captions":
        from corpus_ingest.captions import caption_embed_text

        return [caption_embed_text(r["text"], json.loads(r["fields_json"])) for r in rows]
    from corpus_ingest.audio import audio_text
    from corpus_ingest.audio_files import asset_from_row

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


# --- the built-in starter source --------------------------------------------------------------

def starter_spec() -> SourceSpec:
    from corpus_ingest.starter import STARTER_PATH

    return SourceSpec(kind="captions", name=BUILTIN_SOURCES["captions"], path=str(STARTER_PATH),
                      text_field="text", id_field="id", registered_at="package")


def ensure_starter_source(lib: LibraryLayout) -> dict:
    """Ingest the packaged starter captions as source 'starter' unless already current."""
    from corpus_ingest.starter import load_starter_captions

    load_starter_captions()  # validates vocabulary and distinctness: the package data must be right
    spec = starter_spec()
    register_source(lib, spec)
    return ingest_caption_source(lib, spec)


# --- DuckDB catalog ---------------------------------------------------------------------------

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
                views = {"caption_rows": "captions:" + ROWS_FILE, "audio_rows": "audio:" + ROWS_FILE}
                for view, key in views.items():
                    if files.get(key):
                        con.execute(f"CREATE VIEW {view} AS SELECT * FROM read_parquet({files[key]!r}, union_by_name=true)")
                quarantine = files.get("captions:" + QUARANTINE_FILE, []) + files.get("audio:" + QUARANTINE_FILE, [])
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
    from corpus_ingest.index import read_meta

    refresh_catalog(lib)
    out: dict[str, Any] = {}
    rows = query_catalog(lib, "SELECT kind, source, path, rows, quarantined, ingested_at FROM sources ORDER BY kind, source")
    reasons = query_catalog(lib, "SELECT kind, source, regexp_replace(reason, '\\s*[(:].*$', '') AS why, count(*) "
                            "FROM quarantine GROUP BY ALL ORDER BY 4 DESC")
    for kind, index_dir in (("captions", lib.clip_caption_index), ("audio", lib.audio_library_index)):
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
