"""A request file dropped in ``<studio>/.requests/`` becomes a film partition and a ``script_job`` run
(dynamic partitions cannot be added from the Dagster CLI). The request is checked by the same parser as
``filmaster make`` and the launchpad; a bad one is moved to ``rejected/`` with the reason beside it."""

import dagster as dg

from filmaster_assets.jobs import script_job
from filmaster_assets.orchestration import script_run_config
from filmaster_assets.partitions import film_partitions
from filmcraft.request import RequestError, read_request_file, request_fields
from filmcraft.store import content_key, set_aside
from resources.studio import StudioResource


@dg.sensor(job=script_job, minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING)
def film_request_sensor(context: dg.SensorEvaluationContext, studio: StudioResource) -> dg.SensorResult:
    runs, films = [], []
    for path in sorted(studio.studio().requests_dir.glob("*.json")):
        if path.is_dir() and not path.is_symlink():
            continue  # a folder named *.json is not a request; leave it alone
        try:
            req = read_request_file(path)
        except (RequestError, OSError) as exc:
            # one bad file must not stop the tick: requests already accepted would lose their runs
            context.log.warning(f"rejected film request {path.name}: {exc}")
            set_aside(path, "rejected", f"{path.name} was rejected: {exc}")
            continue
        mtime = path.stat().st_mtime_ns
        set_aside(path, "accepted")
        films.append(req.film_id)
        fields = request_fields(req)
        runs.append(dg.RunRequest(partition_key=req.film_id, run_config=script_run_config(fields),
                                  run_key=f"{req.film_id}:{content_key(fields)[:12]}:{mtime}"))
    return dg.SensorResult(run_requests=runs,
                           dynamic_partitions_requests=[film_partitions.build_add_request(films)] if films else [])
