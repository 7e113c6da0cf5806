"""The corpus drop folder: a caption table dropped in ``<studio>/.library/drop/captions/``, an audio
folder dropped in ``<studio>/.library/drop/audio/`` or an image folder with its tags table dropped in
``<studio>/.library/drop/visuals/`` becomes a registered source. Entries still being
copied (changed in the last few seconds) wait; an entry that cannot be a source is moved to
``rejected/`` with the reason beside it.
"""

from __future__ import annotations

import time
from pathlib import Path

from corpus_ingest.audio_files import resolve_audio_fields
from corpus_ingest.caption_sources import resolve_caption_fields
from corpus_ingest.readers import table_format
from corpus_ingest.registry import BUILTIN_SOURCES, SourceSpec, read_spec, register_source, source_name_from
from corpus_ingest.visual_files import resolve_visual_fields
from filmcraft.layout import LibraryLayout
from filmcraft.store import set_aside

SETTLE_SECONDS = 5.0  # an entry modified more recently than this may still be copying


def _entry_state(path: Path) -> tuple[int, int, float]:
    """(files, bytes, newest mtime) of a file or a folder tree."""
    if path.is_file():
        st = path.stat()
        return 1, st.st_size, st.st_mtime
    files = size = 0
    newest = path.stat().st_mtime
    for p in path.rglob("*"):
        st = p.stat()
        newest = max(newest, st.st_mtime)
        if p.is_file():
            files += 1
            size += st.st_size
    return files, size, newest


def scan_drop_folder(lib: LibraryLayout, now: float | None = None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Register ready drop entries as sources; return ([(kind, source, run_key)], [rejection messages])."""

    now = time.time() if now is None else now
    ready: list[tuple[str, str, str]] = []
    rejected: list[str] = []
    for kind in ("captions", "audio", "visuals"):
        folder = lib.drop / kind
        folder.mkdir(parents=True, exist_ok=True)
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith(".") or entry.name == "rejected":
                continue
            files, size, newest = _entry_state(entry)
            if now - newest < SETTLE_SECONDS or files == 0:
                continue
            name = source_name_from(entry)
            try:
                current = read_spec(lib, kind, name)
            except (FileNotFoundError, ValueError):
                current = None
            try:
                if name == BUILTIN_SOURCES[kind]:
                    raise ValueError(f"{name!r} is the built-in source's name: rename the entry")
                # A registration made for this very path (e.g. by the CLI with a field mapping) is kept.
                keep = current is not None and Path(current.path) == entry.resolve()
                if kind == "captions":
                    if not entry.is_file():
                        raise ValueError("caption sources are files (CSV, TSV, JSONL, JSON or Parquet), not folders")
                    table_format(entry)
                    spec = current if keep else SourceSpec(kind="captions", name=name, path=str(entry.resolve()))
                    resolve_caption_fields(spec)
                elif kind == "visuals":
                    if not entry.is_dir():
                        raise ValueError("visuals sources are folders of images with one tags table (file,tags[,kind])")
                    spec = current if keep else SourceSpec(kind="visuals", name=name, path=str(entry.resolve()))
                    resolve_visual_fields(spec)
                else:
                    if not entry.is_dir():
                        raise ValueError("audio sources are folders of audio files (optionally with one tags table)")
                    spec = current if keep else SourceSpec(kind="audio", name=name, path=str(entry.resolve()))
                    resolve_audio_fields(spec)
            except (ValueError, FileNotFoundError) as exc:
                rejected.append(f"{kind}/{entry.name}: {exc}")
                set_aside(entry, "rejected", f"{entry.name} was not ingested: {exc}")
                continue
            if not keep:
                register_source(lib, spec)
            ready.append((kind, name, f"{kind}:{name}:{files}:{size}:{int(newest)}"))
    return ready, rejected
