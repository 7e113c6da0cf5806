"""A folder of audio files -> measured, tagged library rows (one registered audio source).

Tags come from, in order: a sidecar table (CSV/TSV/JSONL/Parquet; ``--tags-csv``, or the one
table found at the top of the folder), a per-file JSON sidecar (``clip.wav.json`` or
``clip.json`` with ``tags``, ``description``, ``kind``, ``emotions``) and the file's embedded tags
(title, genre, comment, artist). Every readable file is measured (filmcraft.audio_analysis):
duration, integrated loudness, peak, spectral centroid, tempo for music. Unreadable, silent,
absurdly short or long, and byte-identical duplicate files are quarantined with the reason;
unchanged files (same bytes, same tags) keep their previous measurements.

The built-in library, synthesised and measured already (corpus_ingest.builtin_audio), is stored
as audio source ``builtin`` by ``ensure_builtin_audio_source``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from filmcraft.audio_analysis import MAX_AUDIO_S, AudioReadError, header_problem, measure_audio
from filmcraft.contracts import AudioAsset
from filmcraft.layout import LibraryLayout
from filmcraft.store import sha256_file, write_text

from corpus_ingest.audio import audio_text
from corpus_ingest.catalog import refresh_catalog
from corpus_ingest.embedstore import text_hash
from corpus_ingest.readers import find_tags_table, peek_fields, read_rows, resolve_field, split_tags
from corpus_ingest.registry import REPORT_FILE, SourceSpec, now_iso, read_report, register_source, source_dir
from corpus_ingest.tables import (
    INGEST_VERSION, QUARANTINE_FILE, ROWS_FILE, audio_schema, excerpt, quarantine_schema, reason_counts, rows_hash,
    write_table,
)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
AUDIO_KINDS = ("ambience", "music", "foley", "sfx")
FILE_FIELD_GUESSES = ("filename", "file", "file_name", "path", "fname", "name")
TAGS_FIELD_GUESSES = ("tags", "tag", "category", "categories", "label", "labels", "class")
DESCRIPTION_FIELD_GUESSES = ("description", "caption", "title")
MIN_AUDIO_S = 0.05

# Words that place an untyped asset in a kind (checked in this order after music).
AMBIENCE_WORDS = {"ambience", "ambient", "atmosphere", "room tone", "rain", "wind", "waves", "sea", "ocean", "surf",
                  "crickets", "insects", "birds", "chirping", "thunderstorm", "forest", "city", "traffic", "crowd",
                  "river", "stream", "fire", "crackling", "night", "background"}
FOLEY_WORDS = {"footsteps", "steps", "door", "knock", "keyboard", "typing", "mouse", "click", "clock", "tick",
               "glass", "can", "pouring", "drinking", "sipping", "brushing", "teeth", "zipper", "cloth", "paper",
               "chewing", "eating", "washing", "water drops", "drops", "cup", "cutlery", "foley"}
MUSIC_WORDS = {"music", "song", "score", "soundtrack", "ost", "theme", "orchestral", "classical", "piano", "guitar",
               "melody", "cue"}


def guess_kind(tags: list[str], description: str, genre: str | None) -> str:
    """ambience / music / foley / sfx from what the asset is called (sfx when nothing says otherwise)."""
    words = " " + " ".join(tags + [description.lower()]) + " "
    has = lambda vocab: any(f" {w} " in words or f" {w}s " in words for w in vocab)  # noqa: E731
    if genre or has(MUSIC_WORDS):
        return "music"
    if has(FOLEY_WORDS):
        return "foley"
    if has(AMBIENCE_WORDS):
        return "ambience"
    return "sfx"


def list_audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def resolve_audio_fields(spec: SourceSpec) -> dict:
    """The sidecar table and its file/tags/description fields; ValueError naming the fields found."""
    folder = Path(spec.path)
    if not folder.is_dir():
        raise ValueError(f"audio source {spec.name!r}: {folder} is not a folder; point at a folder of wav/flac/ogg/mp3 files")
    table = Path(spec.tags_csv) if spec.tags_csv else find_tags_table(folder)
    if table is None:
        return {"table": None}
    if not table.is_file():
        raise ValueError(f"--tags-csv {table}: no such file")
    fields = peek_fields(table)
    if not fields:
        raise ValueError(f"tags table {table} has no readable rows: check it is a non-empty CSV/JSONL/Parquet file")
    return {
        "table": str(table),
        "file_field": resolve_field(fields, spec.file_field, FILE_FIELD_GUESSES, "audio file name", "--file-field", table, True),
        "tags_field": resolve_field(fields, spec.tags_field, TAGS_FIELD_GUESSES, "tags", "--tags-field", table, True),
        "description_field": resolve_field(fields, spec.description_field, DESCRIPTION_FIELD_GUESSES, "description",
                                           "--description-field", table, False),
        "fields": fields,
    }


def _embedded_tags(path: Path) -> dict[str, str]:
    import soundfile as sf

    try:
        with sf.SoundFile(str(path)) as fh:
            return {k: v for k, v in fh.copy_metadata().items() if v}
    except Exception:  # unreadable files are reported by the measurement step
        return {}


def _file_sidecar(path: Path) -> dict:
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return {"_error": f"sidecar {candidate.name} is not valid UTF-8 JSON"}
            return data if isinstance(data, dict) else {"_error": f"sidecar {candidate.name} is not a JSON object"}
    return {}


def row_from_asset(asset: AudioAsset, **extra: Any) -> dict:
    row = asset.model_dump(mode="json")
    row.update(extra)
    row["embed_hash"] = text_hash(audio_text(asset))
    return row


def _sidecar_rows(info: dict, bad: list[dict], source: str) -> dict[str, tuple[int, dict]]:
    """Sidecar records by file name (relative path and basename both work)."""
    out: dict[str, tuple[int, dict]] = {}
    if info.get("table") is None:
        return out
    for row_no, rec, problem in read_rows(Path(info["table"])):
        if rec is None:
            bad.append({"kind": "audio", "source": source, "row": row_no, "id": None,
                        "reason": f"unreadable tags row: {problem}", "excerpt": excerpt(problem)})
            continue
        name = rec.get(info["file_field"])
        if not name:
            bad.append({"kind": "audio", "source": source, "row": row_no, "id": None,
                        "reason": f"tags row without a file name (field {info['file_field']!r})", "excerpt": excerpt(rec)})
            continue
        out.setdefault(str(name).replace("\\", "/").lstrip("./"), (row_no, rec))
    return out


def ingest_audio_source(lib: LibraryLayout, spec: SourceSpec, force: bool = False, progress: bool = True) -> dict:
    """Measure, tag and validate a folder of audio files into the source's Parquet tables."""
    if spec.kind != "audio":
        raise ValueError(f"source {spec.name!r} is a {spec.kind} source, not audio")
    if spec.audio_kind not in ("auto",) + AUDIO_KINDS:
        raise ValueError(f"audio kind {spec.audio_kind!r} is unknown: use auto, {', '.join(AUDIO_KINDS)}")
    t0 = time.perf_counter()
    folder = Path(spec.path).resolve()
    info = resolve_audio_fields(spec)
    files = list_audio_files(folder)
    if not files:
        raise ValueError(f"no audio files ({', '.join(AUDIO_SUFFIXES)}) under {folder}: point at the folder that holds them")
    out_dir = source_dir(lib, "audio", spec.name)
    bad: list[dict] = []
    sidecar = _sidecar_rows(info, bad, spec.name)
    previous: dict[tuple[str, str, str], dict] = {}
    prev_report = read_report(lib, "audio", spec.name)
    if not force and prev_report and prev_report.get("version") == INGEST_VERSION and (out_dir / ROWS_FILE).is_file():
        import pyarrow.parquet as pq

        for r in pq.read_table(out_dir / ROWS_FILE).to_pylist():
            previous[(r["relpath"], r["sha256"], r["tag_hash"])] = r

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(files), desc=f"measuring audio/{spec.name}", unit="file", disable=None, leave=False)
    good: list[dict] = []
    seen_sha: dict[str, str] = {}
    used_sidecar: set[str] = set()
    measured = reused = 0
    try:
        for n, path in enumerate(files, 1):
            if bar is not None:
                bar.update(1)
            rel = path.relative_to(folder).as_posix()
            asset_id = f"{spec.name}:{rel}"

            def refuse(reason: str, record: Any = None) -> None:
                bad.append({"kind": "audio", "source": spec.name, "row": n, "id": asset_id, "reason": reason,
                            "excerpt": excerpt(record if record is not None else rel)})

            side_key = rel if rel in sidecar else path.name if path.name in sidecar else None
            side_row, side = sidecar.get(side_key, (None, {})) if side_key else (None, {})
            if side_key:
                used_sidecar.add(side_key)
            per_file = _file_sidecar(path)
            if "_error" in per_file:
                refuse(per_file["_error"])
                continue
            try:
                digest = sha256_file(path)
            except OSError as exc:
                refuse(f"unreadable: {exc}")
                continue
            if digest in seen_sha:
                refuse(f"duplicate file (same bytes as {seen_sha[digest]})")
                continue
            embedded = _embedded_tags(path)
            tags = split_tags(side.get(info.get("tags_field"))) if side else []
            tags += [t for t in split_tags(per_file.get("tags")) if t not in tags]
            genre = embedded.get("genre")
            tags += [t for t in split_tags(genre) if t not in tags]
            desc_field = info.get("description_field")
            description = " ".join(str(
                (side.get(desc_field) if side and desc_field else None) or per_file.get("description")
                or embedded.get("title") or embedded.get("comment") or ", ".join(tags)
                or path.stem.replace("_", " ").replace("-", " ")).split())
            if embedded.get("comment") and embedded.get("comment") != description:
                description = f"{description}. {' '.join(embedded['comment'].split())}"
            kind = per_file.get("kind") or (side.get("kind") if side else None) or spec.audio_kind
            if kind == "auto":
                kind = guess_kind(tags, description, genre)
            if kind not in AUDIO_KINDS:
                refuse(f"unknown kind {kind!r} (use {', '.join(AUDIO_KINDS)})")
                continue
            emotions = split_tags(per_file.get("emotions") or (side.get("emotions") if side else None))
            fields = {k: str(v) for k, v in (side or {}).items()
                      if v not in (None, "") and k not in (info.get("file_field"), info.get("tags_field"))}
            fields.update({f"tag.{k}": v for k, v in embedded.items()})
            tag_hash = text_hash(json.dumps([kind, description, tags, emotions, fields], sort_keys=True))
            prev = previous.get((rel, digest, tag_hash))
            if prev is not None:
                row = dict(prev, path=str(path), row=n)
                good.append(row)
                reused += 1
                seen_sha[digest] = rel
                continue
            problem = header_problem(path)
            if problem is not None:
                refuse(problem)
                continue
            try:
                m = measure_audio(path, kind)
            except (AudioReadError, ValueError, RuntimeError) as exc:
                refuse(f"unreadable: {str(exc).replace(str(path), rel)}")
                continue
            measured += 1
            if m["silent"]:
                refuse(f"silent (peak {m['peak_dbfs']} dBFS)")
                continue
            if m["duration_s"] < MIN_AUDIO_S:
                refuse(f"too short ({m['duration_s']} s < {MIN_AUDIO_S} s)")
                continue
            if m["duration_s"] > MAX_AUDIO_S:
                refuse(f"too long ({m['duration_s']:.0f} s > {MAX_AUDIO_S:.0f} s)")
                continue
            asset = AudioAsset(asset_id=asset_id, kind=kind, path=str(path), description=description, tags=tags,
                               emotions=emotions, duration_s=m["duration_s"], loudness_lufs=m["loudness_lufs"],
                               peak_dbfs=m["peak_dbfs"], spectral_centroid_hz=m["spectral_centroid_hz"],
                               tempo_bpm=m["tempo_bpm"], source=spec.name)
            good.append(row_from_asset(asset, relpath=rel, sha256=digest, tag_hash=tag_hash, row=n,
                                       fields_json=json.dumps(fields, ensure_ascii=False, sort_keys=True)))
            seen_sha[digest] = rel
    finally:
        if bar is not None:
            bar.close()
    for key, (row_no, rec) in sidecar.items():
        if key not in used_sidecar:
            bad.append({"kind": "audio", "source": spec.name, "row": row_no, "id": key,
                        "reason": f"listed in the tags table but no such audio file under {folder.name}/",
                        "excerpt": excerpt(rec)})
    if not good:
        raise ValueError(f"{folder}: none of {len(files)} audio files is usable (reasons: {list(reason_counts(bad))[:3]}); "
                         "supply readable, non-silent wav/flac/ogg/mp3 files")
    write_table(out_dir / ROWS_FILE, good, audio_schema())
    write_table(out_dir / QUARANTINE_FILE, bad, quarantine_schema())
    kinds = {k: sum(r["kind"] == k for r in good) for k in AUDIO_KINDS}
    report = {
        "kind": "audio", "source": spec.name, "path": str(folder), "version": INGEST_VERSION,
        "rows": len(good), "quarantined": len(bad), "quarantine_reasons": reason_counts(bad),
        "measured": measured, "reused": reused, "kinds": kinds,
        "tags_table": info.get("table"), "tags_field": info.get("tags_field"),
        "rows_hash": rows_hash(good, ("asset_id", "embed_hash", "path", "sha256")),
        "seconds": round(time.perf_counter() - t0, 3), "ingested_at": now_iso(), "unchanged": False,
    }
    write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    refresh_catalog(lib)
    return report


def ensure_builtin_audio_source(lib: LibraryLayout, assets: list[AudioAsset]) -> dict:
    """Store the synthesised built-in library (already measured) as audio source 'builtin'."""
    out_dir = source_dir(lib, "audio", "builtin")
    rows = [row_from_asset(a, relpath=Path(a.path).name, sha256="", tag_hash="", row=n, fields_json="{}")
            for n, a in enumerate(assets, 1)]
    fingerprint = rows_hash(rows, ("asset_id", "embed_hash", "path", "sha256"))
    previous = read_report(lib, "audio", "builtin")
    if previous and previous.get("rows_hash") == fingerprint and (out_dir / ROWS_FILE).is_file():
        return {**previous, "unchanged": True}
    register_source(lib, SourceSpec(kind="audio", name="builtin", path=str(lib.audio_library), registered_at="package"))
    write_table(out_dir / ROWS_FILE, rows, audio_schema())
    write_table(out_dir / QUARANTINE_FILE, [], quarantine_schema())
    report = {"kind": "audio", "source": "builtin", "path": str(lib.audio_library), "version": INGEST_VERSION,
              "rows": len(rows), "quarantined": 0, "quarantine_reasons": {}, "rows_hash": fingerprint,
              "kinds": {k: sum(r["kind"] == k for r in rows) for k in AUDIO_KINDS},
              "ingested_at": now_iso(), "unchanged": False}
    write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    refresh_catalog(lib)
    return report
