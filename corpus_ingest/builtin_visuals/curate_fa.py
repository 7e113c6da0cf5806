"""Build-time tool, the Font Awesome half of ``curate``: which Font Awesome Free icons the built-in set
takes, their tags, and the rescaling of each onto Material Design Icons' 24 x 24 view box.

Font Awesome draws on view boxes 512 units high (448 to 640 wide), MDI on 24 x 24, and the cut-out
pipeline's outline width and padding are in 24-unit box units (corpus_ingest.visual_raster); so each
FA path is rescaled once, here: every coordinate times 24 / its longer side, the drawing centred,
nothing else changed. Run through ``python -m corpus_ingest.builtin_visuals.curate``.
"""

from __future__ import annotations

import re

FA_VERSION = "7.3.1"

# --- Font Awesome Free 7.3.1 (icons: CC BY 4.0), solid family: images MDI does not draw ------------
# icon -> (kind, name, synonyms). Each is tagged only with what the drawing shows; none stands in for
# another animal or thing (no camel, seal, branch, rope or net in either set: those stay undepicted).
FA_CURATED: dict[str, tuple[str, str, str]] = {
    "dragon": ("creature", "dragon", "winged dragon, wyvern"),
    "otter": ("creature", "otter", "river otter, sea otter"),
    "hippo": ("creature", "hippo", "hippopotamus"),
    "frog": ("creature", "frog", "toad, tree frog"),
    "dove": ("creature", "dove", "white dove, dove of peace, turtle dove"),
    "crow": ("creature", "crow", "raven, rook, jackdaw"),
    "kiwi-bird": ("creature", "kiwi bird", "kiwi, flightless bird"),
    "worm": ("creature", "worm", "earthworm"),
    "shrimp": ("creature", "shrimp", "prawn"),
    "mosquito": ("creature", "mosquito", "gnat, midge"),
    "locust": ("creature", "locust", "grasshopper"),
    "image": ("prop", "framed picture", "painting, picture, framed painting, landscape painting, picture on the wall"),
    "palette": ("prop", "palette", "paint palette, painter's palette, artist's palette, paints"),
    "paintbrush": ("prop", "paintbrush", "paint brush, brush, artist's brush"),
}

_PATH_ARGS = {"m": 2, "l": 2, "h": 1, "v": 1, "c": 6, "s": 4, "q": 4, "t": 2, "a": 7, "z": 0}
_PATH_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _num(x: float) -> str:
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def scale_path(d: str, s: float, ox: float, oy: float) -> str:
    """Path data with every point mapped by (x, y) -> (s*x + ox, s*y + oy): absolute coordinates scaled
    and shifted, relative ones and arc radii scaled, arc rotations and flags kept."""
    out: list[str] = []
    pos, cmd = 0, None

    def number() -> float:
        nonlocal pos
        while pos < len(d) and d[pos] in " \t\r\n,":
            pos += 1
        m = _PATH_NUMBER.match(d, pos)
        if m is None:
            raise ValueError(f"path data: a number expected at {pos}: {d[pos:pos + 20]!r}")
        pos = m.end()
        return float(m[0])

    def flag() -> str:  # an arc flag is one character, "0" or "1", and may touch the next number ("1164")
        nonlocal pos
        while pos < len(d) and d[pos] in " \t\r\n,":
            pos += 1
        if d[pos] not in "01":
            raise ValueError(f"path data: an arc flag expected at {pos}")
        pos += 1
        return d[pos - 1]

    while True:
        while pos < len(d) and d[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(d):
            break
        if d[pos].isalpha():
            cmd = d[pos]
            pos += 1
            out.append(cmd)
            if cmd in "Zz":
                continue
        elif cmd is None or cmd in "Zz":
            raise ValueError(f"path data: a command expected at {pos}")
        elif out[-1][-1] not in "MmLlHhVvCcSsQqTtAa":
            out.append(" ")
        low, rel = cmd.lower(), cmd.islower()
        sx = lambda v: _num(v * s) if rel else _num(v * s + ox)  # noqa: E731
        sy = lambda v: _num(v * s) if rel else _num(v * s + oy)  # noqa: E731
        if low == "a":
            rx, ry, rot = number(), number(), number()
            fa, fs = flag(), flag()
            x, y = number(), number()
            vals = [_num(rx * s), _num(ry * s), _num(rot), fa, fs, sx(x), sy(y)]
        elif low == "h":
            vals = [sx(number())]
        elif low == "v":
            vals = [sy(number())]
        else:
            vals = []
            for _ in range(_PATH_ARGS[low] // 2):
                x, y = number(), number()
                vals += [sx(x), sy(y)]
        out.append(" ".join(vals))
        if cmd == "M":
            cmd = "L"  # further pairs after a moveto are linetos
        elif cmd == "m":
            cmd = "l"
    return "".join(out)


def fa_svg_24(svg: str, width: int, height: int, icon: str) -> str:
    """A Font Awesome SVG (one path on a ``0 0 width height`` box) rescaled onto MDI's 24 x 24 box."""
    paths = re.findall(r'<path\b[^>]*\bd="([^"]+)"', svg)
    if len(paths) != 1 or f'viewBox="0 0 {width} {height}"' not in svg:
        raise SystemExit(f"{icon}: expected one path on a 0 0 {width} {height} view box")
    s = 24 / max(width, height)
    ox, oy = (24 - s * width) / 2, (24 - s * height) / 2
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24">'
            f"<!-- Font Awesome Free {FA_VERSION} by @fontawesome - https://fontawesome.com, icon {icon}. "
            "License - https://fontawesome.com/license/free (Icons: CC BY 4.0). Copyright Fonticons, Inc. "
            f"Rescaled from its 0 0 {width} {height} view box to 0 0 24 24 for FilMaster. -->"
            f'<path d="{scale_path(paths[0], s, ox, oy)}"/></svg>')


def fa_tags(name: str, synonyms: str) -> list[str]:
    out: list[str] = []
    for tag in [name] + [t.strip().lower() for t in synonyms.split(",")]:
        if tag and tag not in out:
            out.append(tag)
    return out
