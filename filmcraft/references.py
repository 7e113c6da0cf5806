"""Reference images for a scene: the user's character and location images, or painted cards.

A scene needs one location plate and one image per character. User images come from
``refs_dir/characters/<name>.<ext>`` and ``refs_dir/locations/<name>.<ext>``; names match after
slugifying ("Old Harbour" == ``old_harbour.png`` == ``Old-Harbour.JPG``). Every image is
validated, converted and written normalised into ``cards_dir`` so later stages only ever read
clean PNGs. A name with no image gets a deterministic generated card (``generated=True``): a
painted backdrop for a location, a silhouette figure for a character.
"""

from __future__ import annotations

import colorsys
import hashlib
import json
import random
import re
import unicodedata
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

from filmcraft.contracts import ReferenceImage, ReferenceSet, SceneBlock
from filmcraft.store import atomic_path

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
# Decoders a reference may use: raster formats Pillow reads itself. Never EPS/PDF-like formats that
# hand the file to an outside interpreter (Ghostscript), whatever the file is named.
IMAGE_DECODERS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also yields MPO (camera JPEGs)
MAX_MANIFEST_BYTES = 1_000_000
MAX_REFERENCE_PIXELS = 50_000_000  # a reference is a guide, not a print master
MIN_REFERENCE_SIDE = 32
SUPERSAMPLE = 2  # cards are drawn at 2x and downsampled, for smooth edges without antialiasing support
CARD_VERSION = "cards-v1"  # bump when the card painter changes, so content-addressed names change


class ReferenceImageError(ValueError):
    """A reference image (or the refs folder) cannot be used; the message names the file and the fix."""


def slugify(name: str) -> str:
    """Lowercase ASCII slug with '_' separators: 'Old Harbour' -> 'old_harbour', 'Zoë' -> 'zoe'."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()


def _seed(*parts: object) -> int:
    return int(_digest(*parts)[:16], 16)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow >= 10.1 embeds a scalable font: no font file to ship or find.
    return ImageFont.load_default(size=max(8, int(size)))


# --- user images -----------------------------------------------------------------------------

def _inside(path: Path, refs_dir: Path, what: str) -> Path:
    """The real file behind ``path``, which must lie inside the reference folder (links and ../ included):
    a refs folder may come from a dropped request file, and must not read the rest of the disk."""
    real = path.resolve()
    root = refs_dir.resolve()
    if not real.is_relative_to(root):
        raise ReferenceImageError(
            f"{what} {path} resolves to {real}, outside the reference folder {root}: copy the image into the folder"
        )
    return real


def _index_folder(folder: Path, refs_dir: Path) -> dict[str, Path]:
    """slug -> image file; on duplicates (anna.png and Anna.jpg) the extension order decides."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    rank = {ext: i for i, ext in enumerate(IMAGE_EXTENSIONS)}
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in rank),
        key=lambda p: (rank[p.suffix.lower()], p.name),
    )
    for path in files:
        found.setdefault(slugify(path.stem), _inside(path, refs_dir, "reference image"))
    return found


MANIFEST_NAME = "manifest.json"


def _index_manifest(refs_dir: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """``refs_dir/manifest.json``: {"characters": {name: file}, "locations": {name: file}}, files relative
    to the manifest. Entries override same-named images found in the subfolders."""
    path = refs_dir / MANIFEST_NAME
    if not path.exists():
        return {}, {}
    if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
        raise ReferenceImageError(f"{path} is not a file of at most {MAX_MANIFEST_BYTES:,} bytes: "
                                  "a manifest maps names to image files, fix it or remove it")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise ReferenceImageError(f"{path} is not valid UTF-8 JSON ({reason}): fix it or remove it") from exc
    if not isinstance(data, dict) or set(data) - {"characters", "locations"}:
        raise ReferenceImageError(f"{path} must be an object with 'characters' and/or 'locations' maps of name -> file")
    out: list[dict[str, Path]] = []
    for kind in ("characters", "locations"):
        entries = data.get(kind, {})
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise ReferenceImageError(f"{path}: '{kind}' must map names to image file paths")
        files = {}
        for name, rel in entries.items():
            file = _inside(refs_dir / rel, refs_dir, f"{path}: {kind} '{name}' image")
            if not file.is_file():
                raise ReferenceImageError(f"{path}: {kind} '{name}' points at {file}, which does not exist")
            files[slugify(name)] = file
        out.append(files)
    return out[1], out[0]


def index_reference_folder(refs_dir: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """(locations, characters): slug -> image file, from the subfolders and the manifest (which wins)."""
    refs_dir = Path(refs_dir)
    manifest_locations, manifest_characters = _index_manifest(refs_dir)
    return ({**_index_folder(refs_dir / "locations", refs_dir), **manifest_locations},
            {**_index_folder(refs_dir / "characters", refs_dir), **manifest_characters})


def check_reference_folder(refs_dir: Path) -> int:
    """Open every image the folder offers, before a film starts; return how many are usable.

    Raises ReferenceImageError naming the first bad file (or manifest entry) and the fix, so a broken
    reference stops the request at once instead of failing a scene's camera step later.
    """
    refs_dir = Path(refs_dir)
    if not refs_dir.is_dir():
        raise ReferenceImageError(
            f"reference folder {refs_dir} does not exist or is not a folder: create it with characters/ and "
            "locations/ subfolders, or leave it out to use generated cards"
        )
    locations, characters = index_reference_folder(refs_dir)
    files = sorted(set(locations.values()) | set(characters.values()))
    for path in files:
        open_reference_image(path).close()
    return len(files)


def open_reference_image(path: Path) -> Image.Image:
    """Decode and sanity-check a user image; return it as RGB, or RGBA when it has real transparency."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path, formats=IMAGE_DECODERS)
            width, height = im.size  # header only: reject giants before decoding any pixels
            if width * height > MAX_REFERENCE_PIXELS:
                raise ReferenceImageError(
                    f"reference image {path} is {width}x{height} ({width * height / 1e6:.0f} megapixels); "
                    f"the limit is {MAX_REFERENCE_PIXELS / 1e6:.0f} megapixels: downscale it (2-4 megapixels is plenty)"
                )
            if min(width, height) < MIN_REFERENCE_SIDE:
                raise ReferenceImageError(
                    f"reference image {path} is only {width}x{height} pixels; each side must be at least "
                    f"{MIN_REFERENCE_SIDE} px: supply a larger image"
                )
            im.load()
    except ReferenceImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ReferenceImageError(
            f"reference image {path} is too large to decode safely ({exc}): downscale it below "
            f"{MAX_REFERENCE_PIXELS / 1e6:.0f} megapixels"
        ) from exc
    except Exception as exc:  # Pillow raises many types for broken files (OSError, SyntaxError, ValueError...)
        raise ReferenceImageError(
            f"reference image {path} cannot be decoded ({type(exc).__name__}: {exc}): replace it with a valid "
            "PNG, JPEG or WebP file, or remove it to get a generated card"
        ) from exc

    im = ImageOps.exif_transpose(im)  # phone photos store rotation in EXIF
    if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit / float greyscale: stretch to 8 bits rather than clip to white
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255.0 if hi > lo else np.zeros_like(arr)
        im = Image.fromarray(arr.astype(np.uint8), "L")
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    if has_alpha:
        im = im.convert("RGBA")
        if im.getchannel("A").getextrema()[0] == 255:  # alpha channel present but fully opaque
            im = im.convert("RGB")
    else:
        im = im.convert("RGB")
    return im


def cover(im: Image.Image, width: int, height: int) -> Image.Image:
    """Resize and centre-crop ``im`` to exactly fill width x height (like CSS object-fit: cover)."""
    return ImageOps.fit(im, (width, height), method=Image.Resampling.LANCZOS, centering=(0.5, 0.5))


def _fit_character(im: Image.Image, height: int) -> Image.Image:
    longest = max(im.size)
    if longest <= height:
        return im
    scale = height / longest
    size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
    if im.mode == "RGBA":  # premultiply so transparent pixels do not bleed dark fringes
        return im.convert("RGBa").resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    return im.resize(size, Image.Resampling.LANCZOS)


def _save_png(im: Image.Image, path: Path) -> Path:
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG", optimize=False)
    return path


# --- painted location plates ----------------------------------------------------------------

SKY = {  # (zenith, horizon) sky colours and (far, near) ground colours per time of day
    "dawn": ((78, 84, 150), (250, 172, 176), (96, 82, 98), (52, 48, 62)),
    "day": ((58, 118, 212), (176, 214, 242), (118, 150, 92), (70, 108, 58)),
    "golden_hour": ((92, 104, 168), (255, 178, 86), (150, 112, 62), (86, 64, 40)),
    "dusk": ((38, 28, 84), (178, 92, 150), (72, 54, 84), (34, 26, 46)),
    "night": ((4, 8, 30), (26, 42, 92), (22, 28, 44), (8, 10, 18)),
}

SCENERY_WORDS = {
    "interior": ("room", "kitchen", "office", "bedroom", "house", "home", "apartment", "flat", "hall", "bar",
                 "cafe", "restaurant", "shop", "store", "library", "classroom", "lab", "laboratory", "corridor",
                 "studio", "church", "interior", "cabin", "inn", "tavern", "hospital", "ward", "attic", "cellar",
                 "basement", "museum", "theatre", "theater", "warehouse", "garage", "lobby", "hotel", "school"),
    "water": ("harbour", "harbor", "sea", "ocean", "beach", "lake", "river", "port", "dock", "docks", "pier",
              "coast", "shore", "bay", "lighthouse", "wharf", "marina", "canal", "island"),
    "forest": ("forest", "wood", "woods", "park", "garden", "jungle", "grove", "orchard", "woodland", "trail"),
    "city": ("city", "street", "town", "alley", "market", "square", "avenue", "downtown", "road", "station",
             "plaza", "rooftop", "roof", "bridge", "village", "neighbourhood", "neighborhood", "district"),
    "hills": ("mountain", "mountains", "hill", "hills", "valley", "field", "fields", "meadow", "desert", "plain",
              "farm", "cliff", "cliffs", "canyon", "prairie", "moor", "countryside", "ridge", "peak"),
}

DARK_MOODS = ("tense", "ominous", "sad", "grim", "fear", "dark", "menacing", "melancholy", "melancholic",
              "lonely", "dread", "sombre", "somber", "bleak", "gloomy", "suspense", "eerie", "tragic", "grief")
BRIGHT_MOODS = ("joy", "joyful", "happy", "hopeful", "triumphant", "warm", "tender", "playful", "uplifting",
                "bright", "cheerful", "romantic", "whimsical", "serene", "peaceful", "wonder")


def scenery_kind(location: str, heading: str = "") -> str:
    """Which backdrop to paint for a location name (interior, water, forest, city, hills)."""
    words = set(slugify(location).split("_"))
    if heading.strip().upper().startswith("INT"):
        return "interior"
    for kind, vocabulary in SCENERY_WORDS.items():
        if words & set(vocabulary):
            return kind
    return "hills"


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
    font = _font(height / 36)
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((0, 0), text, font=font, stroke_width=max(1, height // 400))
    tw, th = box[2] - box[0], box[3] - box[1]
    margin = height // 40
    x = width - tw - margin if corner.endswith("right") else margin
    y = height - th - margin if corner.startswith("bottom") else margin
    draw.text((x - box[0], y - box[1]), text, font=font, fill=(240, 240, 240),
              stroke_width=max(1, height // 400), stroke_fill=(0, 0, 0))


def paint_location_plate(name: str, time_of_day: str, mood: str, width: int, height: int, heading: str = "") -> Image.Image:
    """A deterministic painted backdrop for a location: the same inputs give the same pixels."""
    if time_of_day not in SKY:
        raise ValueError(f"time of day {time_of_day!r} is not one of {sorted(SKY)}")
    sw, sh = width * SUPERSAMPLE, height * SUPERSAMPLE
    rng = random.Random(_seed("location", slugify(name)))  # shapes from the name only: a place keeps its layout
    kind = scenery_kind(name, heading)
    img = Image.new("RGB", (sw, sh))
    if kind == "interior":
        _paint_interior(img, time_of_day, rng)
    else:
        horizon = int(sh * (0.52 + 0.1 * rng.random()))
        _paint_sky_and_ground(img, time_of_day, horizon, rng)
        draw = ImageDraw.Draw(img)
        ground_far = SKY[time_of_day][2]
        if kind == "water":
            _paint_hills(draw, sw, horizon, sh, time_of_day, rng, ground_far)
            _paint_buildings(draw, sw, horizon, sh, time_of_day, rng, count=rng.randrange(2, 5), base_tone=40)
            _paint_water(img, draw, horizon, time_of_day, rng)
        elif kind == "forest":
            _paint_hills(draw, sw, horizon, sh, time_of_day, rng, ground_far)
            _paint_trees(draw, sw, horizon, sh, time_of_day, rng, count=rng.randrange(9, 16))
        elif kind == "city":
            _paint_buildings(draw, sw, horizon, sh, time_of_day, rng, count=40, base_tone=50)
            road = (40, 40, 44) if time_of_day != "day" else (96, 96, 100)
            draw.polygon([(int(sw * 0.42), horizon), (int(sw * 0.58), horizon), (sw, sh), (0, sh)], fill=road)
        else:
            _paint_hills(draw, sw, horizon, sh, time_of_day, rng, ground_far)
            _paint_trees(draw, sw, horizon, sh, time_of_day, rng, count=rng.randrange(2, 6))
    img = _mood_adjust(img, mood)
    img = img.resize((width, height), Image.Resampling.LANCZOS)
    _letter(img, name)
    return img


# --- character cards -------------------------------------------------------------------------

def character_colour(name: str) -> tuple[int, int, int]:
    """A stable, distinct costume colour per character name."""
    h = _seed("character-colour", slugify(name))
    hue = (h % 360) / 360.0
    r, g, b = colorsys.hsv_to_rgb(hue, 0.55 + (h >> 9) % 25 / 100, 0.62 + (h >> 17) % 20 / 100)
    return int(r * 255), int(g * 255), int(b * 255)


def paint_character_card(name: str, height: int) -> Image.Image:
    """A silhouette figure (head + body) in the character's colour, name lettered below; RGBA."""
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
    if style == 0:  # cropped
        draw.chord([cx - head_r, head_cy - head_r, cx + head_r, head_cy + head_r], 180, 360, fill=hair)
    elif style == 1:  # long
        draw.chord([cx - head_r - 3, head_cy - head_r - 3, cx + head_r + 3, head_cy + head_r], 160, 380, fill=hair)
        draw.rectangle([cx - head_r - 3, head_cy, cx - head_r + head_r // 3, neck_y + head_r], fill=hair)
        draw.rectangle([cx + head_r - head_r // 3, head_cy, cx + head_r + 3, neck_y + head_r], fill=hair)
    else:  # hat
        draw.rectangle([cx - int(head_r * 1.5), head_cy - head_r // 2, cx + int(head_r * 1.5), head_cy - head_r // 3], fill=dark)
        draw.rectangle([cx - int(head_r * 0.9), head_cy - int(head_r * 1.4), cx + int(head_r * 0.9), head_cy - head_r // 2], fill=dark)

    font = _font(label_h * 0.7)
    stroke = max(1, sh // 300)
    box = draw.textbbox((0, 0), name, font=font, stroke_width=stroke)
    tw = box[2] - box[0]
    if tw > sw * 0.96:  # long names shrink to fit the card
        font = _font(label_h * 0.7 * sw * 0.96 / tw)
        box = draw.textbbox((0, 0), name, font=font, stroke_width=stroke)
        tw = box[2] - box[0]
    draw.text(((sw - tw) // 2 - box[0], sh - label_h - box[1]), name, font=font, fill=(255, 255, 255, 255),
              stroke_width=stroke, stroke_fill=(0, 0, 0, 255))
    return img.convert("RGBa").resize((width, height), Image.Resampling.LANCZOS).convert("RGBA")


# --- the scene's reference set ---------------------------------------------------------------

def _scene_characters(scene: SceneBlock) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for name in [*scene.characters, *(c for shot in scene.shots for c in shot.characters)]:
        slug = slugify(name)
        if slug and slug not in seen:
            seen.add(slug)
            names.append(name)
    return names


def _card_path(cards_dir: Path, kind: str, name: str, *key: object) -> Path:
    return cards_dir / f"{kind}_{slugify(name) or 'unnamed'}_{_digest(CARD_VERSION, kind, name, *key)[:10]}.png"


def _user_file_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_reference_set(scene: SceneBlock, refs_dir: Path | None, cards_dir: Path, width: int, height: int) -> ReferenceSet:
    """Resolve the scene's location plate and character images, writing normalised PNGs to cards_dir."""
    if width < MIN_REFERENCE_SIDE or height < MIN_REFERENCE_SIDE:
        raise ValueError(f"card size {width}x{height} is too small: use at least {MIN_REFERENCE_SIDE} px per side")
    cards_dir = Path(cards_dir)
    location_files: dict[str, Path] = {}
    character_files: dict[str, Path] = {}
    if refs_dir is not None:
        refs_dir = Path(refs_dir)
        if not refs_dir.is_dir():
            raise ReferenceImageError(
                f"reference folder {refs_dir} does not exist or is not a folder: create it with characters/ and "
                "locations/ subfolders, or leave refs_dir empty to use generated cards"
            )
        location_files, character_files = index_reference_folder(refs_dir)

    # location plate
    source = location_files.get(slugify(scene.location))
    if source is not None:
        out = _card_path(cards_dir, "location", scene.location, _user_file_key(source), width, height)
        if not out.exists():
            _save_png(cover(open_reference_image(source).convert("RGB"), width, height), out)
        location = ReferenceImage(name=scene.location, kind="location", path=str(out), generated=False)
    else:
        out = _card_path(cards_dir, "location", scene.location, scene.time_of_day, scene.mood, scene.heading, width, height)
        if not out.exists():
            _save_png(paint_location_plate(scene.location, scene.time_of_day, scene.mood, width, height, scene.heading), out)
        location = ReferenceImage(name=scene.location, kind="location", path=str(out), generated=True)

    characters: list[ReferenceImage] = []
    for name in _scene_characters(scene):
        source = character_files.get(slugify(name))
        if source is not None:
            out = _card_path(cards_dir, "character", name, _user_file_key(source), height)
            if not out.exists():
                _save_png(_fit_character(open_reference_image(source), height), out)
            characters.append(ReferenceImage(name=name, kind="character", path=str(out), generated=False))
        else:
            out = _card_path(cards_dir, "character", name, height)
            if not out.exists():
                _save_png(paint_character_card(name, height), out)
            characters.append(ReferenceImage(name=name, kind="character", path=str(out), generated=True))
    return ReferenceSet(scene_id=scene.scene_id, location=location, characters=characters)
