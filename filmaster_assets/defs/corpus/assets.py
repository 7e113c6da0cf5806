"""Corpus group: ingested sources (one dynamic partition each), their embeddings, and the three
FAISS indexes every film retrieves from, built over all sources (built-ins included): captions,
audio, and the visual library the previs draws props from.

Per source (partition ``<kind>:<source>``): ``corpus_source`` reads, validates and stores the rows
as Parquet (with a quarantine table); ``source_embeddings`` embeds only new or changed rows.
``clip_caption_index``, ``audio_library_index`` and ``visual_library_index`` are rebuilt only when one of their sources
changed (a large caption index is updated in place); a build is written beside the old index and
swapped in atomically, so running films keep reading.
"""

import json
import os
from typing import Optional

import dagster as dg

from filmaster_assets.defs.corpus.partitions import corpus_source_partitions, source_of_partition
from filmaster_assets.policies import service_pool
from filmcraft.layout import LibraryLayout
from resources.embeddings import EmbeddingResource
from resources.studio import StudioResource


def _index_metadata(meta: dict) -> dict:
    out = {k: meta[k] for k in ("rows", "dim", "index_type", "embedder", "build_seconds", "quarantined",
                                "cross_source_duplicates", "created_at") if k in meta}
    if "sources" in meta:
        out["sources"] = dg.MetadataValue.json(meta["sources"])
    return out


def _index_version(meta: dict) -> dg.DataVersion:
    return dg.DataVersion(str(meta.get("sources_fingerprint") or json.dumps(_index_metadata(meta), sort_keys=True, default=str)))


class SourceConfig(dg.Config):
    """Register this partition's source from a path and field mapping (checked as `filmaster ingest` checks
    its flags), or leave `path` empty to ingest the source as registered. `force` re-reads an unchanged input."""

    path: str = ""
    text_field: Optional[str] = None  # captions: the field holding the caption (nested JSON as a.b)
    id_field: Optional[str] = None  # captions: a unique row id (default: a hash of the text)
    keep_fields: Optional[str] = None  # captions: comma-separated fields kept as metadata
    tags_csv: Optional[str] = None  # audio, visuals: a table of per-file tags
    file_field: Optional[str] = None  # audio, visuals: the tags table's column naming the file
    tags_field: Optional[str] = None  # audio, visuals: the tags table's column with the tags
    description_field: Optional[str] = None  # audio: the tags table's column with a description
    audio_kind: str = "auto"  # audio: ambience, music, foley, sfx, or auto (from tags and words)
    visual_kind: str = "auto"  # visuals: creature, prop, vehicle, landmark, nature, or auto (kind column or tags)
    force: bool = False


class IndexConfig(dg.Config):
    """`force` rebuilds the index even when none of its sources changed (e.g. after a bad build)."""

    force: bool = False


def _register(kind: str, name: str, config: SourceConfig, lib: LibraryLayout) -> None:
    from corpus_ingest.registry import register_source
    from corpus_ingest.source_setup import SourceSetupError, check_mapping, source_spec

    fields = config.model_dump(exclude={"path", "force"})
    if kind == "captions":
        fields = {k: fields[k] for k in ("text_field", "id_field", "keep_fields")}
    elif kind == "visuals":
        fields = {k: fields[k] for k in ("tags_csv", "file_field", "tags_field", "visual_kind")}
    else:
        fields = {k: v for k, v in fields.items()
                  if k not in ("text_field", "id_field", "keep_fields", "visual_kind")}
    try:
        spec = source_spec(kind, config.path, name, **fields)
        check_mapping(spec)
    except SourceSetupError as exc:
        raise dg.Failure(f"source {kind}:{name}: {exc}", allow_retries=False) from None
    register_source(lib, spec)


def _ingest_metadata(report: dict, lib: LibraryLayout) -> dict:
    from filmaster_assets.metadata import table

    folder = lib.source_dir(report["kind"], report["source"])
    meta = {k: report[k] for k in ("rows", "quarantined", "seconds", "measured", "reused", "text_field", "id_field",
                                   "tags_field", "unchanged") if report.get(k) is not None}
    meta["input"] = dg.MetadataValue.path(report["path"])
    meta["rows_table"] = dg.MetadataValue.path(str(folder / "rows.parquet"))
    if report.get("quarantine_reasons"):
        meta["quarantine_reasons"] = table(["reason", "rows"], [[r, n] for r, n in report["quarantine_reasons"].items()])
    if report.get("kinds"):
        meta["kinds"] = dg.MetadataValue.json(report["kinds"])
    return meta


# --- built-in audio library ------------------------------------------------------------------

@dg.asset(group_name="corpus")
def audio_library(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """The procedurally synthesised, tagged and measured built-in audio library."""
    from corpus_ingest.builtin_audio.build import build_builtin_library

    lib = studio.library()
    # one process per core: ~35 s of synthesis on one core is most of a first film's wait
    assets = build_builtin_library(lib.audio_library, workers=os.cpu_count() or 1)
    by_kind: dict[str, int] = {}
    for a in assets:
        by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
    return dg.MaterializeResult(
        metadata={"assets": len(assets), **{f"{k}_count": v for k, v in sorted(by_kind.items())},
                  "manifest": dg.MetadataValue.path(str(lib.audio_manifest))},
        data_version=dg.DataVersion(f"{len(assets)}-{lib.audio_manifest.stat().st_mtime_ns}"),
    )


# --- ingested sources (partitioned) ----------------------------------------------------------

@dg.asset(group_name="corpus", partitions_def=corpus_source_partitions)
def corpus_source(context: dg.AssetExecutionContext, config: SourceConfig, studio: StudioResource) -> dg.MaterializeResult:
    """One registered source read, normalised and validated into Parquet; bad rows go to quarantine.

    Captions: field mapping, normalisation, de-duplication. Audio: tags (sidecar table, per-file
    JSON, embedded tags) and measured duration, loudness, peak, spectral centroid and tempo;
    unreadable or silent files are quarantined. Visuals: a tags table row per image, each image
    rendered as a cut-out; missing or unreadable images and bad rows are quarantined."""
    from corpus_ingest.audio_files import ingest_audio_source
    from corpus_ingest.caption_sources import ingest_caption_source
    from corpus_ingest.registry import read_spec
    from corpus_ingest.visual_files import ingest_visual_source

    kind, name = source_of_partition(context.partition_key)
    lib = studio.library()
    if config.path.strip():
        _register(kind, name, config, lib)
    try:
        spec = read_spec(lib, kind, name)
    except (FileNotFoundError, ValueError) as exc:
        raise dg.Failure(f"source {kind}:{name} is not registered ({exc}): give its `path` in the config, or use "
                         "`filmaster ingest` or the drop folder", allow_retries=False) from None
    ingest = {"captions": ingest_caption_source, "audio": ingest_audio_source, "visuals": ingest_visual_source}[kind]
    report = ingest(lib, spec, force=config.force)
    measured = f" ({report['measured']} measured)" if kind == "audio" else ""
    context.log.info(f"{kind}/{name}: {report['rows']} rows{measured}, {report['quarantined']} quarantined "
                     f"{report.get('quarantine_reasons') or ''}{' (unchanged)' if report.get('unchanged') else ''}")
    return dg.MaterializeResult(metadata={"kind": kind, **_ingest_metadata(report, lib)},
                                data_version=dg.DataVersion(report["rows_hash"]))


@dg.asset(group_name="corpus", partitions_def=corpus_source_partitions, deps=[corpus_source], pool=service_pool("embeddings"))
def source_embeddings(context: dg.AssetExecutionContext, studio: StudioResource,
                      embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """Vectors for one source (caption texts, audio tag texts, or image names and tags), incremental by content hash:
    only new or changed rows are embedded."""
    from corpus_ingest.embedding import embed_source

    kind, name = source_of_partition(context.partition_key)
    embedder = embeddings.embedder()
    report = embed_source(studio.library(), kind, name, embedder)
    return dg.MaterializeResult(
        metadata={"kind": kind, **{k: report[k] for k in ("rows", "embedded", "reused", "stale_dropped", "embedder", "seconds")}},
        data_version=dg.DataVersion(f"{embedder.name}:{report['rows']}:{report['embedded']}:{report['embedded_at']}"))


# --- the indexes over all sources ------------------------------------------------------------

@dg.asset(group_name="corpus", deps=[audio_library, source_embeddings], pool=service_pool("embeddings"))
def audio_library_index(context: dg.AssetExecutionContext, config: IndexConfig, studio: StudioResource,
                        embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over every audio source's descriptions, tags and emotions (built-in library included)."""
    from corpus_ingest.audio_files import ensure_builtin_audio_source
    from corpus_ingest.builtin_audio.build import build_builtin_library
    from corpus_ingest.reindex import rebuild_audio_index

    lib = studio.library()
    ensure_builtin_audio_source(lib, build_builtin_library(lib.audio_library))
    meta = rebuild_audio_index(lib, embeddings.embedder(), force=config.force)
    context.log.info(f"audio index: {meta['rows']} rows ({meta['index_type']}), "
                     f"{'rebuilt' if meta['rebuilt'] else 'already current'}")
    return dg.MaterializeResult(metadata={**_index_metadata(meta), "rebuilt": meta["rebuilt"]}, data_version=_index_version(meta))


@dg.asset(group_name="corpus", deps=[source_embeddings], pool=service_pool("embeddings"))
def clip_caption_index(context: dg.AssetExecutionContext, config: IndexConfig, studio: StudioResource,
                       embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over every caption source (the packaged starter corpus included)."""
    from corpus_ingest.caption_sources import ensure_starter_source
    from corpus_ingest.reindex import rebuild_caption_index

    lib = studio.library()
    ensure_starter_source(lib)
    meta = rebuild_caption_index(lib, embeddings.embedder(), force=config.force)
    context.log.info(f"caption index: {meta['rows']} rows ({meta['index_type']}), "
                     f"{'rebuilt' if meta['rebuilt'] else 'already current'}")
    return dg.MaterializeResult(metadata={**_index_metadata(meta), "rebuilt": meta["rebuilt"]}, data_version=_index_version(meta))


# --- the visual library ----------------------------------------------------------------------

def _visual_metadata(lib: LibraryLayout, kinds: dict, sheet) -> dict:
    from filmaster_assets.metadata import image_preview, table

    return {"kinds": table(["kind", "images"], [[k, n] for k, n in kinds.items()]),
            **{f"{k}_count": n for k, n in kinds.items()},
            "contact_sheet": dg.MetadataValue.path(str(sheet)), "preview": image_preview(sheet, max_width=800)}


@dg.asset(group_name="corpus")
def visual_library(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """The built-in visual library: 410 Material Design Icons (Apache-2.0) curated for previs, registered as
    visuals source `builtin`, every icon rasterised by resvg (a failure here, not mid-film), with a contact sheet."""
    from corpus_ingest.visual_files import BUILTIN_DIR, builtin_visuals, ensure_builtin_visual_source, render_sheet
    from corpus_ingest.visual_raster import THUMB_PX, cutout, fill_for

    lib = studio.library()
    report = ensure_builtin_visual_source(lib)
    assets = builtin_visuals()
    for a in assets:
        cutout(a.path, lib.visual_rasters, fill_for(a.kind, a.name), THUMB_PX)
    sheet = render_sheet(lib, assets, lib.visual_library / "builtin_contact_sheet.png")
    context.log.info(f"visual library: {len(assets)} built-in images rasterised ({report['kinds']})")
    return dg.MaterializeResult(
        metadata={"images": len(assets), **_visual_metadata(lib, report["kinds"], sheet),
                  "licence": dg.MetadataValue.path(str(BUILTIN_DIR / "LICENSE.txt")),
                  "notice": dg.MetadataValue.path(str(BUILTIN_DIR / "NOTICE.txt"))},
        data_version=dg.DataVersion(report["rows_hash"]))


@dg.asset(group_name="corpus", deps=[visual_library, source_embeddings], pool=service_pool("embeddings"))
def visual_library_index(context: dg.AssetExecutionContext, config: IndexConfig, studio: StudioResource,
                         embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over every visuals source's image names and tags (built-in icons included): what the
    previs searches for the props, creatures and landmarks of a shot."""
    from corpus_ingest.reindex import rebuild_visual_index
    from corpus_ingest.visual_files import ensure_builtin_visual_source, render_sheet
    from corpus_ingest.visuals import assets_by_id

    lib = studio.library()
    ensure_builtin_visual_source(lib)
    meta = rebuild_visual_index(lib, embeddings.embedder(), force=config.force)
    sheet = render_sheet(lib, list(assets_by_id(lib.visual_library_index).values()),
                         lib.visual_library / "index_contact_sheet.png")
    context.log.info(f"visual index: {meta['rows']} rows ({meta['index_type']}), "
                     f"{'rebuilt' if meta['rebuilt'] else 'already current'}")
    return dg.MaterializeResult(
        metadata={**_index_metadata(meta), "rebuilt": meta["rebuilt"],
                  **_visual_metadata(lib, meta.get("kinds") or {}, sheet)},
        data_version=_index_version(meta))
