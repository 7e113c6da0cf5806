"""A pool caps one external service across runs and processes (README "Run it on a cluster").

Ten film-makers make their films' script stage at once (ten ``script_job`` runs, each in its own
process, as ten ``filmaster make`` commands or the daemon's queued runs would) against one Dagster
instance on PostgreSQL, with every text role pointed at one slow OpenAI-compatible server. The
server's own record of when each request arrived and was answered gives the most requests it had in
flight at once: with ``dagster instance concurrency set filmaster_llm 2`` it never exceeds 2 and
reaches 2; with no limit on the same load it goes above 2, so the pool is what holds it down.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from filmaster_assets.policies import LLM_POOL
from tests.cluster_servers import postgres_server
from tests.director_llm import DirectorLLM
from tests.openai_server import OpenAIServer

FILMS = 10
DELAY_S = 0.4  # each answer takes this long on the server: a slow, rate-limited service
LIMIT = 2
CHAT = "POST /v1/chat/completions"
THEMES = ["a lighthouse keeper finds a message in a bottle", "two rivals share a lifeboat", "a clockmaker loses an hour",
          "a girl teaches a crow to count", "the last tram of the night", "a baker's secret recipe is stolen",
          "an astronaut hears music on the radio", "a fisherman's net brings up a key",
          "a violinist plays for an empty hall", "a boy builds a kite from old maps"]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    with postgres_server(tmp_path_factory.mktemp("pg")) as pg:
        yield pg


class SlowDirector(DirectorLLM):
    """The offline director's answers, each after DELAY_S on the server's handler thread."""

    def __call__(self, request: dict):
        reply = super().__call__(request)
        reply.delay = DELAY_S
        return reply


def max_in_flight(timings, route: str) -> int:
    """The most requests on ``route`` the server was handling at one instant (an answer at the same
    instant as an arrival counts as finished first)."""
    events = sorted([(arrived, 1) for r, arrived, _e, _s in timings if r == route] +
                    [(answered, -1) for r, _a, answered, _s in timings if r == route])
    most = now = 0
    for _t, step in events:
        now += step
        most = max(most, now)
    return most


def make_scripts(tmp: Path, db_url: str, limit: int | None):
    """Ten script stages at once on one instance and studio; returns (max in flight, wall s, director)."""
    home = tmp / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(f"storage:\n  postgres:\n    postgres_url: {db_url}\n"
                                       "concurrency:\n  pools:\n    granularity: op\n")
    director = SlowDirector()
    with OpenAIServer() as server:
        server.queue(CHAT, director)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(home), "FILMASTER_HOME": str(tmp / "studio"),
               "FILMASTER_LLM_BASE_URL": server.base_url, "FILMASTER_LLM_MODEL": "test"}
        for k in [k for k in env if k.startswith("FILMASTER_") and k.endswith("_BASE_URL") and k != "FILMASTER_LLM_BASE_URL"]:
            del env[k]  # every other role offline
        dg.DagsterInstance.from_config(str(home)).dispose()  # the schema, made once before ten processes use it
        if limit is not None:  # the README's way: the dagster CLI on this instance
            subprocess.run([sys.executable, "-m", "dagster", "instance", "concurrency", "set", LLM_POOL, str(limit)],
                           env=env, check=True, capture_output=True, timeout=120)
        procs = [subprocess.Popen([sys.executable, "-m", "tests.script_driver", "--theme", theme,
                                   "--film-id", f"film{i:02d}", "--out", str(tmp / "studio"),
                                   "--ready", str(tmp / f"ready{i}"), "--go", str(tmp / "go")],
                                  env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for i, theme in enumerate(THEMES[:FILMS])]
        try:
            # every film-maker loaded and waiting: their runs then start together, as queued runs launch
            deadline = time.monotonic() + 180
            while not all((tmp / f"ready{i}").exists() for i in range(FILMS)):
                assert time.monotonic() < deadline and all(p.poll() is None for p in procs), \
                    [p.communicate()[0][-1500:] for p in procs if p.poll() is not None]
                time.sleep(0.1)
            t0 = time.monotonic()
            (tmp / "go").touch()
            outputs = [p.communicate(timeout=240)[0] for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        wall = time.monotonic() - t0
        failed = [(i, out[-1500:]) for i, (p, out) in enumerate(zip(procs, outputs)) if p.returncode != 0]
        assert not failed, failed
        most = max_in_flight(server.timings, CHAT)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        runs = instance.get_runs(dg.RunsFilter(job_name="script_job", statuses=[dg.DagsterRunStatus.SUCCESS]))
        assert sorted(r.tags["dagster/partition"] for r in runs) == [f"film{i:02d}" for i in range(FILMS)]
        if limit is not None:
            info = instance.event_log_storage.get_concurrency_info(LLM_POOL)
            assert info.slot_count == limit and not info.claimed_slots  # every slot given back
    finally:
        instance.dispose()
    print(f"\n{FILMS} script stages, limit {limit}: max {most} requests in flight, {wall:.1f}s wall")
    return most, wall, director


def _all_scripts_written(tmp: Path, director: DirectorLLM) -> None:
    # every film asked each text role of the script once, and wrote its scene blocks
    for schema in ("Synopsis", "SimplifiedStoryboard", "DetailedStoryboard", "SceneBlocks"):
        assert director.calls[schema] == FILMS, (schema, director.calls)
    missing = [i for i in range(FILMS) if not (tmp / "studio" / f"film{i:02d}" / "scene_blocks.json").is_file()]
    assert not missing, missing


def test_llm_pool_caps_requests_in_flight_across_ten_runs(postgres, tmp_path):
    most, _wall, director = make_scripts(tmp_path, postgres.create_database("pools_capped"), LIMIT)
    assert most <= LIMIT  # the cap holds across ten processes
    assert most == LIMIT  # and was reached: two runs did call the service side by side
    _all_scripts_written(tmp_path, director)


def test_without_a_limit_the_same_load_floods_the_service(postgres, tmp_path):
    most, _wall, director = make_scripts(tmp_path, postgres.create_database("pools_uncapped"), None)
    assert most > LIMIT  # what the cap holds down
    _all_scripts_written(tmp_path, director)


def test_every_role_that_calls_a_service_runs_in_its_pool():
    """Each step that calls a model service runs in that service's pool when the role is configured
    (one pool per step: the scarcest service it calls); offline roles run on this machine and have none.
    The pools are read when the definitions load, so each case loads them in a fresh process."""
    code = ("import dagster as dg; from filmaster_assets.definitions import defs; "
            "g = defs.get_repository_def().asset_graph; "
            "print({k.to_user_string(): sorted(g.get(k).pools) for k in g.get_all_asset_keys() if g.get(k).pools})")

    def pools(**urls) -> dict:
        env = {k: v for k, v in os.environ.items() if not (k.startswith("FILMASTER_") and k.endswith(("_BASE_URL", "_BACKEND")))}
        env.update({f"FILMASTER_{role}_BASE_URL": "http://127.0.0.1:9/v1" for role in urls}, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        return eval(out.stdout.strip().splitlines()[-1])  # a dict literal printed by the line above

    text = {"synopsis", "simplified_storyboard", "detailed_storyboard", "scene_blocks", "audience_profile", "shot_plans",
            "audience_review", "edit_analysis"}
    offline = pools()
    assert offline == {**{a: ["filmaster_llm"] for a in text}, "reference_images": ["filmaster_image"]}
    online = pools(VISION=1, TTS=1, EMBED=1, VIDEO=1)
    assert {a: p for a, p in online.items() if a not in offline} == {
        "clips": ["filmaster_video_openai"], "filmeval_scores": ["filmaster_vision"], "sound_design": ["filmaster_vision"],
        "rough_cut": ["filmaster_voice"], "scene_references": ["filmaster_embeddings"],
        "source_embeddings": ["filmaster_embeddings"], "audio_library_index": ["filmaster_embeddings"],
        "clip_caption_index": ["filmaster_embeddings"], "visual_library_index": ["filmaster_embeddings"]}
    # a step calling several services is capped on the first one configured
    speech_only = pools(TTS=1)
    assert speech_only["sound_design"] == speech_only["rough_cut"] == ["filmaster_voice"] and "clips" not in speech_only
    assert pools(EMBED=1)["clips"] == ["filmaster_embeddings"]
