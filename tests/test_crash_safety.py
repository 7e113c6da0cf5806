"""Crash safety with real kills: a ``filmaster make`` process group is SIGKILLed while it renders
clips, while it mixes, and a caption index build is SIGKILLed midway. Nothing half-written may sit
under a final name, the next run must finish with correct outputs and reuse what was finished,
and the previous index must answer searches throughout.

Each kill is triggered by what is on disk (a temp render file beside finished ones), not by a
timer, so the process is provably mid-write when it dies.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.crashkit import (
    HARBOUR, PYTHON, REPO, film_cmd, film_env, group_gone, kill_group_when, run_ok, spawn,
    studio_from_template, temp_names,
)

pytestmark = pytest.mark.slow

FPS = 12


@pytest.fixture(scope="module")
def template(library_template) -> Path:
    return library_template


def _is_temp(name: str) -> bool:
    return name.startswith(".") and (".part" in name or ".tmp-" in name)


def _planned_durations(film: Path) -> dict[str, float]:
    out = {}
    for plan in sorted(film.glob("scenes/*/shot_plan.json")):
        for shot in json.loads(plan.read_text())["shots"]:
            out[shot["shot_id"]] = shot["camera"]["duration_s"]
    return out


def _assert_clip(path: Path, planned_s: list[float]) -> None:
    from filmcraft.media import probe

    info = probe(path)  # raises on a truncated or empty file
    assert info.has_video and (info.width, info.height) == (256, 144), path
    assert min(abs(info.duration_s - d) for d in planned_s) <= 1 / FPS + 0.02, (path, info.duration_s, planned_s)


def test_killed_while_rendering_clips_resumes_and_reuses_finished_clips(tmp_path, template):
    studio = studio_from_template(template, tmp_path / "studio")
    env = film_env(tmp_path, tmp_path / "dagster_home")
    cache = studio / ".cache" / "clips"
    log = tmp_path / "make.log"

    def mid_render() -> bool:
        # at least one clip finished and the next one half-encoded
        names = os.listdir(cache) if cache.is_dir() else []
        return any(n.endswith(".mp4") and not n.startswith(".") for n in names) and any(_is_temp(n) for n in names)

    proc = spawn(film_cmd(HARBOUR, "harbour", studio), env, log)
    t0 = time.monotonic()
    kill_group_when(proc, mid_render, 240, "clip render in progress", log)
    killed_after = time.monotonic() - t0
    assert group_gone(proc.pid), "ffmpeg children outlived the kill"

    film = studio / "harbour"
    planned = _planned_durations(film)
    orphans = [p for p in cache.iterdir() if _is_temp(p.name)]
    assert orphans, "the kill did not land mid-render"
    finished = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.iterdir() if not p.name.startswith(".")}
    assert 1 <= len(finished) < 4
    # no partial mp4 under a final name: every clip in the cache and in the film folder is whole
    for path in [*finished, *(p for p in (film / "shots").glob("*.mp4") if not p.name.startswith("."))]:
        _assert_clip(path, list(planned.values()))

    t1 = time.monotonic()
    run_ok(film_cmd(HARBOUR, "harbour", studio), env, tmp_path / "remake.log", timeout=300)
    remake_s = time.monotonic() - t1

    from filmcraft.contracts import PictureLock
    from filmcraft.media import probe
    from filmcraft.store import read_model

    lock = read_model(film / "cut" / "picture_lock.json", PictureLock)
    final = probe(film / "final.mp4")
    assert final.has_video and final.has_audio
    assert abs(final.duration_s - lock.runtime_s) <= 1 / FPS + 0.05, (final.duration_s, lock.runtime_s)
    # clips finished before the kill were reused, not re-rendered (same inode, same mtime)
    for path, stamp in finished.items():
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp, f"{path.name} was rendered again"
    clips = [p for p in cache.iterdir() if not p.name.startswith(".")]
    assert len(clips) == 4, [p.name for p in cache.iterdir()]
    planned = _planned_durations(film)
    for shot_id, duration in planned.items():
        _assert_clip(film / "shots" / f"{shot_id}.mp4", [duration])
    # the temp the killed render left is swept by the next write into its folder
    assert temp_names(studio) == [], temp_names(studio)
    # the killed run does not stay STARTED in the UI: the remake marked it failed
    import dagster as dg

    with dg.DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        statuses = [r.status for r in instance.get_runs()]
    assert dg.DagsterRunStatus.STARTED not in statuses and dg.DagsterRunStatus.FAILURE in statuses, statuses
    print(f"\nclips kill: killed after {killed_after:.1f}s with {len(finished)}/4 clips done and "
          f"{len(orphans)} temp(s) mid-write; remake {remake_s:.1f}s rendered {4 - len(finished)} clip(s)")


def test_killed_while_mixing_leaves_no_half_stem_and_remix_hits_loudness(tmp_path, template):
    import pyloudnorm as pyln

    studio = studio_from_template(template, tmp_path / "studio")
    env = film_env(tmp_path, tmp_path / "dagster_home")
    film = studio / "harbour"
    stems = film / "stems"
    log = tmp_path / "make.log"

    def staging() -> list[Path]:
        try:
            return [p for p in film.iterdir() if p.name.startswith(".mix.tmp-") and p.is_dir()]
        except FileNotFoundError:
            return []

    def mid_mix() -> bool:
        # the final mix stages its files in film/.mix.tmp-<host>-<pid>-*/ and moves them into place only
        # whole (the rough cut mixes under cut/rough_mix/): one stem delivered there, the next half-written
        for folder in staging():
            try:
                names = os.listdir(folder / "stems")
            except FileNotFoundError:
                continue
            if any(n.endswith(".wav") and not n.startswith(".") for n in names) and any(_is_temp(n) for n in names):
                return True
        return False

    proc = spawn(film_cmd(HARBOUR, "harbour", studio), env, log)
    t0 = time.monotonic()
    kill_group_when(proc, mid_mix, 240, "stem being written", log, poll_s=0.001)
    killed_after = time.monotonic() - t0

    left = staging()
    assert left and any(_is_temp(p.name) for p in (left[0] / "stems").iterdir()), "the kill did not land mid-mix"
    # nothing of the unfinished mix sits under a final name
    assert not stems.exists() and not (film / "mix.wav").exists()
    assert not (film / "final.mp4").exists()

    t1 = time.monotonic()
    run_ok(film_cmd(HARBOUR, "harbour", studio), env, tmp_path / "remake.log", timeout=300)
    remake_s = time.monotonic() - t1

    assert not staging(), "the remake did not sweep the killed mix's staging folder"
    report = json.loads((film / "mix_report.json").read_text())
    data, rate = sf.read(str(film / "mix.wav"))
    master_lufs = pyln.Meter(rate).integrated_loudness(data)
    assert abs(master_lufs - report["master_target_lufs"]) <= 0.5, master_lufs
    for stem in report["stems"]:
        if stem["measured_lufs"] is not None:
            sdata, srate = sf.read(stem["path"])
            assert abs(pyln.Meter(srate).integrated_loudness(sdata) - stem["target_lufs"]) <= 0.5, stem["stem"]

    from filmcraft.contracts import PictureLock
    from filmcraft.media import probe
    from filmcraft.store import read_model

    lock = read_model(film / "cut" / "picture_lock.json", PictureLock)
    assert abs(probe(film / "final.mp4").duration_s - lock.runtime_s) <= 1 / FPS + 0.05
    assert temp_names(studio) == [], temp_names(studio)
    print(f"\nmix kill: killed after {killed_after:.1f}s mid-way through the staged stems; remake {remake_s:.1f}s; "
          f"master {master_lufs:.2f} LUFS")


# --- index build ---------------------------------------------------------------------------------

SIZES = ["extreme close-up", "close-up", "medium shot", "cowboy shot", "wide shot", "extreme wide shot"]
MOVES = ["slow push-in", "pull-out", "pan left", "tilt up", "handheld follow", "crane down"]
SUBJECTS = ["an old fisherman", "a girl with a red kite", "two soldiers", "a stray dog", "a violinist",
            "a nurse", "a cyclist", "a grandmother", "a street vendor", "a chess player"]
PLACES = ["a rainy alley", "a wheat field", "a subway platform", "a lighthouse stair", "a hospital corridor",
          "a desert road", "a rooftop garden", "a fish market"]
TIMES = ["at dawn", "at noon", "at golden hour", "at night"]
MARKER_ID = "marker-zeppelin"
MARKER_TEXT = "A paper zeppelin lantern drifts above a frozen salt flat while a distant choir hums"
QUERIES = ["slow push-in on a face at night", "aerial wide shot over a city at dawn", "handheld chase through a market"]


def _generated_captions(path: Path, n: int = 2000) -> int:
    combos = [(s, m, who, where, when) for s in SIZES for m in MOVES for who in SUBJECTS for where in PLACES
              for when in TIMES]
    random.Random(7).shuffle(combos)
    rows = [{"id": f"gen-{i:05d}", "caption": f"{s.capitalize()}, {m} on {who} in {where} {when}."}
            for i, (s, m, who, where, when) in enumerate(combos[:n - 1])]
    rows.append({"id": MARKER_ID, "caption": MARKER_TEXT})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return len(rows)


# Read, validate and embed the new source (not killed), through corpus_ingest's public functions.
INGEST = """
import sys
from pathlib import Path
from corpus_ingest.caption_sources import ingest_caption_source
from corpus_ingest.embedding import embed_source
from corpus_ingest.registry import SourceSpec, register_source
from filmcraft.layout import LibraryLayout
from resources import build_resources
lib = LibraryLayout(Path(sys.argv[1]))
spec = SourceSpec(kind="captions", name="gen", path=sys.argv[2], text_field="caption", id_field="id")
register_source(lib, spec)
ingest_caption_source(lib, spec)
embed_source(lib, "captions", "gen", build_resources()["embeddings"].embedder(), progress=False)
"""
# Rebuild the index over all sources; HNSW (exact_threshold below the row count) so the build
# itself, not only the embedding, has a window to be killed in.
BUILD = """
import sys
from pathlib import Path
from corpus_ingest.reindex import rebuild_caption_index
from filmcraft.layout import LibraryLayout
from resources import build_resources
print(rebuild_caption_index(LibraryLayout(Path(sys.argv[1])), build_resources()["embeddings"].embedder(),
                            exact_threshold=1000, progress=False))
"""


def _cli_search(studio: Path, env: dict, query: str) -> list[dict]:
    proc = subprocess.run([PYTHON, "-m", "filmaster_assets.cli", "search", "captions", query, "-k", "5", "--json",
                           "--out", str(studio)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_killed_index_build_keeps_the_previous_index_answering(tmp_path, template):
    from corpus_ingest.index import VectorIndex, read_meta
    from resources import build_resources

    studio = studio_from_template(template, tmp_path / "studio")
    env = film_env(tmp_path, tmp_path / "dagster_home")
    lib = studio / ".library"
    index_dir = lib / "clip_caption_index"
    rows_before = read_meta(index_dir)["rows"]

    cli_before = _cli_search(studio, env, QUERIES[0])
    embedder = build_resources()["embeddings"].embedder()
    qv = embedder.encode(QUERIES)
    answers_before = VectorIndex.load(index_dir).search(qv, 8)

    captions = tmp_path / "generated.jsonl"
    n_new = _generated_captions(captions)
    run_ok(["-c", INGEST, str(lib), str(captions)], env, tmp_path / "ingest.log", timeout=300)
    assert read_meta(index_dir)["rows"] == rows_before  # embedding alone does not touch the live index

    # Kill the rebuild while its temp folder exists; meanwhile keep loading and querying the live index.
    searches = 0

    def building() -> bool:
        nonlocal searches
        assert VectorIndex.load(index_dir).search(qv, 8) == answers_before, "live index changed mid-build"
        searches += 1
        return any(n.startswith(".clip_caption_index.") and n != ".clip_caption_index.lock" for n in os.listdir(lib))

    log = tmp_path / "build.log"
    proc = spawn(["-c", BUILD, str(lib)], env, log)
    kill_group_when(proc, building, 180, "index build folder", log, poll_s=0.0)
    stray = [n for n in os.listdir(lib) if n.startswith(".clip_caption_index.") and n != ".clip_caption_index.lock"]
    assert stray, "the kill did not land mid-build"

    # after the kill: the previous index, unchanged, through the product's own search command
    assert VectorIndex.load(index_dir).search(qv, 8) == answers_before
    assert read_meta(index_dir)["rows"] == rows_before
    cli_after = _cli_search(studio, env, QUERIES[0])
    assert cli_after == cli_before

    # the next build (the CLI ingest of the same file) completes and includes the new rows
    t0 = time.monotonic()
    run_ok(["-m", "filmaster_assets.cli", "ingest", "captions", str(captions), "--source", "gen",
            "--text-field", "caption", "--id-field", "id", "--out", str(studio)], env, tmp_path / "reingest.log",
           timeout=300)
    rebuild_s = time.monotonic() - t0
    meta = read_meta(index_dir)
    assert meta["rows"] == rows_before + n_new, (meta["rows"], rows_before, n_new)
    hit = _cli_search(studio, env, MARKER_TEXT)[0]
    assert hit["id"].endswith(MARKER_ID) and hit["source"] == "gen", hit
    leftovers = [p.name for p in temp_names(lib)]
    assert leftovers == [], f"stray temp folders after the next successful build: {leftovers}"
    print(f"\nindex kill: {searches} loads+searches of the live index during the build, all identical; "
          f"stray {stray}; rebuild {rebuild_s:.1f}s to {meta['rows']} rows")
