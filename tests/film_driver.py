"""Make one tiny film the way ``filmaster make`` does (cli.film.make_film), for tests that run it in a
subprocess they can kill. ``filmaster make`` has no size flags, so the request is shrunk here
(256x144, 12 fps, 2 scenes x 2 shots); everything else is the CLI's own path.

``--multiprocess`` runs every job with Dagster's multiprocess executor (each step in its own
process, as ``dagster dev`` launches runs) instead of the CLI's in-process execution: the product's
own switch, FILMASTER_EXECUTOR=multiprocess. Any other FILMASTER_EXECUTOR (celery) comes from the
environment, as for ``filmaster make``.

    python -m tests.film_driver --theme TEXT --film-id ID --out STUDIO [--multiprocess] [--seed N] [--full-size]

``--full-size`` keeps the CLI's own request (1280x720, 24 fps, the writer's scene count), as ``filmaster make``.
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--theme", required=True)
    p.add_argument("--film-id", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--multiprocess", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--full-size", action="store_true")
    args = p.parse_args(argv)

    from filmaster_assets.cli import film
    from filmaster_assets.cli.runtime import CliError, setup_env
    from filmcraft.contracts import FilmRequest

    if args.multiprocess:
        os.environ["FILMASTER_EXECUTOR"] = "multiprocess"
    studio = setup_env(args.out)
    req = film.build_request(args.theme, args.film_id, None, "general", False, args.seed)
    if not args.full_size:
        req = FilmRequest(**{**req.model_dump(), "width": 256, "height": 144, "fps": 12, "max_scenes": 2,
                             "max_shots_per_scene": 2})
    try:
        film.make_film(req, studio)
    except CliError as exc:
        print(f"filmaster: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
