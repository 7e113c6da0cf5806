"""The studio's one Postgres setting, ``FILMASTER_POSTGRES_URL``: checking it, connecting with errors a
film-maker can act on, and advisory locks.

Postgres holds what must be exact when several hosts share a studio (the Dagster instance and the
budget ledgers): a shared file system's ``flock`` is not reliable across hosts (NFS locks may be
emulated or lost on a client's crash), a Postgres transaction or advisory lock is. The password is
only ever read from the environment: every message here names the variable and ``host:port/db``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from typing import Iterator, Optional
from urllib.parse import urlsplit

POSTGRES_ENV = "FILMASTER_POSTGRES_URL"
# libpq's own default is to wait for ever on an unreachable host; a command should say so instead
CONNECT_TIMEOUT_S = 10
_SCHEMES = ("postgresql", "postgresql+psycopg2")


class PostgresSettingError(ValueError):
    """A Postgres URL that cannot be used (malformed, or the server cannot be reached)."""


def postgres_url(environ: Optional[dict] = None) -> Optional[str]:
    """``$FILMASTER_POSTGRES_URL``, checked; None when unset or empty (the studio stays on files)."""
    environ = os.environ if environ is None else environ
    url = (environ.get(POSTGRES_ENV) or "").strip()
    if not url:
        return None
    check_url(url, POSTGRES_ENV)
    return url


def where(url: str) -> str:
    """``host:port/db`` of a URL, without user or password: what messages may show."""
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = "?"
    return f"{parts.hostname or 'localhost'}:{port}/{parts.path.lstrip('/') or '(default db)'}"


def check_url(url: str, source: str) -> None:
    """Refuse a URL psycopg2 and SQLAlchemy would read differently or not at all. ``source`` names the
    setting in the message (the URL itself is never shown: it may hold a password)."""
    parts = urlsplit(url)
    fix = f"set {source} to postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    if parts.scheme not in _SCHEMES:
        # SQLAlchemy 1.4+ no longer reads postgres:// (Heroku-style URLs)
        got = f"'{parts.scheme}://'" if parts.scheme else "no scheme"
        raise PostgresSettingError(f"{source} is not a PostgreSQL URL ({got}): {fix}")
    try:
        parts.port
    except ValueError:
        raise PostgresSettingError(f"{source} has a port that is not a number (host {parts.hostname or '?'}): "
                                   f"{fix}") from None
    if not parts.hostname:
        raise PostgresSettingError(f"{source} names no host: {fix}")
    if not parts.path.strip("/"):
        raise PostgresSettingError(f"{source} names no database (host {where(url)}): {fix}")


def connect(url: str, source: str = POSTGRES_ENV):
    """A psycopg2 connection, or PostgresSettingError naming ``source`` and ``host:port/db``."""
    import psycopg2

    check_url(url, source)
    dsn = url.replace("postgresql+psycopg2://", "postgresql://", 1)
    try:
        return psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg2.OperationalError as exc:
        # libpq's message names host, port, user and database, never the password
        detail = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or type(exc).__name__
        raise PostgresSettingError(f"cannot connect to PostgreSQL at {where(url)} ({source}): {detail}{'' if detail.endswith(('.', '?')) else '.'} "
                                   f"Start the server or fix {source}") from None


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for ``name`` (the same on every host and release)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def advisory_lock(conn, name: str) -> Iterator[None]:
    """Session-level ``pg_advisory_lock`` on ``name``: one holder at a time across every host. Released
    on exit, and by the server if this process dies (its session ends)."""
    key = lock_key(name)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_lock(%s)", (key,))
    conn.commit()
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (key,))
        conn.commit()
