"""Review helpers: a clip's keyframe, a labelled contact sheet of keyframes, frames around each cut."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw

from filmcraft.media import extract_frame, probe
from filmcraft.references.cards import lettering_font
from filmcraft.store import atomic_path


def keyframe(video: Path, out_png: Path) -> Path:
    """The mid-point frame of a clip (for contact sheets and the judge)."""
    info = probe(video)
    return extract_frame(video, info.duration_s / 2, out_png)


def contact_sheet(frames: list[tuple[str, Path]], out_png: Path, columns: int = 4, tile_width: int = 320) -> Path:
    """A grid of keyframes, each labelled with its shot id."""
    if not frames:
        raise ValueError("contact_sheet needs at least one (shot_id, frame) pair")
    if columns < 1:
        raise ValueError(f"contact_sheet columns {columns} must be at least 1")
    tiles: list[tuple[str, Image.Image]] = []
    for label, path in frames:
        img = Image.open(path).convert("RGB")
        tile_h = max(1, round(img.height * tile_width / img.width))
        tiles.append((label, img.resize((tile_width, tile_h), Image.Resampling.LANCZOS)))
    label_h = max(14, tile_width // 16)
    cell_h = max(t.height for _, t in tiles) + label_h
    gap = 4
    rows = math.ceil(len(tiles) / columns)
    cols = min(columns, len(tiles))
    sheet = Image.new("RGB", (cols * (tile_width + gap) + gap, rows * (cell_h + gap) + gap), (24, 24, 24))
    draw = ImageDraw.Draw(sheet)
    font = lettering_font(label_h * 0.75)
    for i, (label, tile) in enumerate(tiles):
        x = gap + (i % columns) * (tile_width + gap)
        y = gap + (i // columns) * (cell_h + gap)
        sheet.paste(tile, (x, y))
        draw.text((x + 3, y + tile.height + 1), label, font=font, fill=(235, 235, 235))
    with atomic_path(out_png) as tmp:
        sheet.save(tmp, format="PNG")
    return Path(out_png)


STRIP_OFFSETS_S = (-0.4, -0.2, 0.0, 0.2, 0.4)  # around a cut: long enough to see a half-second blend or dip


def transition_strip(video: Path, cuts: list[tuple[str, float]], out_png: Path, tile_width: int = 200,
                     offsets: tuple[float, ...] = STRIP_OFFSETS_S) -> Path:
    """One row per cut of ``video``: its frames at ``offsets`` seconds around the cut, labelled with the
    cut's name (e.g. ``s01_sh03 > s02_sh01 dissolve``) and the offset, so a transition is seen, not read."""
    if not cuts:
        raise ValueError("transition_strip needs at least one (label, time) cut")
    info = probe(video)
    last = max(0.0, info.duration_s - 1.5 / (info.fps or 24))  # the last frame's start: past it there is none
    frames: list[tuple[str, Path]] = []
    with tempfile.TemporaryDirectory(prefix="strip-") as tmp:
        for row, (label, at) in enumerate(cuts):
            for col, off in enumerate(offsets):
                t = min(max(at + off, 0.0), last)
                tag = label if col == 0 else f"{off:+.1f}s" if off else "cut"
                frames.append((tag, extract_frame(video, t, Path(tmp) / f"{row:03d}_{col}.png", width=tile_width)))
        return contact_sheet(frames, out_png, columns=len(offsets), tile_width=tile_width)
