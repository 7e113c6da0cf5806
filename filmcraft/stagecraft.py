"""Staging what a shot depicts: where props stand, how figures move, what the camera frames.

Works in the previs's stage units (1.0 = the height of a standing-room stage, figures 0.8 tall,
feet on ``GROUND_Y``) and turns a ``Depiction`` into geometry:

- the subject window when the subject is a prop (a close-up of an hourglass frames the hourglass),
- props placed inside the planned window, clear of the figures, sized to be seen,
- landmarks composited onto the location plate at the anchors the painted plate records,
- motion paths (start, end, bob, rotation or turn cells) for moving figures and creatures, which
  the renderer turns into sprites moved by ffmpeg ``overlay`` expressions.

Sprites are painted once with Pillow at the layer's scale; a motion with poses (a fall's rotation,
a turn, a wing beat) is a vertical sheet of cells that a ``crop`` expression steps through, so
nothing is resampled per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PIL import Image

from filmcraft.depiction import Depiction, PropPick
from filmcraft.references.scenery import PlateLayout

FIGURE_HEIGHT = 0.8
GROUND_Y = 0.95
MAX_CARD_REPAINT = 2400  # px: sharper generated figures for close-ups, bounded cost
# share of the frame height a prop subject fills, by shot size
PROP_FILL = {"extreme_wide": 0.1, "wide": 0.2, "full": 0.38, "medium_wide": 0.45, "medium": 0.52,
             "medium_close_up": 0.6, "close_up": 0.68, "extreme_close_up": 0.85}
HELD = 0.22  # props this small are held at hand height when a character shares the shot
HAND_Y = GROUND_Y - 0.42 * FIGURE_HEIGHT
# walking and running speed as a share of the window width over the shot; the camera's own
# travel when it pans or trucks the same way (the move follows the walker)
SPEED = {"walk": 0.28, "run": 0.55, "climb": 0.0, "carried": 0.28}
FOLLOW = {"pan_left": ("left", 0.4), "pan_right": ("right", 0.4), "truck_left": ("left", 0.36),
          "truck_right": ("right", 0.36)}


@dataclass(frozen=True)
class Frame:
    """A camera window: centre and height (stage units); width is ``vh * aspect``."""

    cx: float
    cy: float
    vh: float


@dataclass
class Motion:
    """Feet-point path of a sprite over the shot, in stage units."""

    start: tuple[float, float]
    end: tuple[float, float]
    until: float = 1.0  # share of the shot by which the end is reached (eased), then held
    linear: bool = True
    bob: float = 0.0  # amplitude, stage units (abs(sin): a step)
    bob_hz: float = 0.0
    # poses: (angle, mirror, squash); squash < 0 narrows the width by |squash| (a figure turning edge-on)
    cells: list[tuple[float, bool, float]] = field(default_factory=lambda: [(0.0, False, 1.0)])
    cell_mode: str = "still"  # "still", "progress" (rotate through), "switch" (at mid shot), "flap"

    def at(self, p: float) -> tuple[float, float]:
        q = min(1.0, p / self.until) if self.until > 0 else 1.0
        if not self.linear:
            q = q * q * (3 - 2 * q)
        return (self.start[0] + (self.end[0] - self.start[0]) * q, self.start[1] + (self.end[1] - self.start[1]) * q)


@dataclass
class Placed:
    """A prop at a stage position (feet point x, y) and height, still or moving."""

    pick: PropPick
    x: float
    feet_y: float
    height: float
    motion: Motion | None = None


@dataclass
class Sprite:
    image: Image.Image  # RGBA; ``cells`` frames stacked vertically
    cells: int
    anchor: tuple[float, float]  # feet point inside one cell, px
    motion: Motion
    label: str


def figure_rows(img: Image.Image) -> tuple[int, int, float]:
    """Head-top row, feet row and head column of a figure image (ignoring a name label below)."""
    alpha = np.asarray(img.getchannel("A")) > 16
    rows = np.flatnonzero(alpha.any(axis=1))
    if rows.size == 0:
        return 0, img.height, img.width / 2
    # the figure is the first long run of non-empty rows; a label sits below a gap
    breaks = np.flatnonzero(np.diff(rows) > 1)
    runs = np.split(rows, breaks + 1)
    run = next((r for r in runs if r.size > 0.3 * img.height), max(runs, key=len))
    top, bottom = int(run[0]), int(run[-1]) + 1
    head_rows = alpha[top: top + max(1, (bottom - top) // 10)]
    cols = np.flatnonzero(head_rows.any(axis=0))
    centre = float(cols.mean()) if cols.size else img.width / 2
    return top, bottom, centre


# --- framing ------------------------------------------------------------------------------------

def subject_prop_placement(dep: Depiction, figures: list[Any], aspect: float) -> Placed | None:
    """Where a prop subject stands: in a character's hand, on the ground, or in the air."""
    pick = dep.subject_prop
    if pick is None:
        return None
    h = pick.height
    if pick.motion == "hover":
        if figures:  # a kite, a bird over the people who watch it: up and to one side of them
            top = min(f.feet_y - f.height for f in figures)
            return Placed(pick, max(f.x for f in figures) + 0.25 + h * 0.3, top - 0.12, h)
        return Placed(pick, aspect * 0.55, GROUND_Y - 0.95, h)
    if figures:
        first = figures[0]
        if h <= HELD:
            return Placed(pick, first.x + 0.16, HAND_Y + h / 2, h)
        return Placed(pick, first.x + 0.3 + h * 0.3, GROUND_Y, h)
    return Placed(pick, aspect / 2, GROUND_Y, h)


def subject_frame(placed: Placed, shot_size: str, bias: float, figures: list[Any] = ()) -> Frame:
    """The window that frames a prop subject at the planned shot size; a wide shot of something in
    the air over people (a kite, a bird) takes in the people too."""
    # a tall subject (a lighthouse, a ship) still fills much of even a wide frame
    vh = placed.height / max(PROP_FILL[shot_size], min(0.75, 0.35 * placed.height))
    cy = placed.feet_y - placed.height / 2
    cx = placed.x
    if figures and placed.pick.motion == "hover" and shot_size in ("extreme_wide", "wide", "full", "medium_wide"):
        top, bottom = placed.feet_y - placed.height - 0.06, GROUND_Y + 0.04
        vh = max(vh, (bottom - top) * 1.08)
        cy = (top + bottom) / 2
        xs = [f.x for f in figures] + [placed.x]
        cx = (min(xs) + max(xs)) / 2
        return Frame(cx, cy - 0.06 * bias * vh, vh)
    cy = min(cy, GROUND_Y + 0.05 - 0.5 * vh) if shot_size in ("extreme_wide", "wide", "full") else cy
    return Frame(cx, cy - 0.06 * bias * vh, vh)


def place_props(dep: Depiction, figures: list[Any], win: Frame, aspect: float, subject: Placed | None,
                motions: dict[str, Motion], fps: int, frames: int) -> list[Placed]:
    """Every depicted prop inside the window: the subject where framed, others in free slots."""
    vw = win.vh * aspect
    taken = [f.x for f in figures] + ([subject.x] if subject else [])
    slots = [0.22, -0.26, 0.34, -0.36, 0.1, -0.12]
    placed: list[Placed] = [subject] if subject else []
    if subject is not None and subject.pick.motion == "hover":
        subject.motion = _hover(subject, frames, fps)
    for pick in dep.props:
        if pick.subject or pick.landmark or pick.place:
            continue  # framed above, standing in the plate, or the plate itself
        h = min(pick.height, 0.42 * win.vh)
        if pick.motion in ("fly", "hover"):
            side = -1 if pick.direction == "right" else 1
            y = win.cy - 0.3 * win.vh
            p = Placed(pick, win.cx + side * 0.42 * vw, y, h)
            p.motion = Motion((win.cx + side * 0.42 * vw, y), (win.cx - side * 0.42 * vw, y - 0.05 * win.vh),
                              bob=0.04 * win.vh, bob_hz=0.7, cells=_flap_cells(), cell_mode="flap")
            placed.append(p)
            continue
        bottom = min(GROUND_Y + 0.01, win.cy + 0.46 * win.vh)
        top_limit = win.cy - 0.46 * win.vh
        h = min(h, bottom - top_limit)
        if pick.motion == "carried" and motions:
            m = next(iter(motions.values()))
            ahead = 1 if pick.direction == "right" else -1
            if pick.height <= HELD:  # carried in the hands, in front of the chest
                dx, y = ahead * 0.12, m.start[1] - 0.42 * FIGURE_HEIGHT + pick.height / 2
            else:  # hauled behind
                dx, y = -ahead * (0.1 + h * 0.6), bottom
            p = Placed(pick, m.start[0] + dx, y, h)
            p.motion = Motion((m.start[0] + dx, y), (m.end[0] + dx, y), until=m.until, linear=m.linear,
                              bob=m.bob, bob_hz=m.bob_hz)
            placed.append(p)
            continue
        best = max(slots, key=lambda s: min((abs(win.cx + s * vw - t) for t in taken), default=9.0))
        slots.remove(best)
        if not slots:
            slots = [0.2, -0.2, 0.3, -0.3]
        x = win.cx + best * vw
        taken.append(x)
        p = Placed(pick, x, bottom, h)
        if pick.motion == "drift":  # afloat: a slow rock on the swell
            p.motion = Motion((x - 0.02 * vw, bottom), (x + 0.02 * vw, bottom), bob=0.015 * win.vh, bob_hz=0.35)
        placed.append(p)
    return placed


def _flap_cells() -> list[tuple[float, bool, float]]:
    return [(0.0, False, 1.0), (0.0, False, 0.55)]


def _hover(p: Placed, frames: int, fps: int) -> Motion:
    return Motion((p.x - 0.03, p.feet_y), (p.x + 0.03, p.feet_y - 0.02), bob=0.025 * p.height * 4, bob_hz=0.6,
                  cells=_flap_cells(), cell_mode="flap")


# --- figure motion --------------------------------------------------------------------------------

def figure_motion(kind: str, direction: str, x: float, feet_y: float, height: float, win: Frame, aspect: float,
                  movement: str, partner_x: float | None) -> Motion | None:
    """The path of a figure doing ``kind`` (None when it stands still)."""
    vw = win.vh * aspect
    sign = 1 if direction == "right" else -1 if direction == "left" else 0
    if kind in ("walk", "run"):
        follow = FOLLOW.get(movement)
        travel = follow[1] * vw if follow and follow[0] == direction else SPEED[kind] * vw
        step_hz = 1.8 if kind == "walk" else 2.8
        bob = (0.018 if kind == "walk" else 0.035) * height
        return Motion((x - sign * travel / 2, feet_y), (x + sign * travel / 2, feet_y), bob=bob, bob_hz=step_hz)
    if kind == "climb":
        rise = min(0.3 * win.vh, 0.5 * height)
        return Motion((x, feet_y + rise / 2), (x + sign * 0.03 * vw, feet_y - rise / 2), bob=0.02 * height, bob_hz=1.2)
    if kind == "fall":
        tip = 1 if direction != "left" else -1
        cells = [(-tip * 88.0 * (i / 5) ** 1.6, False, 1.0) for i in range(6)]
        return Motion((x, feet_y), (x + tip * 0.05 * height, feet_y + 0.02 * height), until=0.6, linear=False,
                      cells=cells, cell_mode="progress")
    if kind == "turn":
        return Motion((x, feet_y), (x, feet_y), cells=[(0.0, False, 1.0), (0.0, False, -0.3), (0.0, True, 1.0)],
                      cell_mode="switch")
    if kind == "embrace" and partner_x is not None:
        meet = (x + partner_x) / 2 + (0.09 if x > partner_x else -0.09) * height / FIGURE_HEIGHT
        return Motion((x, feet_y), (meet, feet_y), until=0.7, linear=False, bob=0.01 * height, bob_hz=1.6)
    if kind == "sit":
        return Motion((x, feet_y), (x, feet_y + 0.16 * height), until=0.5, linear=False)
    if kind == "fight":
        return Motion((x, feet_y), (x + sign * 0.04 * vw, feet_y), bob=0.03 * height, bob_hz=3.5)
    if kind == "dance":
        return Motion((x - 0.03 * vw, feet_y), (x + 0.03 * vw, feet_y), bob=0.03 * height, bob_hz=2.0)
    return None


# --- plate landmarks ------------------------------------------------------------------------------

def composite_landmarks(plate: Image.Image, dep: Depiction, layout: PlateLayout | None,
                        load: Callable[[PropPick], Image.Image]) -> Image.Image:
    """The plate with the place's landmarks (and any named landmark prop) standing on its ground."""
    named = [p for p in dep.props if p.landmark]
    dressing = list(dep.landmarks) if layout is not None else []  # a painted plate's own landmarks or furniture
    if not named and not dressing:
        return plate
    out = plate.convert("RGB").copy()
    w, h = out.size
    horizon = layout.horizon if layout else 0.6
    anchors = list(layout.anchors) if layout else [(0.78, 0.62)]
    jobs: list[tuple[PropPick, float, float]] = []
    for i, pick in enumerate(named):  # a named landmark stands just off centre, where most shots see it
        jobs.append((pick, 0.6 + 0.12 * i, horizon + 0.015))
    for i, pick in enumerate(dressing):
        ax, ay = anchors[i % len(anchors)]
        jobs.append((pick, ax, ay))
    for pick, ax, ay in sorted(jobs, key=lambda j: j[2]):
        img = load(pick)
        near = 1.0 + 4.0 * max(0.0, ay - horizon)
        frac = min(0.55, max(0.07, 0.2 * pick.height)) * near
        if dep.interior:
            frac = min(0.3, max(0.1, 0.45 * pick.height))
        th = max(4, int(frac * h))
        tw = max(2, int(img.width * th / img.height))
        sprite = img.convert("RGBa").resize((tw, th), Image.Resampling.LANCZOS).convert("RGBA")
        out.paste(sprite, (int(ax * w - tw / 2), int(ay * h - th)), sprite)
    return out


# --- sprites --------------------------------------------------------------------------------------

def figure_art(fig: Any, px_height: float) -> tuple[Image.Image, int, int, float]:
    """The figure's image, a painted card repainted at the size it is seen; (image, top, bottom, centre)."""
    image, top, bottom, centre = fig.image, fig.run_top, fig.run_bottom, fig.centre_px
    if fig.generated and px_height > 1.5 * (bottom - top):
        image = fig.repaint(min(round(image.height * px_height / (bottom - top)), MAX_CARD_REPAINT))
        top, bottom, centre = figure_rows(image)
    return image, top, bottom, centre


def make_sprite(image: Image.Image, feet: tuple[float, float], run_px: float, target_px: float, motion: Motion,
                label: str, roll_deg: float = 0.0) -> Sprite:
    """Scale ``image`` so ``run_px`` rows become ``target_px``; build its cells (poses) around the feet point."""
    s = target_px / max(1.0, run_px)
    size = (max(2, round(image.width * s)), max(2, round(image.height * s)))
    base = image.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    fx, fy = feet[0] * s, feet[1] * s
    if any(a or m for a, m, _ in motion.cells) or roll_deg:
        # a square cell centred on the feet: rotating or mirroring it keeps the feet where they were
        side = 2 * math.ceil(math.hypot(max(fx, base.width - fx), max(fy, base.height - fy))) + 2
        cell0 = Image.new("RGBA", (side, side), (0, 0, 0, 0))
        cell0.paste(base, (round(side / 2 - fx), round(side / 2 - fy)), base)
        fx = fy = side / 2
        base = cell0
    cells = []
    for angle, mirror, squash in motion.cells:
        cell = base.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else base
        if angle or roll_deg:
            cell = cell.rotate(angle + roll_deg, resample=Image.Resampling.BICUBIC, center=(fx, fy))
        if squash > 0 and squash != 1.0:  # a wing beat: flattened about the middle
            squashed = cell.resize((cell.width, max(1, round(cell.height * squash))), Image.Resampling.BILINEAR)
            cell = Image.new("RGBA", cell.size, (0, 0, 0, 0))
            cell.paste(squashed, (0, round((cell.height - squashed.height) / 2)))
        elif squash < 0:  # turning: seen edge-on for a moment, narrowed about the feet
            squashed = cell.resize((max(1, round(cell.width * -squash)), cell.height), Image.Resampling.BILINEAR)
            cell = Image.new("RGBA", cell.size, (0, 0, 0, 0))
            cell.paste(squashed, (round(fx - squashed.width / 2), 0))
        cells.append(cell)
    sheet = Image.new("RGBA", (base.width, base.height * len(cells)), (0, 0, 0, 0))
    for i, cell in enumerate(cells):
        sheet.paste(cell, (0, i * base.height))
    return Sprite(sheet, len(cells), (fx, fy), motion, label)


def _expr_path(a: float, b: float, motion: Motion, frames: int) -> str:
    p = f"(n/{max(frames - 1, 1)})"
    q = f"min(1,{p}/{motion.until:.4f})"
    if not motion.linear:
        q = f"({q}*{q}*(3-2*{q}))"
    return f"({a:.3f}+{b - a:.3f}*{q})" if abs(b - a) > 1e-6 else f"{a:.3f}"


def sprite_overlay(sprite: Sprite, to_px: Callable[[float, float], tuple[float, float]], k: float, index: int,
                   base: str, out: str, frames: int, fps: int, offset: tuple[str, str] = ("0", "0")) -> str:
    """Filter graph lines that move ``sprite`` (input ``index``) over ``base`` into ``out``.

    ``to_px`` maps stage units to the base's pixels; ``offset`` are expressions subtracted from the
    position (the crop corner when the base is already a camera view).
    """
    m = sprite.motion
    (ax, ay), (bx, by) = to_px(*m.start), to_px(*m.end)
    cw, ch = sprite.image.width, sprite.image.height // sprite.cells
    x = f"{_expr_path(ax, bx, m, frames)}-{sprite.anchor[0]:.2f}-({offset[0]})"
    y = f"{_expr_path(ay, by, m, frames)}-{sprite.anchor[1]:.2f}-({offset[1]})"
    if m.bob:
        y += f"-{m.bob * k:.3f}*abs(sin(n*{math.pi * m.bob_hz / fps:.5f}))"
    chain = [f"[{index}:v]format=yuva420p,loop=loop={frames - 1}:size=1:start=0,setpts=N/({fps}*TB)"]
    if sprite.cells > 1:
        if m.cell_mode == "progress":
            cell = f"min({sprite.cells - 1},floor({sprite.cells}*min(1,n/{max(1, frames - 1) * m.until:.3f})))"
        elif m.cell_mode == "switch":  # the turn happens mid-shot, through its edge-on pose
            cell = f"gte(n,{round(frames * 0.42)})+gte(n,{round(frames * 0.58)})" if sprite.cells == 3 else f"gte(n,{frames // 2})"
        else:  # flap: a wing beat every few frames
            cell = f"mod(floor(n*{6.0 / fps:.4f}),2)"
        chain.append(f"crop=w={cw}:h={ch}:x=0:y='{ch}*({cell})'")
    return f"{','.join(chain)}[{sprite.label}];[{base}][{sprite.label}]overlay=x='{x}':y='{y}':format=yuv420[{out}]"


# --- a shot's staging -----------------------------------------------------------------------------

def describe_shot(plan: Any, location_path: str | None, generated: bool, visuals: Any) -> Depiction:
    """The depiction of a shot as the renderer will draw it (the plate's own layout decides the place)."""
    from filmcraft.depiction import depict
    from filmcraft.references.scenery import read_plate_layout

    layout = read_plate_layout(location_path) if (generated and location_path) else None
    return depict(plan, visuals, interior=layout.interior if layout else None, kind=layout.kind if layout else None)


def figure_motions(dep: Depiction, figures: list[Any], win: Frame, aspect: float, movement: str) -> dict[str, Motion]:
    """Motion paths of the figures that move, by name."""
    picks = {p.name: p for p in dep.figures}
    out: dict[str, Motion] = {}
    for i, fig in enumerate(figures):
        pick = picks.get(fig.name)
        if pick is None or pick.motion == "stand":
            continue
        partner = figures[1 - i].x if pick.motion == "embrace" and len(figures) > 1 and i < 2 else None
        m = figure_motion(pick.motion, pick.direction, fig.x, fig.feet_y, fig.height, win, aspect, movement, partner)
        if m is not None:
            out[fig.key] = m
    return out


class CutoutCache:
    """Visual library images, opened once per shot."""

    def __init__(self) -> None:
        self._images: dict[str, Image.Image] = {}

    def __call__(self, pick: PropPick) -> Image.Image:
        key = str(pick.visual.path)
        if key not in self._images:
            with Image.open(pick.visual.path) as img:
                self._images[key] = img.convert("RGBA")
        return self._images[key]


def paint_cutouts(layer: Image.Image, items: list[Placed], canvas: Any, load: CutoutCache) -> Image.Image:
    """Composite still props (bottom-centre on their feet point), resampling only what lands on the layer."""
    for item in sorted(items, key=lambda p: p.feet_y):
        image = load(item.pick)
        s = item.height * canvas.k / image.height
        x, y = canvas.px(item.x, item.feet_y)
        left, top = x - image.width * s / 2, y - image.height * s
        dx0, dy0 = max(0, math.floor(left)), max(0, math.floor(top))
        dx1 = min(layer.width, math.ceil(left + image.width * s))
        dy1 = min(layer.height, math.ceil(top + image.height * s))
        if dx1 <= dx0 or dy1 <= dy0:
            continue
        box = (max(0.0, (dx0 - left) / s), max(0.0, (dy0 - top) / s), min(float(image.width), (dx1 - left) / s),
               min(float(image.height), (dy1 - top) / s))
        part = image.convert("RGBa").resize((dx1 - dx0, dy1 - dy0), Image.Resampling.LANCZOS, box=box).convert("RGBA")
        layer.alpha_composite(part, (dx0, dy0))
    return layer


def sprites_for(figures: list[Any], motions: dict[str, Motion], props: list[Placed], k: float, load: CutoutCache,
                roll_deg: float) -> list[Sprite]:
    """A sprite per moving figure and moving prop, at the layer's scale."""
    sprites: list[Sprite] = []
    for fig in figures:
        m = motions.get(fig.key)
        if m is None:
            continue
        image, top, bottom, _ = figure_art(fig, fig.height * k)
        if any(mirror for _, mirror, _ in m.cells):
            image = image.crop((0, 0, image.width, bottom))  # a turning figure: its name label must not flip
        sprites.append(make_sprite(image, (image.width / 2, bottom), bottom - top, fig.height * k, m,
                                   f"fig{len(sprites)}", roll_deg))
    for p in props:
        if p.motion is None:
            continue
        image = load(p.pick)
        motion = p.motion
        if p.pick.direction == "left" and p.pick.motion in ("fly", "hover"):
            # a creature faces where it flies: the sheet is mirrored, cells keep their poses
            image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        sprites.append(make_sprite(image, (image.width / 2, image.height), image.height, p.height * k, motion,
                                   f"prop{len(sprites)}", roll_deg))
    return sprites


def clip_sprite(sprite: Sprite, to_px: Callable[[float, float], tuple[float, float]], k: float,
                size: tuple[int, int]) -> Sprite:
    """The sprite cut to what can ever land on a base of ``size`` along its path: ffmpeg blends every
    pixel of an overlay, so a close figure's legs below the frame would cost as much as its face."""
    m = sprite.motion
    (ax, ay), (bx, by) = to_px(*m.start), to_px(*m.end)
    cw, ch = sprite.image.width, sprite.image.height // sprite.cells
    left = min(ax, bx) - sprite.anchor[0]
    right = max(ax, bx) - sprite.anchor[0]
    top = min(ay, by) - sprite.anchor[1] - m.bob * k
    bottom = max(ay, by) - sprite.anchor[1]
    x0, y0 = max(0, math.floor(-right)), max(0, math.floor(-bottom))
    x1, y1 = min(cw, math.ceil(size[0] - left)), min(ch, math.ceil(size[1] - top))
    if x1 - x0 < 2 or y1 - y0 < 2 or (x0, y0, x1, y1) == (0, 0, cw, ch):
        return sprite
    sheet = Image.new("RGBA", (x1 - x0, (y1 - y0) * sprite.cells), (0, 0, 0, 0))
    for i in range(sprite.cells):
        sheet.paste(sprite.image.crop((x0, i * ch + y0, x1, i * ch + y1)), (0, i * (y1 - y0)))
    return Sprite(sheet, sprite.cells, (sprite.anchor[0] - x0, sprite.anchor[1] - y0), m, sprite.label)
