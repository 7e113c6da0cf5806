"""Foley recipes: footsteps, doors, knocks, cloth, paper, glass, keys, creaks, pours, fights.

Each ``fol_*(rng)`` returns a mono one-shot; the build high-passes, fades and peak-normalises it.
"""

from __future__ import annotations

import numpy as np

from corpus_ingest.builtin_audio.dsp import (
    SR, bp, env_ar, env_asr, impulses, lp, place, samples, sine, slow_env, t_axis, unit_rms, white,
)


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
