"""Whole-film figures: make the bundled demo film offline in a fresh studio and report wall time per
stage and the total as a ratio of the film's runtime; then make it again (nothing changed) to show
what the content-addressed caches and per-scene fingerprints save, as a ratio of the first run.

    python benchmarks/bench_film.py [--hd] [--studio DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hd", action="store_true")
    ap.add_argument("--studio", help="studio folder (default: a new temp folder)")
    args = ap.parse_args()
    studio_dir = args.studio or tempfile.mkdtemp(prefix="filmaster-bench-")

    from filmaster_assets.cli.film import build_request, demo_text, make_film
    from filmaster_assets.cli.runtime import setup_env
    from filmcraft.contracts import PictureLock
    from filmcraft.media import probe
    from filmcraft.store import read_model

    studio = setup_env(studio_dir)
    req = build_request(demo_text(), "demo", None, "general", args.hd, 0)
    timings = []
    for label in ("first make (cold caches, builds libraries)", "second make (nothing changed)"):
        log = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(log):
            film = make_film(req, studio)
        timings.append((label, time.perf_counter() - start, log.getvalue()))
    runtime = probe(film / "final.mp4").duration_s
    lock = read_model(film / "cut" / "picture_lock.json", PictureLock)
    print(f"film: {req.width}x{req.height}@{req.fps}, {len(lock.decisions)} shots, runtime {runtime:.1f}s")
    for label, seconds, log in timings:
        print(f"\n{label}: {seconds:.1f}s wall = {seconds / runtime:.2f} s per second of film")
        for line in log.splitlines():
            if " done in " in line or "unchanged" in line:
                print("  " + line)
    print(f"\nsecond / first make: {timings[1][1] / timings[0][1]:.2f}")


if __name__ == "__main__":
    main()
