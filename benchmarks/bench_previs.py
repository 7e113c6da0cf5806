"""Previs render speed: seconds of render per 5 s shot at 720p and 1080p, three camera moves each.

Run: /work/venv/bin/python benchmarks/bench_previs.py [--repeat N]
Prints one line per (resolution, movement) and the seconds of render per second of film.
Moves cover the three renderer paths: static (master + loop), push_in (zoompan with a
changing zoom) and truck_right (two parallax layers + overlay).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from filmcraft.contracts import CameraSpec, SceneBlock, ShotPlan, SoundSketch
from filmcraft.media import probe
from filmcraft.previs import render_shot
from filmcraft.references.reference_sets import load_reference_set

SHOT_S = 5.0
FPS = 24
MOVES = ("static", "push_in", "truck_right")
SIZES = ((1280, 720), (1920, 1080))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2, help="renders per case (the median is reported)")
    args = ap.parse_args()
    scene = SceneBlock(
        scene_id="s01", index=1, heading="EXT. OLD HARBOUR - NIGHT", location="Old Harbour", time_of_day="night",
        characters=["Mara", "Tomas"], key_visual_elements=[], narrative_objective="meet", mood="tense", shots=[],
        sound_sketch=SoundSketch(ambience="harbour", music_mood="tense"),
    )
    print(f"cpu cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        for width, height in SIZES:
            refs = load_reference_set(scene, None, tmp_path / f"cards{height}", width, height)
            per_move = []
            for move in MOVES:
                plan = ShotPlan(
                    shot_id="s01_sh01", scene_id="s01", index=1, prompt="they meet", characters=["Mara", "Tomas"],
                    location="Old Harbour", time_of_day="night", mood="tense",
                    camera=CameraSpec(shot_size="medium", movement=move, angle="eye_level", lens_mm=50,
                                      lighting="moonlight", grade="night_blue", duration_s=SHOT_S),
                )
                out = tmp_path / f"{height}_{move}.mp4"
                times = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    render_shot(plan, refs, out, width, height, FPS)
                    times.append(time.perf_counter() - t0)
                secs = statistics.median(times)
                per_move.append(secs)
                print(f"{width}x{height} {move:12s} {secs:6.2f} s per {SHOT_S:.0f} s shot "
                      f"({secs / SHOT_S:.2f} s render per s of film; clip {probe(out).duration_s:.2f} s)")
            mean = statistics.mean(per_move)
            print(f"{width}x{height} mean      {mean:6.2f} s per shot = {mean / SHOT_S:.2f} s render per s of film")


if __name__ == "__main__":
    main()
