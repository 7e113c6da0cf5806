"""Stage dispatch: the LLM role and the offline director return the same contract."""

import json

import pytest

from filmcraft import stages
from resources.openai_backends import OpenAIChatModel
from tests.openai_server import OpenAIServer, chat_reply


def test_audience_profile_builtin_offline_and_any_name_with_llm():
    assert stages.audience_profile("arthouse", None).name == "arthouse"
    with pytest.raises(ValueError, match="arthouse"):  # the error lists the known names
        stages.audience_profile("retired western fans", None)
    answer = {"name": "x", "description": "Retirees who grew up on westerns.", "shot_length_s": [4.0, 8.0],
              "runtime_s": [60.0, 180.0], "dialogue_density": 0.4, "music_intensity": 0.5, "slow_open_tolerance": 0.9}
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(json.dumps(answer)))
        profile = stages.audience_profile("retired western fans", OpenAIChatModel(server.base_url, "m"))
        sent = json.loads(server.requests[0][2])
    assert profile.name == "retired western fans" and profile.shot_length_s == (4.0, 8.0)
    assert json.loads(sent["messages"][1]["content"]) == {"audience": "retired western fans"}


def test_llm_scene_blocks_get_our_ids_and_bounds():
    from filmcraft.contracts import FilmRequest
    from filmcraft.director import script

    req = FilmRequest(film_id="t", text="At night in the harbour, Mara chases a thief. At dawn in the lighthouse, "
                                        "Tomas tells Mara the compass was his brother's. At noon the town square fills.")
    syn = script.write_synopsis(req)
    simple = script.simplify_storyboard(syn)
    detailed = script.detail_storyboard(syn, simple)
    blocks = script.structure_scene_blocks("t", syn, simple, detailed)
    # a model that numbers scenes its own way
    scrambled = blocks.model_copy(update={"film_id": "other", "scenes": [
        b.model_copy(update={"scene_id": f"scene-{i}", "shots": [s.model_copy(update={"shot_id": "x"}) for s in b.shots]})
        for i, b in enumerate(blocks.scenes)]})
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(scrambled.model_dump_json()))
        out = stages.scene_blocks("t", syn, simple, detailed, OpenAIChatModel(server.base_url, "m"), max_scenes=2, max_shots=1)
    assert out.film_id == "t" and [b.scene_id for b in out.scenes] == ["s01", "s02"]
    assert [s.shot_id for b in out.scenes for s in b.shots] == ["s01_sh01", "s02_sh01"]


def test_cinematographer_refines_a_plan_with_grammar_problems():
    """Multi-turn: a plan that repeats a set-up back to back goes back once with the problem named."""
    from filmcraft.contracts import RetrievedReference, SceneReferences
    from filmcraft.director import camera, script
    from filmcraft.contracts import FilmRequest

    req = FilmRequest(film_id="t", text="At night in the harbour, Mara chases a thief along the wet docks and loses him.")
    syn = script.write_synopsis(req)
    simple = script.simplify_storyboard(syn)
    block = script.structure_scene_blocks("t", syn, simple, script.detail_storyboard(syn, simple)).scenes[0]
    refs = SceneReferences(scene_id=block.scene_id, query="q", k=1, references=[
        RetrievedReference(caption_id="fm-1", score=0.9, text="a handheld chase at night", source="starter")])
    good = camera.replan_scene(block, refs)
    assert len(good.shots) >= 2 and not stages.grammar_problems(good, block)
    bad = good.model_copy(update={"shots": [good.shots[0]] + [
        s.model_copy(update={"camera": good.shots[0].camera}) for s in good.shots[1:]]})
    problems = stages.grammar_problems(bad, block)
    assert any("repeat the same set-up" in p for p in problems)
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(bad.model_dump_json()), chat_reply(good.model_dump_json()))
        plan = stages.replan_scene(block, refs, OpenAIChatModel(server.base_url, "m"))
        second = json.loads(server.requests[1][2])
    assert plan == good and len(server.requests) == 2
    assert json.loads(second["messages"][1]["content"])["problems"] == problems
