"""Location plates that read as their place: terrain and sky painted per kind of location.

A plate is the backdrop of a scene (its ``ReferenceSet`` location image). The kind comes from
``places.location_kind``; each kind gets its own ground (ice with a crevasse, sand
dunes, a sea with wave crests, a street with kerbs, a forest floor, a starfield ...) under a sky
for the time of day and the weather (cloud deck for rain and storm, white-out for blizzard).
Landmarks (a lighthouse tower, station huts, trees) are images from the visual library; the
previs composites them at render time where ``PlateLayout.anchors`` says, so the plate records
its layout in the PNG itself (a ``filmcraft-plate`` text chunk) for the renderer to read.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin

from filmcraft.references.cards import (
    SKY, SUPERSAMPLE, _letter, _lerp, _mood_adjust, _paint_buildings, _paint_hills, _paint_interior,
    _paint_sky_and_ground, _paint_trees, _paint_water, _seed, _vertical_gradient,
)
from filmcraft.references.names import slugify
from filmcraft.references.places import INTERIOR_KINDS, location_kind

PLATE_CHUNK = "filmcraft-plate"
CLOUDY = ("overcast", "rain", "storm", "snow", "blizzard", "fog")


@dataclass(frozen=True)
class PlateLayout:
    """Where things are on a painted plate (fractions of its width/height)."""

    kind: str
    interior: bool
    horizon: float  # the ground line's height, fraction of the plate height
    anchors: tuple[tuple[float, float], ...]  # feet points for landmarks, best first

    def pnginfo(self) -> PngImagePlugin.PngInfo:
        info = PngImagePlugin.PngInfo()
        info.add_text(PLATE_CHUNK, json.dumps(asdict(self)))
        return info


def read_plate_layout(path: str | Path) -> PlateLayout | None:
    """The layout a painted plate records, or None for a user's image (or an older card)."""
    try:
        with Image.open(path) as img:
            raw = getattr(img, "text", {}).get(PLATE_CHUNK)
    except OSError:
        return None
    if not raw:
        return None
    data = json.loads(raw)
    return PlateLayout(kind=data["kind"], interior=bool(data["interior"]), horizon=float(data["horizon"]),
                       anchors=tuple(tuple(a) for a in data["anchors"]))


def plate_layout(name: str, heading: str = "") -> PlateLayout:
    """Kind, inside or out, horizon and landmark anchors of a place: from its name and heading only."""
    kind = location_kind(name)
    # INT. on an outdoor kind is its inside (a lighthouse's lamp room, a boat's cabin); a cave stays a cave
    interior = kind in INTERIOR_KINDS or (heading.strip().upper().startswith("INT") and kind != "cave")
    rng = random.Random(_seed("location", slugify(name)))  # the painter's stream: its first draw is the horizon
    first = rng.random()
    horizon = 0.72 if interior else {"space": 0.8, "boat_deck": 0.5, "cave": 0.7, "mountain": 0.62}.get(
        kind, 0.52 + 0.1 * first)
    if kind == "lighthouse":  # the tower stands on a headland to one side, the sea opens on the other
        anchors = ((0.74, horizon + 0.02),)
    elif interior:
        anchors = ((0.2 + 0.1 * rng.random(), 0.8),)
    else:
        xs = [0.78, 0.18, 0.6, 0.36, 0.9, 0.05]
        anchors = tuple((x + 0.04 * (rng.random() - 0.5), horizon + 0.01 + 0.02 * i % 3) for i, x in enumerate(xs))
    return PlateLayout(kind=kind, interior=interior, horizon=round(horizon, 4), anchors=anchors)


# --- texture helpers ------------------------------------------------------------------------------

def soft_noise(width: int, height: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Tileable smooth noise in 0..1 (random phases under a low-pass spectrum, so it wraps at the edges)."""
    fy = np.fft.fftfreq(height)[:, None] * height
    fx = np.fft.rfftfreq(width)[None, :] * width
    radius = np.hypot(fx / max(width, 1), fy / max(height, 1)) * max(width, height)
    amp = np.exp(-(radius / max(scale, 1e-3)) ** 2) / (1 + radius)
    phase = rng.uniform(0, 2 * np.pi, amp.shape)
    field = np.fft.irfft2(amp * np.exp(1j * phase), s=(height, width))
    field -= field.min()
    return field / max(field.max(), 1e-9)


def _blend(img: Image.Image, colour: tuple[int, int, int], mask: np.ndarray) -> None:
    """Paint ``colour`` over ``img`` with a 0..1 mask (same size)."""
    alpha = Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8), "L")
    img.paste(Image.new("RGB", img.size, colour), (0, 0), alpha)


def _cloud_deck(img: Image.Image, horizon: int, weather: str, time_of_day: str, rng: random.Random) -> None:
    """A sky under weather: grey cloud for rain and storm, white-out for snow, a pale veil for fog."""
    if weather not in CLOUDY and weather != "wind":
        return
    width = img.width
    night = time_of_day in ("night", "dusk")
    colour = {"storm": (44, 44, 58), "rain": (92, 96, 108), "overcast": (150, 152, 160), "snow": (200, 204, 212),
              "blizzard": (222, 226, 232), "fog": (196, 198, 200), "wind": (190, 196, 206)}[weather]
    if night:
        colour = _lerp(colour, (10, 12, 24), 0.6 if weather != "blizzard" else 0.4)
    small = soft_noise(max(8, width // 16), max(8, horizon // 16), 6.0, np.random.default_rng(rng.randrange(1 << 30)))
    noise = np.asarray(Image.fromarray((small * 255).astype(np.uint8)).resize((width, horizon), Image.Resampling.BICUBIC),
                       float) / 255
    cover = {"storm": 0.95, "rain": 0.85, "overcast": 0.75, "snow": 0.85, "blizzard": 0.95, "fog": 0.7, "wind": 0.45}[weather]
    mask = np.zeros((img.height, width))
    band = np.clip(cover * (0.55 + 0.6 * noise), 0, 1)
    if weather == "wind":  # long streaks of cloud
        band = np.clip((noise - 0.45) * 3, 0, 0.8)
    mask[:horizon] = band
    _blend(img, colour, mask)
    if weather == "storm":  # darker underside of the thunderheads
        under = np.zeros_like(mask)
        under[:horizon] = np.clip((noise - 0.5) * 2.2, 0, 0.8)
        _blend(img, _lerp(colour, (0, 0, 0), 0.5), under)


def _ground(img: Image.Image, horizon: int, far: tuple[int, int, int], near: tuple[int, int, int]) -> None:
    img.paste(_vertical_gradient(img.width, img.height - horizon, far, near), (0, horizon))


def _speckle(img: Image.Image, top: int, colours: list[tuple[int, int, int]], count: int, size: int,
             rng: random.Random, stretch: float = 1.0) -> None:
    """Ground texture: marks that grow toward the camera (perspective)."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(count):
        y = rng.randrange(top, h)
        depth = (y - top) / max(1, h - top)
        r = max(1, int(size * (0.3 + 1.5 * depth)))
        x = rng.randrange(0, w)
        draw.ellipse([x - r * stretch, y - r * 0.4, x + r * stretch, y + r * 0.4], fill=rng.choice(colours))


# --- kinds -------------------------------------------------------------------------------------

def _ice(img, draw, horizon, tod, rng, crevasse: bool) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    far, near = ((150, 170, 200), (90, 110, 150)) if night else ((228, 238, 248), (196, 214, 236))
    # far ice cliffs and snowy ridges
    for layer in range(2):
        pts = [(0, horizon)]
        for i in range(9):
            pts.append((int(w * i / 8), horizon - int(h * (0.03 + 0.09 * rng.random()) / (1 + layer))))
        pts += [(w, horizon), (w, horizon + 2), (0, horizon + 2)]
        draw.polygon(pts, fill=_lerp(far, (120, 150, 200), 0.25 + 0.2 * layer))
    _ground(img, horizon, far, near)
    # wind-carved sastrugi: long thin blue-white strokes
    for _ in range(max(30, h // 10)):
        y = rng.randrange(horizon + 2, h)
        depth = (y - horizon) / max(1, h - horizon)
        x = rng.randrange(0, w)
        length = int(w * (0.02 + 0.1 * depth))
        draw.line([x, y, x + length, y + int(length * 0.03)], fill=_lerp(near, (120, 150, 200), 0.35),
                  width=max(1, int(SUPERSAMPLE * (1 + 2 * depth))))
    if crevasse:  # a dark blue chasm from the camera to the horizon
        cx = int(w * (0.45 + 0.1 * rng.random()))
        left, right = [], []
        steps = 14
        for i in range(steps + 1):
            t = i / steps
            y = int(horizon + (h - horizon) * t)
            half = int(w * (0.004 + 0.09 * t * t)) + rng.randrange(0, max(2, int(w * 0.012 * t) + 1))
            jog = int(w * 0.03 * np.sin(i * 1.3))
            left.append((cx + jog - half, y))
            right.append((cx + jog + half, y))
        draw.polygon(left + right[::-1], fill=(10, 28, 60))
        inner = [(x + (cx - x) // 3, y) for x, y in left] + [(x - (x - cx) // 3, y) for x, y in right[::-1]]
        draw.polygon(inner, fill=(2, 8, 24))
        for x, y in left[2:]:  # a lit lip of ice along the edge
            draw.line([x - 3 * SUPERSAMPLE, y, x, y], fill=(240, 248, 255), width=SUPERSAMPLE * 2)


def _sea(img, draw, top, tod, weather, rng, bottom: int | None = None) -> None:
    """Open water from ``top`` to ``bottom`` with rows of wave crests; a storm raises them."""
    w, h = img.size
    bottom = h if bottom is None else bottom
    zenith, sky_h, _, _ = SKY[tod]
    rough = weather in ("storm", "wind", "rain", "blizzard")
    far = _lerp(sky_h, (10, 40, 70), 0.45 if not rough else 0.65)
    near = _lerp(zenith, (0, 10, 24), 0.5 if not rough else 0.7)
    img.paste(_vertical_gradient(w, bottom - top, far, near), (0, top))
    crest = _lerp(far, (240, 246, 250), 0.55 if rough else 0.35)
    rows = 26 if rough else 18
    for r in range(rows):
        t = (r + 0.5) / rows
        y0 = top + int((bottom - top) * t * t)
        gap = 2 * t * (bottom - top) / rows  # rows crowd toward the horizon: crests must not cross
        amp = max(1, int(min((bottom - top) * (0.004 + (0.02 if rough else 0.008) * t), 0.45 * gap)))
        period = max(8, int(w * (0.02 + 0.1 * t)))
        width = max(1, int(SUPERSAMPLE * (0.6 + 2.2 * t)))
        x = -rng.random() * period
        while x < w:  # broken crests, one hump per wave: a choppy sea rather than a ruled net
            length = period * (0.35 + 0.35 * rng.random())
            pts = [(x + length * u / 8, y0 - amp * np.sin(np.pi * u / 8)) for u in range(9)]
            draw.line(pts, fill=crest, width=width)
            x += period * (0.8 + 0.5 * rng.random())
        if rough:  # whitecaps on the crests
            for _ in range(int(3 + 8 * t)):
                x = rng.randrange(0, w)
                r_ = max(2, int(amp * 0.9))
                draw.ellipse([x - r_ * 2, y0 - r_ - amp, x + r_ * 2, y0 + r_ // 2 - amp], fill=(236, 242, 246))


def _headland(img, draw, horizon, tod, rng) -> None:
    """Dark rocks rising from the sea on the right, where a lighthouse stands."""
    w, h = img.size
    rock = (58, 56, 60) if tod not in ("night", "dusk") else (24, 24, 30)
    pts = [(int(w * 0.52), h), (int(w * 0.58), horizon + int(h * 0.06)), (int(w * 0.64), horizon + int(h * 0.01)),
           (int(w * 0.7), horizon - int(h * 0.02)), (int(w * 0.82), horizon - int(h * 0.03)),
           (int(w * 0.92), horizon + int(h * 0.01)), (w, horizon - int(h * 0.01)), (w, h)]
    draw.polygon(pts, fill=rock)
    for _ in range(40):
        x = rng.randrange(int(w * 0.56), w)
        y = rng.randrange(horizon, h)
        r = rng.randrange(4, 18) * SUPERSAMPLE
        draw.ellipse([x - r, y - r // 2, x + r, y + r // 2], fill=_lerp(rock, (120, 120, 124), 0.25 * rng.random()))
    # a rocky shore along the foreground: the keeper stands on rock, not on the sea
    shore = [(0, h)] + [(int(w * i / 12), int(h * (0.9 - 0.03 * np.sin(i * 1.9) - 0.02 * (i % 3))))
                        for i in range(13)] + [(w, h)]
    draw.polygon(shore, fill=_lerp(rock, (0, 0, 0), 0.15))
    grass = (70, 92, 56) if tod not in ("night", "dusk") else (24, 34, 26)
    draw.polygon([(int(w * 0.66), horizon - int(h * 0.005)), (int(w * 0.7), horizon - int(h * 0.025)),
                  (int(w * 0.82), horizon - int(h * 0.035)), (int(w * 0.9), horizon - int(h * 0.005))], fill=grass)


def _desert(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    base = {"night": (70, 62, 70), "dusk": (150, 100, 90), "dawn": (210, 160, 140)}.get(tod, (228, 190, 130))
    _ground(img, horizon, _lerp(base, (255, 255, 255), 0.1), _lerp(base, (120, 70, 30), 0.35))
    for layer in range(5):  # dunes: soft ridges, each nearer one lower and darker
        t = layer / 4
        y0 = horizon + int((h - horizon) * (0.05 + 0.7 * t))
        amp = int(h * (0.02 + 0.05 * t))
        period = w * (0.5 + rng.random())
        phase = rng.random() * period
        pts = [(x, y0 - amp * (0.5 + 0.5 * np.sin(2 * np.pi * (x + phase) / period))) for x in range(0, w + 8, 8)]
        shade = _lerp(base, (150, 90, 40), 0.1 + 0.25 * t)
        draw.polygon(pts + [(w, h), (0, h)], fill=shade)
        draw.line(pts, fill=_lerp(base, (255, 240, 210), 0.4), width=SUPERSAMPLE * 2)


def _street(img, draw, horizon, tod, rng, awnings: bool) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    _paint_buildings(draw, w, horizon, h, tod, rng, count=40, base_tone=50)
    pavement = (70, 70, 76) if night else (150, 146, 140)
    road = (34, 34, 38) if night else (86, 86, 92)
    _ground(img, horizon, pavement, _lerp(pavement, (0, 0, 0), 0.2))
    vx = w // 2
    # road in perspective, kerbs on both sides, dashed centre line
    draw.polygon([(vx - int(w * 0.07), horizon), (vx + int(w * 0.07), horizon), (int(w * 0.92), h), (int(w * 0.08), h)],
                 fill=road)
    kerb = (200, 200, 196) if not night else (110, 110, 116)
    for side in (-1, 1):
        draw.line([(vx + side * int(w * 0.07), horizon), (w // 2 + side * int(w * 0.42), h)], fill=kerb,
                  width=SUPERSAMPLE * 5)
    for i in range(12):
        t0, t1 = (i + 0.2) / 12, (i + 0.6) / 12
        y0, y1 = horizon + int((h - horizon) * t0 * t0), horizon + int((h - horizon) * t1 * t1)
        draw.line([(vx, y0), (vx, y1)], fill=(230, 210, 120) if not night else (160, 150, 90),
                  width=max(1, int(SUPERSAMPLE * (1 + 5 * t1))))
    if awnings:  # market stalls: striped canopies along the pavement
        for i in range(7):
            x = int(w * (i / 7 + 0.01))
            aw, top = int(w * 0.11), horizon - int(h * 0.12)
            colours = [(200, 60, 50), (240, 230, 210)] if i % 2 else [(40, 110, 170), (240, 230, 210)]
            for s in range(6):
                draw.polygon([(x + aw * s // 6, top), (x + aw * (s + 1) // 6, top), (x + aw * (s + 1) // 6 + 6, top + h // 25),
                              (x + aw * s // 6 + 6, top + h // 25)], fill=colours[s % 2])
            draw.rectangle([x + 4, top + h // 25, x + aw, horizon + h // 60], fill=(120, 84, 50) if not night else (50, 36, 24))


def _station(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    _paint_buildings(draw, w, horizon, h, tod, rng, count=6, base_tone=46)
    platform = (120, 116, 110) if not night else (56, 56, 60)
    _ground(img, horizon, platform, _lerp(platform, (0, 0, 0), 0.3))
    # rails converging to the vanishing point, sleepers between them
    vx = int(w * 0.62)
    draw.polygon([(vx - 6, horizon), (vx + 6, horizon), (w, int(h * 0.78)), (w, h), (int(w * 0.6), h)], fill=(70, 60, 52))
    for r in (0.68, 0.9):
        draw.line([(vx, horizon), (int(w * r), h)], fill=(180, 180, 190), width=SUPERSAMPLE * 3)
    draw.line([(vx - 8, horizon), (int(w * 0.58), h)], fill=(236, 210, 60), width=SUPERSAMPLE * 6)  # platform edge
    for i in range(6):  # canopy columns
        x = int(w * (0.05 + 0.09 * i))
        draw.rectangle([x, horizon - int(h * 0.3), x + SUPERSAMPLE * 6, horizon + int(h * 0.05 * i)], fill=(50, 54, 60))
    draw.rectangle([0, horizon - int(h * 0.32), int(w * 0.55), horizon - int(h * 0.29)], fill=(60, 64, 72))


def _space(img, draw, horizon, rng) -> None:
    w, h = img.size
    img.paste(_vertical_gradient(w, h, (2, 2, 10), (8, 6, 24)), (0, 0))
    neb = soft_noise(max(8, w // 16), max(8, h // 16), 4.0, np.random.default_rng(rng.randrange(1 << 30)))
    neb = np.asarray(Image.fromarray((neb * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC), float) / 255
    _blend(img, (90, 40, 120), np.clip((neb - 0.55) * 1.6, 0, 0.5))
    for _ in range(w * h // 1800):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.choice((1, 1, 1, 2, 3))
        v = rng.randrange(140, 256)
        draw.ellipse([x, y, x + r, y + r], fill=(v, v, min(255, v + 30)))
    # a planet's limb as the ground the figures stand on, and a far planet in the sky
    big = int(w * 1.4)
    draw.ellipse([w // 2 - big, horizon, w // 2 + big, horizon + 2 * big], fill=(70, 90, 130))
    draw.ellipse([w // 2 - big, horizon + h // 60, w // 2 + big, horizon + 2 * big], fill=(40, 52, 86))
    px, py, pr = int(w * 0.2), int(h * 0.25), int(h * 0.09)
    draw.ellipse([px - pr, py - pr, px + pr, py + pr], fill=(200, 130, 90))
    draw.ellipse([px - pr + pr // 3, py - pr, px + pr + pr // 3, py + pr], fill=(40, 24, 30))


def _cave(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    draw.rectangle([0, 0, w, h], fill=(30, 26, 24))
    # the mouth of the cave: daylight (or night) beyond an irregular opening
    zenith, sky_h, _, _ = SKY[tod]
    mouth = Image.new("L", img.size, 0)
    mdraw = ImageDraw.Draw(mouth)
    pts = [(int(w * (0.3 + 0.4 * i / 10)), int(h * (0.25 + 0.08 * np.sin(i * 1.7) + (0.45 if i in (0, 10) else 0))))
           for i in range(11)]
    mdraw.polygon(pts + [(int(w * 0.72), horizon), (int(w * 0.28), horizon)], fill=255)
    img.paste(_vertical_gradient(w, h, zenith, sky_h), (0, 0), mouth.filter(ImageFilter.GaussianBlur(SUPERSAMPLE * 3)))
    _ground(img, horizon, (60, 52, 46), (24, 20, 18))
    for _ in range(26):  # stalactites hanging from the roof
        x = rng.randrange(0, w)
        length = rng.randrange(h // 20, h // 5)
        half = rng.randrange(6, 20) * SUPERSAMPLE
        draw.polygon([(x - half, 0), (x + half, 0), (x, length)], fill=(48 + rng.randrange(20), 42, 38))
    _speckle(img, horizon, [(80, 70, 60), (40, 34, 30)], 200, 5 * SUPERSAMPLE, rng, 1.6)


def _mountain(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    for layer in range(3):
        peaks = 3 + layer
        pts = [(0, horizon)]
        for i in range(peaks * 2 + 1):
            x = int(w * i / (peaks * 2))
            top = i % 2 == 1
            y = horizon - int(h * ((0.22 + 0.18 * rng.random()) if top else (0.06 + 0.06 * rng.random())) / (1 + 0.5 * layer))
            pts.append((x, y))
        pts += [(w, horizon + 2), (0, horizon + 2)]
        rock = _lerp((110, 110, 124) if not night else (40, 42, 56), (0, 0, 0), 0.15 * layer)
        draw.polygon(pts, fill=rock)
        for (x0, y0), (x1, y1), (x2, y2) in zip(pts[1:], pts[2:], pts[3:]):
            if y1 < y0 and y1 < y2:  # snow caps on the peaks
                cap = 0.3
                draw.polygon([(x1, y1), (int(x1 + (x0 - x1) * cap), int(y1 + (y0 - y1) * cap)),
                              (int(x1 + (x2 - x1) * cap), int(y1 + (y2 - y1) * cap))],
                             fill=(240, 244, 250) if not night else (150, 156, 176))
    _ground(img, horizon, (120, 116, 104) if not night else (40, 40, 46), (70, 64, 56) if not night else (16, 16, 20))
    _speckle(img, horizon, [(140, 134, 124), (90, 86, 80), (60, 56, 52)], 260, 5 * SUPERSAMPLE, rng, 1.3)


def _forest(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    _paint_hills(draw, w, horizon, h, tod, rng, SKY[tod][2])
    _ground(img, horizon, (60, 80, 40) if not night else (18, 26, 20), (44, 36, 24) if not night else (10, 10, 8))
    _speckle(img, horizon, [(90, 70, 40), (70, 90, 40), (120, 90, 50), (50, 60, 30)], 500, 4 * SUPERSAMPLE, rng, 1.8)
    _paint_trees(draw, w, horizon, h, tod, rng, count=rng.randrange(14, 22))


def _field(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    _paint_hills(draw, w, horizon, h, tod, rng, SKY[tod][2])
    greens = [(120, 160, 70), (170, 170, 80), (100, 140, 60), (190, 176, 100)]
    for i in range(6):  # strips of crop receding to the horizon
        t0, t1 = i / 6, (i + 1) / 6
        y0, y1 = horizon + int((h - horizon) * t0 * t0), horizon + int((h - horizon) * t1 * t1)
        colour = greens[i % len(greens)]
        draw.rectangle([0, y0, w, y1], fill=_lerp(colour, (10, 14, 20), 0.7) if night else colour)
    for i in range(14):  # a fence line
        x = int(w * i / 13)
        y = horizon + int((h - horizon) * 0.3)
        draw.rectangle([x, y - h // 30, x + SUPERSAMPLE * 4, y], fill=(110, 80, 50) if not night else (30, 24, 18))
    draw.line([(0, horizon + int((h - horizon) * 0.3) - h // 50), (w, horizon + int((h - horizon) * 0.3) - h // 50)],
              fill=(110, 80, 50) if not night else (30, 24, 18), width=SUPERSAMPLE * 3)


def _village(img, draw, horizon, tod, rng) -> None:
    w, h = img.size
    night = tod in ("night", "dusk")
    _paint_hills(draw, w, horizon, h, tod, rng, SKY[tod][2])
    _ground(img, horizon, SKY[tod][2], SKY[tod][3])
    x = -rng.randrange(0, w // 20)
    while x < w:  # cottages: walls, pitched roofs, lit windows
        bw, bh = rng.randrange(w // 12, w // 7), rng.randrange(h // 12, h // 6)
        wall = _lerp((220, 206, 180), (30, 28, 36), 0.7 if night else rng.random() * 0.2)
        draw.rectangle([x, horizon - bh, x + bw, horizon + h // 50], fill=wall)
        draw.polygon([(x - bw // 10, horizon - bh), (x + bw // 2, horizon - bh - bh // 2), (x + bw + bw // 10, horizon - bh)],
                     fill=(140, 60, 44) if not night else (44, 24, 22))
        wx = x + bw // 4
        draw.rectangle([wx, horizon - bh * 2 // 3, wx + bw // 6, horizon - bh // 3],
                       fill=(255, 210, 120) if night else (120, 150, 180))
        x += bw + rng.randrange(w // 40, w // 10)
    draw.polygon([(int(w * 0.45), horizon + h // 50), (int(w * 0.55), horizon + h // 50), (int(w * 0.7), h), (int(w * 0.3), h)],
                 fill=(150, 130, 100) if not night else (50, 44, 40))


def _river(img, draw, horizon, tod, weather, rng) -> None:
    w, h = img.size
    _paint_hills(draw, w, horizon, h, tod, rng, SKY[tod][2])
    _ground(img, horizon, SKY[tod][2], SKY[tod][3])
    water_top, water_bottom = horizon + int((h - horizon) * 0.12), horizon + int((h - horizon) * 0.55)
    _sea(img, draw, water_top, tod, "clear" if weather != "storm" else weather, rng, bottom=water_bottom)
    bank = _lerp(SKY[tod][3], (90, 70, 40), 0.3)
    draw.rectangle([0, water_bottom, w, h], fill=bank)
    _speckle(img, water_bottom, [_lerp(bank, (140, 170, 80), 0.4), _lerp(bank, (0, 0, 0), 0.3)], 300, 4 * SUPERSAMPLE, rng, 1.5)


def _deck(img, draw, horizon, tod, weather, rng) -> None:
    w, h = img.size
    _sea(img, draw, horizon, tod, weather, rng)
    deck_top = horizon + int((h - horizon) * 0.45)
    wood = (140, 100, 62) if tod not in ("night", "dusk") else (54, 40, 30)
    draw.rectangle([0, deck_top, w, h], fill=wood)
    for i in range(-10, 11):  # planks converging to a vanishing point above the deck
        draw.line([(w // 2 + i * w // 40, deck_top), (w // 2 + i * w // 8, h)], fill=_lerp(wood, (0, 0, 0), 0.35),
                  width=SUPERSAMPLE * 2)
    rail = _lerp(wood, (0, 0, 0), 0.2)
    draw.rectangle([0, deck_top - h // 12, w, deck_top - h // 12 + SUPERSAMPLE * 6], fill=rail)
    for i in range(16):
        x = int(w * i / 15)
        draw.rectangle([x, deck_top - h // 12, x + SUPERSAMPLE * 5, deck_top], fill=rail)


def _beach(img, draw, horizon, tod, weather, rng) -> None:
    w, h = img.size
    shore = horizon + int((h - horizon) * 0.35)
    _sea(img, draw, horizon, tod, weather, rng, bottom=shore)
    sand = (226, 204, 156) if tod not in ("night", "dusk") else (90, 84, 80)
    img.paste(_vertical_gradient(w, h - shore, sand, _lerp(sand, (120, 90, 50), 0.3)), (0, shore))
    pts = [(x, shore + 6 * SUPERSAMPLE * np.sin(x / (w / 9))) for x in range(0, w + 8, 8)]
    draw.line(pts, fill=(250, 250, 246), width=SUPERSAMPLE * 4)  # the foam line where waves break
    _speckle(img, shore, [_lerp(sand, (0, 0, 0), 0.15), _lerp(sand, (255, 255, 255), 0.2)], 300, 2 * SUPERSAMPLE, rng)


INTERIOR_STYLE = {  # wall colour and a feature of the room that names it
    "hospital": ((196, 220, 206), "bed"), "school": ((214, 200, 170), "blackboard"),
    "church": ((150, 140, 128), "arches"), "office_lab": ((190, 194, 200), "shelves"),
    "kitchen": ((226, 214, 180), "tiles"), "bedroom": ((180, 150, 170), "bed"), "home": (None, ""),
    "space_station": ((120, 130, 140), "porthole"), "lighthouse": ((136, 130, 122), "porthole"),
    "boat_deck": ((120, 92, 64), "porthole"),
}


def _room(img, tod, rng, kind) -> None:
    w, h = img.size
    _paint_interior(img, tod, rng)
    wall, feature = INTERIOR_STYLE.get(kind, (None, ""))
    draw = ImageDraw.Draw(img)
    floor_y = int(h * 0.72)
    night = tod in ("night", "dusk")
    tone = (128, 124, 120)
    if wall is not None:
        tone = _lerp(wall, (20, 18, 30), 0.5) if night else wall
        img.paste(_vertical_gradient(w, floor_y, _lerp(tone, (0, 0, 0), 0.2), tone), (0, 0))
    if feature == "blackboard":
        draw.rectangle([int(w * 0.3), int(h * 0.18), int(w * 0.7), int(h * 0.48)], fill=(30, 60, 44), outline=(120, 90, 60),
                       width=SUPERSAMPLE * 6)
        for i in range(4):
            y = int(h * (0.24 + 0.06 * i))
            draw.line([(int(w * 0.34), y), (int(w * (0.44 + 0.2 * rng.random())), y)], fill=(220, 220, 210), width=SUPERSAMPLE * 2)
    elif feature == "arches":
        for i in range(3):
            x = int(w * (0.2 + 0.3 * i))
            aw, top = int(w * 0.08), int(h * 0.12)
            glass = Image.new("L", img.size, 0)
            ImageDraw.Draw(glass).rectangle([x, top + aw // 2, x + aw, int(h * 0.55)], fill=255)
            ImageDraw.Draw(glass).ellipse([x, top, x + aw, top + aw], fill=255)
            img.paste(Image.new("RGB", img.size, [(180, 40, 50), (40, 80, 180), (220, 170, 40)][i]), (0, 0), glass)
            draw.line([(x + aw // 2, top), (x + aw // 2, int(h * 0.55))], fill=(40, 36, 30), width=SUPERSAMPLE * 3)
    elif feature == "shelves":
        for i in range(4):
            y = int(h * (0.2 + 0.1 * i))
            draw.rectangle([int(w * 0.05), y, int(w * 0.3), y + SUPERSAMPLE * 4], fill=(90, 80, 70))
            for j in range(8):
                x = int(w * (0.06 + 0.028 * j))
                draw.rectangle([x, y - h // 20, x + w // 60, y], fill=[(160, 60, 50), (60, 90, 150), (200, 180, 90)][j % 3])
    elif feature == "tiles":
        for y in range(int(h * 0.42), int(h * 0.6), h // 30):
            for x in range(0, w, w // 30):
                draw.rectangle([x, y, x + w // 30 - 2, y + h // 30 - 2], outline=(255, 255, 255), width=1)
        draw.rectangle([0, int(h * 0.6), w, int(h * 0.64)], fill=(120, 90, 60))
    elif feature == "porthole":
        zenith, sky_h, _, _ = SKY[tod]
        for x in (0.3, 0.62):
            cx, cy, r = int(w * x), int(h * 0.36), int(h * 0.12)
            glass = Image.new("L", img.size, 0)
            ImageDraw.Draw(glass).ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
            if kind == "space_station":  # space outside
                img.paste((4, 4, 16), (0, 0, w, h), glass)
                for _ in range(30):
                    sx, sy = cx + rng.randrange(-r // 2, r // 2), cy + rng.randrange(-r // 2, r // 2)
                    draw.ellipse([sx, sy, sx + 3, sy + 3], fill=(240, 240, 255))
            else:  # the sky and the sea outside a round window
                view = _vertical_gradient(w, 2 * r, zenith, sky_h)
                ImageDraw.Draw(view).rectangle([0, r + r // 4, w, 2 * r], fill=_lerp(zenith, (0, 20, 40), 0.5))
                img.paste(view, (0, cy - r), glass.crop((0, cy - r, w, cy + r)))
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(200, 204, 210), width=SUPERSAMPLE * 8)
        if kind == "space_station":
            for y in range(0, floor_y, h // 8):
                draw.line([(0, y), (w, y)], fill=(90, 96, 104), width=SUPERSAMPLE * 2)
        else:  # stone courses of a tower's wall
            for y in range(0, floor_y, h // 14):
                draw.line([(0, y), (w, y)], fill=_lerp(tone, (0, 0, 0), 0.25), width=SUPERSAMPLE)


def paint_location_plate(name: str, time_of_day: str, mood: str, width: int, height: int, heading: str = "",
                         weather: str = "clear") -> Image.Image:
    """A deterministic backdrop that reads as its kind of place (``plate_layout`` says where things are)."""
    if time_of_day not in SKY:
        raise ValueError(f"time of day {time_of_day!r} is not one of {sorted(SKY)}")
    layout = plate_layout(name, heading)
    sw, sh = width * SUPERSAMPLE, height * SUPERSAMPLE
    rng = random.Random(_seed("location", slugify(name)))  # shapes from the name only: a place keeps its layout
    img = Image.new("RGB", (sw, sh))
    kind, horizon = layout.kind, int(sh * layout.horizon)
    if not layout.interior:
        rng.random()  # the horizon's draw (plate_layout): shapes after it stay as they were before kinds
    if layout.interior:
        _room(img, time_of_day, rng, kind)
    elif kind == "space":
        _space(img, ImageDraw.Draw(img), horizon, rng)
    elif kind == "cave":
        _cave(img, ImageDraw.Draw(img), horizon, time_of_day, rng)
    else:
        _paint_sky_and_ground(img, time_of_day, horizon, rng)
        _cloud_deck(img, horizon, weather, time_of_day, rng)
        draw = ImageDraw.Draw(img)
        if kind in ("glacier", "crevasse", "research_station"):
            _ice(img, draw, horizon, time_of_day, rng, crevasse=kind == "crevasse")
        elif kind in ("sea", "lighthouse", "rocky_coast"):
            _sea(img, draw, horizon, time_of_day, weather, rng)
            if kind != "sea":
                _headland(img, draw, horizon, time_of_day, rng)
        elif kind == "harbour":
            _paint_hills(draw, sw, horizon, sh, time_of_day, rng, SKY[time_of_day][2])
            _paint_water(img, draw, horizon, time_of_day, rng)
        elif kind == "boat_deck":
            _deck(img, draw, horizon, time_of_day, weather, rng)
        elif kind == "beach":
            _beach(img, draw, horizon, time_of_day, weather, rng)
        elif kind == "river_lake":
            _river(img, draw, horizon, time_of_day, weather, rng)
        elif kind == "desert":
            _desert(img, draw, horizon, time_of_day, rng)
        elif kind == "mountain":
            _mountain(img, draw, horizon, time_of_day, rng)
        elif kind == "forest":
            _forest(img, draw, horizon, time_of_day, rng)
        elif kind == "field":
            _field(img, draw, horizon, time_of_day, rng)
        elif kind == "village":
            _village(img, draw, horizon, time_of_day, rng)
        elif kind in ("city_street", "market"):
            _street(img, draw, horizon, time_of_day, rng, awnings=kind == "market")
        elif kind == "train_station":
            _station(img, draw, horizon, time_of_day, rng)
        else:  # generic: an open landscape, hills and a few trees
            _paint_hills(draw, sw, horizon, sh, time_of_day, rng, SKY[time_of_day][2])
            _paint_trees(draw, sw, horizon, sh, time_of_day, rng, count=rng.randrange(2, 6))
    img = _mood_adjust(img, mood)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    _letter(img, name)
    return img
