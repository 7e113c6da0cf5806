"""Animated weather for a previs shot, done in the ffmpeg filter graph so it costs little.

Weather sits between the scene and the lens, so it is composited after the camera move at the
output resolution (the camera's zoom never has to resample it):

- rain, storm, snow, blizzard, wind: a tileable particle layer painted once (streaks for rain,
  soft flakes for snow, leaves and dust for wind), scrolled per frame with ``crop`` expressions
  (``mod`` of the frame number wraps the tile) and laid over the frame with ``overlay``; snow sways
  with a sine on x. A blizzard's layer carries a white haze too: visibility drops.
- fog: a drifting translucent layer of smooth tileable noise.
- storm: lightning as ``eq`` brightness pulses (and a bolt overlay) switched on by ``enable``
  expressions at seeded frames.

Everything is deterministic for a shot id and seed.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from filmcraft.references.scenery import soft_noise


@dataclass(frozen=True)
class WeatherLayer:
    """A raw RGBA file of ``size`` and how its crop window scrolls (px per frame, sway)."""

    path: Path
    size: tuple[int, int]
    tile: int  # the pattern repeats every ``tile`` px on both axes
    vx: float
    vy: float
    sway: float = 0.0  # px amplitude of a sideways sine (snow drifting)


@dataclass(frozen=True)
class Lightning:
    frames: tuple[tuple[int, int], ...]  # (first, last) frame of each flash
    bolt: Path | None
    bolt_xy: tuple[int, int]

    def enable(self) -> str:
        return "+".join(f"between(n,{a},{b})" for a, b in self.frames)


# per weather: (particles per megapixel of tile, fall speed and wind as fractions of the frame
# height per second, haze alpha)
PARTICLES = {
    "rain": (600, 1.9, 0.25, 0), "storm": (800, 2.3, 0.75, 0), "snow": (600, 0.16, 0.04, 0),
    "blizzard": (1600, 0.35, 1.1, 70), "wind": (120, 0.1, 0.9, 0),
}
# frames between two moves of the layer: weather changes the whole picture, so every changed frame
# is a fully coded frame; moving it on every 2nd frame (fog, slow as it is, every 4th) halves that
# cost, and 12 steps a second still read as falling rain
STEP = {"fog": 4}



def _rng(kind: str, seed: int, shot_id: str) -> random.Random:
    return random.Random(int(hashlib.sha256(f"{kind}|{seed}|{shot_id}".encode()).hexdigest()[:16], 16))


def _wrapped(draw_one, x: float, y: float, tile: int, reach: float) -> None:
    """Draw a particle and its copies across the tile's edges, so the tile wraps seamlessly."""
    for dx in (-tile, 0, tile):
        for dy in (-tile, 0, tile):
            if -reach <= x + dx <= tile + reach and -reach <= y + dy <= tile + reach:
                draw_one(x + dx, y + dy)


def _particle_tile(weather: str, tile: int, height: int, vx: float, vy: float, rng: random.Random) -> np.ndarray:
    """One tileable RGBA square of rain streaks, snowflakes or wind-blown bits."""
    density, _, _, haze = PARTICLES[weather]
    count = int(density * tile * tile / 1e6)
    alpha = Image.new("L", (tile, tile), 0)
    draw = ImageDraw.Draw(alpha)
    unit = height / 720
    if weather in ("rain", "storm"):
        # streaks along the direction of fall (motion blur of a drop during one frame)
        norm = math.hypot(vx, vy) or 1.0
        ux, uy = vx / norm, vy / norm
        for _ in range(count):
            x, y = rng.uniform(0, tile), rng.uniform(0, tile)
            length = rng.uniform(18, 42) * unit
            a = rng.randrange(110, 200)
            w = max(1, round(unit * rng.choice((1, 2, 2))))
            _wrapped(lambda px, py: draw.line([px, py, px + ux * length, py + uy * length], fill=a, width=w),
                     x, y, tile, length)
        # soft streaks: what a drop looks like in motion, and far cheaper to encode than hard lines
        alpha = alpha.filter(ImageFilter.GaussianBlur(0.7 * unit))
        colour = (220, 228, 240)
    elif weather in ("snow", "blizzard"):
        for _ in range(count):
            x, y = rng.uniform(0, tile), rng.uniform(0, tile)
            r = rng.uniform(1.2, 3.6 if weather == "snow" else 2.6) * unit
            a = rng.randrange(150, 250)
            if weather == "blizzard":  # wind-driven: flakes smeared sideways
                _wrapped(lambda px, py: draw.ellipse([px - r * 2.2, py - r * 0.7, px + r * 2.2, py + r * 0.7], fill=a),
                         x, y, tile, 3 * r)
            else:
                _wrapped(lambda px, py: draw.ellipse([px - r, py - r, px + r, py + r], fill=a), x, y, tile, r)
        alpha = alpha.filter(ImageFilter.GaussianBlur(0.6 * unit))
        colour = (250, 252, 255)
    else:  # wind: dust streaks and tumbling leaves
        for _ in range(count):
            x, y = rng.uniform(0, tile), rng.uniform(0, tile)
            length = rng.uniform(30, 90) * unit
            a = rng.randrange(50, 110)
            _wrapped(lambda px, py: draw.line([px, py, px + length, py + length * 0.06], fill=a, width=max(1, round(unit))),
                     x, y, tile, length)
        for _ in range(count // 3):
            x, y = rng.uniform(0, tile), rng.uniform(0, tile)
            r = rng.uniform(2, 5) * unit
            _wrapped(lambda px, py: draw.ellipse([px - r, py - r * 0.5, px + r, py + r * 0.5], fill=210), x, y, tile, r)
        colour = (214, 200, 160)
    a = np.asarray(alpha, np.float32)
    if haze:
        a = haze + a * (255 - haze) / 255
    rgba = np.empty((tile, tile, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = np.clip(a, 0, 255).astype(np.uint8)
    return rgba


def _fog_tile(tile: int, rng: random.Random) -> np.ndarray:
    small = max(16, tile // 8)
    noise = soft_noise(small, small, 3.0, np.random.default_rng(rng.randrange(1 << 30)))
    # upsampling a periodic field: pad by wrapping first, so the enlarged tile still wraps
    padded = np.pad(noise, 2, mode="wrap")
    big = Image.fromarray((padded * 255).astype(np.uint8)).resize(
        (tile + 4 * tile // small, tile + 4 * tile // small), Image.Resampling.BICUBIC)
    off = 2 * tile // small
    field = np.asarray(big, np.float32)[off: off + tile, off: off + tile] / 255
    rgba = np.empty((tile, tile, 4), np.uint8)
    rgba[..., :3] = (214, 218, 224)
    rgba[..., 3] = np.clip(40 + 150 * (field - 0.25), 0, 190).astype(np.uint8)
    return rgba


def weather_layer(weather: str, width: int, height: int, fps: int, seed: int, shot_id: str,
                  out_dir: Path) -> WeatherLayer | None:
    """The scrolling layer of a weather (None for clear and overcast skies)."""
    if weather not in PARTICLES and weather != "fog":
        return None
    rng = _rng(weather, seed, shot_id)
    tile = max(64, (height // 2) // 2 * 2)
    if weather == "fog":
        rgba = _fog_tile(tile, rng)
        vx, vy, sway = 0.04 * width / fps, 0.0, 0.0
    else:
        _, fall, wind, _ = PARTICLES[weather]
        vy, vx = fall * height / fps, wind * height / fps
        rgba = _particle_tile(weather, tile, height, vx, vy, rng)
        sway = 0.012 * height if weather == "snow" else 0.0
    # repeat the tile to cover the frame plus one tile of travel in each direction
    reps_y, reps_x = math.ceil(height / tile) + 1, math.ceil(width / tile) + 1
    big = np.tile(rgba, (reps_y, reps_x, 1))
    path = Path(out_dir) / f"weather_{weather}.rgba"
    big.tofile(path)
    return WeatherLayer(path=path, size=(big.shape[1], big.shape[0]), tile=tile, vx=vx, vy=vy, sway=sway)


def weather_filters(layer: WeatherLayer, index: int, frames: int, fps: int, width: int, height: int,
                    step: int = 1) -> tuple[list[str], str]:
    """ffmpeg input args and the filter chain that turns input ``index`` into the moving layer [wx].

    ``step``: the particles move every ``step`` frames (the encoder skips the frames between, which
    keeps weather cheap to encode; speeds are per frame of film either way)."""
    args = ["-f", "rawvideo", "-pix_fmt", "rgba", "-s", f"{layer.size[0]}x{layer.size[1]}", "-i", str(layer.path)]
    t = layer.tile
    f = f"(floor(n/{step})*{step})" if step > 1 else "n"
    # the crop window moves against the particles' travel: content falls down and drifts with the wind
    x = f"mod({-layer.vx:.4f}*{f},{t})"
    if layer.sway:
        x = f"mod({-layer.vx:.4f}*{f}+{layer.sway:.2f}*sin({f}*{2 * math.pi * 0.4 / fps:.5f})+{t},{t})"
    y = f"mod({-layer.vy:.4f}*{f},{t})"
    chain = (f"[{index}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/({fps}*TB),"
             f"crop=w={width}:h={height}:x='{x}':y='{y}'[wx]")
    return args, chain


def lightning(frames: int, fps: int, seed: int, shot_id: str, width: int, height: int, out_dir: Path) -> Lightning:
    """Seeded flashes (one early, more in longer shots) and a jagged bolt shown during them."""
    rng = _rng("lightning", seed, shot_id)
    flashes: list[tuple[int, int]] = []
    count = max(1, min(3, round(frames / (fps * 2.2))))
    for i in range(count):
        start = int(frames * (0.12 + 0.8 * i / count) + rng.randrange(0, max(1, fps // 3)))
        start = min(start, max(0, frames - 3))
        flashes.append((start, start + 1))
        if start + 3 < frames:
            flashes.append((start + 3, start + 3))  # the flicker after the strike
    bw, bh = max(16, width // 8), max(16, int(height * 0.6))
    bolt = Image.new("LA", (bw, bh), (255, 0))
    draw = ImageDraw.Draw(bolt)
    x, y = bw / 2, 0.0
    points = [(x, y)]
    while y < bh:
        y += rng.uniform(0.05, 0.12) * bh
        x = min(bw - 4, max(4, x + rng.uniform(-0.3, 0.3) * bw))
        points.append((x, min(y, bh)))
    draw.line(points, fill=(255, 255), width=max(2, height // 240))
    glow = bolt.filter(ImageFilter.GaussianBlur(max(2, height // 120)))
    bolt = Image.alpha_composite(glow.convert("RGBA"), bolt.convert("RGBA"))
    path = Path(out_dir) / "bolt.png"
    bolt.save(path)
    return Lightning(frames=tuple(flashes), bolt=path, bolt_xy=(int(width * rng.uniform(0.15, 0.75)), 0))


def input_count(inputs: list[str]) -> int:
    """How many ``-i`` inputs an ffmpeg argument list has: the index the next one gets."""
    return sum(1 for a in inputs if a == "-i")


def animates(dep) -> bool:
    """True when a weather layer moves over the whole frame (rain, storm, snow, blizzard, wind, fog outdoors)."""
    return not dep.interior and (dep.weather in PARTICLES or dep.weather == "fog")


def weather_graph(graph: str, dep, inputs: list[str], tmp: Path, frames: int, fps: int, seed: int, shot_id: str,
                  width: int, height: int) -> str:
    """Weather over the camera view [cam] (particles or fog outdoors, lightning for a storm): [cam] again."""
    layer = None if dep.interior else weather_layer(dep.weather, width, height, fps, seed, shot_id, tmp)
    if layer is not None:
        args, chain = weather_filters(layer, input_count(inputs), frames, fps, width, height,
                                      STEP.get(dep.weather, 2))
        inputs.extend(args)
        graph = graph.replace("[cam]", "[cam0]") + f";{chain};[cam0][wx]overlay=format=yuv420[cam]"
    if dep.weather == "storm":
        bolt = lightning(frames, fps, seed, shot_id, width, height, tmp)
        enable = bolt.enable()
        idx = input_count(inputs)
        inputs.extend(["-i", str(bolt.bolt)])
        graph = graph.replace("[cam]", "[cam1]") if layer is None else graph[: graph.rfind("[cam]")] + "[cam1]"
        strength = 0.22 if dep.interior else 0.42
        graph += (f";[{idx}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/({fps}*TB)[bolt]"
                  f";[cam1][bolt]overlay=x={bolt.bolt_xy[0]}:y={bolt.bolt_xy[1]}:format=yuv420:enable='{enable}'"
                  f",eq=brightness={strength}:contrast=1.15:enable='{enable}'[cam]")
    return graph
