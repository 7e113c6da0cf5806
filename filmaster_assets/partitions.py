"""All partitions in one module.

``film`` is dynamic (films are added by the CLI and the request sensor); the name carries a
project prefix because dynamic partition names are instance-global. Per-scene assets use
film x scene-slot: slots are ordinal and a film uses only its first N, so runs request only
the slots that exist and film-level aggregators tolerate the unused ones.
"""

import dagster as dg

from filmcraft.contracts import MAX_SCENES, scene_id

FILM_PARTITIONS_NAME = "filmaster_films"

film_partitions = dg.DynamicPartitionsDefinition(name=FILM_PARTITIONS_NAME)
scene_slot_partitions = dg.StaticPartitionsDefinition([scene_id(i) for i in range(1, MAX_SCENES + 1)])
film_scene_partitions = dg.MultiPartitionsDefinition({"film": film_partitions, "scene": scene_slot_partitions})


def scene_key(film_id: str, scene: str) -> dg.MultiPartitionKey:
    return dg.MultiPartitionKey({"film": film_id, "scene": scene})


def film_and_scene(context: dg.AssetExecutionContext) -> tuple[str, str]:
    keys = context.partition_key.keys_by_dimension
    return keys["film"], keys["scene"]
