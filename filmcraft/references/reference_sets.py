"""A scene's reference set: its location plate and one image per character, as normalised PNGs.

Each name takes the user's image when the refs folder has one, else the film's image from an image
model when there is one (``model_images``: ``painted_by`` names the model), else a painted card
(``generated=True``). Everything is written into ``cards_dir`` under a content-addressed name, so
later stages only ever read clean PNGs and a changed source or painter gives a new file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Mapping, Optional

from PIL import Image, ImageOps

from filmcraft.contracts import ReferenceImage, ReferenceSet, SceneBlock, ShotPlan
from filmcraft.references.cards import CARD_VERSION, paint_character_card
from filmcraft.references.scenery import paint_location_plate, plate_layout
from filmcraft.references.names import slugify, stable_digest
from filmcraft.references.user_images import (
    MIN_REFERENCE_SIDE,
    index_reference_folder,
    open_reference_image,
)
from filmcraft.store import atomic_path


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


def _save_png(im: Image.Image, path: Path, pnginfo=None) -> Path:
    with atomic_path(path) as tmp:
        im.save(tmp, format="PNG", optimize=False, pnginfo=pnginfo)
    return path


def scene_characters(scene: SceneBlock) -> list[str]:
    """The scene's characters and those its shots name, once each (matched after slugifying)."""
    names: list[str] = []
    seen: set[str] = set()
    for name in [*scene.characters, *(c for shot in scene.shots for c in shot.characters)]:
        slug = slugify(name)
        if slug and slug not in seen:
            seen.add(slug)
            names.append(name)
    return names


def _card_path(cards_dir: Path, kind: str, name: str, *key: object) -> Path:
    return cards_dir / f"{kind}_{slugify(name) or 'unnamed'}_{stable_digest(CARD_VERSION, kind, name, *key)[:10]}.png"


def _user_file_key(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_reference_set(scene: SceneBlock, refs_dir: Path | None, cards_dir: Path, width: int, height: int,
                       model_images: Optional[Mapping[tuple[str, str], tuple[Path, str]]] = None) -> ReferenceSet:
    """Resolve the scene's location plate and character images, writing normalised PNGs to cards_dir.

    ``model_images``: (kind, slug) -> (image, model name), the film's images from an image model
    (``filmcraft.model_references.model_images``); they stand in for painted cards, never for user images."""
    made = model_images or {}
    if width < MIN_REFERENCE_SIDE or height < MIN_REFERENCE_SIDE:
        raise ValueError(f"card size {width}x{height} is too small: use at least {MIN_REFERENCE_SIDE} px per side")
    cards_dir = Path(cards_dir)
    location_files: dict[str, Path] = {}
    character_files: dict[str, Path] = {}
    if refs_dir is not None:
        location_files, character_files = index_reference_folder(Path(refs_dir))

    # location plate
    source = location_files.get(slugify(scene.location))
    if source is not None:
        out = _card_path(cards_dir, "location", scene.location, _user_file_key(source), width, height)
        if not out.exists():
            _save_png(cover(open_reference_image(source).convert("RGB"), width, height), out)
        location = ReferenceImage(name=scene.location, kind="location", path=str(out), generated=False)
    elif ("location", slugify(scene.location)) in made:
        source, model = made[("location", slugify(scene.location))]
        out = _card_path(cards_dir, "location", scene.location, "model", _user_file_key(source), width, height)
        if not out.exists():
            _save_png(cover(open_reference_image(source).convert("RGB"), width, height), out)
        location = ReferenceImage(name=scene.location, kind="location", path=str(out), generated=False,
                                  painted_by=model)
    else:
        out = _card_path(cards_dir, "location", scene.location, scene.time_of_day, scene.mood, scene.heading,
                         scene.weather, width, height)
        if not out.exists():
            # the plate carries its layout (kind, horizon, landmark anchors) for the renderer to read
            plate = paint_location_plate(scene.location, scene.time_of_day, scene.mood, width, height, scene.heading,
                                         scene.weather)
            _save_png(plate, out, plate_layout(scene.location, scene.heading).pnginfo())
        location = ReferenceImage(name=scene.location, kind="location", path=str(out), generated=True)

    characters: list[ReferenceImage] = []
    for name in scene_characters(scene):
        source = character_files.get(slugify(name))
        if source is not None:
            out = _card_path(cards_dir, "character", name, _user_file_key(source), height)
            if not out.exists():
                _save_png(_fit_character(open_reference_image(source), height), out)
            characters.append(ReferenceImage(name=name, kind="character", path=str(out), generated=False))
        elif ("character", slugify(name)) in made:
            source, model = made[("character", slugify(name))]
            out = _card_path(cards_dir, "character", name, "model", _user_file_key(source), height)
            if not out.exists():
                _save_png(_fit_character(open_reference_image(source), height), out)
            characters.append(ReferenceImage(name=name, kind="character", path=str(out), generated=False,
                                             painted_by=model))
        else:
            out = _card_path(cards_dir, "character", name, height)
            if not out.exists():
                _save_png(paint_character_card(name, height), out)
            characters.append(ReferenceImage(name=name, kind="character", path=str(out), generated=True))
    return ReferenceSet(scene_id=scene.scene_id, location=location, characters=characters)


def clip_references(shot: ShotPlan, refs: ReferenceSet, limit: int) -> tuple[ReferenceImage, ...]:
    """The reference images a clip of ``shot`` is given, at most ``limit``: the characters the shot names
    (in its order), then the scene's location plate, which always fits when ``limit`` >= 1 (a clip is
    placed before it is peopled)."""
    if limit < 1:
        return ()
    by_name = {c.name.casefold(): c for c in refs.characters}
    people = [by_name[n.casefold()] for n in dict.fromkeys(shot.characters) if n.casefold() in by_name]
    return (*people[:limit - 1], refs.location)
