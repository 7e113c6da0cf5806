"""Drop-folder sensor: each ready entry of the corpus drop folder (``corpus_ingest.drop_folder``) becomes
a registered source (dynamic partition) and an ingest run; a changed entry is ingested again (the run
key follows its size and modification time)."""

from __future__ import annotations

import dagster as dg

from corpus_ingest.drop_folder import scan_drop_folder
from filmaster_assets.defs.corpus.partitions import corpus_source_partitions, source_partition_key
from filmaster_assets.jobs import corpus_ingest_job
from resources.studio import StudioResource


@dg.sensor(job=corpus_ingest_job, minimum_interval_seconds=15,
           default_status=dg.DefaultSensorStatus.RUNNING)
def corpus_drop_sensor(context: dg.SensorEvaluationContext, studio: StudioResource) -> dg.SensorResult:
    lib = studio.library()
    ready, rejected = scan_drop_folder(lib)
    for message in rejected:
        context.log.warning(f"rejected corpus drop {message}")
    runs, adds = [], []
    for kind, name, run_key in ready:
        key = source_partition_key(kind, name)
        if not context.instance.has_dynamic_partition(corpus_source_partitions.name, key):
            adds.append(corpus_source_partitions.build_add_request([key]))
        runs.append(dg.RunRequest(partition_key=key, run_key=run_key, tags={"filmaster/corpus": f"{kind}/{name}"}))
    return dg.SensorResult(run_requests=runs, dynamic_partitions_requests=adds)


CORPUS_SENSORS = [corpus_drop_sensor]
