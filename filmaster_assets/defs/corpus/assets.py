"""Corpus group: ingested sources (one dynamic partition each), their embeddings, and the two
FAISS indexes every film retrieves from, built over all sources (built-ins included).

Per source (partition ``<kind>:<source>``): ``corpus_source`` reads, validates and stores the rows
as Parquet (with a quarantine table); ``source_embeddings`` embeds only new or changed rows.
``clip_caption_index`` and ``audio_library_index`` are rebuilt only when one of their sources
changed (a large caption index is updated in place); a build is written beside the old index and
swapped in atomically, so running films keep reading.
"""

import json
import os

import dagster as dg

from filmaster_assets.defs.corpus.partitions import corpus_source_partitions, source_of_partition
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


def _forced(context: dg.AssetExecutionContext) -> bool:
    """``filmaster ingest --force`` / ``corpus reindex --force`` tag their runs."""
    return context.run.tags.get("filmaster/force") == "1"


def _ingest_metadata(report: dict, lib: LibraryLayout) -> dict:
    from filmaster_assets.metadata import md_table

    folder = lib.source_dir(report["kind"], report["source"])
    meta = {k: report[k] for k in ("rows", "quarantined", "seconds", "measured", "reused", "text_field", "id_field",
                                   "tags_field", "unchanged") if report.get(k) is not None}
    meta["input"] = dg.MetadataValue.path(report["path"])
    meta["rows_table"] = dg.MetadataValue.path(str(folder / "rows.parquet"))
    if report.get("quarantine_reasons"):
        meta["quarantine_reasons"] = md_table(["reason", "rows"], [[r, n] for r, n in report["quarantine_reasons"].items()])
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
def corpus_source(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """One registered source read, normalised and validated into Parquet; bad rows go to quarantine.

    Captions: field mapping, normalisation, de-duplication. Audio: tags (sidecar table, per-file
    JSON, embedded tags) and measured duration, loudness, peak, spectral centroid and tempo;
    unreadable or silent files are quarantined."""
    from corpus_ingest.audio_files import ingest_audio_source
    from corpus_ingest.caption_sources import ingest_caption_source
    from corpus_ingest.registry import read_spec

    kind, name = source_of_partition(context.partition_key)
    lib = studio.library()
    ingest = ingest_caption_source if kind == "captions" else ingest_audio_source
    report = ingest(lib, read_spec(lib, kind, name), force=_forced(context))
    measured = f" ({report['measured']} measured)" if kind == "audio" else ""
    context.log.info(f"{kind}/{name}: {report['rows']} rows{measured}, {report['quarantined']} quarantined "
                     f"{report.get('quarantine_reasons') or ''}{' (unchanged)' if report.get('unchanged') else ''}")
    return dg.MaterializeResult(metadata={"kind": kind, **_ingest_metadata(report, lib)},
                                data_version=dg.DataVersion(report["rows_hash"]))


@dg.asset(group_name="corpus", partitions_def=corpus_source_partitions, deps=[corpus_source])
def source_embeddings(context: dg.AssetExecutionContext, studio: StudioResource,
                      embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """Vectors for one source (caption texts, or audio tag texts), incremental by content hash:
    only new or changed rows are embedded."""
    from corpus_ingest.embedding import embed_source

    kind, name = source_of_partition(context.partition_key)
    embedder = embeddings.embedder()
    report = embed_source(studio.library(), kind, name, embedder)
    return dg.MaterializeResult(
        metadata={"kind": kind, **{k: report[k] for k in ("rows", "embedded", "reused", "stale_dropped", "embedder", "seconds")}},
        data_version=dg.DataVersion(f"{embedder.name}:{report['rows']}:{report['embedded']}:{report['embedded_at']}"))


# --- the indexes over all sources ------------------------------------------------------------

@dg.asset(group_name="corpus", deps=[audio_library, source_embeddings])
def audio_library_index(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over every audio source's descriptions, tags and emotions (built-in library included)."""
    from corpus_ingest.audio_files import ensure_builtin_audio_source
    from corpus_ingest.builtin_audio.build import build_builtin_library
    from corpus_ingest.reindex import rebuild_audio_index

    lib = studio.library()
    ensure_builtin_audio_source(lib, build_builtin_library(lib.audio_library))
    meta = rebuild_audio_index(lib, embeddings.embedder(), force=_forced(context) and not context.has_partition_key)
    context.log.info(f"audio index: {meta['rows']} rows ({meta['index_type']}), "
                     f"{'rebuilt' if meta['rebuilt'] else 'already current'}")
    return dg.MaterializeResult(metadata={**_index_metadata(meta), "rebuilt": meta["rebuilt"]}, data_version=_index_version(meta))


@dg.asset(group_name="corpus", deps=[source_embeddings])
def clip_caption_index(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over every caption source (the packaged starter corpus included)."""
    from corpus_ingest.caption_sources import ensure_starter_source
    from corpus_ingest.reindex import rebuild_caption_index

    lib = studio.library()
    ensure_starter_source(lib)
    meta = rebuild_caption_index(lib, embeddings.embedder(), force=_forced(context) and not context.has_partition_key)
    context.log.info(f"caption index: {meta['rows']} rows ({meta['index_type']}), "
                     f"{'rebuilt' if meta['rebuilt'] else 'already current'}")
    return dg.MaterializeResult(metadata={**_index_metadata(meta), "rebuilt": meta["rebuilt"]}, data_version=_index_version(meta))
