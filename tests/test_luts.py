"""The shipped grade LUTs: valid .cube files, measured from the looks' filter chains, and close to them on a real frame."""

from __future__ import annotations

import shutil
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from filmcraft.grades import GRADES
from filmcraft.luts import (LUT_DIR, LUT_SIZE, apply_lut_image, copy_luts, cube_text, identity_lattice, lut3d_filter,
                            lut_path, measure_look, read_cube)
from filmcraft.media import run_ffmpeg

ROOT = Path(__file__).resolve().parents[1]
# real previs frames (the README's demo contact sheet): skin, sky, night, plates and black borders
FRAME = ROOT / "docs" / "demo_contact_sheet.png"


def test_every_look_ships_a_valid_33_point_cube() -> None:
    assert sorted(p.stem for p in LUT_DIR.glob("*.cube")) == sorted(GRADES)
    for name in GRADES:
        text = lut_path(name).read_text().splitlines()
        assert text[0] == f'TITLE "{name}"'
        assert f"LUT_3D_SIZE {LUT_SIZE}" in text and "DOMAIN_MIN 0.0 0.0 0.0" in text and "DOMAIN_MAX 1.0 1.0 1.0" in text
        cube = read_cube(lut_path(name))
        assert cube.size == 33 and cube.table.shape == (33 ** 3, 3)
        assert cube.table.min() >= 0 and cube.table.max() <= 1
    # red fastest: the second row moves red only (identity: the neutral look has no filter at all)
    neutral = read_cube(lut_path("neutral")).table
    assert np.allclose(neutral, identity_lattice(), atol=1e-5)
    assert np.allclose(neutral[1], [1 / 32, 0, 0], atol=1e-5) and np.allclose(neutral[33], [0, 1 / 32, 0], atol=1e-5)
    # a look is not the identity: night_blue lifts blue in the shadows, noir has no chroma
    night = read_cube(lut_path("night_blue")).table
    assert night[0][2] > night[0][0] + 0.02
    noir = read_cube(lut_path("noir")).table
    assert np.abs(noir[:, 0] - noir[:, 1]).max() < 0.01 and np.abs(noir[:, 1] - noir[:, 2]).max() < 0.01


def test_shipped_lut_is_what_the_generator_measures() -> None:
    shipped = read_cube(lut_path("night_blue"))
    fresh = measure_look("night_blue")
    # same ffmpeg: the same text; another ffmpeg build may round its last 16-bit step differently
    assert np.abs(fresh - shipped.table).max() < 5e-5
    assert cube_text("night_blue", fresh, LUT_SIZE).splitlines()[:5] == lut_path("night_blue").read_text().splitlines()[:5]


def _graded(src: Path, vf: str, out: Path) -> np.ndarray:
    # both paths see yuv420p first, as a clip does: the previs burned the chain into yuv420p video
    run_ffmpeg(["-i", str(src), "-vf", f"format=yuv420p,{vf},format=rgb24", "-frames:v", "1", str(out)], "grading")
    return np.asarray(Image.open(out).convert("RGB"), dtype=np.float64)


@pytest.mark.parametrize("name", ["night_blue", "noir", "warm_gold"])
def test_lut_matches_its_filter_chain_on_a_real_frame(tmp_path: Path, name: str, record_property) -> None:
    chain = _graded(FRAME, GRADES[name], tmp_path / "chain.png")
    lut = _graded(FRAME, lut3d_filter(lut_path(name)), tmp_path / "lut.png")
    plain = _graded(FRAME, "null", tmp_path / "plain.png")
    err = np.abs(chain - lut)
    mean, p99 = err.mean(), np.percentile(err, 99)
    record_property(f"{name}_mean_abs_8bit", round(float(mean), 2))  # execnet carries plain floats only
    print(f"{name}: LUT vs filter chain mean |diff| {mean:.2f} / 255, p99 {p99:.0f}, max {err.max():.0f}")
    # measured (33 points, tetrahedral): mean 0.57-0.86, p99 2-3 levels; the look itself moves pixels far more
    assert mean < 1.2 and p99 <= 4
    assert np.abs(chain - plain).mean() > 8 * mean


def test_lut_path_with_filter_graph_specials(tmp_path: Path) -> None:
    # a film folder may be called anything: ':' ',' quotes and brackets must reach lut3d intact
    odd = tmp_path / "it's [a], film; 1:2"
    odd.mkdir()
    shutil.copyfile(lut_path("night_blue"), odd / "night_blue.cube")
    src = tmp_path / "src.png"
    Image.fromarray(np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (32, 1))[..., None].repeat(3, 2)).save(src)
    a = np.asarray(Image.open(apply_lut_image(src, odd / "night_blue.cube", tmp_path / "a.png")))
    b = np.asarray(Image.open(apply_lut_image(src, lut_path("night_blue"), tmp_path / "b.png")))
    assert np.array_equal(a, b) and a[..., 2].mean() > a[..., 0].mean() + 5


def test_copies_for_the_film_folder(tmp_path: Path) -> None:
    copies = copy_luts({"night", "Golden Hour", "night_blue"}, tmp_path / "luts")
    assert sorted(copies) == ["night_blue", "warm_gold"]
    assert copies["night_blue"].read_bytes() == lut_path("night_blue").read_bytes()


def test_a_broken_cube_names_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cube"
    bad.write_text("LUT_3D_SIZE 33\n0 0 0\n")
    with pytest.raises(ValueError, match="needs 35937 rows, found 1: regenerate"):
        read_cube(bad)


def test_non_editable_install_ships_the_luts() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["filmcraft"]
    files = [p.relative_to(ROOT / "filmcraft").as_posix() for p in LUT_DIR.glob("*.cube")]
    assert files and all(any(fnmatch(f, pat) for pat in data) for f in files)


def test_one_grade_per_scene_with_its_reason() -> None:
    from filmcraft.grades import scene_grade

    agreed = scene_grade("night", "calm", ["night_blue", "Night", "moonlight"])
    assert agreed.grade == "night_blue" and "every shot plan (3)" in agreed.reason
    # a stray shot does not flicker the scene: the majority holds and the reason names what was dropped
    mixed = scene_grade("day", "calm", ["warm_gold", "warm_gold", "noir"])
    assert mixed.grade == "warm_gold" and "2 of 3" in mixed.reason and "noir x1" in mixed.reason
    assert "day, calm alone would be neutral" in mixed.reason
    # a tie goes to what the time of day and mood call for, else to the earliest shot
    assert scene_grade("dusk", "calm", ["noir", "dusk_magenta"]).grade == "dusk_magenta"
    assert scene_grade("day", "calm", ["noir", "sepia"]).grade == "noir"
    assert scene_grade("night", "eerie", []).grade == "tense_green"


def test_grade_strip_shows_each_scene_ungraded_beside_graded(tmp_path: Path) -> None:
    from filmcraft.contracts import EditDecision
    from filmcraft.luts import grade_strip

    clip = tmp_path / "grey.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=gray:s=160x90:r=12:d=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                str(clip)], "making a grey clip")
    base = dict(clip_path=str(clip), decision="retain", source_in=0.0, source_out=1.0)
    decisions = [EditDecision(shot_id="s01_sh01", scene_id="s01", record_in=0.0, grade="night_blue",
                              lut_path=str(lut_path("night_blue")), **base),
                 EditDecision(shot_id="s01_sh02", scene_id="s01", record_in=1.0, grade="night_blue",
                              lut_path=str(lut_path("night_blue")), **base),
                 EditDecision(shot_id="s02_sh01", scene_id="s02", record_in=2.0, **base)]
    sheet = np.asarray(Image.open(grade_strip(decisions, tmp_path / "grades.png")).convert("RGB"), float)
    rows = 2  # one per scene, the first shot of each
    assert sheet.shape[0] > rows * 180 and sheet.shape[1] > 2 * 320
    tile = lambda r, c: sheet[4 + r * (sheet.shape[0] // rows) + 40, 4 + c * 324 + 160]  # noqa: E731
    assert tile(0, 1)[2] - tile(0, 1)[0] > 10 and abs(tile(0, 0)[2] - tile(0, 0)[0]) < 3  # s01: graded beside grey
    assert np.abs(tile(1, 0) - tile(1, 1)).max() < 2  # s02 is neutral: both tiles alike


def test_decisions_take_their_scenes_look_and_the_film_folder_lut(tmp_path: Path) -> None:
    from filmcraft.assembly import graded
    from filmcraft.contracts import EditDecision
    from filmcraft.grades import SceneGrade

    base = dict(clip_path="x.mp4", decision="retain", source_in=0.0, source_out=1.0, record_in=0.0)
    ds = [EditDecision(shot_id="s01_sh01", scene_id="s01", **base), EditDecision(shot_id="s02_sh01", scene_id="s02", **base)]
    out = graded(ds, {"s01": SceneGrade("night_blue", "night"), "s02": SceneGrade("neutral", "day")}, tmp_path / "luts")
    assert (out[0].grade, out[0].lut_path) == ("night_blue", str(tmp_path / "luts" / "night_blue.cube"))
    assert (out[1].grade, out[1].lut_path) == ("neutral", None)  # a neutral scene is not run through a LUT
    assert sorted(p.name for p in (tmp_path / "luts").iterdir()) == ["night_blue.cube"]
    with pytest.raises(ValueError, match="no grade for scene"):
        graded(ds, {"s01": SceneGrade("noir", "x")}, tmp_path / "luts")
