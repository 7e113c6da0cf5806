"""Caption sources: field resolution, row validation and quarantine, ingest into Parquet, the starter source.

A caption source is one table (CSV, TSV, JSONL, JSON or Parquet). Its text and id fields are
named at registration or guessed; rows are normalised, then refused with a reason when they are
unreadable, empty, too short or long, or a duplicate (by id or by case-folded text).
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from filmcraft.layout import LibraryLayout
from filmcraft.store import sha256_file, write_text

from corpus_ingest.captions import caption_embed_text
from corpus_ingest.catalog import refresh_catalog
from corpus_ingest.embedstore import text_hash
from corpus_ingest.readers import ID_FIELD_GUESSES, TEXT_FIELD_GUESSES, peek_fields, read_rows, resolve_field
from corpus_ingest.registry import (
    BUILTIN_SOURCES, REPORT_FILE, SourceSpec, now_iso, read_report, register_source, source_dir,
)
from corpus_ingest.starter import STARTER_PATH, load_starter_captions
from corpus_ingest.tables import (
    INGEST_VERSION, QUARANTINE_FILE, ROWS_FILE, caption_schema, excerpt, field_value, normalise_text,
    quarantine_schema, reason_counts, rows_hash, write_table,
)

MIN_CAPTION_CHARS = 3
MAX_CAPTION_CHARS = 4000  # longer "captions" are scripts or dumps, not clip descriptions


def caption_key(source: str, row_id: str) -> str:
    """Index id of a caption: starter ids as shipped (films cite them), other sources namespaced."""
    return row_id if source == BUILTIN_SOURCES["captions"] else f"{source}:{row_id}"


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
    text_field, id_field, fields = resolve_caption_fields(spec)
    keep = set(spec.keep_fields) if spec.keep_fields else None
    good: list[dict] = []
    bad: list[dict] = []
    seen_ids: dict[str, int] = {}
    seen_texts: dict[str, int] = {}

    def refuse(row_no: int, row_id: str | None, reason: str, record: Any) -> None:
        bad.append({"kind": "captions", "source": spec.name, "row": row_no, "id": row_id, "reason": reason,
                    "excerpt": excerpt(record)})

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
    write_table(folder / ROWS_FILE, good, caption_schema())
    write_table(folder / QUARANTINE_FILE, bad, quarantine_schema())
    report = {
        "kind": "captions", "source": spec.name, "path": str(path), "version": INGEST_VERSION,
        "input_fingerprint": fingerprint, "rows": len(good), "quarantined": len(bad),
        "quarantine_reasons": reason_counts(bad),
        "rows_hash": rows_hash(good, ("key", "embed_hash", "fields_json")),
        "text_field": mapping["text_field"], "id_field": mapping["id_field"],
        "read_seconds": round(read_s, 3), "seconds": round(time.perf_counter() - t0, 3),
        "ingested_at": now_iso(), "unchanged": False,
    }
    write_text(folder / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    refresh_catalog(lib)
    return report


# --- the built-in starter source --------------------------------------------------------------

def starter_spec() -> SourceSpec:
    return SourceSpec(kind="captions", name=BUILTIN_SOURCES["captions"], path=str(STARTER_PATH),
                      text_field="text", id_field="id", registered_at="package")


def ensure_starter_source(lib: LibraryLayout) -> dict:
    """Ingest the packaged starter captions as source 'starter' unless already current."""
    load_starter_captions()  # validates vocabulary and distinctness: the package data must be right
    spec = starter_spec()
    register_source(lib, spec)
    return ingest_caption_source(lib, spec)
