"""Make one film's script stage the way ``filmaster make`` does (cli.film.make_film: the partition,
then ``script_job`` through ``cli.runtime.execute``), and nothing after it, for tests that start many
film-makers at once against one shared instance. The request is shrunk as in ``tests.film_driver``.

With ``--ready FILE --go FILE`` the driver loads everything, says it is ready, and starts its run only
when the go file appears: ten drivers then start their runs together, as the daemon launches ten queued
runs, instead of one after another as each finishes importing on a small machine.

    python -m tests.script_driver --theme TEXT --film-id ID --out STUDIO [--ready FILE --go FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--theme", required=True)
    p.add_argument("--film-id", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ready")
    p.add_argument("--go")
    args = p.parse_args(argv)

    from filmaster_assets.cli import film
    from filmaster_assets.cli.runtime import CliError, execute, open_instance, setup_env
    from filmaster_assets.definitions import build_defs
    from filmaster_assets.orchestration import SCRIPT_JOB, script_run_config
    from filmaster_assets.partitions import FILM_PARTITIONS_NAME
    from filmcraft.contracts import FilmRequest
    from filmcraft.request import request_fields

    setup_env(args.out)
    req = film.build_request(args.theme, args.film_id, None, "general", False, 0)
    req = FilmRequest(**{**req.model_dump(), "width": 256, "height": 144, "fps": 12, "max_scenes": 2,
                         "max_shots_per_scene": 2})
    defs = build_defs()
    instance = open_instance()
    if not instance.has_dynamic_partition(FILM_PARTITIONS_NAME, req.film_id):
        instance.add_dynamic_partitions(FILM_PARTITIONS_NAME, [req.film_id])
    if args.ready and args.go:
        Path(args.ready).touch()
        deadline = time.monotonic() + 300
        while not Path(args.go).exists():
            if time.monotonic() > deadline:
                print(f"filmaster: error: {args.go} did not appear in 300 s", file=sys.stderr)
                return 2
            time.sleep(0.05)
    try:
        execute(defs, SCRIPT_JOB, instance, req.film_id, {"filmaster/film": req.film_id},
                script_run_config(request_fields(req)))
    except CliError as exc:
        print(f"filmaster: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
