"""What the thin assets show in the Dagster UI (tables, previews, file facts) and their data versions."""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path

import dagster as dg
from pydantic import BaseModel

from filmcraft.store import content_key, sha256_file


def file_metadata(path: Path, duration_s: float | None = None) -> dict:
    meta = {"path": dg.MetadataValue.path(str(path)), "sha256": sha256_file(path), "bytes": path.stat().st_size}
    if duration_s is not None:
        meta["duration_s"] = round(float(duration_s), 3)
    return meta


def table(headers: list[str], rows: list[list]) -> dg.MetadataValue:
    """A table the Dagster UI shows inline on the asset page (cells as text; None as empty)."""
    schema = dg.TableSchema(columns=[dg.TableColumn(h, "string") for h in headers])
    records = [dg.TableRecord({h: "" if v is None else str(v) for h, v in zip(headers, row)}) for row in rows]
    return dg.MetadataValue.table(records=records, schema=schema)


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
    """Content hash of files an asset wrote: downstream staleness follows real changes only."""
    return dg.DataVersion("-".join(sha256_file(p)[:16] for p in paths))


# Outputs carry the data version of their content; Dagster marks the parameter beta, and says so on
# every step. It is the documented way to version an IO-managed output.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*`data_version`.*")


def contract_version(model: BaseModel, *media: Path, exclude: set[str] | None = None) -> dg.DataVersion:
    """Content hash of a stage's contract (and of the media it points at): the same content, the same
    version, so an unchanged stage leaves everything after it fresh."""
    digest = content_key(model.model_dump(mode="json", exclude=exclude))
    return dg.DataVersion("-".join([digest[:24], *(sha256_file(p)[:16] for p in media)]))
