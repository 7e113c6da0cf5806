"""The studio folder: atomic writes and a content-addressed cache for expensive calls.

Layout::

    <root>/<film_id>/...        per-film outputs (final.mp4, stems/, shots/, *.json)
    <root>/.cache/<kind>/<h>.*  content-addressed results of LLM, TTS and video calls
    <root>/.requests/           drop folder watched by the film request sensor
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator, TypeVar

from pydantic import BaseModel

from filmcraft.contracts import FILM_ID_RE

M = TypeVar("M", bound=BaseModel)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def content_key(payload: object) -> str:
    """Stable hash of everything that matters for a result (inputs, backend, model, seed)."""
    blob = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


# Temp names carry this host and process id, so a temp orphaned by a killed process (SIGKILL, OOM,
# power loss skip every ``finally``) is told apart from one a live writer is still filling. Hosts sharing
# a studio must have distinct hostnames (Kubernetes pods and containers do): a pid is only checked on
# the host whose tag it carries.
_HOST_TAG = hashlib.sha256(socket.gethostname().encode("utf-8")).hexdigest()[:6]
_TEMP_OWNER = re.compile(r"\.tmp-([0-9a-f]{6})-(\d+)-")


def temp_prefix(name: str) -> str:
    """Prefix for a hidden temp file or folder that will become ``name``: tagged with host and pid."""
    return f".{name}.tmp-{_HOST_TAG}-{os.getpid()}-"


def process_alive(pid: int) -> bool:
    """True while a process with this pid exists on this host (this process counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: the pid runs under another user
        return True
    return True


# How long a temp of ANOTHER host may sit in a shared folder before it is swept. No host can check
# another's pids, so age is the only sign that a writer on a host that died (or was replaced) is
# gone. The mtime is stamped by the file server or the writer's clock, and compared with this host's:
# the margin is hours so clock skew and slow renders (a live writer keeps touching its file) never
# count. One day by default; FILMASTER_TEMP_MAX_AGE_HOURS changes it.
TEMP_MAX_AGE_ENV = "FILMASTER_TEMP_MAX_AGE_HOURS"
DEFAULT_TEMP_MAX_AGE_H = 24.0


def temp_max_age_s(environ: dict | None = None) -> float:
    raw = ((os.environ if environ is None else environ).get(TEMP_MAX_AGE_ENV) or "").strip()
    if not raw:
        return DEFAULT_TEMP_MAX_AGE_H * 3600
    try:
        hours = float(raw)
    except ValueError:
        hours = -1.0
    if not hours > 0:
        raise ValueError(f"{TEMP_MAX_AGE_ENV}={raw!r} is not a positive number of hours: set e.g. 24, or unset it")
    return hours * 3600


def _last_touched(entry: os.DirEntry) -> float:
    """Newest mtime of a temp file, or of a temp folder and everything in it (a writer fills the files
    of a staging folder long after making the folder itself)."""
    newest = entry.stat(follow_symlinks=False).st_mtime
    if entry.is_dir(follow_symlinks=False):
        for root, dirs, files in os.walk(entry.path):
            for name in dirs + files:
                with contextlib.suppress(FileNotFoundError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def remove_orphan_temps(folder: str | Path) -> list[Path]:
    """Delete temp files and folders in ``folder`` whose writer is gone: on this host, a writer whose
    process no longer exists (checked by pid, only on its own host); on another host sharing the folder,
    a temp untouched for ``FILMASTER_TEMP_MAX_AGE_HOURS`` (default 24)."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return removed
    max_age, now = None, time.time()
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        owner = _TEMP_OWNER.search(entry.name)
        if owner is None:
            continue
        try:
            if owner.group(1) == _HOST_TAG:
                if process_alive(int(owner.group(2))):
                    continue
            else:
                max_age = temp_max_age_s() if max_age is None else max_age
                if now - _last_touched(entry) < max_age:
                    continue
            path = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except FileNotFoundError:
            continue  # another process swept it first (or its writer renamed it in)
        removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temp path beside ``final``; rename it over ``final`` only if the block succeeds.

    A crash or exception leaves the previous file untouched and no half-written output. The temp
    name is unique per call (concurrent writers of one file never share a temp) and keeps the suffix
    so tools like ffmpeg pick the right muxer. Temps orphaned in the folder by killed processes
    are swept first.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_orphan_temps(final.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(final.stem), suffix=f".part{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes 0600 files; deliverables get the usual permissions (0666 less the umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def file_lock(path: str | Path, across_hosts: bool = False) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (created if missing): read-modify-writes of one studio file
    (a budget ledger, an index build, the catalog, scene overrides) from several processes, one at a time.

    ``flock`` holds among the processes of one host; on a shared file system (NFS) it may not hold
    between hosts. ``across_hosts=True`` is for edits that must never be lost when hosts share the
    studio: with ``FILMASTER_POSTGRES_URL`` set it takes a Postgres advisory lock on the file's
    absolute path (the same on every host) instead."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if across_hosts:
        from filmcraft.postgres import advisory_lock, connect, postgres_url

        url = postgres_url()
        if url:
            conn = connect(url)
            try:
                with advisory_lock(conn, f"file:{path.resolve()}"):
                    yield
            finally:
                conn.close()
            return
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def scratch_dir(name: str, parent: str | Path | None = None) -> Iterator[Path]:
    """A private working folder (default in the system temp folder), removed afterwards. Tagged like
    every temp, so folders left by killed processes are swept when the next one is made."""
    parent = Path(parent or tempfile.gettempdir())
    remove_orphan_temps(parent)
    path = Path(tempfile.mkdtemp(prefix=temp_prefix(name), dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def set_aside(path: Path, folder: str, reason: str | None = None) -> None:
    """Move a handled entry of a drop folder into ``folder`` beside it (``accepted``, ``rejected``), with
    the reason in ``<name>.error.txt`` when there is one, so the drop folder holds only what is new."""
    target = path.parent / folder
    target.mkdir(exist_ok=True)
    if reason is not None:
        write_text(target / f"{path.name}.error.txt", reason + "\n")
    os.replace(path, target / path.name)


def read_json_or_none(path: str | Path) -> object | None:
    """A JSON file's value, or None when it is missing or unreadable (a build that never finished)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


# Every contract document in a studio carries this version. Bump it when a contract changes shape and
# add a migration below from the previous version, so studios made by older releases keep loading.
SCHEMA_VERSION = 1
SCHEMA_KEY = "schema_version"


class StudioFileError(ValueError):
    """A studio JSON file that cannot be read as its contract: names the file and what to do."""


def _migrate_v0(doc: dict) -> dict:
    """Version 0: files written before documents were versioned. Same shape as version 1."""
    return doc


# from-version -> function returning the document at from-version + 1
MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _migrate_v0}


def model_document(model: BaseModel) -> dict:
    """A contract as the versioned JSON document stored in the studio."""
    return {SCHEMA_KEY: SCHEMA_VERSION, **model.model_dump(mode="json")}


def write_model(path: str | Path, model: BaseModel | list[BaseModel]) -> Path:
    """Write a contract as a versioned document (a list of contracts, e.g. a library manifest, stays a list)."""
    if isinstance(model, list):
        text = json.dumps([m.model_dump(mode="json") for m in model], indent=2, ensure_ascii=False)
    else:
        text = json.dumps(model_document(model), indent=2, ensure_ascii=False)
    return write_text(path, text + "\n")


def upgrade_document(doc: dict, where: str) -> dict:
    """Bring a stored document to the current schema version, or refuse with what to do."""
    doc = dict(doc)
    version = doc.pop(SCHEMA_KEY, 0)
    if not isinstance(version, int) or version < 0:
        raise StudioFileError(f"{where}: {SCHEMA_KEY} {version!r} is not a version number: restore the file "
                              "or delete it and make the film again")
    if version > SCHEMA_VERSION:
        raise StudioFileError(f"{where} was written by a newer filmaster (schema version {version}; this one "
                              f"reads up to {SCHEMA_VERSION}): upgrade filmaster, or make the film again in "
                              "another studio folder")
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise StudioFileError(f"{where} has schema version {version}, which this filmaster cannot migrate: "
                                  "make the film again (`filmaster update FILM_ID` rewrites it)")
        doc = MIGRATIONS[version](doc)
        version += 1
    return doc


def read_model(path: str | Path, model: type[M]) -> M:
    """Read a contract document, migrating older schema versions."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StudioFileError(f"{path} is not readable JSON ({exc}): restore it, or delete it and make the "
                              "film again") from exc
    if isinstance(raw, dict):
        raw = upgrade_document(raw, str(path))
    return model.model_validate(raw)


def read_models(path: str | Path, model: type[M]) -> list[M]:
    return [model.model_validate(x) for x in json.loads(Path(path).read_text(encoding="utf-8"))]


class Studio:
    """Where films, caches and request drops live. Plain Python; wrapped by a Dagster resource."""

    def __init__(self, root: str | Path):
        self.root = Path(root).expanduser().resolve()

    def film_dir(self, film_id: str) -> Path:
        if not FILM_ID_RE.match(film_id or ""):
            raise ValueError(f"film id {film_id!r} is not a valid film id (no path separators or '..')")
        path = (self.root / film_id).resolve()
        if path.parent != self.root:
            raise ValueError(f"film id {film_id!r} escapes the studio folder {self.root}")
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def cache_root(self) -> Path:
        return self.root / ".cache"

    @property
    def requests_dir(self) -> Path:
        path = self.root / ".requests"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cached_file(self, kind: str, key: object, suffix: str, produce: Callable[[Path], None]) -> tuple[Path, bool]:
        """Return (path, hit). On a miss ``produce(tmp_path)`` writes the file, then it is renamed in.

        ``key`` must contain every input that changes the result (backend, model and seed too).
        """
        digest = content_key(key)
        final = self.cache_root / kind / f"{digest}{suffix}"
        if final.exists() and final.stat().st_size > 0:
            return final, True
        with atomic_path(final) as tmp:
            produce(tmp)
            if not tmp.exists() or tmp.stat().st_size == 0:
                raise RuntimeError(f"{kind} produced an empty file for cache key {digest}")
        return final, False

    def cached_json(self, kind: str, key: object, produce: Callable[[], object]) -> tuple[object, bool]:
        digest = content_key(key)
        final = self.cache_root / kind / f"{digest}.json"
        if final.exists():
            return json.loads(final.read_text(encoding="utf-8")), True
        value = produce()
        write_text(final, json.dumps(value, ensure_ascii=False))
        return value, False
