"""A folder of images + a tags table -> visual library rows (one registered visuals source), and the
built-in icon set (corpus_ingest/builtin_visuals) stored as visuals source ``builtin``.

The tags table (``--tags-csv``; else the one table at the top of the folder) has a row per image:
``file,tags[,kind]`` (tags separated by ``;``, ``|`` or ``,`` inside a quoted field). Every listed
file must exist and render as a cut-out (corpus_ingest.visual_raster); problems are quarantined
with the file and the table row named: a missing file, an unreadable image, a row without a file
or without tags, an unknown kind, a duplicate image, an image no row lists.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from filmcraft.layout import LibraryLayout
from filmcraft.store import sha256_file, write_text

from corpus_ingest.catalog import refresh_catalog
from corpus_ingest.embedstore import text_hash
from corpus_ingest.readers import find_tags_table, peek_fields, read_rows, resolve_field, split_tags
from corpus_ingest.registry import REPORT_FILE, SourceSpec, now_iso, read_report, register_source, source_dir
from corpus_ingest.tables import (
    INGEST_VERSION, QUARANTINE_FILE, ROWS_FILE, excerpt, quarantine_schema, reason_counts, rows_hash, write_table,
)
from corpus_ingest.visual_raster import IMAGE_SUFFIXES, ImageError, cutout
from corpus_ingest.visuals import VISUAL_KINDS, VisualAsset, visual_text

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin_visuals"
BUILTIN_TAGS = BUILTIN_DIR / "tags.csv"
FILE_FIELD_GUESSES = ("file", "filename", "file_name", "path", "image", "name")
TAGS_FIELD_GUESSES = ("tags", "tag", "labels", "label", "keywords", "description")
KIND_FIELD_GUESSES = ("kind", "type", "category")


def visuals_schema():
    import pyarrow as pa

    return pa.schema([
        ("visual_id", pa.string()), ("name", pa.string()), ("kind", pa.string()), ("path", pa.string()),
        ("relpath", pa.string()), ("sha256", pa.string()), ("tags", pa.list_(pa.string())), ("source", pa.string()),
        ("recolour", pa.bool_()), ("fields_json", pa.string()), ("embed_hash", pa.string()), ("row", pa.int64()),
    ])


ASSET_FIELDS = ("visual_id", "name", "kind", "path", "tags", "source", "recolour")


def visual_from_row(row: dict) -> VisualAsset:
    return VisualAsset.model_validate({k: row[k] for k in ASSET_FIELDS})


def row_from_visual(asset: VisualAsset, **extra: Any) -> dict:
    row = asset.model_dump(mode="json")
    row.update(extra)
    row["embed_hash"] = text_hash(visual_text(asset))
    return row


def guess_visual_kind(tags: list[str]) -> str:
    """creature / vehicle / landmark / nature / prop from the tags' words (prop when nothing says)."""
    words = set(" ".join(tags).replace("-", " ").split())
    vocab = {
        "creature": {"bird", "animal", "dog", "cat", "horse", "fish", "creature", "insect", "person", "man", "woman",
                     "child", "gull", "seagull", "whale", "beast", "monster"},
        "vehicle": {"boat", "ship", "car", "train", "truck", "bus", "plane", "airplane", "bicycle", "bike", "vehicle",
                    "rocket", "carriage", "cart", "sled"},
        "landmark": {"building", "house", "lighthouse", "tower", "church", "castle", "bridge", "station", "tent",
                     "hut", "cabin", "temple", "landmark", "factory", "school", "hospital"},
        "nature": {"tree", "flower", "plant", "mountain", "rock", "cloud", "wave", "snow", "ice", "sun", "moon",
                   "star", "glacier", "iceberg"},
    }
    for kind in ("creature", "vehicle", "landmark", "nature"):
        if words & vocab[kind]:
            return kind
    return "prop"


def list_image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def resolve_visual_fields(spec: SourceSpec) -> dict:
    """The tags table and its file/tags/kind columns; ValueError naming what is missing."""
    folder = Path(spec.path)
    if not folder.is_dir():
        raise ValueError(f"visuals source {spec.name!r}: {folder} is not a folder; point at a folder of "
                         "PNG/SVG/JPG images")
    table = Path(spec.tags_csv) if spec.tags_csv else find_tags_table(folder)
    if table is None:
        raise ValueError(f"{folder}: no tags table: give --tags-csv FILE with columns file,tags[,kind] "
                         "(a visual is found by its tags, so every image needs some)")
    if not table.is_file():
        raise ValueError(f"--tags-csv {table}: no such file")
    fields = peek_fields(table)
    if not fields:
        raise ValueError(f"tags table {table} has no readable rows: it needs a header file,tags[,kind] and a row per image")
    return {
        "table": str(table),
        "file_field": resolve_field(fields, spec.file_field, FILE_FIELD_GUESSES, "image file name", "--file-field", table, True),
        "tags_field": resolve_field(fields, spec.tags_field, TAGS_FIELD_GUESSES, "tags", "--tags-field", table, True),
        "kind_field": resolve_field(fields, None, KIND_FIELD_GUESSES, "kind", "--kind", table, False),
    }


def ingest_visual_source(lib: LibraryLayout, spec: SourceSpec, force: bool = False, progress: bool = True) -> dict:
    """Check, tag and render a folder of images into the source's Parquet tables."""
    if spec.kind != "visuals":
        raise ValueError(f"source {spec.name!r} is a {spec.kind} source, not visuals")
    t0 = time.perf_counter()
    folder = Path(spec.path).resolve()
    info = resolve_visual_fields(spec)
    forced_kind = spec.visual_kind if spec.visual_kind not in (None, "auto") else None
    if forced_kind is not None and forced_kind not in VISUAL_KINDS:
        raise ValueError(f"visual kind {forced_kind!r} is unknown: use auto, {', '.join(VISUAL_KINDS)}")
    out_dir = source_dir(lib, "visuals", spec.name)
    good: list[dict] = []
    bad: list[dict] = []
    seen_sha: dict[str, str] = {}
    listed: set[str] = set()
    table_name = Path(info["table"]).name

    def refuse(row_no: int, ident: str | None, reason: str, record: Any) -> None:
        bad.append({"kind": "visuals", "source": spec.name, "row": row_no, "id": ident, "reason": reason,
                    "excerpt": excerpt(record)})

    for row_no, rec, problem in read_rows(Path(info["table"])):
        where = f"{table_name} row {row_no}"
        if rec is None:
            refuse(row_no, None, f"unreadable tags row ({where}): {problem}", problem)
            continue
        name = str(rec.get(info["file_field"]) or "").strip().replace("\\", "/")
        if not name:
            refuse(row_no, None, f"row without a file name ({where}, column {info['file_field']!r})", rec)
            continue
        path = (folder / name).resolve()
        rel = path.relative_to(folder).as_posix() if path.is_relative_to(folder) else name
        listed.add(rel)
        if not path.is_relative_to(folder):
            refuse(row_no, name, f"file outside the folder ({where}): {name}", rec)
            continue
        if not path.is_file():
            refuse(row_no, name, f"missing file ({where}): no {name} under {folder.name}/", rec)
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            refuse(row_no, name, f"not an image type ({where}): {name} (use {', '.join(IMAGE_SUFFIXES)})", rec)
            continue
        tags = split_tags(rec.get(info["tags_field"]))
        if not tags:
            refuse(row_no, name, f"row without tags ({where}, column {info['tags_field']!r}): {name}", rec)
            continue
        kind_value = str(rec.get(info["kind_field"]) or "").strip().lower() if info.get("kind_field") else ""
        kind = forced_kind or kind_value or guess_visual_kind(tags)
        if kind not in VISUAL_KINDS:
            refuse(row_no, name, f"unknown kind {kind!r} ({where}): {name} (use {', '.join(VISUAL_KINDS)})", rec)
            continue
        digest = sha256_file(path)
        if digest in seen_sha:
            refuse(row_no, name, f"duplicate image ({where}): {name} has the same bytes as {seen_sha[digest]}", rec)
            continue
        try:  # render it now: an image that cannot be a cut-out is refused here, not mid-film
            cutout(path, lib.visual_rasters)
        except ImageError as exc:
            refuse(row_no, name, f"unreadable image ({where}): {name}: {exc}", rec)
            continue
        seen_sha[digest] = name
        stem = Path(rel).with_suffix("").as_posix()
        asset = VisualAsset(visual_id=f"{spec.name}:{stem}", name=tags[0], kind=kind, path=str(path),
                            tags=tags + [t for t in [Path(rel).stem.replace("_", " ").replace("-", " ").lower()] if t not in tags],
                            source=spec.name, recolour=False)
        fields = {k: str(v) for k, v in rec.items() if v not in (None, "")
                  and k not in (info["file_field"], info["tags_field"], info.get("kind_field"))}
        good.append(row_from_visual(asset, relpath=rel, sha256=digest, row=row_no,
                                    fields_json=json.dumps(fields, ensure_ascii=False, sort_keys=True)))
    for path in list_image_files(folder):
        rel = path.relative_to(folder).as_posix()
        if rel not in listed:
            refuse(0, rel, f"image not listed in {table_name}: {rel} (add a row with its tags)", rel)
    if not good:
        raise ValueError(f"{folder}: no usable image ({len(bad)} refused; reasons: {list(reason_counts(bad))[:3]}); "
                         f"list PNG/SVG/JPG files with their tags in {table_name}")
    write_table(out_dir / ROWS_FILE, good, visuals_schema())
    write_table(out_dir / QUARANTINE_FILE, bad, quarantine_schema())
    report = {
        "kind": "visuals", "source": spec.name, "path": str(folder), "version": INGEST_VERSION,
        "rows": len(good), "quarantined": len(bad), "quarantine_reasons": reason_counts(bad),
        "kinds": {k: sum(r["kind"] == k for r in good) for k in VISUAL_KINDS},
        "tags_table": info["table"], "tags_field": info["tags_field"],
        "rows_hash": rows_hash(good, ("visual_id", "embed_hash", "path", "sha256")),
        "seconds": round(time.perf_counter() - t0, 3), "ingested_at": now_iso(), "unchanged": False,
    }
    write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    refresh_catalog(lib)
    return report


def builtin_visuals() -> list[VisualAsset]:
    """The packaged icon set as library assets (paths absolute, inside the installed package)."""
    with open(BUILTIN_TAGS, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [VisualAsset(visual_id=f"builtin:{r['id']}", name=r["name"], kind=r["kind"],
                        path=str(BUILTIN_DIR / r["file"]), tags=[t.strip() for t in r["tags"].split(";") if t.strip()],
                        source="builtin", recolour=True)
            for r in rows]


def ensure_builtin_visual_source(lib: LibraryLayout) -> dict:
    """Store the packaged icon set as visuals source 'builtin' (a no-op when it is already current)."""
    out_dir = source_dir(lib, "visuals", "builtin")
    assets = builtin_visuals()
    rows = [row_from_visual(a, relpath=Path(a.path).relative_to(BUILTIN_DIR).as_posix(), sha256="", row=n,
                            fields_json="{}") for n, a in enumerate(assets, 1)]
    fingerprint = rows_hash(rows, ("visual_id", "embed_hash", "path", "sha256"))
    previous = read_report(lib, "visuals", "builtin")
    if previous and previous.get("rows_hash") == fingerprint and (out_dir / ROWS_FILE).is_file():
        return {**previous, "unchanged": True}
    register_source(lib, SourceSpec(kind="visuals", name="builtin", path=str(BUILTIN_DIR), registered_at="package"))
    write_table(out_dir / ROWS_FILE, rows, visuals_schema())
    write_table(out_dir / QUARANTINE_FILE, [], quarantine_schema())
    report = {"kind": "visuals", "source": "builtin", "path": str(BUILTIN_DIR), "version": INGEST_VERSION,
              "rows": len(rows), "quarantined": 0, "quarantine_reasons": {}, "rows_hash": fingerprint,
              "kinds": {k: sum(r["kind"] == k for r in rows) for k in VISUAL_KINDS},
              "ingested_at": now_iso(), "unchanged": False}
    write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    refresh_catalog(lib)
    return report


# The built-in images the issue names first on a contact sheet, then an even spread of the rest.
FEATURED = ("bird", "lighthouse", "sail-boat", "oil-lamp", "email", "compass", "timer-sand", "tent", "dog", "horse",
            "fish", "dolphin", "violin", "key", "book-open-variant", "map", "castle", "church", "factory",
            "image-filter-hdr", "snowflake", "space-station", "wind-turbine", "campfire")


def sheet_sample(assets: list[VisualAsset], n: int = 48) -> list[VisualAsset]:
    """Up to ``n`` images for a contact sheet: users' own first (up to half), the featured built-ins, a spread."""
    own = [a for a in assets if a.source != "builtin"][: n // 2]
    builtin = {a.visual_id.split(":", 1)[1]: a for a in assets if a.source == "builtin"}
    picked = own + [builtin[f] for f in FEATURED if f in builtin][: n - len(own)]
    rest = [a for a in assets if a not in picked]
    room = n - len(picked)
    if room > 0 and rest:
        step = max(1, len(rest) // room)
        picked += rest[::step][:room]
    return picked


def render_sheet(lib: LibraryLayout, assets: list[VisualAsset], out: Path, n: int = 48) -> Path:
    """Render a contact sheet of a sample of ``assets`` (cut-outs as the previs would draw them)."""
    from corpus_ingest.visual_raster import THUMB_PX, contact_sheet, fill_for

    cells = []
    for a in sheet_sample(assets, n):
        fill = fill_for(a.kind, a.name) if a.recolour else None
        try:
            cells.append((cutout(Path(a.path), lib.visual_rasters, fill, THUMB_PX), a.name))
        except ImageError:
            continue  # a user file removed since its ingest: the sheet shows the rest
    return contact_sheet(cells, out)
