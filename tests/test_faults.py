"""Fault matrix: every model role x every fault mode, transient and persistent, against the local
OpenAI-compatible server with the real ``openai`` client.

    ROLES (5) x FAULTS (7) x MODES (2) = 70 injected faults
    transient  -> the fault once, then a good answer: a valid result within the retry budget
                  (exactly 2 requests to the faulty endpoint) and the artifact written once
    persistent -> the fault on every request: a ModelRoleError naming the role AND the fault,
                  after exactly 2 requests, and no artifact (no output file, no temp file, no cache entry)

Each role runs with max_retries=1 and a 0.5 s timeout: transport faults (429, 500, hang) get one
retry from the role's retry budget (``RoleEndpoint``; the openai client's own retries are off);
answer faults (truncated JSON, wrong schema, empty) get one repeated request (chat roles: a repair
turn when there is an answer to show). The pipeline-level test (slow) is at the end: a model-role
fault is not retried again by the step's RetryPolicy. Third-party servers: test_third_party_servers.py.
"""

from __future__ import annotations

import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import soundfile as sf

from filmcraft.contracts import Synopsis
from filmcraft.store import Studio
from resources.openai_backends import ModelRoleError, OpenAIChatModel, OpenAIEmbedder
from resources.openai_media import OpenAIVideo, OpenAIVoice
from tests.openai_server import (FAULTS, OpenAIServer, Reply, always, chat_reply, empty_body, hang, rate_limited,
                                 server_error, transient, truncated)

FAULT_MODES = FAULTS + ("empty_body",)  # the six of issue #7, plus an empty HTTP body on top of each role's empty answer
MODES = ("transient", "persistent")
TIMEOUT_S = 0.5

# What each fault must be called in the error (the role is checked separately).
FAULT_MESSAGE = {
    "429": r"rate limited \(HTTP 429\)",
    "500": r"HTTP 500",
    "hang": r"timed out",
    "truncated_json": r"truncated or garbled",
    "wrong_schema": r"wrong schema",
    "empty": r"empty answer",
    "empty_body": r"empty answer",
}

SYNOPSIS = {"title": "The Compass", "logline": "A fisherwoman finds a compass.", "synopsis": "Mara finds a compass.",
            "genre": "drama", "mood": "melancholic", "characters": [{"name": "Mara", "description": "fisherwoman"}],
            "locations": [{"name": "harbour", "description": "old stone harbour"}]}
EVENTS = {"events": [{"sound": "door slam", "kind": "sfx", "at": 0.5, "loop": False}]}


@dataclass
class Role:
    """One model role: how to call it, its routes, its good answers and its role-specific bad ones."""

    name: str  # as the error must name it
    good: dict[str, Reply]  # route -> good answer
    fault_route: dict[str, str]  # fault -> the route that misbehaves
    bad: dict[str, Reply]  # role-specific answers for wrong_schema and empty
    call: Callable[[str, Path], object]  # (base_url, workdir) -> result
    check: Callable[[object, Path], None]  # asserts on a good result and its artifact
    leftovers: Callable[[Path], list[Path]]  # artifacts present after the call


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _wav_bytes(seconds: float = 0.5, sr: int = 22050) -> bytes:
    buf = io.BytesIO()
    t = np.arange(int(seconds * sr)) / sr
    sf.write(buf, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), sr, format="WAV")
    return buf.getvalue()


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, Path]:
    from PIL import Image

    from filmcraft.media import run_ffmpeg

    folder = tmp_path_factory.mktemp("media")
    clip = folder / "clip.mp4"
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=128x72:rate=12:duration=1", "-c:v", "libx264",
                "-pix_fmt", "yuv420p", str(clip)], "fault test clip")
    frame = folder / "keyframe.png"
    Image.new("RGB", (64, 36), (30, 60, 90)).save(frame)
    return {"clip": clip, "keyframe": frame}


def _job(status: str) -> dict:
    return {"id": "vid_1", "object": "video", "created_at": 0, "model": "m", "progress": 100, "seconds": "4",
            "size": "256x144", "status": status}


def _roles(media: dict[str, Path]) -> dict[str, Role]:
    from filmcraft.media import probe
    from filmcraft.roles import Keyframe
    from filmcraft.sound_design import ShotSoundEvents
    from resources.vision import OpenAIVisionJudge

    chat = "POST /v1/chat/completions"
    emb, speech = "POST /v1/embeddings", "POST /v1/audio/speech"
    create, poll, download = "POST /v1/videos", "GET /v1/videos/vid_1", "GET /v1/videos/vid_1/content"

    def text_call(base: str, work: Path):
        model = OpenAIChatModel(base, "m", timeout_s=TIMEOUT_S, max_retries=1, studio=Studio(work / "studio"))
        return model.complete_json("cinematographer", "Write.", {"theme": "a compass"}, Synopsis)

    def text_check(result, work: Path):
        assert isinstance(result, Synopsis) and result.characters[0].name == "Mara"
        assert len(_files(work / "studio" / ".cache" / "llm")) == 1  # the answer is cached once

    def embed_call(base: str, work: Path):
        return OpenAIEmbedder(base, "e", timeout_s=TIMEOUT_S, max_retries=1).encode(["harbour", "lighthouse"])

    def embed_check(result, work: Path):
        assert result.shape == (2, 3)
        np.testing.assert_allclose(np.linalg.norm(result, axis=1), 1.0, atol=1e-6)
        np.testing.assert_allclose(result[1], [0, 0.6, 0.8], atol=1e-6)

    def voice_call(base: str, work: Path):
        return OpenAIVoice(base, "tts", timeout_s=TIMEOUT_S, max_retries=1).speak("Hello harbour.", "alloy",
                                                                                   work / "vo" / "line.wav")

    def voice_check(result, work: Path):
        data, sr = sf.read(work / "vo" / "line.wav")
        assert result == pytest.approx(0.5) and len(data) / sr == pytest.approx(0.5)

    def video_call(base: str, work: Path):
        OpenAIVideo(base, "m", timeout_s=TIMEOUT_S, max_retries=1, poll_s=0.01).render(
            "a harbour at dawn", None, 4.0, 256, 144, work / "shots" / "s01_sh01.mp4")

    def video_check(_result, work: Path):
        out = work / "shots" / "s01_sh01.mp4"
        assert out.read_bytes() == media["clip"].read_bytes() and probe(out).has_video

    def vision_call(base: str, work: Path):
        judge = OpenAIVisionJudge(base, "v", timeout_s=TIMEOUT_S, max_retries=1, studio=Studio(work / "studio"),
                                  role="foley/SFX spotter")
        frame = Keyframe(path=media["keyframe"], timecode_s=1.0, shot_id="s01_sh01")
        return judge.judge_json("Spot the sounds.", '{"shot_id": "s01_sh01"}', [frame], ShotSoundEvents)

    def vision_check(result, work: Path):
        assert [e.sound for e in result.events] == ["door slam"]
        assert len(_files(work / "studio" / ".cache" / "vision-judge")) == 1

    embeddings = {"object": "list", "model": "e", "usage": {"prompt_tokens": 2, "total_tokens": 2},
                  "data": [{"object": "embedding", "index": 1, "embedding": [0.0, 3.0, 4.0]},
                           {"object": "embedding", "index": 0, "embedding": [2.0, 0.0, 0.0]}]}
    cached = lambda work: _files(work / "studio")  # noqa: E731 (chat roles leave only cache entries)
    return {
        "text": Role("cinematographer", {chat: chat_reply(json.dumps(SYNOPSIS))}, {f: chat for f in FAULT_MODES},
                     {"wrong_schema": chat_reply('{"name": "not a synopsis"}'), "empty": chat_reply("")},
                     text_call, text_check, cached),
        "embedder": Role("embedder", {emb: Reply(body=embeddings)}, {f: emb for f in FAULT_MODES},
                         {"wrong_schema": Reply(body={"object": "list", "data": [{"object": "embedding", "index": 0,
                                                                                  "vector": [1.0, 2.0]}]}),
                          "empty": Reply(body={"object": "list", "model": "e", "data": []})},
                         embed_call, embed_check, lambda work: _files(work)),
        "voice": Role("voice", {speech: Reply(raw=_wav_bytes(), content_type="audio/wav")}, {f: speech for f in FAULT_MODES},
                      {"wrong_schema": Reply(body={"audio": {"format": "wav", "data": None}}),
                       "empty": Reply(raw=b"", content_type="audio/wav")},  # zero-byte audio
                      voice_call, voice_check, lambda work: _files(work / "vo")),
        # faults spread over the three video endpoints: create, status poll, download
        "video": Role("video", {create: Reply(body=_job("queued")), poll: Reply(body=_job("completed")),
                                download: Reply(raw=media["clip"].read_bytes(), content_type="video/mp4")},
                      {"429": create, "500": poll, "hang": download, "truncated_json": poll,
                       "wrong_schema": create, "empty": download, "empty_body": poll},
                      {"wrong_schema": Reply(body={"job": "vid_1", "state": "queued"}),
                       "empty": Reply(raw=b"", content_type="video/mp4")},  # zero-byte video
                      video_call, video_check, lambda work: _files(work / "shots")),
        "vision": Role("foley/SFX spotter", {chat: chat_reply(json.dumps(EVENTS))}, {f: chat for f in FAULT_MODES},
                       {"wrong_schema": chat_reply('{"sounds": ["door slam"]}'), "empty": chat_reply("")},
                       vision_call, vision_check, cached),
    }


ROLE_KEYS = ("text", "embedder", "voice", "video", "vision")
MATRIX = [(r, f, m) for r in ROLE_KEYS for f in FAULT_MODES for m in MODES]
assert len(MATRIX) == 70  # the tally: 5 roles x 7 faults x 2 modes


def _fault_reply(role: Role, fault: str, route: str, persistent: bool) -> Reply:
    good = role.good[route]
    if fault == "429":
        return rate_limited("0" if persistent else "1")  # transient: check Retry-After is honoured
    if fault == "500":
        return server_error()
    if fault == "hang":
        return hang(good, seconds=2.0)
    if fault == "truncated_json":
        # media endpoints: a JSON (error) body cut short where bytes were expected
        return truncated(good if good.raw is None else Reply(body={"error": {"message": "upstream reset"}}))
    if fault == "empty_body":
        return empty_body()
    return role.bad[fault]


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as srv:
        yield srv


@pytest.mark.parametrize("role_key,fault,mode", MATRIX, ids=[f"{r}-{f}-{m}" for r, f, m in MATRIX])
def test_fault(role_key: str, fault: str, mode: str, server: OpenAIServer, media, tmp_path: Path):
    role = _roles(media)[role_key]
    route = role.fault_route[fault]
    server.reset()
    for r, good in role.good.items():
        if r != route:
            server.queue(r, good)
    persistent = mode == "persistent"
    bad = _fault_reply(role, fault, route, persistent)
    flaky = always(bad) if persistent else transient(bad, role.good[route])
    server.queue(route, flaky)
    path = route.split(" ", 1)[1]

    start = time.monotonic()
    outcome = ""
    if persistent:
        with pytest.raises(ModelRoleError) as err:
            role.call(server.base_url, tmp_path)
        message = outcome = str(err.value)
        assert message.startswith(f"model role '{role.name}' failed: "), message
        assert err.value.role == role.name
        assert __import__("re").search(FAULT_MESSAGE[fault], message), f"{fault!r} not named in: {message}"
        assert role.leftovers(tmp_path) == [], "a failed call left an artifact or a temp file behind"
    else:
        result = role.call(server.base_url, tmp_path)
        role.check(result, tmp_path)
        assert flaky.good_served == 1
        assert not [p for p in role.leftovers(tmp_path) if ".part" in p.name], "temp file left behind"
        if fault == "429":
            assert time.monotonic() - start >= 0.9, "the client did not wait for Retry-After: 1"
    # within the retry budget: the faulty endpoint was asked exactly twice, whatever the fault
    asked = sum(1 for m, p, _b in server.requests if f"{m} {p}" == route)
    assert asked == 2 and flaky.faults_served == (2 if persistent else 1)
    table = os.environ.get("FILMASTER_FAULT_TABLE")  # benchmarks/reliability_tables.py collects these
    if table:
        with open(table, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"role": role.name, "fault": fault, "mode": mode, "route": route, "requests": asked,
                                 "observed": outcome or f"recovered: valid result after {asked} requests",
                                 "artifacts_left": len(role.leftovers(tmp_path)) if persistent else 0}) + "\n")


# --- pipeline level -------------------------------------------------------------------------------

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


def _requests_per_schema(server: OpenAIServer) -> dict[str, int]:
    out: dict[str, int] = {}
    for _m, path, body in server.requests:
        if path.endswith("/chat/completions"):
            name = json.loads(body)["response_format"]["json_schema"]["name"]
            out[name] = out.get(name, 0) + 1
    return out


@pytest.mark.slow
def test_text_role_failing_mid_chain_then_resumes_without_repeated_calls(tmp_path, monkeypatch, studio_with_library):
    """The analyst (edit analysis, after the rough cut and the audience review) answers HTTP 500 for ever:
    the make fails naming the role and the fault, nothing made so far is lost or half-written; once the
    endpoint recovers, the re-make pays only for the analyst: zero repeated calls for answers already had."""
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import CliError, setup_env
    from filmcraft.contracts import FilmRequest
    from filmcraft.store import sha256_file
    from tests.director_llm import DirectorLLM

    director = DirectorLLM()
    state = {"analyst_down": True}

    def responder(request: dict):
        if state["analyst_down"] and request["response_format"]["json_schema"]["name"] == "EditAnalysis":
            return server_error()
        return director(request)

    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", responder)
        for k, v in {"FILMASTER_LLM_BASE_URL": server.base_url, "FILMASTER_LLM_MODEL": "director-test",
                     "FILMASTER_LLM_MAX_RETRIES": "1", "DAGSTER_HOME": str(tmp_path / "dh")}.items():
            monkeypatch.setenv(k, v)
        (tmp_path / "dh").mkdir()
        studio = setup_env(str(tmp_path / "studio"))
        req = FilmRequest(**{**build_request(THEME, "faulty", None, "general", False, 0).model_dump(),
                             "width": 256, "height": 144, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 1})
        with pytest.raises(CliError, match=r"(?s)post_production_job failed for faulty.*edit_analysis: "
                                           r"model role 'analyst' failed: HTTP 500 from the endpoint \(the server "
                                           r'said: "internal error"\); after 1 retry over [\d.]+ s; check the server, '
                                           r"or raise FILMASTER_LLM_MAX_RETRIES \(now 1\)"):
            make_film(req, studio)
        film = studio / "faulty"
        before = _requests_per_schema(server)
        # 1 + FILMASTER_LLM_MAX_RETRIES (1), once: the step's RetryPolicy does not run a model-role fault again
        # (before issue #16: client retry x 3 Dagster attempts = 6 requests)
        assert before["EditAnalysis"] == 2
        assert all(n == 1 for k, n in before.items() if k not in ("EditAnalysis", "ScenePlan")), before
        made = [film / "script" / "synopsis.json", film / "scene_blocks.json", film / "scenes" / "s01" / "clips.json",
                film / "scenes" / "s02" / "clips.json", film / "shots" / "s01_sh01.mp4", film / "shots" / "s02_sh01.mp4",
                film / "cut" / "rough_cut.mp4", film / "cut" / "audience_review.json"]
        assert all(p.exists() and p.stat().st_size > 0 for p in made), [str(p) for p in made if not p.exists()]
        shots_sha = {p.name: sha256_file(p) for p in (film / "shots").glob("*.mp4")}
        assert not (film / "cut" / "edit_analysis.json").exists() and not (film / "final.mp4").exists()
        assert [p for p in studio.rglob("*") if ".part" in p.name] == []  # nothing half-written

        state["analyst_down"] = False  # the endpoint recovers
        make_film(req, studio)
        after = _requests_per_schema(server)
        new = {k: after.get(k, 0) - before.get(k, 0) for k in after if after.get(k, 0) != before.get(k, 0)}
        assert new == {"EditAnalysis": 1}, f"repeated calls for answers already had: {new}"
        assert {p.name: sha256_file(p) for p in (film / "shots").glob("*.mp4")} == shots_sha  # no clip lost or redone
        assert (film / "cut" / "edit_analysis.json").exists() and (film / "final.mp4").stat().st_size > 0
