"""When a film's scene blocks materialize, request ``camera_job`` for exactly the scenes whose camera work
is not current (never the unused slots, never an unchanged scene); if none is, request post-production
unless it is current or already under way."""

import dagster as dg

from filmaster_assets.jobs import camera_job, post_production_job
from filmaster_assets.orchestration import post_production_needed, scene_statuses
from filmaster_assets.partitions import scene_key
from resources.studio import StudioResource


@dg.asset_sensor(asset_key=dg.AssetKey("scene_blocks"), jobs=[camera_job, post_production_job],
                 minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING)
def scene_fanout_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, studio: StudioResource):
    film_id = asset_event.dagster_event.partition
    try:
        statuses = scene_statuses(context.instance, context.repository_def.asset_graph, studio.film(film_id))
    except ValueError as exc:  # a bad override: this film waits for its fix, other films go on
        context.log.warning(f"film {film_id}: {exc}")
        return
    todo = [s for s in statuses if not s.current]
    for s in todo:
        yield dg.RunRequest(job_name=camera_job.name, partition_key=scene_key(film_id, s.scene_id),
                            run_key=f"{film_id}:{s.scene_id}:{asset_event.timestamp}")
    if not todo and post_production_needed(context.instance, context.repository_def.asset_graph, film_id):
        yield dg.RunRequest(job_name=post_production_job.name, partition_key=film_id,
                            run_key=f"{film_id}:post:{asset_event.timestamp}")
