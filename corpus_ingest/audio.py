"""Tagged audio library -> text-embedded index for scene-level retrieval of ambience, music, foley, SFX.

Also ``ensure_builtin_indexes``: the starter caption index and the built-in audio index, built
under the cache on first use and rebuilt when the corpus, the library or the embedder changes.
"""

from __future__ import annotations

import json
from pathlib import Path

from filmcraft.contracts import AudioAsset, AudioHit
from filmcraft.roles import Embedder
from filmcraft.store import content_key

from corpus_ingest.captions import ensure_starter_caption_index
from corpus_ingest.index import build_index, load_cached, read_meta

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


def _library_fingerprint(assets: list[AudioAsset]) -> str:
    return content_key([a.model_dump(mode="json") for a in assets])


def build_audio_index(assets: list[AudioAsset], embedder: Embedder, out_dir: Path, extra_meta: dict | None = None) -> dict:
    """Embed every asset's tag text and install the index at ``out_dir``; return its meta."""
    assets = list(assets)
    if not assets:
        raise ValueError("the audio library is empty: build or ingest some assets before indexing")
    bad = [a for a in assets if not isinstance(a, AudioAsset)]
    if bad:
        raise ValueError(f"audio index takes AudioAsset models, got {type(bad[0]).__name__}: validate with AudioAsset.model_validate")
    ids = [a.asset_id for a in assets]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise ValueError(f"duplicate audio asset ids {dup}: give every library file a unique asset_id")
    vecs = embedder.encode([audio_text(a) for a in assets])

    def write_assets(folder: Path) -> None:
        (folder / ASSETS_FILE).write_text(
            json.dumps([a.model_dump(mode="json") for a in assets], ensure_ascii=False), encoding="utf-8"
        )

    kinds = {k: sum(a.kind == k for a in assets) for k in ("ambience", "music", "foley", "sfx")}
    meta = {
        "kind": "audio",
        "version": AUDIO_INDEX_VERSION,
        "library_fingerprint": _library_fingerprint(assets),
        "kinds": kinds,
        **(extra_meta or {}),
    }
    return build_index(vecs, ids, Path(out_dir), embedder.name, meta=meta, write_extra=write_assets)


_ASSET_CACHE: dict[str, tuple[int, dict[str, AudioAsset]]] = {}


def _assets_by_id(index_dir: Path) -> dict[str, AudioAsset]:
    path = Path(index_dir) / ASSETS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{index_dir} has no {ASSETS_FILE}: it is not an audio index; build it with build_audio_index")
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


def ensure_audio_index(index_dir: Path, embedder: Embedder, assets: list[AudioAsset]) -> dict:
    """Build the audio index at ``index_dir`` unless a fresh one is there; return its meta.

    Fresh = same stored layout version, same library content (every asset field), same embedder.
    """
    assets = list(assets)
    want = {"kind": "audio", "version": AUDIO_INDEX_VERSION,
            "library_fingerprint": _library_fingerprint(assets), "embedder": embedder.name}
    meta = read_meta(Path(index_dir))
    if meta is not None and all(meta.get(k) == v for k, v in want.items()):
        return meta
    return build_audio_index(assets, embedder, Path(index_dir))


def ensure_builtin_indexes(cache_root: Path, embedder: Embedder, audio_assets: list[AudioAsset]) -> tuple[Path, Path]:
    """Build (if absent or stale) the starter caption index and the built-in audio index; return their dirs."""
    base = Path(cache_root) / "indexes"
    caption_dir = base / "starter_captions"
    audio_dir = base / "builtin_audio"
    ensure_starter_caption_index(caption_dir, embedder)
    ensure_audio_index(audio_dir, embedder, audio_assets)
    return caption_dir, audio_dir
