"""The built-in audio library: ambiences, music cues, foley and SFX synthesised with numpy/scipy.

Every asset is procedurally generated from a fixed seed (derived from its id), so a build gives
the same bytes every time, anywhere. Files are 48 kHz WAV (stereo for ambiences and music, mono
for foley and SFX); ``manifest.json`` lists them as :class:`AudioAsset` with measured loudness,
peak, brightness and tempo. Paths in the manifest are relative to the library folder, so the
folder can move; loaded assets carry absolute paths.
"""

from __future__ import annotations

import functools
import json
import math
import multiprocessing
import os
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyloudnorm
import soundfile as sf
import scipy.fft as sfft
from scipy import signal

from filmcraft.audio_analysis import measure_audio
from filmcraft.contracts import AudioAsset
from filmcraft.store import atomic_path, read_models, write_model, write_text

LIBRARY_VERSION = "builtin-2"
SR = 48000
MANIFEST = "manifest.json"
VERSION_FILE = "VERSION"
LOOP_XFADE_S = 2.0

TARGET_LUFS = {"ambience": -24.0, "music": -18.0}
PEAK_CEILING_DBFS = -1.0
ONE_SHOT_PEAK_DBFS = -3.0


# --- DSP primitives ------------------------------------------------------------------------

@functools.lru_cache(maxsize=256)
def _sos(kind: str, freq: float | tuple[float, float], order: int) -> np.ndarray:
    return signal.butter(order, freq, btype=kind, fs=SR, output="sos")


def lp(x: np.ndarray, f: float, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("lowpass", float(f), order), x, axis=0)


def hp(x: np.ndarray, f: float, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("highpass", float(f), order), x, axis=0)


def bp(x: np.ndarray, lo: float, hi: float, order: int = 2) -> np.ndarray:
    return signal.sosfilt(_sos("bandpass", (float(lo), float(hi)), order), x, axis=0)


def samples(seconds: float) -> int:
    return int(round(seconds * SR))


def t_axis(n: int) -> np.ndarray:
    return np.arange(n) / SR


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.standard_normal(n)


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """1/f noise by spectral shaping, unit RMS."""
    size = sfft.next_fast_len(n, real=True)  # shape noise on a fast FFT length, keep the first n
    spec = sfft.rfft(rng.standard_normal(size))
    f = np.arange(spec.size, dtype=float)
    f[0] = 1.0
    x = sfft.irfft(spec / np.sqrt(f), size)[:n]
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def brown(rng: np.random.Generator, n: int) -> np.ndarray:
    """1/f^2 noise (integrated white, DC removed), unit RMS."""
    x = hp(np.cumsum(rng.standard_normal(n)), 20.0)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def unit_rms(x: np.ndarray) -> np.ndarray:
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def slow_env(rng: np.random.Generator, n: int, rate_hz: float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """A smooth random control curve with about ``rate_hz`` independent values per second."""
    knots = max(2, int(n / SR * rate_hz) + 3)
    vals = rng.random(knots)
    # Shape the curve at a 1 kHz control rate, then interpolate linearly to audio rate.
    control = max(2, n // 48)
    pos = np.linspace(0, knots - 1, control)
    i = np.minimum(pos.astype(int), knots - 2)
    frac = pos - i
    w = 0.5 - 0.5 * np.cos(np.pi * frac)  # cosine interpolation keeps the curve smooth
    curve = vals[i] * (1 - w) + vals[i + 1] * w
    curve = np.interp(np.linspace(0, control - 1, n), np.arange(control), curve)
    return lo + (hi - lo) * curve


def pan(x: np.ndarray, position: float) -> np.ndarray:
    """Mono -> stereo, constant power; position -1 (left) .. 1 (right)."""
    angle = (np.clip(position, -1, 1) + 1) * np.pi / 4
    return np.stack([x * np.cos(angle), x * np.sin(angle)], axis=1)


def stereo_pair(make: Callable[[], np.ndarray], width: float = 0.6) -> np.ndarray:
    """Two independent renders blended into a stereo bed of the given width (0 mono .. 1 wide)."""
    a, b = make(), make()
    mid = (a + b) * 0.5
    return np.stack([mid + (a - mid) * width, mid + (b - mid) * width], axis=1)


def place(buf: np.ndarray, start_s: float, sound: np.ndarray, gain: float = 1.0, position: float | None = None) -> None:
    """Add ``sound`` into ``buf`` at ``start_s`` (clipped at the buffer edges)."""
    if buf.ndim == 2 and sound.ndim == 1:
        sound = pan(sound, 0.0 if position is None else position)
    start = samples(start_s)
    if start >= buf.shape[0] or start + sound.shape[0] <= 0:
        return
    src0 = max(0, -start)
    start = max(0, start)
    end = min(buf.shape[0], start + sound.shape[0] - src0)
    buf[start:end] += gain * sound[src0:src0 + end - start]


def env_ar(n: int, attack_s: float, release_s: float) -> np.ndarray:
    """Linear attack, exponential decay over n samples."""
    t = t_axis(n)
    a = np.minimum(1.0, t / max(attack_s, 1e-4))
    return a * np.exp(-np.maximum(t - attack_s, 0) / max(release_s, 1e-4))


def env_asr(n: int, attack_s: float, release_s: float) -> np.ndarray:
    """Attack, sustain, release over n samples (raised-cosine edges)."""
    e = np.ones(n)
    a = min(n // 2, samples(attack_s))
    r = min(n - a, samples(release_s))
    if a:
        e[:a] = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, a))
    if r:
        e[n - r:] *= 0.5 + 0.5 * np.cos(np.linspace(0, np.pi, r))
    return e


def impulses(rng: np.random.Generator, n: int, rate_hz: float, skew: float = 1.0) -> np.ndarray:
    """Sparse random clicks (Poisson rate) with heavy-tailed amplitudes."""
    mask = rng.random(n) < rate_hz / SR
    amps = rng.random(int(mask.sum())) ** skew * rng.choice([-1.0, 1.0], int(mask.sum()))
    out = np.zeros(n)
    out[mask] = amps
    return out


def reverb(x: np.ndarray, rng: np.random.Generator, seconds: float, wet: float, bright: float = 6000.0) -> np.ndarray:
    """Convolution with a decaying noise tail (one per channel, so it also widens)."""
    stereo = x if x.ndim == 2 else pan(x, 0.0)
    n_ir = samples(seconds)
    decay = np.exp(-6.9 * t_axis(n_ir) / seconds)  # -60 dB at ``seconds``
    irs = np.empty((n_ir, 2))
    for ch in range(2):
        ir = lp(rng.standard_normal(n_ir), bright) * decay
        ir[: samples(0.01)] *= np.linspace(0, 1, samples(0.01))  # a short pre-delay gap
        irs[:, ch] = ir / (np.sqrt(np.sum(ir**2)) + 1e-12)
    # one FFT convolution for both channels on a fast length (the tail past the end is dropped)
    size = sfft.next_fast_len(stereo.shape[0] + n_ir - 1, real=True)
    spec = sfft.rfft(stereo, size, axis=0) * sfft.rfft(irs, size, axis=0)
    out = sfft.irfft(spec, size, axis=0)[: stereo.shape[0]]
    return stereo * (1 - wet) + out * wet


def sine(freq: float | np.ndarray, n: int, phase: float = 0.0) -> np.ndarray:
    if np.ndim(freq) == 0:
        return np.sin(2 * np.pi * freq * t_axis(n) + phase)
    return np.sin(2 * np.pi * np.cumsum(freq) / SR + phase)


def loopable(x: np.ndarray, length: int, xfade: int) -> np.ndarray:
    """Cut ``length`` samples whose end flows into their start: the tail is crossfaded into the head."""
    if x.shape[0] < length + xfade:
        raise ValueError("loop source is shorter than length + crossfade")
    out = x[:length].copy()
    ramp = np.linspace(0.0, np.pi / 2, xfade)
    fade_in, fade_out = np.sin(ramp), np.cos(ramp)  # equal power: beds are uncorrelated noise
    if x.ndim == 2:
        fade_in, fade_out = fade_in[:, None], fade_out[:, None]
    out[:xfade] = x[:xfade] * fade_in + x[length:length + xfade] * fade_out
    return out


def saw(freq: float, n: int) -> np.ndarray:
    """Naive sawtooth (-1..1); callers low-pass it, which keeps aliasing inaudible."""
    phase = (freq * t_axis(n)) % 1.0
    return 2.0 * phase - 1.0


def midi_hz(m: float) -> float:
    return 440.0 * 2 ** ((m - 69) / 12)


# --- ambiences -----------------------------------------------------------------------------

def _wind_bands(rng: np.random.Generator, n: int, bands: list[tuple[float, float, float]], gust_rate: float) -> np.ndarray:
    out = np.zeros((n, 2))
    for lo, hi, gain in bands:
        bed = stereo_pair(lambda: bp(white(rng, n), lo, hi), 0.7)
        gust = slow_env(rng, n, gust_rate, 0.15, 1.0) ** 2
        out += unit_rms(bed) * gust[:, None] * gain
    return out


def amb_wind(rng, n):
    out = _wind_bands(rng, n, [(50, 250, 1.0), (200, 600, 0.7), (500, 1400, 0.4), (1200, 3000, 0.15)], 0.25)
    whistle = sine(900 * (1 + 0.15 * slow_env(rng, n, 0.3)), n) * slow_env(rng, n, 0.2) ** 3
    return out + pan(whistle, 0.3) * 0.08


def amb_desert_wind(rng, n):
    out = _wind_bands(rng, n, [(150, 500, 0.6), (600, 1800, 0.6), (1500, 4000, 0.35)], 0.35)
    sand = unit_rms(stereo_pair(lambda: hp(white(rng, n), 4000), 0.9)) * (slow_env(rng, n, 0.5) ** 2)[:, None] * 0.25
    whistle = sine(1400 * (1 + 0.2 * slow_env(rng, n, 0.25)), n) * slow_env(rng, n, 0.3) ** 4
    whistle2 = sine(2100 * (1 + 0.1 * slow_env(rng, n, 0.2)), n) * slow_env(rng, n, 0.3) ** 4
    return out + sand + pan(whistle, -0.4) * 0.1 + pan(whistle2, 0.5) * 0.05


def _rain(rng, n, density: float, bed_gain: float) -> np.ndarray:
    bed = unit_rms(stereo_pair(lambda: lp(hp(pink(rng, n), 700), 9000), 0.8)) * bed_gain
    drops = stereo_pair(lambda: bp(impulses(rng, n, density, 2.0), 2000, 7000), 0.9)
    patter = stereo_pair(lambda: bp(impulses(rng, n, density / 3, 1.5), 400, 1500), 0.9)
    low = unit_rms(stereo_pair(lambda: lp(pink(rng, n), 400), 0.5)) * 0.3 * bed_gain
    return bed + unit_rms(drops) * 0.5 + unit_rms(patter) * 0.35 + low


def amb_rain(rng, n):
    return _rain(rng, n, 120, 0.8)


def amb_heavy_rain_thunder(rng, n):
    out = _rain(rng, n, 500, 1.4)
    total = n / SR
    for start in (2.0 + rng.random() * 3, total * 0.45 + rng.random() * 2, total * 0.75 + rng.random() * 2):
        m = samples(7.0)
        rumble = lp(brown(rng, m), 160, 4) * env_ar(m, 0.6, 1.8) * (0.6 + 0.4 * slow_env(rng, m, 3))
        place(out, start, unit_rms(rumble) * 1.6, position=rng.uniform(-0.5, 0.5))
    return out


def amb_ocean_surf(rng, n):
    total = n / SR
    swell = np.zeros(n)
    t = 0.0
    while t < total:
        m = samples(9.0)
        wave = env_ar(m, rng.uniform(1.8, 2.6), rng.uniform(1.8, 3.0)) * rng.uniform(0.6, 1.0)
        place(swell, t, wave)
        t += rng.uniform(6.5, 9.5)
    swell = 0.15 + swell
    low = unit_rms(stereo_pair(lambda: lp(pink(rng, n), 500), 0.6)) * swell[:, None]
    foam = unit_rms(stereo_pair(lambda: bp(white(rng, n), 1200, 7000), 0.8)) * (swell**2.5)[:, None] * 0.6
    return low + foam


def _gull(rng) -> np.ndarray:
    """A 'kee-ow' call: a downward FM glide with a few harmonics, 2-4 syllables."""
    out = np.zeros(samples(1.6))
    t = 0.0
    for _ in range(rng.integers(2, 5)):
        m = samples(rng.uniform(0.22, 0.34))
        glide = np.linspace(rng.uniform(2000, 2500), rng.uniform(1200, 1500), m)
        glide *= 1 + 0.02 * np.sin(2 * np.pi * 35 * t_axis(m))
        call = sine(glide, m) + 0.5 * sine(2 * glide, m) + 0.2 * sine(3 * glide, m)
        place(out, t, call * env_asr(m, 0.03, 0.12))
        t += m / SR + rng.uniform(0.05, 0.15)
    return bp(out, 900, 6000)


def amb_harbour_gulls(rng, n):
    # Water lapping: a stream of small low-passed splashes against hulls and the quay.
    laps = signal.fftconvolve(np.abs(impulses(rng, n, 2.5, 0.7)), env_ar(samples(0.8), 0.12, 0.2))[:n]
    laps = 0.35 + laps / (laps.max() + 1e-12)  # never still: a floor of small ripples under the laps
    water = unit_rms(stereo_pair(lambda: bp(lp(white(rng, n), 1200, 4), 150, 900), 0.7)) * laps[:, None]
    bed = unit_rms(stereo_pair(lambda: lp(pink(rng, n), 300), 0.5)) * 0.15
    out = water + bed
    total = n / SR
    for k in range(6):
        place(out, (k + rng.random() * 0.8) * total / 6, _gull(rng), rng.uniform(0.15, 0.4), rng.uniform(-0.8, 0.8))
    # distant rigging clinks
    for _ in range(5):
        m = samples(0.8)
        clink = (sine(2630, m) + 0.6 * sine(4180, m)) * env_ar(m, 0.001, 0.15)
        place(out, rng.random() * total, clink, 0.05, rng.uniform(-0.7, 0.7))
    return out


def amb_city_traffic(rng, n):
    total = n / SR
    out = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 300), 0.5)) * 0.8
    out += unit_rms(stereo_pair(lambda: bp(pink(rng, n), 200, 2500), 0.7)) * 0.3
    for k in range(3):
        f = 38 + 12 * k + 8 * slow_env(rng, n, 0.2)
        phase = np.cumsum(f) / SR
        engine = lp(2 * (phase % 1.0) - 1, 350)
        out += pan(unit_rms(engine) * 0.15, rng.uniform(-0.6, 0.6))
    for _ in range(7):
        m = samples(4.0)
        car = unit_rms(bp(white(rng, m), 150, 2500)) * env_asr(m, 1.8, 1.8)
        sweep = np.linspace(-0.9, 0.9, m) * rng.choice([-1, 1])
        angle = (sweep + 1) * np.pi / 4
        place(out, rng.random() * total, np.stack([car * np.cos(angle), car * np.sin(angle)], 1), 0.45)
    for _ in range(2):
        m = samples(0.45)
        horn = lp(signal.sawtooth(2 * np.pi * 415 * t_axis(m)) + signal.sawtooth(2 * np.pi * 523 * t_axis(m)), 1800)
        place(out, rng.random() * (total - 1), horn * env_asr(m, 0.02, 0.08), 0.08, rng.uniform(-0.8, 0.8))
    return out


def amb_night_city(rng, n):
    total = n / SR
    out = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 200), 0.5)) * 0.6
    out += unit_rms(stereo_pair(lambda: bp(pink(rng, n), 300, 1500), 0.6)) * 0.15
    # a distant siren: two-tone wail, heavily low-passed by distance
    m = samples(9.0)
    f = 750 + 350 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.25 * t_axis(m)))
    siren = lp(sine(f, m) + 0.3 * sine(2 * f, m), 1500) * env_asr(m, 2.5, 3.0)
    place(out, rng.uniform(3, total * 0.5), siren, 0.08, -0.5)
    for _ in range(3):  # dog barks far away
        m = samples(0.18)
        bark = bp(white(rng, m) * 0.5 + signal.sawtooth(2 * np.pi * 300 * t_axis(m)), 300, 1800) * env_ar(m, 0.01, 0.05)
        place(out, rng.random() * total, bark, 0.08, rng.uniform(-0.9, 0.9))
        place(out, rng.random() * total, bark, 0.06, rng.uniform(-0.9, 0.9))
    return out


def _bird_song(rng) -> np.ndarray:
    out = np.zeros(samples(2.0))
    t = 0.0
    base = rng.uniform(2500, 5000)
    for _ in range(rng.integers(3, 9)):
        m = samples(rng.uniform(0.05, 0.16))
        f = np.linspace(base * rng.uniform(0.8, 1.2), base * rng.uniform(0.7, 1.4), m)
        trill = 1 + 0.5 * (rng.random() < 0.4) * np.sin(2 * np.pi * rng.uniform(25, 45) * t_axis(m))
        place(out, t, sine(f, m) * env_asr(m, 0.01, 0.02) * trill)
        t += m / SR + rng.uniform(0.02, 0.12)
    return out


def amb_forest_birds(rng, n):
    total = n / SR
    out = _wind_bands(rng, n, [(80, 300, 0.3), (1500, 5000, 0.12)], 0.2)
    out += unit_rms(stereo_pair(lambda: bp(white(rng, n), 2500, 7000), 0.9)) * (slow_env(rng, n, 0.7) ** 3)[:, None] * 0.08
    for _ in range(16):
        place(out, rng.random() * total, _bird_song(rng), rng.uniform(0.1, 0.35), rng.uniform(-0.9, 0.9))
    return out


def amb_night_crickets(rng, n):
    t = t_axis(n)
    out = _wind_bands(rng, n, [(60, 250, 0.15)], 0.15)
    for k in range(4):
        carrier = sine(rng.uniform(4200, 5200), n)
        period = rng.uniform(0.45, 0.9)
        pulses = rng.integers(3, 5)
        local = (t + rng.random()) % period
        pulse_idx = local / 0.032
        on = (pulse_idx < pulses) & ((pulse_idx % 1.0) < 0.55)
        shape = np.sin(np.pi * np.clip((pulse_idx % 1.0) / 0.55, 0, 1)) * on
        out += pan(carrier * shape * rng.uniform(0.1, 0.25), rng.uniform(-0.9, 0.9))
    # a frog or two, low and distant
    for _ in range(4):
        m = samples(0.25)
        croak = lp(signal.sawtooth(2 * np.pi * 140 * t_axis(m)) * (1 + np.sin(2 * np.pi * 30 * t_axis(m))), 900)
        place(out, rng.random() * n / SR, croak * env_asr(m, 0.02, 0.06), 0.05, rng.uniform(-0.9, 0.9))
    return out


def _hum(n: int, fundamental: float, harmonics: int) -> np.ndarray:
    return sum(sine(fundamental * k, n) / k**1.5 for k in range(1, harmonics + 1))


def amb_room_tone(rng, n):
    bed = unit_rms(stereo_pair(lambda: lp(pink(rng, n), 1800), 0.4))
    return bed + pan(_hum(n, 50.0, 4), 0.0) * 0.05


def amb_office_hum(rng, n):
    total = n / SR
    out = unit_rms(stereo_pair(lambda: bp(pink(rng, n), 80, 700), 0.5))
    out += pan(_hum(n, 60.0, 6), 0.0) * 0.12
    buzz = bp(signal.sawtooth(2 * np.pi * 120 * t_axis(n)), 2000, 4000)
    out += pan(unit_rms(buzz) * 0.03, 0.2)
    for _ in range(4):  # a colleague typing at the next desk
        m = samples(rng.uniform(1.5, 3.0))
        keys = bp(impulses(rng, m, 9, 0.5), 1500, 6000)
        place(out, rng.random() * (total - 3), unit_rms(keys) * 0.12, position=rng.uniform(-0.7, 0.7))
    return out


def amb_fire_crackle(rng, n):
    roar = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 250), 0.4)) * (0.6 + 0.4 * slow_env(rng, n, 2))[:, None]
    kernel = env_ar(samples(0.02), 0.0005, 0.004)
    crackle = stereo_pair(lambda: hp(signal.fftconvolve(impulses(rng, n, 14, 2.5), kernel)[:n], 1500), 0.9)
    pops = stereo_pair(lambda: bp(signal.fftconvolve(impulses(rng, n, 1.2, 1.0), kernel)[:n], 300, 2500), 0.9)
    hiss = unit_rms(stereo_pair(lambda: hp(white(rng, n), 5000), 0.8)) * 0.05
    return roar * 0.6 + unit_rms(crackle) * 0.5 + unit_rms(pops) * 0.3 + hiss


def amb_cave_drip(rng, n):
    total = n / SR
    drips = np.zeros(n)
    for _ in range(14):
        m = samples(0.12)
        f = np.linspace(rng.uniform(700, 1100), rng.uniform(1500, 2400), m)
        place(drips, rng.random() * total, sine(f, m) * env_ar(m, 0.001, 0.03) * rng.uniform(0.3, 1.0))
    wet = reverb(drips, rng, 3.0, 0.6, 5000)
    bed = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 120), 0.5)) * 0.3
    moan = sine(190 * (1 + 0.05 * slow_env(rng, n, 0.2)), n) * slow_env(rng, n, 0.15) ** 3
    return wet * 2.0 + bed + pan(moan, -0.3) * 0.05


def amb_market_crowd(rng, n):
    """Babble: many glottal-pulse 'voices' with syllable-rate envelopes through formant bands."""
    total = n / SR
    voices = np.zeros((n, 2))
    for _ in range(14):
        f0 = rng.uniform(95, 230) * (1 + 0.12 * (slow_env(rng, n, 3.0) - 0.5))
        phase = np.cumsum(f0) / SR
        source = 2 * (phase % 1.0) - 1
        syll = (slow_env(rng, n, rng.uniform(8, 12)) > 0.45).astype(float)
        syll = lp(syll, 12)  # soften the on/off syllables
        talk = slow_env(rng, n, 0.3) > 0.3  # people pause between sentences
        voice = source * syll * talk * rng.uniform(0.4, 1.0)
        angle = (rng.uniform(-0.9, 0.9) + 1) * np.pi / 4
        voices[:, 0] += voice * np.cos(angle)
        voices[:, 1] += voice * np.sin(angle)
    formants = bp(voices, 500, 900) * 1.0 + bp(voices, 1100, 1800) * 0.6 + bp(voices, 2300, 3200) * 0.25
    out = unit_rms(formants) + unit_rms(stereo_pair(lambda: bp(pink(rng, n), 200, 3000), 0.8)) * 0.4
    for _ in range(6):  # crates, cutlery
        m = samples(0.15)
        clatter = bp(impulses(rng, m, 200, 1.0), 1500, 6000)
        place(out, rng.random() * total, unit_rms(clatter) * 0.3, position=rng.uniform(-0.8, 0.8))
    return out


def amb_train_interior(rng, n):
    total = n / SR
    out = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 120), 0.4)) * 1.0
    out += unit_rms(stereo_pair(lambda: bp(pink(rng, n), 200, 900), 0.6)) * 0.35
    m = samples(0.08)
    clack = lp(white(rng, m), 700) * env_ar(m, 0.001, 0.015)
    t = rng.random() * 0.5
    while t < total:  # rail joints: a bogie pair, then the next carriage's pair
        for dt in (0.0, 0.12, 0.62, 0.74):
            place(out, t + dt, clack, 1.2 + 0.3 * rng.random())
        t += 1.85
    squeal = sine(3100 * (1 + 0.02 * slow_env(rng, n, 1)), n) * slow_env(rng, n, 0.2) ** 6
    return out + pan(squeal, 0.4) * 0.02


def amb_space_station(rng, n):
    total = n / SR
    drones = sum(sine(f, n) * g for f, g in ((55.0, 1.0), (110.4, 0.6), (165.2, 0.3), (220.9, 0.2)))
    drones *= 0.8 + 0.2 * slow_env(rng, n, 0.1)
    out = pan(drones, 0.0) * 0.5 + unit_rms(stereo_pair(lambda: bp(pink(rng, n), 60, 400), 0.6)) * 0.5
    out += unit_rms(stereo_pair(lambda: bp(white(rng, n), 3000, 6000), 0.7)) * 0.03
    for _ in range(4):
        m = samples(0.3)
        beep = np.concatenate([sine(1175, m // 2), sine(1568, m - m // 2)]) * env_asr(m, 0.005, 0.02)
        place(out, rng.random() * (total - 1), beep, 0.06, rng.uniform(-0.6, 0.6))
    return out


def amb_underwater(rng, n):
    total = n / SR
    out = unit_rms(stereo_pair(lambda: lp(brown(rng, n), 350), 0.6)) * (0.7 + 0.3 * slow_env(rng, n, 0.2))[:, None]
    for _ in range(40):  # bubbles: short upward sine chirps
        m = samples(rng.uniform(0.02, 0.06))
        f = np.linspace(rng.uniform(300, 700), rng.uniform(900, 1600), m)
        place(out, rng.random() * total, sine(f, m) * env_asr(m, 0.003, 0.01), rng.uniform(0.05, 0.2), rng.uniform(-0.8, 0.8))
    return out


# --- music ---------------------------------------------------------------------------------

_DEGREES = {"i": 0, "ii": 2, "iii": 4, "iv": 5, "v": 7, "vi": 9, "vii": 11}
_NOTE_NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
MAJOR = [0, 2, 4, 5, 7, 9, 11]
MINOR = [0, 2, 3, 5, 7, 8, 10]


def chord_tones(numeral: str) -> list[int]:
    """Roman numeral ('bVI', 'iv', 'V7', 'iidim', 'Isus') -> semitones above the key root."""
    s = numeral
    flat = s.startswith("b")
    s = s.lstrip("b")
    suffix = ""
    for suf in ("dim", "sus", "7"):
        if s.endswith(suf):
            suffix, s = suf, s[: -len(suf)]
            break
    root = _DEGREES[s.lower()] - (1 if flat else 0)
    third = 4 if s.isupper() else 3
    if suffix == "dim":
        tones = [0, 3, 6]
    elif suffix == "sus":
        tones = [0, 5, 7]
    else:
        tones = [0, third, 7]
    if suffix == "7":
        tones.append(10)  # dominant and minor sevenths both add the flat seventh
    return [root + x for x in tones]


@functools.lru_cache(maxsize=4096)
def _note(inst: str, midi: int, dur: float, vel: float) -> np.ndarray:
    """One rendered note (mono), cached: melodies and arpeggios repeat notes a lot."""
    f = midi_hz(midi)
    if inst == "piano":
        m = samples(min(dur + 0.4, 2.5))
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * f * k * (1 + 0.0004 * k * k) * t) * np.exp(-t * (1.2 + 1.5 * k)) / k for k in range(1, 7))
        x *= np.minimum(1, t / 0.003) * env_asr(m, 0.0, min(0.3, dur))
    elif inst == "pluck":
        m = samples(min(dur + 0.2, 0.9))
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * f * k * t) * np.exp(-t * (6 + 4 * k)) / k for k in range(1, 5))
        x *= np.minimum(1, t / 0.002)
    elif inst == "bell":
        m = samples(min(dur + 1.5, 3.0))
        t = t_axis(m)
        index = 3.0 * np.exp(-t * 3)
        x = np.sin(2 * np.pi * f * t + index * np.sin(2 * np.pi * f * 3.5 * t)) * np.exp(-t * 1.6)
        x *= np.minimum(1, t / 0.002)
    elif inst == "bass":
        m = samples(dur + 0.1)
        t = t_axis(m)
        x = np.sin(2 * np.pi * f * t) + 0.35 * np.sin(4 * np.pi * f * t) + 0.12 * np.sin(6 * np.pi * f * t)
        x *= env_asr(m, 0.005, 0.08) * np.exp(-t * 0.8)
    elif inst == "lead":
        m = samples(dur + 0.1)
        t = t_axis(m)
        vib = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * t) * np.minimum(1, t / 0.3)
        phase = 2 * np.pi * f * np.cumsum(vib) / SR
        x = sum(np.sin(k * phase) / k for k in (1, 3, 5, 7))
        x *= env_asr(m, 0.02, 0.08)
    elif inst == "brass":
        m = samples(dur + 0.15)
        t = t_axis(m)
        e = env_asr(m, 0.06, 0.12)
        phase = 2 * np.pi * f * t
        # brightness follows the envelope, as in a real brass attack
        x = sum(np.sin(k * phase) * (e ** (0.5 * k)) / k for k in range(1, 9)) * e
    elif inst == "strings":
        m = samples(dur + 0.3)
        t = t_axis(m)
        vib = 1 + 0.004 * np.sin(2 * np.pi * 5.0 * t)
        phase = np.cumsum(f * vib) / SR
        x = lp(2 * (phase % 1.0) - 1 + 2 * ((phase * 1.003) % 1.0) - 1, 2600)
        x *= env_asr(m, min(0.35, dur / 2), 0.3)
    elif inst == "pad":
        m = samples(dur + 0.8)
        t = t_axis(m)
        x = lp(saw(f * 0.997, m) + saw(f * 1.003, m), 1400)
        x *= env_asr(m, min(0.9, dur / 2), 0.8)
    else:
        raise ValueError(f"unknown instrument {inst!r}")
    return (x * vel).astype(np.float64)


@functools.lru_cache(maxsize=64)
def _drum(kind: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "kick":
        m = samples(0.45)
        t = t_axis(m)
        f = 45 + 110 * np.exp(-t * 28)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * 7) + lp(white(rng, m), 3000) * np.exp(-t * 120) * 0.3
    elif kind == "snare":
        m = samples(0.3)
        t = t_axis(m)
        x = bp(white(rng, m), 1200, 7000) * np.exp(-t * 18) * 0.8 + np.sin(2 * np.pi * 185 * t) * np.exp(-t * 25) * 0.6
    elif kind == "hat":
        m = samples(0.08)
        x = hp(white(rng, m), 7000) * np.exp(-t_axis(m) * 60) * 0.5
    elif kind == "tom":
        m = samples(0.6)
        t = t_axis(m)
        f = 70 + 40 * np.exp(-t * 10)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t * 5) + lp(white(rng, m), 1500) * np.exp(-t * 40) * 0.3
    elif kind == "timpani":
        m = samples(1.6)
        t = t_axis(m)
        x = sum(np.sin(2 * np.pi * 98 * r * t) * np.exp(-t * (2.5 + k)) for k, r in enumerate((1.0, 1.5, 1.98, 2.44)))
        x = x + lp(white(rng, m), 800) * np.exp(-t * 30) * 0.4
    elif kind == "shaker":
        m = samples(0.1)
        x = bp(white(rng, m), 4000, 10000) * env_asr(m, 0.02, 0.06) * 0.4
    elif kind == "tick":
        m = samples(0.03)
        x = bp(white(rng, m), 2500, 6000) * np.exp(-t_axis(m) * 200) * 0.6
    else:
        raise ValueError(f"unknown drum {kind!r}")
    return x


# Drum patterns: per 16th step in a 4/4 bar (16 steps) or 3/4 (12 steps): list of (drum, steps, gain)
DRUM_PATTERNS: dict[str, list[tuple[str, tuple[int, ...], float]]] = {
    "rock": [("kick", (0, 8), 1.0), ("snare", (4, 12), 0.8), ("hat", (0, 2, 4, 6, 8, 10, 12, 14), 0.5)],
    "drive": [("kick", (0, 4, 8, 12), 1.0), ("snare", (4, 12), 0.85), ("hat", tuple(range(16)), 0.35)],
    "march": [("snare", (0, 2, 4, 6, 8, 10, 12, 13, 14, 15), 0.5), ("kick", (0, 8), 0.9), ("timpani", (0,), 0.6)],
    "epic": [("tom", (0, 3, 6, 8, 10, 11, 14), 0.9), ("kick", (0, 8), 1.0), ("snare", (12,), 0.7), ("timpani", (0,), 0.7)],
    "light": [("shaker", (0, 2, 4, 6, 8, 10, 12, 14), 0.6), ("hat", (4, 12), 0.4)],
    "tick": [("tick", (0, 4, 8, 12), 0.8)],
    "waltz": [("kick", (0,), 0.6), ("hat", (4, 8), 0.4)],
    "brush": [("snare", (4, 12), 0.25), ("shaker", (0, 3, 4, 6, 8, 11, 12, 14), 0.35), ("kick", (0, 10), 0.5)],
}


@dataclass
class Cue:
    name: str
    moods: list[str]
    emotions: list[str]
    root: int  # pitch class, 0 = C
    mode: str  # "major" / "minor"
    bpm: float
    progression: list[str]
    instruments: list[str]  # roles: pad, strings, arp:<inst>, melody:<inst>, bass, drums:<pattern>, drone
    target_s: float = 30.0
    beats_per_bar: int = 4
    bars_per_chord: int = 1
    words: list[str] = field(default_factory=list)  # extra descriptive tags

    @property
    def key(self) -> str:
        return f"{_NOTE_NAMES[self.root]} {self.mode}"


def render_cue(cue: Cue, rng: np.random.Generator) -> np.ndarray:
    beat = 60.0 / cue.bpm
    bar = beat * cue.beats_per_bar
    chord_s = bar * cue.bars_per_chord
    cycle_s = chord_s * len(cue.progression)
    cycles = max(1, round((cue.target_s - bar) / cycle_s))
    while cycle_s * cycles + bar + 2.5 < 20.0:  # library cues run at least 20 s
        cycles += 1
    chords = cue.progression * cycles + [cue.progression[0]]  # resolve home at the end
    body_s = chord_s * (len(chords) - 1) + bar
    n = samples(body_s + 2.5)
    out = np.zeros((n, 2))
    scale = MAJOR if cue.mode == "major" else MINOR
    base = 48 + cue.root  # C3 + root
    last_melody = base + 24
    for ci, numeral in enumerate(chords):
        final = ci == len(chords) - 1
        start = ci * chord_s
        span = bar if final else chord_s
        tones = chord_tones(numeral)
        for role in cue.instruments:
            kind, _, inst = role.partition(":")
            if kind == "pad":
                for k, tone in enumerate(tones):
                    place(out, start, _note("pad", base + 12 + tone, round(span + (1.5 if final else 0), 3), 0.22), position=-0.4 + 0.4 * k)
            elif kind == "strings":
                for k, tone in enumerate(tones):
                    place(out, start, _note("strings", base + 12 + tone + (12 if k == 2 else 0), round(span + (1.5 if final else 0), 3), 0.16), position=-0.6 + 0.6 * k)
            elif kind == "drone":
                place(out, start, _note("pad", base - 12 + tones[0], round(span, 3), 0.3), position=0.0)
                place(out, start, _note("pad", base + 6 + tones[0], round(span, 3), 0.08), position=0.5)  # the tritone unsettles
            elif kind == "bass":
                step = beat if cue.bpm < 110 else beat / 2
                if cue.bpm < 80:
                    step = bar / 2
                for j in range(int(round(span / step))):
                    tone = tones[0] if j % 4 != 3 else tones[2] - 12
                    place(out, start + j * step, _note("bass", base - 12 + tone, round(step * 0.9, 3), 0.5), position=0.0)
                    if final:
                        break
            elif kind == "arp":
                step = beat / 2
                pattern = [0, 1, 2, 1] if cue.beats_per_bar == 4 else [0, 1, 2]
                for j in range(int(round(span / step))):
                    tone = tones[pattern[j % len(pattern)]] + (12 if (j // len(pattern)) % 2 else 0)
                    place(out, start + j * step, _note(inst, base + 12 + tone, round(step * 1.5, 3), 0.18), position=0.35)
                    if final:
                        break
            elif kind == "melody":
                step = beat if cue.bpm < 140 else beat * 2
                count = int(round(span / step))
                for j in range(count):
                    if final and j > 0:
                        break
                    if j % 2 == 0 or final:  # strong beats: a chord tone near the last note
                        options = [base + 24 + tone + octave for tone in tones for octave in (-12, 0, 12)]
                    else:  # weak beats: a scale step
                        options = [last_melody + d for d in (-2, -1, 1, 2) if (last_melody + d - base) % 12 in scale]
                    options = [o for o in options if base + 17 <= o <= base + 43] or [base + 24 + tones[0]]
                    weights = np.array([1.0 / (1 + abs(o - last_melody)) for o in options])
                    note = int(rng.choice(options, p=weights / weights.sum()))
                    if rng.random() < 0.18 and not final:
                        continue  # a rest lets the line breathe
                    length = step * (2 if rng.random() < 0.25 else 1)
                    if final:
                        length = bar
                    place(out, start + j * step, _note(inst, note, round(length * 0.95, 3), 0.28), position=-0.15)
                    last_melody = note
            elif kind == "drums":
                if final:
                    place(out, start, _drum("kick", 1), 0.45)
                    continue
                steps_per_bar = 4 * cue.beats_per_bar
                sixteenth = beat / 4
                for b in range(cue.bars_per_chord):
                    for drum, steps, gain in DRUM_PATTERNS[inst]:
                        for s in steps:
                            if s >= steps_per_bar:
                                continue
                            jitter = (rng.random() - 0.5) * 0.006
                            place(out, start + b * bar + s * sixteenth + jitter, _drum(drum, 1 + s % 3), gain * 0.5 * (0.85 + 0.15 * rng.random()),
                                  position={"hat": 0.3, "shaker": -0.3, "tom": -0.2}.get(drum, 0.0))
            else:
                raise ValueError(f"cue {cue.name}: unknown role {role!r}")
    out = reverb(out, rng, 2.2 if cue.bpm < 100 else 1.4, 0.3)
    out = hp(out, 30)
    fade = samples(0.05)
    out[:fade] *= np.linspace(0, 1, fade)[:, None]
    tail = samples(2.0)
    out[-tail:] *= np.linspace(1, 0, tail)[:, None] ** 2
    return out


CUES: list[Cue] = [
    Cue("tense-pulse", ["tense", "suspense", "thriller"], ["fear", "anxiety", "tension"], 2, "minor", 100,
        ["i", "bVI", "i", "bVII"], ["drone", "strings", "bass", "drums:tick"], 24, words=["ostinato", "pulsing", "dark"]),
    Cue("tender-piano", ["tender", "gentle", "intimate"], ["love", "warmth", "tenderness"], 5, "major", 68,
        ["I", "vi", "IV", "V"], ["pad", "arp:piano", "melody:piano"], 24, words=["soft", "piano", "lullaby"]),
    Cue("triumphant-brass", ["triumphant", "victorious", "heroic"], ["pride", "joy", "triumph"], 0, "major", 112,
        ["I", "IV", "V", "I"], ["strings", "melody:brass", "bass", "drums:march"], 24, words=["fanfare", "brass", "march", "victory"]),
    Cue("melancholic-strings", ["melancholic", "sad", "sorrowful"], ["sadness", "grief", "loss"], 9, "minor", 64,
        ["i", "iv", "bVI", "V"], ["strings", "melody:piano", "bass"], 26, words=["elegy", "strings", "slow", "rain"]),
    Cue("mysterious-celesta", ["mysterious", "curious", "enigmatic"], ["curiosity", "wonder", "unease"], 4, "minor", 76,
        ["i", "bVI", "iv", "V"], ["pad", "arp:bell", "bass"], 24, words=["celesta", "night", "secret", "magic"]),
    Cue("playful-pizzicato", ["playful", "comic", "light"], ["amusement", "mischief", "joy"], 7, "major", 132,
        ["I", "V", "vi", "IV"], ["arp:pluck", "melody:pluck", "bass", "drums:light"], 22, words=["pizzicato", "bouncy", "quirky", "comedy"]),
    Cue("epic-battle", ["epic", "heroic", "powerful"], ["courage", "excitement", "determination"], 2, "minor", 140,
        ["i", "bVI", "bIII", "bVII"], ["strings", "melody:brass", "bass", "drums:epic"], 26, words=["war", "battle", "taiko", "orchestral"]),
    Cue("hopeful-rise", ["hopeful", "uplifting", "optimistic"], ["hope", "relief", "anticipation"], 2, "major", 96,
        ["IV", "I", "V", "vi"], ["pad", "arp:piano", "melody:strings", "bass", "drums:light"], 24, words=["dawn", "new beginning", "rising"]),
    Cue("eerie-drone", ["eerie", "haunting", "creepy"], ["dread", "fear", "unease"], 11, "minor", 60,
        ["i", "bII", "i", "iidim"], ["drone", "arp:bell"], 24, words=["horror", "ghost", "dissonant", "drone"]),
    Cue("romantic-waltz", ["romantic", "elegant", "wistful"], ["love", "longing", "nostalgia"], 3, "major", 84,
        ["I", "vi", "ii", "V"], ["strings", "arp:piano", "melody:lead", "bass", "drums:waltz"], 24, beats_per_bar=3,
        words=["waltz", "dance", "ballroom", "strings"]),
    Cue("action-drive", ["action", "driving", "urgent"], ["excitement", "urgency", "adrenaline"], 4, "minor", 150,
        ["i", "bVII", "bVI", "bVII"], ["melody:lead", "bass", "arp:pluck", "drums:drive"], 24, words=["chase", "fight", "synth", "energy"]),
    Cue("calm-ambient", ["calm", "peaceful", "serene"], ["peace", "contentment", "serenity"], 0, "major", 70,
        ["I", "IV", "vi", "IV"], ["pad", "melody:bell"], 26, words=["ambient", "meditative", "still", "morning"]),
    Cue("tense-low-strings", ["tense", "ominous", "menacing"], ["dread", "suspicion", "tension"], 1, "minor", 84,
        ["i", "bII", "i", "V"], ["strings", "bass", "drone", "drums:tick"], 24, words=["low strings", "stalking", "danger"]),
    Cue("sad-solo-piano", ["sad", "lonely", "reflective"], ["grief", "loneliness", "regret"], 0, "minor", 60,
        ["i", "bVI", "bIII", "bVII"], ["arp:piano", "melody:piano"], 26, words=["solo piano", "memory", "farewell"]),
    Cue("joyful-folk", ["joyful", "cheerful", "festive"], ["joy", "happiness", "celebration"], 9, "major", 120,
        ["I", "IV", "I", "V"], ["arp:pluck", "melody:lead", "bass", "drums:rock"], 24, words=["folk", "village", "dance", "celebration"]),
    Cue("suspense-ticking", ["suspense", "tense", "investigative"], ["anticipation", "anxiety", "focus"], 5, "minor", 90,
        ["i", "i", "bVI", "V"], ["drone", "arp:pluck", "drums:tick"], 24, words=["clock", "countdown", "detective"]),
    Cue("noir-night", ["noir", "moody", "smoky"], ["melancholy", "cynicism", "intrigue"], 7, "minor", 88,
        ["i7", "iv7", "bVII7", "bIII7"], ["pad", "melody:lead", "bass", "drums:brush"], 24, words=["jazz", "detective", "city night", "brushes"]),
    Cue("heroic-theme", ["heroic", "noble", "adventurous"], ["courage", "pride", "determination"], 10, "major", 104,
        ["I", "V", "vi", "IV"], ["strings", "melody:brass", "bass", "drums:rock"], 24, words=["adventure", "journey", "orchestral"]),
    Cue("dreamy-bells", ["dreamy", "magical", "wonder"], ["wonder", "awe", "innocence"], 6, "major", 72,
        ["I", "iii", "IV", "iv"], ["pad", "arp:bell", "melody:bell"], 24, words=["fairy tale", "sparkle", "sleep", "fantasy"]),
    Cue("chase-pursuit", ["chase", "frantic", "action"], ["panic", "excitement", "urgency"], 9, "minor", 160,
        ["i", "bVI", "bVII", "i"], ["strings", "bass", "arp:pluck", "drums:drive"], 22, words=["pursuit", "running", "escape"]),
    Cue("nostalgic-memory", ["nostalgic", "bittersweet", "warm"], ["nostalgia", "longing", "warmth"], 7, "major", 80,
        ["I", "iii", "vi", "IV"], ["strings", "arp:piano", "melody:piano", "bass"], 24, words=["memory", "childhood", "home"]),
    Cue("dark-ominous", ["dark", "ominous", "foreboding"], ["dread", "menace", "doom"], 2, "minor", 66,
        ["i", "bII", "bVI", "V"], ["drone", "melody:brass", "drums:march"], 24, words=["villain", "threat", "low brass", "timpani"]),
    Cue("whimsical-celesta", ["whimsical", "playful", "curious"], ["delight", "curiosity", "mischief"], 4, "major", 116,
        ["I", "vi", "ii", "V"], ["arp:bell", "melody:pluck", "bass", "drums:light"], 22, words=["fairy tale", "toy", "children"]),
    Cue("uplifting-finale", ["uplifting", "triumphant", "euphoric"], ["joy", "triumph", "relief"], 0, "major", 124,
        ["I", "V", "vi", "IV"], ["strings", "arp:piano", "melody:brass", "bass", "drums:rock"], 24, words=["finale", "ending", "celebration"]),
]


# --- foley ---------------------------------------------------------------------------------

def _step(rng, surface: str) -> np.ndarray:
    m = samples(0.25)
    t = t_axis(m)
    if surface == "gravel":
        crunch = bp(impulses(rng, m, 2500, 1.5), 1200, 7000) * env_ar(m, 0.01, 0.06)
        thud = lp(white(rng, m), 250) * env_ar(m, 0.005, 0.03)
        return unit_rms(crunch) + unit_rms(thud) * 0.4
    if surface == "wood":
        body = sum(np.sin(2 * np.pi * f * t) * np.exp(-t * d) for f, d in ((140, 30), (310, 45), (520, 60)))
        return body + bp(white(rng, m), 1500, 5000) * np.exp(-t * 150) * 0.6
    if surface == "concrete":
        click = bp(white(rng, m), 1800, 8000) * np.exp(-t * 90)
        return click + lp(white(rng, m), 300) * np.exp(-t * 60) * 0.5
    raise ValueError(surface)


def _steps(rng, surface: str, count: int, interval: float) -> np.ndarray:
    out = np.zeros(samples(interval * count + 0.3))
    for k in range(count):
        place(out, k * interval + rng.uniform(-0.02, 0.02) + 0.01, _step(rng, surface), rng.uniform(0.7, 1.0))
    return out


def _stick_slip(rng, seconds: float, rate_from: float, rate_to: float, resonances: tuple[float, ...]) -> np.ndarray:
    """Creaks: a pulse train whose rate wanders, through wooden resonances."""
    m = samples(seconds)
    rate = np.linspace(rate_from, rate_to, m) * (1 + 0.25 * (slow_env(rng, m, 12) - 0.5))
    phase = np.cumsum(rate) / SR
    pulses = np.diff(np.floor(phase), prepend=0.0) * (0.6 + 0.4 * rng.random(m))
    out = sum(bp(pulses, f * 0.9, f * 1.1) for f in resonances)
    return out * env_asr(m, 0.05, 0.1)


def fol_footsteps_gravel(rng):
    return _steps(rng, "gravel", 4, 0.55)


def fol_footsteps_wood(rng):
    return _steps(rng, "wood", 4, 0.6)


def fol_footsteps_concrete(rng):
    return _steps(rng, "concrete", 4, 0.5)


def fol_footsteps_running(rng):
    return _steps(rng, "concrete", 6, 0.3)


def fol_door_open(rng):
    creak = _stick_slip(rng, 1.4, 35, 70, (420, 900, 1700))
    latch = bp(white(rng, samples(0.05)), 1500, 6000) * env_ar(samples(0.05), 0.001, 0.01)
    out = np.zeros(samples(1.6))
    place(out, 0.0, latch, 3.0)
    place(out, 0.08, creak, 1.0)
    return out


def fol_door_close(rng):
    m = samples(0.9)
    t = t_axis(m)
    slam = lp(white(rng, m), 400) * np.exp(-t * 18) + np.sin(2 * np.pi * 85 * t) * np.exp(-t * 12)
    latch = bp(white(rng, m), 2000, 7000) * np.exp(-np.maximum(t - 0.03, 0) * 120) * (t > 0.03)
    return slam + latch * 0.6


def fol_knock(rng):
    out = np.zeros(samples(1.2))
    for k, when in enumerate((0.0, 0.22, 0.44)):
        m = samples(0.3)
        t = t_axis(m)
        knock = sum(np.sin(2 * np.pi * f * t) * np.exp(-t * d) for f, d in ((190, 35), (420, 50), (780, 80)))
        knock += bp(white(rng, m), 1000, 4000) * np.exp(-t * 200) * 0.5
        place(out, when + 0.01, knock, 1.0 - 0.1 * k)
    return out


def fol_cloth_rustle(rng):
    m = samples(1.2)
    return bp(white(rng, m), 1000, 6000) * slow_env(rng, m, 10) ** 3 * env_asr(m, 0.1, 0.2)


def fol_page_turn(rng):
    m = samples(0.8)
    sweep = bp(white(rng, m), 2000, 9000) * env_asr(m, 0.25, 0.2) * (0.5 + slow_env(rng, m, 15))
    crinkle = bp(impulses(rng, m, 60, 1.5), 3000, 8000)
    return sweep + unit_rms(crinkle) * 0.1 * env_asr(m, 0.2, 0.3)


def fol_glass_clink(rng):
    m = samples(1.5)
    t = t_axis(m)
    partials = ((2350, 4.0), (3410, 5.0), (5270, 7.0), (6900, 9.0))
    return sum(np.sin(2 * np.pi * f * t) * np.exp(-t * d) for f, d in partials) * np.minimum(1, t / 0.0005)


def fol_keys_jingle(rng):
    out = np.zeros(samples(1.3))
    for _ in range(24):
        m = samples(0.25)
        t = t_axis(m)
        f = rng.uniform(3000, 8000)
        ting = (np.sin(2 * np.pi * f * t) + 0.5 * np.sin(2 * np.pi * f * 1.47 * t)) * np.exp(-t * rng.uniform(20, 40))
        place(out, rng.uniform(0.0, 1.0), ting, rng.uniform(0.2, 0.6))
    return out


def fol_chair_creak(rng):
    return _stick_slip(rng, 1.1, 60, 25, (250, 600, 1300))


def fol_water_pour(rng):
    m = samples(2.5)
    stream = bp(white(rng, m), 400, 3000) * env_asr(m, 0.15, 0.3) * 0.4
    out = stream.copy()
    for k in range(60):  # bubbles rise in pitch as the glass fills
        bm = samples(0.04)
        base = 300 + 900 * (k / 60)
        f = np.linspace(base, base * 1.6, bm)
        place(out, 0.1 + 2.2 * k / 60 + rng.uniform(-0.03, 0.03), sine(f, bm) * env_asr(bm, 0.004, 0.015), rng.uniform(0.2, 0.5))
    return out


def fol_sword_scrape(rng):
    m = samples(1.6)
    t = t_axis(m)
    scrape = bp(white(rng, m), 2500, 9000) * env_asr(m, 0.05, 0.4) * (0.6 + 0.4 * slow_env(rng, m, 20))
    ring = sum(np.sin(2 * np.pi * f * t) * np.exp(-t * 2.2) for f in (2870, 4310, 6020)) * 0.25
    return scrape + ring * env_asr(m, 0.3, 0.3)


def fol_punch_impact(rng):
    m = samples(0.6)
    t = t_axis(m)
    thump = np.sin(2 * np.pi * np.cumsum(70 + 60 * np.exp(-t * 30)) / SR) * np.exp(-t * 14)
    slap = bp(white(rng, m), 800, 5000) * np.exp(-t * 90)
    return thump + slap * 0.7


def fol_body_fall(rng):
    m = samples(1.2)
    t = t_axis(m)
    hit = lp(white(rng, m), 300) * np.exp(-t * 10) + np.sin(2 * np.pi * 60 * t) * np.exp(-t * 9)
    rustle = bp(white(rng, m), 1000, 5000) * np.exp(-np.maximum(t - 0.05, 0) * 6) * 0.2
    return hit + rustle


# --- sfx -----------------------------------------------------------------------------------

def sfx_whoosh(rng):
    m = samples(1.2)
    t = t_axis(m)
    x = white(rng, m)
    centre = 400 + 3000 * np.sin(np.pi * t / t[-1]) ** 2
    # a moving band: blend of fixed bands weighted by distance to the moving centre
    bands = [(200, 500), (500, 1200), (1200, 2500), (2500, 5000)]
    out = np.zeros(m)
    for lo, hi in bands:
        mid = math.sqrt(lo * hi)
        w = np.exp(-((np.log(centre / mid)) ** 2) / 0.5)
        out += bp(x, lo, hi) * w
    return out * np.sin(np.pi * t / t[-1]) ** 2


def sfx_impact_boom(rng):
    m = samples(3.0)
    t = t_axis(m)
    sub = np.sin(2 * np.pi * np.cumsum(35 + 80 * np.exp(-t * 8)) / SR) * np.exp(-t * 1.5)
    crack = bp(white(rng, m), 300, 6000) * np.exp(-t * 25)
    return sub + crack * 0.8 + lp(brown(rng, m), 200) * np.exp(-t * 2.5) * 0.3


def sfx_thunder_crack(rng):
    m = samples(6.0)
    t = t_axis(m)
    crack = hp(white(rng, m), 800) * np.exp(-t * 12) * (1 + (rng.random(m) < 0.002) * 4)
    rumble = lp(brown(rng, m), 180, 4) * env_ar(m, 0.25, 1.6) * (0.5 + 0.5 * slow_env(rng, m, 4))
    return unit_rms(crack) * 0.5 * np.exp(-t * 2) + unit_rms(rumble)


def sfx_explosion(rng):
    m = samples(4.5)
    t = t_axis(m)
    blast = lp(white(rng, m), 1200) * np.exp(-t * 3) + lp(brown(rng, m), 150) * np.exp(-t * 1.2) * 0.8
    debris = hp(impulses(rng, m, 40, 2.0), 1500) * np.exp(-t * 1.3) * 3
    return blast + signal.fftconvolve(debris, env_ar(samples(0.01), 0.0005, 0.002))[:m]


def sfx_car_pass_by(rng):
    """Engine harmonics with Doppler shift and distance loudness as the car passes at 20 m/s."""
    m = samples(5.0)
    t = t_axis(m)
    speed, c, closest = 20.0, 343.0, 6.0
    x = speed * (t - 2.5)
    dist = np.sqrt(x**2 + closest**2)
    radial = speed * x / dist  # > 0: moving away
    f0 = 95.0 * c / (c + radial)
    phase = np.cumsum(f0) / SR
    engine = sum(np.sin(2 * np.pi * k * phase) / k for k in range(1, 7))
    tyres = bp(white(rng, m), 300, 3000) * 0.4
    return (engine + tyres) * (closest / dist) ** 1.2


def sfx_engine_rumble(rng):
    m = samples(4.0)
    rpm = 900 * (1 + 0.05 * slow_env(rng, m, 2))
    firing = rpm / 60 * 2  # four-stroke, four cylinders
    phase = np.cumsum(firing) / SR
    pulses = lp(2 * (phase % 1.0) - 1, 500) + 0.5 * lp(white(rng, m), 200)
    return pulses * env_asr(m, 0.3, 0.5)


def sfx_bell(rng):
    m = samples(6.0)
    t = t_axis(m)
    fund = 220.0
    partials = ((0.5, 0.8, 0.6), (1.0, 1.0, 0.9), (1.19, 0.6, 1.2), (1.5, 0.5, 1.5), (2.0, 0.4, 2.0), (2.5, 0.25, 2.6), (3.0, 0.2, 3.2))
    return sum(a * np.sin(2 * np.pi * fund * r * t) * np.exp(-t * d) for r, a, d in partials) * np.minimum(1, t / 0.002)


def sfx_phone_ring(rng):
    m = samples(6.0)
    t = t_axis(m)
    tone = np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)
    warble = 0.5 + 0.5 * np.sign(np.sin(2 * np.pi * 20 * t))
    cadence = ((t % 3.0) < 1.2).astype(float)  # ring 1.2 s, pause
    return lp(tone * warble, 3500) * lp(cadence, 50)


def sfx_heartbeat(rng):
    out = np.zeros(samples(5.0))
    m = samples(0.2)
    t = t_axis(m)
    thump = np.sin(2 * np.pi * np.cumsum(45 + 30 * np.exp(-t * 40)) / SR) * np.exp(-t * 25)
    beat = 60.0 / 68
    k = 0.0
    while k < 4.8:
        place(out, k, thump, 1.0)
        place(out, k + 0.28, thump, 0.7)
        k += beat
    return lp(out, 200)


def sfx_clock_ticking(rng):
    out = np.zeros(samples(6.0))
    for k in range(6):
        m = samples(0.03)
        tick = bp(white(rng, m), 2500 if k % 2 == 0 else 1800, 7000) * np.exp(-t_axis(m) * 250)
        place(out, k + 0.01, tick, 1.0)
    return out


def sfx_alarm(rng):
    m = samples(4.0)
    t = t_axis(m)
    beep = signal.square(2 * np.pi * 950 * t) * ((t % 0.5) < 0.25)
    return lp(beep, 5000) * 0.6


def sfx_siren(rng):
    m = samples(6.0)
    t = t_axis(m)
    f = 650 + 500 * (0.5 - 0.5 * np.cos(2 * np.pi * t / 3.0))
    phase = np.cumsum(f) / SR
    return lp(signal.sawtooth(2 * np.pi * phase), 2500) * env_asr(m, 0.3, 0.5)


def sfx_magic_shimmer(rng):
    m = samples(3.0)
    out = np.zeros(m)
    for _ in range(40):
        nm = samples(1.2)
        f0 = rng.uniform(1500, 6000)
        f = np.linspace(f0, f0 * rng.uniform(1.1, 1.5), nm)
        place(out, rng.uniform(0, 1.8), sine(f, nm) * env_ar(nm, 0.02, 0.3), rng.uniform(0.1, 0.3))
    return out * env_asr(m, 0.3, 0.8)


def sfx_gunshot(rng):
    m = samples(2.0)
    t = t_axis(m)
    crack = white(rng, m) * np.exp(-t * 80) + lp(white(rng, m), 500) * np.exp(-t * 20) * 0.7
    dry = crack
    echo = np.zeros(m)
    for delay, g in ((0.18, 0.35), (0.41, 0.2), (0.7, 0.1)):
        place(echo, delay, lp(dry, 2000), g)
    return dry + echo


def sfx_glass_shatter(rng):
    m = samples(2.0)
    t = t_axis(m)
    out = hp(white(rng, m), 3000) * np.exp(-t * 15) * 0.5
    for _ in range(30):
        nm = samples(0.4)
        f = rng.uniform(2500, 9000)
        place(out, rng.exponential(0.15), np.sin(2 * np.pi * f * t_axis(nm)) * np.exp(-t_axis(nm) * rng.uniform(10, 30)), rng.uniform(0.1, 0.4))
    return out


def sfx_riser(rng):
    m = samples(4.0)
    t = t_axis(m)
    f = 200 * 2 ** (3 * t / t[-1])
    tone = sum(np.sin(2 * np.pi * np.cumsum(f * k) / SR) / k for k in (1, 2, 3))
    noise = hp(white(rng, m), 1000) * (t / t[-1]) ** 2
    return (tone * 0.5 + noise * 0.4) * (t / t[-1]) ** 1.5


# --- catalogue -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    asset_id: str
    kind: str
    make: Callable
    description: str
    tags: tuple[str, ...]
    emotions: tuple[str, ...] = ()
    seconds: float = 0.0  # ambience length (loop length)


AMBIENCES: list[Entry] = [
    Entry("amb-wind", "ambience", amb_wind, "Gusting wind over open ground with a faint whistle",
          ("wind", "gusts", "exterior", "open", "hill", "moor", "cliff", "cold", "day", "night", "outdoor"), ("lonely", "bleak"), 21),
    Entry("amb-rain", "ambience", amb_rain, "Steady light rain with droplets and soft patter",
          ("rain", "drizzle", "wet", "exterior", "street", "window", "roof", "night", "day", "storm"), ("melancholy", "calm"), 21),
    Entry("amb-heavy-rain-thunder", "ambience", amb_heavy_rain_thunder, "Heavy downpour with distant rolling thunder",
          ("rain", "heavy rain", "thunder", "storm", "thunderstorm", "downpour", "night", "exterior"), ("tense", "dramatic"), 22),
    Entry("amb-ocean-surf", "ambience", amb_ocean_surf, "Ocean waves breaking on a beach, swell and foam",
          ("ocean", "sea", "surf", "waves", "beach", "shore", "coast", "exterior", "day"), ("calm", "vast"), 24),
    Entry("amb-harbour-gulls", "ambience", amb_harbour_gulls, "Harbour water lapping against hulls and quay, distant gulls, rigging clinks",
          ("harbour", "harbor", "port", "dock", "quay", "pier", "water", "lapping", "gulls", "seagulls", "boats", "night", "day", "sea"),
          ("calm", "lonely"), 22),
    Entry("amb-city-traffic", "ambience", amb_city_traffic, "City traffic hum with cars passing and a distant horn",
          ("city", "traffic", "street", "cars", "urban", "road", "downtown", "day", "exterior", "busy"), ("busy", "tense"), 22),
    Entry("amb-night-city", "ambience", amb_night_city, "Distant city at night, low rumble, far siren and dogs",
          ("city", "night", "urban", "distant", "siren", "alley", "rooftop", "street", "exterior", "quiet"), ("lonely", "uneasy"), 22),
    Entry("amb-forest-birds", "ambience", amb_forest_birds, "Forest with birdsong and leaves in a light breeze",
          ("forest", "woods", "birds", "birdsong", "trees", "nature", "park", "garden", "day", "morning", "dawn", "exterior"),
          ("peaceful", "hopeful"), 22),
    Entry("amb-night-crickets", "ambience", amb_night_crickets, "Night field with crickets and distant frogs",
          ("night", "crickets", "insects", "field", "countryside", "summer", "garden", "frogs", "exterior", "dusk"), ("calm", "mysterious"), 21),
    Entry("amb-room-tone", "ambience", amb_room_tone, "Quiet room tone with faint mains hum",
          ("room", "room tone", "interior", "quiet", "bedroom", "apartment", "house", "home", "silence", "night", "day"), ("still", "tense"), 20),
    Entry("amb-office-hum", "ambience", amb_office_hum, "Office with air conditioning hum, fluorescent buzz and typing",
          ("office", "interior", "hum", "air conditioning", "computers", "typing", "workplace", "lab", "hospital", "day"), ("mundane",), 21),
    Entry("amb-fire-crackle", "ambience", amb_fire_crackle, "Crackling fire with low roar and popping embers",
          ("fire", "campfire", "fireplace", "hearth", "crackle", "embers", "cabin", "camp", "night", "warm", "interior"), ("cosy", "warm"), 21),
    Entry("amb-cave-drip", "ambience", amb_cave_drip, "Reverberant cave with water drips and low moan",
          ("cave", "cavern", "drip", "underground", "tunnel", "dungeon", "cellar", "sewer", "echo", "dark", "interior"), ("eerie", "mysterious"), 22),
    Entry("amb-market-crowd", "ambience", amb_market_crowd, "Busy market crowd murmur with clatter of crates",
          ("market", "crowd", "murmur", "people", "bazaar", "square", "festival", "restaurant", "cafe", "station", "busy", "day"),
          ("lively", "busy"), 22),
    Entry("amb-desert-wind", "ambience", amb_desert_wind, "Dry desert wind with blowing sand and whistle",
          ("desert", "wind", "sand", "dunes", "dry", "hot", "wasteland", "canyon", "exterior", "day"), ("lonely", "harsh"), 21),
    Entry("amb-train-interior", "ambience", amb_train_interior, "Inside a moving train: low rumble and rhythmic rail clacks",
          ("train", "railway", "carriage", "interior", "travel", "journey", "rumble", "rails", "subway", "day", "night"), ("restless",), 21),
    Entry("amb-space-station", "ambience", amb_space_station, "Space station hum: machinery drones, air handling, console beeps",
          ("space", "spaceship", "space station", "sci-fi", "machinery", "hum", "engine room", "control room", "interior", "future"),
          ("isolated", "tense"), 21),
    Entry("amb-underwater", "ambience", amb_underwater, "Muffled underwater pressure with rising bubbles",
          ("underwater", "ocean", "diving", "submarine", "bubbles", "deep", "lake", "sea"), ("dreamlike", "isolated"), 20),
]

FOLEY: list[Entry] = [
    Entry("fol-footsteps-gravel", "foley", fol_footsteps_gravel, "Footsteps walking on gravel", ("footsteps", "walk", "steps", "gravel", "path", "exterior")),
    Entry("fol-footsteps-wood", "foley", fol_footsteps_wood, "Footsteps on wooden floorboards", ("footsteps", "walk", "steps", "wood", "floor", "deck", "pier", "interior")),
    Entry("fol-footsteps-concrete", "foley", fol_footsteps_concrete, "Footsteps on concrete pavement", ("footsteps", "walk", "steps", "concrete", "pavement", "street", "corridor")),
    Entry("fol-footsteps-running", "foley", fol_footsteps_running, "Running footsteps on hard ground", ("footsteps", "run", "running", "sprint", "chase", "steps")),
    Entry("fol-door-open", "foley", fol_door_open, "Door latch and creaking door opening", ("door", "open", "creak", "latch", "enter", "hinge")),
    Entry("fol-door-close", "foley", fol_door_close, "Door closing with a thud and latch click", ("door", "close", "shut", "slam", "leave", "latch")),
    Entry("fol-knock", "foley", fol_knock, "Three knocks on a wooden door", ("knock", "door", "knocking", "wood", "visitor")),
    Entry("fol-cloth-rustle", "foley", fol_cloth_rustle, "Cloth rustle of clothing movement", ("cloth", "rustle", "clothes", "coat", "fabric", "movement", "turn", "sit")),
    Entry("fol-page-turn", "foley", fol_page_turn, "Paper page turn", ("paper", "page", "book", "letter", "read", "map", "turn")),
    Entry("fol-glass-clink", "foley", fol_glass_clink, "Glass clink, a toast", ("glass", "clink", "toast", "drink", "bottle", "bar", "cup")),
    Entry("fol-keys-jingle", "foley", fol_keys_jingle, "Bunch of keys jingling", ("keys", "jingle", "lock", "unlock", "metal", "pocket")),
    Entry("fol-chair-creak", "foley", fol_chair_creak, "Wooden chair creak", ("chair", "creak", "sit", "wood", "furniture", "lean")),
    Entry("fol-water-pour", "foley", fol_water_pour, "Water poured into a glass", ("water", "pour", "drink", "glass", "liquid", "splash", "tea")),
    Entry("fol-sword-scrape", "foley", fol_sword_scrape, "Metal blade scraping as a sword is drawn", ("sword", "blade", "metal", "scrape", "draw", "knife", "steel", "fight")),
    Entry("fol-punch-impact", "foley", fol_punch_impact, "Punch landing on a body", ("punch", "hit", "impact", "fight", "body", "blow", "strike")),
    Entry("fol-body-fall", "foley", fol_body_fall, "Body falling to the ground", ("fall", "body", "collapse", "drop", "ground", "thud", "fight")),
]

SFX: list[Entry] = [
    Entry("sfx-whoosh", "sfx", sfx_whoosh, "Fast whoosh past camera", ("whoosh", "swoosh", "swing", "fast", "transition", "fly", "throw")),
    Entry("sfx-impact-boom", "sfx", sfx_impact_boom, "Deep cinematic impact boom", ("impact", "boom", "hit", "trailer", "crash", "slam", "drop")),
    Entry("sfx-thunder-crack", "sfx", sfx_thunder_crack, "Close thunder crack with rolling rumble", ("thunder", "lightning", "storm", "crack", "rumble")),
    Entry("sfx-explosion", "sfx", sfx_explosion, "Explosion with debris", ("explosion", "explode", "blast", "bomb", "fire", "debris", "destroy")),
    Entry("sfx-car-pass-by", "sfx", sfx_car_pass_by, "Car passing by with Doppler shift", ("car", "vehicle", "pass", "drive", "traffic", "road", "doppler")),
    Entry("sfx-engine-rumble", "sfx", sfx_engine_rumble, "Idling engine rumble", ("engine", "motor", "idle", "car", "truck", "boat", "rumble", "start")),
    Entry("sfx-bell", "sfx", sfx_bell, "Church bell toll", ("bell", "church", "toll", "chime", "tower", "village")),
    Entry("sfx-phone-ring", "sfx", sfx_phone_ring, "Telephone ringing", ("phone", "telephone", "ring", "call", "ringing")),
    Entry("sfx-heartbeat", "sfx", sfx_heartbeat, "Heartbeat, lub-dub", ("heartbeat", "heart", "pulse", "fear", "tension", "breath")),
    Entry("sfx-clock-ticking", "sfx", sfx_clock_ticking, "Clock ticking tick-tock", ("clock", "tick", "ticking", "time", "watch", "wait")),
    Entry("sfx-alarm", "sfx", sfx_alarm, "Electronic alarm beeping", ("alarm", "beep", "warning", "alert", "buzzer", "emergency")),
    Entry("sfx-siren", "sfx", sfx_siren, "Police siren wail", ("siren", "police", "ambulance", "emergency", "wail")),
    Entry("sfx-magic-shimmer", "sfx", sfx_magic_shimmer, "Magic sparkle shimmer", ("magic", "shimmer", "sparkle", "spell", "fairy", "glow", "transform")),
    Entry("sfx-gunshot", "sfx", sfx_gunshot, "Gunshot-like crack with echoes", ("gunshot", "gun", "shot", "shoot", "fire", "crack", "pistol", "rifle")),
    Entry("sfx-glass-shatter", "sfx", sfx_glass_shatter, "Glass shattering", ("glass", "shatter", "break", "smash", "window", "crash")),
    Entry("sfx-riser", "sfx", sfx_riser, "Rising tension riser", ("riser", "rise", "build", "tension", "transition", "suspense")),
]


def _music_entry(cue: Cue) -> Entry:
    tempo_word = "slow" if cue.bpm < 80 else "moderate" if cue.bpm < 120 else "fast"
    instruments: list[str] = []
    for role in cue.instruments:
        kind, _, inst = role.partition(":")
        if kind == "drums":
            instruments += ["drums", "percussion"]
        else:
            instruments.append(inst or kind)
    instruments = list(dict.fromkeys(instruments))
    words = [*cue.moods, cue.key, cue.mode, f"{int(cue.bpm)} bpm", tempo_word, *instruments, *cue.words, "music", "score"]
    desc = f"{cue.moods[0].capitalize()} cue in {cue.key}, {int(cue.bpm)} bpm: {', '.join(instruments)}"
    return Entry(f"mus-{cue.name}", "music", cue, desc, tuple(dict.fromkeys(words)), tuple(cue.emotions))


MUSIC: list[Entry] = [_music_entry(c) for c in CUES]
CATALOGUE: list[Entry] = AMBIENCES + MUSIC + FOLEY + SFX


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
        raise ValueError(f"unknown built-in asset ids {unknown}: see audio_library.CATALOGUE")
    return _absolute([_build_one(i, str(out_dir)) for i in asset_ids], Path(out_dir))


def build_builtin_library(out_dir: Path, workers: int = 1) -> list[AudioAsset]:
    """Synthesise every catalogue entry into ``out_dir`` (idempotent; deterministic bytes).

    ``workers`` > 1 renders in that many spawned processes; each asset has its own seed, so the
    bytes do not depend on the order or the number of workers. Spawned workers re-import the
    caller's ``__main__``, so only ask for them from an importable entry point (pytest, Dagster,
    a script with an ``if __name__ == "__main__"`` guard); if the pool breaks, the build finishes
    in this process.
    """
    out_dir = Path(out_dir)
    existing = load_library(out_dir)
    if existing is not None:
        return existing
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = [e.asset_id for e in CATALOGUE]
    assets: list[AudioAsset] | None = None
    if workers > 1:
        # spawn, not fork: the caller may hold threads (torch, dagster) that fork would copy mid-lock
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
