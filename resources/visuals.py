"""The visual library resource: the studio's ``VisualLibrary`` (corpus_ingest.visuals) for the previs.

The index is built on first use when the studio has none yet or it is out of date (the built-in
icon set and every ingested visuals source, embedded with the offline MiniLM unless an embeddings
endpoint is configured), so a first film needs no corpus run. One library object per
studio and process: its per-noun answers and the loaded index are reused by every shot.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import dagster as dg

from filmcraft.layout import LibraryLayout
from filmcraft.roles import Embedder, VisualLibrary

_LIBRARIES: dict[tuple[str, str, float], VisualLibrary] = {}
_LOCK = threading.Lock()


def studio_visual_library(lib: LibraryLayout, embedder: Embedder, threshold: Optional[float] = None) -> VisualLibrary:
    """The studio's visual library; builds the index (built-in set + ingested sources) if it is missing."""
    from corpus_ingest.reindex import rebuild_visual_index
    from corpus_ingest.visual_files import ensure_builtin_visual_source
    from corpus_ingest.visuals import MATCH_THRESHOLD, IndexedVisualLibrary

    limit = MATCH_THRESHOLD if threshold is None else threshold
    key = (str(Path(lib.root).resolve()), embedder.name, limit)
    with _LOCK:
        cached = _LIBRARIES.get(key)
        if cached is not None:
            return cached
        # Both are no-ops (a hash comparison) when the index is current; they build it on a studio's first
        # use and after a package upgrade changed the built-in set.
        ensure_builtin_visual_source(lib)
        rebuild_visual_index(lib, embedder, progress=False)
        library = IndexedVisualLibrary(lib.visual_library_index, embedder, lib.visual_rasters, threshold=limit)
        _LIBRARIES[key] = library
        return library


class VisualLibraryResource(dg.ConfigurableResource):
    """Props, creatures and landmarks for the previs: ``library(studio.library(), embeddings.embedder())``.

    ``threshold`` overrides the similarity below which a noun counts as not depictable."""

    threshold: Optional[float] = None

    def library(self, lib: LibraryLayout, embedder: Optional[Embedder] = None) -> VisualLibrary:
        if embedder is None:  # the offline default; MiniLM loads its weights on the first encode only
            from corpus_ingest.embed import MiniLMEmbedder

            embedder = MiniLMEmbedder()
        return studio_visual_library(lib, embedder, self.threshold)
