"""The definitions load under one location name, with the whole graph and its lineage."""

import tomllib
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load_and_graph_is_complete():
    from filmaster_assets.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    expected = {"audio_library", "audio_library_index", "clip_caption_index", "film_request", "synopsis",
                "simplified_storyboard", "detailed_storyboard", "scene_blocks", "audience_profile",
                "scene_block", "scene_references", "shot_plans", "clips", "rough_cut", "audience_review", "edit_analysis",
                "picture_lock", "sound_design", "mix", "final_film", "otio_timeline", "filmeval_scores"}
    assert expected <= keys
    graph = repo.asset_graph
    # lineage: each stage reads what it says it reads
    parents = lambda k: {p.to_user_string() for p in graph.get(dg.AssetKey(k)).parent_keys}
    assert parents("scene_block") == {"scene_blocks"}
    assert parents("scene_references") == {"scene_block", "clip_caption_index"}
    assert parents("rough_cut") == {"clips", "shot_plans", "scene_blocks"}
    assert parents("final_film") == {"picture_lock", "mix"}
    assert "audio_library_index" in parents("sound_design")
    for name in ("reindex_job", "corpus_ingest_job", "script_job", "camera_job",
                 "post_production_job"):
        assert defs.resolve_job_def(name) is not None
    sensors = {s.name: s for s in repo.sensor_defs}
    assert {"film_request_sensor", "scene_fanout_sensor", "post_production_sensor"} <= set(sensors)
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in sensors.values())


def test_one_location_name_in_workspace_and_pyproject():
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    entry = workspace["load_from"][0]["python_module"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dagster"]
    assert entry["location_name"] == pyproject["code_location_name"] == "filmaster"
    assert entry["module_name"] == pyproject["module_name"] == "filmaster_assets.definitions"
    assert "dg" not in pyproject_tools() , "[tool.dg] would silently override workspace.yaml"


def pyproject_tools():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]


def test_scene_assets_use_film_by_scene_partitions():
    from filmaster_assets.definitions import defs
    from filmaster_assets.partitions import film_scene_partitions

    graph = defs.get_repository_def().asset_graph
    for key in ("scene_block", "scene_references", "shot_plans", "clips"):
        assert graph.get(dg.AssetKey(key)).partitions_def == film_scene_partitions
    assert len(film_scene_partitions.partitions_defs) == 2
