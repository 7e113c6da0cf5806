"""Per-scene incrementality: overriding one scene block redoes retrieval, re-planning and clips for
that scene only. The text roles run on a real OpenAI-compatible backend (a local server) so the
test counts real LLM calls; clips renders are counted from the clips asset's metadata.

The same run is the secrets test (issue #7): the text role is configured with an API key from the
environment, and after two makes and an override no file in the studio (artifacts, caches, OTIO,
FilmEval report, budget ledger) or in the Dagster instance (run config, event logs, metadata)
contains it. (One film serves both: each film costs ~30 s of the suite's 15-minute budget.)"""

import json
import dagster as dg
import pytest

from tests.director_llm import DirectorLLM
from tests.openai_server import OpenAIServer

pytestmark = pytest.mark.slow

SECRET = "sk-filmaster-test-7f3a9c1e5b2d4086"

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


def clips_materializations(instance) -> dict[str, int]:
    out: dict[str, int] = {}
    for rec in instance.fetch_materializations(dg.AssetKey("clips"), limit=100).records:
        scene = rec.partition_key.split("|")[-1]  # multi-partition keys read "film|scene"
        out[scene] = out.get(scene, 0) + 1
    return out


def test_override_redoes_only_that_scene(tmp_path, monkeypatch, studio_with_library):
    responder = DirectorLLM()
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", responder)
        monkeypatch.setenv("FILMASTER_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("FILMASTER_LLM_MODEL", "director-test")
        monkeypatch.setenv("FILMASTER_LLM_API_KEY", SECRET)
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dh"))
        (tmp_path / "dh").mkdir()
        from filmaster_assets.cli.film import build_request, make_film
        from filmaster_assets.cli.runtime import setup_env
        from filmcraft.contracts import FilmRequest

        studio = setup_env(str(tmp_path / "studio"))
        req = FilmRequest(**{**build_request(THEME, "ovr", None, "general", False, 0).model_dump(),
                             "width": 256, "height": 144, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 2})
        film = make_film(req, studio)
        assert responder.scene_calls == {"s01": 1, "s02": 1}
        instance = dg.DagsterInstance.get()
        assert clips_materializations(instance) == {"s01": 1, "s02": 1}
        renders_before = len(list((studio / ".cache" / "clips").glob("*.mp4")))
        s01_clip = (film / "shots" / "s01_sh01.mp4").read_bytes()

        (film / "scene_overrides.json").write_text(json.dumps({"s02": {"time_of_day": "night", "mood": "eerie"}}))
        calls_before = dict(responder.calls)
        make_film(req, studio)

        # s01: no LLM call, no render, no new materialization; s02: re-planned and re-rendered
        assert responder.scene_calls == {"s01": 1, "s02": 2}
        assert clips_materializations(instance) == {"s01": 1, "s02": 2}
        latest_s02 = instance.fetch_materializations(dg.AssetKey("clips"), limit=1).records[0]
        assert latest_s02.partition_key.endswith("s02")
        assert latest_s02.asset_materialization.metadata["rendered"].value == 2
        assert len(list((studio / ".cache" / "clips").glob("*.mp4"))) == renders_before + 2
        assert (film / "shots" / "s01_sh01.mp4").read_bytes() == s01_clip
        # the script chain was answered from the content-addressed cache; the new cut is reviewed again
        new_calls = {k: v - calls_before.get(k, 0) for k, v in responder.calls.items() if v != calls_before.get(k, 0)}
        assert new_calls == {"ScenePlan": 1, "AudienceReview": 1, "EditAnalysis": 1}
        plans = json.loads((film / "scenes" / "s02" / "shot_plan.json").read_text())
        assert all(s["time_of_day"] == "night" for s in plans["shots"])

    # the key the text role was configured with was written nowhere: studio or Dagster instance
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 50 and (film / "timeline.otio").exists() and (film / "filmeval.json").exists()
    assert [str(p) for p in files if SECRET.encode() in p.read_bytes()] == []
