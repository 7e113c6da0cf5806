"""Registered corpus sources: names, registrations, folders, ingest reports and the studio lock.

Layout under ``<studio>/.library`` (filmcraft.layout.LibraryLayout)::

    sources/<kind>/<source>/source.json        the registration (path + field mapping)
    sources/<kind>/<source>/rows.parquet       normalised, validated rows (corpus_ingest.tables)
    sources/<kind>/<source>/quarantine.parquet rows refused: (kind, source, row, id, reason, excerpt)
    sources/<kind>/<source>/ingest.json        what the last ingest did (counts, fingerprints, timings)
    sources/<kind>/<source>/embeddings/        vectors keyed by text hash (corpus_ingest.embedding)
    catalog.duckdb                             views over every source's Parquet files (corpus_ingest.catalog)

``kind`` is ``captions``, ``audio`` or ``visuals``. The built-in corpora are sources too: ``starter``
(captions), ``builtin`` (the synthesised audio library) and ``builtin`` (the packaged icon set). Every file is written atomically, so a killed
ingest leaves the previous tables (and the index built from them) intact.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, field_validator

from filmcraft.layout import LibraryLayout
from filmcraft.store import read_json_or_none, write_text

KINDS = ("captions", "audio", "visuals")
SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
BUILTIN_SOURCES = {"captions": "starter", "audio": "builtin", "visuals": "builtin"}

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
        raise ValueError(f"corpus kind {kind!r} is unknown: use captions, audio or visuals")
    if not isinstance(name, str) or not SOURCE_RE.match(name):
        raise ValueError(
            f"source name {name!r} is not valid: use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit"
        )
    return name


class SourceSpec(BaseModel):
    """A registered source: where its data is and how its fields map."""

    kind: Literal["captions", "audio", "visuals"]
    name: str
    path: str
    # captions
    text_field: Optional[str] = None
    id_field: Optional[str] = None
    keep_fields: Optional[list[str]] = None  # None: keep every other field as metadata
    # audio and visuals
    tags_csv: Optional[str] = None
    file_field: Optional[str] = None
    tags_field: Optional[str] = None
    description_field: Optional[str] = None
    audio_kind: str = "auto"  # ambience, music, foley, sfx or auto (from tags, genre and duration)
    # visuals
    visual_kind: Optional[str] = None  # creature, prop, vehicle, landmark, nature, or None/auto (per row or from tags)
    registered_at: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not SOURCE_RE.match(v or ""):
            raise ValueError(f"source name {v!r} is not valid: lowercase letters, digits, '-' or '_'")
        return v

    def mapping(self) -> dict:
        """What decides the rows besides the input bytes (part of the input fingerprint)."""
        # visual_kind only when set: caption and audio fingerprints stay what they were before it existed
        return self.model_dump(exclude={"registered_at", "name"} | ({"visual_kind"} if self.visual_kind is None else set()))


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
