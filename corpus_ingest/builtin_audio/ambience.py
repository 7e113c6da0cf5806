"""Ambience recipes: looping beds (wind, rain, surf, city, forest, rooms, machines ...).

Each ``amb_*(rng, n)`` returns ``n`` stereo frames; the build cuts a seamless loop from them.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from corpus_ingest.builtin_audio.dsp import (
    SR, bp, brown, env_ar, env_asr, hp, impulses, lp, pan, pink, place, reverb, samples, sine, slow_env,
    stereo_pair, t_axis, unit_rms, white,
)


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
