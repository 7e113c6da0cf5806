"""Scene overrides: applied to one scene, validated with messages that name the field and the fix."""

import json

import pytest

from filmcraft.contracts import FilmRequest
from filmcraft.director import script
from filmaster_assets.metadata import contract_version
from filmcraft.contracts import BUDGET_FIELDS
from filmcraft.overrides import OverrideError, apply_overrides, load_overrides, scene_to_shoot, scenes_to_shoot


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
    assert out.scenes[1].heading.endswith(" - NIGHT")  # the slug line follows the edit
    assert out.scenes[0] == blocks.scenes[0]
    # what the last scene is shot from (its block and continuity) changes; the first scene's does not
    before = scenes_to_shoot(blocks, {})
    after = scenes_to_shoot(blocks, {"s02": {"time_of_day": "night", "mood": "eerie"}})
    assert contract_version(after[0]) == contract_version(before[0])
    assert contract_version(after[1]) != contract_version(before[1])


def test_continuity_carries_the_scene_before_and_the_end(blocks):
    first, second = scenes_to_shoot(blocks, {})[:2]
    assert first.continuity.previous_location is None and not first.continuity.last_scene
    assert second.continuity.previous_location == blocks.scenes[0].location
    assert second.continuity.previous_time_of_day == blocks.scenes[0].time_of_day
    assert scenes_to_shoot(blocks, {})[-1].continuity.last_scene
    # a scene's data version follows the place and time of the scene before it, not its other fields
    moved = scenes_to_shoot(blocks, {"s01": {"mood": "eerie"}})[1]
    assert contract_version(moved) == contract_version(second)
    with pytest.raises(OverrideError, match="slot s09 is unused"):
        scene_to_shoot(blocks, {}, "s09")


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


def test_budgets_are_not_what_a_film_is_made_from():
    base = FilmRequest(film_id="f", text="A night at sea.")
    raised = base.model_copy(update={"llm_token_budget": 5000, "video_seconds_budget": 90.0})
    moved = base.model_copy(update={"seed": 7})
    version = lambda r: contract_version(r, exclude=set(BUDGET_FIELDS))  # noqa: E731 (as film_request versions)
    assert version(base) == version(raised)
    assert version(base) != version(moved)


def test_an_edit_of_place_or_time_restates_the_heading():
    from filmcraft.overrides import restated_heading

    assert restated_heading("EXT. HARBOUR - DAWN", None, "night") == "EXT. HARBOUR - NIGHT"
    assert restated_heading("INT. KITCHEN - DAY", "attic", None) == "INT. ATTIC - DAY"
    assert restated_heading("EXT. HARBOUR - DAWN", None, "golden_hour") == "EXT. HARBOUR - SUNSET"
