"""Per-film budgets: the ledger (exact across processes), the limits, and two films that run out of
budget: an offline one out of video seconds, one on the local LLM server out of tokens. Each stops
with a message naming the budget, keeps what was made, and finishes when the budget is raised
without paying twice for anything."""

from __future__ import annotations

import json
import multiprocessing
import re

import dagster as dg
import pytest

from filmcraft.budget import Budget, BudgetExceeded, budget_defaults_from_env
from filmcraft.contracts import FilmRequest

THEME = ("At night in the harbour, Mara chases a thief along the wet docks. "
         "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")


def _budget(tmp_path, **limits) -> Budget:
    return Budget(tmp_path / "film", FilmRequest(film_id="film", text="a compass", **limits))


def _spend(film_dir: str, n: int) -> None:
    budget = Budget(film_dir, FilmRequest(film_id="film", text="a compass"))
    for _ in range(n):
        budget.add_llm_tokens(3)
        with budget.video_render(0.25, "s01_sh01"):
            pass


def test_ledger_sums_exactly_across_two_processes(tmp_path):
    film = tmp_path / "film"
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_spend, args=(str(film), 150)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    ledger = _budget(tmp_path).read()
    assert (ledger.llm_tokens, ledger.llm_requests) == (2 * 150 * 3, 300)
    assert (ledger.video_seconds, ledger.video_shots) == (pytest.approx(2 * 150 * 0.25), 300)
    assert json.loads((film / "budget.json").read_text())["llm_tokens"] == 900
    assert [p.name for p in film.iterdir() if ".part" in p.name] == []


def test_llm_budget_refuses_the_request_after_the_limit(tmp_path):
    budget = _budget(tmp_path, llm_token_budget=50)
    budget.check_llm("writer")
    assert budget.add_llm_tokens(30) == 30
    budget.check_llm("story editor")  # 30 < 50: the request that crosses the limit is still sent
    assert budget.add_llm_tokens(30) == 60
    with pytest.raises(BudgetExceeded) as err:
        budget.check_llm("storyboard artist")
    msg = str(err.value)
    for part in ("LLM token budget exceeded", "limit 50", "used 60", "'storyboard artist'", "FILMASTER_LLM_TOKEN_BUDGET",
                 "--llm-token-budget", "Everything made so far is kept"):
        assert part in msg, msg
    assert _budget(tmp_path).read().llm_tokens == 60  # unlimited budgets still record spending


def test_vision_answers_spend_the_film_token_budget(tmp_path):
    """The vision role (foley spotter, FilmEval judge) is charged to the same LLM token budget; an
    endpoint that reports no usage is estimated without counting the images' base64 as text."""
    import numpy as np
    from PIL import Image
    from pydantic import BaseModel

    from filmcraft.roles import Keyframe
    from resources.vision import VisionModelResource
    from tests.openai_server import OpenAIServer, Reply, chat_reply

    class Seen(BaseModel):
        ok: int

    frame = tmp_path / "key.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (96, 96, 3), dtype=np.uint8)).save(frame)
    frames = [Keyframe(path=frame, timecode_s=1.0, shot_id="s01_sh01")]
    assert frame.stat().st_size > 20_000  # its base64 alone would be ~7,000 "tokens" at 4 characters each
    budget = _budget(tmp_path, llm_token_budget=30)
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply('{"ok": 1}'))  # usage: 20 tokens
        server.queue("POST /v1/chat/completions", Reply(body={
            "id": "c", "object": "chat.completion", "created": 0, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": '{"ok": 2}'}}]}))
        judge = VisionModelResource(base_url=server.base_url, model="m", max_retries=0).judge(
            role="foley/SFX spotter", budget=budget)
        assert judge.judge_json("look", "shot one", frames, Seen).ok == 1
        assert budget.read().llm_tokens == 20
        assert judge.judge_json("look", "shot two", frames, Seen).ok == 2  # 20 < 30: still sent
        ledger = budget.read()
        estimated = ledger.llm_tokens - 20
        assert ledger.llm_tokens_estimated == estimated and 85 < estimated < 400, ledger
        with pytest.raises(dg.Failure, match=rf"LLM token budget exceeded: limit 30, used {ledger.llm_tokens}, the next request \(role 'foley/SFX spotter'\) was not sent"):
            judge.judge_json("look", "shot three", frames, Seen)
        assert len(server.requests) == 2


def test_video_budget_reserves_and_refunds(tmp_path):
    budget = _budget(tmp_path, video_seconds_budget=10)
    with budget.video_render(4.0, "s01_sh01"):
        assert budget.read().video_seconds == 4.0  # reserved while rendering: a parallel scene sees it
    with pytest.raises(RuntimeError, match="render crashed"):
        with budget.video_render(5.0, "s01_sh02"):
            raise RuntimeError("render crashed")
    assert budget.read().video_seconds == 4.0  # a failed render gives its seconds back
    with budget.video_render(6.0, "s01_sh02"):  # 4 + 6 = 10: exactly at the limit is allowed
        pass
    with pytest.raises(BudgetExceeded, match=r"video seconds budget exceeded: limit 10, used 10, shot s02_sh01 "
                                             r"needs 1 s more.*FILMASTER_VIDEO_SECONDS_BUDGET"):
        with budget.video_render(1.0, "s02_sh01"):
            pytest.fail("a refused render must not run")
    assert budget.read().video_shots == 2


def test_limits_validated_and_read_from_the_environment(tmp_path, monkeypatch):
    from filmaster_assets.cli.film import build_request
    from filmaster_assets.cli.runtime import CliError

    with pytest.raises(ValueError, match="llm_token_budget"):
        FilmRequest(film_id="f", text="x", llm_token_budget=0)
    assert budget_defaults_from_env({}) == {}
    assert budget_defaults_from_env({"FILMASTER_LLM_TOKEN_BUDGET": "5000", "FILMASTER_VIDEO_SECONDS_BUDGET": "12.5"}) == \
        {"llm_token_budget": 5000, "video_seconds_budget": 12.5}
    monkeypatch.setenv("FILMASTER_VIDEO_SECONDS_BUDGET", "30")
    req = build_request("a compass in the harbour", "f", None, "general", False, 0)
    assert (req.llm_token_budget, req.video_seconds_budget) == (None, 30.0)
    assert build_request("a compass", "f", None, "general", False, 0, video_seconds_budget=8).video_seconds_budget == 8
    monkeypatch.setenv("FILMASTER_LLM_TOKEN_BUDGET", "lots")
    with pytest.raises(CliError, match="FILMASTER_LLM_TOKEN_BUDGET='lots' is not a number"):
        build_request("a compass", "f", None, "general", False, 0)
    monkeypatch.delenv("FILMASTER_LLM_TOKEN_BUDGET")
    with pytest.raises(CliError, match="--video-seconds-budget"):
        build_request("a compass", "f", None, "general", False, 0, video_seconds_budget=0.5)
    with pytest.raises(ValueError, match="no request.json"):
        Budget.for_film(tmp_path)


def _retries(instance, message: str) -> int:
    """STEP_UP_FOR_RETRY events in the runs a CLI failure message names."""
    return sum(len(instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY))
               for run_id in re.findall(r"\(run ([0-9a-f-]{36})\)", message))


@pytest.mark.slow
def test_offline_film_stops_at_its_video_budget_and_resumes(tmp_path, monkeypatch, studio_with_library):
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import CliError, setup_env
    from filmcraft.contracts import ScenePlan
    from filmcraft.store import read_model

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dh"))
    (tmp_path / "dh").mkdir()
    studio = setup_env(str(tmp_path / "studio"))
    small = {"width": 256, "height": 144, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 2}
    req = FilmRequest(**{**build_request(THEME, "vbud", None, "general", False, 0, video_seconds_budget=5).model_dump(),
                         **small})
    with pytest.raises(CliError, match=r"(?s)scenes failed.*clips: film 'vbud': video seconds budget exceeded: "
                                       r"limit 5, used .*Everything made so far is kept") as err:
        make_film(req, studio)
    assert _retries(dg.DagsterInstance.get(), str(err.value)) == 0  # a spent budget is not retried
    film = studio / "vbud"
    ledger = Budget.for_film(film).read()
    assert 0 < ledger.video_seconds <= 5 and ledger.video_shots >= 1
    made = sorted((studio / ".cache" / "clips").glob("*.mp4"))
    assert len(made) == ledger.video_shots  # every charged second is a clip kept on disk
    inodes = {p: p.stat().st_ino for p in made}
    assert not (film / "final.mp4").exists()
    assert [p for p in studio.rglob("*") if ".part" in p.name] == []

    raised = req.model_copy(update={"video_seconds_budget": 120.0})
    make_film(raised, studio)
    plans = [s for sc in ("s01", "s02") for s in read_model(film / "scenes" / sc / "shot_plan.json", ScenePlan).shots]
    after = Budget.for_film(film).read()
    # each shot charged exactly once over both runs: the clips made before the limit were reused
    assert after.video_shots == len(plans) == 4
    assert after.video_seconds == pytest.approx(sum(s.camera.duration_s for s in plans))
    assert all(p.stat().st_ino == ino for p, ino in inodes.items())
    assert (film / "final.mp4").stat().st_size > 0


@pytest.mark.slow
def test_llm_token_budget_stops_the_script_chain_and_keeps_its_outputs(tmp_path, monkeypatch, capsys,
                                                                   studio_with_library):
    from filmaster_assets.cli import main
    from filmaster_assets.cli.film import build_request, make_film
    from filmaster_assets.cli.runtime import setup_env
    from tests.director_llm import DirectorLLM
    from tests.openai_server import OpenAIServer

    director = DirectorLLM()  # every answer reports usage.total_tokens = 20
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", director)
        for k, v in {"FILMASTER_LLM_BASE_URL": server.base_url, "FILMASTER_LLM_MODEL": "director-test",
                     "DAGSTER_HOME": str(tmp_path / "dh")}.items():
            monkeypatch.setenv(k, v)
        (tmp_path / "dh").mkdir()
        out = str(tmp_path / "studio")
        code = main(["make", "--text", THEME, "--film-id", "tok", "--out", out, "--llm-token-budget", "50"])
        stderr = capsys.readouterr().err
        assert code == 2 and "Traceback" not in stderr
        assert re.search(r"scene_blocks: film 'tok': LLM token budget exceeded: limit 50, used 60, the next request "
                         r"\(role 'scene structurer'\) was not sent.*--llm-token-budget", stderr), stderr
        assert _retries(dg.DagsterInstance.get(), stderr) == 0
        assert dict(director.calls) == {"Synopsis": 1, "SimplifiedStoryboard": 1, "DetailedStoryboard": 1}
        film = tmp_path / "studio" / "tok"
        for kept in ("synopsis", "simplified_storyboard", "detailed_storyboard"):
            assert (film / "script" / f"{kept}.json").stat().st_size > 0
        assert not (film / "scene_blocks.json").exists()
        ledger = Budget.for_film(film).read()
        assert (ledger.llm_tokens, ledger.llm_requests, ledger.llm_tokens_estimated) == (60, 3, 0)

        # raised budget: the film is finished and the chain already paid for is not asked again
        studio = setup_env(out)
        req = FilmRequest(**{**build_request(THEME, "tok", None, "general", False, 0, llm_token_budget=5000).model_dump(),
                             "width": 256, "height": 144, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 1})
        make_film(req, studio)
        assert director.calls["Synopsis"] == director.calls["SimplifiedStoryboard"] == director.calls["DetailedStoryboard"] == 1
        assert director.calls["SceneBlocks"] == 1
        final = Budget.for_film(film).read()
        assert final.llm_tokens == 20 * sum(director.calls.values()) and final.llm_tokens <= 5000
        assert (film / "final.mp4").stat().st_size > 0
