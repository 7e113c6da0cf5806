"""What every ``filmaster`` command shares: the studio and Dagster home, the instance, running a job
in-process with one progress line per step, and errors a film-maker can act on.

Every command materializes the same assets ``dagster dev`` shows, in the same instance
(``$DAGSTER_HOME``, default ``<studio>/.dagster``), so runs appear in the UI afterwards.
"""

from __future__ import annotations

import os
import re
import socket
import time
import warnings
from pathlib import Path

DEFAULT_STUDIO = "studio"


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit code 2."""


def setup_env(out: str | None) -> Path:
    """Studio root and Dagster home must be set before the definitions are imported."""
    studio = Path(out or os.environ.get("FILMASTER_HOME") or DEFAULT_STUDIO).expanduser().resolve()
    if studio.exists() and not studio.is_dir():
        raise CliError(f"studio folder {studio} (--out or $FILMASTER_HOME) is a file: give a folder")
    try:
        studio.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the studio folder {studio} ({exc.strerror}): give a writable folder with --out") from exc
    os.environ["FILMASTER_HOME"] = str(studio)
    os.environ["DAGSTER_HOME"] = str(dagster_home(studio))
    return studio


def dagster_home(studio: Path) -> Path:
    """$DAGSTER_HOME (made if missing, absolute as Dagster requires) or <studio>/.dagster, configured by the
    CLI: the default SQLite storage, telemetry off, so Dagster's first-run banners and its missing
    dagster.yaml warning never reach a film-maker's terminal. A dagster.yaml already there is kept."""
    from filmcraft.store import write_text

    given = os.environ.get("DAGSTER_HOME", "").strip()
    home = Path(given).expanduser().resolve() if given else studio / ".dagster"
    where = f"DAGSTER_HOME={given}" if given else f"the Dagster home {home}"
    if home.exists() and not home.is_dir():
        raise CliError(f"{where} is a file: point DAGSTER_HOME at a folder (made if missing), or unset it to use "
                       "<studio>/.dagster")
    try:
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            write_text(home / "dagster.yaml", "telemetry:\n  enabled: false\n")
    except OSError as exc:
        raise CliError(f"cannot create {where} ({exc.strerror}): point DAGSTER_HOME at a writable folder, or unset "
                       "it to use <studio>/.dagster") from exc
    return home


def open_instance():
    import dagster as dg

    from filmcraft.store import file_lock

    # Two commands starting at once on a new DAGSTER_HOME would both create the SQLite schema and
    # one dies with "table runs already exists": the first creates it under a lock, the others wait.
    with file_lock(Path(os.environ["DAGSTER_HOME"]) / ".filmaster-instance.lock"):
        instance = dg.DagsterInstance.get()
        fail_orphaned_runs(instance)
        return instance


# Each CLI run is tagged with the host and pid that executes it in-process, so the next command can
# tell a run whose process was killed (it stays STARTED for ever: SIGKILL skips Dagster's own
# bookkeeping and no daemon monitors in-process runs) from one still going in another terminal.
RUN_HOST_TAG, RUN_PID_TAG = "filmaster/host", "filmaster/pid"


def process_tags() -> dict[str, str]:
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


def stage(label: str, fn):
    """Run one stage with a progress line: what runs, then how long it took."""
    start = time.monotonic()
    print(f"{label} ...", flush=True)
    result = fn()
    print(f"  done in {time.monotonic() - start:.1f}s", flush=True)
    return result


def root_message(error) -> str:
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


def failed_checks(result) -> list[str]:
    """'asset check: what it found' for every quality gate that did not pass in a run."""
    out = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed:
            problems = evaluation.metadata.get("problems")
            detail = problems.value if problems is not None else "failed"
            out.append(f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}: {detail}")
    return out


def _first_lines(error, n: int = 2) -> str:
    """An executor's error says what failed on its second line ("[clips]: ...WorkerLostError: ...")."""
    text = " ".join(line.strip() for line in error.message.strip().splitlines()[:n])
    return re.sub(r"^[\w.]+(Error|Exception|Failure): ", "", text)


def cli_job(job_name: str):
    """``job_name`` with the CLI's loggers: rebuilt by name in every process that runs a step of it when
    the steps run out of process (FILMASTER_EXECUTOR), so a worker runs the job the CLI submitted."""
    from filmaster_assets.definitions import build_defs

    return build_defs().resolve_job_def(job_name).with_logger_defs(cli_loggers())


def cli_loggers() -> dict:
    """The CLI's own logger rides on the job for this run only; UI and sensor runs keep Dagster's."""
    import dagster as dg

    from filmaster_assets.cli.progress import step_progress_logger

    return {"console": dg.colored_console_logger, "step_progress": step_progress_logger}


def execute(defs, job_name: str, instance, partition_key=None, tags: dict | None = None, run_config: dict | None = None,
            assets: tuple[str, ...] | None = None):
    """Run ``job_name`` (only its ``assets`` when given: the others' last results are read as inputs).
    In this process, or with its steps in other processes or on Celery workers (FILMASTER_EXECUTOR)."""
    import dagster as dg

    from filmaster_assets.execution import ExecutionConfigError, out_of_process, run_config as execution_config

    # Step-by-step DEBUG events stay in the instance (and the UI); the terminal gets one line per
    # finished step. FILMASTER_LOG_LEVEL=DEBUG brings back Dagster's console stream.
    level = os.environ.get("FILMASTER_LOG_LEVEL")
    loggers = {"console": {"config": {"log_level": level}}} if level else {"step_progress": {}}
    selection = [dg.AssetKey(a) for a in assets] if assets else None
    run_tags = {**(tags or {}), **process_tags()}
    try:
        remote = out_of_process()
        execution = execution_config() if remote else {}
    except ExecutionConfigError as exc:
        raise CliError(str(exc)) from None
    if remote:
        job_def = defs.resolve_job_def(job_name)
        if partition_key is not None:  # execute_in_process does this itself
            run_tags.update(job_def.partitions_def.get_tags_for_partition_key(partition_key))
        recon = dg.build_reconstructable_job("filmaster_assets.cli.runtime", "cli_job", (job_name,))
        with warnings.catch_warnings():
            # dagster_celery registers its step task on its app again for every step it submits
            warnings.filterwarnings("ignore", message="Task name 'execute_plan' is already registered")
            result = dg.execute_job(recon, instance=instance, tags=run_tags, asset_selection=selection,
                                    run_config={**execution, **(run_config or {}), "loggers": loggers})
    else:
        job = defs.resolve_job_def(job_name).with_logger_defs(cli_loggers())
        result = job.execute_in_process(run_config={**(run_config or {}), "loggers": loggers}, instance=instance,
                                        partition_key=partition_key, raise_on_error=False,
                                        asset_selection=selection, tags=run_tags)
    checks = failed_checks(result)
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        lines = [f"  {e.step_key}: {root_message(e.step_failure_data.error)}"
                 for e in failures if e.step_failure_data and e.step_failure_data.error]
        if not lines:  # the run failed outside its steps' code (e.g. a Celery task lost with its worker)
            lines = [f"  run: {_first_lines(e.event_specific_data.error) if e.event_specific_data.error else e.message}"
                     for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE and e.event_specific_data]
        detail = "\n".join(lines + [f"  failed check {c}" for c in checks]) or "  (see the run in dagster dev)"
        raise CliError(f"{job_name} failed for {partition_key or 'the corpus'} (run {result.run_id}):\n{detail}\n"
                       "Fix the cause and run the same command again: finished work is reused.")
    for check in checks:
        print(f"  warning: quality check {check}", flush=True)
    return result
