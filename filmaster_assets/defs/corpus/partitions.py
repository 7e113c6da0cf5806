"""One dynamic partition per registered corpus source, one partition set per corpus kind.

Names carry the project prefix: dynamic partition names are instance-global. Sources are added
by the ``filmaster ingest`` CLI and by the drop-folder sensor (Dagster's own CLI cannot).
"""

import dagster as dg

CAPTION_SOURCES_NAME = "filmaster_caption_sources"
AUDIO_SOURCES_NAME = "filmaster_audio_sources"

caption_source_partitions = dg.DynamicPartitionsDefinition(name=CAPTION_SOURCES_NAME)
audio_source_partitions = dg.DynamicPartitionsDefinition(name=AUDIO_SOURCES_NAME)

PARTITIONS_BY_KIND = {"captions": caption_source_partitions, "audio": audio_source_partitions}
INGEST_JOB_BY_KIND = {"captions": "caption_ingest_job", "audio": "audio_ingest_job"}
