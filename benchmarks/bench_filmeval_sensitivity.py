"""FilmEval's sensitivity on a real film: the defect x criterion matrix, and what the judge can see.

Scores a film folder (default: the demo, ``filmaster demo`` makes it in ./studio/demo) with the offline
judge, then every controlled defect of ``evaluation.sensitivity`` (each aimed at one criterion), and
prints the matrix of score deltas: a criterion should drop by at least 1 point under its own defect
(or be not measured) and move by at most 0.5 under the others. Also prints, per criterion, the score
and its basis (measured / proxy / derived / not measured).

    python benchmarks/bench_filmeval_sensitivity.py [--film studio/demo] [--out report.md]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--film", default="studio/demo", help="a film folder made by the pipeline (default studio/demo)")
    ap.add_argument("--out", help="also write the report to this Markdown file")
    args = ap.parse_args()
    film = Path(args.film).expanduser().resolve()
    if not (film / "final.mp4").exists():
        print(f"no film at {film}: make the demo first (filmaster demo), or pass --film studio/<film_id>",
              file=sys.stderr)
        return 2

    from corpus_ingest.embed import MiniLMEmbedder
    from evaluation.criteria import CODES, paper_scale
    from evaluation.film_folder import inputs_from_path
    from evaluation.sensitivity import DEFECTS, matrix_markdown, sensitivity

    inputs = inputs_from_path(film)
    inputs.embedder = MiniLMEmbedder()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        result = sensitivity(inputs, Path(work))
    seconds = time.monotonic() - t0
    base = result.base
    lines = [f"# FilmEval sensitivity: {result.film_id}", "",
             f"Film `{film}`, judge `{base.judge}`; {len(DEFECTS)} defects scored in {seconds:.0f} s.", "",
             "## The film's scores and what each is based on", "",
             "| criterion | score | basis | reason |", "|---|---|---|---|"]
    for c in base.criteria:
        lines.append(f"| {CODES[c.criterion]} {c.criterion} | {'-' if c.score is None else f'{c.score:.2f}'} | "
                     f"{c.basis} | {c.reason} |")
    lines += ["", f"CL {base.camera_language} (additive, 1.5-7.5) = {paper_scale(base.camera_language)} on the "
              f"paper's 1-5 scale; CRh {base.cinematic_rhythm} = {paper_scale(base.cinematic_rhythm)}; "
              f"average {base.average}.", "",
              "## Defect x criterion: score change under each defect (own criterion in bold)", "",
              matrix_markdown(result), "", "Defects:", ""]
    lines += [f"- `{d.name}` (aimed at {d.target}): {d.what}" for d in DEFECTS]
    passed = sum(1 for d in DEFECTS if result.passes(d)[0])
    lines += ["", f"{passed} of {len(DEFECTS)} defects lower their own criterion by >= 1 (or leave it unmeasured) "
              "and move every other criterion by <= 0.5."]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
