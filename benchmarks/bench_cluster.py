"""Scale-out figures on this machine: films per hour with 1, 2 and 4 Celery workers against the same films
made by one machine's in-process runs; the queueing overhead per step of the Celery executor against the
multiprocess executor; and a paper projection for 1,000 films a day.

Every configuration makes the same K small films (256x144, 12 fps, 2 scenes x 2 shots, offline backends;
tests/film_driver.py) at once, one `filmaster make`-style process per film, in a studio of its own on one
PostgreSQL instance (a database per configuration) and one Redis broker, both real servers from PyPI
wheels on loopback (tests/cluster_servers.py). A warm-up film builds the libraries once; its `.library`
is copied into every studio so no configuration pays for it. Each configuration renders with its own seed,
so no configuration reuses another's clips from a cache.

    python benchmarks/bench_cluster.py [--films K] [--workers 1,2,4] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.cluster_servers import celery_workers, postgres_server, redis_server  # noqa: E402

THEMES = [json.loads(line)["text"] for line in (REPO / "evaluation" / "cases.jsonl").read_text().splitlines()
          if line.strip()]


def _env(studio: Path, pg_url: str, executor: str, broker: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FILMASTER_", "DAGSTER_"))}
    env.update(FILMASTER_HOME=str(studio), DAGSTER_HOME=str(studio / ".dagster"), FILMASTER_POSTGRES_URL=pg_url,
               FILMASTER_EXECUTOR=executor, PYTHONPATH=str(REPO))
    if broker:
        env["FILMASTER_CELERY_BROKER"] = broker
    return env


def _make_films(env: dict, studio: Path, k: int, seed: int, log_dir: Path, full_size: bool = False,
                prefix: str = "f") -> float:
    """K films at once, one process each; returns the wall time until the last one is done."""
    log_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    start = time.perf_counter()
    for i in range(k):
        log = open(log_dir / f"film{i}.log", "w")
        procs.append((subprocess.Popen([sys.executable, "-m", "tests.film_driver", "--theme", THEMES[i % len(THEMES)],
                                        "--film-id", f"{prefix}{i}", "--out", str(studio), "--seed", str(seed),
                                        *(["--full-size"] if full_size else [])],
                                       cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT), log))
    failed = []
    for i, (proc, log) in enumerate(procs):
        if proc.wait() != 0:
            failed.append(f"film f{i}: see {log.name}")
        log.close()
    if failed:
        raise SystemExit("films failed: " + "; ".join(failed) + f" (logs in {log_dir})")
    return time.perf_counter() - start


def _step_waits(pg_url: str) -> list[float]:
    """Seconds from a step being handed to its executor to its code starting, from the event log: Celery's
    'Submitting celery task' (queue, a worker picking it up, rebuilding the job) or the multiprocess
    executor's 'Launching subprocess' (a process started, the definitions imported) to STEP_START."""
    import psycopg2

    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("select run_id, step_key, dagster_event_type, timestamp, event from event_logs where step_key is not "
                    "null and dagster_event_type in ('ENGINE_EVENT', 'STEP_WORKER_STARTING', 'STEP_START') order by id")
        rows = cur.fetchall()
    handed: dict[tuple, datetime] = {}
    waits = []
    for run_id, step, kind, ts, body in rows:
        message = (json.loads(body).get("dagster_event") or {}).get("message") or ""
        if kind == "STEP_WORKER_STARTING" or message.startswith("Submitting celery task"):
            handed[(run_id, step)] = ts
        elif kind == "STEP_START" and (run_id, step) in handed:
            waits.append((ts - handed.pop((run_id, step))).total_seconds())
    return waits


def _db_bytes(pg_url: str) -> int:
    import psycopg2

    with psycopg2.connect(pg_url) as conn, conn.cursor() as cur:
        cur.execute("select pg_database_size(current_database())")
        return cur.fetchone()[0]


def _du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--films", type=int, default=4, help="films made at once in every configuration (default 4)")
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--keep", help="folder for studios, servers and logs (default: a temp folder, removed)")
    args = ap.parse_args()
    root = Path(args.keep or tempfile.mkdtemp(prefix="filmaster-bench-cluster-"))
    k, worker_counts = args.films, [int(w) for w in args.workers.split(",")]
    print(f"machine: {os.cpu_count()} cores; {k} films at once per configuration, 256x144@12, 2 scenes x 2 shots")

    with postgres_server(root / "pg") as pg, redis_server(root / "redis") as redis:
        # Warm-up: libraries built once, copied into every studio.
        warm = root / "warm"
        url = pg.create_database("warm")
        t = _make_films(_env(warm, url, "in_process", None), warm, 1, 0, root / "logs" / "warm")
        print(f"warm-up film (libraries built): {t:.1f}s")
        # One film alone in one process, small and full size (1280x720, 24 fps, as `filmaster make`): the
        # ratio carries the small films' scaling over to the projection of full-size films.
        tiny_s = _make_films(_env(warm, url, "in_process", None), warm, 1, 3, root / "logs" / "tiny", prefix="small")
        full_s = _make_films(_env(warm, url, "in_process", None), warm, 1, 4, root / "logs" / "full", full_size=True,
                             prefix="full")
        print(f"one film alone, in-process: small {tiny_s:.1f}s, full size {full_s:.1f}s ({full_s / tiny_s:.1f}x)")

        def studio_for(name: str) -> Path:
            studio = root / name
            shutil.copytree(warm / ".library", studio / ".library")
            return studio

        results = []
        # One machine: K in-process `filmaster make` runs side by side.
        studio, url = studio_for("one_machine"), pg.create_database("one_machine")
        wall = _make_films(_env(studio, url, "in_process", None), studio, k, 1, root / "logs" / "one_machine")
        results.append(("one machine, in-process", wall, studio, url))
        print(f"one machine, in-process: {k} films in {wall:.1f}s = {k * 3600 / wall:.1f} films/hour")

        # One film with the multiprocess executor: the baseline of the queueing overhead.
        studio, mp_url = studio_for("multiprocess"), pg.create_database("multiprocess")
        mp_wall = _make_films(_env(studio, mp_url, "multiprocess", None), studio, 1, 2, root / "logs" / "multiprocess")

        # ... and one film alone on one Celery worker: the same overhead without other films' steps queued ahead.
        studio, solo_url = studio_for("celery_solo"), pg.create_database("celery_solo")
        env = _env(studio, solo_url, "celery", redis.url())
        with celery_workers(1, env, root / "logs" / "celery_solo"):
            solo_wall = _make_films(env, studio, 1, 2, root / "logs" / "celery_solo")

        for n, seed in zip(worker_counts, range(10, 10 + len(worker_counts))):
            name = f"celery_{n}"
            studio, url = studio_for(name), pg.create_database(name)
            env = _env(studio, url, "celery", redis.url())
            with celery_workers(n, env, root / "logs" / name):
                wall = _make_films(env, studio, k, seed, root / "logs" / name)
            results.append((f"celery, {n} worker{'s' if n > 1 else ''}", wall, studio, url))
            print(f"celery, {n} workers: {k} films in {wall:.1f}s = {k * 3600 / wall:.1f} films/hour")

        base = results[0][1]
        print(f"\n| configuration | wall for {k} films | films/hour | vs one machine |")
        print("|---|---|---|---|")
        for label, wall, _, _ in results:
            print(f"| {label} | {wall:.1f} s | {k * 3600 / wall:.1f} | {base / wall:.2f}x |")

        steps = len(_step_waits(solo_url))
        print(f"\none small film alone ({steps} steps): in-process {tiny_s:.1f}s, celery (1 worker) {solo_wall:.1f}s, "
              f"multiprocess executor {mp_wall:.1f}s")
        print(f"overhead per step against in-process: celery {(solo_wall - tiny_s) / steps:.2f}s, multiprocess "
              f"{(mp_wall - tiny_s) / steps:.2f}s")
        print("of which handed to the executor -> the step's code starts (median / p90 / steps); with several films "
              "this includes waiting behind other films' steps:")
        for label, url in [("multiprocess, one film", mp_url), ("celery, 1 worker, one film", solo_url),
                           *[(r[0] + f", {k} films", r[3]) for r in results[1:]]]:
            waits = sorted(_step_waits(url))
            if waits:
                print(f"  {label}: {statistics.median(waits):.2f}s / {waits[int(0.9 * (len(waits) - 1))]:.2f}s / "
                      f"{len(waits)}")

        celery = results[1:]
        best_label, best_wall, best_studio, best_url = min(celery, key=lambda r: r[1])
        film_bytes = statistics.mean(_du(p) for p in best_studio.iterdir() if p.is_dir() and p.name.startswith("f"))
        cache_bytes = _du(best_studio / ".cache") / k if (best_studio / ".cache").exists() else 0
        db_per_film = (_db_bytes(best_url) - _db_bytes(pg.create_database("empty_probe"))) / k
        full_dir = warm / "full0"
        best_ratio = base / best_wall  # the Celery configuration's throughput against one machine's, same films
        machine_s = 1000 * full_s / best_ratio  # a day's machine-seconds, at one film alone's cost
        print(f"\nper small film: studio {film_bytes / 1e6:.1f} MB in its folder + {cache_bytes / 1e6:.1f} MB of "
              f"caches; Postgres {db_per_film / 1e6:.2f} MB (event log, runs, asset records)")
        print(f"projection for 1,000 full-size films a day: one full-size film alone takes {full_s:.0f}s of this "
              f"{os.cpu_count()}-core machine in one process; on Celery the best throughput here was {best_ratio:.2f}x "
              f"one machine's ({best_label}), so a day takes {machine_s / 3600:.1f} machine-hours: "
              f"{math.ceil(machine_s / 86400)} machines like this one (workers of concurrency 1, one per core) at full "
              f"load; Postgres grows about {db_per_film * 1000 / 1e9:.2f} GB a day (its rows count steps and events, "
              f"not pixels); a full-size film's folder is {_du(full_dir) / 1e6:.0f} MB, "
              f"{_du(full_dir) * 1000 / 1e9:.0f} GB a day before clean-up.")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
