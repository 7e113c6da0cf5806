"""Corpus group: the built-in audio library and the two FAISS indexes every film retrieves from.

Indexes are rebuilt only when stale (missing, other embedder, other corpus version); a rebuild
is written beside the old index and swapped in atomically, so running films keep reading.
"""


import json

import dagster as dg

from filmcraft.layout import LibraryLayout
from filmcraft.store import read_models
from filmcraft.contracts import AudioAsset
from resources.models import EmbeddingResource, StudioResource


def library_layout(studio: StudioResource) -> LibraryLayout:
    return LibraryLayout(studio.studio().root / ".library")


def _index_metadata(meta: dict) -> dict:
    return {k: meta[k] for k in ("rows", "dim", "index_type", "embedder", "build_seconds") if k in meta}


@dg.asset(group_name="corpus", code_version="1")
def audio_library(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """The procedurally synthesised, tagged and measured built-in audio library."""
    from filmcraft.audio_library import build_builtin_library

    lib = library_layout(studio)
    assets = build_builtin_library(lib.audio_library)
    by_kind: dict[str, int] = {}
    for a in assets:
        by_kind[a.kind] = by_kind.get(a.kind, 0) + 1
    return dg.MaterializeResult(
        metadata={"assets": len(assets), **{f"{k}_count": v for k, v in sorted(by_kind.items())},
                  "manifest": dg.MetadataValue.path(str(lib.audio_manifest))},
        data_version=dg.DataVersion(f"{len(assets)}-{lib.audio_manifest.stat().st_mtime_ns}"),
    )


@dg.asset(group_name="corpus", deps=[audio_library], code_version="1")
def audio_library_index(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over the library's descriptions, tags and emotions (scene ambience/music, foley, SFX)."""
    from corpus_ingest.audio import ensure_audio_index

    lib = library_layout(studio)
    assets = read_models(lib.audio_manifest, AudioAsset)
    meta = ensure_audio_index(lib.audio_library_index, embeddings.embedder(), assets)
    return dg.MaterializeResult(metadata=_index_metadata(meta), data_version=dg.DataVersion(json.dumps(_index_metadata(meta), sort_keys=True)))


@dg.asset(group_name="corpus", code_version="1")
def clip_caption_index(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """FAISS index over the starter camera-language caption corpus."""
    from corpus_ingest.captions import ensure_starter_caption_index

    meta = ensure_starter_caption_index(library_layout(studio).clip_caption_index, embeddings.embedder())
    return dg.MaterializeResult(metadata=_index_metadata(meta), data_version=dg.DataVersion(json.dumps(_index_metadata(meta), sort_keys=True)))
