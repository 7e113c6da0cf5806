"""Steps on Dagster's own ``dagster-celery`` executor: a real Redis broker, two ``filmaster worker``
processes, a Dagster instance on a real PostgreSQL (tests/cluster_servers.py).

A film made with FILMASTER_EXECUTOR=celery is byte-identical to the same film made in one process; a
worker's pool process SIGKILLed while it renders a scene's clips costs that step once more (the task is
delivered again, task_acks_late + task_reject_on_worker_lost, filmaster_assets/execution.py), not the run.

Comparison (``fingerprint``): every file of the film folder. JSON and the OTIO timeline are parsed, with
the studio and library folders replaced by placeholders (each film has a studio of its own, and the
built-in audio rows point into the library template); everything else (mp4, wav, png, cube, ...) by
sha256. The one run-specific field ignored: budget.json's ``updated_at``, the wall-clock time of the
ledger's last change. Nothing else in a film records a run id, a host or a time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cluster_servers import celery_workers, postgres_server, redis_server
from tests.crashkit import HARBOUR, film_cmd, film_env, run_ok, spawn, studio_from_template, tail, temp_names
from tests.test_concurrency import _normalised, _roots

pytestmark = pytest.mark.slow

FILM = "tiny"
IGNORED = {"budget.json": {"updated_at"}}  # see the module docstring


def fingerprint(studio: Path, template: Path) -> dict[str, object]:
    film, roots = studio / FILM, _roots(studio, template)
    out: dict[str, object] = {}
    for path in sorted(p for p in film.rglob("*") if p.is_file()):
        rel = str(path.relative_to(film))
        if path.suffix in (".json", ".otio"):
            doc = _normalised(json.loads(path.read_text(encoding="utf-8")), roots)
            out[rel] = {k: v for k, v in doc.items() if k not in IGNORED.get(rel, ())} if isinstance(doc, dict) else doc
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def differing(a: dict, b: dict) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    base = tmp_path_factory.mktemp("servers")
    with postgres_server(base / "postgres") as pg, redis_server(base / "redis") as redis:
        yield pg, redis


def studio_env(base: Path, name: str, template: Path, servers, celery: bool) -> tuple[Path, dict[str, str]]:
    """A studio (the session's library copied in) and the environment of every process that works on it:
    its own Dagster instance on Postgres; the broker when its steps go to Celery workers."""
    pg, redis = servers
    studio = studio_from_template(template, base / "studio")
    env = film_env(base, base / "dagster_home")
    (base / "dagster_home" / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {pg.create_database(name)}\n",
        encoding="utf-8")
    env["FILMASTER_HOME"] = str(studio)
    if celery:
        env.update(FILMASTER_EXECUTOR="celery", FILMASTER_CELERY_BROKER=redis.url())
    return studio, env


class Instance:
    """The studio's Dagster instance, opened in this process for reading its event log."""

    def __init__(self, env: dict[str, str]):
        import dagster as dg

        self._old = os.environ.get("DAGSTER_HOME")
        os.environ["DAGSTER_HOME"] = env["DAGSTER_HOME"]
        self.instance = dg.DagsterInstance.get()

    def close(self):
        self.instance.dispose()
        if self._old is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = self._old

    def events(self, event_type, step_key: str | None = None) -> list:
        """Event log entries of one type (of one step) over every run, in order."""
        entries = [e for r in self.instance.get_runs() for e in self.instance.all_logs(r.run_id, of_type=event_type)]
        return sorted((e for e in entries if step_key is None or e.step_key == step_key), key=lambda e: e.timestamp)

    def celery_steps(self) -> list[tuple[str, str, str]]:
        """(run id, step key, worker) of every step a Celery worker started, in order."""
        import dagster as dg

        out = []
        for entry in self.events(dg.DagsterEventType.ENGINE_EVENT):
            meta = entry.dagster_event.engine_event_data.metadata
            if "Celery worker" in meta and "in celery worker" in entry.dagster_event.message:
                out.append((entry.run_id, entry.step_key, meta["Celery worker"].value))
        return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory, library_template, servers) -> dict[str, object]:
    """The film made in one process (the CLI's in-process path), on its own Postgres instance."""
    base = tmp_path_factory.mktemp("in-process")
    studio, env = studio_env(base, "in_process", library_template, servers, celery=False)
    t0 = time.monotonic()
    run_ok(film_cmd(HARBOUR, FILM, studio), env, base / "make.log", timeout=300)
    print(f"\nin-process film: {time.monotonic() - t0:.1f}s")
    return fingerprint(studio, library_template)


def test_a_film_made_on_two_celery_workers_is_byte_identical_to_one_made_in_one_process(
        tmp_path, library_template, servers, reference):
    studio, env = studio_env(tmp_path, "celery", library_template, servers, celery=True)
    with celery_workers(2, env, tmp_path / "workers") as workers:
        t0 = time.monotonic()
        run_ok(film_cmd(HARBOUR, FILM, studio), env, tmp_path / "make.log", timeout=300)
        print(f"\ncelery film, 2 workers: {time.monotonic() - t0:.1f}s")
    made = fingerprint(studio, library_template)
    assert len(made) >= 60, sorted(made)
    assert differing(reference, made) == []
    assert temp_names(studio / FILM) == []

    instance = Instance(env)
    try:
        steps = instance.celery_steps()
        configs = [r.dagster_run.run_config["execution"]["config"] for r in instance.instance.get_run_records()]
    finally:
        instance.close()
    # the broker URL (a secret when it holds a password) is stored by its variable's name only
    assert configs and all(c["broker"] == {"env": "FILMASTER_CELERY_BROKER"} for c in configs), configs
    by_worker = {w.name: [s for _, s, host in steps if host == w.name] for w in workers}
    print("steps per worker:", {name: len(s) for name, s in by_worker.items()})
    assert all(by_worker.values()), f"a worker ran no step: {by_worker}"
    assert {host for *_, host in steps} <= set(by_worker), steps  # no other worker took part


def _descendants(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [d for k in kids for d in (k, *_descendants(k))]


# Only here, so the whole-worker case ends within the test's budget; it must exceed the longest step of the
# tiny film (a few seconds), or a step still running would be handed to the other worker as well.
VISIBILITY_S = 30


def test_workers_killed_while_rendering_clips_cost_the_step_once_more_not_the_film(
        tmp_path, library_template, servers, reference):
    """Scene 1: the pool process running its clips is SIGKILLed; its worker hands the task back at once.
    Scene 2: the whole worker running its clips (parent, pool process, ffmpeg) is SIGKILLed, as when its
    host is lost; nobody hands the task back, Redis gives it to the other worker after the visibility
    timeout. One film covers both (each costs a film's time on this machine)."""
    import dagster as dg

    studio, env = studio_env(tmp_path, "celery_kill", library_template, servers, celery=True)
    env["FILMASTER_CELERY_VISIBILITY_TIMEOUT"] = str(VISIBILITY_S)
    kills: list[tuple[str, str, float]] = []  # (run id, worker, when)
    with celery_workers(2, env, tmp_path / "workers") as workers:
        t0 = time.monotonic()
        proc = spawn(film_cmd(HARBOUR, FILM, studio), env, tmp_path / "make.log")
        instance = Instance(env)
        try:
            for whole_worker in (False, True):
                deadline = time.monotonic() + 150
                while True:  # the next scene's clips step has started in a worker
                    assert proc.poll() is None, f"the film ended before the clips:\n{tail(tmp_path / 'make.log')}"
                    assert time.monotonic() < deadline, "no clips step started within 150 s"
                    started = [e for e in instance.events(dg.DagsterEventType.STEP_START, "clips")
                               if e.run_id not in {k[0] for k in kills}]
                    if started:
                        break
                    time.sleep(0.05)
                run_id = started[0].run_id
                host = next(h for r, s, h in instance.celery_steps() if r == run_id and s == "clips")
                victim = next(w for w in workers if w.name == host)
                if whole_worker:  # the worker and everything it started: its process group
                    doomed = [victim.pid, *_descendants(victim.pid)]
                else:
                    # The pool process runs the step (the worker's parent only hands out tasks); it goes with
                    # its children (ffmpeg), as the OOM killer or a crash would end the step. The parent sees
                    # its child lost and, the task acknowledged late, puts the task back on the queue.
                    (pool,) = victim.pool_pids()
                    doomed = [pool, *_descendants(pool)]
                assert not [e for e in instance.events(dg.DagsterEventType.STEP_SUCCESS, "clips") if e.run_id == run_id], \
                    "the clips step finished before it could be killed"
                if whole_worker:
                    os.killpg(victim.pid, signal.SIGKILL)
                else:
                    for pid in doomed:
                        os.kill(pid, signal.SIGKILL)
                kills.append((run_id, host, time.time()))
                print(f"\n{time.monotonic() - t0:.1f}s: killed {'worker' if whole_worker else 'the pool process of'} "
                      f"{host} ({len(doomed)} processes) running the clips of run {run_id[:8]}")
            proc.wait(timeout=240)
            assert proc.returncode == 0, f"the film failed after the kills:\n{tail(tmp_path / 'make.log', 40)}"
            print(f"film made in {time.monotonic() - t0:.1f}s")
            deliveries = {run_id: [(e.timestamp, e.dagster_event.engine_event_data.metadata["Celery worker"].value)
                                   for e in instance.events(dg.DagsterEventType.ENGINE_EVENT, "clips")
                                   if e.run_id == run_id and "in celery worker" in e.dagster_event.message]
                          for run_id, *_ in kills}
            successes = {run_id: len([e for e in instance.events(dg.DagsterEventType.STEP_SUCCESS, "clips")
                                      if e.run_id == run_id]) for run_id, *_ in kills}
            statuses = {run_id: instance.instance.get_run_by_id(run_id).status for run_id, *_ in kills}
        finally:
            instance.close()
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    for (run_id, host, killed_at), whole_worker in zip(kills, (False, True)):
        assert len(deliveries[run_id]) == 2, deliveries  # started once, killed, delivered once more
        (first_at, first), (again_at, second) = deliveries[run_id]
        print(f"run {run_id[:8]}: clips on {first}, killed, again on {second} {again_at - killed_at:.1f}s later")
        assert first == host and successes[run_id] == 1
        assert statuses[run_id] == dg.DagsterRunStatus.SUCCESS  # the same run went on
        if whole_worker:  # handed out again by Redis: only once it had been out for the visibility timeout
            assert second != host and again_at - first_at >= VISIBILITY_S * 0.9
        else:  # handed back by the worker's parent at once, not by the timeout
            assert again_at - killed_at < VISIBILITY_S / 2
    made = fingerprint(studio, library_template)
    # A killed attempt's render charged when it started and, killed, was never refunded: the ledger may hold
    # a render more per kill than the reference. Everything else is compared.
    ledger, ref_ledger = made.pop("budget.json"), dict(reference)["budget.json"]
    print(f"ledger: {ledger['video_shots']} renders charged, reference {ref_ledger['video_shots']}")
    assert ref_ledger["video_shots"] <= ledger["video_shots"] <= ref_ledger["video_shots"] + len(kills)
    assert differing({k: v for k, v in reference.items() if k != "budget.json"}, made) == []
    assert temp_names(studio / FILM) == []


def test_celery_settings_that_cannot_work_are_refused_naming_the_variable_and_the_fix(tmp_path):
    from filmaster_assets.execution import public_url
    from tests.crashkit import PYTHON, REPO

    env = {**film_env(tmp_path, tmp_path / "dagster_home"), "FILMASTER_HOME": str(tmp_path / "studio")}

    def filmaster(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "-m", "filmaster_assets.cli", *args], env={**env, **extra}, cwd=REPO,
                              capture_output=True, text=True, timeout=120)

    for result in (filmaster("worker"), filmaster("make", "--text", HARBOUR, FILMASTER_EXECUTOR="celery")):
        assert result.returncode == 2, result.stderr
        assert "needs FILMASTER_CELERY_BROKER" in result.stderr and "redis://" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    wrong = filmaster("make", "--text", HARBOUR, FILMASTER_EXECUTOR="kubernetes")
    assert wrong.returncode == 2 and "in_process, multiprocess, celery" in wrong.stderr, wrong.stderr
    short = filmaster("worker", FILMASTER_CELERY_BROKER="redis://127.0.0.1:1/0", FILMASTER_CELERY_VISIBILITY_TIMEOUT="0")
    assert short.returncode == 2 and "FILMASTER_CELERY_VISIBILITY_TIMEOUT" in short.stderr, short.stderr
    # the worker's start line names the broker without its password
    assert public_url("redis://:s3cret@redis.studio:6379/0") == "redis://redis.studio:6379/0"
    assert public_url("rediss://user:s3cret@10.0.0.5/2") == "rediss://10.0.0.5/2"
