"""Painted reference cards for names with no user image: a character figure, and the painting kit of plates.

Cards are deterministic: the same name (and, for a plate, time of day, mood and heading) gives the
same pixels on every run, so a location keeps its layout and a character its look across scenes.
"""

from __future__ import annotations

import colorsys
import random
import re

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from filmcraft.references.names import slugify, stable_digest

SUPERSAMPLE = 2  # cards are drawn at 2x and downsampled, for smooth edges without antialiasing support
CARD_VERSION = "cards-v6"  # bump when the card painter changes, so content-addressed names change


def _seed(*parts: object) -> int:
    return int(stable_digest(*parts)[:16], 16)


def lettering_font(size: float) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The font names and slates are lettered in, at ``size`` pixels (at least 8)."""
    # Pillow >= 10.1 embeds a scalable font: no font file to ship or find.
    return ImageFont.load_default(size=max(8, int(size)))


# --- painted location plates ----------------------------------------------------------------

SKY = {  # (zenith, horizon) sky colours and (far, near) ground colours per time of day
    "dawn": ((78, 84, 150), (250, 172, 176), (96, 82, 98), (52, 48, 62)),
    "day": ((58, 118, 212), (176, 214, 242), (118, 150, 92), (70, 108, 58)),
    "golden_hour": ((92, 104, 168), (255, 178, 86), (150, 112, 62), (86, 64, 40)),
    "dusk": ((38, 28, 84), (178, 92, 150), (72, 54, 84), (34, 26, 46)),
    "night": ((4, 8, 30), (26, 42, 92), (22, 28, 44), (8, 10, 18)),
}

DARK_MOODS = ("tense", "ominous", "sad", "grim", "fear", "dark", "menacing", "melancholy", "melancholic",
              "lonely", "dread", "sombre", "somber", "bleak", "gloomy", "suspense", "eerie", "tragic", "grief")
BRIGHT_MOODS = ("joy", "joyful", "happy", "hopeful", "triumphant", "warm", "tender", "playful", "uplifting",
                "bright", "cheerful", "romantic", "whimsical", "serene", "peaceful", "wonder")


def _lerp(a: tuple[int, ...], b: tuple[int, ...], t: float) -> tuple[int, ...]:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def _vertical_gradient(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = np.asarray(top, float)[None, None, :] * (1 - t) + np.asarray(bottom, float)[None, None, :] * t
    return Image.fromarray(np.repeat(rows, width, axis=1).round().astype(np.uint8), "RGB")


def _paint_sky_and_ground(img: Image.Image, time_of_day: str, horizon: int, rng: random.Random) -> None:
    width, height = img.size
    zenith, sky_h, ground_far, ground_near = SKY[time_of_day]
    img.paste(_vertical_gradient(width, horizon, zenith, sky_h), (0, 0))
    img.paste(_vertical_gradient(width, height - horizon, ground_far, ground_near), (0, horizon))
    draw = ImageDraw.Draw(img)
    if time_of_day == "night":
        for _ in range(int(width * horizon / 4000)):
            x, y = rng.randrange(width), rng.randrange(max(1, int(horizon * 0.9)))
            r = rng.choice((1, 1, 1, 2)) * SUPERSAMPLE
            v = rng.randrange(150, 255)
            draw.ellipse([x, y, x + r, y + r], fill=(v, v, min(255, v + 20)))
        mx, my, mr = int(width * 0.78), int(horizon * 0.22), int(height * 0.05)
        draw.ellipse([mx - mr, my - mr, mx + mr, my + mr], fill=(232, 232, 210))
    else:
        sun = {"dawn": (0.22, 0.86, (255, 214, 190)), "day": (0.72, 0.18, (255, 250, 225)),
               "golden_hour": (0.70, 0.78, (255, 206, 120)), "dusk": (0.35, 0.98, (255, 150, 120))}[time_of_day]
        sx, sy, colour = int(width * sun[0]), int(horizon * sun[1]), sun[2]
        sr = int(height * 0.055)
        glow = Image.new("L", img.size, 0)
        ImageDraw.Draw(glow).ellipse([sx - sr * 4, sy - sr * 4, sx + sr * 4, sy + sr * 4], fill=90)
        glow = glow.filter(ImageFilter.GaussianBlur(sr * 1.5))
        img.paste(Image.new("RGB", img.size, colour), (0, 0), glow)
        draw.ellipse([sx - sr, sy - sr, sx + sr, sy + sr], fill=colour)
    # the painted world stops at the horizon: ground drawn over any sun below it
    img.paste(_vertical_gradient(width, height - horizon, ground_far, ground_near), (0, horizon))


def _window_colour(time_of_day: str, rng: random.Random) -> tuple[int, int, int]:
    if time_of_day in ("night", "dusk"):
        return (255, 214, 120) if rng.random() < 0.6 else (40, 44, 60)
    return (150, 176, 200) if rng.random() < 0.7 else (90, 100, 120)


def _paint_buildings(draw: ImageDraw.ImageDraw, width: int, horizon: int, height: int, time_of_day: str,
                     rng: random.Random, count: int, base_tone: int) -> None:
    x = -rng.randrange(0, width // 20)
    while x < width and count > 0:
        bw = rng.randrange(width // 14, width // 6)
        bh = rng.randrange(height // 6, int(height * 0.48))
        tone = base_tone + rng.randrange(-18, 18)
        body = (max(0, tone), max(0, tone - 4), max(0, tone + 6)) if time_of_day != "day" else (tone + 60, tone + 55, tone + 50)
        draw.rectangle([x, horizon - bh, x + bw, horizon + height // 40], fill=body)
        step_x, step_y = max(6, bw // 5), max(8, height // 22)
        for wy in range(horizon - bh + step_y // 2, horizon - step_y // 2, step_y):
            for wx in range(x + step_x // 3, x + bw - step_x // 2, step_x):
                draw.rectangle([wx, wy, wx + step_x // 2, wy + step_y // 2], fill=_window_colour(time_of_day, rng))
        x += bw + rng.randrange(0, width // 30)
        count -= 1


def _paint_trees(draw: ImageDraw.ImageDraw, width: int, horizon: int, height: int, time_of_day: str,
                 rng: random.Random, count: int) -> None:
    dark = time_of_day in ("night", "dusk")
    for _ in range(count):
        cx = rng.randrange(0, width)
        depth = rng.random()  # 0 far (small, near horizon) .. 1 near (large, lower)
        base = horizon + int(depth * (height - horizon) * 0.55)
        th = int(height * (0.12 + 0.3 * depth))
        tw = max(4, th // 12)
        green = (20, 40, 30) if dark else (40 + rng.randrange(30), 90 + rng.randrange(50), 40 + rng.randrange(20))
        trunk = (30, 24, 20) if dark else (90, 64, 40)
        draw.rectangle([cx - tw // 2, base - th // 2, cx + tw // 2, base], fill=trunk)
        r = th // 3
        draw.ellipse([cx - r, base - th, cx + r, base - th + int(r * 2.2)], fill=green)


def _paint_hills(draw: ImageDraw.ImageDraw, width: int, horizon: int, height: int, time_of_day: str,
                 rng: random.Random, ground_far: tuple[int, int, int]) -> None:
    for layer in range(3):
        peaks = rng.randrange(2, 5)
        shade = _lerp(ground_far, (0, 0, 0), 0.15 + 0.12 * layer) if layer else _lerp(ground_far, SKY[time_of_day][1], 0.35)
        points = [(0, horizon)]
        for i in range(peaks + 1):
            px = int(width * (i + rng.random() * 0.6) / peaks)
            py = horizon - int(height * (0.06 + 0.2 * rng.random()) / (1 + layer * 0.6))
            points.append((px, py))
        points += [(width, horizon), (width, horizon + 2), (0, horizon + 2)]
        draw.polygon(points, fill=shade)


def _paint_water(img: Image.Image, draw: ImageDraw.ImageDraw, horizon: int, time_of_day: str, rng: random.Random) -> None:
    width, height = img.size
    zenith, sky_h, _, _ = SKY[time_of_day]
    water_top = _lerp(sky_h, (0, 20, 40), 0.35)
    water_bottom = _lerp(zenith, (0, 0, 0), 0.4)
    img.paste(_vertical_gradient(width, height - horizon, water_top, water_bottom), (0, horizon))
    for _ in range(max(12, height // 12)):
        y = rng.randrange(horizon + 2, height)
        x = rng.randrange(0, width)
        length = int(width * (0.02 + 0.08 * (y - horizon) / (height - horizon)))
        draw.line([x, y, x + length, y], fill=_lerp(water_top, (255, 255, 255), 0.25), width=SUPERSAMPLE)
    # a pier and moored masts make it read as a harbour, not a flat colour field
    pier_y = horizon + int((height - horizon) * 0.55)
    px = rng.randrange(0, width // 2)
    draw.rectangle([px, pier_y, px + width // 2, pier_y + height // 30], fill=(60, 44, 32) if time_of_day != "night" else (24, 20, 18))
    for _ in range(rng.randrange(2, 5)):
        bx = rng.randrange(width // 10, width - width // 10)
        by = horizon + rng.randrange(height // 30, height // 8)
        bw = rng.randrange(width // 20, width // 9)
        hull = (40, 40, 48) if time_of_day in ("night", "dusk") else (200, 200, 190)
        draw.polygon([(bx, by), (bx + bw, by), (bx + bw - bw // 6, by + bw // 4), (bx + bw // 6, by + bw // 4)], fill=hull)
        draw.line([bx + bw // 2, by, bx + bw // 2, by - bw], fill=(30, 30, 30), width=SUPERSAMPLE * 2)


def _paint_interior(img: Image.Image, time_of_day: str, rng: random.Random) -> None:
    width, height = img.size
    draw = ImageDraw.Draw(img)
    hue = rng.random()
    r, g, b = colorsys.hsv_to_rgb(hue, 0.18 + 0.2 * rng.random(), 0.55 + 0.25 * rng.random())
    wall = (int(r * 255), int(g * 255), int(b * 255))
    if time_of_day in ("night", "dusk"):
        wall = _lerp(wall, (20, 18, 30), 0.55)
    floor_y = int(height * 0.72)
    img.paste(_vertical_gradient(width, floor_y, _lerp(wall, (0, 0, 0), 0.25), wall), (0, 0))
    floor = _lerp((110, 80, 55), (0, 0, 0), 0.5 if time_of_day == "night" else 0.1)
    img.paste(_vertical_gradient(width, height - floor_y, floor, _lerp(floor, (0, 0, 0), 0.4)), (0, floor_y))
    # window onto the outside sky: the time of day stays legible indoors
    zenith, sky_h, _, _ = SKY[time_of_day]
    for i in range(rng.randrange(1, 3)):
        ww, wh = int(width * (0.14 + 0.08 * rng.random())), int(height * 0.34)
        wx = int(width * (0.12 + 0.5 * i + 0.15 * rng.random()))
        wy = int(height * 0.16)
        img.paste(_vertical_gradient(ww, wh, zenith, sky_h), (wx, wy))
        frame = _lerp(wall, (255, 255, 255), 0.3)
        fw = max(2, width // 160)
        draw.rectangle([wx, wy, wx + ww, wy + wh], outline=frame, width=fw)
        draw.line([wx + ww // 2, wy, wx + ww // 2, wy + wh], fill=frame, width=fw)
        draw.line([wx, wy + wh // 2, wx + ww, wy + wh // 2], fill=frame, width=fw)
    # a door and a table give scale to figures standing in the room
    dx = int(width * (0.72 + 0.15 * rng.random()))
    draw.rectangle([dx, int(height * 0.3), dx + int(width * 0.09), floor_y], fill=_lerp(wall, (40, 24, 14), 0.6))
    tx = int(width * (0.3 + 0.3 * rng.random()))
    draw.rectangle([tx, int(height * 0.62), tx + int(width * 0.2), int(height * 0.65)], fill=(70, 48, 30))
    draw.rectangle([tx + 8, int(height * 0.65), tx + 20, int(height * 0.8)], fill=(60, 40, 26))
    draw.rectangle([tx + int(width * 0.2) - 20, int(height * 0.65), tx + int(width * 0.2) - 8, int(height * 0.8)], fill=(60, 40, 26))
    if time_of_day in ("night", "dusk"):
        lx, ly, lr = tx + int(width * 0.1), int(height * 0.5), int(height * 0.2)
        glow = Image.new("L", img.size, 0)
        ImageDraw.Draw(glow).ellipse([lx - lr, ly - lr, lx + lr, ly + lr], fill=110)
        img.paste(Image.new("RGB", img.size, (255, 200, 120)), (0, 0), glow.filter(ImageFilter.GaussianBlur(lr // 2)))


def _mood_adjust(img: Image.Image, mood: str) -> Image.Image:
    words = set(slugify(mood).split("_"))
    if words & set(DARK_MOODS):
        img = ImageEnhance.Brightness(img).enhance(0.82)
        img = ImageEnhance.Color(img).enhance(0.8)
    elif words & set(BRIGHT_MOODS):
        img = ImageEnhance.Brightness(img).enhance(1.06)
        img = ImageEnhance.Color(img).enhance(1.12)
    return img


def _letter(img: Image.Image, text: str, corner: str = "bottom_right") -> None:
    width, height = img.size
    font = lettering_font(height / 36)
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((0, 0), text, font=font, stroke_width=max(1, height // 400))
    tw, th = box[2] - box[0], box[3] - box[1]
    margin = height // 40
    x = width - tw - margin if corner.endswith("right") else margin
    y = height - th - margin if corner.startswith("bottom") else margin
    draw.text((x - box[0], y - box[1]), text, font=font, fill=(240, 240, 240),
              stroke_width=max(1, height // 400), stroke_fill=(0, 0, 0))


# --- character cards -------------------------------------------------------------------------

def character_colour(name: str) -> tuple[int, int, int]:
    """A stable, distinct costume colour per character name."""
    h = _seed("character-colour", slugify(name))
    hue = (h % 360) / 360.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.55 + (h >> 9) % 25 / 100, 0.62 + (h >> 17) % 20 / 100)
    return int(r * 255), int(g * 255), int(b * 255)


_CHILD = frozenset("boy girl child kid grandson granddaughter toddler baby son daughter teen teenager pupil "
                   "schoolboy schoolgirl orphan urchin children kids boys girls".split())
_OLD = frozenset("old elderly aged grandmother grandfather grandma grandpa granny widow widower".split())
_FEMALE = frozenset("woman girl grandmother grandma granny mother daughter sister wife widow aunt niece queen princess "
                    "witch nun waitress actress heroine granddaughter bride lady mistress priestess empress".split())
_MALE = frozenset("man boy grandfather grandpa father son brother husband uncle nephew king prince monk widower "
                  "groom lord emperor grandson schoolboy".split())


def figure_build(name: str) -> tuple[bool, bool, bool | None]:
    """(child, old, female or None) as a role name says it ("the grandson": a boy; "the old
    widow": an old woman); a proper name says nothing, and the figure is drawn from its seed."""
    words = set(re.findall(r"[a-z]+", name.lower())) if not name[:1].isupper() else set()
    words |= {w[:-1] for w in words if w.endswith("s")}  # "the twin sisters" are sisters
    female = True if words & _FEMALE else (False if words & _MALE else None)
    return bool(words & _CHILD), bool(words & _OLD), female


def group_size(name: str) -> int:
    """How many people a character name stands for: 'the twin sisters' 2, 'three monks' 3, 'the
    villagers' (a group seen together) 3, a person 1."""
    words = re.findall(r"[a-z]+", name.lower())
    if not words or name[:1].isupper():
        return 1
    if set(words) & {"twin", "twins", "two", "pair", "couple", "both"}:
        return 2
    if set(words) & {"three", "four", "five", "several", "crowd"}:
        return 3
    last = words[-1]
    return 3 if last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3 else 1


def paint_character_card(name: str, height: int, label: str | None = None) -> Image.Image:
    """A silhouette figure (head + body) in the character's colour, name lettered below; RGBA.
    ``label`` overrides the lettering ("" letters nothing: the second of a pair of twins)."""
    rng = random.Random(_seed("character", slugify(name)))
    height = max(64, int(height))
    width = max(32, int(height * 0.5))
    sw, sh = width * SUPERSAMPLE, height * SUPERSAMPLE
    img = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    colour = character_colour(name)
    dark = tuple(int(c * 0.45) for c in colour)
    skin = _lerp((236, 200, 170), (96, 62, 42), rng.random())
    outline = max(2, sh // 220)

    label_h = int(sh * 0.09)
    figure_h = sh - label_h - int(sh * 0.03)
    cx = sw // 2
    head_r = int(figure_h * (0.062 + 0.012 * rng.random()))
    shoulder = int(figure_h * (0.11 + 0.04 * rng.random()))  # build varies per character
    hip = int(shoulder * (0.7 + 0.35 * rng.random()))
    top = int(sh * 0.01) + head_r // 2  # room for a hat above the head
    figure_h -= head_r // 2
    head_cy = top + head_r
    neck_y = head_cy + head_r
    waist_y = neck_y + int(figure_h * 0.36)
    feet_y = top + figure_h
    leg_w = max(4, int(hip * 0.55))
    # legs, then torso over them, arms, head, hair: simple but distinct per name
    draw.rectangle([cx - hip, waist_y - 4, cx - hip + leg_w, feet_y], fill=dark, outline=(0, 0, 0), width=outline)
    draw.rectangle([cx + hip - leg_w, waist_y - 4, cx + hip, feet_y], fill=dark, outline=(0, 0, 0), width=outline)
    coat = waist_y + int(figure_h * 0.18 * rng.random())  # some wear long coats
    draw.polygon([(cx - shoulder, neck_y + head_r // 3), (cx + shoulder, neck_y + head_r // 3), (cx + hip + 6, coat),
                  (cx - hip - 6, coat)], fill=colour, outline=(0, 0, 0))
    arm_w = max(4, shoulder // 3)
    for side in (-1, 1):
        x0 = cx + side * shoulder
        draw.polygon([(x0, neck_y + head_r // 3), (x0 + side * arm_w, neck_y + head_r // 2),
                      (x0 + side * (arm_w + shoulder // 4), waist_y + head_r), (x0 + side * (shoulder // 5), waist_y + head_r)],
                     fill=colour, outline=(0, 0, 0))
    draw.rectangle([cx - head_r // 3, neck_y - head_r // 4, cx + head_r // 3, neck_y + head_r // 2], fill=skin)
    draw.ellipse([cx - head_r, head_cy - head_r, cx + head_r, head_cy + head_r], fill=skin, outline=(0, 0, 0), width=outline)
    hair = _lerp((20, 16, 12), (200, 170, 110), rng.random())
    style = rng.randrange(3)
    _, old, female = figure_build(name)
    if old:
        hair = _lerp((196, 196, 200), (236, 236, 240), rng.random())  # grey or white
    if female is True and style == 0:
        style = 1  # the role says a woman: not cropped
    elif female is False and style == 1:
        style = 0
    if style == 0:  # cropped
        draw.chord([cx - head_r, head_cy - head_r, cx + head_r, head_cy + head_r], 180, 360, fill=hair)
    elif style == 1:  # long
        draw.chord([cx - head_r - 3, head_cy - head_r - 3, cx + head_r + 3, head_cy + head_r], 160, 380, fill=hair)
        draw.rectangle([cx - head_r - 3, head_cy, cx - head_r + head_r // 3, neck_y + head_r], fill=hair)
        draw.rectangle([cx + head_r - head_r // 3, head_cy, cx + head_r + 3, neck_y + head_r], fill=hair)
    else:  # hat
        draw.rectangle([cx - int(head_r * 1.5), head_cy - head_r // 2, cx + int(head_r * 1.5), head_cy - head_r // 3], fill=dark)
        draw.rectangle([cx - int(head_r * 0.9), head_cy - int(head_r * 1.4), cx + int(head_r * 0.9), head_cy - head_r // 2], fill=dark)

    name = name if label is None else label
    if not name:
        return img.convert("RGBa").resize((width, height), Image.Resampling.LANCZOS).convert("RGBA")
    font = lettering_font(label_h * 0.7)
    stroke = max(1, sh // 300)
    box = draw.textbbox((0, 0), name, font=font, stroke_width=stroke)
    tw = box[2] - box[0]
    if tw > sw * 0.96:  # long names shrink to fit the card
        font = lettering_font(label_h * 0.7 * sw * 0.96 / tw)
        box = draw.textbbox((0, 0), name, font=font, stroke_width=stroke)
        tw = box[2] - box[0]
    draw.text(((sw - tw) // 2 - box[0], sh - label_h - box[1]), name, font=font, fill=(255, 255, 255, 255),
              stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    return img.convert("RGBa").resize((width, height), Image.Resampling.LANCZOS).convert("RGBA")
