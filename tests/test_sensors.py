"""The request drop folder becomes partitions and runs; bad requests are set aside with a reason."""

import json

import dagster as dg

from filmaster_assets.sensors import film_request_sensor
from resources.models import StudioResource


def test_request_sensor_adds_partition_and_run(tmp_path):
    studio = StudioResource(root=str(tmp_path))
    drops = tmp_path / ".requests"
    drops.mkdir()
    (drops / "good.json").write_text(json.dumps({"film_id": "harbour", "text": "A storm over the harbour."}))
    (drops / "bad_id.json").write_text(json.dumps({"film_id": "../escape", "text": "x"}))
    (drops / "latin1.json").write_bytes('{"film_id": "cafe", "text": "Caf\xe9"}'.encode("latin-1"))
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"studio": studio})
        result = film_request_sensor(ctx)
    assert [r.partition_key for r in result.run_requests] == ["harbour"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["harbour"]
    assert json.loads((tmp_path / "harbour" / "request.json").read_text())["text"] == "A storm over the harbour."
    assert (drops / "accepted" / "good.json").exists()
    assert "film id" in (drops / "rejected" / "bad_id.json.error.txt").read_text()
    assert (drops / "rejected" / "latin1.json.error.txt").exists()
    assert not (tmp_path / "escape").exists() and not (tmp_path.parent / "escape").exists()
    assert list(drops.glob("*.json")) == []


def test_request_files_get_the_environment_budgets_they_leave_out(tmp_path, monkeypatch):
    monkeypatch.setenv("FILMASTER_LLM_TOKEN_BUDGET", "5000")
    monkeypatch.setenv("FILMASTER_VIDEO_SECONDS_BUDGET", "90")
    drops = tmp_path / ".requests"
    drops.mkdir()
    (drops / "plain.json").write_text(json.dumps({"film_id": "plain", "text": "A storm over the harbour."}))
    (drops / "own.json").write_text(json.dumps({"film_id": "own", "text": "A storm.", "video_seconds_budget": 12}))
    with dg.instance_for_test() as instance:
        film_request_sensor(dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(tmp_path))}))
    budgets = {f: {k: v for k, v in json.loads((tmp_path / f / "request.json").read_text()).items() if k.endswith("_budget")}
               for f in ("plain", "own")}
    assert budgets == {"plain": {"llm_token_budget": 5000, "video_seconds_budget": 90.0},
                       "own": {"llm_token_budget": 5000, "video_seconds_budget": 12.0}}

    monkeypatch.setenv("FILMASTER_LLM_TOKEN_BUDGET", "lots")  # a bad setting names itself, the tick goes on
    (drops / "late.json").write_text(json.dumps({"film_id": "late", "text": "A storm."}))
    with dg.instance_for_test() as instance:
        result = film_request_sensor(dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(tmp_path))}))
    assert result.run_requests == []
    assert "FILMASTER_LLM_TOKEN_BUDGET='lots' is not a number" in (drops / "rejected" / "late.json.error.txt").read_text()


def _defs():
    from filmaster_assets.definitions import defs

    return defs


def _film_with_scenes(tmp_path, film_id: str, n: int):
    from filmcraft.contracts import SceneBlock, SceneBlocks, ShotPrompt, SoundSketch, scene_id, shot_id
    from filmcraft.layout import FilmLayout
    from filmcraft.store import write_model

    files = FilmLayout(tmp_path / film_id)
    blocks = SceneBlocks(film_id=film_id, title="t", scenes=[
        SceneBlock(scene_id=scene_id(i), index=i, heading="EXT. HARBOUR - DAY", location="harbour", time_of_day="day",
                   characters=[], key_visual_elements=[], narrative_objective="x", mood="calm",
                   shots=[ShotPrompt(shot_id=shot_id(i, 1), kind="primary", prompt="the sea")],
                   sound_sketch=SoundSketch(ambience="sea", music_mood="calm")) for i in range(1, n + 1)])
    write_model(files.scene_blocks, blocks)
    return files


def test_scene_fanout_requests_only_the_slots_the_film_uses(tmp_path):
    from filmaster_assets.sensors import scene_fanout_sensor

    _film_with_scenes(tmp_path, "f1", 3)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", ["f1"])
        instance.report_runless_asset_event(dg.AssetMaterialization("scene_blocks", partition="f1"))
        ctx = dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(tmp_path))},
                                      definitions=_defs())
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            requests = scene_fanout_sensor.evaluate_tick(ctx).run_requests
    keys = [r.partition_key for r in requests]
    assert [k.keys_by_dimension for k in keys] == [{"film": "f1", "scene": s} for s in ("s01", "s02", "s03")]
    assert len({r.run_key for r in requests}) == 3


def test_post_production_waits_for_every_scene(tmp_path):
    from filmaster_assets.sensors import post_production_sensor
    from filmcraft.store import write_text

    files = _film_with_scenes(tmp_path, "f2", 2)
    resources = {"studio": StudioResource(root=str(tmp_path))}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", ["f2"])
        write_text(files.scene_clips("s01"), "{}")
        instance.report_runless_asset_event(dg.AssetMaterialization("clips", partition="f2|s01"))
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            first = post_production_sensor.evaluate_tick(dg.build_sensor_context(instance=instance, resources=resources, definitions=_defs())).run_requests
        assert first == []
        write_text(files.scene_clips("s02"), "{}")
        instance.report_runless_asset_event(dg.AssetMaterialization("clips", partition="f2|s02"))
        with dg.partition_loading_context(dynamic_partitions_store=instance):
            requests = post_production_sensor.evaluate_tick(
                dg.build_sensor_context(instance=instance, resources=resources, definitions=_defs())).run_requests
    assert [r.partition_key for r in requests] == ["f2"]
