from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from filmcraft.contracts import SceneBlock, ShotPrompt, SoundSketch
from filmcraft.references.cards import character_colour
from filmcraft.references.scenery import paint_location_plate
from filmcraft.references.names import slugify
from filmcraft.references.reference_sets import load_reference_set
from filmcraft.references.user_images import ReferenceImageError

W, H = 320, 180


def scene(location: str = "Old Harbour", characters: list[str] | None = None, time_of_day: str = "night",
          mood: str = "tense") -> SceneBlock:
    chars = ["Mara", "Tomas"] if characters is None else characters
    return SceneBlock(
        scene_id="s01", index=1, heading=f"EXT. {location.upper()} - {time_of_day.upper()}", location=location,
        time_of_day=time_of_day, characters=chars, key_visual_elements=["lantern"], narrative_objective="meet",
        mood=mood, sound_sketch=SoundSketch(ambience="water", music_mood="tense"),
        shots=[ShotPrompt(shot_id="s01_sh01", kind="primary", prompt="they meet", characters=[*chars, "Old Pike"])],
    )


def test_slugify_matches_film_names():
    assert slugify("Old Harbour") == "old_harbour"
    assert slugify("old-harbour") == "old_harbour"
    assert slugify("  Zoë  O'Neil ") == "zoe_o_neil"
    assert slugify("../etc/passwd") == "etc_passwd"


def test_user_images_are_used_and_normalised(tmp_path: Path):
    refs = tmp_path / "refs"
    (refs / "locations").mkdir(parents=True)
    (refs / "characters").mkdir(parents=True)
    # an RGBA location and a greyscale character: both must come out as RGB
    loc = np.zeros((400, 300, 4), np.uint8)
    loc[..., 0] = 200
    loc[..., 3] = 128
    Image.fromarray(loc, "RGBA").save(refs / "locations" / "old-harbour.png")
    Image.fromarray(np.full((900, 400), 90, np.uint8), "L").save(refs / "characters" / "MARA.jpg")

    rs = load_reference_set(scene(), refs, tmp_path / "cards", W, H)
    assert rs.location.generated is False
    plate = Image.open(rs.location.path)
    assert plate.mode == "RGB" and plate.size == (W, H)  # cover-cropped to the frame
    mara = next(c for c in rs.characters if c.name == "Mara")
    assert mara.generated is False
    im = Image.open(mara.path)
    assert im.mode == "RGB" and max(im.size) <= H
    assert abs(np.asarray(im).astype(int).mean() - 90) < 3  # it is the user's picture, not a card
    # Tomas and Old Pike (named only in a shot) have no image: generated cards
    others = {c.name: c for c in rs.characters}
    assert others["Tomas"].generated and others["Old Pike"].generated
    assert Image.open(others["Tomas"].path).mode == "RGBA"


def test_user_cutout_keeps_its_transparency(tmp_path: Path):
    refs = tmp_path / "refs"
    (refs / "characters").mkdir(parents=True)
    cut = np.zeros((200, 100, 4), np.uint8)
    cut[20:180, 30:70] = (10, 200, 10, 255)
    Image.fromarray(cut, "RGBA").save(refs / "characters" / "mara.png")
    rs = load_reference_set(scene(), refs, tmp_path / "cards", W, H)
    im = Image.open(rs.characters[0].path)
    assert im.mode == "RGBA" and np.asarray(im)[..., 3].min() == 0


def test_corrupt_image_names_the_file(tmp_path: Path):
    refs = tmp_path / "refs"
    (refs / "characters").mkdir(parents=True)
    bad = refs / "characters" / "mara.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    with pytest.raises(ReferenceImageError) as err:
        load_reference_set(scene(), refs, tmp_path / "cards", W, H)
    assert str(bad) in str(err.value) and "replace" in str(err.value)


def test_huge_and_tiny_images_rejected(tmp_path: Path):
    refs = tmp_path / "refs"
    (refs / "locations").mkdir(parents=True)
    # 1-bit image: 64 megapixels but only 8 MB in memory, compresses to a few KB
    Image.new("1", (8000, 8000)).save(refs / "locations" / "old_harbour.png")
    with pytest.raises(ReferenceImageError, match="megapixels"):
        load_reference_set(scene(), refs, tmp_path / "cards", W, H)
    Image.new("RGB", (20, 400)).save(refs / "locations" / "old_harbour.png")
    with pytest.raises(ReferenceImageError, match="at least 32"):
        load_reference_set(scene(), refs, tmp_path / "cards", W, H)


def test_missing_refs_dir_is_an_error(tmp_path: Path):
    with pytest.raises(ReferenceImageError, match="does not exist"):
        load_reference_set(scene(), tmp_path / "nope", tmp_path / "cards", W, H)


def test_generated_cards_are_deterministic_and_distinct(tmp_path: Path):
    a = load_reference_set(scene(), None, tmp_path / "a", W, H)
    b = load_reference_set(scene(), None, tmp_path / "b", W, H)
    assert a.location.generated and all(c.generated for c in a.characters)
    assert Path(a.location.path).read_bytes() == Path(b.location.path).read_bytes()
    for ca, cb in zip(a.characters, b.characters):
        assert Path(ca.path).read_bytes() == Path(cb.path).read_bytes()
    mara, tomas = (np.asarray(Image.open(c.path).convert("RGBA")) for c in a.characters[:2])
    assert character_colour("Mara") != character_colour("Tomas")
    assert np.abs(mara.astype(int) - tomas.astype(int)).mean() > 5
    # transparent background around an opaque figure
    assert mara[0, 0, 3] == 0 and mara[..., 3].max() == 255


def test_plate_follows_time_of_day_and_location(tmp_path: Path):
    night = np.asarray(paint_location_plate("Old Harbour", "night", "calm", W, H)).astype(float)
    day = np.asarray(paint_location_plate("Old Harbour", "day", "calm", W, H)).astype(float)
    dawn = np.asarray(paint_location_plate("Old Harbour", "dawn", "calm", W, H)).astype(float)
    sky = slice(0, H // 4)
    assert night.mean() < day.mean() - 40
    assert day[sky, :, 2].mean() > day[sky, :, 0].mean()  # blue day sky
    assert night[sky, :, 2].mean() > night[sky, :, 0].mean()  # deep blue night
    pink = lambda im: (im[sky, :, 0] - im[sky, :, 2]).mean()  # noqa: E731 - red over blue in the sky
    assert pink(dawn) > pink(day) + 40
    other = np.asarray(paint_location_plate("Pine Forest", "night", "calm", W, H)).astype(float)
    assert np.abs(other - night).mean() > 5
    dark = np.asarray(paint_location_plate("Old Harbour", "night", "ominous", W, H)).astype(float)
    assert dark.mean() < night.mean()


def test_same_location_different_time_gets_its_own_card(tmp_path: Path):
    a = load_reference_set(scene(time_of_day="night"), None, tmp_path, W, H)
    b = load_reference_set(scene(time_of_day="day"), None, tmp_path, W, H)
    assert a.location.path != b.location.path
    assert Path(a.location.path).exists() and Path(b.location.path).exists()


def test_manifest_maps_names_to_files_anywhere(tmp_path):
    import json

    from PIL import Image

    from filmcraft.contracts import SceneBlock, SoundSketch
    from filmcraft.references.reference_sets import load_reference_set
    from filmcraft.references.user_images import ReferenceImageError

    refs = tmp_path / "refs"
    (refs / "pics").mkdir(parents=True)
    Image.new("RGB", (320, 200), (200, 30, 30)).save(refs / "pics" / "red_dock.png")
    Image.new("RGB", (120, 240), (20, 200, 20)).save(refs / "pics" / "m.png")
    (refs / "manifest.json").write_text(json.dumps({"locations": {"Old Harbour": "pics/red_dock.png"},
                                                    "characters": {"Mara": "pics/m.png"}}))
    scene = SceneBlock(scene_id="s01", index=1, heading="EXT. OLD HARBOUR - DAWN", location="Old Harbour",
                       time_of_day="dawn", characters=["Mara"], key_visual_elements=[], narrative_objective="x",
                       mood="calm", shots=[], sound_sketch=SoundSketch(ambience="sea", music_mood="calm"))
    ref_set = load_reference_set(scene, refs, tmp_path / "cards", 256, 144)
    assert not ref_set.location.generated and not ref_set.characters[0].generated
    assert Image.open(ref_set.location.path).getpixel((10, 10))[0] > 150  # the red plate was used
    (refs / "manifest.json").write_text(json.dumps({"characters": {"Tomas": "pics/missing.png"}}))
    with pytest.raises(ReferenceImageError, match="Tomas.*does not exist"):
        load_reference_set(scene, refs, tmp_path / "cards2", 256, 144)


def test_a_clip_is_given_its_shots_characters_then_the_location_within_the_backends_limit():
    from filmcraft.contracts import CameraSpec, ReferenceImage, ReferenceSet, ShotPlan
    from filmcraft.references.reference_sets import clip_references

    def ref(name, kind):
        return ReferenceImage(name=name, kind=kind, path=f"/refs/{name}.png", generated=False)

    refs = ReferenceSet(scene_id="s01", location=ref("harbour", "location"),
                        characters=[ref("Mara", "character"), ref("Tomas", "character"), ref("Ines", "character")])
    shot = ShotPlan(shot_id="s01_sh01", scene_id="s01", index=1, prompt="p", characters=["tomas", "Mara", "Mara", "Olga"],
                    location="harbour", time_of_day="day", mood="calm",
                    camera=CameraSpec(shot_size="wide", movement="static", angle="eye_level", lens_mm=35,
                                      lighting="daylight", grade="neutral", duration_s=4))
    names = lambda limit: [r.name for r in clip_references(shot, refs, limit)]  # noqa: E731
    assert names(4) == ["Tomas", "Mara", "harbour"]  # the shot's order, once each, no card for Olga
    assert names(2) == ["Tomas", "harbour"] and names(1) == ["harbour"] and names(0) == []
