"""Kling's prompt builder on the shot plans of a real film (the demo theme, planned offline) and on the
whole camera vocabulary: the camera language reaches the prompt in words Kling understands, which our
own caption parser (``filmcraft.camera_vocab``) reads back as the same size, movement and angle."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from filmcraft.camera_vocab import parse_camera_attributes
from filmcraft.contracts import ANGLES, MOVEMENTS, SHOT_SIZES, CameraSpec, FilmRequest, SceneReferences, ShotPlan
from filmcraft.kling_prompt import TIME, WEATHER, kling_prompt

THEME = Path(__file__).resolve().parents[1] / "filmaster_assets" / "demo_theme.txt"


@pytest.fixture(scope="module")
def demo_plans() -> list[ShotPlan]:
    from filmcraft.director import camera, script

    req = FilmRequest(film_id="demo", text=THEME.read_text(encoding="utf-8"))
    syn = script.write_synopsis(req)
    simple = script.simplify_storyboard(syn)
    blocks = script.structure_scene_blocks("demo", syn, simple, script.detail_storyboard(syn, simple))
    return [s for b in blocks.scenes
            for s in camera.replan_scene(b, SceneReferences(scene_id=b.scene_id, query="", k=0, references=[])).shots]


def test_every_shot_of_the_demo_film_carries_its_camera_language(demo_plans):
    assert len(demo_plans) >= 8 and len({p.camera.movement for p in demo_plans}) >= 3
    for plan in demo_plans:
        kp = kling_prompt(plan)
        cam = plan.camera
        said = parse_camera_attributes(kp.camera)
        assert (said.get("shot_size"), said.get("movement"), said.get("angle")) == \
            (cam.shot_size, cam.movement, cam.angle), (plan.shot_id, kp.camera)
        assert kp.prompt.startswith(kp.camera) and f"{cam.lens_mm:g}mm" in kp.prompt
        assert cam.lighting in kp.prompt and plan.mood in kp.prompt and TIME[plan.time_of_day] in kp.prompt
        assert WEATHER[plan.weather] in kp.prompt
        assert all(c in kp.prompt for c in plan.characters) and (plan.action or "") in kp.prompt
        assert len(kp.prompt) <= 2500 and "watermark" in kp.negative


def test_the_whole_camera_vocabulary_reads_back():
    wrong = []
    for size, movement, angle in itertools.product(SHOT_SIZES, MOVEMENTS, ANGLES):
        plan = ShotPlan(shot_id="s01_sh01", scene_id="s01", index=1, prompt="p", location="a quay",
                        time_of_day="dusk", mood="calm",
                        camera=CameraSpec(shot_size=size, movement=movement, angle=angle, lens_mm=50,
                                          lighting="soft", grade="neutral", duration_s=4))
        said = parse_camera_attributes(kling_prompt(plan).camera)
        if (said.get("shot_size"), said.get("movement"), said.get("angle")) != (size, movement, angle):
            wrong.append((size, movement, angle, said))
    assert not wrong


def test_negative_prompt_follows_the_shot():
    base = dict(shot_id="s01_sh01", scene_id="s01", index=1, prompt="p", location="a quay", mood="calm")
    cam = dict(shot_size="wide", angle="eye_level", lens_mm=24, lighting="moonlight", grade="night_blue", duration_s=4)
    still = kling_prompt(ShotPlan(**base, time_of_day="night", weather="fog",
                                  camera=CameraSpec(movement="static", **cam)))
    moving = kling_prompt(ShotPlan(**base, time_of_day="day", camera=CameraSpec(movement="orbit", **cam)))
    assert "camera shake" in still.negative and "daylight" in still.negative and "rain" not in still.negative
    assert "camera shake" not in moving.negative and "night" in moving.negative and "rain" in moving.negative
