"""The LLM judge against a local OpenAI-compatible server, through the real openai client."""

from __future__ import annotations

import base64
import json

import pytest
from PIL import Image

from evaluation.criteria import CODES
from evaluation.llm_judge import JudgeVerdict, combine_samples, film_dossier, judge_llm, sample_keyframes, timecode
from filmcraft.contracts import CRITERIA
from filmcraft.store import Studio
from resources.openai_backends import ModelRoleError
from resources.vision import OpenAIVisionJudge, VisionModelResource
from tests.openai_server import OpenAIServer, chat_reply
from tests.test_filmeval import build_keeper_film

ROUTE = "POST /v1/chat/completions"


def verdict(scores: dict[str, int] | int) -> str:
    """A judge answer: every criterion at ``scores`` (an int) or per criterion code."""
    get = (lambda code: scores) if isinstance(scores, int) else (lambda code: scores.get(code, 3))
    return json.dumps({name: {"score": get(CODES[name]), "reason": f"{CODES[name]} seen at 00:01.00"} for name in CRITERIA})


@pytest.fixture(scope="module")
def film(tmp_path_factory):
    return build_keeper_film(tmp_path_factory.mktemp("llm_judge"))


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def test_timecode():
    assert timecode(0) == "00:00.00" and timecode(83.5) == "01:23.50" and timecode(-2) == "00:00.00"


def test_keyframes_are_real_frames_at_shot_midpoints(film, tmp_path):
    frames = sample_keyframes(film, tmp_path, count=8, width=160)
    assert [f.shot_id for f in frames] == ["s01_sh01", "s01_sh02", "s02_sh01"]
    assert [f.timecode_s for f in frames] == [1.0, 3.0, 5.0]  # three 2 s shots
    for f in frames:
        with Image.open(f.path) as img:
            assert img.format == "JPEG" and img.width == 160
    two = sample_keyframes(film, tmp_path / "two", count=2)
    assert [f.shot_id for f in two] == ["s01_sh01", "s02_sh01"]  # evenly chosen, first and last
    with pytest.raises(ValueError, match="at least 1 keyframe"):
        sample_keyframes(film, tmp_path, count=0)


def test_dossier_carries_text_cues_and_transcript(film, tmp_path):
    frames = sample_keyframes(film, tmp_path, count=3)
    text = film_dossier(film, frames)
    assert film.request_text in text
    assert "00:02.20" in text and "The storm came at night." in text  # VO line with its timecode
    assert "sfx" in text and "s02_sh01" in text
    assert "1. 00:01.00 shot s01_sh01" in text


def test_valid_answer_scores_film_with_images_sent(film, server, tmp_path):
    server.queue(ROUTE, chat_reply(verdict({"SF": 5, "NC": 4, "VQ": 2, "CT": 4, "AVR": 2})))
    judge = OpenAIVisionJudge(server.base_url, "vision-test", api_key="sk-judge-secret")
    scores = judge_llm(film, judge, tmp_path, samples=1, keyframes=3)
    got = {CODES[c.criterion]: c for c in scores.criteria}
    assert got["SF"].score == 5 and got["VQ"].score == 2 and got["PLC"].score == 3
    # CL = mean(SF, NC, VQ, CC, PLC) + 0.5 mean(CT, AVR) = (5+4+2+3+3)/5 + 0.5*3 = 4.9
    assert scores.camera_language == pytest.approx(4.9)
    # CRh = mean(VAQ, NP, VAC, CD, OQ) + 0.5 mean(CT, AVR) = 3 + 1.5
    assert scores.cinematic_rhythm == pytest.approx(4.5)
    assert scores.average == pytest.approx((5 + 4 + 2 + 3 + 3 + 3 + 4 + 2 + 3 + 3 + 3 + 3) / 12, abs=1e-3)
    sent = json.loads(server.requests[0][2])
    parts = sent["messages"][1]["content"]
    images = [p for p in parts if p["type"] == "image_url"]
    assert len(images) == 3
    uri = images[0]["image_url"]["url"]
    assert uri.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(uri.split(",", 1)[1])[:2] == b"\xff\xd8"  # a real JPEG
    assert any("00:03.00, shot s01_sh02" in p.get("text", "") for p in parts)
    assert sent["response_format"]["json_schema"]["name"] == "JudgeVerdict"


def test_out_of_range_score_is_refused_and_asked_again_once(film, server, tmp_path):
    server.queue(ROUTE, chat_reply(verdict({"OQ": 7})), chat_reply(verdict(4)))
    scores = judge_llm(film, OpenAIVisionJudge(server.base_url, "vision-test"), tmp_path, samples=1, keyframes=2)
    assert server.calls("/chat/completions") == 2
    assert all(c.score == 4 for c in scores.criteria)
    repair = json.loads(server.requests[1][2])["messages"]
    assert repair[-2]["role"] == "assistant" and '"score": 7' in repair[-2]["content"]
    assert "refused" in repair[-1]["content"] and "overall_quality.score" in repair[-1]["content"]
    assert "(got 7)" in repair[-1]["content"]


def test_two_invalid_answers_fail_naming_the_judge(film, server, tmp_path):
    server.queue(ROUTE, chat_reply(verdict({"VQ": 0})), chat_reply(verdict({"VQ": 6})))
    with pytest.raises(ModelRoleError, match="'FilmEval judge' failed: answer is not a valid JudgeVerdict.*visual_quality"):
        judge_llm(film, OpenAIVisionJudge(server.base_url, "vision-test"), tmp_path, samples=1, keyframes=2)
    assert server.calls("/chat/completions") == 2


def test_missing_criterion_is_refused(film, server, tmp_path):
    partial = json.loads(verdict(3))
    del partial["compelling_degree"]
    server.queue(ROUTE, chat_reply(json.dumps(partial)), chat_reply(verdict(3)))
    judge_llm(film, OpenAIVisionJudge(server.base_url, "vision-test"), tmp_path, samples=1, keyframes=1)
    assert "compelling_degree" in json.loads(server.requests[1][2])["messages"][-1]["content"]


def test_samples_are_averaged_with_their_spread_and_cached(film, server, tmp_path):
    server.queue(ROUTE, chat_reply(verdict(4)), chat_reply(verdict(5)), chat_reply(verdict({"CT": 1})))
    judge = OpenAIVisionJudge(server.base_url, "vision-test", studio=Studio(tmp_path / "studio"))
    scores = judge_llm(film, judge, tmp_path / "kf", samples=3, keyframes=2)
    ct = next(c for c in scores.criteria if c.criterion == "cinematic_techniques")
    sf = next(c for c in scores.criteria if c.criterion == "script_faithfulness")
    assert ct.score == pytest.approx((4 + 5 + 1) / 3, abs=0.01) and ct.measurement["sample_scores"] == "4, 5, 1"
    assert sf.score == pytest.approx(4.0) and sf.measurement["sample_scores"] == "4, 5, 3"
    assert sf.measurement["sample_sd"] == pytest.approx(0.816, abs=1e-3)
    seeds = [json.loads(b)["seed"] for _m, _p, b in server.requests]
    assert seeds == [0, 1, 2]  # samples differ by seed
    assert "3 samples" in scores.judge
    again = judge_llm(film, judge, tmp_path / "kf", samples=3, keyframes=2)
    assert again == scores and server.calls("/chat/completions") == 3  # content-addressed: paid once


def test_combine_samples_by_hand():
    a = JudgeVerdict.model_validate_json(verdict({"SF": 2, "CT": 5, "AVR": 3}))
    b = JudgeVerdict.model_validate_json(verdict({"SF": 4, "CT": 3, "AVR": 3}))
    scores = combine_samples("keeper", "test", [a, b], keyframes=4)
    got = {CODES[c.criterion]: c.score for c in scores.criteria}
    assert got["SF"] == 3.0 and got["CT"] == 4.0
    # CL = mean(3, 3, 3, 3, 3) + 0.5 * mean(4, 3) = 4.75; CRh = 3 + 1.75
    assert scores.camera_language == pytest.approx(4.75) and scores.cinematic_rhythm == pytest.approx(4.75)
    assert scores.derived_from["average"] == [CODES[c] for c in CRITERIA]
    with pytest.raises(ValueError, match="no judge samples"):
        combine_samples("keeper", "test", [], keyframes=1)


def test_api_error_names_the_judge(film, server, tmp_path):
    with pytest.raises(ModelRoleError, match="'FilmEval judge' failed: HTTP 404"):
        judge_llm(film, OpenAIVisionJudge(server.base_url, "vision-test", max_retries=0), tmp_path, samples=1, keyframes=1)


def test_resource_is_offline_without_base_url(monkeypatch):
    assert VisionModelResource().judge() is None
    judge = VisionModelResource(base_url="http://127.0.0.1:9/v1", model="m", samples=2).judge()
    assert isinstance(judge, OpenAIVisionJudge) and judge.name == "openai-compatible:m"
    from resources import build_resources

    monkeypatch.setenv("FILMASTER_VISION_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("FILMASTER_VISION_SAMPLES", "5")
    vision = build_resources()["vision"]
    assert not vision.is_offline and vision.samples == 5


def test_the_judge_speaks_to_a_third_party_server(film, tmp_path, llmock):
    """llmock (PyPI, not ours) answers schema-valid JSON from the request's response_format: the
    judge's protocol holds against a server we did not write, a 429 is retried once, and the
    run-to-run spread of the samples is reported per criterion."""
    judge = OpenAIVisionJudge(llmock.base_url("openai"), "gpt-4o", api_key="sk-third-party")
    scores = judge_llm(film, judge, tmp_path / "a", samples=2, keyframes=3)
    assert scores.judge.startswith("llm-vision-judge") and "2 samples" in scores.judge
    assert len(scores.criteria) == 12
    for c in scores.criteria:
        assert c.basis == "judged" and 1 <= c.score <= 5 and c.reason
        assert c.measurement["samples"] == 2 and c.measurement["sample_sd"] >= 0
    llmock.rate_limit(times=1, retry_after=0.1)
    again = judge_llm(film, judge, tmp_path / "b", samples=2, keyframes=3)
    assert [c.score for c in again.criteria] == [c.score for c in scores.criteria]
    assert len(llmock.requests) == 5  # 2 + 2 samples and the one refused with 429
