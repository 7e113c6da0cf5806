"""Scene overrides: applied to one scene, validated with messages that name the field and the fix."""

import json

import pytest

from filmcraft.contracts import FilmRequest
from filmcraft.director import script
from filmcraft.overrides import OverrideError, apply_overrides, load_overrides, scene_fingerprint


@pytest.fixture(scope="module")
def blocks():
    req = FilmRequest(film_id="t", text="At night in the harbour, Mara chases a thief. At dawn in the lighthouse, "
                                        "Tomas tells Mara the compass was his brother's.")
    syn = script.write_synopsis(req)
    simple = script.simplify_storyboard(syn)
    return script.structure_scene_blocks("t", syn, simple, script.detail_storyboard(syn, simple))


def test_override_changes_one_scene_only(blocks):
    out = apply_overrides(blocks, {"s02": {"time_of_day": "night", "mood": "eerie"}})
    assert out.scenes[1].time_of_day == "night" and out.scenes[1].mood == "eerie"
    assert out.scenes[0] == blocks.scenes[0]
    fp = lambda b: scene_fingerprint(b, "{}")
    assert fp(out.scenes[0]) == fp(blocks.scenes[0]) and fp(out.scenes[1]) != fp(blocks.scenes[1])


def test_replaced_shots_get_stable_ids(blocks):
    shots = [{"shot_id": "whatever", "kind": "primary", "prompt": "Mara alone on the pier", "characters": ["Mara"]}]
    out = apply_overrides(blocks, {"s01": {"shots": shots}})
    assert [s.shot_id for s in out.scenes[0].shots] == ["s01_sh01"]


@pytest.mark.parametrize("override, message", [
    ({"s99": {"mood": "x"}}, "s99"),
    ({"s01": {"scene_id": "s05"}}, "cannot override scene_id"),
    ({"s01": {"time_of_day": "teatime"}}, "s01.time_of_day"),
    ({"s01": {"shots": []}}, "at least one shot"),
])
def test_bad_overrides_are_explained(blocks, override, message):
    with pytest.raises(OverrideError, match=message):
        apply_overrides(blocks, override)


def test_override_file_must_be_json_object(tmp_path):
    path = tmp_path / "scene_overrides.json"
    assert load_overrides(path) == {}
    path.write_text("[1, 2]")
    with pytest.raises(OverrideError, match="must be an object"):
        load_overrides(path)
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(OverrideError, match="not valid UTF-8 JSON"):
        load_overrides(path)
    path.write_text(json.dumps({"s01": {"mood": "calm"}}))
    assert load_overrides(path) == {"s01": {"mood": "calm"}}


def test_budgets_are_not_scene_inputs(blocks):
    block = blocks.scenes[0]
    base = FilmRequest(film_id="f", text="A night at sea.")
    raised = base.model_copy(update={"llm_token_budget": 5000, "video_seconds_budget": 90.0})
    moved = base.model_copy(update={"seed": 7})
    assert scene_fingerprint(block, base.model_dump_json()) == scene_fingerprint(block, raised.model_dump_json())
    assert scene_fingerprint(block, base.model_dump_json()) != scene_fingerprint(block, moved.model_dump_json())
