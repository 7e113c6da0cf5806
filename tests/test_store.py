"""The studio store: atomic writes leave either the old file or the new one, never half of one."""

import os
import stat

import pytest

from filmcraft.store import Studio, atomic_path, write_text


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "final.mp4"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("render crashed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["final.mp4"]  # no temp file left behind


def test_written_files_have_normal_permissions(tmp_path):
    path = write_text(tmp_path / "report.md", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_cache_pays_once_and_film_ids_cannot_escape(tmp_path):
    studio = Studio(tmp_path)
    calls = []
    produce = lambda p: (calls.append(1), p.write_bytes(b"clip"))
    first, hit1 = studio.cached_file("clips", {"shot": 1}, ".mp4", produce)
    second, hit2 = studio.cached_file("clips", {"shot": 1}, ".mp4", produce)
    assert first == second and (hit1, hit2) == (False, True) and len(calls) == 1
    for bad in ("../x", "a/b", "", ".."):
        with pytest.raises(ValueError):
            studio.film_dir(bad)


def test_temps_of_killed_processes_are_swept_and_live_ones_kept(tmp_path):
    """SIGKILL skips every ``finally``: the next temp made in the folder removes what a dead
    process of this host left (a file beside a deliverable, a previs scratch folder)."""
    import subprocess
    import sys

    from filmcraft.store import scratch_dir, temp_prefix

    code = ("import sys, tempfile; sys.path.insert(0, '.'); from filmcraft.store import temp_prefix; "
            f"tempfile.mkdtemp(prefix=temp_prefix('previs'), dir={str(tmp_path)!r}); "
            f"open(tempfile.mkstemp(prefix=temp_prefix('final'), suffix='.part.mp4', dir={str(tmp_path)!r})[1], 'w')")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    dead = sorted(p.name for p in tmp_path.iterdir())
    assert len(dead) == 2 and all(".tmp-" in n for n in dead)
    (tmp_path / f"{temp_prefix('mine')}live").mkdir()  # this process's: alive
    (tmp_path / ".notes").write_text("not a temp")

    with scratch_dir("previs", tmp_path) as scratch:
        (scratch / "master.png").write_bytes(b"x")
        left = sorted(p.name for p in tmp_path.iterdir() if p != scratch)
    assert left == sorted([".notes", f"{temp_prefix('mine')}live"])
    assert not scratch.exists()


def test_studio_documents_carry_a_schema_version(tmp_path):
    import json

    import pytest

    from filmcraft.contracts import Synopsis
    from filmcraft.store import SCHEMA_VERSION, StudioFileError, read_model, write_model

    syn = Synopsis(title="t", logline="l", synopsis="s", genre="drama", mood="calm", characters=[], locations=[])
    path = write_model(tmp_path / "synopsis.json", syn)
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == SCHEMA_VERSION and read_model(path, Synopsis) == syn

    # a studio made before documents were versioned still loads (version 0 migrates to 1)
    old = tmp_path / "old.json"
    old.write_text(syn.model_dump_json())
    assert read_model(old, Synopsis) == syn

    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**doc, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(StudioFileError, match="written by a newer filmaster.*upgrade filmaster"):
        read_model(newer, Synopsis)
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema_version": 1, "title": ')
    with pytest.raises(StudioFileError, match="broken.json is not readable JSON"):
        read_model(broken, Synopsis)
    weird = tmp_path / "weird.json"
    weird.write_text(json.dumps({**doc, "schema_version": "one"}))
    with pytest.raises(StudioFileError, match="not a version number"):
        read_model(weird, Synopsis)
