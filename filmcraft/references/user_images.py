"""The user's reference images: the ``--refs`` folder, its manifest, and each image checked before use.

User images come from ``refs_dir/characters/<name>.<ext>`` and ``refs_dir/locations/<name>.<ext>``
(or a ``manifest.json`` naming files); names match after slugifying. Every file must lie inside the
folder (links included), and every image is decoded with a bounded size before a film relies on it.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from filmcraft.references.names import slugify

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
# Decoders a reference may use: raster formats Pillow reads itself. Never EPS/PDF-like formats that
# hand the file to an outside interpreter (Ghostscript), whatever the file is named.
IMAGE_DECODERS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")  # JPEG also yields MPO (camera JPEGs)
MAX_MANIFEST_BYTES = 1_000_000
MAX_REFERENCE_PIXELS = 50_000_000  # a reference is a guide, not a print master
MIN_REFERENCE_SIDE = 32


class ReferenceImageError(ValueError):
    """A reference image (or the refs folder) cannot be used; the message names the file and the fix."""


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
    if not refs_dir.is_dir():
        raise ReferenceImageError(
            f"reference folder {refs_dir} does not exist or is not a folder: create it with characters/ and "
            "locations/ subfolders, or leave it out to use generated cards"
        )
    manifest_locations, manifest_characters = _index_manifest(refs_dir)
    return ({**_index_folder(refs_dir / "locations", refs_dir), **manifest_locations},
            {**_index_folder(refs_dir / "characters", refs_dir), **manifest_characters})


def check_reference_folder(refs_dir: Path) -> int:
    """Open every image the folder offers, before a film starts; return how many are usable.

    Raises ReferenceImageError naming the first bad file (or manifest entry) and the fix, so a broken
    reference stops the request at once instead of failing a scene's camera step later.
    """
    locations, characters = index_reference_folder(Path(refs_dir))
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
