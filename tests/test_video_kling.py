"""The Kling multi-image-to-video backend end to end against a loopback fake of Kling's API
(``tests.fakes.kling``): JWT auth, task submission with the shot's reference images, polling, download,
and each fault with the message the film-maker sees (backend, shot, fix) and what the server received."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from filmcraft.budget import Budget
from filmcraft.contracts import CameraSpec, FilmRequest, ReferenceImage, ReferenceSet, ShotPlan
from resources.video import VideoResource
from tests.fakes.kling import ROUTE, KlingFake

ACCESS, SECRET = "ak-test-0a1b2c3d4e5f", "sk-test-9f8e7d6c5b4a39281706"


@pytest.fixture(scope="module")
def tiny_mp4(tmp_path_factory) -> bytes:
    from filmcraft.media import run_ffmpeg

    out = tmp_path_factory.mktemp("kling") / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x72:rate=12:duration=0.5", "-c:v", "libx264",
                "-pix_fmt", "yuv420p", str(out)], "fake kling clip")
    return out.read_bytes()


@pytest.fixture
def refs(tmp_path) -> ReferenceSet:
    from PIL import Image

    def png(name: str, size: tuple[int, int], colour: tuple[int, int, int]) -> str:
        path = tmp_path / f"{name}.png"
        Image.new("RGB", size, colour).save(path)
        return str(path)

    # a 200 px character card and a 1000x300 plate: both outside Kling's limits, normalised by the backend
    return ReferenceSet(scene_id="s01", location=ReferenceImage(name="harbour", kind="location",
                                                                path=png("harbour", (1000, 300), (20, 40, 90)),
                                                                generated=True),
                        characters=[ReferenceImage(name=n, kind="character", path=png(n, (200, 200), c), generated=True)
                                    for n, c in (("Mara", (200, 60, 60)), ("Tomas", (60, 200, 60)),
                                                 ("Ines", (60, 60, 200)), ("Pavel", (200, 200, 60)))])


def shot(duration_s: float = 4.0, characters: tuple[str, ...] = ("Mara", "Tomas")) -> ShotPlan:
    return ShotPlan(shot_id="s01_sh02", scene_id="s01", index=2, prompt="Mara confronts Tomas on the pier.",
                    action="grabs the compass from Tomas", characters=list(characters), location="the old harbour",
                    time_of_day="night", mood="tense", weather="rain", subject="Mara",
                    camera=CameraSpec(shot_size="medium_close_up", movement="push_in", angle="low", lens_mm=35,
                                      lighting="low-key moonlight", grade="night_blue", duration_s=duration_s))


@pytest.fixture
def env(monkeypatch):
    import resources.openai_backends as ob

    monkeypatch.setenv("FILMASTER_KLING_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("FILMASTER_KLING_SECRET_KEY", SECRET)
    monkeypatch.setenv("FILMASTER_KLING_POLL", "0.02")
    monkeypatch.setattr(ob, "BACKOFF_FIRST_S", 0.01)  # the retry budget's waits, shortened for the test
    monkeypatch.setattr(ob, "BACKOFF_MAX_S", 0.02)
    return monkeypatch


def video(fake: KlingFake, retries: int = 2) -> VideoResource:
    return VideoResource(base_url=fake.base_url, model="kling-v1-6", backend="kling", max_retries=retries,
                         timeout_s=10)


def budget(tmp_path: Path, limit: float | None = None) -> Budget:
    film = tmp_path / "film"
    film.mkdir(parents=True, exist_ok=True)
    return Budget(film, FilmRequest(film_id="kl", text="x", video_seconds_budget=limit))


def render(fake, refs, tmp_path, plan=None, retries=2, limit=None):
    out = tmp_path / "shots" / "s01_sh02.mp4"
    b = budget(tmp_path, limit)
    video(fake, retries).render_shot(plan or shot(), refs, out, 1280, 720, 24, 7, budget=b)
    return out, b


def fails(fake, refs, tmp_path, plan=None, retries=2) -> str:
    """Render expecting a failure: the message, checked for what every Kling failure must say."""
    with pytest.raises(Exception) as info:
        render(fake, refs, tmp_path, plan, retries)
    message = str(info.value)
    assert "kling backend (kling-v1-6), shot s01_sh02" in message, message
    assert ACCESS not in message and SECRET not in message and "Bearer" not in message
    out = tmp_path / "shots"
    assert not out.exists() or not any(out.iterdir()), "nothing half-written"
    assert budget(tmp_path).read().video_seconds == 0  # a failed render gives its reservation back
    return message


def test_happy_path_four_references_billed_five_seconds(env, refs, tmp_path, tiny_mp4):
    from filmcraft.media import probe
    from PIL import Image

    with KlingFake(ACCESS, SECRET, tiny_mp4, processing_polls=2) as fake:
        plan = shot(characters=("Mara", "Tomas", "Ines", "Pavel"))
        out, b = render(fake, refs, tmp_path, plan)
        body = fake.bodies[0]
    assert probe(out).has_video and out.read_bytes() == tiny_mp4
    ledger = b.read()
    assert (ledger.video_seconds, ledger.video_shots) == (5.0, 1)  # a 4 s shot is billed as Kling's 5 s clip
    # the protocol steps, as the server saw them: one submission, polls through processing, one download
    assert fake.count("POST", ROUTE) == 1 and fake.count("GET", ROUTE + "/") == 3 and fake.count("GET", "/results/") == 1
    assert (body["model_name"], body["duration"], body["aspect_ratio"], body["mode"]) == ("kling-v1-6", "5", "16:9", "std")
    # 4 references: three characters (the limit leaves room for the place), then the location plate last
    sizes = [Image.open(io.BytesIO(base64.b64decode(i["image"]))).size for i in body["image_list"]]
    assert len(sizes) == 4 and sizes[:3] == [(300, 300)] * 3 and sizes[3][0] / sizes[3][1] <= 2.5
    assert "Medium close-up" in body["prompt"] and "pushes in" in body["prompt"] and "low-angle" in body["prompt"]
    assert "daylight" in body["negative_prompt"]
    assert video(fake).video_backend().prompt(plan) == body["prompt"]  # the interface's prompt is what was sent


def test_an_unreachable_service_is_retried_then_named(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        pass  # stopped: nothing listens on its port any more
    message = fails(fake, refs, tmp_path, retries=1)
    assert "could not connect to the endpoint" in message and "check FILMASTER_VIDEO_BASE_URL" in message


def test_a_long_shot_is_billed_ten_seconds(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        _, b = render(fake, refs, tmp_path, shot(duration_s=7.5))
    assert fake.bodies[0]["duration"] == "10" and b.read().video_seconds == 10.0


def test_budget_refuses_before_anything_is_sent(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        with pytest.raises(Exception, match=r"video seconds budget exceeded.*shot s01_sh02 needs 5 s"):
            render(fake, refs, tmp_path, limit=4)
    assert fake.log == []


def test_failed_task_is_not_retried(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.task_outcome = "failed:Generation failed due to internal error"
        message = fails(fake, refs, tmp_path)
    assert "task task-1 failed (Kling said: \"Generation failed due to internal error\"); not retried" in message
    assert fake.count("POST", ROUTE) == 1 and fake.count("GET", "/results/") == 0


def test_moderation_of_a_task_and_of_a_submission(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.task_outcome = "failed:Content moderation review failed."
        message = fails(fake, refs, tmp_path)
        assert "content moderation refused task task-1" in message and "reword the shot" in message
        fake.task_outcome = "succeed"
        fake.submit_errors = [(400, 1301, "Trigger the content security policy of the platform")]
        message = fails(fake, refs, tmp_path)
    assert "HTTP 400, Kling code 1301" in message and "not retried: Kling's content moderation" in message
    assert fake.count("POST", ROUTE) == 2  # each once: moderation is never asked again


def test_expired_result_url_refetches_the_task_once(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.expired_urls = 1
        out, _ = render(fake, refs, tmp_path)
        assert out.read_bytes() == tiny_mp4
        assert [s for m, p, s in fake.log if p.startswith("/results/")] == [403, 200]
        polls = fake.count("GET", ROUTE + "/")
        fake.expired_urls = 5
        message = fails(fake, refs, tmp_path / "again")
    assert "result URL of task task-2 was refused (HTTP 403) again after re-fetching the task once" in message
    assert fake.count("GET", ROUTE + "/") - polls == 3  # two polls, then the one re-fetch


def test_hung_task_stops_after_the_max_wait(env, refs, tmp_path, tiny_mp4):
    env.setenv("FILMASTER_KLING_MAX_WAIT", "0.3")
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.task_outcome = "hang"
        message = fails(fake, refs, tmp_path)
    assert "task task-1 still processing after 0.3 s of polling" in message
    assert "Kling has no cancel endpoint" in message and "raise FILMASTER_KLING_MAX_WAIT (now 0.3 s)" in message
    assert fake.count("POST", ROUTE) == 1 and fake.count("GET", ROUTE + "/") >= 3


def test_rate_limit_and_server_errors_are_retried(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.submit_errors = [(429, 1302, "The API request is too fast"), (500, 5000, "Server internal error")]
        out, _ = render(fake, refs, tmp_path)
        assert out.exists() and [s for m, p, s in fake.log if m == "POST"] == [429, 500, 200]
        fake.submit_errors = [(429, 1303, "parallel task over resource pack limit")] * 3
        message = fails(fake, refs, tmp_path / "again")
    assert "rate limited (HTTP 429)" in message and "parallel task over resource pack limit" in message
    assert "after 2 retries" in message and "FILMASTER_VIDEO_MAX_RETRIES" in message
    assert [s for m, p, s in fake.log if m == "POST"][3:] == [429, 429, 429]  # 1 + FILMASTER_VIDEO_MAX_RETRIES


def test_an_empty_resource_pack_answers_429_but_is_not_retried(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.submit_errors = [(429, 1102, "Resource pack depleted or expired")]
        message = fails(fake, refs, tmp_path)
    assert "HTTP 429, Kling code 1102" in message and "buy more Kling video units" in message
    assert fake.count("POST", ROUTE) == 1


def test_broken_file_is_downloaded_once_more_then_refused(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        fake.broken_files = 1
        out, _ = render(fake, refs, tmp_path)
        assert out.read_bytes() == tiny_mp4 and fake.count("GET", "/results/") == 2
        fake.broken_files = 2
        message = fails(fake, refs, tmp_path / "again")
    assert "the result file of task task-2 is not a playable video, twice" in message
    assert "nothing was written at s01_sh02.mp4" in message
    assert fake.count("GET", "/results/") == 4


def test_wrong_secret_is_refused_by_the_jwt_check_and_never_shown(env, refs, tmp_path, tiny_mp4):
    with KlingFake(ACCESS, "another-secret-key-1234567890", tiny_mp4) as fake:
        message = fails(fake, refs, tmp_path)
    assert "HTTP 401, Kling code 1002" in message and "FILMASTER_KLING_SECRET_KEY" in message
    assert fake.count("POST", ROUTE) == 1


def test_missing_keys_and_a_foreign_model_are_named(env, refs, tmp_path, tiny_mp4):
    env.delenv("FILMASTER_KLING_SECRET_KEY")
    with KlingFake(ACCESS, SECRET, tiny_mp4) as fake:
        with pytest.raises(Exception, match="needs FILMASTER_KLING_SECRET_KEY"):
            render(fake, refs, tmp_path)
        env.setenv("FILMASTER_KLING_SECRET_KEY", SECRET)
        with pytest.raises(Exception, match=r"FILMASTER_VIDEO_MODEL='sora-2' is not a Kling model"):
            VideoResource(base_url=fake.base_url, backend="kling").render_shot(
                shot(), refs, tmp_path / "x.mp4", 1280, 720, 24, 7)
    assert fake.log == []


def test_jwt_claims_match_the_reference():
    from resources.kling_video import kling_jwt

    token = kling_jwt(ACCESS, SECRET, now=1_700_000_000)
    head, claims, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    assert json.loads(base64.urlsafe_b64decode(pad(head))) == {"alg": "HS256", "typ": "JWT"}
    assert json.loads(base64.urlsafe_b64decode(pad(claims))) == {"iss": ACCESS, "exp": 1_700_001_800,
                                                                 "nbf": 1_699_999_995}


def test_a_server_that_does_not_speak_kling_is_asked_once_more_then_named(env, refs, tmp_path):
    from tests.openai_server import OpenAIServer, Reply

    with OpenAIServer() as server:  # e.g. FILMASTER_VIDEO_BASE_URL left on an OpenAI-compatible server
        server.queue("POST " + ROUTE, Reply(body={"id": "vid_1", "status": "queued"}))
        fake = type("Base", (), {"base_url": server.base_url.removesuffix("/v1")})
        message = fails(fake, refs, tmp_path)
        assert len(server.requests) == 2
    assert "has no 'code' (not Kling's envelope) after one repeated request" in message
