"""Build the built-in library: render every catalogue entry to a 48 kHz WAV and write the manifest.

Every asset is procedurally generated from a fixed seed (derived from its id), so a build gives
the same bytes every time, anywhere. Files are 48 kHz WAV (stereo for ambiences and music, mono
for foley and SFX); ``manifest.json`` lists them as :class:`AudioAsset` with measured loudness,
peak, brightness and tempo. Paths in the manifest are relative to the library folder, so the
folder can move; loaded assets carry absolute paths.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

from filmcraft.audio_analysis import measure_audio
from filmcraft.contracts import AudioAsset
from filmcraft.store import atomic_path, read_models, write_model, write_text

from corpus_ingest.builtin_audio.catalogue import CATALOGUE, Entry
from corpus_ingest.builtin_audio.dsp import SR, hp, loopable, samples
from corpus_ingest.builtin_audio.music import render_cue

LIBRARY_VERSION = "builtin-2"  # part of every asset's seed: bump it and every file changes
MANIFEST = "manifest.json"
VERSION_FILE = "VERSION"
LOOP_XFADE_S = 2.0

TARGET_LUFS = {"ambience": -24.0, "music": -18.0}
PEAK_CEILING_DBFS = -1.0
ONE_SHOT_PEAK_DBFS = -3.0


def _seed(asset_id: str) -> int:
    return zlib.crc32(f"{LIBRARY_VERSION}:{asset_id}".encode())


def render(entry: Entry) -> np.ndarray:
    """Render one asset to its final level: float samples (frames,) or (frames, 2)."""
    rng = np.random.default_rng(_seed(entry.asset_id))
    if entry.kind == "ambience":
        length, xfade = samples(entry.seconds), samples(LOOP_XFADE_S)
        audio = loopable(entry.make(rng, length + xfade), length, xfade)
    elif entry.kind == "music":
        audio = render_cue(entry.make, rng)
    else:
        audio = entry.make(rng)
        audio = hp(audio, 25)
        edge = samples(0.005)
        audio[-edge:] *= np.linspace(1, 0, edge)
    audio = np.asarray(audio, dtype=np.float64)
    if entry.kind in TARGET_LUFS:
        lufs = pyloudnorm.Meter(SR).integrated_loudness(audio)
        audio = audio * 10 ** ((TARGET_LUFS[entry.kind] - lufs) / 20)
        ceiling = 10 ** (PEAK_CEILING_DBFS / 20)
    else:
        ceiling = 10 ** (ONE_SHOT_PEAK_DBFS / 20)
        audio = audio / (np.max(np.abs(audio)) + 1e-12) * ceiling
    peak = np.max(np.abs(audio))
    if peak > ceiling:  # loud cues: trade a little loudness for headroom
        audio = audio * (ceiling / peak)
    return audio.astype(np.float32)


def _asset(entry: Entry, path: Path, out_dir: Path) -> AudioAsset:
    measured = measure_audio(path, entry.kind)
    cue = entry.make if entry.kind == "music" else None
    return AudioAsset(
        asset_id=entry.asset_id,
        kind=entry.kind,
        path=str(path.relative_to(out_dir)),
        description=entry.description,
        tags=list(entry.tags),
        emotions=list(entry.emotions),
        duration_s=measured["duration_s"],
        loudness_lufs=measured["loudness_lufs"],
        peak_dbfs=measured["peak_dbfs"],
        spectral_centroid_hz=measured["spectral_centroid_hz"],
        tempo_bpm=measured["tempo_bpm"],
        key=cue.key if cue else None,
        source="builtin",
    )


def _absolute(assets: list[AudioAsset], out_dir: Path) -> list[AudioAsset]:
    return [a.model_copy(update={"path": str((out_dir / a.path).resolve())}) for a in assets]


def load_library(out_dir: Path) -> list[AudioAsset] | None:
    """The built library at ``out_dir`` if it is complete and of this LIBRARY_VERSION, else None."""
    out_dir = Path(out_dir)
    manifest, version = out_dir / MANIFEST, out_dir / VERSION_FILE
    if not manifest.is_file() or not version.is_file():
        return None
    if version.read_text(encoding="utf-8").strip() != LIBRARY_VERSION:
        return None
    try:
        assets = read_models(manifest, AudioAsset)
    except (ValueError, json.JSONDecodeError):
        return None
    if not all((out_dir / a.path).is_file() for a in assets):
        return None
    return _absolute(assets, out_dir)


def _build_one(asset_id: str, out_dir: str) -> AudioAsset:
    entry = _BY_ID[asset_id]
    root = Path(out_dir)
    path = root / entry.kind / f"{entry.asset_id}.wav"
    audio = render(entry)
    with atomic_path(path) as tmp:
        sf.write(str(tmp), audio, SR, subtype="PCM_16", format="WAV")
    return _asset(entry, path, root)


_BY_ID: dict[str, Entry] = {e.asset_id: e for e in CATALOGUE}


def build_assets(out_dir: Path, asset_ids: list[str]) -> list[AudioAsset]:
    """Render only the named catalogue entries into ``out_dir`` (no manifest): small test kits."""
    unknown = [i for i in asset_ids if i not in _BY_ID]
    if unknown:
        raise ValueError(f"unknown built-in asset ids {unknown}: see corpus_ingest.builtin_audio.catalogue.CATALOGUE")
    return _absolute([_build_one(i, str(out_dir)) for i in asset_ids], Path(out_dir))


def build_builtin_library(out_dir: Path, workers: int = 1) -> list[AudioAsset]:
    """Synthesise every catalogue entry into ``out_dir`` (idempotent; deterministic bytes).

    ``workers`` > 1 renders in that many spawned processes; each asset has its own seed, so the
    bytes do not depend on the order or the number of workers. Spawned workers re-import the
    caller's ``__main__``, so only ask for them from an importable entry point (pytest, Dagster,
    a script with an ``if __name__ == "__main__"`` guard); if the pool breaks, the build finishes
    in this process, as it does in a daemonic process (a Celery worker's pool process).
    """
    out_dir = Path(out_dir)
    existing = load_library(out_dir)
    if existing is not None:
        return existing
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = [e.asset_id for e in CATALOGUE]
    assets: list[AudioAsset] | None = None
    # A daemonic process (a Celery worker's pool process) may not start children: it renders here.
    if workers > 1 and not multiprocessing.current_process().daemon:
        # spawn, not fork: the caller may hold threads (ONNX Runtime, dagster) that fork would copy mid-lock
        ctx = multiprocessing.get_context("spawn")
        try:
            with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1), mp_context=ctx) as pool:
                assets = list(pool.map(_build_one, ids, [str(out_dir)] * len(ids)))
        except BrokenProcessPool:
            assets = None  # e.g. __main__ is not importable (stdin, notebooks): render here instead
    if assets is None:
        assets = [_build_one(i, str(out_dir)) for i in ids]
    write_model(out_dir / MANIFEST, assets)
    write_text(out_dir / VERSION_FILE, LIBRARY_VERSION + "\n")  # written last: marks the build complete
    return _absolute(assets, out_dir)
