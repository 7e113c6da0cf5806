"""The ``filmaster`` command: make films through Dagster against a persistent instance.

Every command materializes the same assets ``dagster dev`` shows, in the same instance
(``$DAGSTER_HOME``, default ``<studio>/.dagster``), so runs appear in the UI afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import socket
import sys
import time
from importlib import resources as importlib_resources
from pathlib import Path

DEFAULT_STUDIO = "studio"


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


# --- environment -------------------------------------------------------------------------

def _setup_env(out: str | None) -> Path:
    """Studio root and Dagster home must be set before the definitions are imported."""
    studio = Path(out or os.environ.get("FILMASTER_HOME") or DEFAULT_STUDIO).expanduser().resolve()
    if studio.exists() and not studio.is_dir():
        raise CliError(f"studio folder {studio} (--out or $FILMASTER_HOME) is a file: give a folder")
    try:
        studio.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the studio folder {studio} ({exc.strerror}): give a writable folder with --out") from exc
    os.environ["FILMASTER_HOME"] = str(studio)
    if not os.environ.get("DAGSTER_HOME"):
        home = studio / ".dagster"
        home.mkdir(parents=True, exist_ok=True)
        # The default SQLite storage in this folder, without a warning per run; telemetry off for a
        # studio the CLI made on its own (a DAGSTER_HOME the user set keeps its own settings).
        if not (home / "dagster.yaml").exists():
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
        os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return studio


def _instance():
    import fcntl

    import dagster as dg

    # Two commands starting at once on a new DAGSTER_HOME would both create the SQLite schema and
    # one dies with "table runs already exists": the first creates it under a lock, the others wait.
    with open(Path(os.environ["DAGSTER_HOME"]) / ".filmaster-instance.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        instance = dg.DagsterInstance.get()
        fail_orphaned_runs(instance)
        return instance


# Each CLI run is tagged with the host and pid that executes it in-process, so the next command can
# tell a run whose process was killed (it stays STARTED for ever: SIGKILL skips Dagster's own
# bookkeeping and no daemon monitors in-process runs) from one still going in another terminal.
RUN_HOST_TAG, RUN_PID_TAG = "filmaster/host", "filmaster/pid"


def _process_tags() -> dict[str, str]:
    return {RUN_HOST_TAG: socket.gethostname(), RUN_PID_TAG: str(os.getpid())}


def fail_orphaned_runs(instance) -> list[str]:
    """Mark FAILURE the runs this host's CLI started whose process is gone; returns their ids."""
    import dagster as dg

    from filmcraft.store import process_alive

    host = socket.gethostname()
    unfinished = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
                                                 tags={RUN_HOST_TAG: host}))
    failed = []
    for run in unfinished:
        pid = run.tags.get(RUN_PID_TAG, "")
        if pid.isdigit() and not process_alive(int(pid)):  # this process counts as alive
            instance.report_run_failed(run, message=f"the filmaster process {pid} on {host} ended without finishing "
                                                    "this run (killed or crashed); running the same command again "
                                                    "resumes from what was finished")
            failed.append(run.run_id)
    return failed


# --- input validation (before any partition is added) ------------------------------------

def _read_text_arg(text: str | None, text_file: str | None) -> str:
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


def default_film_id(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    stem = "-".join(words)[:40].strip("-") or "film"
    return f"{stem}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:6]}"


def build_request(text: str, film_id: str | None, refs: str | None, audience: str, hd: bool, seed: int,
                  top_k: int = 8, llm_token_budget: int | None = None, video_seconds_budget: float | None = None):
    from pydantic import ValidationError

    from filmcraft.budget import budget_defaults_from_env
    from filmcraft.contracts import FilmRequest
    from filmcraft.director.audience import get_profile

    if refs is not None and not Path(refs).is_dir():
        raise CliError(f"--refs {refs}: not a folder (expected characters/ and locations/ inside)")
    if refs is not None:
        from filmcraft.references.user_images import ReferenceImageError, check_reference_folder

        try:  # every image now, not a scene's camera step after the script is written
            check_reference_folder(Path(refs))
        except ReferenceImageError as exc:
            raise CliError(f"--refs: {exc}") from exc
    try:
        get_profile(audience)
    except ValueError as exc:
        if not os.environ.get("FILMASTER_LLM_BASE_URL"):  # with an LLM, any audience name gets a profile
            raise CliError(f"--audience: {exc}") from exc
    width, height = (1920, 1080) if hd else (1280, 720)
    try:  # budgets: the flags win over FILMASTER_LLM_TOKEN_BUDGET / FILMASTER_VIDEO_SECONDS_BUDGET
        budgets = budget_defaults_from_env()
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    flags = {"llm_token_budget": llm_token_budget, "video_seconds_budget": video_seconds_budget}
    budgets.update({k: v for k, v in flags.items() if v is not None})
    try:
        return FilmRequest(film_id=film_id or default_film_id(text.strip()), text=text, audience=audience,
                           refs_dir=str(Path(refs).resolve()) if refs else None, width=width, height=height, seed=seed,
                           top_k=top_k, **budgets)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = {"film_id": "--film-id", "text": "--text", "top_k": "--top-k",
                 "llm_token_budget": "--llm-token-budget (or FILMASTER_LLM_TOKEN_BUDGET)",
                 "video_seconds_budget": "--video-seconds-budget (or FILMASTER_VIDEO_SECONDS_BUDGET)",
                 }.get(str(err["loc"][0]), str(err["loc"][0]))
        raise CliError(f"{field}: {err['msg'].removeprefix('Value error, ')}") from exc


# --- running the graph -------------------------------------------------------------------

def _stage(label: str, fn):
    """Run one stage with a progress line: what runs, then how long it took."""
    start = time.monotonic()
    print(f"{label} ...", end="", flush=True)
    result = fn()
    print(f"\n  done in {time.monotonic() - start:.1f}s", flush=True)
    return result


def _root_message(error) -> str:
    """The message a film-maker needs from a step failure: the first one in the cause chain that is
    ours, not Dagster's wrapper ("Error occurred while executing ...", "Exceeded max_retries ...")."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    wrappers = ("Error occurred while", "Exceeded max_retries", "dagster._core")
    lines = [err.message.strip().splitlines()[0] for err in chain if err.message.strip()]
    ours = [line for line in lines if not any(w in line for w in wrappers)]
    # drop the "package.module.ErrorClass: " prefix of a serialized exception
    return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", (ours or lines or ["unknown error"])[0])


def _execute(defs, job_name: str, instance, partition_key=None, tags: dict | None = None):
    import dagster as dg

    from filmaster_assets.progress import step_progress_logger

    # The CLI's own logger rides on the job for this run only; UI and sensor runs keep Dagster's.
    job = defs.resolve_job_def(job_name).with_logger_defs(
        {"console": dg.colored_console_logger, "step_progress": step_progress_logger})
    # Step-by-step DEBUG events stay in the instance (and the UI); the terminal gets one line per
    # finished step. FILMASTER_LOG_LEVEL=DEBUG brings back Dagster's console stream.
    level = os.environ.get("FILMASTER_LOG_LEVEL")
    quiet = {"loggers": {"console": {"config": {"log_level": level}}} if level else {"step_progress": {}}}
    result = job.execute_in_process(run_config=quiet, instance=instance, partition_key=partition_key,
                                    raise_on_error=False, tags={**(tags or {}), **_process_tags()})
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        detail = "\n".join(f"  {e.step_key}: {_root_message(e.step_failure_data.error)}"
                           for e in failures if e.step_failure_data and e.step_failure_data.error) or "  (see the run in dagster dev)"
        raise CliError(f"{job_name} failed for {partition_key or 'the corpus'} (run {result.run_id}):\n{detail}\n"
                       "Fix the cause and run the same command again: finished work is reused.")
    return result


def make_film(req, studio: Path) -> Path:
    """Write the request, add the film partition, and run the jobs stage by stage."""
    from filmaster_assets.definitions import build_defs
    from filmaster_assets.partitions import FILM_PARTITIONS_NAME, scene_key
    from filmcraft.contracts import SceneBlocks
    from filmcraft.layout import FilmLayout, LibraryLayout
    from filmcraft.overrides import OverrideError, apply_overrides, load_overrides, scene_fingerprint
    from filmcraft.store import Studio, read_model, write_model

    defs = build_defs()
    instance = _instance()
    files = FilmLayout(Studio(studio).film_dir(req.film_id))
    write_model(files.request, req)
    if not instance.has_dynamic_partition(FILM_PARTITIONS_NAME, req.film_id):
        instance.add_dynamic_partitions(FILM_PARTITIONS_NAME, [req.film_id])
    tags = {"filmaster/film": req.film_id}

    libs = LibraryLayout(studio / ".library")
    have_libs = all((p / "meta.json").exists() for p in (libs.clip_caption_index, libs.audio_library_index))
    t0 = time.monotonic()
    if not have_libs:
        _stage("[corpus] audio library + caption and audio indexes (first run only)",
               lambda: _execute(defs, "reindex_job", instance, tags=tags))
    _stage("[script] synopsis -> storyboards -> scene blocks",
           lambda: _execute(defs, "script_job", instance, req.film_id, tags))
    try:
        blocks = apply_overrides(read_model(files.scene_blocks, SceneBlocks), load_overrides(files.scene_overrides))
    except OverrideError as exc:
        raise CliError(str(exc)) from exc
    request_json = files.request.read_text(encoding="utf-8")
    failed: list[str] = []
    for i, block in enumerate(blocks.scenes, 1):
        label = f"[camera {i}/{len(blocks.scenes)}] {block.scene_id} {block.heading} ({len(block.shots)} shots)"
        made_from = files.scene_fingerprint(block.scene_id)
        if made_from.exists() and made_from.read_text() == scene_fingerprint(block, request_json):
            print(f"{label}: unchanged, kept")
            continue
        try:
            _stage(f"{label}: retrieve, re-plan, render",
                   lambda b=block: _execute(defs, "camera_job", instance, scene_key(req.film_id, b.scene_id), tags))
        except CliError as exc:  # one scene failing does not stop the others
            print(" FAILED")
            failed.append(str(exc))
    if failed:
        raise CliError(f"{len(failed)} of {len(blocks.scenes)} scenes failed; the others are kept.\n" + "\n".join(failed))
    _stage("[post] rough cut, audience review, fine cut, sound design, mix, final film, OTIO, FilmEval",
           lambda: _execute(defs, "post_production_job", instance, req.film_id, tags))
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
    studio = _setup_env(args.out)
    req = build_request(demo_text(), "demo", None, "general", args.hd, 0)
    print_outputs(make_film(req, studio))
    return 0


def cmd_make(args) -> int:
    text = _read_text_arg(args.text, args.text_file)
    req = build_request(text, args.film_id, args.refs, args.audience, args.hd, args.seed, args.top_k,
                        args.llm_token_budget, args.video_seconds_budget)
    studio = _setup_env(args.out)
    print_outputs(make_film(req, studio))
    return 0


def cmd_update(args) -> int:
    """Re-make a film after editing its scene_overrides.json: only changed scenes are redone."""
    from filmcraft.contracts import FilmRequest
    from filmcraft.store import read_model

    studio = _setup_env(args.out)
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

    from filmcraft.timeline import export_target, export_timeline

    studio = _setup_env(args.out_studio)
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

    studio = _setup_env(args.out)
    workspace = Path(os.environ["DAGSTER_HOME"]) / "workspace.yaml"
    workspace.write_text("load_from:\n  - python_module:\n      module_name: filmaster_assets.definitions\n"
                         "      location_name: filmaster\n", encoding="utf-8")
    print(f"studio {studio}\nDAGSTER_HOME {os.environ['DAGSTER_HOME']}")
    return subprocess.call([sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-p", str(args.port)])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="filmaster", description="Automated film generation (FilMaster) on Dagster.")
    sub = p.add_subparsers(dest="command", required=True)

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
    from filmaster_assets.cli_corpus import add_corpus_commands; add_corpus_commands(sub)  # noqa: E702 (cycle-free import)
    from filmaster_assets.cli_eval import add_eval_commands; add_eval_commands(sub)  # noqa: E702 (cycle-free import)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"filmaster: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("filmaster: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
