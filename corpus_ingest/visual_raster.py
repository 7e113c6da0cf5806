"""Visual library images as RGBA PNG cut-outs, cached by content in the studio's library folder.

SVGs are rasterised by resvg (``resvg_py``, a Rust wheel: no system cairo). The built-in icons
are single-colour silhouettes, so each is recoloured before rasterising: a light fill with a
dark outline drawn behind it (``paint-order: stroke``), which reads on a night plate (the fill)
and on a day plate (the outline) alike. A user's SVG keeps its own colours. PNG and JPEG files
are converted; an opaque image whose four corners share one colour (a photo on a plain
backdrop) has that backdrop keyed out. Every cut-out is cropped to its visible pixels, so the
renderer can scale it by the height of the thing itself.

A cut-out's file name is a hash of the source bytes, the colours and the size: a changed file
or style gets a new raster, an unchanged one is never rendered twice.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from filmcraft.store import atomic_path

RASTER_VERSION = 2  # bump when the rendering below changes: every cached cut-out is redrawn
RASTER_PX = 1024  # longest side of a cut-out: a prop is rarely drawn taller than this in a 1080p frame
IMAGE_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg")
OUTLINE = "#1b1a1f"  # near-black: the silhouette's edge against a bright sky
OUTLINE_WIDTH = 0.9  # in the icons' 24-unit view box: ~4% of the glyph, visible when scaled to 80 px
PROBE_PX = 96  # width of the render that measures how much of its view box a drawing fills
KEY_TOLERANCE = 18  # per-channel distance from the corner colour still keyed out as backdrop

# Light fills per kind (warm for living things, cool for machines), so a cut-out separates from
# both a dark and a light background; nouns of light and fire glow, plants are green, water blue.
KIND_FILLS = {"creature": "#f3ede2", "prop": "#f0d9a8", "vehicle": "#dce6ee", "landmark": "#eadfca",
              "nature": "#d7e8c4"}
TAG_FILLS = (
    (("fire", "flame", "candle", "torch", "lamp", "lantern", "lightbulb", "sun", "star", "lightning"), "#ffd36b"),
    (("water", "wave", "sea", "ocean", "tsunami", "waterfall"), "#a9d3f0"),
    (("snow", "ice", "glacier", "frost", "snowflake", "snowman"), "#eef6ff"),
    (("tree", "forest", "leaf", "grass", "cactus", "sprout", "clover", "palm"), "#a9d88e"),
    (("moon", "cloud", "fog"), "#e4e6f0"),
)


# colours a text gives a thing ("a red kite", "a golden fish"): light enough to read on a night plate
COLOUR_FILLS = {"red": "#e0483e", "scarlet": "#e0483e", "crimson": "#c8323c", "orange": "#f09a3e", "yellow": "#f2d04a",
                "golden": "#f0c14b", "gold": "#f0c14b", "green": "#6cc46a", "blue": "#4f8fe0", "purple": "#a070d8",
                "violet": "#a070d8", "pink": "#f08cb4", "white": "#f7f7f2", "silver": "#cfd6de", "grey": "#a8acb0",
                "gray": "#a8acb0", "black": "#3a3a40", "brown": "#a0704a", "copper": "#c87f4a", "brass": "#d4a84a"}


class ImageError(ValueError):
    """An image that cannot become a cut-out; the message says why."""


def fill_for(kind: str, name: str) -> str:
    words = set(re.split(r"[^a-z]+", name.lower()))
    for keys, colour in TAG_FILLS:
        if words.intersection(keys):
            return colour
    return KIND_FILLS.get(kind, "#f0ece4")


def _recoloured(svg: str, fill: str) -> str:
    """The icon with every shape filled ``fill`` and outlined, its view box padded for the outline."""
    pad = OUTLINE_WIDTH
    svg = re.sub(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"',
                 lambda m: 'viewBox="{} {} {} {}"'.format(float(m[1]) - pad, float(m[2]) - pad,
                                                          float(m[3]) + 2 * pad, float(m[4]) + 2 * pad), svg, count=1)
    style = (f'<style>path,circle,rect,ellipse,polygon{{fill:{fill};stroke:{OUTLINE};stroke-width:{OUTLINE_WIDTH};'
             'stroke-linejoin:round;paint-order:stroke}</style>')
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m[1] + style, svg, count=1)


def _svg_image(data: bytes, fill: str | None, px: int):
    import resvg_py
    from PIL import Image

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImageError("not a UTF-8 SVG file") from None
    if "<svg" not in text:
        raise ImageError("no <svg> element: not an SVG file")
    if fill is not None:
        text = _recoloured(text, fill)

    def render(width: int):
        try:  # resvg scales by width; a user SVG keeps its aspect
            png = resvg_py.svg_to_bytes(svg_string=text, width=width, skip_system_fonts=True)
        except BaseException as exc:  # resvg raises pyo3 panics as BaseException subclasses
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ImageError(f"resvg cannot render it: {str(exc)[:160]}") from None
        return Image.open(io.BytesIO(bytes(png))).convert("RGBA")

    # A drawing rarely fills its view box: measure the visible part on a small render, then render at
    # the width that makes it ``px`` long, so the cropped cut-out keeps every pixel of detail.
    probe = render(PROBE_PX)
    box = probe.getchannel("A").getbbox()
    if box is None:
        raise ImageError("nothing visible: the drawing is empty or fully transparent")
    share = max(box[2] - box[0], box[3] - box[1]) / PROBE_PX
    return render(min(4 * px, max(px, round(px / max(share, 0.05)) + 2)))


def _bitmap_image(data: bytes):
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImageError(f"cannot decode it ({str(exc)[:160]})") from None
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    img = img.convert("RGBA")
    if not has_alpha:
        img = _key_backdrop(img)
    return img


def _key_backdrop(img):
    """Make a plain backdrop transparent: the colour all four corners share, if they share one."""
    import numpy as np
    from PIL import Image

    arr = np.asarray(img).copy()
    corners = arr[[0, 0, -1, -1], [0, -1, 0, -1], :3].astype(int)
    if np.abs(corners - corners[0]).max() > KEY_TOLERANCE:
        return img  # a full-frame picture: keep it whole
    near = (np.abs(arr[..., :3].astype(int) - corners[0]).max(axis=2) <= KEY_TOLERANCE)
    arr[..., 3] = np.where(near, 0, arr[..., 3])
    return Image.fromarray(arr, "RGBA")


def _crop_fit(img, px: int):
    from PIL import Image

    box = img.getchannel("A").point(lambda a: 255 if a > 8 else 0).getbbox()
    if box is None:
        raise ImageError("nothing visible: the image is fully transparent")
    img = img.crop(box)
    scale = px / max(img.size)
    if scale < 1:  # never enlarge a small bitmap here: the renderer scales once, at its own size
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return img


def render_cutout(data: bytes, suffix: str, fill: str | None = None, px: int = RASTER_PX):
    """The cut-out of an image file's bytes as a PIL RGBA image (ImageError when it cannot be one)."""
    suffix = suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        raise ImageError(f"{suffix or 'no suffix'}: not an image type of the visual library ({', '.join(IMAGE_SUFFIXES)})")
    img = _svg_image(data, fill, px) if suffix == ".svg" else _bitmap_image(data)
    return _crop_fit(img, px)


def cutout_key(data: bytes, fill: str | None, px: int) -> str:
    h = hashlib.sha256(data)
    h.update(f"|v{RASTER_VERSION}|{fill}|{OUTLINE}|{OUTLINE_WIDTH}|{px}".encode())
    return h.hexdigest()[:32]


def cutout(source: Path, cache_dir: Path, fill: str | None = None, px: int = RASTER_PX) -> Path:
    """The cached PNG cut-out of ``source`` (rendered on first use); ImageError if it cannot be one."""
    source = Path(source)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ImageError(f"unreadable: {exc.strerror or exc}") from None
    out = Path(cache_dir) / f"{cutout_key(data, fill, px)}.png"
    if out.is_file():
        return out
    img = render_cutout(data, source.suffix, fill, px)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        img.save(tmp, "PNG", optimize=False)
    return out


def image_size(source: Path) -> tuple[int, int]:
    """(width, height) of an image file as the library would draw it, checking that it is one."""
    data = Path(source).read_bytes()
    img = render_cutout(data, Path(source).suffix, None, px=256 if Path(source).suffix.lower() == ".svg" else RASTER_PX)
    return img.size


THUMB_PX = 160  # cut-outs on a contact sheet (and the check that every built-in icon renders)
NIGHT, DAY = (22, 30, 52), (196, 214, 232)  # a night plate and a day plate


def contact_sheet(cutouts: list[tuple[Path, str]], out: Path, cols: int = 8, cell: int = THUMB_PX + 40) -> Path:
    """A PNG grid of cut-outs with their names, rows alternately on a night and a day plate, so one
    look shows whether the library reads on both."""
    from PIL import Image, ImageDraw

    rows = max(1, -(-len(cutouts) // cols))
    sheet = Image.new("RGB", (cols * cell, rows * cell), NIGHT)
    draw = ImageDraw.Draw(sheet)
    for n, (path, label) in enumerate(cutouts):
        r, c = divmod(n, cols)
        x0, y0 = c * cell, r * cell
        plate = NIGHT if r % 2 == 0 else DAY
        draw.rectangle([x0, y0, x0 + cell - 1, y0 + cell - 1], fill=plate)
        with Image.open(path) as img:
            img = img.convert("RGBA")
            img.thumbnail((cell - 24, cell - 40), Image.LANCZOS)
            sheet.paste(img, (x0 + (cell - img.width) // 2, y0 + 8 + (cell - 40 - img.height) // 2), img)
        ink = (235, 235, 240) if plate == NIGHT else (20, 20, 28)
        draw.text((x0 + 6, y0 + cell - 22), label[: cell // 7], fill=ink)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        sheet.save(tmp, "PNG")
    return out
