"""Every model role against third-party OpenAI-compatible servers from PyPI, with the real ``openai``
client, requests counted on the server's side and checked against the README's counts
("Point a model role at a real endpoint": lasting transient fault 1 + max_retries, a 4xx 1, an invalid
answer 2).

- **llmock 0.2.2** (``llmock`` pytest fixture): speaks ``/v1/chat/completions`` (the text roles, and the
  vision role: FilmEval judge, foley/SFX spotter) and ``/v1/embeddings``; it answers schema-valid JSON
  from ``response_format``. Fault modes used: ``Fail`` (429 with Retry-After / retry-after-ms, 500,
  503, 401, 404, a 400 context overflow), ``Delay`` (latency past the client's timeout), scripted
  ``Reply`` text (a malformed or a truncated answer; chat only: scripted replies do not reach its
  embeddings route), and its resilience verdict, judged from its journal, which must report no FAIL
  (and here no WARN either) for any case.
- **fakellm 0.3.5** (a second, independent implementation, run in-process with uvicorn): speaks
  ``/v1/chat/completions`` only, so the text and vision roles. Its rules script per conversation turn
  and per previous message role (so the repair turn is told apart) an answer or an HTTP status with
  the server's own error message; it sends no Retry-After, so its 429s exercise the plain backoff.
  Requests are counted from its own per-rule stats.
- **Neither speaks** ``/v1/audio/speech`` (voice) or ``/v1/videos`` (video), and fakellm no
  ``/v1/embeddings``: asked anyway they answer 404, which the role reports once, not retried, naming its
  MODEL and BASE_URL variables (checked below). Those roles' faults are covered by our own server
  (``tests/openai_server.py``) in ``tests/test_faults.py`` (every fault x every role) and
  ``tests/test_openai_backends.py``.

The last test drives a whole film with the text role pointed at llmock (slow: it renders).
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest

from filmcraft.contracts import Synopsis
from resources.openai_backends import ModelRoleError, OpenAIChatModel, OpenAIEmbedder
from resources.openai_media import OpenAIVideo, OpenAIVoice

KEY = "sk-proj-T3rdP4rtyK3y0000aaaa1111bbbb"  # made up; must never appear in a message
RETRIES = 2  # FILMASTER_<ROLE>_MAX_RETRIES for these tests: a lasting transient fault costs 1 + 2 requests
TIMEOUT_S = 0.5
VERDICTS = os.environ.get("FILMASTER_VERDICT_LOG")  # set to collect llmock's verdict texts (for the docs)

SYNOPSIS = {"title": "The Compass", "logline": "A fisherwoman finds a compass.", "synopsis": "Mara finds a compass.",
            "genre": "drama", "mood": "melancholic", "characters": [{"name": "Mara", "description": "fisherwoman"}],
            "locations": [{"name": "harbour", "description": "old stone harbour"}]}
EVENTS = {"events": [{"sound": "door slam", "kind": "sfx", "at": 0.5, "loop": False}]}


@pytest.fixture(scope="module")
def keyframe(tmp_path_factory) -> Path:
    from PIL import Image

    path = tmp_path_factory.mktemp("frames") / "keyframe.png"
    Image.new("RGB", (64, 36), (30, 60, 90)).save(path)
    return path


@dataclass
class Role:
    name: str  # as errors name it
    env: str  # FILMASTER_<env>_*
    path: str  # the route it speaks
    call: Callable[[str, float], object]  # (base_url, timeout_s) -> result
    valid: str  # a schema-valid answer (chat roles)


def _roles(keyframe: Path) -> dict[str, Role]:
    from filmcraft.roles import Keyframe
    from filmcraft.sound_design import ShotSoundEvents
    from resources.vision import OpenAIVisionJudge

    def text(base: str, timeout: float):
        model = OpenAIChatModel(base, "gpt-4o-mini", api_key=KEY, timeout_s=timeout, max_retries=RETRIES)
        return model.complete_json("writer", "Write the synopsis.", {"theme": "a compass in a harbour"}, Synopsis)

    def vision(base: str, timeout: float):
        judge = OpenAIVisionJudge(base, "gpt-4o", api_key=KEY, timeout_s=timeout, max_retries=RETRIES,
                                  role="foley/SFX spotter")
        frame = Keyframe(path=keyframe, timecode_s=1.0, shot_id="s01_sh01")
        return judge.judge_json("Spot the sounds.", '{"shot_id": "s01_sh01"}', [frame], ShotSoundEvents)

    def embed(base: str, timeout: float):
        return OpenAIEmbedder(base, "text-embedding-3-small", api_key=KEY, timeout_s=timeout,
                              max_retries=RETRIES).encode(["a harbour at night", "a lighthouse at dawn"])

    return {"text": Role("writer", "LLM", "/v1/chat/completions", text, json.dumps(SYNOPSIS)),
            "vision": Role("foley/SFX spotter", "VISION", "/v1/chat/completions", vision, json.dumps(EVENTS)),
            "embeddings": Role("embedder", "EMBED", "/v1/embeddings", embed, "")}


def _check_result(role_key: str, result) -> None:
    if role_key == "text":
        assert isinstance(result, Synopsis) and result.title
    elif role_key == "vision":
        assert result.events and result.events[0].sound
    else:
        assert result.shape == (2, 1536)
        np.testing.assert_allclose(np.linalg.norm(result, axis=1), 1.0, atol=1e-5)


def _clean(message: str) -> None:
    assert KEY not in message and KEY[:12] not in message, message


# --- llmock ---------------------------------------------------------------------------------------

@dataclass
class Case:
    inject: Callable  # (llmock, role) -> None
    outcome: str  # "ok" or a regex the ModelRoleError must match ({var} is the role's prefix)
    requests: int  # the README's count, on the server
    chat_only: bool = False
    min_gap_s: float = 0.0  # the server must see at least this wait before the retry


LLMOCK_CASES = {
    # transient: recovered within the budget, Retry-After waited for
    "rate_limit_once": Case(lambda m, r: m.rate_limit(times=1, retry_after=1.0), "ok", 2, min_gap_s=1.0),
    "latency_once": Case(lambda m, r: m.delay(1.5, times=1), "ok", 2),
    # lasting transient: 1 + max_retries, then the role, the fault, the retries and the variable
    "rate_limit_lasting": Case(lambda m, r: m.fail(429, times=None, retry_after=0.3, message="Rate limit reached for "
                                                   "requests per min. Please try again in 300ms."),
                               r"rate limited \(HTTP 429\) \(the server said: \"Rate limit reached for requests per "
                               r"min\. Please try again in 300ms\.\"\); after 2 retries over [\d.]+ s; .*raise "
                               r"FILMASTER_{var}_MAX_RETRIES \(now 2\)", 3, min_gap_s=0.3),
    "server_error_lasting": Case(lambda m, r: m.fail(500, times=None),
                                 r"HTTP 500 from the endpoint \(the server said: \"Internal server error\.\"\); after 2 "
                                 r"retries over [\d.]+ s; check the server, or raise FILMASTER_{var}_MAX_RETRIES", 3),
    "outage_503": Case(lambda m, r: m.outage(status=503),
                       r"HTTP 503 from the endpoint \(the server said: \"Service unavailable\.\"\); after 2 retries", 3,
                       min_gap_s=1.0),  # llmock's 503 asks for Retry-After: 1
    "latency_lasting": Case(lambda m, r: m.delay(1.5, times=None),
                            r"the endpoint timed out: no answer within 0\.5 s; after 2 retries over [\d.]+ s; raise "
                            r"FILMASTER_{var}_TIMEOUT \(now 0\.5 s\)", 3),
    # never transient: one request, the server's words, the variable to change
    "unauthorized": Case(lambda m, r: m.fail(401, times=None, code="invalid_api_key",
                                             message=f"Incorrect API key provided: {KEY[:12]}****************bbbb. You can "
                                                     "find your API key at https://platform.openai.com/account/api-keys."),
                         r"HTTP 401 from the endpoint \(the server said: \"Incorrect API key provided: \[redacted\]\. "
                         r"You can find your API key at .*\"\); not retried: HTTP 401 is not transient; set "
                         r"FILMASTER_{var}_API_KEY to a key this endpoint accepts", 1),
    "model_not_found": Case(lambda m, r: m.fail(404, times=None, code="model_not_found",
                                                message="The model `gpt-nope` does not exist or you do not have access "
                                                        "to it."),
                            r"HTTP 404 from the endpoint \(the server said: \"The model `gpt-nope` does not exist.*\"\); "
                            r"not retried: HTTP 404 is not transient; check FILMASTER_{var}_MODEL", 1),
    "context_overflow": Case(lambda m, r: m.context_overflow(times=None),
                             r"HTTP 400 from the endpoint \(the server said: \"This model's maximum context length was "
                             r"exceeded\.\"\); not retried: HTTP 400 is not transient; the endpoint refused the request",
                             1),
    # answer faults (chat roles): exactly one repair request
    "malformed_lasting": Case(lambda m, r: m.reply("Sure! Here is the JSON you asked for: a compass story.", times=None),
                              r"answer is not a valid \w+ JSON \(truncated or garbled JSON\) after one repair request "
                              r"\(2 requests; the same fault both times\): answer: Invalid JSON.*; the answer began "
                              r"'Sure! Here is the JSON you asked for", 2, chat_only=True),
    "truncated_once": Case(lambda m, r: m.reply(r.valid[: len(r.valid) // 2], times=1), "ok", 2, chat_only=True),
}
LLMOCK_MATRIX = [(r, c) for r in ("text", "vision", "embeddings") for c in LLMOCK_CASES
                 if not (LLMOCK_CASES[c].chat_only and r == "embeddings")]


@pytest.mark.parametrize("role_key,case", LLMOCK_MATRIX, ids=[f"{r}-{c}" for r, c in LLMOCK_MATRIX])
def test_llmock(llmock, keyframe, role_key: str, case: str):
    role, spec = _roles(keyframe)[role_key], LLMOCK_CASES[case]
    spec.inject(llmock, role)
    if spec.outcome == "ok":
        _check_result(role_key, role.call(llmock.base_url("openai"), TIMEOUT_S))
    else:
        with pytest.raises(ModelRoleError) as err:
            role.call(llmock.base_url("openai"), TIMEOUT_S)
        message = str(err.value)
        assert message.startswith(f"model role '{role.name}' failed: "), message
        assert re.search(spec.outcome.replace("{var}", role.env), message), message
        _clean(message)
    records = [r for r in llmock.requests if r.path == role.path]
    assert len(records) == spec.requests, [(r.status, r.fault) for r in records]
    if spec.min_gap_s:
        gaps = [b.started_at - a.ended_at for a, b in zip(records, records[1:])]
        assert min(gaps) >= spec.min_gap_s, gaps
    if case == "truncated_once":  # the repair turn showed the model its own cut answer
        repair = records[1].body["messages"]
        assert repair[-2] == {"role": "assistant", "content": role.valid[: len(role.valid) // 2]}
    verdict = llmock.verdict()
    if VERDICTS:
        with open(VERDICTS, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"role": role.name, "case": case, "requests": len(records),
                                 "verdict": verdict.render()}) + "\n")
    assert verdict.passed and not verdict.warnings, verdict.render()


def test_llmock_answers_every_text_and_vision_schema_it_is_asked(llmock, keyframe):
    """No fault: llmock's schema-following answers validate for a chat role and a vision role, one request
    each, and its embeddings are 1536-d vectors; the verdict is a clean PASS."""
    for key in ("text", "vision", "embeddings"):
        _check_result(key, _roles(keyframe)[key].call(llmock.base_url("openai"), 10))
    assert len(llmock.requests) == 3
    assert "PASS" in llmock.verdict().render()


@pytest.mark.parametrize("role_key", ["voice", "video"])
def test_llmock_has_no_speech_or_video_route_and_the_role_says_so_once(llmock, tmp_path, role_key):
    """llmock does not speak /audio/speech or /videos: a 404, sent once, naming the role's variables."""
    base = llmock.base_url("openai")
    env = {"voice": "TTS", "video": "VIDEO"}[role_key]
    with pytest.raises(ModelRoleError, match=rf"model role '{role_key}' failed: HTTP 404 from the endpoint .*not "
                                             rf"retried: HTTP 404 is not transient; check FILMASTER_{env}_MODEL .* and "
                                             rf"FILMASTER_{env}_BASE_URL"):
        if role_key == "voice":
            OpenAIVoice(base, "tts-1", api_key=KEY, max_retries=RETRIES).speak("Hello.", "alloy", tmp_path / "vo.wav")
        else:
            OpenAIVideo(base, "sora-2", api_key=KEY, max_retries=RETRIES).render("a harbour", None, 4.0, 256, 144,
                                                                                 tmp_path / "clip.mp4")
    assert len(llmock.requests) == 1 and list(tmp_path.iterdir()) == []
    assert llmock.verdict().passed


# --- fakellm --------------------------------------------------------------------------------------

class FakeLLM:
    """fakellm's FastAPI app on a loopback port in a daemon thread (its state is module-level)."""

    def __init__(self):
        import uvicorn
        from fakellm import server

        self.module = server
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.sock, self.port = sock, sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(server.app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "fakellm did not start"
            time.sleep(0.01)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def rules(self, *rules: dict) -> None:
        """Replace its rules (first match wins) and forget its stats and conversations."""
        from fakellm import _state
        from fakellm.config import Config

        self.module._config = Config(rules=list(rules))
        self.module._stats.clear()
        _state.reset()

    @property
    def served(self) -> dict[str, int]:
        """Requests answered, per matched rule (fakellm's own stats)."""
        return dict(self.module._stats)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture(scope="module")
def fakellm():
    server = FakeLLM()
    yield server
    server.stop()


def _rule(name: str, respond: dict, **when) -> dict:
    return {"name": name, "when": when, "respond": respond}


FAKELLM_CASES = {
    # (rules given the role's valid answer, outcome, requests per rule)
    "valid": (lambda ok: [_rule("answer", {"content": ok})], "ok", {"answer": 1}),
    "server_error_once": (lambda ok: [_rule("overloaded", {"status": 503, "error": "upstream overloaded"}, turn=1),
                                      _rule("answer", {"content": ok})], "ok", {"overloaded": 1, "answer": 1}),
    "server_error_lasting": (lambda ok: [_rule("down", {"status": 500, "error": "upstream model crashed"})],
                             r"HTTP 500 from the endpoint \(the server said: \"upstream model crashed\"\); after 2 "
                             r"retries over [\d.]+ s", {"down": 3}),
    "rate_limit_lasting": (lambda ok: [_rule("limited", {"status": 429, "error": "Rate limit reached"})],
                           r"rate limited \(HTTP 429\) \(the server said: \"Rate limit reached\"\); after 2 retries "
                           r"over [\d.]+ s; .*FILMASTER_{var}_MAX_RETRIES", {"limited": 3}),
    "unauthorized": (lambda ok: [_rule("denied", {"status": 401, "error": f"Incorrect API key provided: {KEY}."})],
                     r"HTTP 401 from the endpoint \(the server said: \"Incorrect API key provided: \[redacted\]\.\"\); "
                     r"not retried: HTTP 401 is not transient; set FILMASTER_{var}_API_KEY", {"denied": 1}),
    # the repair turn (the model's own answer, then ours) is matched by its previous message's role
    "invalid_then_repaired": (lambda ok: [_rule("repair_turn", {"content": ok}, previous_message_role="assistant"),
                                          _rule("chatty", {"content": "I think the answer is a compass."})],
                              "ok", {"chatty": 1, "repair_turn": 1}),
    "invalid_lasting": (lambda ok: [_rule("wrong", {"content": '{"note": "no schema here"}'})],
                        r"answer is not a valid \w+ JSON \(wrong schema\) after one repair request \(2 requests; the "
                        r"same fault both times\): \w+: Field required.*; the answer began '\{\"note\": \"no schema "
                        r"here\"\}'", {"wrong": 2}),
}
FAKELLM_MATRIX = [(r, c) for r in ("text", "vision") for c in FAKELLM_CASES]


@pytest.mark.parametrize("role_key,case", FAKELLM_MATRIX, ids=[f"{r}-{c}" for r, c in FAKELLM_MATRIX])
def test_fakellm(fakellm, keyframe, role_key: str, case: str):
    role = _roles(keyframe)[role_key]
    rules, outcome, served = FAKELLM_CASES[case]
    fakellm.rules(*rules(role.valid))
    if outcome == "ok":
        _check_result(role_key, role.call(fakellm.base_url, 10))
    else:
        with pytest.raises(ModelRoleError) as err:
            role.call(fakellm.base_url, 10)
        message = str(err.value)
        assert message.startswith(f"model role '{role.name}' failed: "), message
        assert re.search(outcome.replace("{var}", role.env), message), message
        _clean(message)
    assert fakellm.served == served


@pytest.mark.parametrize("role_key", ["embeddings", "voice", "video"])
def test_fakellm_speaks_chat_only_and_other_roles_say_so_once(fakellm, keyframe, tmp_path, role_key):
    fakellm.rules(_rule("answer", {"content": "{}"}))
    base = fakellm.base_url
    env = {"embeddings": "EMBED", "voice": "TTS", "video": "VIDEO"}[role_key]
    name = {"embeddings": "embedder", "voice": "voice", "video": "video"}[role_key]
    with pytest.raises(ModelRoleError, match=rf"model role '{name}' failed: HTTP 404 from the endpoint \(the server said: "
                                             rf"\"Not Found\"\); not retried: HTTP 404 is not transient; check "
                                             rf"FILMASTER_{env}_MODEL"):
        if role_key == "embeddings":
            _roles(keyframe)["embeddings"].call(base, 10)
        elif role_key == "voice":
            OpenAIVoice(base, "tts-1", api_key=KEY, max_retries=RETRIES).speak("Hello.", "alloy", tmp_path / "vo.wav")
        else:
            OpenAIVideo(base, "sora-2", api_key=KEY, max_retries=RETRIES).render("a harbour", None, 4.0, 256, 144,
                                                                                 tmp_path / "clip.mp4")
    assert fakellm.served == {} and list(tmp_path.iterdir()) == []



# --- a whole film from a schema-following server --------------------------------------------------

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


@pytest.mark.slow
def test_llmock_drives_a_whole_film_to_the_end(llmock, studio_with_library, tmp_path, monkeypatch):
    """The text role pointed at llmock, whose schema-valid answers are placeholders ('mock-title', scenes
    with no voice-over and no dialogue, which the contract allows): `filmaster make`'s own path delivers
    final.mp4 with picture and sound, every text stage asked exactly once, no fault, a PASS verdict."""
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import setup_env
    from filmcraft.contracts import FilmRequest
    from filmcraft.media import probe

    for k, v in {"FILMASTER_LLM_BASE_URL": llmock.base_url("openai"), "FILMASTER_LLM_MODEL": "gpt-4o-mini",
                 "FILMASTER_LLM_API_KEY": KEY, "DAGSTER_HOME": str(tmp_path / "dh")}.items():
        monkeypatch.setenv(k, v)
    (tmp_path / "dh").mkdir()
    studio = setup_env(str(studio_with_library))
    req = FilmRequest(**{**build_request(THEME, "mocked", None, "general", False, 0).model_dump(),
                         "width": 256, "height": 144, "fps": 12, "max_scenes": 1, "max_shots_per_scene": 1})
    film = make_film(req, studio)
    info = probe(film / "final.mp4")
    assert info.has_video and info.has_audio and info.duration_s > 0
    chats = [r for r in llmock.requests if r.path.endswith("/chat/completions")]
    schemas = [r.body["response_format"]["json_schema"]["name"] for r in chats]
    assert all(r.status == 200 for r in chats) and len(schemas) == len(set(schemas)), schemas
    assert {"Synopsis", "SceneBlocks", "ScenePlan", "AudienceReview", "EditAnalysis"} <= set(schemas), schemas
    assert llmock.verdict().passed
    assert not any(KEY.encode() in p.read_bytes() for p in studio.rglob("*") if p.is_file() and p.suffix in
                   (".json", ".jsonl", ".otio", ".txt", ".log"))
