"""Camera vocabulary parsing and scene re-planning over retrieved references."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from filmcraft.camera_vocab import parse_camera_attributes
from filmcraft.contracts import (
    MOVEMENTS, RetrievedReference, SceneBlock, SceneContinuity, SceneReferences, ShotPrompt, SoundSketch, shot_id,
)
from filmcraft.director.camera import replan_scene, scene_query

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.mark.parametrize("text,key,value", [
    ("The camera dollies in on her face", "movement", "push_in"),
    ("a slow push in toward the door", "movement", "push_in"),
    ("The camera zooms in on the clock", "movement", "push_in"),
    ("The camera moves forward along the street", "movement", "push_in"),
    ("tracking shot left past the stalls", "movement", "truck_left"),
    ("The camera pans left to reveal the harbour", "movement", "pan_left"),
    ("pedestal up from the floor", "movement", "crane_up"),
    ("a crane up over the rooftops", "movement", "crane_up"),
    ("the camera rises above the crowd", "movement", "crane_up"),
    ("The camera arcs clockwise around the dancer", "movement", "orbit"),
    ("the camera circles around the table", "movement", "orbit"),
    ("shaky handheld footage of the riot", "movement", "handheld"),
    ("The camera remains completely static without any shaking", "movement", "static"),
    ("bird's-eye view of the square", "angle", "overhead"),
    ("a top-down shot of the desk", "angle", "overhead"),
    ("a Dutch angle in the corridor", "angle", "dutch"),
    ("canted framing of the stairs", "angle", "dutch"),
    ("a low-angle shot of the tower", "angle", "low"),
    ("close-up of a hand", "shot_size", "close_up"),
    ("extreme close-up of an eye", "shot_size", "extreme_close_up"),
    ("medium close-up of the pilot", "shot_size", "medium_close_up"),
    ("an establishing shot of the city", "shot_size", "extreme_wide"),
    ("aerial wide of the coastline", "shot_size", "extreme_wide"),
    ("a wide shot of the field", "shot_size", "wide"),
    ("shot on a 35mm lens", "lens_mm", "35"),
    ("a wide-angle view", "lens_mm", "24"),
    ("telephoto compression of traffic", "lens_mm", "135"),
])
def test_parse_synonyms(text: str, key: str, value: str) -> None:
    assert parse_camera_attributes(text)[key] == value


def test_parse_lighting_and_negation() -> None:
    a = parse_camera_attributes("Backlit by a low-key neon sign, the figure is a silhouette")
    assert set(a["lighting"].split()) <= {"backlit", "low-key", "silhouette", "neon"}
    assert "low-key" in a["lighting"]
    assert "movement" not in parse_camera_attributes("a portrait of a woman")
    # "slightly unsteady" alone is a fixed camera with a little shake, not a handheld move
    assert parse_camera_attributes("The camera is fixed but slightly unsteady, with no intentional movement.")["movement"] == "static"
    assert parse_camera_attributes("The camera pans left, then handheld shaking")["movement"] == "pan_left"
    with pytest.raises(ValueError, match="caption"):
        parse_camera_attributes(None)  # type: ignore[arg-type]


def test_camerabench_camera_parts_mostly_get_a_movement() -> None:
    path = DATA / "camerabench_captions" / "merged_captions.jsonl.gz"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    sample = rows[::5]  # ~500 captions
    parsed = [parse_camera_attributes(r["input_captions"].get("Camera") or "") for r in sample]
    share = sum("movement" in p for p in parsed) / len(parsed)
    assert share >= 0.85, f"only {share:.0%} of Camera captions yield a movement"
    assert len({p.get("movement") for p in parsed}) >= 10  # the vocabulary is really used
    assert all(p["movement"] in MOVEMENTS for p in parsed if "movement" in p)


# --- re-planning ---------------------------------------------------------------------------

REFS = [
    ("c_chase1", 0.82, "Handheld camera runs behind a man sprinting down a rain-soaked alley at night, shaky."),
    ("c_chase2", 0.80, "Tracking shot right alongside two runners in a chase through a crowded market, medium shot."),
    ("c_track", 0.74, "The camera trucks right following a car through the city streets, wide shot, neon lights."),
    ("c_close", 0.70, "Close-up of a face lit by moonlight, static camera, shallow focus."),
    ("c_push", 0.72, "Slow push in on a woman at a window saying goodbye, soft window light, medium close-up."),
    ("c_est", 0.76, "Aerial wide establishing shot of a harbour at dusk, the camera cranes down slowly."),
    ("c_static", 0.69, "A static wide shot of an empty train platform, fixed tripod, overcast soft light."),
    ("c_dutch", 0.60, "Dutch angle, handheld, a man looks over his shoulder in a dark corridor."),
]


def _refs(scene: str) -> SceneReferences:
    return SceneReferences(scene_id=scene, query="q", k=len(REFS), references=[
        RetrievedReference(caption_id=c, score=s, text=t, source="test") for c, s, t in REFS])


def _block(kind: str) -> SceneBlock:
    if kind == "chase":
        shots = [("establishing", "The alley at night", ""),
                 ("primary", "The thief sprints down the alley", "sprints down the alley"),
                 ("primary", "The detective chases the thief through the market", "chases the thief through the market"),
                 ("primary", "The thief runs into a dead end", "runs into a dead end"),
                 ("metaphor", "a storm front rolling in", "storm front rolling in")]
        return SceneBlock(scene_id="s02", index=2, heading="EXT. ALLEY - NIGHT", location="alley",
                          time_of_day="night", characters=["the detective", "the thief"],
                          key_visual_elements=["alley", "market"], narrative_objective="Bring the conflict to a head: the chase",
                          mood="tense", shots=[ShotPrompt(shot_id=shot_id(2, i + 1), kind=k, prompt=p, action=a,
                                                          characters=["the thief"] if k == "primary" else [])
                                               for i, (k, p, a) in enumerate(shots)],
                          sound_sketch=SoundSketch(ambience="night alley", music_mood="tense", effects=["running footsteps"]))
    shots = [("establishing", "The station platform at dusk", "", None),
             ("primary", "The two sisters say goodbye on the platform", "say goodbye on the platform", "Goodbye."),
             ("primary", "The younger sister holds the window as the train starts", "holds the window", None),
             ("metaphor", "an empty chair by a window", "empty chair by a window", None)]
    return SceneBlock(scene_id="s02", index=2, heading="EXT. TRAIN STATION - DUSK", location="train station",
                      time_of_day="dusk", characters=["the two sisters"], key_visual_elements=["platform", "window"],
                      narrative_objective="Turn the story: the sisters part", mood="melancholic",
                      shots=[ShotPrompt(shot_id=shot_id(2, i + 1), kind=k, prompt=p, action=a, dialogue=d,
                                        characters=["the two sisters"] if k == "primary" else [])
                             for i, (k, p, a, d) in enumerate(shots)],
                      sound_sketch=SoundSketch(ambience="station", music_mood="melancholic"))


def _setups(plan):
    return [(s.camera.shot_size, s.camera.movement, s.camera.angle) for s in plan.shots]


def test_chase_and_farewell_get_different_coverage_from_the_same_references() -> None:
    chase = replan_scene(_block("chase"), _refs("s02"))
    quiet = replan_scene(_block("quiet"), _refs("s02"))
    mean = lambda p: sum(s.camera.duration_s for s in p.shots) / len(p.shots)  # noqa: E731
    handheld = lambda p: sum(s.camera.movement in ("handheld", "truck_left", "truck_right") for s in p.shots) / len(p.shots)  # noqa: E731
    assert mean(chase) < mean(quiet)
    assert all(2.0 <= s.camera.duration_s <= 3.5 for s in chase.shots)
    assert all(4.0 <= s.camera.duration_s <= 7.0 for s in quiet.shots)
    assert handheld(chase) >= 0.5 and handheld(quiet) == 0
    assert set(_setups(chase)) != set(_setups(quiet))
    assert len(set(_setups(chase))) == len(chase.shots)  # distinct set-ups
    for plan in (chase, quiet):
        ss = _setups(plan)
        assert all(a != b for a, b in zip(ss, ss[1:]))  # no identical consecutive set-ups
        assert plan.shots[0].camera.shot_size in ("extreme_wide", "wide")  # establishing first
        assert all(p.cited_references for p in plan.shots[1:])
        assert all("Objective:" in p.prompt for p in plan.shots)
    # the quiet scene tightens toward its emotional beat
    sizes = [s.camera.shot_size for s in quiet.shots]
    assert sizes.index("close_up") > sizes.index("extreme_wide") if "close_up" in sizes else True


def test_screen_direction_lens_and_grade() -> None:
    plan = replan_scene(_block("chase"), _refs("s02"))
    lateral = [s.camera.movement for s in plan.shots if s.camera.movement.endswith(("left", "right"))]
    assert len({m.rsplit("_", 1)[1] for m in lateral}) <= 1  # one screen direction
    for s in plan.shots:
        size, lens = s.camera.shot_size, s.camera.lens_mm
        if size in ("extreme_wide", "wide"):
            assert 16 <= lens <= 24
        if size in ("close_up", "extreme_close_up"):
            assert 85 <= lens <= 135
        assert s.camera.grade in ("tense_green", "night_blue")
        assert "daylight" not in s.camera.lighting
    quiet = replan_scene(_block("quiet"), _refs("s02"))
    assert {s.camera.grade for s in quiet.shots} == {"dusk_magenta"}


def test_no_references_falls_back_to_grammar_and_says_so() -> None:
    empty = SceneReferences(scene_id="s02", query="q", k=5, references=[])
    plan = replan_scene(_block("quiet"), empty)
    assert all("film grammar alone" in s.rationale for s in plan.shots)
    assert all(not s.cited_references for s in plan.shots)
    assert plan.shots[0].camera.shot_size == "extreme_wide"


def test_fields_override_parsed_text_and_transitions() -> None:
    refs = SceneReferences(scene_id="s02", query="q", k=1, references=[RetrievedReference(
        caption_id="f1", score=0.9, text="a shot", source="test",
        fields={"movement": "orbit", "shot_size": "close-up", "lens_mm": "100mm"})])
    block = _block("quiet").model_copy(update={"narrative_objective": "Resolve the story: they part"})
    plan = replan_scene(block, refs)
    assert any(s.camera.movement == "orbit" for s in plan.shots)
    assert any("f1" in s.cited_references for s in plan.shots)
    prev = block.model_copy(update={"scene_id": "s01", "time_of_day": "day"})
    again = replan_scene(block, refs, SceneContinuity.following(prev, last_scene=True))
    # the camera plans no transitions: the editor chooses them on the fine cut (test_editor_transitions.py)
    assert {s.camera.transition for s in plan.shots + again.shots} == {"cut"}
    with pytest.raises(ValueError, match="scene"):
        replan_scene(block, SceneReferences(scene_id="s09", query="q", k=0, references=[]))


def test_scene_query_names_place_time_mood_and_action() -> None:
    q = scene_query(_block("chase"))
    for word in ("alley", "night", "tense", "two people", "chases"):
        assert word in q


def test_an_energetic_action_moves_the_camera_in_a_quiet_scene() -> None:
    block = _block("quiet")
    shots = list(block.shots)
    shots[2] = shots[2].model_copy(update={"prompt": "The ice shelf collapses under the younger sister",
                                           "action": "collapses under the younger sister"})
    plan = replan_scene(block.model_copy(update={"shots": shots}), _refs("s02"))
    fall = plan.shots[2]
    assert fall.camera.movement in ("handheld", "truck_left", "truck_right")
    assert fall.camera.duration_s <= 3.5
    assert "energy (collapses)" in fall.rationale
    calm = [s for i, s in enumerate(plan.shots) if i != 2]
    assert all(s.camera.movement not in ("handheld", "truck_left", "truck_right") for s in calm)
