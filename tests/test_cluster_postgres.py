"""A studio on Postgres, as on a cluster: the ``filmaster`` CLI unchanged against a Postgres instance,
instance creation by many commands at once, the budget ledger and the per-film edit files exact
under many processes, temps of other hosts swept by age, and clear errors for a bad setting.

One real PostgreSQL server (tests/cluster_servers.py) serves the module; each test has a database of
its own. Processes stand in for hosts: what must be exact across hosts is held by Postgres (row locks,
advisory locks), which does not care which host a connection comes from.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cluster_servers import free_port, postgres_server
from tests.crashkit import HARBOUR, REPO, film_cmd

PYTHON = sys.executable
SECRET = "s3cret-pw-never-shown"  # trust auth ignores it; it must still never land in a file or a message


@pytest.fixture(scope="module")
def pg(tmp_path_factory):
    with postgres_server(tmp_path_factory.mktemp("postgres")) as server:
        yield server


@pytest.fixture
def pg_url(pg, request) -> str:
    """A fresh database for this test, its URL carrying a password."""
    url = pg.create_database(request.node.name.lower().replace("[", "_").replace("]", "")[:60])
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{SECRET}@")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FILMASTER_", "DAGSTER_"))}
    env.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", **extra)
    return env


def _query(url: str, sql: str, args: tuple = ()) -> list[tuple]:
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def _no_secret_under(*folders: Path) -> list[str]:
    hits = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and SECRET.encode() in path.read_bytes():
                hits.append(str(path))
    return hits


# --- (a) the CLI against a Postgres instance ------------------------------------------------------

@pytest.mark.slow  # renders a film twice (~50 s on an idle 2-core machine)
def test_the_cli_makes_a_film_on_a_postgres_instance_and_a_second_make_reuses_it(pg_url, tmp_path, library_template,
                                                                                  monkeypatch):
    from tests.crashkit import studio_from_template

    studio = studio_from_template(library_template, tmp_path / "studio")
    env = _env(FILMASTER_POSTGRES_URL=pg_url)
    first = subprocess.run([PYTHON, *film_cmd(HARBOUR, "pgfilm", studio)], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=240)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert (studio / "pgfilm" / "final.mp4").stat().st_size > 0

    home = studio / ".dagster"
    config = (home / "dagster.yaml").read_text()
    assert "env: FILMASTER_POSTGRES_URL" in config and f'base_dir: "{home}"' in config
    assert not (home / "history").exists()  # nothing of the instance went to SQLite

    # through the instance: the film's runs, materializations and asset checks
    import dagster as dg

    monkeypatch.setenv("FILMASTER_POSTGRES_URL", pg_url)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with dg.DagsterInstance.get() as instance:
        assert type(instance.run_storage).__module__.startswith("dagster_postgres")
        runs = instance.get_runs(dg.RunsFilter(tags={"filmaster/film": "pgfilm"}))
        assert sorted(r.job_name for r in runs) == ["camera_job", "camera_job", "post_production_job", "script_job"]
        assert {r.status for r in runs} == {dg.DagsterRunStatus.SUCCESS}
        final = instance.get_latest_materialization_event(dg.AssetKey("final_film"))
        assert final is not None and final.asset_materialization.partition == "pgfilm"
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("final_film"), "final_film_streams"), limit=5)
        assert [c.status.value for c in checks] == ["SUCCEEDED"]
        ref_yaml = instance.get_ref().storage_data.config_yaml  # what Celery workers are sent
        assert "FILMASTER_POSTGRES_URL" in ref_yaml and SECRET not in ref_yaml

    # the same, counted in Postgres itself
    plain = pg_url.replace(f":{SECRET}@", "@")
    (runs_n,), = _query(plain, "SELECT count(*) FROM runs")
    (mats,), = _query(plain, "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
    (check_rows,), = _query(plain, "SELECT count(*) FROM asset_check_executions")
    (film_parts,), = _query(plain, "SELECT count(*) FROM dynamic_partitions WHERE partition = 'pgfilm'")
    assert runs_n == 4 and mats >= 20 and check_rows >= 4 and film_parts == 1, (runs_n, mats, check_rows)
    ledger, = _query(plain, "SELECT ledger FROM filmaster_budget_ledger WHERE film_id = 'pgfilm'")
    assert ledger[0]["video_shots"] == 4
    assert json.loads((studio / "pgfilm" / "budget.json").read_text()) == ledger[0]  # the readable copy
    (leaks,), = _query(plain, "SELECT count(*) FROM event_logs WHERE event LIKE %s", (f"%{SECRET}%",))
    assert leaks == 0

    # a second command against the same instance: both scenes are current (read from Postgres), kept
    second = subprocess.run([PYTHON, *film_cmd(HARBOUR, "pgfilm", studio)], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=240)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert second.stdout.count("unchanged, kept") == 2, second.stdout
    (runs_after,), = _query(plain, "SELECT count(*) FROM runs WHERE status = 'SUCCESS'")
    assert runs_after == 6  # script and post-production again, no camera run
    assert _query(plain, "SELECT ledger->>'video_shots' FROM filmaster_budget_ledger")[0][0] == "4"  # no render paid
    assert SECRET not in first.stdout + first.stderr + second.stdout + second.stderr
    assert _no_secret_under(studio / "pgfilm", home) == []


# --- (b) instance creation by many commands at once ------------------------------------------------

# Each process imports first, then waits for a common instant, so the six really open at once.
OPEN = ("import sys, time; from filmaster_assets.cli.runtime import setup_env, open_instance; "
        "setup_env(sys.argv[1]); start = float(sys.argv[2]); time.sleep(max(0.0, start - time.time())); "
        "t = time.monotonic(); i = open_instance(); print(len(i.get_runs()), round(time.monotonic() - t, 3))")


def test_many_commands_open_a_new_postgres_instance_at_once(pg_url, tmp_path):
    """Six commands (as on six hosts) open a brand-new database at the same instant: all succeed, and
    the schema is created once, under the advisory lock. Without it Dagster's own creation races (it
    logs "Retrying failed database creation" and retries up to 5 times): that never happens here."""
    env = _env(FILMASTER_POSTGRES_URL=pg_url)
    start = str(time.time() + 12)  # ~3 s of imports each, two cores
    procs = [subprocess.Popen([PYTHON, "-c", OPEN, str(tmp_path / "studio"), start], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(6)]
    try:
        outs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert [p.returncode for p in procs] == [0] * 6, [o[1][-1500:] for o in outs]
    assert all(o[0].split()[0] == "0" for o in outs)
    print("\nopen_instance on a new Postgres database, six at once (s):", sorted(float(o[0].split()[1]) for o in outs))
    assert not any("Retrying failed database creation" in o[1] for o in outs)
    plain = pg_url.replace(f":{SECRET}@", "@")
    assert len(_query(plain, "SELECT version_num FROM alembic_version")) == 1
    (tables,), = _query(plain, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'")
    assert tables == 1
    assert not (tmp_path / "studio" / ".dagster" / ".filmaster-instance.lock").exists()  # no flock relied upon


def test_a_users_own_postgres_db_config_is_used_and_locked(pg, tmp_path, monkeypatch):
    """A dagster.yaml of the user's own, with ``postgres_db`` fields and the password from an env var,
    is kept; the instance opens on it, and a missing variable is named."""
    from filmaster_assets.cli.runtime import CliError, instance_postgres, open_instance, setup_env

    db = "users_own"
    pg.create_database(db)
    home = tmp_path / "home"
    home.mkdir()
    yaml = (f"storage:\n  postgres:\n    postgres_db:\n      username: postgres\n      password: {{env: MY_PG_PW}}\n"
            f"      hostname: 127.0.0.1\n      port: {pg.port}\n      db_name: {db}\ntelemetry:\n  enabled: false\n")
    (home / "dagster.yaml").write_text(yaml)
    monkeypatch.delenv("FILMASTER_POSTGRES_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("FILMASTER_HOME", str(tmp_path / "studio"))  # setup_env sets both; restored after
    monkeypatch.setenv("MY_PG_PW", SECRET)
    setup_env(str(tmp_path / "studio"))
    assert (home / "dagster.yaml").read_text() == yaml  # kept
    url, source = instance_postgres(home)
    assert url == f"postgresql://postgres:{SECRET}@127.0.0.1:{pg.port}/{db}" and "dagster.yaml" in source
    instance = open_instance()
    assert type(instance.run_storage).__module__.startswith("dagster_postgres") and instance.get_runs() == []
    instance.dispose()
    monkeypatch.delenv("MY_PG_PW")
    with pytest.raises(CliError, match=r"reads \$MY_PG_PW, which is not set"):
        open_instance()


def test_the_cli_sqlite_home_moves_to_postgres_only_while_empty(pg_url, tmp_path, monkeypatch):
    from filmaster_assets.cli.runtime import SQLITE_YAML, CliError, dagster_home, open_instance

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("FILMASTER_POSTGRES_URL", raising=False)
    studio = tmp_path / "studio"
    home = dagster_home(studio)
    assert (home / "dagster.yaml").read_text() == SQLITE_YAML  # zero setup: SQLite
    monkeypatch.setenv("FILMASTER_POSTGRES_URL", pg_url)
    assert "env: FILMASTER_POSTGRES_URL" in (dagster_home(studio) / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text(SQLITE_YAML)
    (home / "history").mkdir()  # a SQLite instance with runs is not silently left behind
    with pytest.raises(CliError, match="FILMASTER_POSTGRES_URL is set but .* already keeps its runs in SQLite"):
        dagster_home(studio)
    # a user's own SQLite configuration is kept, and not silently mixed with a Postgres studio
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    assert dagster_home(studio) == home
    with pytest.raises(CliError, match="is set but .*dagster.yaml keeps the Dagster instance in SQLite"):
        open_instance()


# --- (c) the budget ledger in Postgres under concurrency -------------------------------------------

LIMIT_S, SHOT_S, TRIES = 10.0, 0.5, 8


def _reserve(film_dir: str, url: str | None, out) -> None:
    if url:
        os.environ["FILMASTER_POSTGRES_URL"] = url
    else:
        os.environ.pop("FILMASTER_POSTGRES_URL", None)
    from filmcraft.budget import Budget, BudgetExceeded
    from filmcraft.contracts import FilmRequest

    budget = Budget(film_dir, FilmRequest(film_id="film", text="a compass", video_seconds_budget=LIMIT_S))
    granted = 0
    for i in range(TRIES):
        try:
            with budget.video_render(SHOT_S, f"s01_sh{i:02d}"):
                granted += 1
        except BudgetExceeded:
            pass
    out.put(granted)


def _race(film_dir: Path, url: str | None, workers: int = 8) -> tuple[int, float]:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_reserve, args=(str(film_dir), url, out)) for _ in range(workers)]
    start = time.monotonic()
    for p in procs:
        p.start()
    granted = sum(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    return granted, time.monotonic() - start


def test_eight_processes_reserving_video_seconds_never_overspend(pg_url, tmp_path, monkeypatch):
    """8 processes x 8 shots of 0.5 s against a 10 s limit: exactly 20 shots are granted, in Postgres as
    in the file ledger. The file ledger's flock is exact only among one host's processes; the Postgres
    row lock is exact whichever host each process is on."""
    from filmcraft.budget import Budget, PostgresLedger
    from filmcraft.contracts import FilmRequest

    film = tmp_path / "studio" / "film"
    granted, took = _race(film, pg_url)
    assert granted == int(LIMIT_S / SHOT_S)
    plain = pg_url.replace(f":{SECRET}@", "@")
    (studio, film_id, ledger), = _query(plain, "SELECT studio, film_id, ledger FROM filmaster_budget_ledger")
    assert (studio, film_id) == (str(tmp_path / "studio"), "film")
    assert (ledger["video_seconds"], ledger["video_shots"]) == (LIMIT_S, granted)
    assert json.loads((film / "budget.json").read_text()) == ledger  # the copy is the last update
    monkeypatch.setenv("FILMASTER_POSTGRES_URL", pg_url)
    budget = Budget(film, FilmRequest(film_id="film", text="a compass"))
    assert isinstance(budget._store, PostgresLedger) and budget.read().video_seconds == LIMIT_S
    assert not (film / "budget.lock").exists()  # no flock taken

    file_film = tmp_path / "files" / "film"
    file_granted, file_took = _race(file_film, None)
    assert file_granted == granted
    print(f"\n64 reservations by 8 processes: Postgres ledger {took:.2f}s, file ledger {file_took:.2f}s")


def test_a_film_that_began_on_the_file_ledger_continues_in_postgres(pg_url, tmp_path, monkeypatch):
    from filmcraft.budget import Budget, BudgetExceeded
    from filmcraft.contracts import FilmRequest

    film = tmp_path / "film"
    monkeypatch.delenv("FILMASTER_POSTGRES_URL", raising=False)
    req = FilmRequest(film_id="film", text="a compass", video_seconds_budget=3.0)
    with Budget(film, req).video_render(2.0, "s01_sh01"):
        pass
    monkeypatch.setenv("FILMASTER_POSTGRES_URL", pg_url)
    budget = Budget(film, req)
    assert budget.read().video_seconds == 2.0  # read through to budget.json before the first update
    with pytest.raises(BudgetExceeded, match="limit 3, used 2"):
        with budget.video_render(1.5, "s01_sh02"):
            pass
    assert budget.add_llm_tokens(7) == 7
    assert budget.read().video_seconds == 2.0 and json.loads((film / "budget.json").read_text())["llm_tokens"] == 7


# --- the per-film edit files: exact across hosts through an advisory lock ---------------------------

def _record_takes(path: str, url: str, worker: int) -> None:
    os.environ["FILMASTER_POSTGRES_URL"] = url
    from filmcraft.takes import ShotTakes, Take, edit_takes

    for i in range(6):
        def add(takes, shot=f"w{worker}_sh{i}"):
            takes[shot] = ShotTakes(active=1, takes=[Take(take=1, seed=i, source="original", made_at="")])
        edit_takes(Path(path), add)


def test_takes_recorded_by_many_processes_all_land_under_a_postgres_lock(pg_url, tmp_path, monkeypatch):
    """shot_takes.json is one file per film that the camera runs of its scenes edit at once (on a
    cluster, from several hosts): with Postgres configured, its lock is a Postgres advisory lock on
    the file's path, held whichever host asks, and flock is not relied upon."""
    import fcntl

    from filmcraft.postgres import lock_key
    from filmcraft.store import file_lock
    from filmcraft.takes import load_takes

    path = tmp_path / "film" / "shot_takes.json"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record_takes, args=(str(path), pg_url, w)) for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert len(load_takes(path)) == 36

    monkeypatch.setenv("FILMASTER_POSTGRES_URL", pg_url)
    lock = path.with_name(".shot_takes.json.lock")
    key = lock_key(f"file:{lock.resolve()}")
    plain = pg_url.replace(f":{SECRET}@", "@")
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND ((classid::bigint << 32) | objid::bigint) = %s"
    with file_lock(lock, across_hosts=True):
        assert _query(plain, held, (key,))[0][0] == 1
        with open(lock, "a+") as fh:  # the file itself is not locked
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert _query(plain, held, (key,))[0][0] == 0


# --- (d) temps of other hosts ----------------------------------------------------------------------

def test_temps_of_other_hosts_are_swept_once_old_and_pids_checked_only_here(tmp_path, monkeypatch):
    from filmcraft import store

    dead = subprocess.Popen([PYTHON, "-c", "pass"])
    dead.wait()
    other = "0" * 6 if store._HOST_TAG != "0" * 6 else "1" * 6
    folder = tmp_path / "shots"
    folder.mkdir()

    def temp(name: str, host: str, pid: int, age_h: float, folder_entry: bool = False) -> Path:
        path = folder / f".{name}.tmp-{host}-{pid}-x1.part.mp4"
        if folder_entry:
            path.mkdir()
            (path / "a.wav").write_bytes(b"x")
            os.utime(path / "a.wav", (time.time() - age_h * 3600,) * 2)
        else:
            path.write_bytes(b"x")
        os.utime(path, (time.time() - age_h * 3600,) * 2)
        return path

    mine_dead = temp("a", store._HOST_TAG, dead.pid, 0)
    mine_live = temp("b", store._HOST_TAG, os.getpid(), 48)  # a live writer here: kept, however old
    theirs_new = temp("c", other, os.getpid(), 1)  # another host's: its pid means nothing here
    theirs_old = temp("d", other, dead.pid, 25)
    theirs_pid_alive_here = temp("e", other, os.getpid(), 30)  # old: swept although this pid is alive here
    theirs_old_folder = temp("f", other, 1, 30, folder_entry=True)
    theirs_busy_folder = temp("g", other, 1, 30, folder_entry=True)
    os.utime(theirs_busy_folder / "a.wav")  # its writer touched a file inside just now

    monkeypatch.delenv("FILMASTER_TEMP_MAX_AGE_HOURS", raising=False)
    with store.atomic_path(folder / "final.mp4") as tmp:  # the real entry point sweeps first
        tmp.write_bytes(b"film")
    gone = {p.name[1] for p in (mine_dead, mine_live, theirs_new, theirs_old, theirs_pid_alive_here,
                                theirs_old_folder, theirs_busy_folder) if not p.exists()}
    assert gone == {"a", "d", "e", "f"}

    monkeypatch.setenv("FILMASTER_TEMP_MAX_AGE_HOURS", "0.5")
    assert store.remove_orphan_temps(folder) == [theirs_new]
    assert (folder / "final.mp4").read_bytes() == b"film" and mine_live.exists() and theirs_busy_folder.exists()
    other_old = temp("h", other, 1, 2)
    monkeypatch.setenv("FILMASTER_TEMP_MAX_AGE_HOURS", "soon")
    with pytest.raises(ValueError, match="FILMASTER_TEMP_MAX_AGE_HOURS='soon' is not a positive number"):
        store.remove_orphan_temps(folder)
    assert other_old.exists()


# --- (e) errors a film-maker can act on -------------------------------------------------------------

def _make(tmp_path: Path, url: str) -> subprocess.CompletedProcess:
    env = _env(FILMASTER_POSTGRES_URL=url, FILMASTER_HOME=str(tmp_path / "studio"))
    return subprocess.run([PYTHON, "-m", "filmaster_assets.cli", "make", "--text", "a storm over the harbour"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_an_unreachable_postgres_is_named_without_its_password(tmp_path):
    port = free_port()  # nothing listens there
    start = time.monotonic()
    proc = _make(tmp_path, f"postgresql://filmaker:{SECRET}@127.0.0.1:{port}/films")
    took = time.monotonic() - start
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr
    assert f"cannot connect to PostgreSQL at 127.0.0.1:{port}/films (FILMASTER_POSTGRES_URL)" in err, err
    assert SECRET not in err + proc.stdout and "Traceback" not in err
    assert took < 60, took


@pytest.mark.parametrize("url, expected", [
    (f"postgres://u:{SECRET}@db.example:5432/films", "is not a PostgreSQL URL ('postgres://')"),
    (f"u:{SECRET}@db.example:5432/films", "is not a PostgreSQL URL"),
    (f"postgresql://u:{SECRET}@db.example:54x2/films", "has a port that is not a number (host db.example)"),
    (f"postgresql://u:{SECRET}@:5432/films", "names no host"),
    (f"postgresql://u:{SECRET}@db.example:5432", "names no database (host db.example:5432/(default db))"),
])
def test_a_malformed_url_is_refused_naming_the_variable_not_the_password(tmp_path, url, expected):
    proc = _make(tmp_path, url)
    assert proc.returncode == 2, proc.stderr
    assert "FILMASTER_POSTGRES_URL" in proc.stderr and expected in proc.stderr, proc.stderr
    assert SECRET not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
    assert not (tmp_path / "studio" / ".dagster" / "dagster.yaml").exists()  # nothing configured from a bad URL
