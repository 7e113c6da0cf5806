"""What every ``filmaster`` command shares: the studio and Dagster home, the instance, running a job
in-process with one progress line per step, and errors a film-maker can act on.

Every command materializes the same assets ``dagster dev`` shows, in the same instance
(``$DAGSTER_HOME``, default ``<studio>/.dagster``), so runs appear in the UI afterwards.
"""

from __future__ import annotations

import json
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
    CLI (``instance_yaml``): telemetry off, so Dagster's first-run banners and its missing dagster.yaml
    warning never reach a film-maker's terminal, and the storage FILMASTER_POSTGRES_URL chooses. A
    dagster.yaml already there is kept (a user's own configuration), except the CLI's own SQLite one of a
    home that has no runs yet, which moves to Postgres when the variable is set."""
    from filmcraft.postgres import POSTGRES_ENV, PostgresSettingError, postgres_url
    from filmcraft.store import write_text

    given = os.environ.get("DAGSTER_HOME", "").strip()
    home = Path(given).expanduser().resolve() if given else studio / ".dagster"
    where = f"DAGSTER_HOME={given}" if given else f"the Dagster home {home}"
    if home.exists() and not home.is_dir():
        raise CliError(f"{where} is a file: point DAGSTER_HOME at a folder (made if missing), or unset it to use "
                       "<studio>/.dagster")
    try:
        url = postgres_url()
    except PostgresSettingError as exc:
        raise CliError(str(exc)) from None
    config = home / "dagster.yaml"
    try:
        home.mkdir(parents=True, exist_ok=True)
        current = config.read_text(encoding="utf-8") if config.exists() else None
        if current is None or (url and current == SQLITE_YAML and not (home / "history").exists()):
            write_text(config, instance_yaml(studio) if url else SQLITE_YAML)
        elif url and current == SQLITE_YAML:
            raise CliError(f"{POSTGRES_ENV} is set but {where} already keeps its runs in SQLite ({home / 'history'}). "
                           f"Give this studio's Postgres instance a new DAGSTER_HOME, or delete {config} to move it "
                           "(the SQLite runs stay on disk, no longer shown; made films are found again in the "
                           f"studio's caches), or unset {POSTGRES_ENV} to stay on SQLite")
    except OSError as exc:
        raise CliError(f"cannot create {where} ({exc.strerror}): point DAGSTER_HOME at a writable folder, or unset "
                       "it to use <studio>/.dagster") from exc
    return home


# The zero-setup default: SQLite files in the Dagster home (one host).
SQLITE_YAML = "telemetry:\n  enabled: false\n"


def instance_yaml(studio: Path) -> str:
    """dagster.yaml of a Postgres instance: the URL is read from the environment by Dagster on every host
    (the password never lands in a file, nor in the instance reference sent to Celery workers). Step
    outputs of Dagster's default fs IO manager (<base_dir>/storage) and compute logs go in the studio's
    .dagster folder, wherever DAGSTER_HOME is: a worker on another host reads there what a step wrote,
    so it must be the shared folder, at the same absolute path on every host."""
    from filmcraft.postgres import POSTGRES_ENV

    base = studio / ".dagster"
    return (f"# Written by filmaster for {POSTGRES_ENV}; the URL stays in the environment.\n"
            f"storage:\n  postgres:\n    postgres_url:\n      env: {POSTGRES_ENV}\n"
            "local_artifact_storage:\n  module: dagster._core.storage.root\n  class: LocalArtifactStorage\n"
            f"  config:\n    base_dir: {json.dumps(str(base))}\n"
            "compute_logs:\n  module: dagster._core.storage.local_compute_log_manager\n"
            f"  class: LocalComputeLogManager\n  config:\n    base_dir: {json.dumps(str(base / 'storage'))}\n"
            + SQLITE_YAML)


def instance_postgres(home: Path) -> tuple[str, str] | None:
    """(URL, the setting that gave it) when the instance in ``home`` keeps its runs in Postgres: the CLI's
    dagster.yaml or a user's own (``postgres_url`` or ``postgres_db`` fields, values or ``env:``)."""
    import yaml
    from dagster._config import process_config
    from dagster._core.instance.ref import InstanceRef
    from dagster._core.storage.config import pg_config
    from dagster_postgres.utils import pg_url_from_config

    data = InstanceRef.from_dir(str(home)).run_storage_data
    if not data.module_name.startswith("dagster_postgres"):
        return None
    raw = yaml.safe_load(data.config_yaml) or {}
    envs = _env_names(raw)
    missing = [name for name in envs if not os.environ.get(name)]
    if missing:
        raise CliError(f"the Dagster instance in {home} keeps its runs in PostgreSQL and its dagster.yaml reads "
                       f"${missing[0]}, which is not set: set it to postgresql://USER:PASSWORD@HOST:PORT/DATABASE "
                       "(the same on every host)")
    url_field = raw.get("postgres_url")
    source = (url_field["env"] if isinstance(url_field, dict) and "env" in url_field
              else f"{home / 'dagster.yaml'} (storage: postgres)")
    result = process_config(pg_config(), raw)
    if not result.success:
        raise CliError(f"{home / 'dagster.yaml'}: the postgres storage settings are not valid: "
                       + "; ".join(e.message.splitlines()[0] for e in result.errors))
    return pg_url_from_config(result.value), source


def _env_names(config) -> list[str]:
    if isinstance(config, dict):
        if set(config) == {"env"} and isinstance(config["env"], str):
            return [config["env"]]
        return [name for value in config.values() for name in _env_names(value)]
    return []


def open_instance():
    """The Dagster instance, created (its schema, on first use) by one command at a time: two commands
    starting at once on a new instance would both create the schema and one dies with "table runs
    already exists". SQLite (one host) is guarded by a file lock in the Dagster home; Postgres by a
    Postgres advisory lock, since flock on a shared file system is not reliable across hosts."""
    import dagster as dg

    from filmcraft.postgres import POSTGRES_ENV, PostgresSettingError, advisory_lock, connect, postgres_url
    from filmcraft.store import file_lock

    home = Path(os.environ["DAGSTER_HOME"])
    postgres = instance_postgres(home)
    if postgres is None and postgres_url():
        # a user's own dagster.yaml on SQLite while the studio's ledgers go to Postgres: on a cluster that
        # would be SQLite files shared by several hosts, which SQLite does not support
        raise CliError(f"{POSTGRES_ENV} is set but {home / 'dagster.yaml'} keeps the Dagster instance in SQLite: "
                       f"add `storage: {{postgres: {{postgres_url: {{env: {POSTGRES_ENV}}}}}}}` to it (or delete "
                       f"it to let filmaster write one), or unset {POSTGRES_ENV}")
    if postgres is None:
        with file_lock(home / ".filmaster-instance.lock"):
            instance = dg.DagsterInstance.get()
            fail_orphaned_runs(instance)
            return instance
    url, source = postgres
    try:
        conn = connect(url, source)
    except PostgresSettingError as exc:
        raise CliError(str(exc)) from None
    try:
        with advisory_lock(conn, INSTANCE_LOCK):
            instance = dg.DagsterInstance.get()
            fail_orphaned_runs(instance)
            return instance
    finally:
        conn.close()


INSTANCE_LOCK = "filmaster: dagster instance creation and migration"


# Each CLI run is tagged with the host and pid that executes it in-process, so the next command can
# tell a run whose process was killed (it stays STARTED for ever: SIGKILL skips Dagster's own
# bookkeeping and no daemon monitors in-process runs) from one still going in another terminal.
RUN_HOST_TAG, RUN_PID_TAG = "filmaster/host", "filmaster/pid"


def process_tags() -> dict[str, str]:
    return {RUN_HOST_TAG: socket.gethostname(), RUN_PID_TAG: str(os.getpid())}


def fail_orphaned_runs(instance) -> list[str]:
    """Mark FAILURE the runs this host's CLI started whose process is gone; returns their ids. Pids are
    only checked on their own host: on a cluster, a run of a host that died is marked by the next
    command on a host of the same name (Dagster's run monitoring does not check in-process runs)."""
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
