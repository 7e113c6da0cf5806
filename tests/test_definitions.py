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
                "reference_images", "scene_block", "scene_references", "shot_plans", "clips", "rough_cut", "audience_review", "edit_analysis",
                "picture_lock", "sound_design", "mix", "final_film", "otio_timeline", "filmeval_scores"}
    assert expected <= keys
    graph = repo.asset_graph
    # lineage: each stage reads what it says it reads
    parents = lambda k: {p.to_user_string() for p in graph.get(dg.AssetKey(k)).parent_keys}
    assert parents("synopsis") == {"film_request"}
    assert parents("scene_block") == {"scene_blocks", "scene_overrides"}
    assert parents("scene_references") == {"scene_block", "clip_caption_index", "film_request"}
    assert parents("shot_plans") == {"scene_block", "scene_references", "film_request"}
    assert parents("clips") == {"scene_block", "shot_plans", "film_request", "shot_takes", "reference_images"}
    assert parents("reference_images") == {"film_request", "synopsis", "scene_blocks", "scene_overrides"}
    assert parents("rough_cut") == {"film_request", "scene_blocks", "scene_block", "shot_plans", "clips"}
    assert parents("final_film") == {"picture_lock", "mix"}
    assert "clips" in parents("picture_lock") and "clips" in parents("otio_timeline")  # takes in the EDL, alternates
    assert {"audio_library_index", "clips", "picture_lock"} <= parents("sound_design")
    assert {"final_film", "mix", "sound_design", "synopsis"} <= parents("filmeval_scores")
    for name in ("reindex_job", "corpus_ingest_job", "script_job", "camera_job",
                 "post_production_job", "benchmark_report_job"):
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


def test_quality_gates_are_asset_checks():
    from filmaster_assets.definitions import defs

    graph = defs.get_repository_def().asset_graph
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {("mix", "mix_loudness"), ("final_film", "final_film_streams"),
            ("otio_timeline", "timeline_media_present"), ("filmeval_scores", "filmeval_complete")} <= checks
    blocking = {k.name for k in graph.asset_check_keys if graph.get_check_spec(k).blocking}
    assert {"mix_loudness", "final_film_streams"} <= blocking
    post = defs.resolve_job_def("post_production_job")
    assert {k.name for k in post.asset_layer.asset_graph.asset_check_keys} >= {"mix_loudness", "filmeval_complete"}
    # A gate checks the film of its run: unpartitioned, its input would be every film of the instance and
    # the store read the first one added (four films made at once on one instance failed on another's mix).
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key) is not None
        check_def = defs.get_repository_def().assets_defs_by_key.get(key.asset_key)
        assert check_def is not None and check_def.partitions_def is not None
        gate = next(c for c in defs.asset_checks if key in c.check_keys)
        assert gate.partitions_def == check_def.partitions_def, key


def test_assets_read_only_what_they_declare():
    """Inputs are typed parameters: no asset module reads a stage's contract file by path."""
    defs_dir = ROOT / "filmaster_assets" / "defs"
    for path in defs_dir.rglob("*.py"):
        text = path.read_text()
        for forbidden in ("read_model(", "effective_blocks(files", "files.request", "code_version="):
            if forbidden == "read_model(" and path.name == "assets.py" and path.parent.name == "script":
                assert text.count("read_model(") == 1  # film_request re-reads its own stored request
                continue
            assert forbidden not in text, f"{path.relative_to(ROOT)} uses {forbidden}"


def test_code_versions_are_derived_from_the_code(monkeypatch):
    from filmaster_assets import code_versions
    from filmaster_assets.code_versions import code_version_of, compute_fn
    from filmaster_assets.definitions import ASSET_MODULES, defs

    graph = defs.get_repository_def().asset_graph
    for module in ASSET_MODULES:
        for assets_def in vars(module).values():
            if isinstance(assets_def, dg.AssetsDefinition) and assets_def.is_executable:
                for key in assets_def.keys:
                    assert graph.get(key).code_version == code_version_of(compute_fn(assets_def))
    from filmaster_assets.defs.camera.assets import clips, scene_references
    from filmaster_assets.defs.script.assets import synopsis

    before = {a: code_version_of(compute_fn(a)) for a in (clips, scene_references, synopsis)}
    # a change to the renderer's logic (not its comments) changes the clips' version, and only theirs
    real = code_versions._module_source
    code_versions._module_source.cache_clear()

    def edited(name):
        source, imports = real(name)
        return (source + "changed" if name == "filmcraft.previs" else source), imports
    monkeypatch.setattr(code_versions, "_module_source", edited)
    after = {a: code_version_of(compute_fn(a)) for a in (clips, scene_references, synopsis)}
    assert after[clips] != before[clips]
    assert after[scene_references] == before[scene_references] and after[synopsis] == before[synopsis]
    assert code_versions._normalised("x = 1  # a comment\n") == code_versions._normalised('"""doc"""\nx = 1\n')


def test_each_video_service_has_its_own_pool(monkeypatch):
    """The clips of one service share a pool across all runs (a limit on Kling's does not hold back
    ComfyUI's); the offline previs has none. The pool is read when the definitions load."""
    import subprocess
    import sys

    from filmaster_assets.policies import video_pool

    monkeypatch.delenv("FILMASTER_VIDEO_BASE_URL", raising=False)
    monkeypatch.delenv("FILMASTER_VIDEO_BACKEND", raising=False)
    assert video_pool() is None
    monkeypatch.setenv("FILMASTER_VIDEO_BASE_URL", "http://127.0.0.1:9")
    assert video_pool() == "filmaster_video_openai"
    monkeypatch.setenv("FILMASTER_VIDEO_BACKEND", "kling")
    code = ("import dagster as dg; from filmaster_assets.definitions import defs; "
            "print(sorted(defs.get_repository_def().asset_graph.get(dg.AssetKey('clips')).pools))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['filmaster_video_kling']"
