"""The real backends of every model role, against a local OpenAI-compatible server with the real client."""

import io
import json

import numpy as np
import pytest
import soundfile as sf

from filmcraft.contracts import Synopsis
from filmcraft.store import Studio
from filmcraft.roles import DEFAULT_RATE_WPM
from resources.openai_backends import ModelRoleError, OpenAIChatModel, OpenAIEmbedder, OpenAIVideo, OpenAIVoice
from tests.openai_server import OpenAIServer, Reply, chat_reply

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
    with pytest.raises(ModelRoleError, match="model role 'writer' failed: answer is not valid Synopsis JSON"):
        OpenAIChatModel(server.base_url, "test").complete_json("writer", "Write.", {}, Synopsis)
    assert server.calls("/chat/completions") == 2


def test_chat_429_is_retried_then_succeeds(server):
    server.queue("POST /v1/chat/completions",
                 Reply(429, {"error": {"message": "slow down"}}, headers={"Retry-After": "0"}),
                 chat_reply(json.dumps(SYNOPSIS)))
    syn = OpenAIChatModel(server.base_url, "test", max_retries=2).complete_json("writer", "Write.", {}, Synopsis)
    assert syn.title == "The Compass" and server.calls("/chat/completions") == 2


def test_chat_500_exhausts_retries_with_clear_error(server):
    server.queue("POST /v1/chat/completions", Reply(500, {"error": {"message": "boom"}}, headers={"Retry-After": "0"}))
    with pytest.raises(ModelRoleError, match="'cinematographer' failed: HTTP 500"):
        OpenAIChatModel(server.base_url, "test", max_retries=1).complete_json("cinematographer", "Plan.", {}, Synopsis)
    assert server.calls("/chat/completions") == 2


def test_chat_timeout_names_the_role(server):
    server.queue("POST /v1/chat/completions", Reply(200, {}, delay=2.0))
    with pytest.raises(ModelRoleError, match="'audience' failed: the endpoint timed out"):
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
