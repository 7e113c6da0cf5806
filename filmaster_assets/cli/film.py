"""``filmaster demo|make|update|export|dev``: make films through Dagster against the studio's instance."""

from __future__ import annotations

import os
import sys
import time
from importlib import resources as importlib_resources
from pathlib import Path

from filmaster_assets.cli.runtime import DEFAULT_STUDIO, CliError, execute, open_instance, setup_env, stage

# How the request parser's messages name each field here: the flag a film-maker typed.
FLAG_NAMES = {"film_id": "--film-id", "text": "--text", "top_k": "--top-k", "refs_dir": "--refs",
              "audience": "--audience", "seed": "--seed", "candidates": "--candidates",
              "llm_token_budget": "--llm-token-budget (or FILMASTER_LLM_TOKEN_BUDGET)",
              "video_seconds_budget": "--video-seconds-budget (or FILMASTER_VIDEO_SECONDS_BUDGET)"}


# --- input validation (before any partition is added) ------------------------------------

def read_text_arg(text: str | None, text_file: str | None) -> str:
    if text_file is not None:
        path = Path(text_file)
        if not path.is_file():
            what = "not a regular file (a folder or device)" if path.exists() else "no such file"
            raise CliError(f"--text-file {text_file}: {what}: give a UTF-8 text file")
        raw = path.read_bytes()
        if len(raw) > 1_000_000:
            raise CliError(f"--text-file {text_file} is {len(raw):,} bytes: give a synopsis of at most a few pages")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CliError(f"--text-file {text_file} is not UTF-8 text (byte {exc.start}): re-save it as UTF-8") from exc
    assert text is not None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        # argv bytes that are not UTF-8 arrive as lone surrogates
        raise CliError("--text contains bytes that are not UTF-8: pass UTF-8 text or use --text-file") from exc
    return text


def build_request(text: str, film_id: str | None, refs: str | None, audience: str, hd: bool, seed: int,
                  top_k: int = 8, llm_token_budget: int | None = None, video_seconds_budget: float | None = None,
                  candidates: int = 1):
    """The flags as a validated FilmRequest (the same parser as request files and the launchpad)."""
    from filmcraft.request import RequestError, parse_request

    width, height = (1920, 1080) if hd else (1280, 720)
    try:
        return parse_request({"film_id": film_id, "text": text, "audience": audience, "refs_dir": refs,
                              "width": width, "height": height, "seed": seed, "top_k": top_k,
                              "candidates": candidates,
                              "llm_token_budget": llm_token_budget, "video_seconds_budget": video_seconds_budget},
                             names=FLAG_NAMES)
    except RequestError as exc:
        raise CliError(str(exc)) from None


# --- running the graph -------------------------------------------------------------------

def make_film(req, studio: Path) -> Path:
    """Add the film partition and run its jobs: the script, the camera job of every scene that is not
    current (``orchestration.scene_statuses``, as the sensors decide), then post-production."""
    from filmaster_assets.definitions import build_defs
    from filmaster_assets.orchestration import CAMERA_JOB, POST_JOB, SCRIPT_JOB, scene_statuses, script_run_config
    from filmaster_assets.partitions import FILM_PARTITIONS_NAME, scene_key
    from filmcraft.layout import FilmLayout, LibraryLayout
    from filmcraft.overrides import OverrideError
    from filmcraft.request import request_fields
    from filmcraft.store import Studio

    defs = build_defs()
    instance = open_instance()
    files = FilmLayout(Studio(studio).film_dir(req.film_id))
    if not instance.has_dynamic_partition(FILM_PARTITIONS_NAME, req.film_id):
        instance.add_dynamic_partitions(FILM_PARTITIONS_NAME, [req.film_id])
    tags = {"filmaster/film": req.film_id}

    libs = LibraryLayout(studio / ".library")
    have_libs = all((p / "meta.json").exists() for p in (libs.clip_caption_index, libs.audio_library_index))
    t0 = time.monotonic()
    if not have_libs:
        stage("[corpus] audio library + caption and audio indexes (first run only)",
              lambda: execute(defs, "reindex_job", instance, tags=tags))
    stage("[script] synopsis -> storyboards -> scene blocks",
          lambda: execute(defs, SCRIPT_JOB, instance, req.film_id, tags, script_run_config(request_fields(req))))
    try:
        statuses = scene_statuses(instance, defs.get_repository_def().asset_graph, files)
    except OverrideError as exc:
        raise CliError(str(exc)) from exc
    failed: list[str] = []
    for i, status in enumerate(statuses, 1):
        block = status.scene.block
        label = f"[camera {i}/{len(statuses)}] {block.scene_id} {block.heading} ({len(block.shots)} shots)"
        if status.current:
            print(f"{label}: unchanged, kept")
            continue
        try:
            stage(f"{label}: retrieve, re-plan, render",
                  lambda b=block: execute(defs, CAMERA_JOB, instance, scene_key(req.film_id, b.scene_id), tags))
        except CliError as exc:  # one scene failing does not stop the others
            print(" FAILED")
            failed.append(str(exc))
    if failed:
        raise CliError(f"{len(failed)} of {len(statuses)} scenes failed; the others are kept.\n" + "\n".join(failed))
    stage("[post] rough cut, audience review, fine cut, sound design, mix, final film, OTIO, FilmEval",
          lambda: execute(defs, POST_JOB, instance, req.film_id, tags))
    print(f"made film {req.film_id!r} in {time.monotonic() - t0:.1f}s")
    return files.root


def print_outputs(film_dir: Path) -> None:
    from filmcraft.layout import FilmLayout

    files = FilmLayout(film_dir)
    print(f"\noutputs in {film_dir}:")
    for label, path in [("final film", files.final), ("timeline", files.timeline), ("stems", files.stems_dir),
                        ("shots", files.shots), ("scene blocks", files.scene_blocks), ("shot plans", files.shot_plans),
                        ("FilmEval", files.filmeval), ("mix report", files.mix_report)]:
        print(f"  {label:<13} {path}")
    print(f"\nopen the asset graph: filmaster dev --out {film_dir.parent}")


# --- commands ----------------------------------------------------------------------------

def demo_text() -> str:
    return importlib_resources.files("filmaster_assets").joinpath("demo_theme.txt").read_text(encoding="utf-8")


def cmd_demo(args) -> int:
    studio = setup_env(args.out)
    req = build_request(demo_text(), "demo", None, "general", args.hd, 0)
    print_outputs(make_film(req, studio))
    return 0


def cmd_make(args) -> int:
    text = read_text_arg(args.text, args.text_file)
    req = build_request(text, args.film_id, args.refs, args.audience, args.hd, args.seed, args.top_k,
                        args.llm_token_budget, args.video_seconds_budget, args.candidates)
    studio = setup_env(args.out)
    print_outputs(make_film(req, studio))
    return 0


def cmd_update(args) -> int:
    """Re-make a film after editing its scene_overrides.json: only changed scenes are redone."""
    from filmcraft.contracts import FilmRequest
    from filmcraft.store import read_model

    studio = setup_env(args.out)
    files = _existing_film(studio, args.film_id)
    print_outputs(make_film(read_model(files.request, FilmRequest), studio))
    return 0


def _existing_film(studio: Path, film_id: str):
    from filmcraft.contracts import FILM_ID_RE
    from filmcraft.layout import FilmLayout
    from filmcraft.store import Studio

    if not FILM_ID_RE.match(film_id) or not (studio / film_id / "request.json").is_file():  # look, don't create
        if not FILM_ID_RE.match(film_id):
            raise CliError(f"FILM_ID: film id {film_id!r} is not a valid film id (no path separators or '..')")
        raise CliError(f"no film {film_id!r} in {studio}: make it first with `filmaster make`")
    try:
        files = FilmLayout(Studio(studio).film_dir(film_id))
    except ValueError as exc:
        raise CliError(f"FILM_ID: {exc}") from exc
    if not files.request.exists():
        raise CliError(f"no film {film_id!r} in {studio}: make it first with `filmaster make`")
    return files


def cmd_export(args) -> int:
    """Write the film's timeline through the OTIO adapters (otio, otioz, FCP 7 XML, CMX 3600 EDL)."""
    import opentimelineio as otio

    from filmcraft.timeline_export import export_target, export_timeline

    studio = setup_env(args.out_studio)
    files = _existing_film(studio, args.film_id)
    if not files.timeline.exists():
        raise CliError(f"film {args.film_id!r} has no timeline yet: run `filmaster update {args.film_id}`")
    try:
        out = export_target(args.out, args.format, files.root, studio)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    try:
        timeline = otio.adapters.read_from_file(str(files.timeline))
    except Exception as exc:  # OTIO raises ValueError, JSON and schema errors of its own
        raise CliError(f"the timeline {files.timeline} cannot be read ({type(exc).__name__}): "
                       f"delete it and run `filmaster update {args.film_id}` to write it again") from exc
    try:
        path = export_timeline(timeline, args.format, out)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    print(path)
    return 0


def cmd_dev(args) -> int:
    """Start ``dagster dev`` on the same instance and studio the CLI uses."""
    import subprocess

    studio = setup_env(args.out)
    workspace = Path(os.environ["DAGSTER_HOME"]) / "workspace.yaml"
    workspace.write_text("load_from:\n  - python_module:\n      module_name: filmaster_assets.definitions\n"
                         "      location_name: filmaster\n", encoding="utf-8")
    print(f"studio {studio}\nDAGSTER_HOME {os.environ['DAGSTER_HOME']}")
    return subprocess.call([sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-p", str(args.port)])




def add_film_commands(sub) -> None:
    """Register ``demo``, ``make``, ``update``, ``export`` and ``dev`` on the filmaster sub-command parser."""

    d = sub.add_parser("demo", help="make the bundled example film with the embedded offline backends")
    d.add_argument("--out", help=f"studio folder; outputs land in OUT/demo/ (default ./{DEFAULT_STUDIO})")
    d.add_argument("--hd", action="store_true", help="render 1920x1080 instead of 1280x720")
    d.set_defaults(func=cmd_demo)

    m = sub.add_parser("make", help="make a film from a theme")
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--text", help="the theme: a sentence or a ~100-word synopsis")
    src.add_argument("--text-file", help="UTF-8 file holding the theme")
    m.add_argument("--film-id", help="film id (lowercase letters, digits, - and _); default from the text")
    m.add_argument("--refs", help="reference images folder with characters/ and locations/")
    m.add_argument("--audience", default="general", help="target audience profile (default general)")
    m.add_argument("--out", help=f"studio folder; outputs land in OUT/FILM_ID/ (default ./{DEFAULT_STUDIO})")
    m.add_argument("--hd", action="store_true", help="render 1920x1080 instead of 1280x720")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--top-k", type=int, default=8, help="film-clip captions retrieved per scene (default 8)")
    m.add_argument("--llm-token-budget", type=int, help="most LLM tokens this film may use, over all its runs "
                   "(default $FILMASTER_LLM_TOKEN_BUDGET, else unlimited)")
    m.add_argument("--video-seconds-budget", type=float, help="most seconds of video this film may generate, over "
                   "all its runs (default $FILMASTER_VIDEO_SECONDS_BUDGET, else unlimited)")
    m.add_argument("--candidates", type=int, default=1, help="takes rendered per shot (1-4, default 1); a judge "
                   "picks one, the others stay in the timeline as disabled alternates. Every take is charged")
    m.set_defaults(func=cmd_make)

    u = sub.add_parser("update", help="re-make a film after editing OUT/FILM_ID/scene_overrides.json (only changed scenes)")
    u.add_argument("film_id", metavar="FILM_ID")
    u.add_argument("--out", help=f"studio folder (default ./{DEFAULT_STUDIO})")
    u.set_defaults(func=cmd_update)

    x = sub.add_parser("export", help="export a film's timeline for an editor (Resolve, Premiere, Avid)")
    x.add_argument("film_id", metavar="FILM_ID")
    x.add_argument("--format", required=True, choices=["otio", "otioz", "fcp7xml", "edl"])
    x.add_argument("--out", help="file to write (default OUT_STUDIO/FILM_ID/timeline.<ext>)")
    x.add_argument("--studio", dest="out_studio", help=f"studio folder (default ./{DEFAULT_STUDIO})")
    x.set_defaults(func=cmd_export)

    v = sub.add_parser("dev", help="open the Dagster UI on the studio's instance")
    v.add_argument("--out", help=f"studio folder (default ./{DEFAULT_STUDIO})")
    v.add_argument("--port", type=int, default=3000)
    v.set_defaults(func=cmd_dev)
