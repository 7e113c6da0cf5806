"""``filmaster worker``: a Celery worker that runs the steps of runs made with FILMASTER_EXECUTOR=celery.

Start one or more on every machine that shares the studio (FILMASTER_HOME, the same path everywhere)
and the Dagster instance (DAGSTER_HOME's dagster.yaml, Postgres). Each worker rebuilds the definitions
from its own environment (model roles, budgets, pools), as the CLI does, so give it the same
FILMASTER_* variables as the machines that submit the films.
"""

from __future__ import annotations

import os
import socket

from filmaster_assets.cli.runtime import DEFAULT_STUDIO, CliError, setup_env


def cmd_worker(args) -> int:
    from filmaster_assets.execution import (
        CELERY_QUEUE, ExecutionConfigError, broker_url, celery_app, public_url, visibility_timeout_s,
    )

    if args.concurrency is not None and args.concurrency < 1:
        raise CliError(f"--concurrency {args.concurrency}: give 1 or more steps at a time")
    # The jobs a worker rebuilds must take the celery run config the submitter stored with the run.
    os.environ["FILMASTER_EXECUTOR"] = "celery"
    studio = setup_env(args.out)
    try:
        broker = broker_url()
        app = celery_app()
        timeout = visibility_timeout_s()
    except ExecutionConfigError as exc:
        raise CliError(str(exc)) from None
    concurrency = args.concurrency or os.cpu_count() or 1
    name = f"{args.name or f'filmaster-{os.getpid()}'}@{socket.gethostname()}"  # as steps' run logs name it
    print(f"filmaster worker {name}: broker {public_url(broker)}, queue {CELERY_QUEUE!r}, concurrency {concurrency}, "
          f"studio {studio}, visibility timeout {timeout}s", flush=True)
    # acks, prefetch and redelivery come with the app (execution.celery_config_source); mingle and gossip,
    # chatter between workers that steps do not need, stay off
    app.worker_main(["worker", "--queues", CELERY_QUEUE, "--concurrency", str(concurrency), "--hostname", name,
                     "--loglevel", args.loglevel, "--without-mingle", "--without-gossip"])
    return 0


def add_worker_commands(sub) -> None:
    w = sub.add_parser("worker", help="run the steps of films made with FILMASTER_EXECUTOR=celery (a Celery worker)")
    w.add_argument("--concurrency", type=int, help="steps run at once, each in a process of its own "
                   "(default: the number of CPUs)")
    w.add_argument("--name", help="worker name, shown in each step's run log (default filmaster-PID); @HOST is added")
    w.add_argument("--out", help=f"studio folder, the same shared path as the submitting machines "
                   f"(default $FILMASTER_HOME, else ./{DEFAULT_STUDIO})")
    w.add_argument("--loglevel", default="INFO", help="Celery's log level (default INFO)")
    w.set_defaults(func=cmd_worker)
