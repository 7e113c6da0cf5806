"""Jobs: one per partitioning, because a run targets one partition of one partitions definition.
Each job's partitioning is inferred from its assets; asset checks of the selected assets run with them."""

import dagster as dg

from filmaster_assets.execution import run_config

# Where every job's steps execute (FILMASTER_EXECUTOR, see execution.py). By default in the run's own
# process: a film's steps form a chain, so a process per step buys nothing on one machine and costs
# seconds of start-up each; scenes still run side by side as separate runs. On a cluster, celery.
EXECUTION = run_config()

# Corpus: corpus_ingest_job ingests one registered source (partition '<kind>:<source>'); the
# unpartitioned indexes ride along and skip when their sources did not change. reindex_job builds
# the built-in libraries and the three indexes over every ingested source.
reindex_job = dg.define_asset_job(
    "reindex_job", config=EXECUTION,
    selection=dg.AssetSelection.assets("audio_library", "audio_library_index", "clip_caption_index",
                                       "visual_library", "visual_library_index"),
    description="Build the built-in audio and visual libraries and the three FAISS indexes over all sources "
                "(skips what is current).")
corpus_ingest_job = dg.define_asset_job(
    "corpus_ingest_job", config=EXECUTION,
    selection=dg.AssetSelection.assets("corpus_source", "source_embeddings", "audio_library", "audio_library_index",
                                       "clip_caption_index", "visual_library", "visual_library_index"),
    description="Ingest one source (partition '<kind>:<source>'): read, validate, measure, embed new rows; "
                "update the index of its kind.")
script_job = dg.define_asset_job("script_job", config=EXECUTION, selection=dg.AssetSelection.groups("script"),
                                 description="Theme -> synopsis -> storyboards -> scene blocks, and the audience profile.")
camera_job = dg.define_asset_job("camera_job", config=EXECUTION, selection=dg.AssetSelection.groups("camera"),
                                 description="One scene: its block, caption retrieval, multi-shot re-planning, clips.")
post_production_job = dg.define_asset_job(
    "post_production_job", config=EXECUTION, selection=dg.AssetSelection.groups("cut", "sound", "deliver", "evaluation"),
    description="Rough cut -> audience review -> fine cut -> sound design -> mix -> final film, OTIO, FilmEval.")
benchmark_report_job = dg.define_asset_job(
    "benchmark_report_job", config=EXECUTION, selection=dg.AssetSelection.assets("filmeval_benchmark_report"),
    description="Aggregate the FilmEval scores of every bench-<case>-<variant> film into one report.")

benchmark_job = dg.define_asset_job(
    "benchmark_job", config=EXECUTION, selection=dg.AssetSelection.assets("benchmark_requests"),
    description="Launch a FilmEval benchmark: drop one film request per case x variant (films follow by sensor).")

ALL_JOBS = [reindex_job, corpus_ingest_job, script_job, camera_job, post_production_job, benchmark_report_job,
            benchmark_job]
