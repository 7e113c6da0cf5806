"""One dynamic partition per registered corpus source, captions, audio and visuals alike.

One partition set for both kinds lets one ``corpus_ingest_job`` ingest any source (a job targets
one partitions definition). The key is ``<kind>:<source>`` ("captions:camerabench",
"audio:esc50", "visuals:props"); source names never contain ':'. Names carry the project prefix: dynamic partition
names are instance-global. Sources are added by the ``filmaster ingest`` CLI and by the
drop-folder sensor (Dagster's own CLI cannot).
"""

import dagster as dg

from corpus_ingest.registry import KINDS

CORPUS_SOURCES_NAME = "filmaster_corpus_sources"

corpus_source_partitions = dg.DynamicPartitionsDefinition(name=CORPUS_SOURCES_NAME)


def source_partition_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def source_of_partition(key: str) -> tuple[str, str]:
    """'captions:camerabench' -> ('captions', 'camerabench')."""
    kind, sep, name = key.partition(":")
    if not sep or kind not in KINDS or not name:
        raise ValueError(f"corpus partition {key!r} is not '<captions|audio|visuals>:<source>': register sources with "
                         "`filmaster ingest` or the drop folder")
    return kind, name
