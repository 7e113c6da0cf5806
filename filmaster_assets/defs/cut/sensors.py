"""When a scene's clips materialize and every scene of the film is current, request post-production
(unless it is current or already under way)."""

import dagster as dg

from filmaster_assets.jobs import post_production_job
from filmaster_assets.orchestration import RESHOOT_TAG, post_production_needed, scene_statuses
from resources.studio import StudioResource


@dg.asset_sensor(asset_key=dg.AssetKey("clips"), job=post_production_job, minimum_interval_seconds=10,
                 default_status=dg.DefaultSensorStatus.RUNNING)
def post_production_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, studio: StudioResource):
    film_id = asset_event.dagster_event.partition.split("|")[0]  # multi-partition keys read "film|scene"
    run = context.instance.get_run_by_id(asset_event.run_id)
    if run is not None and RESHOOT_TAG in run.tags:
        # `filmaster reshoot` runs its own post-production, keeping the locked edit (no LLM review)
        return
    try:
        statuses = scene_statuses(context.instance, context.repository_def.asset_graph, studio.film(film_id))
    except ValueError as exc:  # a bad override: this film waits for its fix, other films go on
        context.log.warning(f"film {film_id}: {exc}")
        return
    graph = context.repository_def.asset_graph
    if statuses and all(s.current for s in statuses) and post_production_needed(context.instance, graph, film_id):
        yield dg.RunRequest(partition_key=film_id, run_key=f"{film_id}:post:{asset_event.timestamp}")
