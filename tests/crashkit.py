"""Helpers for tests that really kill processes: spawn in a new session, wait for a condition on
disk, SIGKILL the whole process group (ffmpeg children included), and a studio library built once
per test session so each kill test does not pay the 45 s corpus build."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

HARBOUR = ("At night in the harbour, Mara chases a thief along the wet docks. "
           "At dawn in the lighthouse, Tomas tells Mara the stolen compass was his brother's.")
DESERT = ("At noon in the desert, Idris repairs a broken radio beside his truck. "
          "At dusk in the canyon, Lena hears his voice through the static and follows it.")


def film_env(tmp_path: Path, dagster_home: Path) -> dict[str, str]:
    dagster_home.mkdir(parents=True, exist_ok=True)
    yaml = dagster_home / "dagster.yaml"
    if not yaml.exists():
        yaml.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FILMASTER_", "DAGSTER_"))}
    env.update({"DAGSTER_HOME": str(dagster_home), "PYTHONUNBUFFERED": "1"})
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``python args...`` from the repository root in its own session (its own process group)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as fh:
        return subprocess.Popen([PYTHON, *args], cwd=REPO, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)


def film_cmd(theme: str, film_id: str, studio: Path, multiprocess: bool = False) -> list[str]:
    return ["-m", "tests.film_driver", "--theme", theme, "--film-id", film_id, "--out", str(studio),
            *(["--multiprocess"] if multiprocess else [])]


def tail(log: Path, lines: int = 25) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def kill_group_when(proc: subprocess.Popen, condition: Callable[[], bool], timeout: float, what: str,
                    log: Path, poll_s: float = 0.003) -> float:
    """Poll ``condition``; when true SIGKILL the process group and reap it. Returns seconds waited.

    Fails if the process ends first (the window was missed) or the timeout passes.
    """
    start = time.monotonic()
    try:
        while True:
            if condition():
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
                return time.monotonic() - start
            if proc.poll() is not None:
                raise AssertionError(f"process ended (exit {proc.returncode}) before {what}:\n{tail(log)}")
            if time.monotonic() - start > timeout:
                raise AssertionError(f"no {what} within {timeout:.0f}s:\n{tail(log)}")
            time.sleep(poll_s)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def run_ok(args: list[str], env: dict[str, str], log: Path, timeout: float) -> float:
    """Run to completion; assert exit 0. Returns seconds."""
    start = time.monotonic()
    proc = spawn(args, env, log)
    try:
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, f"{' '.join(args[:3])} exited {proc.returncode}:\n{tail(log)}"
    return time.monotonic() - start


def group_gone(pgid: int, within_s: float = 10.0) -> bool:
    """True once no process of the group is left (ffmpeg children die with their parent; killed
    children are zombies until init reaps them, hence the short wait)."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def library_template(base: Path) -> Path:
    """A studio whose ``.library`` (built-in audio library + both indexes) is built once per session
    through the real reindex job; test studios copy it. Note: the built-in audio rows record
    absolute paths, so copies keep reading the template's audio files (which stay in place)."""
    template = base / "library-template"
    base.mkdir(parents=True, exist_ok=True)
    with open(base / "library-template.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / ".library" / "clip_caption_index" / "meta.json").is_file():
            env = film_env(base, template / ".dagster")
            run_ok(["-m", "filmaster_assets.cli", "corpus", "reindex", "--out", str(template)], env,
                   base / "library-template.log", timeout=600)
    return template


def studio_from_template(template: Path, studio: Path) -> Path:
    studio.mkdir(parents=True, exist_ok=True)
    shutil.copytree(template / ".library", studio / ".library")
    return studio


def temp_names(root: Path) -> list[Path]:
    """Temp files and folders (hidden, with a .part or .build or .tmp- marker) under root."""
    return sorted(p for p in root.rglob(".*") if ".part" in p.name or ".build-" in p.name or ".tmp-" in p.name)
