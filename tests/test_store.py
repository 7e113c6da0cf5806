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
