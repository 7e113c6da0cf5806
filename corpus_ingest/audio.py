"""The audio library index: what an asset is embedded as, and top-k search over the built index.

``corpus_ingest.reindex`` builds the index over every audio source (the built-in library
included); the assets live in assets.json inside the index folder, beside their vectors.
Searches can keep to one kind (ambience, music, foley, sfx).
"""

from __future__ import annotations

import json
from pathlib import Path

from filmcraft.contracts import AudioAsset, AudioHit
from filmcraft.layout import LibraryLayout
from filmcraft.roles import Embedder

from corpus_ingest.index import load_cached

ASSETS_FILE = "assets.json"
AUDIO_INDEX_VERSION = 1  # bump when the embedded text or stored layout changes
KIND_OVERFETCH = 8  # a kind filter keeps roughly 1 hit in 4; fetch 8x k before filtering


def audio_text(asset: AudioAsset) -> str:
    """What gets embedded for an asset: kind, description, tags, emotions (+ key/tempo for music)."""
    parts = [f"{asset.kind}: {asset.description.strip()}"]
    if asset.tags:
        parts.append("tags: " + ", ".join(asset.tags))
    if asset.emotions:
        parts.append("emotions: " + ", ".join(asset.emotions))
    if asset.kind == "music":
        if asset.key:
            parts.append(f"key {asset.key}")
        if asset.tempo_bpm:
            pace = "slow" if asset.tempo_bpm < 80 else "moderate" if asset.tempo_bpm < 120 else "fast"
            parts.append(f"{pace} tempo {asset.tempo_bpm:.0f} bpm")
    return ". ".join(parts)


_ASSET_CACHE: dict[str, tuple[int, dict[str, AudioAsset]]] = {}


def _assets_by_id(index_dir: Path) -> dict[str, AudioAsset]:
    path = Path(index_dir) / ASSETS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{index_dir} has no {ASSETS_FILE}: it is not an audio index; build it with rebuild_audio_index")
    stamp = path.stat().st_ino
    key = str(path.resolve())
    hit = _ASSET_CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    assets = {a.asset_id: a for a in (AudioAsset.model_validate(x) for x in json.loads(path.read_text(encoding="utf-8")))}
    _ASSET_CACHE[key] = (stamp, assets)
    return assets


def search_audio(index_dir: Path, embedder: Embedder, query: str, k: int = 5, kind: str | None = None) -> list[AudioHit]:
    """Top-k library assets for a sound description, optionally of one kind only, best first."""
    import numpy as np

    if not isinstance(query, str) or not query.strip():
        raise ValueError("the audio query is empty: describe the sound (e.g. 'night harbour, water lapping')")
    if kind is not None and kind not in ("ambience", "music", "foley", "sfx"):
        raise ValueError(f"audio kind {kind!r} is unknown: use ambience, music, foley or sfx (or None for all)")
    if k < 1:
        raise ValueError(f"k={k}: ask for at least one audio hit")
    index = load_cached(Path(index_dir))
    index.check_embedder(embedder.name)
    assets = _assets_by_id(Path(index_dir))
    qv = embedder.encode([query.strip()])

    if kind is None:
        hits = index.search(qv, k)[0]
    else:
        hits = [(i, s) for i, s in index.search(qv, k * KIND_OVERFETCH)[0] if assets[i].kind == kind][:k]
        wanted = [n for n, i in enumerate(index.ids) if assets[i].kind == kind]
        if len(hits) < min(k, len(wanted)):
            # Too few of this kind among the nearest: score every asset of the kind exactly.
            vecs = np.vstack([index.index.reconstruct(n) for n in wanted])
            scores = vecs @ qv[0]
            order = np.argsort(-scores)[:k]
            hits = [(index.ids[wanted[o]], float(scores[o])) for o in order]
    return [AudioHit(asset=assets[i], score=round(s, 6)) for i, s in hits]


def library_search(lib: LibraryLayout, embedder: Embedder):
    """Sound design's search over the studio's audio index: ``search(query, kind, k)`` with every hit's
    path made absolute (library manifests keep paths relative to the library folder, so a studio can move)."""
    def search(query: str, kind: str, k: int) -> list[AudioHit]:
        hits = search_audio(lib.audio_library_index, embedder, query, k=k, kind=kind)
        return [h.model_copy(update={"asset": h.asset.model_copy(update={"path": str(lib.audio_library / h.asset.path)})})
                if not Path(h.asset.path).is_absolute() else h for h in hits]
    return search
