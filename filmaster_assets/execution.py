"""Where a run's steps execute, read from the environment when the definitions load (as resources and
pools are): ``FILMASTER_EXECUTOR``

    in_process   (default) every step in the run's own process
    multiprocess every step in a process of its own on this machine (as ``dagster dev`` can)
    celery       every step sent to ``filmaster worker`` processes through a Celery broker (Redis):
                 FILMASTER_CELERY_BROKER (required), FILMASTER_CELERY_BACKEND (default: the broker),
                 FILMASTER_CELERY_VISIBILITY_TIMEOUT (seconds, default 7200)

The run config names the broker and backend by their variables (Dagster's ``{"env": ...}`` form), so the
run config stored in the instance, the UI and the logs hold the variable name, never a password; every
process that runs a step (the run's, the workers') reads the URL from its own environment.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import dagster as dg

EXECUTORS = ("in_process", "multiprocess", "celery")
BROKER_VAR, BACKEND_VAR, VISIBILITY_VAR = ("FILMASTER_CELERY_BROKER", "FILMASTER_CELERY_BACKEND",
                                           "FILMASTER_CELERY_VISIBILITY_TIMEOUT")
DEFAULT_VISIBILITY_TIMEOUT_S = 7200
CELERY_QUEUE = "dagster"  # dagster_celery routes every step task to this queue (make_app)


class ExecutionConfigError(ValueError):
    """A FILMASTER_EXECUTOR / FILMASTER_CELERY_* setting that cannot work; the message names the fix."""


def executor_name() -> str:
    name = os.environ.get("FILMASTER_EXECUTOR", "").strip().lower() or "in_process"
    if name not in EXECUTORS:
        raise ExecutionConfigError(f"FILMASTER_EXECUTOR={name!r} is not one of {', '.join(EXECUTORS)}: "
                                   "unset it to run steps in the run's own process")
    return name


def out_of_process() -> bool:
    """True when steps run in other processes: jobs must then be reconstructable there."""
    return executor_name() != "in_process"


def broker_url() -> str:
    url = os.environ.get(BROKER_VAR, "").strip()
    if not url:
        raise ExecutionConfigError(f"FILMASTER_EXECUTOR=celery needs {BROKER_VAR}, the Celery broker the workers "
                                   f"listen to, e.g. {BROKER_VAR}=redis://redis-host:6379/0")
    return url


def public_url(url: str) -> str:
    """A broker URL fit for a log line: scheme, host, port and database, never user or password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def visibility_timeout_s() -> int:
    raw = os.environ.get(VISIBILITY_VAR, "").strip()
    if not raw:
        return DEFAULT_VISIBILITY_TIMEOUT_S
    try:
        seconds = int(raw)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ExecutionConfigError(f"{VISIBILITY_VAR}={raw!r} is not a whole number of seconds above 0: give more "
                                   f"than the longest step takes (default {DEFAULT_VISIBILITY_TIMEOUT_S})")
    return seconds


def celery_config_source() -> dict:
    """Celery settings that make a lost worker cost a re-run step, not a failed run.

    dagster_celery turns a task that FAILS into a failed run with no step retry (core_execution_loop
    collects it as a worker error). With Celery's default early acknowledgement a pool process killed
    mid-step is exactly that (WorkerLostError). Acknowledged late and rejected when its worker process
    is lost, the task goes back to the queue instead and another process runs the step again, in the
    same run, which keeps waiting for it. One task per process at a time (prefetch 1): a worker does
    not hold steps it cannot start while another worker idles.
    """
    from dagster_celery.defaults import broker_transport_options  # its publish retries, kept

    return {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": {**broker_transport_options, **redelivery_options(visibility_timeout_s())},
    }


def redelivery_options(visibility_timeout: int) -> dict:
    """Redis keeps a delivered, unacknowledged task aside; when a whole worker (host) is lost, no parent is
    left to reject it, and the task is handed out again once it has been out for ``visibility_timeout``
    seconds. That must exceed the longest step, or a step still running would be delivered to a second
    worker as well. Workers look for such tasks every tenth of the timeout (1 to 10 s, one small Redis
    query each; kombu's default looks only every 100 s), so a lost task comes back soon after it."""
    return {"visibility_timeout": visibility_timeout,
            "unacked_restore_interval": max(1, min(10, visibility_timeout // 10)), "unacked_restore_throttle": 1}


def celery_executor_config() -> dict:
    """The celery executor's run config: URLs by variable name, read where each process runs."""
    broker_url()  # fail now, with the variable named, rather than in a worker
    backend = {"env": BACKEND_VAR} if os.environ.get(BACKEND_VAR, "").strip() else {"env": BROKER_VAR}
    return {"broker": {"env": BROKER_VAR}, "backend": backend, "config_source": celery_config_source()}


def celery_app():
    """The Celery app a worker serves, with the settings the executor submits with (celery_executor_config),
    the URLs read from this process's environment; the step task registered."""
    from dagster_celery.executor import CeleryExecutor
    from dagster_celery.make_app import make_app
    from dagster_celery.tasks import create_task

    broker = broker_url()
    backend = os.environ.get(BACKEND_VAR, "").strip() or broker
    app = make_app(CeleryExecutor.for_cli(broker=broker, backend=backend,
                                          config_source=celery_config_source()).app_args())
    create_task(app)
    return app


def run_config() -> dict:
    """The ``execution`` part of every job's run config."""
    name = executor_name()
    if name == "celery":
        return {"execution": {"config": celery_executor_config()}}
    return {"execution": {"config": {name: {}}}}


def executor_def() -> dg.ExecutorDefinition | None:
    """The Definitions' executor: None keeps Dagster's default (in-process or multiprocess by run config)."""
    if executor_name() != "celery":
        return None
    from dagster_celery import celery_executor

    return celery_executor
