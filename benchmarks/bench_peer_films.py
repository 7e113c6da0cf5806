"""FilmEval's offline judge on films made by other systems, beside the project's own, on the same scripts.

The FilMaster paper compares its films with Anim-Director, MovieAgent and LTX-Studio (Table 2). Its
project page publishes those systems' films for its scripts (github.com/filmaster-AI/filmaster-AI,
``materials/video/comparison/<system>/<n>.mp4``; the scripts are in its ``index.html``). This benchmark
judges such videos with ``filmaster eval score``'s judge and prints one table per script, every
criterion with its basis, so what the offline judge can and cannot tell apart across systems is on
the page. Nothing is downloaded: point it at files you have.

    python benchmarks/bench_peer_films.py MANIFEST.json [--out docs/filmeval_peers.md]

MANIFEST.json: ``{"scripts": {"little_prince": "In their space journey, ..."},
"films": [{"system": "Anim-Director", "script": "little_prince", "path": "peer/Anim-Director_1.mp4"},
{"system": "FilMaster on Dagster (offline)", "script": "little_prince", "path": "studio/prince"}]}``
(a path is a bare video or a film folder the pipeline made; relative paths are from the manifest).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus_ingest.embed import MiniLMEmbedder  # noqa: E402
from evaluation.criteria import CODES, paper_scale  # noqa: E402
from evaluation.film_folder import inputs_from_path  # noqa: E402
from evaluation.offline_judge import judge_offline  # noqa: E402
from filmcraft.media import probe  # noqa: E402

SHOWN = ("SF", "NC", "VQ", "CC", "PLC", "VAQ", "CT", "AVR", "NP", "VAC", "CD", "OQ")
BASIS = {"measured": "", "proxy": "p", "derived": "d", "not measured": ""}


def _cell(score) -> str:
    if score.score is None:
        return "n/m"
    return f"{score.score:.2f}{BASIS.get(score.basis, '')}"


def judge_all(manifest_path: Path) -> tuple[str, list[dict]]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    scripts: dict[str, str] = manifest["scripts"]
    embedder = MiniLMEmbedder()
    rows = []
    for film in manifest["films"]:
        path = (manifest_path.parent / film["path"]).resolve()
        start = time.monotonic()
        inputs = inputs_from_path(path, scripts[film["script"]])
        inputs.embedder = embedder
        scores = judge_offline(inputs)
        info = probe(inputs.final_video)
        rows.append({"system": film["system"], "script": film["script"], "path": str(path),
                     "video": f"{info.width}x{info.height}, {info.duration_s:.1f} s, "
                              f"{'sound' if info.has_audio else 'no sound'}",
                     "scores": {CODES[c.criterion]: c for c in scores.criteria},
                     "cl": paper_scale(scores.camera_language), "crh": paper_scale(scores.cinematic_rhythm),
                     "average": scores.average, "seconds": time.monotonic() - start})
    lines = ["# FilmEval's offline judge on other systems' films", "",
             f"Manifest: `{manifest_path}`. Judge: the offline judge (`filmaster eval score`). A suffix `p` marks a "
             "proxy (scaled onto 1-4), `d` a derived score; n/m = not measured (the reason is in "
             "`filmaster eval score PATH`). CL and CRh are on the paper's 1-5 scale.", ""]
    for script, text in scripts.items():
        group = [r for r in rows if r["script"] == script]
        if not group:
            continue
        lines += [f"## {script}", "", f"> {text}", "",
                  "| system | video | " + " | ".join(SHOWN) + " | CL | CRh | average |",
                  "|---|---|" + "---|" * (len(SHOWN) + 3)]
        for r in group:
            fmt = lambda v: "n/m" if v is None else f"{v:.2f}"  # noqa: E731
            lines.append(f"| {r['system']} | {r['video']} | " + " | ".join(_cell(r["scores"][c]) for c in SHOWN)
                         + f" | {fmt(r['cl'])} | {fmt(r['crh'])} | {fmt(r['average'])} |")
        lines.append("")
        for r in group:
            np_ = r["scores"]["NP"].measurement
            vaq = r["scores"]["VAQ"].measurement
            lines.append(f"- {r['system']}: {int(np_.get('shots') or 0)} shots, average "
                         f"{np_.get('average_shot_length_s')} s; sound "
                         + (f"{vaq.get('track_lufs')} LUFS, {vaq.get('track_true_peak_dbtp')} dBTP" if "track_lufs" in vaq
                            else f"{vaq.get('master_lufs')} LUFS, {vaq.get('master_true_peak_dbtp')} dBTP (mix report)"
                            if "master_lufs" in vaq else "none")
                         + f"; judged in {r['seconds']:.1f} s")
        lines.append("")
    return "\n".join(lines), rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifest", type=Path)
    ap.add_argument("--out", type=Path, help="also write the report to this Markdown file")
    args = ap.parse_args(argv)
    report, _ = judge_all(args.manifest.resolve())
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
        print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
