"""eSpeak NG voice-over through ctypes: real synthesis, measured durations and levels."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from filmcraft.audio_analysis import integrated_lufs, is_silent, spectral_centroid_hz
from filmcraft.voice import CHARACTER_VOICES, NARRATOR_VOICE, EspeakVoice, cast_voices, voice_for

LINE = "The harbour was quiet that night, and nobody saw the boat slip away."


def test_speak_writes_real_speech(tmp_path: Path) -> None:
    out = tmp_path / "vo" / "line.wav"
    duration = EspeakVoice().speak(LINE, "en-us", out)
    data, rate = sf.read(out, dtype="float32")
    assert rate == 22050
    assert data.ndim == 1
    assert duration == pytest.approx(len(data) / rate, abs=1e-6)
    # 13 words at 165 wpm: roughly 4-5 s including the engine's pauses
    assert 2.5 < duration < 7.0
    assert not is_silent(data)
    lufs = integrated_lufs(data, rate)
    assert lufs is not None and -35 < lufs < -5
    # speech energy sits in the voice band, not in rumble or hiss
    assert 200 < spectral_centroid_hz(data, rate) < 4000
    assert not list(out.parent.glob(".*part*")), "no temp files left behind"


def test_rate_changes_duration_and_voices_differ(tmp_path: Path) -> None:
    voice = EspeakVoice()
    slow = voice.speak(LINE, "en-us", tmp_path / "slow.wav", rate=140)
    fast = voice.speak(LINE, "en-us", tmp_path / "fast.wav", rate=240)
    assert fast < slow * 0.8
    voice.speak(LINE, "en-us+m3", tmp_path / "m.wav")
    voice.speak(LINE, "en-us+f2", tmp_path / "f.wav")
    m, rate = sf.read(tmp_path / "m.wav")
    f, _ = sf.read(tmp_path / "f.wav")
    n = min(len(m), len(f))
    assert not np.allclose(m[:n], f[:n])
    # the female variant speaks at a clearly higher pitch than the male one
    assert _median_f0(f, rate) > 1.3 * _median_f0(m, rate)


def _median_f0(x: np.ndarray, rate: int) -> float:
    """Median autocorrelation pitch over loud 40 ms frames (70-400 Hz)."""
    n = int(0.04 * rate)
    lo, hi = int(rate / 400), int(rate / 70)
    frames = [x[i:i + n] for i in range(0, len(x) - n, n)]
    loud = max(np.sqrt(np.mean(fr ** 2)) for fr in frames)
    f0s = []
    for fr in frames:
        if np.sqrt(np.mean(fr ** 2)) < 0.3 * loud:
            continue
        fr = fr - fr.mean()
        ac = np.correlate(fr, fr, mode="full")[n - 1:]
        f0s.append(rate / (lo + int(np.argmax(ac[lo:hi]))))
    return float(np.median(f0s))


def test_repeatable_takes(tmp_path: Path) -> None:
    voice = EspeakVoice()
    a = voice.speak(LINE, "en+m3", tmp_path / "a.wav")
    b = voice.speak(LINE, "en+m3", tmp_path / "b.wav")
    # eSpeak carries pitch-flutter phase between lines: equal to a few milliseconds, not bit-exact
    assert abs(a - b) < 0.01


def test_bad_inputs(tmp_path: Path) -> None:
    voice = EspeakVoice()
    with pytest.raises(ValueError, match="empty"):
        voice.speak("   \n\t", "en-us", tmp_path / "x.wav")
    with pytest.raises(ValueError, match="no words"):
        voice.speak("... ?!", "en-us", tmp_path / "x.wav")
    with pytest.raises(ValueError, match="no voice"):
        voice.speak("hello", "zz-not-a-voice", tmp_path / "x.wav")
    with pytest.raises(ValueError, match="rate"):
        voice.speak("hello", "en-us", tmp_path / "x.wav", rate=20)
    assert not (tmp_path / "x.wav").exists()
    # the engine still works after the errors
    assert voice.speak("Still here.", "en-us", tmp_path / "ok.wav") > 0.3


def test_control_characters_and_unicode(tmp_path: Path) -> None:
    duration = EspeakVoice().speak("Caf\u00e9\x00 na\u00efve \x07r\u00e9sum\u00e9.", "en-us", tmp_path / "u.wav")
    assert duration > 0.5


def test_voice_casting() -> None:
    assert voice_for(None) == NARRATOR_VOICE == voice_for("Narrator")
    assert voice_for("Mara") == voice_for("  mara ")
    assert voice_for("Mara") in CHARACTER_VOICES
    cast = cast_voices(["Mara", "Old Tom", "Jonas", "Ines", "Mara"])
    assert len(cast) == 4
    assert len(set(cast.values())) == 4  # distinct voices for a small cast
    assert cast == cast_voices(["Ines", "Jonas", "Old Tom", "Mara"])


def test_threads_share_one_engine(tmp_path: Path) -> None:
    voice = EspeakVoice()
    durations: dict[int, float] = {}

    def work(i: int) -> None:
        durations[i] = voice.speak(f"Line number {i} of the scene.", voice_for(f"c{i}"), tmp_path / f"{i}.wav")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(durations) == 6 and all(d > 0.5 for d in durations.values())
