"""The request drop folder becomes partitions and runs; bad requests are set aside with a reason."""

import json

import dagster as dg

from filmaster_assets.defs.script.sensors import film_request_sensor
from resources.studio import StudioResource


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
    # the request rides to film_request as launch config: the asset writes request.json, not the sensor
    assert result.run_requests[0].run_config["ops"]["film_request"]["config"]["text"] == "A storm over the harbour."
    assert not (tmp_path / "harbour" / "request.json").exists()
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
        result = film_request_sensor(dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(tmp_path))}))
    configs = {r.partition_key: r.run_config["ops"]["film_request"]["config"] for r in result.run_requests}
    budgets = {f: {k: v for k, v in configs[f].items() if k.endswith("_budget")} for f in ("plain", "own")}
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


def _report(instance, asset: str, partition=None, data_version: str | None = None):
    tags = {"dagster/data_version": data_version} if data_version else None
    instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition, tags=tags))


def _shoot(instance, files, scenes):
    """Record the camera chain of ``scenes`` as made (in lineage order), as a camera run would."""
    from filmaster_assets.metadata import contract_version
    from filmaster_assets.orchestration import planned_scenes

    film = files.root.name
    for scene in planned_scenes(files):
        if scene.block.scene_id in scenes:
            key = f"{film}|{scene.block.scene_id}"
            _report(instance, "scene_block", key, contract_version(scene).value)
            for asset in ("scene_references", "shot_plans", "clips"):
                _report(instance, asset, key)


def _film_made(instance, files):
    film = files.root.name
    instance.add_dynamic_partitions("filmaster_films", [film])
    _report(instance, "clip_caption_index")
    for asset in ("film_request", "synopsis", "audience_profile", "scene_blocks"):
        _report(instance, asset, film)
    _report(instance, "reference_images", film, "same-images")
    _report(instance, "audio_library_index")


def _tick(sensor, instance, tmp_path):
    ctx = dg.build_sensor_context(instance=instance, resources={"studio": StudioResource(root=str(tmp_path))},
                                  definitions=_defs())
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        return list(sensor.evaluate_tick(ctx).run_requests)


def test_scene_fanout_requests_only_the_scenes_that_changed(tmp_path):
    from filmaster_assets.defs.camera.sensors import scene_fanout_sensor

    files = _film_with_scenes(tmp_path, "f1", 3)
    with dg.instance_for_test() as instance:
        _film_made(instance, files)
        requests = _tick(scene_fanout_sensor, instance, tmp_path)
        keys = [r.partition_key.keys_by_dimension for r in requests]
        assert keys == [{"film": "f1", "scene": s} for s in ("s01", "s02", "s03")]  # never the unused slots
        assert {r.job_name for r in requests} == {"camera_job"} and len({r.run_key for r in requests}) == 3

        _shoot(instance, files, {"s01", "s02", "s03"})
        (files.root / "scene_overrides.json").write_text(json.dumps({"s02": {"mood": "eerie"}}))
        _report(instance, "scene_blocks", "f1")  # the script ran again, same blocks; s02 was edited
        _report(instance, "reference_images", "f1", "same-images")  # the script's last step: the fan-out follows
        # runless reports carry no provenance, so Dagster compares times: clips count as made from the
        # film's reference images when reported after them (a real run records their unchanged version)
        _shoot(instance, files, {"s01", "s03"})
        requests = _tick(scene_fanout_sensor, instance, tmp_path)
        assert [r.partition_key.keys_by_dimension["scene"] for r in requests] == ["s02"]

        (files.root / "scene_overrides.json").write_text('{"s02": {"time_of_day": "teatime"}}')
        assert _tick(scene_fanout_sensor, instance, tmp_path) == []  # a bad override waits for its fix
        (files.root / "scene_overrides.json").write_text(json.dumps({"s02": {"mood": "eerie"}}))

        _report(instance, "scene_blocks", "f1")  # nothing changed: straight to post-production
        _report(instance, "reference_images", "f1", "same-images")
        _shoot(instance, files, {"s01", "s02", "s03"})  # s02 shot as edited; the others as before (see above)
        requests = _tick(scene_fanout_sensor, instance, tmp_path)
        assert [(r.job_name, r.partition_key) for r in requests] == [("post_production_job", "f1")]


def test_post_production_waits_for_every_scene(tmp_path):
    from filmaster_assets.defs.cut.sensors import post_production_sensor

    files = _film_with_scenes(tmp_path, "f2", 2)
    with dg.instance_for_test() as instance:
        _film_made(instance, files)
        _shoot(instance, files, {"s01"})
        assert _tick(post_production_sensor, instance, tmp_path) == []
        _shoot(instance, files, {"s02"})
        requests = _tick(post_production_sensor, instance, tmp_path)
        assert [r.partition_key for r in requests] == ["f2"]
        # a post-production run of the film already under way: no second one
        from dagster._core.storage.dagster_run import DagsterRun

        instance.add_run(DagsterRun(job_name="post_production_job", run_id="0" * 36,
                                    status=dg.DagsterRunStatus.STARTED, tags={"dagster/partition": "f2"}))
        assert _tick(post_production_sensor, instance, tmp_path) == []


def test_an_edited_scene_block_goes_on_to_its_camera_chain(tmp_path):
    from filmaster_assets.defs.camera.sensors import scene_edit_sensor

    files = _film_with_scenes(tmp_path, "f3", 2)
    with dg.instance_for_test() as instance:
        _film_made(instance, files)
        _shoot(instance, files, {"s01", "s02"})
        assert _tick(scene_edit_sensor, instance, tmp_path) == []  # shot as it is: nothing to do
        _report(instance, "scene_block", "f3|s02", "edited")  # materialized alone, e.g. from the UI
        requests = _tick(scene_edit_sensor, instance, tmp_path)
    assert [(r.partition_key.keys_by_dimension["scene"], sorted(k.to_user_string() for k in r.asset_selection))
            for r in requests] == [("s02", ["clips", "scene_references", "shot_plans"])]


def test_a_reshoot_is_left_to_the_cli(tmp_path):
    """`filmaster reshoot` runs its own post-production (no audience review, no edit analysis): the
    sensor must not start the full one on the reshoot's clips."""
    from dagster._core.events import DagsterEvent, StepMaterializationData
    from dagster._core.storage.dagster_run import DagsterRun

    from filmaster_assets.defs.cut.sensors import post_production_sensor
    from filmaster_assets.orchestration import RESHOOT_TAG

    files = _film_with_scenes(tmp_path, "f4", 1)
    with dg.instance_for_test() as instance:
        _film_made(instance, files)
        _shoot(instance, files, {"s01"})
        assert [r.partition_key for r in _tick(post_production_sensor, instance, tmp_path)] == ["f4"]
        run_id = "1" * 36
        instance.add_run(DagsterRun(job_name="camera_job", run_id=run_id, status=dg.DagsterRunStatus.SUCCESS,
                                    tags={RESHOOT_TAG: "s01_sh01"}))
        instance.report_dagster_event(run_id=run_id, dagster_event=DagsterEvent(
            event_type_value="ASSET_MATERIALIZATION", job_name="camera_job",
            event_specific_data=StepMaterializationData(dg.AssetMaterialization("clips", partition="f4|s01"))))
        assert _tick(post_production_sensor, instance, tmp_path) == []
