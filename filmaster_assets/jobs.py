"""Jobs: one per partitioning, because a run targets one partition of one partitions definition.
Each job's partitioning is inferred from its assets."""

import dagster as dg

corpus_job = dg.define_asset_job("corpus_job", selection=dg.AssetSelection.groups("corpus"),
                                 description="Build the built-in audio library and both FAISS indexes (skips what is current).")
script_job = dg.define_asset_job("script_job", selection=dg.AssetSelection.groups("script"),
                                 description="Theme -> synopsis -> storyboards -> scene blocks, and the audience profile.")
camera_job = dg.define_asset_job("camera_job", selection=dg.AssetSelection.groups("camera"),
                                 description="One scene: caption retrieval, multi-shot re-planning, clips.")
post_production_job = dg.define_asset_job(
    "post_production_job", selection=dg.AssetSelection.groups("cut", "sound", "deliver", "evaluation"),
    description="Rough cut -> audience review -> fine cut -> sound design -> mix -> final film, OTIO, FilmEval.")

ALL_JOBS = [corpus_job, script_job, camera_job, post_production_job]
