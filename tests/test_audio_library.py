"""Built-in audio library: a real build, checked by measuring the delivered files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from corpus_ingest.builtin_audio.build import (
    LIBRARY_VERSION, TARGET_LUFS, VERSION_FILE, build_builtin_library, load_library, render,
)
from corpus_ingest.builtin_audio.catalogue import CATALOGUE
from corpus_ingest.builtin_audio.dsp import SR
from filmcraft.audio_analysis import estimate_tempo_bpm, integrated_lufs, measure_audio, spectral_centroid_hz
from filmcraft.contracts import AudioAsset


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> tuple[Path, list[AudioAsset], float]:
    root = tmp_path_factory.mktemp("library")
    start = time.perf_counter()
    assets = build_builtin_library(root, workers=2)  # pytest's __main__ is importable: spawn is safe
    return root, assets, time.perf_counter() - start


def _by_id(assets: list[AudioAsset]) -> dict[str, AudioAsset]:
    return {a.asset_id: a for a in assets}


def test_catalogue_size_and_files(library) -> None:
    root, assets, seconds = library
    kinds = [a.kind for a in assets]
    assert len(assets) >= 60
    assert kinds.count("ambience") >= 15 and kinds.count("music") >= 20
    assert kinds.count("foley") >= 12 and kinds.count("sfx") >= 12
    assert len({a.asset_id for a in assets}) == len(assets)
    for a in assets:
        path = Path(a.path)
        assert path.is_absolute() and path.is_file()
        info = sf.info(str(path))
        assert info.samplerate == SR
        assert info.duration == pytest.approx(a.duration_s, abs=1e-3)
        assert a.tags and a.description
        if a.kind == "ambience":
            assert 20 <= a.duration_s <= 30 and info.channels == 2
        elif a.kind == "music":
            assert 20 <= a.duration_s <= 40 and info.channels == 2
            assert a.key and a.key in a.tags and a.emotions
        elif a.kind == "foley":
            assert 0.3 <= a.duration_s <= 3.0
    print(f"built {len(assets)} assets in {seconds:.1f} s")


def test_manifest_is_relative_and_versioned(library) -> None:
    root, assets, _ = library
    rows = json.loads((root / "manifest.json").read_text())
    assert len(rows) == len(assets)
    assert all(not Path(r["path"]).is_absolute() for r in rows)
    assert (root / VERSION_FILE).read_text().strip() == LIBRARY_VERSION
    assert not list(root.rglob(".*part*")), "no temp files left behind"


def test_measured_levels_match_the_files(library) -> None:
    _, assets, _ = library
    for a in assets:
        data, rate = sf.read(a.path, dtype="float64")
        lufs = integrated_lufs(data, rate)
        if a.kind in TARGET_LUFS:
            # normalised to the kind's level unless the peak ceiling had to win
            assert lufs is not None and lufs <= TARGET_LUFS[a.kind] + 0.1
            assert lufs >= TARGET_LUFS[a.kind] - 6.0
        assert a.loudness_lufs == pytest.approx(lufs, abs=0.02)
        assert a.peak_dbfs <= -0.9  # no clipping anywhere
        assert a.spectral_centroid_hz > 20


def test_idempotent_and_version_checked(library) -> None:
    root, assets, _ = library
    wav = Path(assets[0].path)
    mtime = wav.stat().st_mtime_ns
    start = time.perf_counter()
    again = build_builtin_library(root)
    assert time.perf_counter() - start < 1.0
    assert [a.model_dump() for a in again] == [a.model_dump() for a in assets]
    assert wav.stat().st_mtime_ns == mtime
    assert load_library(root) is not None
    assert load_library(root / "nowhere") is None


def test_stale_version_is_not_loaded(tmp_path: Path, library) -> None:
    root, _, _ = library
    copy = tmp_path / "lib"
    copy.mkdir()
    (copy / "manifest.json").write_text((root / "manifest.json").read_text())
    (copy / VERSION_FILE).write_text("builtin-0\n")
    assert load_library(copy) is None


def test_deterministic_render(library, tmp_path: Path) -> None:
    _, assets, _ = library
    by_id = _by_id(assets)
    for entry in [e for e in CATALOGUE if e.asset_id in ("amb-rain", "mus-epic-battle", "fol-knock", "sfx-whoosh")]:
        audio = render(entry)
        out = tmp_path / f"{entry.asset_id}.wav"
        sf.write(str(out), audio, SR, subtype="PCM_16", format="WAV")
        assert out.read_bytes() == Path(by_id[entry.asset_id].path).read_bytes()


def test_ambiences_loop_seamlessly(library) -> None:
    _, assets, _ = library
    for a in assets:
        if a.kind != "ambience":
            continue
        x, _ = sf.read(a.path, dtype="float64")
        steps = np.abs(np.diff(x, axis=0)).max(axis=1)
        seam = np.abs(x[0] - x[-1]).max()
        # the jump from the last sample back to the first is an ordinary step, not a click
        assert seam <= np.percentile(steps, 99.9) + 1e-4, a.asset_id


def test_cues_are_distinct_and_tempo_is_real(library) -> None:
    _, assets, _ = library
    music = [a for a in assets if a.kind == "music"]
    fingerprints = {(round(a.spectral_centroid_hz), a.duration_s, a.key) for a in music}
    assert len(fingerprints) == len(music)
    assert len({a.key for a in music}) >= 10
    by_id = _by_id(assets)
    for asset_id, bpm in (("mus-epic-battle", 140), ("mus-triumphant-brass", 112), ("mus-hopeful-rise", 96)):
        assert f"{bpm} bpm" in by_id[asset_id].tags
        assert by_id[asset_id].tempo_bpm == pytest.approx(bpm, rel=0.03)
    # every mood the sound designer asks for has at least one cue
    assert {"tense", "tender", "triumphant", "melancholic", "mysterious", "playful", "epic", "hopeful", "eerie",
            "romantic", "action", "calm"} <= {t for a in music for t in a.tags}


def test_sound_content_is_what_the_tags_say(library) -> None:
    _, assets, _ = library
    by_id = _by_id(assets)

    def load(asset_id: str) -> np.ndarray:
        x, _ = sf.read(by_id[asset_id].path, dtype="float64")
        return x.mean(axis=1) if x.ndim == 2 else x

    assert by_id["amb-rain"].spectral_centroid_hz > 3 * by_id["amb-room-tone"].spectral_centroid_hz
    crickets = load("amb-night-crickets")
    spec = np.abs(np.fft.rfft(crickets)) ** 2
    freqs = np.fft.rfftfreq(crickets.size, 1 / SR)
    band = spec[(freqs > 4000) & (freqs < 5400)].sum() / spec[(freqs > 1000) & (freqs < 12000)].sum()
    assert band > 0.6  # cricket chirps carry the energy above 1 kHz
    # Doppler: the car's engine pitch drops as it passes
    car = load("sfx-car-pass-by")
    first, last = car[: SR], car[-SR:]
    assert spectral_centroid_hz(first, SR) > spectral_centroid_hz(last, SR)
    # heartbeat and clock are rhythmic one-shots at their nominal rates
    assert estimate_tempo_bpm(load("sfx-heartbeat"), SR, 50, 90) == pytest.approx(68, rel=0.05)
    # footsteps: four distinct steps on gravel
    steps = load("fol-footsteps-gravel")
    frames = steps[: steps.size // 960 * 960].reshape(-1, 960)  # 20 ms frames
    env = np.convolve(np.sqrt((frames**2).mean(axis=1)), np.ones(4) / 4, mode="same")
    above = env > 0.2 * env.max()
    assert np.count_nonzero(np.diff(above.astype(int)) == 1) + int(above[0]) == 4
    meta = measure_audio(Path(by_id["fol-knock"].path), "foley")
    assert meta["tempo_bpm"] is None and meta["duration_s"] == pytest.approx(1.2, abs=0.01)


# --- audio analysis (shared with corpus ingestion) ----------------------------------------

from filmcraft.audio_analysis import AudioReadError, is_silent, true_peak_dbtp  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_true_peak_sees_inter_sample_peaks() -> None:
    n = np.arange(SR)
    # a sine at a quarter of the rate, sampled 45 degrees off its crest: samples at 0.707, real peak 1.0
    x = np.sin(2 * np.pi * n / 4 + np.pi / 4)
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.02)
    assert true_peak_dbtp(x, SR) == pytest.approx(0.0, abs=0.2)  # within the oversampling filter ripple


def test_measure_edge_cases(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR * 2), SR)
    meta = measure_audio(silent, "ambience")
    assert meta["loudness_lufs"] is None and meta["silent"] and meta["peak_dbfs"] == -120.0
    short = tmp_path / "short.wav"
    sf.write(short, np.sin(np.arange(SR // 5) * 0.1) * 0.5, SR)
    meta = measure_audio(short, "sfx")
    assert meta["loudness_lufs"] is None and meta["duration_s"] == pytest.approx(0.2)
    assert not is_silent(sf.read(short)[0])
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + bytes(100))
    with pytest.raises(AudioReadError, match="broken.ogg"):
        measure_audio(broken, "music")
    with pytest.raises(AudioReadError, match="missing.wav"):
        measure_audio(tmp_path / "missing.wav", "music")
    with pytest.raises(ValueError, match="kind"):
        measure_audio(silent, "noise")


def test_click_track_tempo(tmp_path: Path) -> None:
    for bpm in (72, 100, 150):
        x = np.zeros(SR * 16)
        hit = np.sin(np.arange(2000) * 2 * np.pi * 80 / SR) * np.exp(-np.arange(2000) / 400)
        for t in np.arange(0, 15.9, 60 / bpm):
            x[int(t * SR):int(t * SR) + 2000] += hit
        assert estimate_tempo_bpm(x, SR) == pytest.approx(bpm, rel=0.02)


def test_real_recordings() -> None:
    if not DATA.is_dir():
        pytest.skip(f"shared data folder {DATA} is absent")
    esc = sorted((DATA / "esc50_subset" / "audio").glob("*.wav"))[:20]
    for path in esc:
        meta = measure_audio(path, "sfx")
        assert meta["duration_s"] == pytest.approx(5.0, abs=0.05)
        assert meta["loudness_lufs"] is None or -70 < meta["loudness_lufs"] < 0
    ogg = sorted((DATA / "wesnoth_music" / "audio").glob("*.ogg"))[:3]
    for path in ogg:
        meta = measure_audio(path, "music")
        assert meta["loudness_lufs"] is not None and -30 < meta["loudness_lufs"] < -5
        assert meta["tempo_bpm"] is None or 60 <= meta["tempo_bpm"] <= 200
        assert meta["channels"] == 2 and meta["sample_rate"] == 44100


def _build_in_daemon(out_dir: str, answers) -> None:
    try:
        answers.put(len(build_builtin_library(Path(out_dir), workers=2)))
    except Exception as exc:  # noqa: BLE001 - the parent asserts on what happened
        answers.put(f"{type(exc).__name__}: {exc}")


def test_a_daemonic_process_builds_the_library_itself(tmp_path, monkeypatch):
    """A Celery worker's pool process is daemonic and may not start children ("daemonic processes are not
    allowed to have children", seen on a cluster's first film): there the build renders in-process."""
    import multiprocessing

    import corpus_ingest.builtin_audio.build as build

    monkeypatch.setattr(build, "CATALOGUE", CATALOGUE[:2])  # two assets: the point is where they render
    ctx = multiprocessing.get_context("fork")  # the child keeps the shortened catalogue
    answers = ctx.Queue()
    child = ctx.Process(target=_build_in_daemon, args=(str(tmp_path), answers), daemon=True)
    child.start()
    child.join(120)
    assert answers.get(timeout=5) == 2
    assert len(list(tmp_path.glob("**/*.wav"))) + len(list(tmp_path.glob("**/*.flac"))) >= 2
