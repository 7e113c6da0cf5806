"""A picture of the mix: one lane per stem and the master, each with its waveform envelope and its
short-term loudness (3 s window, the EBU R 128 measure) against the stem's target. A film-maker sees at
a glance where the voice sits, where music ducks under it and whether a stem is silent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from filmcraft.audio_analysis import k_weighted_power, read_audio
from filmcraft.contracts import MixReport
from filmcraft.references.cards import lettering_font
from filmcraft.store import atomic_path

COLOURS = {"ambience": (96, 170, 120), "music": (120, 140, 230), "vo": (240, 200, 90), "foley": (220, 130, 90),
           "sfx": (210, 100, 160), "master": (230, 230, 230)}
FLOOR_LUFS, CEILING_LUFS = -50.0, -6.0  # the loudness scale of each lane
SHORT_TERM_S = 3.0


def short_term_loudness(samples: np.ndarray, rate: int, points: int) -> np.ndarray:
    """Short-term loudness (LUFS, ungated) at ``points`` evenly spaced times; the floor where silent."""
    power = k_weighted_power(samples, rate)
    window = max(1, int(SHORT_TERM_S * rate))
    csum = np.concatenate([[0.0], np.cumsum(power)])
    centres = np.linspace(0, len(power) - 1, points).astype(int)
    lo = np.clip(centres - window // 2, 0, len(power))
    hi = np.clip(centres + window // 2, 1, len(power))
    mean = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    with np.errstate(divide="ignore"):
        lufs = -0.691 + 10 * np.log10(np.maximum(mean, 1e-12))
    return np.clip(lufs, FLOOR_LUFS, CEILING_LUFS)


def _envelope(samples: np.ndarray, points: int) -> np.ndarray:
    mono = np.abs(samples).max(axis=1) if samples.ndim == 2 else np.abs(samples)
    edges = np.linspace(0, len(mono), points + 1).astype(int)
    return np.array([mono[a:b].max() if b > a else 0.0 for a, b in zip(edges, edges[1:])])


def mix_plot(report: MixReport, out_png: Path, width: int = 960, lane_height: int = 70) -> Path:
    lanes = [(s.stem, Path(s.path), s.target_lufs, s.measured_lufs) for s in report.stems]
    lanes.append(("master", Path(report.master_path), report.master_target_lufs, report.master_lufs))
    label_w, pad = 150, 6
    plot_w = width - label_w - pad
    img = Image.new("RGB", (width, lane_height * len(lanes) + 24), (20, 20, 22))
    draw = ImageDraw.Draw(img)
    font = lettering_font(13)
    runtime = 0.0
    for row, (name, path, target, measured) in enumerate(lanes):
        top = row * lane_height
        colour = COLOURS.get(name, (200, 200, 200))
        draw.rectangle([label_w, top + 2, width - pad, top + lane_height - 2], fill=(32, 32, 36))
        shown = "silent" if measured is None else f"{measured:.1f} LUFS"
        draw.text((8, top + 8), name, font=font, fill=colour)
        draw.text((8, top + 28), shown, font=font, fill=(200, 200, 200))
        if target is not None:
            draw.text((8, top + 46), f"target {target:.0f}", font=font, fill=(140, 140, 140))
        samples, rate = read_audio(path)
        runtime = max(runtime, len(samples) / rate)
        mid, half = top + lane_height // 2, lane_height // 2 - 4
        for x, peak in enumerate(_envelope(samples, plot_w)):
            h = int(min(1.0, float(peak)) * half)
            if h:
                draw.line([label_w + x, mid - h, label_w + x, mid + h], fill=tuple(c // 2 for c in colour))

        def y_of(lufs: float) -> int:
            return int(top + lane_height - 4 - (lufs - FLOOR_LUFS) / (CEILING_LUFS - FLOOR_LUFS) * (lane_height - 8))
        if target is not None:
            draw.line([label_w, y_of(target), width - pad, y_of(target)], fill=(110, 110, 110))
        if measured is not None:
            curve = short_term_loudness(samples, rate, plot_w)
            draw.line([(label_w + x, y_of(v)) for x, v in enumerate(curve)], fill=colour, width=2)
    base = lane_height * len(lanes)
    for t in range(0, int(runtime) + 1, 5 if runtime <= 90 else 15):  # a tick every 5 s (15 s on long films)
        x = label_w + int(t / max(runtime, 1e-6) * plot_w)
        draw.line([x, base, x, base + 5], fill=(160, 160, 160))
        draw.text((x + 2, base + 5), f"{t}s", font=font, fill=(160, 160, 160))
    with atomic_path(out_png) as tmp:
        img.save(tmp, format="PNG")
    return Path(out_png)
