"""Small helpers shared by the thin assets: paths, metadata, previews."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import dagster as dg

from filmcraft.contracts import SceneBlocks
from filmcraft.layout import FilmLayout
from filmcraft.overrides import OverrideError, apply_overrides, load_overrides
from filmcraft.store import read_model
from filmcraft.store import sha256_file
from resources.models import StudioResource


def layout(studio: StudioResource, film_id: str) -> FilmLayout:
    return FilmLayout(studio.studio().film_dir(film_id))


def file_metadata(path: Path, duration_s: float | None = None) -> dict:
    meta = {"path": dg.MetadataValue.path(str(path)), "sha256": sha256_file(path), "bytes": path.stat().st_size}
    if duration_s is not None:
        meta["duration_s"] = round(float(duration_s), 3)
    return meta


def md_table(headers: list[str], rows: list[list]) -> dg.MetadataValue:
    def cell(v) -> str:
        return str(v).replace("|", "/").replace("\n", " ")
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))


def image_preview(path: Path, max_width: int = 640) -> dg.MetadataValue:
    """A JPEG thumbnail inlined as a data URI so the Dagster UI shows it without a file server."""
    from PIL import Image

    with Image.open(path) as img:
        img = img.convert("RGB")
        if img.width > max_width:
            img = img.resize((max_width, round(img.height * max_width / img.width)))
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=70)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return dg.MetadataValue.md(f"![preview](data:image/jpeg;base64,{data})")


def data_version(*paths: Path) -> dg.DataVersion:
    """Content hash of what an asset wrote: downstream staleness follows real changes only."""
    return dg.DataVersion("-".join(sha256_file(p)[:16] for p in paths))


def effective_blocks(files: FilmLayout) -> SceneBlocks:
    """The director's scene blocks with the film-maker's scene overrides applied."""
    blocks = read_model(files.scene_blocks, SceneBlocks)
    try:
        return apply_overrides(blocks, load_overrides(files.scene_overrides), str(files.scene_overrides))
    except OverrideError as exc:
        raise dg.Failure(str(exc)) from exc
