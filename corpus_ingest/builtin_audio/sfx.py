"""Sound-effect recipes: whooshes, impacts, weather, vehicles, bells, alarms, magic, weapons, risers.

Each ``sfx_*(rng)`` returns a mono one-shot; the build high-passes, fades and peak-normalises it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import signal

from corpus_ingest.builtin_audio.dsp import (
    SR, bp, brown, env_ar, env_asr, hp, impulses, lp, place, samples, sine, slow_env, t_axis, unit_rms, white,
)


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
