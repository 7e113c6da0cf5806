"""Previs render speed, today's renderer against a baseline, side by side in one run.

Run: .venv/bin/python benchmarks/bench_previs.py [--repeat N] [--baseline DIR]

Seconds of render per 5 s shot at 720p and 1080p for three camera moves (the three renderer paths:
static = master + loop, push_in = zoompan with a changing zoom, truck_right = two parallax layers).
The shot is a story shot: a storm (rain layer, lightning flashes and a bolt), a seagull flying
across and a character walking (two moving sprites), so the depiction's costs are all in it;
``--shot plain`` renders the same shot without them (clear sky, nobody moving).

``--baseline DIR`` is a checkout of the renderer to compare with, e.g. the one before the
previs depicted its shots: ``git worktree add /tmp/previs_before 98a61f4``. Its renders run in a
subprocess with that checkout first on PYTHONPATH (same plan; the old renderer ignores weather,
props and motion) and the bench prints both medians and the ratio per case. Cases alternate
between the two renderers, so load on the machine hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SHOT_S = 5.0
FPS = 24
MOVES = ("static", "push_in", "truck_right")
SIZES = ((1280, 720), (1920, 1080))
ROOT = Path(__file__).resolve().parents[1]

# one script for both renderers: it renders one case and prints the seconds it took
CASE_SCRIPT = r"""
import json, sys, time
from pathlib import Path
from filmcraft.contracts import CameraSpec, SceneBlock, ShotPlan, SoundSketch
from filmcraft.previs import render_shot
from filmcraft.references.reference_sets import load_reference_set

width, height, move, out, visuals_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), sys.argv[5]
plain = sys.argv[6] == "plain"
story = dict(weather="storm", props=["seagull"], action="Mara walks to Tomas")
scene = dict(scene_id="s01", index=1, heading="EXT. OLD HARBOUR - NIGHT", location="Old Harbour", time_of_day="night",
             characters=["Mara", "Tomas"], key_visual_elements=[], narrative_objective="meet", mood="tense", shots=[],
             sound_sketch=SoundSketch(ambience="harbour", music_mood="tense"))
plan = dict(shot_id="s01_sh01", scene_id="s01", index=1, prompt="they meet", characters=["Mara", "Tomas"],
            location="Old Harbour", time_of_day="night", mood="tense",
            camera=CameraSpec(shot_size="medium", movement=move, angle="eye_level", lens_mm=50,
                              lighting="moonlight", grade="night_blue", duration_s=%(shot)s))
new = "weather" in SceneBlock.model_fields and "props" in ShotPlan.model_fields
kwargs = {}
if new and not plain:  # today's contracts carry the story; the baseline's would refuse the fields
    scene["weather"] = "storm"
    plan.update(story)
    if visuals_dir:
        sys.path.insert(0, %(bench_dir)r)
        from bench_previs import TagVisualLibrary
        kwargs["visuals"] = TagVisualLibrary(Path(visuals_dir))
refs = load_reference_set(SceneBlock(**scene), None, out.parent / f"cards{height}", width, height)
t0 = time.perf_counter()
render_shot(ShotPlan(**plan), refs, out, width, height, %(fps)s, **kwargs)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


class TagVisualLibrary:
    """The built-in icon set matched by name and tag only (the visual library's first, exact step)."""

    def __init__(self, raster_dir: Path):
        from corpus_ingest.visual_files import builtin_visuals
        from corpus_ingest.visuals import noun_key

        self.raster_dir = raster_dir
        self.assets = builtin_visuals()
        self.table: dict[str, object] = {}
        for field in ("name", "tags"):
            for a in self.assets:
                for text in ([a.name, a.name.replace("-", " ")] if field == "name" else a.tags):
                    self.table.setdefault(noun_key(text), a)
        self._answers: dict[str, object] = {}

    def find(self, noun: str, colour=None):  # the text's colour is not painted here: both renderers get the same cut-outs
        from corpus_ingest.visual_raster import cutout, fill_for
        from corpus_ingest.visuals import noun_key
        from filmcraft.roles import Visual

        if noun in self._answers:
            return self._answers[noun]
        words = noun_key(noun).split()
        asset = next((self.table[k] for k in (" ".join(words[i:]) for i in range(len(words))) if k in self.table), None)
        visual = None
        if asset is not None:
            path = cutout(Path(asset.path), self.raster_dir, fill_for(asset.kind, asset.name) if asset.recolour else None)
            visual = Visual(visual_id=asset.visual_id, path=path, tags=tuple(asset.tags))
        self._answers[noun] = visual
        return visual


def run_case(checkout: Path, width: int, height: int, move: str, out: Path, visuals_dir: str,
             shot: str = "story") -> float:
    script = CASE_SCRIPT % {"shot": SHOT_S, "fps": FPS, "bench_dir": str(Path(__file__).resolve().parent)}
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.run([sys.executable, "-c", script, str(width), str(height), move, str(out), visuals_dir, shot],
                          cwd=checkout, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit(f"render failed in {checkout}:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="renders per case and renderer (the median is reported)")
    ap.add_argument("--baseline", type=Path, default=None, help="a checkout of the renderer to compare with")
    ap.add_argument("--shot", choices=("story", "plain"), default="story",
                    help="story: storm, seagull, walking figure (default); plain: the same shot with none of them")
    args = ap.parse_args()
    print(f"cpu cores: {os.cpu_count()}  load average: {os.getloadavg()[0]:.2f}  shot: {args.shot}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        visuals = tmp_path / "visuals"
        renderers = [("today", ROOT, str(visuals))]
        if args.baseline is not None:
            renderers.append(("baseline", args.baseline.resolve(), ""))
        for width, height in SIZES:
            means: dict[str, list[float]] = {name: [] for name, _, _ in renderers}
            for move in MOVES:
                times: dict[str, list[float]] = {name: [] for name, _, _ in renderers}
                for i in range(args.repeat + 1):  # the first round warms caches (cards, cut-outs) and is dropped
                    for name, checkout, vis in renderers:
                        (tmp_path / name).mkdir(exist_ok=True)
                        secs = run_case(checkout, width, height, move, tmp_path / name / f"{height}_{move}.mp4", vis,
                                        args.shot)
                        if i:
                            times[name].append(secs)
                line = f"{width}x{height} {move:12s}"
                for name, _, _ in renderers:
                    med = statistics.median(times[name])
                    means[name].append(med)
                    line += f"  {name} {med:5.2f} s"
                if args.baseline is not None:
                    line += f"  ratio {statistics.median(times['today']) / statistics.median(times['baseline']):.2f}x"
                print(line + f" per {SHOT_S:.0f} s shot", flush=True)
            line = f"{width}x{height} mean        "
            for name, _, _ in renderers:
                line += f"  {name} {statistics.mean(means[name]):5.2f} s"
            if args.baseline is not None:
                line += f"  ratio {statistics.mean(means['today']) / statistics.mean(means['baseline']):.2f}x"
            print(line + " per shot", flush=True)


if __name__ == "__main__":
    main()
