"""What a film needs next, decided one way for the `filmaster` CLI (which runs the jobs in-process) and
for the sensors (which request the same jobs from the daemon).

A film is made in three steps, each a job over one partition: ``script_job`` (film), ``camera_job``
(one film x scene partition per scene that needs it), ``post_production_job`` (film). Whether a scene
needs its camera job is Dagster's own change tracking: the scene's ``scene_block`` would get another
data version than its last one (its block or override changed), or an asset of its camera chain is
missing or stale (a new request, corpus index or code version). Dagster's declarative automation
cannot say this for film x scene partitions (``eager()`` asks for every slot of the cross product, and
a film-level change marks every scene stale), so these functions decide and the callers run.
"""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.definitions.temporal_context import TemporalContext
from dagster._time import get_current_datetime

from filmaster_assets.metadata import contract_version
from filmaster_assets.partitions import scene_key
from filmcraft.contracts import SceneBlocks, SceneToShoot
from filmcraft.layout import FilmLayout
from filmcraft.overrides import load_overrides, scenes_to_shoot
from filmcraft.store import read_model

SCRIPT_JOB, CAMERA_JOB, POST_JOB = "script_job", "camera_job", "post_production_job"
# The scene's camera chain after scene_block: fresh means made from the current inputs and code.
CAMERA_CHAIN = ("scene_references", "shot_plans", "clips")
# The script after the request: what a film_request materialized alone (the UI's Materialize) still needs.
SCRIPT_AFTER_REQUEST = ("synopsis", "simplified_storyboard", "detailed_storyboard", "scene_blocks", "audience_profile",
                        "reference_images")
# Post-production is current when every film-level asset after the camera is fresh.
POST_ASSETS = ("rough_cut", "audience_review", "edit_analysis", "picture_lock", "sound_design", "mix", "final_film",
               "otio_timeline", "filmeval_scores")
# After a reshoot the locked edit stays: the audience review and edit analysis (LLM roles) are not asked
# again, the new take drops into its shot's decision. FilmEval (whose judge may be a vision model) runs
# only when asked (`filmaster reshoot --eval`).
RESHOOT_POST_ASSETS = tuple(a for a in POST_ASSETS if a not in ("audience_review", "edit_analysis", "filmeval_scores"))
RESHOOT_TAG = "filmaster/reshoot"  # on a reshoot's runs: the post-production sensor leaves them to the CLI


@dataclass(frozen=True)
class SceneStatus:
    scene: SceneToShoot
    current: bool  # its camera work was made from what it would be made from now

    @property
    def scene_id(self) -> str:
        return self.scene.block.scene_id


def planned_scenes(files: FilmLayout) -> list[SceneToShoot]:
    """The film's scenes as they will be shot: the director's blocks with the film-maker's overrides.
    Raises OverrideError (a ValueError) naming a bad override."""
    blocks = read_model(files.scene_blocks, SceneBlocks)
    return scenes_to_shoot(blocks, load_overrides(files.scene_overrides), str(files.scene_overrides))


def _stale_resolver(instance: dg.DagsterInstance, asset_graph) -> CachingStaleStatusResolver:
    view = AssetGraphView(temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
                          instance=instance, asset_graph=asset_graph)
    return CachingStaleStatusResolver(instance=instance, asset_graph=asset_graph, loading_context=view)


def _latest_data_version(instance: dg.DagsterInstance, asset: str, partition: str) -> str | None:
    record = instance.get_latest_data_version_record(dg.AssetKey(asset), is_source=False, partition_key=partition)
    if record is None or record.asset_materialization is None:
        return None
    return record.asset_materialization.tags.get("dagster/data_version")


def scene_statuses(instance: dg.DagsterInstance, asset_graph, files: FilmLayout) -> list[SceneStatus]:
    """Every scene of the film, and whether its camera work is current. Raises ValueError (a bad override
    file, an unreadable scene blocks file) with a message that names the file and the fix."""
    film_id = files.root.name
    resolver = _stale_resolver(instance, asset_graph)
    out = []
    for scene in planned_scenes(files):
        key = scene_key(film_id, scene.block.scene_id)
        current = _latest_data_version(instance, "scene_block", key) == contract_version(scene).value and all(
            resolver.get_status(dg.AssetKey(asset), key) == StaleStatus.FRESH for asset in CAMERA_CHAIN)
        out.append(SceneStatus(scene, current))
    return out


def script_run_config(fields: dict) -> dict:
    """Run config that hands a film's request fields to ``film_request`` (the one request parser checks
    them again there, as it does for the launchpad)."""
    return {"ops": {"film_request": {"config": {k: v for k, v in fields.items() if v is not None}}}}


def _needed(instance: dg.DagsterInstance, asset_graph, film_id: str, job: str, assets: tuple[str, ...]) -> bool:
    """True unless ``assets`` are fresh for the film or a ``job`` run of it is already under way (a sensor
    must not start a second one: the first one's results are what it would make)."""
    under_way = instance.get_run_records(dg.RunsFilter(
        job_name=job, tags={"dagster/partition": film_id},
        statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                  dg.DagsterRunStatus.STARTED]), limit=1)
    if under_way:
        return False
    resolver = _stale_resolver(instance, asset_graph)
    return any(resolver.get_status(dg.AssetKey(asset), film_id) != StaleStatus.FRESH for asset in assets)


def camera_needed(instance: dg.DagsterInstance, asset_graph, scene_partition: str) -> bool:
    """A scene block made on its own (an override edited from the UI) still needs the scene's camera chain."""
    return _needed(instance, asset_graph, scene_partition, CAMERA_JOB, CAMERA_CHAIN)


def post_production_needed(instance: dg.DagsterInstance, asset_graph, film_id: str) -> bool:
    return _needed(instance, asset_graph, film_id, POST_JOB, POST_ASSETS)


def script_needed(instance: dg.DagsterInstance, asset_graph, film_id: str) -> bool:
    """A request made (or changed) on its own, e.g. from the UI, still needs the rest of the script."""
    return _needed(instance, asset_graph, film_id, SCRIPT_JOB, SCRIPT_AFTER_REQUEST)
