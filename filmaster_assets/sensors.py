"""Sensors that drive a film through the graph without anyone clicking:

1. ``film_request_sensor``: a request file dropped in ``<studio>/.requests/`` becomes a film
   partition and a ``script_job`` run (dynamic partitions cannot be added from the Dagster CLI).
2. ``scene_fanout_sensor``: when a film's scene blocks materialize, request ``camera_job`` for
   exactly the scene slots the film uses (never the unused cross-product keys).
3. ``post_production_sensor``: when every scene of a film has clips newer than its scene
   blocks, request ``post_production_job``.
"""


import json
import os
from pathlib import Path

import dagster as dg
from pydantic import ValidationError

from filmaster_assets.jobs import camera_job, post_production_job, script_job
from filmaster_assets.partitions import film_partitions, scene_key
from filmcraft.budget import budget_defaults_from_env
from filmcraft.contracts import FilmRequest, SceneBlocks
from filmcraft.layout import FilmLayout
from filmcraft.references.user_images import check_reference_folder
from filmcraft.store import read_model, write_model, write_text
from resources.models import StudioResource


def _reject(path: Path, reason: str) -> None:
    """Move a bad request aside with an explanation beside it, so the drop folder stays clean."""
    rejected = path.parent / "rejected"
    rejected.mkdir(exist_ok=True)
    write_text(rejected / f"{path.name}.error.txt", reason + "\n")
    os.replace(path, rejected / path.name)


MAX_REQUEST_BYTES = 1_000_000  # a theme and a few settings; FilmRequest caps the text at 20,000 characters


def _read_request(path: Path) -> FilmRequest:
    """A dropped request file, validated; ValueError (or OSError) saying what is wrong with it."""
    if path.is_symlink() or not path.is_file():
        raise ValueError("it is a symbolic link or not a regular file: drop the request file itself")
    with open(path, "rb") as fh:
        data = fh.read(MAX_REQUEST_BYTES + 1)
    if len(data) > MAX_REQUEST_BYTES:
        raise ValueError(f"it is over {MAX_REQUEST_BYTES:,} bytes: a request holds a theme of at most 20,000 characters")
    try:
        raw = json.loads(data.decode("utf-8"))
    except RecursionError as exc:
        raise ValueError("its JSON nests too deeply: write one object of request fields") from exc
    if isinstance(raw, dict):  # budgets the file leaves out come from the environment, as for the CLI
        raw = {**budget_defaults_from_env(), **raw}
    try:
        req = FilmRequest.model_validate(raw)
    except ValidationError as exc:
        # field and reason only: pydantic's own text repeats the input, which may be a pasted API key
        raise ValueError("; ".join(f"{'.'.join(map(str, e['loc'])) or 'request'}: {e['msg']}"
                                   for e in exc.errors(include_input=False))) from None
    if req.refs_dir:
        check_reference_folder(Path(req.refs_dir))  # ReferenceImageError (a ValueError) names the bad file
    return req


@dg.sensor(job=script_job, minimum_interval_seconds=10, default_status=dg.DefaultSensorStatus.RUNNING)
def film_request_sensor(context: dg.SensorEvaluationContext, studio: StudioResource) -> dg.SensorResult:
    st = studio.studio()
    runs, films = [], []
    for path in sorted(st.requests_dir.glob("*.json")):
        if path.is_dir() and not path.is_symlink():
            continue  # a folder named *.json is not a request; leave it alone
        try:
            req = _read_request(path)
        except (UnicodeDecodeError, json.JSONDecodeError, ValidationError, ValueError, OSError) as exc:
            # one bad file must not stop the tick: requests already moved to accepted/ would lose their runs
            context.log.warning(f"rejected film request {path.name}: {exc}")
            _reject(path, f"{path.name} was rejected: {exc}")
            continue
        files = FilmLayout(st.film_dir(req.film_id))
        write_model(files.request, req)
        done = path.parent / "accepted"
        done.mkdir(exist_ok=True)
        os.replace(path, done / path.name)
        films.append(req.film_id)
        runs.append(dg.RunRequest(partition_key=req.film_id, run_key=f"{req.film_id}:{files.request.stat().st_mtime_ns}"))
    return dg.SensorResult(run_requests=runs,
                           dynamic_partitions_requests=[film_partitions.build_add_request(films)] if films else [])


@dg.asset_sensor(asset_key=dg.AssetKey("scene_blocks"), job=camera_job, default_status=dg.DefaultSensorStatus.RUNNING)
def scene_fanout_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, studio: StudioResource):
    film_id = asset_event.dagster_event.partition
    blocks = read_model(FilmLayout(studio.studio().film_dir(film_id)).scene_blocks, SceneBlocks)
    for block in blocks.scenes:
        yield dg.RunRequest(partition_key=scene_key(film_id, block.scene_id),
                            run_key=f"{film_id}:{block.scene_id}:{asset_event.timestamp}")


@dg.asset_sensor(asset_key=dg.AssetKey("clips"), job=post_production_job, default_status=dg.DefaultSensorStatus.RUNNING)
def post_production_sensor(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, studio: StudioResource):
    # multi-partition keys serialise as "film|scene" (dimensions in name order)
    film_id = asset_event.dagster_event.partition.split("|")[0]
    files = FilmLayout(studio.studio().film_dir(film_id))
    blocks_mtime = files.scene_blocks.stat().st_mtime_ns
    blocks = read_model(files.scene_blocks, SceneBlocks)
    clip_files = [files.scene_clips(b.scene_id) for b in blocks.scenes]
    if all(p.exists() and p.stat().st_mtime_ns >= blocks_mtime for p in clip_files):
        newest = max(p.stat().st_mtime_ns for p in clip_files)
        yield dg.RunRequest(partition_key=film_id, run_key=f"{film_id}:post:{newest}")


ALL_SENSORS = [film_request_sensor, scene_fanout_sensor, post_production_sensor]
