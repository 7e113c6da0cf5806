"""The ``filmaster`` command: small sub-commands over one Dagster instance and studio.

    film.py      demo, make, update, export, dev
    takes.py     reshoot, takes
    corpus.py    ingest, search, corpus stats|reindex|remove
    evaluate.py  eval, eval correlate
    worker.py    worker (Celery, for FILMASTER_EXECUTOR=celery)
    runtime.py   what they share: environment, instance, running a job, errors
"""

from __future__ import annotations

import argparse
import sys

from filmaster_assets.cli.corpus import add_corpus_commands
from filmaster_assets.cli.evaluate import add_eval_commands
from filmaster_assets.cli.film import add_film_commands
from filmaster_assets.cli.runtime import CliError
from filmaster_assets.cli.takes import add_take_commands
from filmaster_assets.cli.worker import add_worker_commands
from filmaster_assets.execution import ExecutionConfigError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="filmaster", description="Automated film generation (FilMaster) on Dagster.")
    sub = p.add_subparsers(dest="command", required=True)
    add_film_commands(sub)
    add_take_commands(sub)
    add_corpus_commands(sub)
    add_eval_commands(sub)
    add_worker_commands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, ExecutionConfigError) as exc:  # the latter from definitions loaded by a command
        print(f"filmaster: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("filmaster: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
