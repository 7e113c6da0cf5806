"""Per-scene incrementality: overriding one scene block redoes retrieval, re-planning and clips for
that scene only. The text roles run on a real OpenAI-compatible backend (a local server) so the
test counts real LLM calls; clips renders are counted from the clips asset's metadata.

The same run is the secrets test (issue #7): the text role is configured with an API key from the
environment, and after two makes and an override no file in the studio (artifacts, caches, OTIO,
FilmEval report, budget ledger) or in the Dagster instance (run config, event logs, metadata)
contains it. (One film serves both: each film costs ~30 s of the suite's 15-minute budget.)

The same film is then reshot (issue #17 item 3): one shot, one render, no LLM request, the previous
take restored from the cache with no render."""

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

        _reshoot_one_shot(film, studio, server, instance)

    # the key the text role was configured with was written nowhere: studio or Dagster instance
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 50 and (film / "timeline.otio").exists() and (film / "filmeval.json").exists()
    assert [str(p) for p in files if SECRET.encode() in p.read_bytes()] == []


def _reshoot_one_shot(film, studio, server, instance):
    """`filmaster reshoot`: counted server-side (chat requests), in the clips cache and the budget ledger."""
    from filmaster_assets.cli import main
    from filmcraft.contracts import PictureLock
    from filmcraft.store import read_model, sha256_file
    from filmcraft.takes import load_takes

    cache = studio / ".cache" / "clips"
    old_sha = sha256_file(film / "shots" / "s01_sh02.mp4")
    cached_before = {sha256_file(p) for p in cache.glob("*.mp4")}
    chat_before = server.calls("/v1/chat/completions")
    ledger_before = json.loads((film / "budget.json").read_text())
    lock_before = read_model(film / "cut" / "picture_lock.json", PictureLock)

    assert main(["reshoot", film.name, "s01_sh02", "--camera", "size=close_up", "--duration", "2.5",
                 "--out", str(studio)]) == 0
    assert server.calls("/v1/chat/completions") == chat_before  # no review, no analysis, no re-plan
    cached_after = {sha256_file(p) for p in cache.glob("*.mp4")}
    assert len(cached_after - cached_before) == 1 and old_sha in cached_after  # 1 render; the old take kept
    latest = instance.fetch_materializations(dg.AssetKey("clips"), limit=1).records[0]
    assert latest.partition_key.endswith("s01") and latest.asset_materialization.metadata["rendered"].value == 1
    ledger = json.loads((film / "budget.json").read_text())
    assert ledger["video_shots"] == ledger_before["video_shots"] + 1
    assert abs(ledger["video_seconds"] - ledger_before["video_seconds"] - 2.5) < 1e-6
    rec = load_takes(film / "shot_takes.json")["s01_sh02"]
    assert (rec.active, rec.chosen_by, rec.active_take.camera) == (2, "film-maker", {"shot_size": "close_up"})
    lock = read_model(film / "cut" / "picture_lock.json", PictureLock)
    # the locked edit stays: same shots in the same order; the new take drops into its decision
    assert [d.shot_id for d in lock.decisions] == [d.shot_id for d in lock_before.decisions]
    new = next(d for d in lock.decisions if d.shot_id == "s01_sh02")
    assert new.source_out <= 2.5 + 1e-6 and sha256_file(new.clip_path) != old_sha
    # item 6: the UI's edl table and the timeline name the take; the first take waits on a disabled track
    edl = instance.fetch_materializations(dg.AssetKey("picture_lock"), limit=1).records[0] \
        .asset_materialization.metadata["edl"].value.records
    assert [r.data["take"] for r in edl if r.data["shot"] == "s01_sh02"] == ["2 (alt 1)"]
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(film / "timeline.otio"))
    assert [(t.name, t.enabled) for t in tl.video_tracks()] == [("V1 picture", True), ("V2 take 1", False)]
    [alt] = tl.video_tracks()[1].find_clips()
    assert (alt.metadata["filmaster"]["shot_id"], alt.metadata["filmaster"]["take"]) == ("s01_sh02", 1)
    assert main(["export", film.name, "--format", "edl", "--studio", str(studio)]) == 0
    assert "* TAKE 2 OF s01_sh02, ALTERNATES 1" in (film / "timeline.edl").read_text()

    assert main(["reshoot", film.name, "s01_sh02", "--restore", "1", "--out", str(studio)]) == 0
    assert server.calls("/v1/chat/completions") == chat_before
    assert {sha256_file(p) for p in cache.glob("*.mp4")} == cached_after  # a cache hit: nothing rendered
    assert sha256_file(film / "shots" / "s01_sh02.mp4") == old_sha
    assert json.loads((film / "budget.json").read_text())["video_shots"] == ledger["video_shots"]
    lock = read_model(film / "cut" / "picture_lock.json", PictureLock)
    assert [(d.shot_id, d.source_in, d.source_out) for d in lock.decisions] == \
        [(d.shot_id, d.source_in, d.source_out) for d in lock_before.decisions]
