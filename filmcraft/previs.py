"""Previs renderer: one shot from its reference images, with the planned camera language visible
and what the shot depicts drawn (``filmcraft.depiction`` decides it, ``stagecraft`` stages it).

How a shot is made:

1. Depiction and staging (plain geometry, "stage units" where 1.0 is the height of a
   standing-room stage): figures stand on a ground line, the first character on the left third,
   the second on the right third (screen direction). The planned shot size sets the camera window
   around the framed character (extreme wide .. extreme close-up) or, when the subject is a prop
   or creature, around that (a close-up of an hourglass fills the frame with the hourglass); the
   angle scales the figures and biases the view of the plate; the lens sets how much of the
   location plate is visible behind the subject (wide lens = more plate, long lens = less plate,
   blurred); the movement gives a start and an end window (plus a seeded shake for handheld, a
   10 degree roll for dutch). Props from the visual library stand inside the window, clear of the
   figures; the place's landmarks are composited onto the plate at the anchors it records.
2. Pillow paints the static layers once, at a resolution where the tightest window maps about
   1:1 onto the output frame: a single master frame (plate + still figures and props) or, for
   truck and orbit, a plate layer and a figure layer so they can move at different speeds
   (parallax). A dutch roll is baked in here with one rotation, so ffmpeg only moves an upright
   image. Moving figures and creatures become sprites (a sheet of poses for a fall, a turn, a
   wing beat), painted once at the layer's scale.
3. ffmpeg loops the master (ungraded: the conform applies the scene's grade LUT) for the shot's frame count, moves
   the sprites over it with ``overlay`` expressions (walk, run, climb, fall, embrace; a bob per
   step) and moves the camera with per-frame expressions: ``zoompan`` (window size -> zoom,
   centre -> x/y) for the single-layer path, ``crop`` per layer + ``overlay`` for parallax.
   Weather (``weather_fx``) goes over the camera view at output resolution: a scrolled particle
   or fog layer, lightning as ``eq`` pulses. What sits on the lens rather than in the scene
   (wide-lens vignette, lower-third slate with shot id, size, movement, angle, lens) is one
   fixed overlay, composited last.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from filmcraft.contracts import ReferenceSet, RenderManifest, ShotPlan
from filmcraft.media import run_ffmpeg
from filmcraft.references.cards import figure_build, group_size, lettering_font, paint_character_card
from filmcraft.references.names import slugify
from filmcraft import stagecraft as sc
from filmcraft.grades import GRADES, grade_name
from filmcraft.review import contact_sheet, keyframe
from filmcraft import weather_fx as wx
from filmcraft.references.scenery import read_plate_layout
from filmcraft.roles import VisualLibrary
from filmcraft.stagecraft import MAX_CARD_REPAINT, figure_rows
from filmcraft.store import atomic_path, scratch_dir

__all__ = ["GRADES", "grade_name", "contact_sheet", "keyframe", "render_shot"]  # looks and review helpers re-exported

# --- film grammar tables ----------------------------------------------------------------------

FIGURE_HEIGHT = 0.8  # standing figure, stage units
GROUND_Y = 0.95  # feet line of the front row of figures

# shot size -> (window height / figure height, vertical anchor). Anchors: ("feet", f) puts the
# feet at fraction f of the frame height; ("head", f) puts the top of the head at f;
# ("face", 0.5) centres the face.
FRAMING: dict[str, tuple[float, tuple[str, float]]] = {
    "extreme_wide": (4.0, ("feet", 0.78)),
    "wide": (2.1, ("feet", 0.84)),
    "full": (1.22, ("feet", 0.92)),
    "medium_wide": (0.80, ("head", 0.08)),
    "medium": (0.56, ("head", 0.09)),
    "medium_close_up": (0.40, ("head", 0.08)),
    "close_up": (0.25, ("head", 0.07)),
    "extreme_close_up": (0.12, ("face", 0.5)),
}
# share of the plate's width a shot size shows at a 24 mm lens (extreme wide: all of it)
PLATE_SHARE = {
    "extreme_wide": 1.6, "wide": 1.25, "full": 1.0, "medium_wide": 0.9, "medium": 0.8,
    "medium_close_up": 0.7, "close_up": 0.6, "extreme_close_up": 0.45,
}
TIGHT_SIZES = ("medium_wide", "medium", "medium_close_up", "close_up", "extreme_close_up")

# angle -> (figure scale, vertical view bias): low looks up (figures loom, more sky),
# high/overhead look down (figures shrink, more ground)
ANGLE_STAGING = {"eye_level": (1.0, 0.0), "dutch": (1.0, 0.0), "low": (1.15, 0.8), "high": (0.86, -0.6),
                 "overhead": (0.7, -1.0)}
DUTCH_DEG = 10.0
# x264 speed. A shot under animated weather changes every pixel of most frames, so it is encoded
# with superfast (no sub-pixel search or lookahead; same CRF, files ~15% larger); other shots keep
# veryfast, whose lookahead keeps a locked-off frame from breathing with encoder noise
X264_PRESET = "veryfast"
X264_PRESET_WEATHER = "superfast"

def lens_plate_share(lens_mm: float) -> float:
    """How much of the plate a lens sees relative to 24 mm (field of view ~ 1/focal length)."""
    return float(np.clip((24.0 / lens_mm) ** 0.9, 0.2, 1.3))


def lens_blur_px(lens_mm: float, shot_size: str, height: int) -> float:
    """Background blur (output pixels) for shallow depth of field: long lenses and tight shots."""
    tight = list(FRAMING).index(shot_size) / (len(FRAMING) - 1)  # 0 extreme wide .. 1 ECU
    base = max(0.0, (lens_mm - 40.0) / 9.0) + 3.0 * max(0.0, tight - 0.5)
    return float(min(base, 9.0) * height / 720.0)


# --- geometry ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A camera window on the stage: centre, height (width follows the frame aspect), roll."""

    cx: float
    cy: float
    vh: float
    roll_deg: float = 0.0


@dataclass(frozen=True)
class Figure:
    name: str
    image: Image.Image  # RGBA
    x: float  # stage x of the figure's centre line
    feet_y: float
    height: float  # head top to feet, stage units
    run_top: int  # image rows of head top and feet (the figure, without the name label)
    run_bottom: int
    centre_px: float  # image column of the head
    generated: bool = True  # a painted card can be repainted sharper for tight shots
    member: int = 0  # the second, third ... of a group character ("the twin sisters")
    card: str = ""  # the name the card is painted from (a group's other members look their own)
    label: str | None = None  # the card's lettering (None: the name; "": none)

    @property
    def key(self) -> str:  # one per figure on stage: motions are kept by it
        return self.name if not self.member else f"{self.name}#{self.member}"

    def repaint(self, height: int) -> Image.Image:
        return paint_character_card(self.card or self.name, height, self.label)

    @property
    def scale(self) -> float:  # stage units per image pixel
        return self.height / max(1, self.run_bottom - self.run_top)

    @property
    def head_top(self) -> float:
        return self.feet_y - self.height

    @property
    def face_y(self) -> float:
        return self.head_top + 0.085 * self.height  # between bare-headed and hatted cards


@dataclass(frozen=True)
class Move:
    """Start and end windows per layer; ``plate_*`` differ from ``fig_*`` only with parallax."""

    fig_start: Window
    fig_end: Window
    plate_start: Window
    plate_end: Window
    shake: float  # handheld amplitude, fraction of window height
    parallax: bool


def _as_figure_image(path: Path) -> Image.Image:
    img = Image.open(path)
    img.load()
    if img.mode == "RGBA":
        return img
    # a user photo without transparency: show it as a framed card standing in the scene
    img = img.convert("RGB")
    border = max(2, img.height // 80)
    framed = Image.new("RGBA", (img.width + 2 * border, img.height + 2 * border), (235, 235, 235, 255))
    framed.paste(img, (border, border))
    return framed


# bump when the drawing of an unchanged plan changes (framing, colours, figures), so cached clips are redrawn
PREVIS_VERSION = "previs-v9"  # v9: ungraded (the conform applies the scene's LUT)


def stage_figures(plan: ShotPlan, refs: ReferenceSet, aspect: float, card_height: int) -> list[Figure]:
    """Place the shot's characters: first on the left third, second on the right third, others between."""
    by_slug = {slugify(c.name): c for c in refs.characters}
    scale, _ = ANGLE_STAGING[plan.camera.angle]
    slots = [(1 / 3, 1.0, 0.0), (2 / 3, 1.0, 0.0), (0.5, 0.86, 0.05), (1 / 6, 0.86, 0.05), (5 / 6, 0.86, 0.05)]
    figures: list[Figure] = []
    # a group character is as many figures as it names ("the twin sisters": two), the others unlettered
    cast = [(name, m) for name in plan.characters for m in range(group_size(name))]
    if len(cast) > len(slots):
        cast = [c for c in cast if c[1] == 0][:len(slots)] + [c for c in cast if c[1]][:max(0, len(slots) - len(plan.characters))]
    for (name, member), (fx, depth, lift) in zip(cast, slots):
        ref = by_slug.get(slugify(name))
        generated = ref is None or ref.generated
        twins = "twin" in name.lower()
        card, label = (name, None) if not member else (name if twins else f"{name} {member}", "")
        if ref and not (member and generated):
            img = _as_figure_image(Path(ref.path))
        else:
            img = paint_character_card(card, card_height, label)
        top, bottom, centre = figure_rows(img)
        child = figure_build(name)[0] and generated  # a painted child stands shorter; a photo is as given
        figures.append(Figure(name=name, image=img, x=fx * aspect, feet_y=GROUND_Y - lift,
                              height=FIGURE_HEIGHT * scale * depth * (0.68 if child else 1.0), run_top=top,
                              run_bottom=bottom, centre_px=centre, generated=generated, member=member,
                              card=card, label=label))
    return figures


def planned_window(plan: ShotPlan, figures: list[Figure], aspect: float) -> Window:
    """The shot-size framing around the first character (or the stage centre with no one in shot)."""
    size = plan.camera.shot_size
    ratio, (anchor, at) = FRAMING[size]
    vh = FIGURE_HEIGHT * ratio  # nominal figure: low angles make the real figure loom larger
    if figures:
        subject = figures[0]
        head_x = subject.x + (subject.centre_px - subject.image.width / 2) * subject.scale
        feet, head_top, face = subject.feet_y, subject.head_top, subject.face_y
    else:
        head_x, feet = aspect / 2, GROUND_Y
        head_top, face = feet - FIGURE_HEIGHT, feet - FIGURE_HEIGHT * 0.93
    if anchor == "feet":
        cy = feet - (at - 0.5) * vh
    elif anchor == "head":
        cy = head_top - at * vh + 0.5 * vh
    else:
        cy = face
    vw = vh * aspect
    if not figures or size not in TIGHT_SIZES:
        cx = aspect / 2
    elif size == "extreme_close_up":
        cx = head_x
    else:
        cx = head_x + 0.12 * vw  # looking room: the first character faces screen right
    _, bias = ANGLE_STAGING[plan.camera.angle]
    cy -= 0.06 * bias * vh  # low angle: subject sits lower, more above; high: the reverse
    roll = DUTCH_DEG if plan.camera.angle == "dutch" else 0.0
    return Window(cx, cy, vh, roll)


def _focus(plan: ShotPlan, figures: list[Figure], w: Window) -> tuple[float, float]:
    if figures:
        f = figures[0]
        return f.x, f.face_y
    return w.cx, w.cy


def _zoom_about(w: Window, fx: float, fy: float, factor: float) -> Window:
    """Window scaled by ``factor`` (<1 tighter) keeping the focus point at the same frame position."""
    return replace(w, cx=fx + (w.cx - fx) * factor, cy=fy + (w.cy - fy) * factor, vh=w.vh * factor)


def plan_move(plan: ShotPlan, figures: list[Figure], aspect: float, window: Window | None = None,
              focus: tuple[float, float] | None = None) -> Move:
    """Start and end windows of the planned move around ``window`` (default: the shot-size framing)."""
    w = window or planned_window(plan, figures, aspect)
    vw = w.vh * aspect
    fx, fy = focus or _focus(plan, figures, w)
    m = plan.camera.movement
    start = end = w
    parallax = False
    plate_start = plate_end = None
    shake = 0.0
    if m == "push_in":
        end = _zoom_about(w, fx, fy, 1 / 1.4)
    elif m == "pull_out":
        end = _zoom_about(w, fx, fy, 1.4)
    elif m in ("pan_left", "pan_right"):
        d = 0.2 * vw * (1 if m == "pan_right" else -1)
        start, end = replace(w, cx=w.cx - d), replace(w, cx=w.cx + d)
    elif m in ("tilt_up", "tilt_down"):
        d = 0.15 * w.vh * (1 if m == "tilt_down" else -1)
        start, end = replace(w, cy=w.cy - d), replace(w, cy=w.cy + d)
    elif m in ("crane_up", "crane_down"):
        # rising camera: the view climbs and widens a little; descending is the reverse
        low, high = replace(w, cy=w.cy + 0.12 * w.vh), _zoom_about(replace(w, cy=w.cy - 0.12 * w.vh), fx, fy, 1.12)
        start, end = (low, high) if m == "crane_up" else (high, low)
    elif m in ("truck_left", "truck_right"):
        # camera slides sideways: near figures cross the frame faster than the far plate
        d = 0.18 * vw * (1 if m == "truck_right" else -1)
        start, end = replace(w, cx=w.cx - d), replace(w, cx=w.cx + d)
        plate_start, plate_end = replace(w, cx=w.cx - 0.4 * d), replace(w, cx=w.cx + 0.4 * d)
        parallax = True
    elif m == "orbit":
        # circling the subject: the subject holds the frame, the background sweeps the other way
        # (a per-frame roll would need ffmpeg's rotate filter, which doubles the render time)
        d = 0.05 * vw
        start, end = replace(w, cx=w.cx - d), replace(w, cx=w.cx + d)
        plate_start, plate_end = replace(w, cx=w.cx + 0.3 * vw), replace(w, cx=w.cx - 0.3 * vw)
        parallax = True
    elif m == "handheld":
        shake = 0.012
    return Move(start, end, plate_start or start, plate_end or end, shake, parallax)


# --- per-frame camera path ----------------------------------------------------------------------

@dataclass(frozen=True)
class Shake:
    """Deterministic handheld wobble: two sines per axis at seeded phases (stage units / degrees)."""

    amp_x: float
    amp_y: float
    amp_roll: float
    phases: tuple[float, ...]
    fps: int

    FREQS = (0.9, 2.3, 1.3, 2.9, 0.7, 1.9)  # Hz: a breathing sway plus a faster operator tremor

    @staticmethod
    def seeded(amplitude: float, vh: float, fps: int, seed: int, shot_id: str) -> "Shake":
        digest = hashlib.sha256(f"handheld|{seed}|{shot_id}".encode()).digest()
        phases = tuple(digest[i] / 255 * 2 * math.pi for i in range(6))
        return Shake(amplitude * vh, 0.75 * amplitude * vh, 0.0, phases, fps)

    def value(self, axis: int, n: np.ndarray | float) -> np.ndarray | float:
        f1, f2 = self.FREQS[2 * axis], self.FREQS[2 * axis + 1]
        p1, p2 = self.phases[2 * axis], self.phases[2 * axis + 1]
        t = np.asarray(n, float) / self.fps
        return (np.sin(2 * math.pi * f1 * t + p1) + 0.6 * np.sin(2 * math.pi * f2 * t + p2)) / 1.6

    def expr(self, axis: int, frame_var: str) -> str:
        f1, f2 = self.FREQS[2 * axis], self.FREQS[2 * axis + 1]
        p1, p2 = self.phases[2 * axis], self.phases[2 * axis + 1]
        w1, w2 = 2 * math.pi * f1 / self.fps, 2 * math.pi * f2 / self.fps
        return f"((sin({w1:.6f}*{frame_var}+{p1:.5f})+0.6*sin({w2:.6f}*{frame_var}+{p2:.5f}))/1.6)"


def _ease(p: np.ndarray) -> np.ndarray:
    return p * p * (3 - 2 * p)


def _ease_expr(frame_var: str, frames: int) -> str:
    p = f"({frame_var}/{max(frames - 1, 1)})"
    return f"({p}*{p}*(3-2*{p}))"


def _lerp_expr(a: float, b: float, e: str) -> str:
    if abs(b - a) < 1e-9:
        return f"{a:.6f}"
    return f"({a:.6f}+{b - a:.6f}*{e})"


def path_arrays(a: Window, b: Window, frames: int, shake: Shake | None) -> dict[str, np.ndarray]:
    """Per-frame cx, cy, vh, roll (stage units, degrees), numerically: used to size the layers."""
    n = np.arange(frames, dtype=float)
    e = _ease(n / max(frames - 1, 1))
    out = {k: getattr(a, k) + (getattr(b, k) - getattr(a, k)) * e for k in ("cx", "cy", "vh", "roll_deg")}
    if shake is not None and shake.amp_x:
        out["cx"] = out["cx"] + shake.amp_x * shake.value(0, n)
        out["cy"] = out["cy"] + shake.amp_y * shake.value(1, n)
        out["roll_deg"] = out["roll_deg"] + shake.amp_roll * shake.value(2, n)
    return out


def _bounds(path: dict[str, np.ndarray], aspect: float) -> tuple[float, float, float, float]:
    """Union of the rotated windows' bounding boxes over the shot: x0, y0, x1, y1."""
    hh = path["vh"] / 2
    hw = hh * aspect
    th = np.radians(path["roll_deg"])
    ex = hw * np.abs(np.cos(th)) + hh * np.abs(np.sin(th))
    ey = hw * np.abs(np.sin(th)) + hh * np.abs(np.cos(th))
    return (float((path["cx"] - ex).min()), float((path["cy"] - ey).min()),
            float((path["cx"] + ex).max()), float((path["cy"] + ey).max()))


# --- painting the layers ------------------------------------------------------------------------

@dataclass(frozen=True)
class Canvas:
    """A stage box rendered at ``k`` pixels per stage unit."""

    x0: float
    y0: float
    x1: float
    y1: float
    k: float

    @property
    def size(self) -> tuple[int, int]:
        return max(2, math.ceil((self.x1 - self.x0) * self.k)), max(2, math.ceil((self.y1 - self.y0) * self.k))

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.k, (y - self.y0) * self.k


def _padded(box: tuple[float, float, float, float], pad: float) -> tuple[float, float, float, float]:
    return box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad


def paint_plate(plate: Image.Image, canvas: Canvas, planned: Window, plan: ShotPlan, aspect: float,
                blur_px: float) -> Image.Image:
    """The location plate placed behind the subject at the lens's field of view, covering the canvas."""
    share = min(1.0, lens_plate_share(plan.camera.lens_mm) * PLATE_SHARE[plan.camera.shot_size])
    share = max(share, 0.12)
    plate_w = planned.vh * aspect / share
    plate_h = plate_w * plate.height / plate.width
    _, bias = ANGLE_STAGING[plan.camera.angle]
    need_w, need_h = canvas.x1 - canvas.x0, (canvas.y1 - canvas.y0) * (1 + 0.35 * abs(bias))
    grow = max(1.0, need_w / plate_w, need_h / plate_h)  # the plate must fill every frame of the move
    plate_w, plate_h = plate_w * grow, plate_h * grow
    cx, cy = (canvas.x0 + canvas.x1) / 2, (canvas.y0 + canvas.y1) / 2
    room = max(0.0, (plate_h - (canvas.y1 - canvas.y0)) / 2)
    cy += bias * room  # low angle: plate lowered, the camera sees its sky; high: its ground
    left, top = cx - plate_w / 2, cy - plate_h / 2
    # source box of the plate that lands on the canvas (float box: no giant intermediate image)
    sx = plate.width / plate_w
    box = ((canvas.x0 - left) * sx, (canvas.y0 - top) * sx, (canvas.x1 - left) * sx, (canvas.y1 - top) * sx)
    box = (max(0.0, box[0]), max(0.0, box[1]), min(float(plate.width), box[2]), min(float(plate.height), box[3]))
    img = plate.convert("RGB").resize(canvas.size, Image.Resampling.BICUBIC, box=box)
    if blur_px > 0.3:
        img = img.filter(ImageFilter.GaussianBlur(blur_px))
    return img


def paint_figures(layer: Image.Image, figures: list[Figure], canvas: Canvas) -> Image.Image:
    """Composite the figures (alpha) onto ``layer``, back row first.

    Only the part of a figure that lands on the canvas is resampled (a close-up would otherwise
    blow a whole figure up to many megapixels), and a generated card seen much larger than it
    was painted is repainted at the needed size so close-ups stay sharp.
    """
    for fig in sorted(figures, key=lambda f: f.feet_y):
        image, run_top, run_bottom = fig.image, fig.run_top, fig.run_bottom
        px_per_img = fig.height * canvas.k / max(1, run_bottom - run_top)
        if fig.generated and px_per_img > 1.5:
            image = fig.repaint(min(round(image.height * px_per_img), MAX_CARD_REPAINT))
            run_top, run_bottom, _ = figure_rows(image)
            px_per_img = fig.height * canvas.k / max(1, run_bottom - run_top)
        x, y = canvas.px(fig.x, fig.feet_y)
        left = x - image.width / 2 * px_per_img
        top = y - run_bottom * px_per_img
        # destination rectangle clipped to the canvas, and the source box that fills it
        dx0, dy0 = max(0, math.floor(left)), max(0, math.floor(top))
        dx1 = min(layer.width, math.ceil(left + image.width * px_per_img))
        dy1 = min(layer.height, math.ceil(top + image.height * px_per_img))
        if dx1 <= dx0 or dy1 <= dy0:
            continue
        box = ((dx0 - left) / px_per_img, (dy0 - top) / px_per_img, (dx1 - left) / px_per_img, (dy1 - top) / px_per_img)
        box = (max(0.0, box[0]), max(0.0, box[1]), min(float(image.width), box[2]), min(float(image.height), box[3]))
        part = image.convert("RGBa").resize((dx1 - dx0, dy1 - dy0), Image.Resampling.LANCZOS, box=box).convert("RGBA")
        layer.alpha_composite(part, (dx0, dy0))
    return layer


def burn_in_strip(plan: ShotPlan, width: int, height: int) -> Image.Image:
    """Lower-third slate: shot id, size, movement, angle, lens: the editor reads the plan on screen."""
    c = plan.camera
    text = (f"{plan.shot_id}  {c.shot_size.replace('_', ' ').upper()}  {c.movement.replace('_', ' ').upper()}  "
            f"{c.angle.replace('_', ' ').upper()}  {c.lens_mm:.0f}mm")
    font = lettering_font(max(9, height // 42))
    probe_draw = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    box = probe_draw.textbbox((0, 0), text, font=font)
    pad = max(2, height // 180)
    strip = Image.new("RGBA", (min(width, box[2] - box[0] + 2 * pad), box[3] - box[1] + 2 * pad), (0, 0, 0, 150))
    ImageDraw.Draw(strip).text((pad - box[0], pad - box[1]), text, font=font, fill=(255, 255, 255, 235))
    return strip


# --- ffmpeg camera ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Layer:
    """A painted layer and the camera window's start/end (centre x, centre y, height) in its pixels;
    ``to_px`` maps a stage point onto the layer and ``k`` is its pixels per stage unit."""

    image: Image.Image
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    to_px: "callable" = None
    k: float = 1.0


def _expand_to_aspect(box: tuple[float, float, float, float], aspect: float) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w / h < aspect:
        grow = (h * aspect - w) / 2
        return x0 - grow, y0, x1 + grow, y1
    grow = (w / aspect - h) / 2
    return x0, y0 - grow, x1, y1 + grow


def _rotate_point(x: float, y: float, px: float, py: float, deg: float) -> tuple[float, float]:
    """Where Pillow's ``rotate(deg, center=(px, py))`` (counter-clockwise on screen) sends (x, y)."""
    a = math.radians(deg)
    dx, dy = x - px, y - py
    return px + dx * math.cos(a) + dy * math.sin(a), py - dx * math.sin(a) + dy * math.cos(a)


def paint_layer(start: Window, end: Window, frames: int, aspect: float, k_for: "callable", shake_pad: float,
                pivot: tuple[float, float], paint: "callable", match_aspect: bool) -> Layer:
    """Paint the stage area the camera sees during the shot, rolled level, cropped to the travel.

    A constant roll (dutch angle) is baked in with one Pillow rotation about ``pivot``, so the
    per-frame camera in ffmpeg only ever zooms and translates an upright image.
    """
    if start.roll_deg != end.roll_deg:
        raise ValueError("paint_layer bakes in a constant roll: start and end windows must share roll_deg")
    path = path_arrays(start, end, frames, None)
    box = _padded(_bounds(path, aspect), 0.004 * float(path["vh"].min()) + shake_pad)
    roll = start.roll_deg
    if match_aspect and not roll:
        box = _expand_to_aspect(box, aspect)
    canvas = Canvas(*box, k=k_for(box, float(path["vh"].min())))
    image = paint(canvas)
    pivot_px = canvas.px(*pivot)
    if roll:
        image = image.rotate(roll, resample=Image.Resampling.BICUBIC, center=pivot_px)

    def to_px(w: Window) -> tuple[float, float, float]:
        x, y = canvas.px(w.cx, w.cy)
        if roll:
            x, y = _rotate_point(x, y, *pivot_px, roll)
        return x, y, w.vh * canvas.k

    a, b = to_px(start), to_px(end)
    # the upright windows' extent over the whole move (+ shake), then crop the layer to it
    e = _ease(np.linspace(0.0, 1.0, max(frames, 2)))
    cx, cy, vh = (a[i] + (b[i] - a[i]) * e for i in range(3))
    pad_px = shake_pad * canvas.k + 2
    px_box = ((cx - vh * aspect / 2).min() - pad_px, (cy - vh / 2).min() - pad_px,
              (cx + vh * aspect / 2).max() + pad_px, (cy + vh / 2).max() + pad_px)
    if match_aspect:
        px_box = _expand_to_aspect(px_box, aspect)
    x0, y0 = math.floor(px_box[0]), math.floor(px_box[1])
    h_px = math.ceil(px_box[3]) - y0
    w_px = round(h_px * aspect) if match_aspect else math.ceil(px_box[2]) - x0
    image = image.crop((x0, y0, x0 + w_px, y0 + h_px))  # Pillow pads outside with black, never in view
    shift = lambda t: (t[0] - x0, t[1] - y0, t[2])  # noqa: E731

    def stage_to_px(x: float, y: float) -> tuple[float, float]:
        px, py = canvas.px(x, y)
        if roll:
            px, py = _rotate_point(px, py, *pivot_px, roll)
        return px - x0, py - y0

    return Layer(image, shift(a), shift(b), stage_to_px, canvas.k)


def _zoompan_filter(layer: Layer, shake: Shake | None, frames: int, fps: int, width: int, height: int) -> str:
    """Per-frame zoom and position of the window over the master (window height -> zoom factor)."""
    e = _ease_expr("on", frames)
    (ax, ay, avh), (bx, by, bvh) = layer.start, layer.end
    vh = _lerp_expr(avh, bvh, e)
    cx, cy = _lerp_expr(ax, bx, e), _lerp_expr(ay, by, e)
    if shake is not None:
        cx = f"{cx}+{shake.amp_x * avh:.4f}*{shake.expr(0, 'on')}"
        cy = f"{cy}+{shake.amp_y * avh:.4f}*{shake.expr(1, 'on')}"
    return (f"zoompan=z='ih/{vh}':x='{cx}-iw/zoom/2':y='{cy}-ih/zoom/2'"
            f":d=1:s={width}x{height}:fps={fps}")


def _crop_filter(layer: Layer, shake: Shake | None, frames: int, width: int, height: int) -> str:
    """Translation-only camera on a layer painted 1:1 with the output: the window's corner per frame."""
    x, y = _crop_xy(layer, shake, frames, width, height)
    return f"crop=w={width}:h={height}:x='{x}':y='{y}':exact=1"


def _crop_xy(layer: Layer, shake: Shake | None, frames: int, width: int, height: int) -> tuple[str, str]:
    e = _ease_expr("n", frames)
    (ax, ay, avh), (bx, by, _) = layer.start, layer.end
    x = f"{_lerp_expr(ax, bx, e)}-{width / 2:.3f}"
    y = f"{_lerp_expr(ay, by, e)}-{height / 2:.3f}"
    if shake is not None:
        x += f"+{shake.amp_x * avh:.4f}*{shake.expr(0, 'n')}"
        y += f"+{shake.amp_y * avh:.4f}*{shake.expr(1, 'n')}"
    return x, y


def top_overlay(plan: ShotPlan, width: int, height: int, burn_in: bool) -> tuple[Image.Image, int, int] | None:
    """What sits on the lens, not in the scene: wide-lens vignette and the lower-third slate."""
    wide = plan.camera.lens_mm <= 24
    if not burn_in and not wide:
        return None
    margin = max(2, height // 40)
    strip = burn_in_strip(plan, width, height) if burn_in else None
    if not wide:
        return strip, margin, height - strip.height - margin
    yy, xx = np.mgrid[0:height, 0:width]
    r = np.hypot((xx - width / 2) / (width / 2), (yy - height / 2) / (height / 2)) / math.sqrt(2)
    strength = 0.75 if plan.camera.lens_mm <= 18 else 0.55  # wider lens, heavier fall-off
    alpha = (np.clip((r - 0.4) / 0.6, 0, 1) ** 2 * 255 * strength).astype(np.uint8)
    layer = Image.fromarray(np.dstack([np.zeros((height, width, 3), np.uint8), alpha]), "RGBA")
    if strip is not None:
        layer.alpha_composite(strip, (margin, height - strip.height - margin))
    return layer, 0, 0


def _validate(plan: ShotPlan, width: int, height: int, fps: int) -> int:
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError(f"previs frame {width}x{height} must be even numbers of pixels, at least 16: use e.g. 1280x720")
    if not 1 <= fps <= 60:
        raise ValueError(f"previs fps {fps} must be in 1..60")
    return max(1, round(plan.camera.duration_s * fps))


def render_shot(plan: ShotPlan, refs: ReferenceSet, out_path: Path, width: int, height: int, fps: int,
                seed: int = 0, burn_in: bool = True, visuals: VisualLibrary | None = None) -> RenderManifest:
    """Render ``plan`` as an H.264 previs clip (yuv420p, no audio, round(duration*fps) frames).

    Returns the shot's render manifest: what was drawn (``filmcraft.depiction``) and what was not.
    """
    frames = _validate(plan, width, height, fps)
    location = Path(refs.location.path)
    if not location.exists():
        raise ValueError(f"location plate {location} for shot {plan.shot_id} is missing: rebuild the scene's reference set")
    aspect = width / height
    dep = sc.describe_shot(plan, str(location), refs.location.generated, visuals)
    figures = stage_figures(plan, refs, aspect, card_height=height)
    # the framed character leads the framing; a prop subject gets a window of its own
    framing = sorted(figures, key=lambda f: f.name != dep.subject) if not dep.subject_is_prop else figures
    _, bias = ANGLE_STAGING[plan.camera.angle]
    subject = sc.subject_prop_placement(dep, figures, aspect)
    roll = DUTCH_DEG if plan.camera.angle == "dutch" else 0.0
    if subject is not None:
        f = sc.subject_frame(subject, plan.camera.shot_size, bias, figures)
        planned = Window(f.cx, f.cy, f.vh, roll)
        focus = (subject.x, subject.feet_y - subject.height / 2)
    else:
        planned, focus = planned_window(plan, framing, aspect), None
    move = plan_move(plan, framing, aspect, planned, focus)
    frame = sc.Frame(planned.cx, planned.cy, planned.vh)
    motions = sc.figure_motions(dep, figures, frame, aspect, plan.camera.movement)
    props = sc.place_props(dep, figures, frame, aspect, subject, motions, fps, frames)
    load = sc.CutoutCache()
    still_figures = [f for f in figures if f.key not in motions]
    behind = [p for p in props if p.motion is None and p.height > sc.HELD]
    in_hand = [p for p in props if p.motion is None and p.height <= sc.HELD]
    shake = Shake.seeded(move.shake, 1.0, fps, seed, plan.shot_id) if move.shake else None
    shake_pad = 2.2 * move.shake * planned.vh
    pivot = (planned.cx, planned.cy)
    with Image.open(location) as plate_file:
        plate_img = sc.composite_landmarks(plate_file.convert("RGB"), dep, read_plate_layout(location)
                                           if refs.location.generated else None, load)
    blur_out = lens_blur_px(plan.camera.lens_mm, plan.camera.shot_size, height)
    loop = f"loop=loop={frames - 1}:size=1:start=0,setpts=N/({fps}*TB)"

    def paint_scene(canvas: Canvas, base: Image.Image) -> Image.Image:
        sc.paint_cutouts(base, behind, canvas, load)
        paint_figures(base, still_figures, canvas)
        return sc.paint_cutouts(base, in_hand, canvas, load)

    with scratch_dir("previs") as tmp:
        inputs: list[str] = []

        def add_input(image: Image.Image, name: str) -> int:
            image.save(tmp / name, compress_level=1)
            inputs.extend(["-i", str(tmp / name)])
            return wx.input_count(inputs) - 1

        if not move.parallax:
            def k_single(box: tuple[float, float, float, float], vh_min: float) -> float:
                # tightest window ~1:1 with the output; the master capped at ~2.5x the frame area
                area = (box[2] - box[0]) * (box[3] - box[1])
                return min(height / vh_min, math.sqrt(2.5 * width * height / area))

            def paint_master(canvas: Canvas) -> Image.Image:
                blur = blur_out * canvas.k * planned.vh / height
                master = paint_plate(plate_img, canvas, planned, plan, aspect, blur).convert("RGBA")
                return paint_scene(canvas, master).convert("RGB")

            layer = paint_layer(move.fig_start, move.fig_end, frames, aspect, k_single, shake_pad, pivot,
                                paint_master, match_aspect=True)
            add_input(layer.image, "master.png")
            parts = [f"[0:v]format=yuv420p,{loop}[m0]"]
            # moving figures and creatures cross the master before the camera looks at it
            base = "m0"
            for i, sprite in enumerate(sc.sprites_for(figures, motions, props, layer.k, load, roll)):
                sprite = sc.clip_sprite(sprite, layer.to_px, layer.k, layer.image.size)
                idx = add_input(sprite.image, f"sprite{i}.png")
                parts.append(sc.sprite_overlay(sprite, layer.to_px, layer.k, idx, base, f"m{i + 1}", frames, fps))
                base = f"m{i + 1}"
            parts.append(f"[{base}]{_zoompan_filter(layer, shake, frames, fps, width, height)},setsar=1[cam]")
            graph = ";".join(parts)
        else:
            k_one = lambda box, vh_min: height / vh_min  # noqa: E731 - truck/orbit keep the window size: 1:1
            plate = paint_layer(move.plate_start, move.plate_end, frames, aspect, k_one, shake_pad, pivot,
                                lambda c: paint_plate(plate_img, c, planned, plan, aspect, blur_out), match_aspect=False)
            figs = paint_layer(move.fig_start, move.fig_end, frames, aspect, k_one, shake_pad, pivot,
                               lambda c: paint_scene(c, Image.new("RGBA", c.size, (0, 0, 0, 0))), match_aspect=False)
            add_input(plate.image, "plate.png")
            add_input(figs.image, "figures.png")
            # the figure layer keeps its alpha (yuva420p)
            parts = [
                f"[0:v]format=yuv420p,{loop},{_crop_filter(plate, shake, frames, width, height)}[bg]",
                f"[1:v]format=yuva420p,{loop},{_crop_filter(figs, shake, frames, width, height)}[fg]",
                "[bg][fg]overlay=format=yuv420,setsar=1[c0]",
            ]
            # moving sprites ride the figure layer: its crop corner is their offset
            offset = _crop_xy(figs, shake, frames, width, height)
            base = "c0"
            for i, sprite in enumerate(sc.sprites_for(figures, motions, props, figs.k, load, roll)):
                sprite = sc.clip_sprite(sprite, figs.to_px, figs.k, figs.image.size)
                idx = add_input(sprite.image, f"sprite{i}.png")
                parts.append(sc.sprite_overlay(sprite, figs.to_px, figs.k, idx, base, f"c{i + 1}", frames, fps, offset))
                base = f"c{i + 1}"
            parts.append(f"[{base}]null[cam]")
            graph = ";".join(parts)
        graph = wx.weather_graph(graph, dep, inputs, tmp, frames, fps, seed, plan.shot_id, width, height)
        top = top_overlay(plan, width, height, burn_in)
        if top is not None:
            image, x, y = top
            idx = add_input(image, "lens.png")
            graph += f";[cam][{idx}:v]overlay=x={x}:y={y}:format=yuv420,format=yuv420p[out]"
        else:
            graph += ";[cam]format=yuv420p[out]"

        with atomic_path(out_path) as out_tmp:
            run_ffmpeg([
                *inputs, "-filter_complex", graph, "-map", "[out]", "-frames:v", str(frames), "-r", str(fps),
                "-c:v", "libx264", "-preset", X264_PRESET_WEATHER if wx.animates(dep) else X264_PRESET, "-crf", "20", "-pix_fmt", "yuv420p", "-threads", "2",
                "-an", "-movflags", "+faststart", str(out_tmp),
            ], f"rendering previs shot {plan.shot_id}")
    return dep.manifest()
