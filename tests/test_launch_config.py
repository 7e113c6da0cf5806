"""What the Dagster launchpad can start, each checked by the same code as the CLI: a scene edited and
shot again, a corpus source registered and ingested, a FilmEval benchmark dropped as film requests."""

import json

import dagster as dg
import pytest

from filmaster_assets.definitions import ASSET_MODULES
from resources import build_resources
from resources.film_store import FilmStoreIOManager
from resources.studio import StudioResource


def _materialize(tmp_path, selection, partition=None, config=None, partitions=()):
    assets = dg.load_assets_from_modules(ASSET_MODULES)
    resources = {**build_resources(), "studio": StudioResource(root=str(tmp_path)),
                 "io_manager": FilmStoreIOManager(root=str(tmp_path))}
    with dg.instance_for_test() as instance:
        for name, keys in partitions:
            instance.add_dynamic_partitions(name, keys)
        result = dg.materialize(assets, selection=selection, partition_key=partition, instance=instance,
                                resources=resources, run_config={"ops": config or {}}, raise_on_error=False)
        failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
    return result.success, "\n".join(failures)


def test_a_scene_is_edited_from_its_config(tmp_path):
    from tests.test_sensors import _film_with_scenes

    files = _film_with_scenes(tmp_path, "f1", 3)
    parts = [("filmaster_films", ["f1"])]
    ok, _ = _materialize(tmp_path, ["scene_block"], dg.MultiPartitionKey({"film": "f1", "scene": "s02"}),
                         {"scene_block": {"config": {"override": '{"time_of_day": "night", "mood": "eerie"}'}}}, parts)
    assert ok
    assert json.loads(files.scene_overrides.read_text()) == {"s02": {"time_of_day": "night", "mood": "eerie"}}
    block = json.loads(files.scene_block("s02").read_text())["block"]
    assert (block["time_of_day"], block["mood"]) == ("night", "eerie")

    before = files.scene_overrides.read_text()
    ok, error = _materialize(tmp_path, ["scene_block"], dg.MultiPartitionKey({"film": "f1", "scene": "s01"}),
                             {"scene_block": {"config": {"override": '{"time_of_day": "teatime"}'}}}, parts)
    assert not ok and "s01.time_of_day" in error
    ok, error = _materialize(tmp_path, ["scene_block"], dg.MultiPartitionKey({"film": "f1", "scene": "s01"}),
                             {"scene_block": {"config": {"override": "{time_of_day: night"}}}, parts)
    assert not ok and "override: not JSON" in error
    assert files.scene_overrides.read_text() == before  # a refused edit writes nothing

    ok, _ = _materialize(tmp_path, ["scene_block"], dg.MultiPartitionKey({"film": "f1", "scene": "s02"}),
                         {"scene_block": {"config": {"clear": True}}}, parts)
    assert ok and json.loads(files.scene_overrides.read_text()) == {}


def test_a_corpus_source_is_registered_from_its_config(tmp_path):
    rows = tmp_path / "clips.jsonl"
    rows.write_text("\n".join(json.dumps({"clip": f"c{i}", "caption": f"a slow push-in on face number {i}"})
                              for i in range(5)) + "\n")
    parts = [("filmaster_corpus_sources", ["captions:mine"])]
    ok, error = _materialize(tmp_path / "studio", ["corpus_source"], "captions:mine",
                             {"corpus_source": {"config": {"path": str(tmp_path / "missing.jsonl")}}}, parts)
    assert not ok and "missing.jsonl: no such file or folder" in error
    ok, error = _materialize(tmp_path / "studio", ["corpus_source"], "captions:mine", {}, parts)
    assert not ok and "is not registered" in error and "give its `path`" in error
    ok, error = _materialize(tmp_path / "studio", ["corpus_source"], "captions:mine",
                             {"corpus_source": {"config": {"path": str(rows), "text_field": "caption",
                                                           "id_field": "clip"}}}, parts)
    assert ok, error
    report = json.loads((tmp_path / "studio" / ".library" / "sources" / "captions" / "mine" / "ingest.json").read_text())
    assert report["rows"] == 5 and report["quarantined"] == 0


def test_a_benchmark_is_dropped_as_film_requests(tmp_path):
    from filmaster_assets.defs.script.sensors import film_request_sensor

    ok, error = _materialize(tmp_path, ["benchmark_requests"], None,
                             {"benchmark_requests": {"config": {"limit": 1, "variants": "full,nope"}}})
    assert not ok and "nope" in error
    assert not list((tmp_path / ".requests").glob("*.json"))  # a bad setting drops none
    ok, error = _materialize(tmp_path, ["benchmark_requests"], None,
                             {"benchmark_requests": {"config": {"limit": 2, "variants": "full,no_rag", "size": "tiny"}}})
    assert ok, error
    dropped = sorted(p.name for p in (tmp_path / ".requests").glob("*.json"))
    assert len(dropped) == 4 and all(n.startswith("bench-") for n in dropped)
    with dg.instance_for_test() as instance:
        result = film_request_sensor(dg.build_sensor_context(instance=instance,
                                                             resources={"studio": StudioResource(root=str(tmp_path))}))
    configs = [r.run_config["ops"]["film_request"]["config"] for r in result.run_requests]
    assert len(configs) == 4 and {c["variant"] for c in configs} == {"full", "no_rag"}
    assert all(c["width"] == 320 and c["max_scenes"] == 2 for c in configs)


@pytest.mark.parametrize("film_id, expected", [("bench-harbour-thief-full", 1), ("demo", 0)])
def test_judged_bench_films_refresh_the_report(tmp_path, film_id, expected):
    from filmaster_assets.defs.evaluation.sensors import benchmark_report_sensor

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", [film_id])
        instance.report_runless_asset_event(dg.AssetMaterialization("filmeval_scores", partition=film_id))
        ctx = dg.build_sensor_context(instance=instance)
        assert len(list(benchmark_report_sensor.evaluate_tick(ctx).run_requests)) == expected
