"""When a ``bench-`` film is judged, refresh the benchmark report over every judged bench- film (films of a
benchmark launched from the UI finish one by one; the report always shows what is judged so far)."""

import dagster as dg

from evaluation.cases import split_film_id
from filmaster_assets.jobs import benchmark_report_job


@dg.asset_sensor(asset_key=dg.AssetKey("filmeval_scores"), job=benchmark_report_job, minimum_interval_seconds=10,
                 default_status=dg.DefaultSensorStatus.RUNNING)
def benchmark_report_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    film_id = asset_event.dagster_event.partition
    if film_id and split_film_id(film_id):
        yield dg.RunRequest(run_key=f"report:{film_id}:{asset_event.timestamp}")
