"""A video backend that keeps failing for one scene: the error is retried within the request's retry
budget (not again by the asset's RetryPolicy), then only that scene fails; the other scenes' clips are
made and kept, and a re-run after the backend recovers renders only the failed scene."""

import dagster as dg
import pytest

from tests.openai_server import OpenAIServer, Reply

pytestmark = pytest.mark.slow

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


def test_failing_scene_fails_alone_and_resumes(tmp_path, monkeypatch, studio_with_library):
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import CliError, setup_env
    from filmcraft.contracts import FilmRequest
    from filmcraft.media import run_ffmpeg

    clip = tmp_path / "backend.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=256x144:rate=12:duration=4", "-c:v", "libx264",
                "-pix_fmt", "yuv420p", str(clip)], "backend clip")
    state = {"broken": b"dawn", "creates": 0}  # scene 2 happens at dawn, scene 1 at night
    job = {"id": "vid_1", "object": "video", "created_at": 0, "model": "m", "progress": 100, "seconds": "4",
           "size": "256x144", "status": "completed"}

    def create(body: bytes):
        state["creates"] += 1
        if state["broken"] and state["broken"] in body.lower():
            return Reply(500, {"error": {"message": "render farm on fire"}}, headers={"Retry-After": "0"})
        return Reply(body=job)

    with OpenAIServer() as server:
        server.queue("POST /v1/videos", create)
        server.queue("GET /v1/videos/vid_1/content", Reply(raw=clip.read_bytes()))
        for k, v in {"FILMASTER_VIDEO_BASE_URL": server.base_url, "FILMASTER_VIDEO_MODEL": "m",
                     "FILMASTER_VIDEO_MAX_RETRIES": "1", "DAGSTER_HOME": str(tmp_path / "dh")}.items():
            monkeypatch.setenv(k, v)
        (tmp_path / "dh").mkdir()
        studio = setup_env(str(tmp_path / "studio"))
        req = FilmRequest(**{**build_request(THEME, "vfail", None, "general", False, 0).model_dump(),
                             "width": 256, "height": 144, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 1})
        with pytest.raises(CliError, match=r"(?s)1 of 2 scenes failed.*camera_job failed for vfail\|s02.*model role 'video' failed: HTTP 500"):
            make_film(req, studio)
        film = studio / "vfail"
        assert (film / "scenes" / "s01" / "clips.json").exists()
        assert not (film / "scenes" / "s02" / "clips.json").exists()
        assert not (film / "final.mp4").exists()
        # 1 + FILMASTER_VIDEO_MAX_RETRIES (1), once: a model-role fault is not step-retried (issue #16;
        # before, client retries x Dagster attempts asked 2 x 3 times)
        failing_creates = state["creates"] - 1
        assert failing_creates == 2
        instance = dg.DagsterInstance.get()
        s01_before = len(instance.fetch_materializations(dg.AssetKey("clips"), limit=10).records)

        state["broken"], state["creates"] = None, 0  # the backend recovers
        make_film(req, studio)
        assert state["creates"] == 1  # only the failed scene's shot was generated again
        assert len(instance.fetch_materializations(dg.AssetKey("clips"), limit=10).records) == s01_before + 1
        assert (film / "final.mp4").exists()
