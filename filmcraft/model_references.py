"""The film's reference images from an image model: once per character and location for the whole film.

Every character and location the film's scenes name, and the user gave no image of, is painted by the
image role (``filmcraft.roles.ImageModel``) from a prompt built from the synopsis' description and the
film's look (``reference_prompt``). Images are content-addressed in the studio cache by prompt, model and
size, so a re-run, another scene or another film with the same prompt never asks again; the film folder
holds links to them. Each scene's reference set then takes them in place of painted cards
(``reference_sets.load_reference_set``), so every clip featuring a character or place gets the same image.
Offline (no image model) nothing is asked: the painted cards stay, and the record says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Literal, Optional

from filmcraft.contracts import FilmReference, FilmReferenceImages, SceneBlock, Synopsis
from filmcraft.references.names import slugify
from filmcraft.references.reference_sets import scene_characters
from filmcraft.references.user_images import index_reference_folder
from filmcraft.roles import ImageModel
from filmcraft.store import Studio

Kind = Literal["character", "location"]
IMAGE_CACHE = "reference-images"  # the studio cache folder of model-made reference images
MAX_DESCRIPTION_CHARS = 600  # a description is a few sentences; prompts stay well inside every model's limit
PROMPT_VERSION = 1  # part of every image's cache key: a changed prompt wording is a new image


def film_cast(scenes: Iterable[SceneBlock]) -> list[tuple[Kind, str]]:
    """Every location and character the scenes name, once each (matched after slugifying), in order of
    first appearance: what a reference image is needed for."""
    out: list[tuple[Kind, str]] = []
    seen: set[tuple[str, str]] = set()
    for scene in scenes:
        for kind, name in [("location", scene.location), *(("character", c) for c in scene_characters(scene))]:
            key = (kind, slugify(name))
            if key[1] and key not in seen:
                seen.add(key)
                out.append((kind, name))
    return out


def _description(kind: Kind, name: str, synopsis: Synopsis) -> str:
    """The synopsis' description of ``name``: the same slug, else a name containing the other's slug
    ("the old harbour" for "harbour"); empty when the synopsis does not describe it."""
    entries = synopsis.characters if kind == "character" else synopsis.locations
    slug = slugify(name)
    exact = [e for e in entries if slugify(e.name) == slug]
    near = [e for e in entries if slugify(e.name) and (slugify(e.name) in slug or slug in slugify(e.name))]
    match = (exact or near or [None])[0]
    text = " ".join((match.description if match else "").split())
    return text[:MAX_DESCRIPTION_CHARS]


def reference_prompt(kind: Kind, name: str, synopsis: Synopsis) -> str:
    """What the image model is asked for ``name``: who or what it is (the synopsis' words) in the film's
    look (genre and mood), framed as a reference: one full-length person on a plain ground, or the place
    in a wide view without people; never lettering, which image models add and a clip would copy."""
    description = _description(kind, name, synopsis)
    look = f'the {" ".join(synopsis.mood.split()) or "neutral"} {" ".join(synopsis.genre.split()) or "film"} ' \
           f'"{" ".join(synopsis.title.split())}"'
    # "Mara, a fisherwoman" names her already; "a fisherwoman" needs the name
    subject = (description if description.casefold().startswith(name.casefold()) else
               f"{name}: {description}") if description else name
    if kind == "character":
        return (f"Character reference image for {look}. {subject}. A full-length portrait of this one person "
                "standing, facing the camera, on a plain neutral background, soft even light, realistic, "
                f"cinematic, in the film's {synopsis.mood.strip() or 'neutral'} tone. No text, no other people.")
    return (f"Location reference image for {look}. {subject}. A wide establishing view of this place, "
            "no people, realistic, cinematic, in the film's "
            f"{synopsis.mood.strip() or 'neutral'} tone. No text.")


def image_size(kind: Kind, width: int, height: int) -> tuple[int, int]:
    """The size asked for: a location fills the film's frame, a character stands in a 2:3 portrait."""
    return (width, height) if kind == "location" else (max(1, round(height * 2 / 3)), height)


def film_reference_images(film_id: str, scenes: list[SceneBlock], synopsis: Synopsis, refs_dir: Optional[Path],
                          image: Optional[ImageModel], studio: Studio, out_dir: Path, width: int,
                          height: int) -> FilmReferenceImages:
    """Ask ``image`` once for every character and location of ``scenes`` without a user image; link the
    images into ``out_dir`` (``<kind>_<slug>.png``) and draw a contact sheet of them. ``image`` None
    (offline): nothing is asked, every such name keeps its painted cards."""
    from filmcraft.review import contact_sheet
    from filmcraft.shoot import link_or_copy

    locations, characters = index_reference_folder(Path(refs_dir)) if refs_dir else ({}, {})
    user = {"location": locations, "character": characters}
    out_dir = Path(out_dir)
    refs: list[FilmReference] = []
    tiles: list[tuple[str, Path]] = []
    kept: set[str] = set()
    for kind, name in film_cast(scenes):
        if slugify(name) in user[kind]:
            refs.append(FilmReference(name=name, kind=kind, source="user"))
            continue
        prompt = reference_prompt(kind, name, synopsis)
        if image is None:
            refs.append(FilmReference(name=name, kind=kind, source="card", prompt=prompt))
            continue
        w, h = image_size(kind, width, height)
        key = {"prompt": prompt, "model": image.name, "size": [w, h], "version": PROMPT_VERSION}
        cached, hit = studio.cached_file(IMAGE_CACHE, key, ".png",
                                         lambda tmp, p=prompt, w=w, h=h: image.paint(p, w, h, tmp))
        path = out_dir / f"{kind}_{slugify(name)}.png"
        link_or_copy(cached, path)
        kept.add(path.name)
        refs.append(FilmReference(name=name, kind=kind, source="model", prompt=prompt, path=str(path), cached=hit))
        tiles.append((f"{name} ({kind})", path))
    for stale in out_dir.glob("*.png") if out_dir.is_dir() else ():  # a name the film no longer has
        if stale.name not in kept and stale.name.startswith(("character_", "location_")):
            stale.unlink()
    sheet = contact_sheet(tiles, out_dir / "contact_sheet.png", columns=4, tile_width=240) if tiles else None
    if sheet is None:
        (out_dir / "contact_sheet.png").unlink(missing_ok=True)
    return FilmReferenceImages(film_id=film_id, image_model=image.name if image is not None else None,
                               references=refs, contact_sheet_path=str(sheet) if sheet else None)


def model_images(film_refs: Optional[FilmReferenceImages]) -> dict[tuple[str, str], tuple[Path, str]]:
    """(kind, slug) -> (image, model) of the film's model-made references, for ``load_reference_set``."""
    if film_refs is None or film_refs.image_model is None:
        return {}
    return {(r.kind, slugify(r.name)): (Path(r.path), film_refs.image_model)
            for r in film_refs.references if r.source == "model" and r.path}
