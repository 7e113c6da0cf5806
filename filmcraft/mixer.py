"""Mixing: render the five stems from a cue sheet, clear the voice, normalise, limit and master.

Loudness is integrated LUFS (ITU-R BS.1770 via pyloudnorm) and peaks are true peaks (4x
oversampled). Every figure in the MixReport is measured again from the delivered files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from filmcraft.audio_analysis import (
    gated_loudness, integrated_lufs, is_silent, k_weighted_power, oversample_peaks, read_audio, resample,
    true_peak_dbtp,
)
from filmcraft.contracts import STEMS, AudioCue, CueSheet, MixReport, StemLevel
from filmcraft.store import atomic_path, remove_orphan_temps, temp_prefix

BACKGROUND_STEMS = ("ambience", "music")
LOUDNESS_TOLERANCE_LU = 0.2  # aim well inside the 0.5 LU delivery tolerance
MAX_PASSES = 24
CONTROL_RATE = 1000  # Hz: gain envelopes are computed per millisecond, then interpolated
LIMITER_LOOKAHEAD_S = 0.005
LIMITER_HOLD_S = 0.02


class MixError(RuntimeError):
    pass


@dataclass
class MixTargets:
    vo: float = -16.0
    ambience: float = -28.0
    music: float = -28.0
    foley: float = -24.0
    sfx: float = -22.0
    master: float = -16.0
    true_peak: float = -1.0  # dBTP
    duck_db: float = 8.0  # how far music and ambience dip under the voice
    voice_band_cut_db: float = -4.0  # peaking cut in the background around 1-4 kHz while VO speaks
    highpass_hz: float = 80.0  # rumble the background does not need

    def for_stem(self, stem: str) -> float:
        return float(getattr(self, stem))


# --- rendering stems -----------------------------------------------------------------------

def _fade_curve(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))


class _Sources:
    """Each source file is read and converted (rate, stereo) once per mix."""

    def __init__(self, rate: int):
        self.rate = rate
        self._cache: dict[str, np.ndarray] = {}

    def get(self, path: str) -> np.ndarray:
        if path not in self._cache:
            data, rate = read_audio(path)
            if data.shape[1] == 1:
                data = np.repeat(data, 2, axis=1)
            elif data.shape[1] > 2:
                data = data[:, :2]  # front left/right of a multichannel file
            self._cache[path] = resample(data, rate, self.rate).astype(np.float64)
        return self._cache[path]


def _cue_audio(cue: AudioCue, source: np.ndarray, rate: int) -> np.ndarray:
    """The cue's samples: source from source_in, looped or cut to duration, with fades."""
    want = int(round(cue.duration * rate))
    start = int(round(cue.source_in * rate))
    if start >= source.shape[0]:
        raise ValueError(
            f"cue {cue.cue_id}: source_in {cue.source_in:.2f}s is past the end of {cue.source_path} "
            f"({source.shape[0] / rate:.2f}s): lower source_in"
        )
    audio = source[start:start + want]
    if cue.loop and audio.shape[0] < want:
        # the first pass starts at source_in; later passes repeat the whole (loopable) source
        repeats = int(np.ceil((want - audio.shape[0]) / source.shape[0]))
        audio = np.concatenate([audio, *([source] * repeats)])[:want]
    audio = audio.copy()
    n = audio.shape[0]
    fade_in = min(n, int(round(cue.fade_in * rate)))
    fade_out = min(n, int(round(cue.fade_out * rate)))
    if fade_in > 1:
        audio[:fade_in] *= _fade_curve(fade_in)[:, None]
    if fade_out > 1:
        audio[n - fade_out:] *= _fade_curve(fade_out)[::-1, None]
    return audio


def _validate(cues: CueSheet) -> None:
    if cues.runtime_s <= 0:
        raise ValueError(f"cue sheet for {cues.film_id} has runtime {cues.runtime_s}s: the picture lock must have a length")
    for cue in cues.cues:
        if cue.duration <= 0:
            raise ValueError(f"cue {cue.cue_id} has duration {cue.duration}s: give it a positive length or drop it")
        if cue.record_in < 0 or cue.source_in < 0:
            raise ValueError(f"cue {cue.cue_id} starts before zero (record_in {cue.record_in}, source_in {cue.source_in})")
        if cue.record_in >= cues.runtime_s:
            raise ValueError(
                f"cue {cue.cue_id} starts at {cue.record_in:.2f}s, after the film ends at {cues.runtime_s:.2f}s: "
                "move it inside the picture lock"
            )


def render_stems(cues: CueSheet, rate: int) -> dict[str, np.ndarray]:
    """Raw (unprocessed) stereo stems, each exactly runtime_s long."""
    _validate(cues)
    length = int(round(cues.runtime_s * rate))
    stems = {stem: np.zeros((length, 2)) for stem in STEMS}
    sources = _Sources(rate)
    for cue in cues.cues:
        audio = _cue_audio(cue, sources.get(cue.source_path), rate)
        at = int(round(cue.record_in * rate))
        end = min(length, at + audio.shape[0])
        stems[cue.stem][at:end] += audio[: end - at]
    return stems


# --- voice clearance -----------------------------------------------------------------------

def _one_pole(target: np.ndarray, attack_s: float, release_s: float) -> np.ndarray:
    """Smooth a 0..1 control curve (at CONTROL_RATE) with separate rise and fall times."""
    up = 1 - np.exp(-1 / (attack_s * CONTROL_RATE))
    down = 1 - np.exp(-1 / (release_s * CONTROL_RATE))
    out = np.empty_like(target)
    state = 0.0
    for i, value in enumerate(target):
        state += (up if value > state else down) * (value - state)
        out[i] = state
    return out


def voice_presence(vo: np.ndarray, rate: int) -> np.ndarray:
    """0..1 per sample: how much the voice is speaking (held across word gaps, smoothed).

    The curve leads the voice by 50 ms so the background is already down on the first syllable.
    """
    length = vo.shape[0]
    block = rate // CONTROL_RATE
    blocks = int(np.ceil(length / block))
    padded = np.zeros((blocks * block, vo.shape[1]))
    padded[:length] = vo
    rms = np.sqrt((padded.reshape(blocks, block, -1) ** 2).mean(axis=(1, 2)))
    active = (rms > 10 ** (-50 / 20)).astype(float)
    if not active.any():
        return np.zeros(length)
    active = maximum_filter1d(active, size=int(0.3 * CONTROL_RATE) * 2 + 1)  # hold 300 ms over word gaps
    lead = int(0.05 * CONTROL_RATE)
    active = np.concatenate([active[lead:], np.zeros(lead)])
    smooth = _one_pole(active, attack_s=0.06, release_s=0.4)
    return np.interp(np.arange(length) / block, np.arange(blocks), smooth)


def _peaking(freq: float, gain_db: float, q: float, rate: int) -> np.ndarray:
    """RBJ peaking-EQ biquad as second-order sections."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq / rate
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return np.concatenate([b / den[0], den / den[0]])[None, :]


def clear_voice(background: np.ndarray, presence: np.ndarray, targets: MixTargets, rate: int) -> np.ndarray:
    """High-pass the background; where the voice speaks, dip 1-4 kHz and duck by duck_db."""
    rows = np.ascontiguousarray(background.T)  # filters run fastest along contiguous rows
    rows = signal.sosfilt(signal.butter(2, targets.highpass_hz, "highpass", fs=rate, output="sos"), rows, axis=1)
    out = rows.T
    if not presence.any():
        return np.ascontiguousarray(out)
    dipped = signal.sosfilt(_peaking(2000.0, targets.voice_band_cut_db, 0.7, rate), rows, axis=1).T
    p = presence[:, None]
    out = out * (1 - p) + dipped * p
    gain = 10 ** (-targets.duck_db * presence / 20)
    return out * gain[:, None]


# --- loudness and peaks --------------------------------------------------------------------

def oversampled_peaks(x: np.ndarray, rate: int) -> np.ndarray:
    """Per-sample true-peak estimate across channels (4x oversampled)."""
    return oversample_peaks(x, rate)


def _moving_average_trailing(x: np.ndarray, width: int) -> np.ndarray:
    """out[n] = mean(x[n - width + 1 .. n]), the start padded with x[0]."""
    padded = np.concatenate([np.full(width, x[0]), x])
    c = np.cumsum(padded)
    return (c[width:] - c[:-width]) / width


def limiter_gain(peaks: np.ndarray, ceiling_dbtp: float, rate: int) -> np.ndarray:
    """Gain curve of a lookahead peak limiter for a signal whose true-peak estimate is ``peaks``.

    The gain is a held minimum of what each sample needs, smoothed over the lookahead, so it is
    already down when an over arrives and never above what any sample needs.
    """
    ceiling = 10 ** (ceiling_dbtp / 20)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if need.min() >= 1.0:
        return need
    look = max(1, int(LIMITER_LOOKAHEAD_S * rate))
    reach = max(int(LIMITER_HOLD_S * rate), look)
    # a centred window [n - reach, n + reach] covers the lookahead and holds the gain down
    held = minimum_filter1d(need, size=2 * reach + 1, mode="nearest")
    gain = _moving_average_trailing(held, look + 1)
    return np.minimum(gain, need)


def limit_true_peak(x: np.ndarray, ceiling_dbtp: float, rate: int) -> np.ndarray:
    """Apply the lookahead limiter to x (frames, channels)."""
    return x * limiter_gain(oversampled_peaks(x, rate), ceiling_dbtp, rate)[:, None]


def _write(path: Path, x: np.ndarray, rate: int) -> None:
    with atomic_path(path) as tmp:
        sf.write(str(tmp), x.astype(np.float32), rate, subtype="PCM_24", format="WAV")


def _measure_file(path: Path) -> tuple[float | None, float | None]:
    data, rate = read_audio(path)
    lufs = integrated_lufs(data.astype(np.float64), rate)
    if lufs is None:
        return None, None
    return lufs, true_peak_dbtp(data, rate)


def _quantise_24(x: np.ndarray) -> np.ndarray:
    scale = float(2**23)
    return np.clip(np.round(x * scale), -scale, scale - 1) / scale


def deliver(x: np.ndarray, path: Path, target_lufs: float, ceiling_dbtp: float, rate: int, what: str) -> tuple[float | None, float | None]:
    """Normalise to target, limit to the ceiling, write, and measure the written file.

    Limiting lowers loudness, so the gain is searched (secant steps) on a fast model: K-weighted
    power and oversampled peaks of x are computed once, and a candidate gain curve scales them.
    The delivered file is then measured exactly (pyloudnorm, 4x true peak); if the model missed,
    the search continues from the exact figures. Returns (LUFS, dBTP); (None, None) for silence.
    """
    power = k_weighted_power(x, rate) if not is_silent(x) else None
    start_lufs = None if power is None else gated_loudness(power, rate)
    if power is None or start_lufs is None:
        _write(path, np.zeros_like(x), rate)
        return None, None
    peaks = oversampled_peaks(x, rate)
    gain_db = target_lufs - start_lufs
    margin = 0.1  # headroom for 24-bit rounding and the oversampling filter's ripple
    last: tuple[float, float] | None = None
    got_lufs: float | None = None
    got_tp: float | None = None
    exact_checks = 0
    for _ in range(MAX_PASSES):
        scale = 10 ** (gain_db / 20)
        curve = scale * limiter_gain(peaks * scale, ceiling_dbtp - margin, rate)
        est_lufs = gated_loudness(power * curve**2, rate)
        est_tp = float(20 * np.log10(max(float(np.max(peaks * curve)), 1e-12)))
        if est_lufs is None:
            break
        got_lufs, got_tp = est_lufs, est_tp
        if abs(est_lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU and est_tp <= ceiling_dbtp:
            _write(path, _quantise_24(x * curve[:, None]), rate)
            got_lufs, got_tp = _measure_file(path)  # the report states what the file holds
            exact_checks += 1
            if got_lufs is None:
                break
            if abs(got_lufs - target_lufs) <= LOUDNESS_TOLERANCE_LU and got_tp <= ceiling_dbtp:
                return got_lufs, got_tp
            # correct the model by what the file showed
            power = power * 10 ** ((got_lufs - est_lufs) / 10)
            if got_tp > ceiling_dbtp:
                margin += got_tp - ceiling_dbtp + 0.05
            continue
        slope = 1.0
        if last is not None and abs(gain_db - last[0]) > 1e-3:
            slope = float(np.clip((est_lufs - last[1]) / (gain_db - last[0]), 0.1, 1.0))
        last = (gain_db, est_lufs)
        gain_db += (target_lufs - est_lufs) / slope
    raise MixError(
        f"{what}: could not reach {target_lufs} LUFS at <= {ceiling_dbtp} dBTP (got {got_lufs} LUFS, "
        f"{got_tp} dBTP after {exact_checks} file checks): the material is too peaky; lower its "
        "target or tame its transients"
    )


# --- the mix -------------------------------------------------------------------------------

def write_silence(path: Path, seconds: float, sample_rate: int = 48000) -> Path:
    """A stereo 24-bit WAV of digital silence: the track under a cut that has no cue to play."""
    _write(Path(path), np.zeros((max(1, round(seconds * sample_rate)), 2)), sample_rate)
    return Path(path)


def mix(cues: CueSheet, out_dir: Path, targets: MixTargets | None = None, sample_rate: int = 48000) -> MixReport:
    """Render, clear, normalise and master ``cues`` into out_dir/stems/*.wav and out_dir/mix.wav.

    Every file is made in a staging folder and moved into place only when the whole mix succeeded,
    so a failed mix leaves the previous one (or nothing), never some stems of a new one.
    """
    targets = targets or MixTargets()
    if sample_rate < 8000 or sample_rate > 192000:
        raise ValueError(f"sample rate {sample_rate} Hz is not a delivery rate: use 48000")
    out_dir = Path(out_dir)
    stems = render_stems(cues, sample_rate)
    if all(is_silent(stems[stem]) for stem in STEMS):
        raise ValueError(f"the cue sheet for {cues.film_id} has no audible cue: add voice-over, music or ambience")
    presence = voice_presence(stems["vo"], sample_rate)
    for stem in BACKGROUND_STEMS:
        stems[stem] = clear_voice(stems[stem], presence, targets, sample_rate)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_orphan_temps(out_dir)  # a staging folder a killed mix left behind
    staging = Path(tempfile.mkdtemp(prefix=temp_prefix("mix"), dir=out_dir))
    try:
        levels: list[StemLevel] = []
        delivered: dict[str, np.ndarray] = {}
        for stem in STEMS:
            staged = staging / "stems" / f"{stem}.wav"
            lufs, tp = deliver(stems[stem], staged, targets.for_stem(stem), targets.true_peak, sample_rate, f"stem {stem}")
            levels.append(StemLevel(stem=stem, path=str(out_dir / "stems" / staged.name), target_lufs=targets.for_stem(stem),
                                    measured_lufs=lufs, true_peak_dbtp=tp))
            delivered[stem] = read_audio(staged)[0].astype(np.float64)
        master = sum(delivered.values())
        lufs, tp = deliver(master, staging / "mix.wav", targets.master, targets.true_peak, sample_rate, "master")
        if lufs is None:
            raise ValueError(f"the cue sheet for {cues.film_id} has no audible cue: add voice-over, music or ambience")
        (out_dir / "stems").mkdir(exist_ok=True)
        for stem in STEMS:
            os.replace(staging / "stems" / f"{stem}.wav", out_dir / "stems" / f"{stem}.wav")
        os.replace(staging / "mix.wav", out_dir / "mix.wav")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return MixReport(
        stems=levels,
        master_path=str(out_dir / "mix.wav"),
        master_target_lufs=targets.master,
        master_lufs=round(lufs, 2),
        master_true_peak_dbtp=round(tp, 2),
        sample_rate=sample_rate,
    )


# --- delivery check --------------------------------------------------------------------------

DELIVERY_TOLERANCE_LU = 0.5


def loudness_problems(report: MixReport, targets: MixTargets | None = None,
                      tolerance_lu: float = DELIVERY_TOLERANCE_LU) -> list[str]:
    """What keeps a mix from delivery: a stem or the master off its loudness target by more than
    ``tolerance_lu``, or a true peak over the ceiling. A silent stem (a film without music) is fine."""
    targets = targets or MixTargets()
    problems = []
    levels = [(s.stem, s.target_lufs, s.measured_lufs, s.true_peak_dbtp) for s in report.stems]
    levels.append(("master", report.master_target_lufs, report.master_lufs, report.master_true_peak_dbtp))
    for name, target, measured, peak in levels:
        if measured is None:
            continue
        if target is not None and abs(measured - target) > tolerance_lu:
            problems.append(f"{name} is {measured:.2f} LUFS, target {target:.1f} +/- {tolerance_lu} LU")
        if peak is not None and peak > targets.true_peak:
            problems.append(f"{name} true peak {peak:.2f} dBTP is over the {targets.true_peak:.1f} dBTP ceiling")
    return problems
