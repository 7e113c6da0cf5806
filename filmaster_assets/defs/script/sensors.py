"""How a film's script starts without a terminal.

``film_request_sensor``: a request file dropped in ``<studio>/.requests/`` becomes a film partition and a
``script_job`` run (dynamic partitions cannot be added from the Dagster CLI). The request is checked by the
same parser as ``filmaster make`` and the launchpad; a bad one is moved to ``rejected/`` with the reason.

``script_sensor``: a request materialized from the UI goes on to the rest of the script.
"""

import dagster as dg

from filmaster_assets.jobs import EXECUTION, script_job
from filmaster_assets.orchestration import SCRIPT_AFTER_REQUEST, script_needed, script_run_config
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
        runs.append(dg.RunRequest(partition_key=req.film_id, run_config={**script_run_config(fields), **EXECUTION},
                                  run_key=f"{req.film_id}:{content_key(fields)[:12]}:{mtime}"))
    return dg.SensorResult(run_requests=runs,
                           dynamic_partitions_requests=[film_partitions.build_add_request(films)] if films else [])


@dg.asset_sensor(asset_key=dg.AssetKey("film_request"), job=script_job, minimum_interval_seconds=10,
                 default_status=dg.DefaultSensorStatus.RUNNING)
def script_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """A film request materialized on its own (the UI's Materialize, the launchpad) goes on to the script:
    synopsis, storyboards, scene blocks and the audience profile, unless they are current or under way."""
    film_id = asset_event.dagster_event.partition
    if film_id and script_needed(context.instance, context.repository_def.asset_graph, film_id):
        yield dg.RunRequest(partition_key=film_id, run_key=f"{film_id}:script:{asset_event.timestamp}",
                            asset_selection=[dg.AssetKey(a) for a in SCRIPT_AFTER_REQUEST])
