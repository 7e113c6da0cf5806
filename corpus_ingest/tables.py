"""A source's Parquet tables: the schemas of caption rows, audio rows and quarantine, and their I/O.

Also the helpers both ingests share: text normalisation, metadata values as text, quarantine
excerpts and reason counts, and the rows hash an ingest report carries (what an index build
compares to know whether a source changed).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

from filmcraft.contracts import AudioAsset
from filmcraft.layout import LibraryLayout
from filmcraft.store import atomic_path

from corpus_ingest.registry import source_dir

INGEST_VERSION = 1  # bump when normalisation or validation changes: forces a re-read of every source
EXCERPT_CHARS = 160

ROWS_FILE = "rows.parquet"
QUARANTINE_FILE = "quarantine.parquet"

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


def excerpt(record: Any) -> str:
    """The start of a refused record, as stored in the quarantine table."""
    try:
        text = json.dumps(record, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        text = repr(record)
    return text[:EXCERPT_CHARS]


def reason_counts(bad: list[dict]) -> dict[str, int]:
    """Quarantine reasons grouped by their leading words (before any parenthesis or colon)."""
    counts: dict[str, int] = {}
    for b in bad:
        head = re.split(r"[(:]", b["reason"], maxsplit=1)[0].strip()
        counts[head] = counts.get(head, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def rows_hash(rows: list[dict], cols: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for r in rows:
        for c in cols:
            h.update(str(r[c]).encode("utf-8"))
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()[:32]


def quarantine_schema():
    import pyarrow as pa

    return pa.schema([("kind", pa.string()), ("source", pa.string()), ("row", pa.int64()), ("id", pa.string()),
                      ("reason", pa.string()), ("excerpt", pa.string())])


def caption_schema():
    import pyarrow as pa

    return pa.schema([("key", pa.string()), ("id", pa.string()), ("text", pa.string()), ("source", pa.string()),
                      ("fields_json", pa.string()), ("embed_hash", pa.string()), ("row", pa.int64())])


def audio_schema():
    import pyarrow as pa

    return pa.schema([
        ("asset_id", pa.string()), ("relpath", pa.string()), ("path", pa.string()), ("sha256", pa.string()),
        ("kind", pa.string()), ("description", pa.string()), ("tags", pa.list_(pa.string())),
        ("emotions", pa.list_(pa.string())), ("duration_s", pa.float64()), ("loudness_lufs", pa.float64()),
        ("peak_dbfs", pa.float64()), ("spectral_centroid_hz", pa.float64()), ("tempo_bpm", pa.float64()),
        ("key", pa.string()), ("source", pa.string()), ("fields_json", pa.string()), ("tag_hash", pa.string()),
        ("embed_hash", pa.string()), ("row", pa.int64()),
    ])


ASSET_FIELDS = ("asset_id", "kind", "path", "description", "tags", "emotions", "duration_s", "loudness_lufs",
                "peak_dbfs", "spectral_centroid_hz", "tempo_bpm", "key", "source")


def asset_from_row(row: dict) -> AudioAsset:
    """An audio table row as the library asset it describes."""
    return AudioAsset.model_validate({k: row[k] for k in ASSET_FIELDS})


def write_table(path: Path, rows: list[dict], schema) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def read_table(lib: LibraryLayout, kind: str, name: str, file: str = ROWS_FILE) -> list[dict]:
    import pyarrow.parquet as pq

    path = source_dir(lib, kind, name) / file
    if not path.is_file():
        raise FileNotFoundError(f"{kind} source {name!r} has no {file}: ingest it first (filmaster ingest {kind} ...)")
    return pq.read_table(path).to_pylist()
