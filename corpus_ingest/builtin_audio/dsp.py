"""Signal primitives of the built-in library: filters, noises, envelopes, panning, reverb, oscillators.

Everything runs at one sample rate, ``SR`` (48 kHz), the rate of every built-in file.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np
import scipy.fft as sfft
from scipy import signal

SR = 48000


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
