"""How scenes get shot without a terminal.

``scene_fanout_sensor``: when a film's script is done (its ``reference_images``, made after the scene
blocks in the same script run, materialize), request ``camera_job`` for exactly the scenes whose camera
work is not current (never the unused slots, never an unchanged scene); if none is, request
post-production unless it is current or already under way. It waits for the reference images rather than
the scene blocks because every clip is given them: a scene started earlier would be shot with the
previous images (or none). Scene blocks materialized alone from the UI go on once the reference images
are materialized with them (the script group).

``scene_edit_sensor``: a scene block materialized on its own (its override edited from the UI) goes on to
that scene's retrieval, re-planning and clips; post-production follows when every scene is current.
"""

import dagster as dg

from filmaster_assets.jobs import camera_job, post_production_job
from filmaster_assets.orchestration import CAMERA_CHAIN, camera_needed, post_production_needed, scene_statuses
from filmaster_assets.partitions import scene_key
from resources.studio import StudioResource


@dg.asset_sensor(asset_key=dg.AssetKey("reference_images"), jobs=[camera_job, post_production_job],
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


@dg.asset_sensor(asset_key=dg.AssetKey("scene_block"), job=camera_job, minimum_interval_seconds=10,
                 default_status=dg.DefaultSensorStatus.RUNNING)
def scene_edit_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    key = asset_event.dagster_event.partition
    if key and camera_needed(context.instance, context.repository_def.asset_graph, key):
        film_id, scene = key.split("|")  # multi-partition keys read "film|scene"
        yield dg.RunRequest(partition_key=scene_key(film_id, scene), run_key=f"{key}:edit:{asset_event.timestamp}",
                            asset_selection=[dg.AssetKey(a) for a in CAMERA_CHAIN])
