"""Per-film budgets: LLM tokens and generated video seconds, kept in a ledger in the film folder.

The ledger records what the film has spent so far (across runs: a budget is per film, not per run).
Dagster runs steps in separate processes, and on a cluster on separate hosts, so every
read-modify-write of it is exclusive. Where it is kept is chosen in one place (``ledger_store``):

* by default ``<studio>/<film_id>/budget.json``, under an exclusive ``fcntl.flock`` on ``budget.lock``
  beside it, replaced atomically: exact among the processes of one host (flock on a shared file
  system such as NFS is not reliable across hosts);
* when ``FILMASTER_POSTGRES_URL`` is set, a row of the ``filmaster_budget_ledger`` table (made if
  missing), read ``SELECT ... FOR UPDATE`` and written in one transaction: exact across hosts.
  ``budget.json`` stays beside the film as a readable copy, written atomically after each update
  while the row is still locked, so copies land in the order of the updates. A film that began on
  the file ledger continues from its budget.json on its first update in Postgres.

Cache hits cost nothing: only real requests and real renders are recorded.

LLM tokens are known only after an answer, so the check comes before each request: a request is
refused once the film has already used its whole token budget (the answer that crosses the limit
is kept). Video seconds are known before a render, so a shot is refused when it would take the
film past its limit, and the seconds are reserved under the lock so two scenes rendering at the
same time cannot both slip under it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator, Optional

from filmcraft.contracts import FilmRequest
from filmcraft.postgres import connect, lock_key, postgres_url
from filmcraft.store import file_lock, read_model, write_text

LEDGER_NAME = "budget.json"
LOCK_NAME = "budget.lock"
LLM_ENV = "FILMASTER_LLM_TOKEN_BUDGET"
VIDEO_ENV = "FILMASTER_VIDEO_SECONDS_BUDGET"


class BudgetExceeded(RuntimeError):
    """A per-film budget is spent. Not worth retrying: only a larger budget lets the film go on."""

    def __init__(self, film_id: str, budget: str, limit: float, used: float, asked: str, fix: str):
        self.film_id, self.budget, self.limit, self.used = film_id, budget, limit, used
        super().__init__(
            f"film {film_id!r}: {budget} budget exceeded: limit {_fmt(limit)}, used {_fmt(used)}, {asked}. "
            f"Everything made so far is kept. To go on, {fix} and make the film again: "
            "finished work is reused at no cost.")


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


@dataclass
class Ledger:
    llm_tokens: int = 0  # total tokens of real LLM requests (cache hits cost 0)
    llm_requests: int = 0
    llm_tokens_estimated: int = 0  # part of llm_tokens estimated because the endpoint reported no usage
    video_seconds: float = 0.0  # seconds of video generated (both backends)
    video_shots: int = 0
    updated_at: float = 0.0


class Budget:
    """One film's budgets and its ledger. ``None`` limits mean unlimited (spending is still recorded)."""

    def __init__(self, film_dir: str | Path, request: FilmRequest):
        self.film_dir = Path(film_dir)
        self.film_id = request.film_id
        self.llm_token_limit: Optional[int] = request.llm_token_budget
        self.video_seconds_limit: Optional[float] = request.video_seconds_budget
        self._store = ledger_store(self.film_dir)

    @classmethod
    def for_film(cls, film_dir: str | Path) -> "Budget":
        """The budget of the film whose ``request.json`` is in ``film_dir``."""
        path = Path(film_dir) / "request.json"
        if not path.is_file():
            raise ValueError(f"no request.json in {film_dir}: the film's budgets are read from its request")
        return cls(film_dir, read_model(path, FilmRequest))

    @property
    def ledger_path(self) -> Path:
        return self.film_dir / LEDGER_NAME

    # --- the ledger ------------------------------------------------------------------------

    def read(self) -> Ledger:
        """The spending so far (a missing ledger means nothing spent yet)."""
        raw = self._store.read()
        known = Ledger.__dataclass_fields__
        return Ledger(**{k: v for k, v in (raw or {}).items() if k in known})

    @contextlib.contextmanager
    def _locked(self) -> Iterator[Ledger]:
        """Read-modify-write, exclusive across Dagster's step processes; an exception inside the block
        leaves the ledger as it was."""
        with self._store.update() as raw:
            known = Ledger.__dataclass_fields__
            ledger = Ledger(**{k: v for k, v in raw.items() if k in known})
            yield ledger
            ledger.updated_at = time.time()
            raw.clear()
            raw.update(asdict(ledger))

    # --- LLM tokens ------------------------------------------------------------------------

    def check_llm(self, role: str) -> None:
        """Before a real LLM request: refuse it once the film's token budget is used up."""
        if self.llm_token_limit is None:
            return
        used = self.read().llm_tokens
        if used >= self.llm_token_limit:
            raise BudgetExceeded(self.film_id, "LLM token", self.llm_token_limit, used,
                                 f"the next request (role '{role}') was not sent",
                                 f"raise {LLM_ENV} / --llm-token-budget (request field llm_token_budget)")

    def add_llm_tokens(self, tokens: int, estimated: bool = False) -> int:
        """After a real LLM request: record its tokens; returns the film's total."""
        with self._locked() as ledger:
            ledger.llm_tokens += int(tokens)
            ledger.llm_requests += 1
            if estimated:
                ledger.llm_tokens_estimated += int(tokens)
            return ledger.llm_tokens

    # --- video seconds ---------------------------------------------------------------------

    @contextlib.contextmanager
    def video_render(self, seconds: float, shot: str) -> Iterator[None]:
        """Reserve ``seconds`` for one render; refused if it would take the film past its limit.
        A render that fails gives its reservation back."""
        with self._locked() as ledger:
            if self.video_seconds_limit is not None and ledger.video_seconds + seconds > self.video_seconds_limit + 1e-9:
                raise BudgetExceeded(self.film_id, "video seconds", self.video_seconds_limit, ledger.video_seconds,
                                     f"shot {shot} needs {_fmt(seconds)} s more",
                                     f"raise {VIDEO_ENV} / --video-seconds-budget (request field video_seconds_budget)")
            ledger.video_seconds = round(ledger.video_seconds + seconds, 6)
            ledger.video_shots += 1
        try:
            yield
        except BaseException:
            with self._locked() as ledger:
                ledger.video_seconds = round(max(0.0, ledger.video_seconds - seconds), 6)
                ledger.video_shots = max(0, ledger.video_shots - 1)
            raise


def ledger_store(film_dir: Path) -> "FileLedger | PostgresLedger":
    """Where a film's ledger is kept: the one place the storage is chosen (see the module docstring)."""
    url = postgres_url()
    return PostgresLedger(film_dir, url) if url else FileLedger(film_dir)


def _read_file_ledger(path: Path) -> Optional[dict]:
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"budget ledger {path} is unreadable ({exc}): restore it, or delete it to start counting "
                         "from zero") from exc
    return raw if isinstance(raw, dict) else {}


def _write_copy(path: Path, raw: dict) -> None:
    write_text(path, json.dumps(raw, indent=2) + "\n")


class FileLedger:
    """``budget.json`` under ``fcntl.flock``: exact among the processes of one host."""

    def __init__(self, film_dir: Path):
        self.path, self.lock = film_dir / LEDGER_NAME, film_dir / LOCK_NAME

    def read(self) -> Optional[dict]:
        return _read_file_ledger(self.path)

    @contextlib.contextmanager
    def update(self) -> Iterator[dict]:
        with file_lock(self.lock):
            raw = self.read() or {}
            yield raw
            _write_copy(self.path, raw)


TABLE = "filmaster_budget_ledger"
_CREATE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (studio text NOT NULL, film_id text NOT NULL, ledger jsonb NOT NULL, "
           "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (studio, film_id))")
_tables_made: set[str] = set()  # URLs whose table this process has made sure of


class PostgresLedger:
    """One row per film in Postgres, updated under ``SELECT ... FOR UPDATE``: exact across hosts. The key
    is the studio folder and the film id, so studios sharing one database keep their films apart (the
    studio is at the same absolute path on every host)."""

    def __init__(self, film_dir: Path, url: str):
        self.url, self.copy = url, film_dir / LEDGER_NAME
        film_dir = film_dir.resolve()
        self.key = (str(film_dir.parent), film_dir.name)

    def _connect(self):
        conn = connect(self.url)
        if self.url not in _tables_made:
            # CREATE TABLE IF NOT EXISTS is not safe against itself run at once (a unique violation in
            # pg_type): the first process of each host makes it under a transaction advisory lock
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(TABLE),))
                cur.execute(_CREATE)
            conn.commit()
            _tables_made.add(self.url)
        return conn

    def read(self) -> Optional[dict]:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f"SELECT ledger FROM {TABLE} WHERE studio = %s AND film_id = %s", self.key)
                row = cur.fetchone()
        finally:
            conn.close()
        return row[0] if row else _read_file_ledger(self.copy)

    @contextlib.contextmanager
    def update(self) -> Iterator[dict]:
        from psycopg2.extras import Json

        select = f"SELECT ledger FROM {TABLE} WHERE studio = %s AND film_id = %s FOR UPDATE"
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute(select, self.key)
                row = cur.fetchone()
                if row is None:  # the film's first update here: it continues its file ledger, if any
                    cur.execute(f"INSERT INTO {TABLE} (studio, film_id, ledger) VALUES (%s, %s, %s) "
                                "ON CONFLICT DO NOTHING", (*self.key, Json(_read_file_ledger(self.copy) or {})))
                    cur.execute(select, self.key)
                    row = cur.fetchone()
                raw = row[0]
                yield raw
                cur.execute(f"UPDATE {TABLE} SET ledger = %s, updated_at = now() WHERE studio = %s AND film_id = %s",
                            (Json(raw), *self.key))
                _write_copy(self.copy, raw)  # under the row lock: copies land in the order of the updates
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()


def budget_defaults_from_env(environ: Optional[dict] = None) -> dict:
    """``llm_token_budget`` / ``video_seconds_budget`` from the environment (absent or empty: unlimited)."""
    environ = os.environ if environ is None else environ
    out: dict = {}
    for env, field, cast in ((LLM_ENV, "llm_token_budget", int), (VIDEO_ENV, "video_seconds_budget", float)):
        raw = (environ.get(env) or "").strip()
        if not raw:
            continue
        try:
            out[field] = cast(raw)
        except ValueError as exc:
            raise ValueError(f"{env}={raw!r} is not a number: set a positive {cast.__name__} or unset it") from exc
    return out
