"""Two films made at the same time against one studio (shared clip cache, library, indexes) and
one Dagster instance give the same artifacts as each film made alone in a fresh studio.

Alone: the CLI's path (``cli.make_film``, jobs executed in process). Together: both films at once
with Dagster's multiprocess executor (every step in its own process, as ``dagster dev`` runs them)
on an empty studio, so both films also build the audio library and both indexes concurrently.
(One test covers both: each film costs ~25-45 s here and the suite has a 15-minute budget.)

Comparison: JSON artifacts (request, storyboards, scene blocks, shot plans, picture lock, cue sheet,
mix report, FilmEval) and the OTIO timeline are parsed and compared with the studio and library
folders replaced by placeholders; media (mp4, wav, png) are compared by sha256: the ffmpeg/x264
encodes and the WAV writes here are bit-exact across runs (checked before writing this test), so
any difference is a real one. Durations are compared as well, so a failure says what moved.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from tests.crashkit import (
    HARBOUR, film_cmd, film_env, run_ok, spawn, studio_from_template, tail, temp_names,
)

pytestmark = pytest.mark.slow

# Film B opens on the same scene as film A, so both processes render the same shots into the same
# content-addressed cache entries at once (the colliding-writer case), then diverge.
DOCKS_THEN_DESERT = ("At night in the harbour, Mara chases a thief along the wet docks. "
                     "At noon in the desert, Idris repairs a broken radio beside his truck.")
FILMS = {"harbour": HARBOUR, "docks-desert": DOCKS_THEN_DESERT}


def _normalised(value, roots: list[tuple[str, str]]):
    if isinstance(value, str):
        for root, name in roots:
            value = value.replace(root, name)
        return value
    if isinstance(value, list):
        return [_normalised(v, roots) for v in value]
    if isinstance(value, dict):
        return {k: _normalised(v, roots) for k, v in value.items()}
    return value


def _roots(studio: Path, template: Path) -> list[tuple[str, str]]:
    # library paths first (they sit inside the studio paths)
    return [(str(template / ".library"), "<LIB>"), (str(studio / ".library"), "<LIB>"), (str(studio), "<STUDIO>")]


def film_fingerprint(studio: Path, film_id: str, template: Path) -> dict[str, object]:
    """Every artifact of a film: parsed+normalised JSON/OTIO, sha256 of media, text of the rest."""
    from filmcraft.media import probe

    film = studio / film_id
    roots = _roots(studio, template)
    out: dict[str, object] = {}
    for path in sorted(p for p in film.rglob("*") if p.is_file() and not p.name.startswith(".")):
        rel = str(path.relative_to(film))
        if rel == "budget.json":
            continue  # the spending ledger: a clip another film already rendered costs 0 (checked below)
        if path.suffix in (".json", ".otio"):
            out[rel] = _normalised(json.loads(path.read_text(encoding="utf-8")), roots)
        elif path.suffix in (".mp4", ".wav", ".png"):
            entry = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            if path.suffix != ".png":
                entry["duration_s"] = probe(path).duration_s
            out[rel] = entry
        else:
            out[rel] = _normalised(path.read_text(encoding="utf-8"), roots)
    return out


def _diff(alone: dict, together: dict) -> list[str]:
    keys = sorted(set(alone) | set(together))
    return [k for k in keys if alone.get(k) != together.get(k)]


@pytest.fixture(scope="module")
def template(library_template) -> Path:
    return library_template


@pytest.fixture(scope="module")
def made_alone(tmp_path_factory, template) -> dict[str, dict]:
    """Each film made alone, in its own fresh studio and instance, by the CLI's in-process path."""
    out = {}
    for film_id, theme in FILMS.items():
        base = tmp_path_factory.mktemp(f"alone-{film_id}")
        studio = studio_from_template(template, base / "studio")
        t0 = time.monotonic()
        run_ok(film_cmd(theme, film_id, studio), film_env(base, base / "dagster_home"), base / "make.log", timeout=600)
        print(f"\n{film_id} alone: {time.monotonic() - t0:.1f}s")
        out[film_id] = film_fingerprint(studio, film_id, template)
    return out


def _make_together(base: Path, studio: Path, multiprocess: bool) -> float:
    env = film_env(base, base / "dagster_home")  # one instance for both
    t0 = time.monotonic()
    procs = {film_id: spawn(film_cmd(theme, film_id, studio, multiprocess), env, base / f"{film_id}.log")
             for film_id, theme in FILMS.items()}
    for film_id, proc in procs.items():
        proc.wait(timeout=1500)
        assert proc.returncode == 0, f"{film_id} failed when made together:\n{tail(base / f'{film_id}.log')}"
    return time.monotonic() - t0


def _check_against_alone(studio: Path, template: Path, made_alone: dict) -> None:
    for film_id in FILMS:
        together = film_fingerprint(studio, film_id, template)
        assert len(together) >= 50, sorted(together)
        differing = _diff(made_alone[film_id], together)
        assert differing == [], f"{film_id}: artifacts differ from the film made alone: {differing}"
    assert temp_names(studio) == [], temp_names(studio)
    clips = [p for p in (studio / ".cache" / "clips").iterdir()]
    # 2 films x 4 shots, the opening scene shared: fewer than 8 renders means the cache was shared
    billed = sum(json.loads((studio / f / "budget.json").read_text())["video_shots"] for f in FILMS)
    print(f"shared clip cache holds {len(clips)} clips for 8 shots; {billed} renders billed")
    assert len(clips) < 8
    # every clip in the cache was paid for, nothing twice unless both films missed it at the same instant
    assert len(clips) <= billed <= 8


def test_two_films_at_once_with_the_multiprocess_executor_on_an_empty_studio_match_films_made_alone(
        tmp_path, template, made_alone):
    import os

    import dagster as dg

    studio = tmp_path / "studio"  # no library: both films build it and both indexes at once
    studio.mkdir()
    seconds = _make_together(tmp_path, studio, multiprocess=True)
    print(f"\ntwo films at once, multiprocess executor, empty studio: {seconds:.1f}s")
    _check_against_alone(studio, template, made_alone)
    os.environ["DAGSTER_HOME"], old = str(tmp_path / "dagster_home"), os.environ.get("DAGSTER_HOME")
    try:
        with dg.DagsterInstance.get() as instance:
            runs = instance.get_run_records()
            assert runs and all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in runs)
            # every step ran in its own process: the multiprocess executor really was used
            assert any("Multiprocess executor" in (e.message or "")
                       for e in instance.all_logs(runs[0].dagster_run.run_id))
    finally:
        if old is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = old
