"""Setting up a corpus source from what a person typed (CLI flags or the Dagster launchpad's config):
the path and field mapping are checked before anything is registered, with messages that name the
input as its caller shows it (``names`` maps a spec field to a flag or config name)."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

from corpus_ingest.audio_files import list_audio_files, resolve_audio_fields
from corpus_ingest.caption_sources import resolve_caption_fields
from corpus_ingest.readers import SourceFormatError
from corpus_ingest.registry import BUILTIN_SOURCES, SourceSpec, check_source_name, source_name_from
from corpus_ingest.visual_files import list_image_files, resolve_visual_fields
from corpus_ingest.visuals import VISUAL_KINDS

AUDIO_KIND_CHOICES = ("auto", "ambience", "music", "foley", "sfx")
VISUAL_KIND_CHOICES = ("auto",) + VISUAL_KINDS


class SourceSetupError(ValueError):
    """A source that cannot be registered; the message names the input and the fix."""


def source_spec(kind: str, path: str, name: Optional[str] = None, names: Optional[Mapping[str, str]] = None,
                text_field: Optional[str] = None, id_field: Optional[str] = None, keep_fields: Optional[str] = None,
                tags_csv: Optional[str] = None, file_field: Optional[str] = None, tags_field: Optional[str] = None,
                description_field: Optional[str] = None, audio_kind: str = "auto",
                visual_kind: str = "auto") -> SourceSpec:
    """A checked SourceSpec; ``keep_fields`` is comma-separated."""
    names = names or {}
    where = Path(path).expanduser()
    if not where.exists():
        raise SourceSetupError(f"{path}: no such file or folder")
    where = where.resolve()
    name = name or source_name_from(where)
    try:
        check_source_name(kind, name)
    except ValueError as exc:
        raise SourceSetupError(f"{names.get('name', 'source')}: {exc}") from None
    if name == BUILTIN_SOURCES[kind]:
        raise SourceSetupError(f"{names.get('name', 'source')} {name!r} is the built-in {kind} source's name: "
                               "choose another name")
    if kind == "captions":
        if not where.is_file():
            raise SourceSetupError(f"{path} is a folder: a caption source is one CSV, TSV, JSONL(.gz), JSON or "
                                   "Parquet file")
        keep = [f.strip() for f in keep_fields.split(",") if f.strip()] if keep_fields else None
        return SourceSpec(kind="captions", name=name, path=str(where), text_field=text_field, id_field=id_field,
                          keep_fields=keep)
    tags = str(Path(tags_csv).expanduser().resolve()) if tags_csv else None
    if tags and not Path(tags).is_file():
        raise SourceSetupError(f"{names.get('tags_csv', 'tags_csv')} {tags_csv}: no such file")
    if kind == "visuals":
        if not where.is_dir():
            raise SourceSetupError(f"{path} is not a folder: a visuals source is a folder of PNG/SVG/JPG images")
        if visual_kind not in VISUAL_KIND_CHOICES:
            raise SourceSetupError(f"{names.get('visual_kind', 'visual_kind')} {visual_kind!r}: use one of "
                                   f"{', '.join(VISUAL_KIND_CHOICES)}")
        return SourceSpec(kind="visuals", name=name, path=str(where), tags_csv=tags, file_field=file_field,
                          tags_field=tags_field, visual_kind=None if visual_kind == "auto" else visual_kind)
    if not where.is_dir():
        raise SourceSetupError(f"{path} is not a folder: an audio source is a folder of wav/flac/ogg/mp3 files")
    if audio_kind not in AUDIO_KIND_CHOICES:
        raise SourceSetupError(f"{names.get('audio_kind', 'audio_kind')} {audio_kind!r}: use one of "
                               f"{', '.join(AUDIO_KIND_CHOICES)}")
    return SourceSpec(kind="audio", name=name, path=str(where), tags_csv=tags, file_field=file_field,
                      tags_field=tags_field, description_field=description_field, audio_kind=audio_kind)


def check_mapping(spec: SourceSpec) -> str:
    """Check the field mapping against the data before anything is registered; a one-line description."""
    try:
        if spec.kind == "captions":
            text_field, id_field, fields = resolve_caption_fields(spec)
            return f"text from {text_field!r}, ids from {id_field or '(text hash)'!r}, {len(fields)} fields"
        if spec.kind == "visuals":
            vinfo = resolve_visual_fields(spec)
            images = list_image_files(Path(spec.path))
            if not images:
                raise SourceSetupError(f"{spec.path}: no images (png, svg, jpg) in this folder or below")
            return (f"{len(images)} images, tags from {Path(vinfo['table']).name} (file {vinfo['file_field']!r}, "
                    f"tags {vinfo['tags_field']!r}, kind {vinfo['kind_field'] or '(from tags)'!r})")
        info = resolve_audio_fields(spec)
        files = list_audio_files(Path(spec.path))
        if not files:
            raise SourceSetupError(f"{spec.path}: no audio files (wav, flac, ogg, mp3, aiff) in this folder or below")
        if info.get("table") is None:
            return f"{len(files)} audio files, tags from per-file JSON sidecars and embedded tags"
        return (f"{len(files)} audio files, tags from {Path(info['table']).name} "
                f"(file {info['file_field']!r}, tags {info['tags_field']!r})")
    except (SourceFormatError, FileNotFoundError) as exc:
        raise SourceSetupError(str(exc)) from None
    except SourceSetupError:
        raise
    except ValueError as exc:
        raise SourceSetupError(str(exc)) from None
