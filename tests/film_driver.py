"""Make one tiny film the way ``filmaster make`` does (cli.film.make_film), for tests that run it in a
subprocess they can kill. ``filmaster make`` has no size flags, so the request is shrunk here
(256x144, 12 fps, 2 scenes x 2 shots); everything else is the CLI's own path.

``--multiprocess`` runs every job with Dagster's multiprocess executor (each step in its own
process, as ``dagster dev`` launches runs) instead of the CLI's in-process execution.

    python -m tests.film_driver --theme TEXT --film-id ID --out STUDIO [--multiprocess]
"""

from __future__ import annotations

import argparse
import sys


def _multiprocess_execute(defs, job_name: str, instance, partition_key=None, tags: dict | None = None,
                          run_config: dict | None = None):
    """runtime.execute with the multiprocess executor: the job is reconstructed in every step process."""
    import dagster as dg
    from dagster._core.definitions.reconstruct import ReconstructableJob, ReconstructableRepository

    from filmaster_assets.cli.runtime import CliError

    job_def = defs.resolve_job_def(job_name)
    run_tags = dict(tags or {})
    if partition_key is not None:
        run_tags.update(job_def.partitions_def.get_tags_for_partition_key(partition_key))
    recon = ReconstructableJob(ReconstructableRepository.for_module("filmaster_assets.definitions", "defs"), job_name)
    result = dg.execute_job(recon, instance=instance, tags=run_tags,
                            run_config={**(run_config or {}),
                                        "execution": {"config": {"multiprocess": {"max_concurrent": 2}}}})
    if not result.success:
        failures = [e for e in result.all_events if e.is_step_failure]
        detail = "\n".join(f"  {e.step_key}: {e.step_failure_data.error.message.strip()[:400]}"
                           for e in failures if e.step_failure_data and e.step_failure_data.error)
        raise CliError(f"{job_name} failed for {partition_key or 'the corpus'} (run {result.run_id}):\n{detail}")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--theme", required=True)
    p.add_argument("--film-id", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--multiprocess", action="store_true")
    args = p.parse_args(argv)

    from filmaster_assets.cli import film
    from filmaster_assets.cli.runtime import CliError, setup_env
    from filmcraft.contracts import FilmRequest

    studio = setup_env(args.out)
    if args.multiprocess:
        film.execute = _multiprocess_execute
    req = film.build_request(args.theme, args.film_id, None, "general", False, 0)
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
