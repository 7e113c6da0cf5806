"""``filmaster eval``: the FilmEval benchmark (cases x variants as film partitions) and human correlation.

    filmaster eval [--cases FILE] [--limit N] [--judge offline|llm] [--variants full,no_rag,no_rhythm]
                   [--out DIR] [--studio DIR] [--preview/--no-preview] [--tiny]
    filmaster eval score PATH [--text FILE] [--json]
    filmaster eval correlate RATINGS.csv SCORES [--out FILE.md]

Each case x variant is made by the production graph (``filmaster_assets.cli.film.make_film``) as film
``bench-<case>-<variant>`` in the studio, judged by the ``filmeval_scores`` asset, then reported.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from filmaster_assets.cli.runtime import DEFAULT_STUDIO, CliError

DEFAULT_REPORT_DIR = "filmeval-report"
JUDGE_PREFIX = {"offline": "offline-measured-proxies", "llm": "llm-vision-judge"}


def cmd_eval(args) -> int:
    from evaluation.benchmark import parse_variants, run_benchmark
    from evaluation.cases import load_cases

    # Validate everything the user typed before any film is made.
    try:
        cases = load_cases(args.cases, args.limit)
        variants = parse_variants(args.variants)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.judge == "llm" and not os.environ.get("FILMASTER_VISION_BASE_URL", "").strip():
        raise CliError("--judge llm needs a multimodal endpoint: set FILMASTER_VISION_BASE_URL (and "
                       "FILMASTER_VISION_MODEL, FILMASTER_VISION_API_KEY), or use --judge offline")
    if args.judge == "offline":
        # The filmeval_scores asset judges with the vision role when one is configured: switch it off.
        os.environ.pop("FILMASTER_VISION_BASE_URL", None)
    from filmaster_assets.cli.film import make_film
    from filmaster_assets.cli.runtime import setup_env
    from filmcraft.director.audience import get_profile

    try:
        get_profile(args.audience)
    except ValueError as exc:
        raise CliError(f"--audience: {exc}") from exc
    size = "tiny" if args.tiny else ("preview" if args.preview else "full")
    studio = setup_env(args.studio)
    out_dir = Path(args.out or DEFAULT_REPORT_DIR).expanduser().resolve()
    print(f"FilmEval benchmark: {len(cases)} cases x {len(variants)} variants ({', '.join(variants)}), "
          f"{size} films, {args.judge} judge; studio {studio}")
    run = run_benchmark(cases, variants, studio, make_film, size=size, audience=args.audience, seed=args.seed)
    for film in list(run.films):
        if not film.scores.judge.startswith(JUDGE_PREFIX[args.judge]):
            run.films.remove(film)
            run.failures.append((film.film_id, f"judged by {film.scores.judge!r}, not the {args.judge} judge asked for"))
    if run.films:
        _materialize_report()
    return _report(run, out_dir)


def _materialize_report() -> None:
    """The graph's own aggregate (every bench- film in the studio), so the UI shows the benchmark too."""
    from filmaster_assets.cli.runtime import execute, open_instance, stage
    from filmaster_assets.definitions import build_defs

    try:
        stage("[benchmark] filmeval_benchmark_report over every bench- film in the studio",
               lambda: execute(build_defs(), "benchmark_report_job", open_instance()))
    except CliError as exc:  # the per-run report below does not depend on it
        print(f"\nwarning: the studio-wide report asset failed: {exc}")


def _report(run, out_dir: Path) -> int:
    from evaluation.report import variant_means, write_report

    try:
        files = write_report(run.films, out_dir, run.failures)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    means = variant_means(run.films)

    def f(v):
        return "n/m" if v is None else f"{v:.2f}"
    print("\nvariant      CL    CRh   average")
    for variant, m in means.items():
        print(f"{variant:<10} {f(m['CL']):>5} {f(m['CRh']):>6} {f(m['average']):>8}")
    print(f"\nreport  {files.report}\nscores  {files.scores}\nproxies {files.proxies}")
    for plot in files.plots:
        print(f"plot    {plot}")
    if run.failures:
        print(f"\n{len(run.failures)} film(s) failed (listed in the report); run the same command again to resume:")
        for film_id, err in run.failures:
            print(f"  {film_id}: {err}")
        return 1
    return 0


def cmd_correlate(args) -> int:
    from evaluation.correlate import correlate, format_table, read_ratings, read_scores
    from filmcraft.store import write_text

    try:
        rows = correlate(read_ratings(args.ratings), read_scores(args.scores))
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    table = format_table(rows)
    print(table)
    if args.out:
        path = write_text(Path(args.out).expanduser().resolve(),
                          f"# Judge vs human ratings\n\nratings: `{args.ratings}`  \nscores: `{args.scores}`\n\n{table}\n")
        print(f"\nwritten {path}")
    return 0


def cmd_score(args) -> int:
    """Judge one film as it is on disk: a film folder or a bare video (with its script text when given)."""
    import json

    from evaluation.criteria import CODES, paper_scale
    from evaluation.film_folder import FilmFolderError, inputs_from_path
    from evaluation.offline_judge import judge_offline

    text = None
    if args.text:
        try:
            text = Path(args.text).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"--text {args.text}: cannot read it as UTF-8 text ({exc})") from exc
    try:
        inputs = inputs_from_path(Path(args.path), text)
    except FilmFolderError as exc:
        raise CliError(str(exc)) from exc
    from corpus_ingest.embed import MiniLMEmbedder

    inputs.embedder = MiniLMEmbedder()  # the pipeline's offline judge compares texts with the same embedder
    if args.audience:
        from filmcraft.director.audience import get_profile

        try:
            inputs.profile = get_profile(args.audience)
        except ValueError as exc:
            raise CliError(f"--audience: {exc}") from exc
    try:
        scores = judge_offline(inputs)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print(json.dumps({**scores.model_dump(mode="json"), "paper_scale": {
            "camera_language": paper_scale(scores.camera_language),
            "cinematic_rhythm": paper_scale(scores.cinematic_rhythm)}}, indent=2))
        return 0
    derived = {"CL (additive, 1.5-7.5)": scores.camera_language, "CL (paper, 1-5)": paper_scale(scores.camera_language),
               "CRh (additive, 1.5-7.5)": scores.cinematic_rhythm,
               "CRh (paper, 1-5)": paper_scale(scores.cinematic_rhythm), "average": scores.average}
    print(f"{scores.film_id}: {inputs.final_video}\njudge: {scores.judge}\n")
    for c in scores.criteria:
        value = "  -  " if c.score is None else f"{c.score:5.2f}"
        print(f"  {CODES[c.criterion]:<4}{value}  {c.basis:<13}{c.reason}")
    print()
    for name, value in derived.items():
        print(f"  {name:<24}{'not measured' if value is None else f'{value:.2f}'}")
    return 0


def add_eval_commands(subparsers) -> None:
    """Register ``eval`` (and ``eval correlate``) on the ``filmaster`` sub-command parser."""
    e = subparsers.add_parser("eval", help="FilmEval benchmark: make and judge cases x variants, write a report",
                              description="Make every case x variant as film bench-<case>-<variant> through the "
                                          "production graph, judge it, and write report.md, scores.parquet and plots.")
    e.add_argument("--cases", help="JSONL case file: ours {id, text, characters, locations} or movieprompts "
                                   "{id, MovieScript, Character} (default: the 20 shipped cases)")
    e.add_argument("--limit", type=int, help="only the first N cases")
    e.add_argument("--judge", choices=("offline", "llm"), default="offline",
                   help="offline: measured proxies (default); llm: the FILMASTER_VISION_* multimodal endpoint")
    e.add_argument("--variants", default="full,no_rag,no_rhythm",
                   help="comma-separated subset of full,no_rag,no_rhythm (default all three)")
    e.add_argument("--out", help=f"report folder (default ./{DEFAULT_REPORT_DIR})")
    e.add_argument("--studio", help=f"studio folder where the bench- films are made (default $FILMASTER_HOME or ./{DEFAULT_STUDIO})")
    e.add_argument("--preview", action=argparse.BooleanOptionalAction, default=True,
                   help="preview films: 640x360, 12 fps, at most 3 scenes x 3 shots (default on; --no-preview for 720p)")
    e.add_argument("--tiny", action="store_true", help="smoke-test films: 320x180, 12 fps, 2 scenes x 2 shots")
    e.add_argument("--audience", default="general", help="target audience profile (default general)")
    e.add_argument("--seed", type=int, default=0)
    e.set_defaults(func=cmd_eval)
    esub = e.add_subparsers(dest="eval_command", metavar="{score,correlate}")
    sc = esub.add_parser("score", help="judge one film as it is on disk: a film folder or a bare video",
                         description="Score a film folder (as the pipeline left it, or edited by hand since) or a "
                                     "video made by another system with the offline judge: the twelve criteria, "
                                     "CL and CRh on both scales. Criteria that need the pipeline's plan files are "
                                     "not measured when those files are absent.")
    sc.add_argument("path", help="a film folder (studio/<film_id>) or a video file (.mp4, .mov, .mkv, .webm)")
    sc.add_argument("--text", help="the script or theme the film was made from (a UTF-8 text file)")
    sc.add_argument("--audience", help="the audience profile pacing is judged against (default: the film's own; "
                                       "general for a bare video)")
    sc.add_argument("--json", action="store_true", help="print the scores as JSON")
    sc.set_defaults(func=cmd_score)
    c = esub.add_parser("correlate", help="Pearson, Spearman and Kendall of judge scores against human ratings")
    c.add_argument("ratings", help="RATINGS.csv: film_id (or case_id, variant) and criterion columns (SF ... or names)")
    c.add_argument("scores", help="scores.parquet from filmaster eval (or its folder, or a CSV)")
    c.add_argument("--out", help="also write the table to this Markdown file")
    c.set_defaults(func=cmd_correlate)
