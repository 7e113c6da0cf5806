"""The real backends of every model role, against a local OpenAI-compatible server with the real client.

The retry budget (``RoleEndpoint``) is checked here request by request, counted on the server's side:
the counts the README states for each fault (README "Point a model role at a real endpoint").
"""

import io
import json

import numpy as np
import pytest
import soundfile as sf

from filmcraft.contracts import Synopsis
from filmcraft.store import Studio
from filmcraft.roles import DEFAULT_RATE_WPM
from resources.openai_backends import ModelRoleError, OpenAIChatModel, OpenAIEmbedder
from resources.openai_media import OpenAIVideo, OpenAIVoice
from tests.openai_server import OpenAIServer, Reply, api_error, chat_reply

SYNOPSIS = {"title": "The Compass", "logline": "A fisherwoman finds a compass.", "synopsis": "Mara finds a compass.",
            "genre": "drama", "mood": "melancholic", "characters": [{"name": "Mara", "description": "fisherwoman"}],
            "locations": [{"name": "harbour", "description": "old stone harbour"}]}


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def test_chat_valid_answer_is_cached(server, tmp_path):
    server.queue("POST /v1/chat/completions", chat_reply(json.dumps(SYNOPSIS)))
    model = OpenAIChatModel(server.base_url, "test", api_key="sk-test-secret", studio=Studio(tmp_path))
    syn = model.complete_json("writer", "Write.", {"theme": "a compass"}, Synopsis)
    assert syn.title == "The Compass"
    again = model.complete_json("writer", "Write.", {"theme": "a compass"}, Synopsis)
    assert again == syn and server.calls("/chat/completions") == 1  # content-addressed: paid once
    sent = json.loads(server.requests[0][2])
    assert sent["response_format"]["type"] == "json_schema" and sent["temperature"] == 0
    # the key never lands in the cache
    assert not any(b"sk-test-secret" in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_chat_invalid_json_gets_one_repair_then_succeeds(server):
    server.queue("POST /v1/chat/completions", chat_reply('{"title": "trunc'), chat_reply(json.dumps(SYNOPSIS)))
    syn = OpenAIChatModel(server.base_url, "test").complete_json("writer", "Write.", {}, Synopsis)
    assert syn.characters[0].name == "Mara"
    assert server.calls("/chat/completions") == 2
    repair = json.loads(server.requests[1][2])["messages"][-1]["content"]
    assert "not valid" in repair


def test_chat_wrong_schema_twice_fails_naming_the_role(server):
    server.queue("POST /v1/chat/completions", chat_reply('{"name": "x"}'), chat_reply('{"name": "y"}'))
    with pytest.raises(ModelRoleError) as err:
        OpenAIChatModel(server.base_url, "test").complete_json("writer", "Write.", {}, Synopsis)
    assert server.calls("/chat/completions") == 2
    message = str(err.value)
    assert message.startswith("model role 'writer' failed: answer is not a valid Synopsis JSON (wrong schema) "
                              "after one repair request (2 requests; the same fault both times): "), message
    # which fields failed, and an excerpt of what came back
    assert "title: Field required" in message and """the answer began '{"name": "y"}'""" in message


def test_chat_429_is_retried_then_succeeds(server):
    server.queue("POST /v1/chat/completions",
                 Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
                 chat_reply(json.dumps(SYNOPSIS)))
    syn = OpenAIChatModel(server.base_url, "test", max_retries=2).complete_json("writer", "Write.", {}, Synopsis)
    assert syn.title == "The Compass" and server.calls("/chat/completions") == 2


def test_chat_500_exhausts_retries_with_clear_error(server):
    server.queue("POST /v1/chat/completions", Reply(500, {"error": {"message": "boom"}}, headers={"Retry-After": "0"}))
    with pytest.raises(ModelRoleError, match=r"'cinematographer' failed: HTTP 500 from the endpoint \(the server said: "
                                             r'"boom"\); after 1 retry over [\d.]+ s; check the server, or raise '
                                             r"FILMASTER_LLM_MAX_RETRIES \(now 1\)"):
        OpenAIChatModel(server.base_url, "test", max_retries=1).complete_json("cinematographer", "Plan.", {}, Synopsis)
    assert server.calls("/chat/completions") == 2


def test_chat_timeout_names_the_role_and_the_variable(server):
    server.queue("POST /v1/chat/completions", Reply(200, {}, delay=2.0))
    with pytest.raises(ModelRoleError, match=r"'audience' failed: the endpoint timed out: no answer within 0.5 s; "
                                             r"not retried: FILMASTER_LLM_MAX_RETRIES is 0; raise FILMASTER_LLM_TIMEOUT "
                                             r"\(now 0.5 s\)"):
        OpenAIChatModel(server.base_url, "test", timeout_s=0.5, max_retries=0).complete_json("audience", "x", {}, Synopsis)


def test_embeddings_are_normalised(server):
    server.queue("POST /v1/embeddings", Reply(body={"object": "list", "model": "e", "data": [
        {"object": "embedding", "index": 1, "embedding": [0.0, 3.0, 4.0]},
        {"object": "embedding", "index": 0, "embedding": [2.0, 0.0, 0.0]}],
        "usage": {"prompt_tokens": 2, "total_tokens": 2}}))
    vecs = OpenAIEmbedder(server.base_url, "e").encode(["a", "b"])
    assert vecs.shape == (2, 3)
    np.testing.assert_allclose(vecs, [[1, 0, 0], [0, 0.6, 0.8]], atol=1e-6)


def test_speech_writes_a_wav(server, tmp_path):
    buf = io.BytesIO()
    sf.write(buf, np.zeros(22050, dtype=np.float32), 22050, format="WAV")
    server.queue("POST /v1/audio/speech", Reply(raw=buf.getvalue()))
    dur = OpenAIVoice(server.base_url, "tts").speak("Hello harbour.", "alloy", tmp_path / "vo.wav")
    assert dur == pytest.approx(1.0) and (tmp_path / "vo.wav").exists()


def test_speech_rate_is_sent_as_speed(server, tmp_path):
    """Words per minute map onto the endpoint's speed multiple: the default rate is speed 1.0."""
    buf = io.BytesIO()
    sf.write(buf, np.zeros(22050, dtype=np.float32), 22050, format="WAV")
    server.queue("POST /v1/audio/speech", Reply(raw=buf.getvalue()))
    voice = OpenAIVoice(server.base_url, "tts")
    voice.speak("Hello harbour.", "alloy", tmp_path / "a.wav")
    voice.speak("Hello harbour.", "alloy", tmp_path / "b.wav", rate=round(DEFAULT_RATE_WPM * 1.5))
    sent = [json.loads(body)["speed"] for _method, _path, body in server.requests]
    assert sent == [1.0, pytest.approx(1.5, abs=0.01)]


def test_speech_garbage_is_refused_and_nothing_is_left(server, tmp_path):
    server.queue("POST /v1/audio/speech", Reply(raw=b"not audio at all"))
    with pytest.raises(ModelRoleError, match="'voice'.*not a readable WAV"):
        OpenAIVoice(server.base_url, "tts").speak("Hello.", "alloy", tmp_path / "vo.wav")
    assert list(tmp_path.iterdir()) == []


def _video_job(status: str) -> dict:
    return {"id": "vid_1", "object": "video", "created_at": 0, "model": "sora-2", "progress": 100, "seconds": "4",
            "size": "1280x720", "status": status}


def test_video_create_poll_download(server, tmp_path):
    from filmcraft.media import probe, run_ffmpeg

    clip = tmp_path / "src.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x72:rate=12:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                str(clip)], "test clip")
    ref = tmp_path / "plate.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x36", "-frames:v", "1", str(ref)], "plate")
    server.queue("POST /v1/videos", Reply(body=_video_job("queued")))
    server.queue("GET /v1/videos/vid_1", Reply(body=_video_job("in_progress")), Reply(body=_video_job("completed")))
    server.queue("GET /v1/videos/vid_1/content", Reply(raw=clip.read_bytes()))
    out = tmp_path / "out" / "shot.mp4"
    OpenAIVideo(server.base_url, "sora-2", poll_s=0.01).render("a harbour at dawn", ref, 5.0, 1280, 720, out)
    assert probe(out).has_video
    assert b"input_reference" in server.requests[0][2]  # the reference plate was uploaded


def test_video_broken_file_is_refused(server, tmp_path):
    server.queue("POST /v1/videos", Reply(body=_video_job("completed")))
    server.queue("GET /v1/videos/vid_1/content", Reply(raw=b"\x00\x01 broken"))
    out = tmp_path / "shot.mp4"
    with pytest.raises(ModelRoleError, match="'video'.*broken video file"):
        OpenAIVideo(server.base_url, "sora-2", poll_s=0.01).render("x", None, 4.0, 1280, 720, out)
    assert not out.exists()


# --- the retry budget: one per request, counted on the server --------------------------------------

CHAT = "POST /v1/chat/completions"
KEY = "sk-proj-Q7hWz3kLmN9pRt2vXy5aBc8dEf"  # a made-up key in OpenAI's shape


def _synopsis(base_url: str, **kw):
    return OpenAIChatModel(base_url, "gpt-test", api_key=KEY, **kw).complete_json("writer", "Write.", {}, Synopsis)


def test_401_is_sent_once_with_the_servers_words_and_the_key_variable(server):
    """Not transient: one request, no retry; the server's message (with the key it echoed redacted) and
    the variable to change. The message never holds the key."""
    server.queue(CHAT, api_error(401, f"Incorrect API key provided: {KEY[:12]}**********8dEf. You can find your "
                                      f"API key at https://platform.openai.com/account/api-keys. (sent: Bearer {KEY})"))
    with pytest.raises(ModelRoleError) as err:
        _synopsis(server.base_url, max_retries=3)
    assert server.calls("/chat/completions") == 1
    message = str(err.value)
    assert message.startswith("model role 'writer' failed: HTTP 401 from the endpoint (the server said: "
                              '"Incorrect API key provided: [redacted]. You can find your API key at '), message
    assert "; not retried: HTTP 401 is not transient; set FILMASTER_LLM_API_KEY to a key this endpoint accepts" in message
    assert KEY not in message and KEY[:12] not in message and "Bearer sk" not in message
    assert err.value.requests == 1 and err.value.status == 401


@pytest.mark.parametrize("status,fix", [(404, r"check FILMASTER_LLM_MODEL \('gpt-test'\) and FILMASTER_LLM_BASE_URL"),
                                        (400, r"the endpoint refused the request: check that FILMASTER_LLM_MODEL"),
                                        (403, r"the key in FILMASTER_LLM_API_KEY has no access to model 'gpt-test'"),
                                        (422, r"the endpoint refused the request"),
                                        (501, r"the endpoint refused the request")])
def test_other_client_errors_are_never_retried(server, status, fix):
    server.queue(CHAT, api_error(status, f"status {status} from the fake"))
    with pytest.raises(ModelRoleError, match=rf"HTTP {status} from the endpoint \(the server said: \"status {status} "
                                             rf"from the fake\"\); not retried: HTTP {status} is not transient; {fix}"):
        _synopsis(server.base_url, max_retries=3)
    assert server.calls("/chat/completions") == 1


def test_lasting_429_costs_one_plus_max_retries_and_honours_retry_after(server):
    """N = 1 + max_retries requests; no retry sooner than Retry-After asked (measured by the server)."""
    server.queue(CHAT, api_error(429, "Rate limit reached for requests", headers={"Retry-After": "1"}))
    with pytest.raises(ModelRoleError, match=r"rate limited \(HTTP 429\) \(the server said: \"Rate limit reached for "
                                             r"requests\"\); after 2 retries over [\d.]+ s; wait and run the same "
                                             r"command again, lower concurrency, or raise FILMASTER_LLM_MAX_RETRIES "
                                             r"\(now 2\)"):
        _synopsis(server.base_url, max_retries=2)
    assert server.calls("/chat/completions") == 3
    gaps = server.gaps(CHAT)
    assert len(gaps) == 2 and min(gaps) >= 1.0, gaps


def test_retry_after_ms_is_read_first(server):
    server.queue(CHAT, api_error(429, "slow down", headers={"retry-after-ms": "1200", "Retry-After": "1"}),
                 chat_reply(json.dumps(SYNOPSIS)))
    assert _synopsis(server.base_url, max_retries=1).title == "The Compass"
    assert server.calls("/chat/completions") == 2 and server.gaps(CHAT)[0] >= 1.2


def test_without_retry_after_the_backoff_grows(server):
    """No Retry-After: exponential backoff (0.4-0.5 s, then 0.8-1 s, ...), never a constant interval."""
    server.queue(CHAT, api_error(503, "overloaded"))
    with pytest.raises(ModelRoleError, match=r"HTTP 503 .*after 3 retries over"):
        _synopsis(server.base_url, max_retries=3)
    assert server.calls("/chat/completions") == 4
    gaps = server.gaps(CHAT)
    assert gaps[0] >= 0.4 and gaps[1] >= 0.8 and gaps[2] >= 1.6, gaps  # lower bounds: the server also sees latency


def test_a_retry_after_beyond_the_cap_is_not_waited_for_but_said(server):
    """A server asking for more than MAX_RETRY_AFTER_S is not retried sooner than asked: the step fails
    at once, saying how long the server asked for."""
    from resources.openai_backends import MAX_RETRY_AFTER_S

    server.queue(CHAT, api_error(429, "quota window", headers={"Retry-After": str(int(MAX_RETRY_AFTER_S * 5))}))
    with pytest.raises(ModelRoleError, match=r"not retried: the server asked to wait 300 s, longer than the 60 s "
                                             r"FilMaster waits within one request"):
        _synopsis(server.base_url, max_retries=3)
    assert server.calls("/chat/completions") == 1


def test_a_transient_fault_then_an_invalid_answer_then_a_valid_one(server):
    """The two budgets are separate and both bounded: a 500 retried inside the request, then one repair."""
    server.queue(CHAT, Reply(500, {"error": {"message": "blip"}}), chat_reply('{"title": 3}'),
                 chat_reply(json.dumps(SYNOPSIS)))
    assert _synopsis(server.base_url, max_retries=1).title == "The Compass"
    assert server.calls("/chat/completions") == 3
    repair = json.loads(server.requests[2][2])["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"title": 3}'} and "title" in repair[-1]["content"]


def test_the_worst_case_for_one_answer_is_two_requests_each_with_its_budget(server):
    """An answer is at most two requests (the first and its repair), each with its own retry budget:
    2 x (1 + max_retries), stated in the README."""
    server.queue(CHAT, Reply(500, {"error": {"message": "blip"}}), chat_reply("not json"),
                 Reply(500, {"error": {"message": "blip"}}), chat_reply("still not json"))
    with pytest.raises(ModelRoleError, match=r"after one repair request \(4 requests; the same fault both times\)"):
        _synopsis(server.base_url, max_retries=1)
    assert server.calls("/chat/completions") == 4 == 2 * (1 + 1)


def test_an_invalid_answer_then_a_garbled_body_is_two_requests_not_three(server):
    """One repeated request per answer, whatever the two faults are."""
    server.queue(CHAT, chat_reply("Here is your story!"), Reply(200, raw=b'{"choices": [', content_type="application/json"))
    with pytest.raises(ModelRoleError, match=r"truncated or garbled.*after one repair request \(2 requests; first: "
                                             r"truncated or garbled JSON\)"):
        _synopsis(server.base_url, max_retries=3)
    assert server.calls("/chat/completions") == 2


def test_cannot_connect_names_the_base_url_variable():
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ModelRoleError, match=rf"could not connect to the endpoint http://127.0.0.1:{port}/v1 .*; after 1 "
                                             r"retry over [\d.]+ s; check FILMASTER_LLM_BASE_URL"):
        _synopsis(f"http://user:pw@127.0.0.1:{port}/v1?key=abc", max_retries=1)


def test_sanitise_strips_keys_and_tokens():
    from resources.openai_backends import sanitise

    text = (f"Incorrect API key provided: {KEY}. Authorization: Bearer abc.def-ghi api_key=hunter2hunter2 "
            "token: 0123456789abcdefABCDEF0123456789abcd and a plain sentence.\n" + "x" * 400)
    out = sanitise(text, secret="hunter2hunter2")
    assert KEY not in out and "abc.def-ghi" not in out and "hunter2" not in out and "0123456789abcdef" not in out
    assert out.startswith("Incorrect API key provided: [redacted].") and "\n" not in out and len(out) <= 200
    assert "and a plain sentence." in out


def test_retry_after_header_forms():
    import email.utils
    import time

    from resources.openai_backends import retry_after_s

    assert retry_after_s({"retry-after-ms": "250", "retry-after": "3"}) == 0.25
    assert retry_after_s({"retry-after": "2.5"}) == 2.5
    assert retry_after_s({"retry-after": "soon"}) is None and retry_after_s({}) is None
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= retry_after_s({"retry-after": when}) <= 30


def test_a_model_role_error_fails_the_step_without_a_step_retry(server, tmp_path):
    """Dagster side: the asset's RetryPolicy (kept for crashed steps) does not run a model-role fault
    again: a lasting 500 costs 1 + max_retries requests, not that times the step attempts; an error
    a step retry can fix (here an OSError) is still retried once."""
    import dagster as dg

    from filmaster_assets.policies import LLM_RETRY
    from resources.text import TextModelResource

    server.queue(CHAT, Reply(500, {"error": {"message": "down"}}))
    attempts = {"model": 0, "disk": 0}

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=LLM_RETRY.max_retries, delay=0))
    def writes(text_model: TextModelResource):
        attempts["model"] += 1
        text_model.chat_model(Studio(tmp_path)).complete_json("writer", "Write.", {}, Synopsis)

    @dg.asset(retry_policy=dg.RetryPolicy(max_retries=LLM_RETRY.max_retries, delay=0))
    def flaky_disk():
        attempts["disk"] += 1
        if attempts["disk"] == 1:
            raise OSError("disk full for a moment")

    resource = TextModelResource(base_url=server.base_url, model="m", api_key=KEY, max_retries=2)
    result = dg.materialize([writes, flaky_disk], resources={"text_model": resource}, raise_on_error=False)
    assert LLM_RETRY.max_retries >= 1
    assert attempts == {"model": 1, "disk": 2}
    assert server.calls("/chat/completions") == 3  # 1 + max_retries, once
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "model role 'writer' failed: HTTP 500" in failure.step_failure_data.error.message
    assert KEY not in str(result.all_events)


def test_fail_fast_keeps_the_error_a_model_role_error():
    import dagster as dg

    from resources.endpoint import FailFast

    class Broken:
        name = "broken"

        def encode(self, texts):
            raise ModelRoleError("embedder", "HTTP 401 from the endpoint", 1, 401)

    wrapped = FailFast(Broken())
    assert isinstance(wrapped, Broken) and wrapped.name == "broken"
    with pytest.raises(dg.Failure) as err:
        wrapped.encode(["x"])
    assert isinstance(err.value, ModelRoleError) and err.value.allow_retries is False
    assert str(err.value) == "model role 'embedder' failed: HTTP 401 from the endpoint"
    assert err.value.metadata["requests_sent"].value == 1


def test_a_service_spoken_to_with_httpx_has_the_same_retry_budget(server):
    """Video services other than OpenAI's are called with httpx: their 503 (Retry-After honoured), 404 and
    timeouts are classified as the openai client's are, under the one budget."""
    import httpx

    from resources.openai_backends import RoleEndpoint

    ep = RoleEndpoint(server.base_url, "m", KEY, 5, 2, "VIDEO", sleep=lambda s: waits.append(s))
    waits: list[float] = []
    server.queue("GET /v1/tasks/1", Reply(503, {"error": {"message": "busy"}}, headers={"Retry-After": "0.2"}),
                 Reply(body={"ok": True}))
    with httpx.Client(timeout=5) as http:
        def get(path):
            r = http.get(server.base_url + path)
            r.raise_for_status()
            return r.json()

        assert ep.send("video", lambda: get("/tasks/1")) == {"ok": True}
        assert server.calls("/tasks/1") == 2 and waits and waits[0] >= 0.2
        server.queue("GET /v1/tasks/2", Reply(404, {"message": "no such task"}))
        with pytest.raises(ModelRoleError, match=r"HTTP 404 .*no such task.*not retried"):
            ep.send("video", lambda: get("/tasks/2"))
        assert server.calls("/tasks/2") == 1
    with httpx.Client(timeout=5) as http, pytest.raises(ModelRoleError, match="could not connect"):
        ep.send("video", lambda: http.get("http://127.0.0.1:9/").raise_for_status())


def test_the_video_resource_shoots_through_its_backend(server, tmp_path):
    """FILMASTER_VIDEO_BACKEND picks the service; the openai one sends the shot's prompt over the location
    plate and bills the length it offers; an unknown name fails the step once, naming the variable."""
    import dagster as dg

    from filmcraft.contracts import ReferenceImage, ReferenceSet
    from filmcraft.media import probe, run_ffmpeg
    from resources.video import VideoResource
    from tests.test_previs import plan

    clip, plate = tmp_path / "src.mp4", tmp_path / "plate.png"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x72:rate=12:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                str(clip)], "test clip")
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=blue:s=64x36", "-frames:v", "1", str(plate)], "plate")
    refs = ReferenceSet(scene_id="s01", location=ReferenceImage(name="harbour", kind="location", path=str(plate),
                                                                generated=True), characters=[])
    server.queue("POST /v1/videos", Reply(body=_video_job("completed")))
    server.queue("GET /v1/videos/vid_1/content", Reply(raw=clip.read_bytes()))
    shot = plan(characters=())
    video = VideoResource(base_url=server.base_url, model="sora-2", backend="openai")
    assert video.backend_name() == "openai-compatible:sora-2"  # clips cached before backends keep their key
    assert video.video_backend().billed_seconds(5.0) == 8.0
    video.render_shot(shot, refs, tmp_path / "shot.mp4", 256, 144, 12, 0)
    assert probe(tmp_path / "shot.mp4").has_video
    sent = server.requests[0][2]
    assert b"they meet" in sent and b"input_reference" in sent
    with pytest.raises(dg.Failure, match="FILMASTER_VIDEO_BACKEND='klingg' is not a video backend: choose one of"):
        VideoResource(base_url=server.base_url, backend="klingg").render_shot(shot, refs, tmp_path / "x.mp4", 256, 144,
                                                                             12, 0)
