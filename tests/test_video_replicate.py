"""The Replicate video backend end to end against a loopback fake of Replicate's HTTP API
(``tests/fakes/replicate.py``): a clip through ``VideoResource.render_shot`` with the film's budget,
and each fault ending in a retry or one message naming the backend, the shot and the fix, with
nothing at the clip's path and the budget's seconds given back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import dagster as dg
import pytest

from filmcraft.budget import Budget
from filmcraft.contracts import FilmRequest, ReferenceImage, ReferenceSet
from filmcraft.media import probe, run_ffmpeg
from resources.video import VideoResource
from tests.fakes.replicate import FakeReplicate, tiny_mp4
from tests.test_previs import plan

TOKEN = "r8_FAKEtokenForTests0123456789abcdefghijklmnop"  # Replicate tokens start r8_
MODEL = "kwaivgi/kling-v2.1"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    return tiny_mp4(tmp_path_factory.mktemp("clip") / "clip.mp4")


@pytest.fixture
def refs(tmp_path) -> ReferenceSet:
    plate = tmp_path / "plate.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x36", "-frames:v", "1", str(plate)], "plate")
    return ReferenceSet(scene_id="s01", location=ReferenceImage(name="harbour", kind="location", path=str(plate),
                                                                generated=True), characters=[])


@pytest.fixture
def fake(clip, monkeypatch):
    import resources.openai_backends as ob
    from resources.replicate_queue import ReplicateVideo

    monkeypatch.setattr(ReplicateVideo, "poll_s", 0.01)
    monkeypatch.setattr(ob, "BACKOFF_FIRST_S", 0.01)  # retries keep their count, not their wait
    with FakeReplicate(TOKEN, clip) as server:
        yield server


def _video(fake, model: str = MODEL, **kw) -> VideoResource:
    return VideoResource(base_url=fake.base_url, model=model, api_key=TOKEN, backend="replicate", **kw)


def _budget(tmp_path: Path, seconds: float | None = 30) -> Budget:
    return Budget(tmp_path / "film", FilmRequest(film_id="film", text="a compass", video_seconds_budget=seconds))


def _fails(fake, tmp_path, refs, budget=None, **kw) -> str:
    """Render shot s01_sh01; the step failure's message (the user's), checked for what every failure owes."""
    out = tmp_path / "shot.mp4"
    with pytest.raises(dg.Failure) as info:
        _video(fake, **kw).render_shot(plan(characters=()), refs, out, 256, 144, 12, 7, budget=budget)
    msg = str(info.value)
    assert msg.startswith(f"model role 'video' failed: replicate ({MODEL}), shot s01_sh01: "), msg
    assert TOKEN not in msg and "r8_" not in msg
    assert not out.exists() and not list(out.parent.glob("*.part*"))  # nothing half-written
    if budget is not None:
        assert budget.read().video_seconds == 0  # the reservation is given back
    return msg


def test_a_clip_end_to_end_with_the_budget_charged(fake, tmp_path, refs, caplog):
    budget = _budget(tmp_path)
    out = tmp_path / "shot.mp4"
    video = _video(fake)
    assert video.backend_name() == f"replicate:{MODEL}"
    with caplog.at_level(logging.INFO, logger="resources.replicate_queue"):
        video.render_shot(plan(characters=()), refs, out, 256, 144, 12, 7, budget=budget)
    assert probe(out).has_video and out.read_bytes() == fake.clip
    # the film's budget is charged what kling bills: the 5 s clip that covers the 1.5 s shot
    assert budget.read().video_seconds == 5.0 and budget.read().video_shots == 1
    # create, then a poll per state (starting, processing, succeeded), then the file
    assert fake.counts == {"create": 1, "get": 3, "file": 1}
    body = fake.bodies[0]
    assert set(body) == {"input"}  # an official model: no version in the body
    inp = body["input"]
    assert inp["duration"] == 5 and inp["mode"] == "standard"
    assert inp["start_image"].startswith("data:image/png;base64,")  # the location plate as the first frame
    assert "Wide shot at eye level" in inp["prompt"] and "holds still" in inp["prompt"] and "watermark" in inp["negative_prompt"]
    assert fake.auth_on_files == [None]  # the token never goes to the file host
    logs = caplog.text
    assert "s01_sh01 is prediction fakepred0001" in logs and "processing step 2: 60%" in logs
    assert "predict_time 3.2 s" in logs and TOKEN not in logs


def test_a_pinned_version_and_the_other_models_inputs(fake, tmp_path, refs):
    from resources.replicate_queue import ReplicateVideo

    _video(fake, model="bytedance/seedance-1-lite:abc123").render_shot(plan(characters=()), refs, tmp_path / "a.mp4",
                                                                      1280, 720, 24, 9)
    body = fake.bodies[-1]
    assert body["version"] == "abc123"  # POST /v1/predictions with the version
    assert body["input"]["aspect_ratio"] == "16:9" and body["input"]["resolution"] == "720p"
    assert body["input"]["seed"] == 9 and body["input"]["camera_fixed"] is True and "negative_prompt" not in body["input"]
    minimax = ReplicateVideo(fake.base_url, "minimax/video-01", TOKEN)
    assert minimax.billed_seconds(1.5) == 6.0 and minimax.billed_seconds(9) == 6.0  # its one length
    kling = ReplicateVideo(fake.base_url, MODEL, TOKEN)
    assert [kling.billed_seconds(d) for d in (1.5, 5, 5.5, 12)] == [5.0, 5.0, 10.0, 10.0]


def test_an_unknown_model_names_the_variable_and_how_to_add_it(fake, tmp_path, refs):
    with pytest.raises(dg.Failure, match=r"FILMASTER_VIDEO_MODEL='acme/vid' has no input mapping for the replicate "
                                         r"backend: choose one of bytedance/seedance-1-lite, kwaivgi/kling-v2.1, "
                                         r"minimax/video-01 .*resources.replicate_queue.MODELS"):
        _video(fake, model="acme/vid").render_shot(plan(), refs, tmp_path / "x.mp4", 256, 144, 12, 0)
    assert sum(fake.counts.values()) == 0


def test_a_failed_prediction_is_not_retried(fake, tmp_path, refs):
    fake.fail_with = f"CUDA out of memory (token {TOKEN})"
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path))
    assert 'prediction fakepred0001 failed (the service said: "CUDA out of memory (token [redacted]' in msg
    assert "not retried" in msg and "FILMASTER_VIDEO_MODEL" in msg
    assert fake.counts["create"] == 1 and fake.counts["file"] == 0


def test_a_content_filter_refusal_says_rephrase(fake, tmp_path, refs):
    fake.fail_with = "E005: The input or output was flagged as sensitive. Please try again with different inputs."
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path))
    assert "the model's content filter refused prediction fakepred0001" in msg and "flagged as sensitive" in msg
    assert "not retried" in msg and "rephrase the shot's action or prompt" in msg
    assert fake.counts["create"] == 1


def test_an_expired_output_url_is_fetched_once_more(fake, tmp_path, refs):
    fake.expire_downloads = 1
    out = tmp_path / "shot.mp4"
    _video(fake).render_shot(plan(characters=()), refs, out, 256, 144, 12, 7)
    assert probe(out).has_video
    assert fake.counts["file"] == 2 and fake.counts["get"] == 4  # the re-fetch gave a fresh URL
    assert fake.counts["create"] == 1  # not made (nor billed) again


def test_an_output_url_that_stays_expired(fake, tmp_path, refs):
    fake.expire_downloads = 5
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path))
    assert "the output of prediction fakepred0001 has expired (HTTP 404 from the file host, also after fetching " \
           "the prediction again); run the same command again" in msg
    assert fake.counts["file"] == 2 and fake.counts["create"] == 1


def test_a_hung_prediction_is_cancelled(fake, tmp_path, refs):
    fake.hang = True
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path), timeout_s=0.3)
    assert "prediction fakepred0001 still processing after 0.3 s: cancelled it" in msg
    assert "raise FILMASTER_VIDEO_TIMEOUT (now 0.3 s)" in msg
    assert fake.counts["cancel"] == 1 and fake.predictions["fakepred0001"]["status"] == "canceled"


def test_429_and_5xx_are_retried_within_the_budget(fake, tmp_path, refs):
    throttled = (429, {"title": "Request was throttled", "detail": "Request was throttled. Expected available in 1 "
                                                                   "second.", "status": 429}, {"Retry-After": "0"})
    fake.create_errors = [throttled, throttled]
    fake.poll_errors = [(502, {"title": "Bad gateway", "detail": "upstream", "status": 502}, {})]
    out = tmp_path / "shot.mp4"
    _video(fake).render_shot(plan(characters=()), refs, out, 256, 144, 12, 7)
    assert probe(out).has_video
    assert fake.counts["create"] == 3 and fake.counts["get"] == 4 and len(fake.bodies) == 1


def test_429_past_the_retries(fake, tmp_path, refs):
    throttled = (429, {"title": "Request was throttled", "detail": "Request was throttled.", "status": 429},
                 {"Retry-After": "0"})
    fake.create_errors = [throttled] * 3
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path), max_retries=2)
    assert 'rate limited (HTTP 429) (the server said: "Request was throttled.")' in msg
    assert "after 2 retries" in msg and "raise FILMASTER_VIDEO_MAX_RETRIES (now 2)" in msg
    assert fake.counts["create"] == 3 and not fake.bodies


def test_a_broken_file_is_downloaded_once_more_then_refused(fake, tmp_path, refs):
    fake.broken_downloads = 1
    out = tmp_path / "shot.mp4"
    _video(fake).render_shot(plan(characters=()), refs, out, 256, 144, 12, 7)
    assert probe(out).has_video and fake.counts["file"] == 2
    fake.broken_downloads = 2
    msg = _fails(fake, tmp_path / "again", refs)
    assert "the downloaded clip is not a playable video (" in msg and "after one repeated request (2 requests" in msg
    assert "nothing was written: run the same command again" in msg and ".part" not in msg


def test_a_wrong_token(fake, tmp_path, refs):
    fake.token = "r8_anotherTokenAltogether0123456789abcdef"
    msg = _fails(fake, tmp_path, refs)
    assert "HTTP 401" in msg and "You did not pass a valid authentication token" in msg
    assert "set FILMASTER_VIDEO_API_KEY to a key this endpoint accepts" in msg
    assert fake.counts["unauthorised"] == 1


def test_the_token_is_in_no_file(fake, tmp_path, refs):
    budget = _budget(tmp_path)
    _video(fake).render_shot(plan(characters=()), refs, tmp_path / "film" / "shot.mp4", 256, 144, 12, 7, budget=budget)
    for path in (tmp_path / "film").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert json.loads(budget.ledger_path.read_text())["video_seconds"] == 5.0


# --- the prompt builder, on the shot plans of a real film ---------------------------------------

def _demo_film_shots():
    """The demo theme's shot plans, planned offline as the pipeline does (no rendering)."""
    from filmcraft.contracts import RetrievedReference, SceneContinuity, SceneReferences
    from filmcraft.director.camera import replan_scene
    from filmcraft.director.script import (detail_storyboard, simplify_storyboard, structure_scene_blocks,
                                           write_synopsis)
    from tests.test_director_camera import REFS

    theme = (Path(__file__).resolve().parents[1] / "filmaster_assets" / "demo_theme.txt").read_text(encoding="utf-8")
    syn = write_synopsis(FilmRequest(film_id="demo", text=theme))
    simple = simplify_storyboard(syn)
    blocks = structure_scene_blocks("demo", syn, simple, detail_storyboard(syn, simple))
    shots, prev = [], None
    for i, b in enumerate(blocks.scenes):
        refs = SceneReferences(scene_id=b.scene_id, query="q", k=len(REFS), references=[
            RetrievedReference(caption_id=c, score=s, text=t, source="test") for c, s, t in REFS])
        shots += replan_scene(b, refs, SceneContinuity.following(prev, last_scene=i == len(blocks.scenes) - 1)).shots
        prev = b
    return shots


def test_the_prompt_carries_each_shots_camera_language_in_prose():
    from resources.replicate_queue import _ANGLE, _MOVE, _SIZE, _TIME, _WEATHER, replicate_prompt

    shots = _demo_film_shots()
    assert len(shots) >= 8 and {s.weather for s in shots} > {"clear"}  # the storm is in the film
    prompts = [replicate_prompt(s) for s in shots]
    for shot, prompt in zip(shots, prompts):
        cam = shot.camera
        assert prompt.startswith(f"{_SIZE[cam.shot_size]} {_ANGLE[cam.angle]}"), prompt
        assert _MOVE[cam.movement][1:] in prompt and f"{cam.lens_mm:g}mm" in prompt, prompt
        assert cam.lighting.split(",")[-1].strip() in prompt and f"{shot.mood} mood" in prompt, prompt
        assert _TIME[shot.time_of_day] in prompt and _WEATHER[shot.weather] in prompt, prompt
        assert all(c in prompt for c in shot.characters), prompt
        assert " ".join(shot.action.split()[1:4]) in prompt, prompt  # the action, its subject supplied
        assert "_" not in prompt and "  " not in prompt and ".." not in prompt, prompt
        assert not (shot.dialogue and shot.dialogue in prompt)  # a video model would write it on screen
    assert len(set(prompts)) == len(prompts)
    # the film's coverage reaches the model: as many distinct moves and sizes in the prose as in the plans
    assert sum(any(_MOVE[m][1:] in p for p in prompts) for m in _MOVE) == len({s.camera.movement for s in shots})
    assert sum(any(p.startswith(_SIZE[z]) for p in prompts) for z in _SIZE) == len({s.camera.shot_size for s in shots})
    # a bare predicate gets its subject: "Mara hauls in her nets", not "hauls in her nets"
    nets = next(p for s, p in zip(shots, prompts) if "nets" in s.action)
    assert "Mara hauls in her nets" in nets


def test_a_large_plate_is_uploaded_and_passed_by_url(fake, tmp_path):
    from resources.replicate_queue import DATA_URI_MAX_BYTES

    plate = tmp_path / "plate.png"  # noise does not compress: a plate over the inline limit
    run_ffmpeg(["-f", "lavfi", "-i", "nullsrc=s=640x360,geq=random(1)*255:128:128", "-frames:v", "1", str(plate)],
               "noisy plate")
    assert plate.stat().st_size > DATA_URI_MAX_BYTES
    refs = ReferenceSet(scene_id="s01", location=ReferenceImage(name="harbour", kind="location", path=str(plate),
                                                                generated=False), characters=[])
    _video(fake).render_shot(plan(characters=()), refs, tmp_path / "shot.mp4", 256, 144, 12, 7)
    assert fake.counts["upload"] == 1 and fake.uploads["fakefile0001"] == plate.read_bytes()
    assert fake.bodies[0]["input"]["start_image"] == f"{fake.base_url}/files/fakefile0001"


def test_polls_failing_past_the_retries_cancel_the_prediction(fake, tmp_path, refs):
    fake.poll_errors = [(503, {"title": "Service unavailable", "detail": "maintenance", "status": 503}, {})] * 2
    msg = _fails(fake, tmp_path, refs, _budget(tmp_path), max_retries=1)
    assert 'HTTP 503 from the endpoint (the server said: "maintenance"); after 1 retry' in msg
    # the prediction left running would be billed: cancelled (the service answered again by then)
    assert fake.counts["get"] == 2 and fake.counts["cancel"] == 1
    assert fake.predictions["fakepred0001"]["status"] == "canceled"


def test_the_environment_picks_the_replicate_backend(monkeypatch):
    from resources import build_resources

    for k, v in {"FILMASTER_VIDEO_BACKEND": "replicate", "FILMASTER_VIDEO_BASE_URL": "https://api.replicate.com/v1",
                 "FILMASTER_VIDEO_MODEL": MODEL, "FILMASTER_VIDEO_API_KEY": TOKEN}.items():
        monkeypatch.setenv(k, v)
    video = build_resources()["video"]
    assert video.backend == "replicate" and video.backend_name() == f"replicate:{MODEL}"  # the clip cache's key
    assert TOKEN not in video.backend_name()
