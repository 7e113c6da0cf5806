"""Mixer: stems and master measured on the delivered files (pyloudnorm, 4x true peak)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from filmcraft.audio_analysis import AudioReadError, true_peak_dbtp
from filmcraft.contracts import STEMS, AudioCue, CueSheet
from filmcraft import mixer
from filmcraft.mixer import MixTargets, limit_true_peak, mix
from filmcraft.voice import EspeakVoice

RATE = 48000
FRAME = RATE // 24  # one frame at 24 fps


def _lufs(path: str | Path) -> float:
    data, rate = sf.read(str(path), dtype="float64")
    return pyloudnorm.Meter(rate).integrated_loudness(data)


def _rms_db(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) + 1e-20))


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(7)
    t = np.arange(int(10 * 44100)) / 44100
    # steady chord at 44.1 kHz stereo: exercises resampling, and makes ducking easy to measure
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6, 1800.0)) * 0.1
    music = np.stack([chord, chord * 0.9], axis=1)
    sf.write(root / "music.wav", music, 44100)
    noise = rng.standard_normal(3 * RATE) * 0.05  # 3 s mono bed, looped by the mixer
    sf.write(root / "room.wav", noise, RATE)
    burst = np.zeros(RATE // 2)
    burst[:2400] = rng.standard_normal(2400) * np.exp(-np.arange(2400) / 400) * 0.8
    sf.write(root / "hit.wav", burst, RATE)
    steps = np.zeros(2 * RATE)
    for k in range(4):
        steps[k * 24000:k * 24000 + 3000] = rng.standard_normal(3000) * np.exp(-np.arange(3000) / 600) * 0.5
    sf.write(root / "steps.wav", steps, RATE)
    EspeakVoice().speak("Nobody saw the boat slip away from the harbour that night.", "en-us", root / "vo.wav")
    return {"music": root / "music.wav", "room": root / "room.wav", "hit": root / "hit.wav",
            "steps": root / "steps.wav", "vo": root / "vo.wav"}


def _sheet(src: dict[str, Path], runtime: float = 12.0, with_vo: bool = True, with_foley: bool = True) -> CueSheet:
    cues = [
        AudioCue(cue_id="amb", stem="ambience", source_path=str(src["room"]), record_in=0.0, duration=runtime,
                 loop=True, fade_in=0.5, fade_out=0.5),
        AudioCue(cue_id="mus", stem="music", source_path=str(src["music"]), record_in=0.0, duration=runtime,
                 loop=True, fade_in=0.2, fade_out=1.0),
        AudioCue(cue_id="hit", stem="sfx", source_path=str(src["hit"]), record_in=2.0, duration=0.5),
    ]
    if with_vo:
        cues.append(AudioCue(cue_id="vo", stem="vo", source_path=str(src["vo"]), record_in=5.0, duration=4.0,
                             text="Nobody saw the boat slip away from the harbour that night."))
    if with_foley:
        cues.append(AudioCue(cue_id="steps", stem="foley", source_path=str(src["steps"]), record_in=1.0, duration=2.0))
    return CueSheet(film_id="mixtest", runtime_s=runtime, cues=cues)


@pytest.fixture(scope="module")
def mixed(sources, tmp_path_factory):
    out = tmp_path_factory.mktemp("mix")
    return out, mix(_sheet(sources), out)


def test_levels_on_delivered_files(mixed) -> None:
    out, report = mixed
    targets = MixTargets()
    assert [s.stem for s in report.stems] == list(STEMS)
    for level in report.stems:
        path = Path(level.path)
        assert path == out / "stems" / f"{level.stem}.wav" and path.is_file()
        info = sf.info(str(path))
        assert info.samplerate == RATE and info.channels == 2 and info.subtype == "PCM_24"
        assert info.frames == 12 * RATE
        measured = _lufs(path)
        assert abs(measured - targets.for_stem(level.stem)) <= 0.5, level.stem
        assert level.measured_lufs == pytest.approx(measured, abs=0.01)
        data, _ = sf.read(str(path))
        assert true_peak_dbtp(data, RATE) <= targets.true_peak + 1e-6
    master, rate = sf.read(report.master_path)
    assert rate == RATE and master.shape == (12 * RATE, 2)
    assert abs(_lufs(report.master_path) - targets.master) <= 0.5
    assert true_peak_dbtp(master, RATE) <= -1.0
    assert report.master_true_peak_dbtp <= -1.0
    assert report.master_lufs == pytest.approx(_lufs(report.master_path), abs=0.01)


def test_ducking_lowers_music_under_voice(mixed, sources, tmp_path) -> None:
    out, _ = mixed
    music, _ = sf.read(out / "stems" / "music.wav")
    under_vo = music[int(6.0 * RATE):int(8.0 * RATE)]
    clear = music[int(1.0 * RATE):int(3.0 * RATE)]
    dip = _rms_db(clear) - _rms_db(under_vo)
    assert dip >= 6.0, f"music only {dip:.1f} dB lower under the voice"
    # the voice-band cut takes more off the 1.8 kHz partial than off the low chord tones
    def band_db(x: np.ndarray, lo: float, hi: float) -> float:
        spec = np.abs(np.fft.rfft(x[:, 0])) ** 2
        freqs = np.fft.rfftfreq(x.shape[0], 1 / RATE)
        return float(10 * np.log10(spec[(freqs > lo) & (freqs < hi)].sum()))
    high_dip = band_db(clear, 1700, 1900) - band_db(under_vo, 1700, 1900)
    low_dip = band_db(clear, 200, 350) - band_db(under_vo, 200, 350)
    assert high_dip > low_dip + 2.0
    # without a voice there is no dip at all
    plain = mix(_sheet(sources, with_vo=False), tmp_path)
    music2, _ = sf.read(Path(plain.stems[1].path))
    a, b = music2[int(1.0 * RATE):int(3.0 * RATE)], music2[int(6.0 * RATE):int(8.0 * RATE)]
    assert abs(_rms_db(a) - _rms_db(b)) < 1.0
    assert next(s for s in plain.stems if s.stem == "vo").measured_lufs is None


def test_cue_lands_on_its_timecode(mixed) -> None:
    out, _ = mixed
    sfx, _ = sf.read(out / "stems" / "sfx.wav")
    level = np.abs(sfx).max(axis=1)
    onset = int(np.argmax(level > 0.05 * level.max()))
    assert abs(onset - 2.0 * RATE) <= FRAME
    assert level[: int(1.9 * RATE)].max() < 1e-4  # silent before the cue


def test_loop_fills_the_cue(mixed) -> None:
    out, _ = mixed
    amb, _ = sf.read(out / "stems" / "ambience.wav")
    seconds = amb[: 12 * RATE].reshape(12, RATE, 2)
    clear = [_rms_db(seconds[k]) for k in (1, 2, 3, 10)]  # away from the fades and the voice
    assert max(clear) - min(clear) < 1.5  # a 3 s bed looped evenly across 12 s
    ducked = [_rms_db(seconds[k]) for k in (6, 7)]
    assert max(ducked) < min(clear) - 6.0  # the ambience also steps back under the voice


def test_silent_stem_is_written(sources, tmp_path) -> None:
    report = mix(_sheet(sources, with_foley=False), tmp_path)
    foley = next(s for s in report.stems if s.stem == "foley")
    data, _ = sf.read(foley.path)
    assert data.shape == (12 * RATE, 2) and not data.any()
    assert foley.measured_lufs is None and foley.true_peak_dbtp is None
    assert abs(_lufs(report.master_path) - (-16.0)) <= 0.5


def test_limiter_holds_the_ceiling() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((RATE * 2, 2)) * 0.1
    x[RATE:RATE + 500] *= 20  # a hot transient
    y = limit_true_peak(x, -1.0, RATE)
    assert true_peak_dbtp(y, RATE) <= -1.0 + 0.05
    # untouched away from the transient (beyond lookahead and hold)
    assert np.allclose(y[: RATE // 2], x[: RATE // 2])


def test_bad_cues(sources, tmp_path) -> None:
    sheet = _sheet(sources)
    missing = sheet.model_copy(update={"cues": [*sheet.cues, AudioCue(
        cue_id="gone", stem="sfx", source_path=str(tmp_path / "nope.wav"), record_in=1.0, duration=1.0)]})
    with pytest.raises(AudioReadError, match="nope.wav"):
        mix(missing, tmp_path / "a")
    late = sheet.model_copy(update={"cues": [AudioCue(
        cue_id="late", stem="sfx", source_path=str(sources["hit"]), record_in=20.0, duration=1.0)]})
    with pytest.raises(ValueError, match="after the film ends"):
        mix(late, tmp_path / "b")
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    bad = sheet.model_copy(update={"cues": [AudioCue(
        cue_id="bad", stem="sfx", source_path=str(broken), record_in=0.0, duration=1.0)]})
    with pytest.raises(AudioReadError, match="broken.wav"):
        mix(bad, tmp_path / "c")
    assert not (tmp_path / "c" / "mix.wav").exists()
    # a header claiming 1 Hz (a voice-over from a hostile endpoint) is refused before resampling to
    # 48 kHz would need billions of samples
    forged = tmp_path / "forged.wav"
    sf.write(forged, np.zeros(22050, dtype=np.float32), 22050, subtype="PCM_16")
    raw = bytearray(forged.read_bytes())
    raw[24:28] = (1).to_bytes(4, "little")
    forged.write_bytes(bytes(raw))
    slow = sheet.model_copy(update={"cues": [AudioCue(
        cue_id="slow", stem="vo", source_path=str(forged), record_in=0.0, duration=1.0)]})
    with pytest.raises(AudioReadError, match="forged.wav: sample rate 1 Hz"):
        mix(slow, tmp_path / "d")
    assert not (tmp_path / "d" / "mix.wav").exists()


def test_fast_meters_agree_with_references() -> None:
    """The mixer's vectorised K-weighting and sparse oversampling equal pyloudnorm and resample_poly."""
    from scipy.signal import resample_poly

    from filmcraft.audio_analysis import integrated_lufs

    rng = np.random.default_rng(11)
    x = np.zeros((RATE * 20, 2))
    for start in (1.0, 7.5, 15.2):  # sparse: sound, then exact digital silence
        n = int(1.5 * RATE)
        burst = rng.standard_normal((n, 2)) * np.exp(-np.arange(n) / 20000)[:, None] * 0.3
        x[int(start * RATE):int(start * RATE) + n] = burst
    x[int(12 * RATE):int(12.01 * RATE)] = 0.9  # a DC step: a classic inter-sample overshoot
    reference = pyloudnorm.Meter(RATE).integrated_loudness(x)
    assert integrated_lufs(x, RATE) == pytest.approx(reference, abs=1e-6)
    oversampled = 20 * np.log10(np.abs(resample_poly(x, 4, 1, axis=0)).max())
    assert true_peak_dbtp(x, RATE) == pytest.approx(oversampled, abs=0.01)
    assert true_peak_dbtp(x, RATE) > 20 * np.log10(0.9)  # it does see past the sample peak


def test_a_failed_mix_leaves_nothing_half_made(sources, tmp_path, monkeypatch) -> None:
    """A cue sheet with nothing to hear is refused before any file is written, and a mix that fails at
    the master keeps the previous stems and master as they were (the new ones are staged, then moved)."""
    with pytest.raises(ValueError, match="no audible cue"):
        mix(CueSheet(film_id="quiet", runtime_s=4.0, cues=[]), tmp_path / "quiet")
    assert not (tmp_path / "quiet").exists()
    out = tmp_path / "mix"
    mix(_sheet(sources), out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.wav")}
    real_deliver = mixer.deliver

    def master_fails(x, path, target, ceiling, rate, what):
        if what == "master":
            raise mixer.MixError("master: could not reach the target")
        return real_deliver(x, path, target, ceiling, rate, what)

    monkeypatch.setattr(mixer, "deliver", master_fails)
    with pytest.raises(mixer.MixError):
        mix(_sheet(sources, with_vo=False), out)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and sorted(p.name for p in out.iterdir()) == ["mix.wav", "stems"]
