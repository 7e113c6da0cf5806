"""Evaluation group: FilmEval scores for every film (offline judge: measured proxies)."""


import dagster as dg

from filmaster_assets.common import data_version, effective_blocks, layout, md_table
from filmaster_assets.defs.deliver.assets import final_film, otio_timeline
from filmaster_assets.defs.cut.assets import load_plans
from filmaster_assets.partitions import film_partitions
from filmcraft.contracts import (AudienceProfile, CueSheet, FilmRequest, MixReport, PictureLock, Synopsis)
from filmcraft.store import read_model, write_model
from resources.models import EmbeddingResource, StudioResource


@dg.asset(partitions_def=film_partitions, group_name="evaluation", deps=[final_film, otio_timeline], code_version="1")
def filmeval_scores(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """Twelve FilmEval criteria (None where not measurable offline), plus CL and CRh."""
    from evaluation.offline_judge import FilmEvalInputs, judge_offline

    files = layout(studio, context.partition_key)
    blocks = effective_blocks(files)
    scores = judge_offline(FilmEvalInputs(
        film_id=context.partition_key,
        request_text=read_model(files.request, FilmRequest).text,
        synopsis=read_model(files.synopsis, Synopsis),
        scenes=blocks,
        plans=list(load_plans(files, blocks).values()),
        lock=read_model(files.picture_lock, PictureLock),
        cues=read_model(files.cue_sheet, CueSheet),
        mix=read_model(files.mix_report, MixReport),
        final_video=files.final,
        profile=read_model(files.audience_profile, AudienceProfile),
        embedder=embeddings.embedder(),
    ))
    write_model(files.filmeval, scores)

    def fmt(v):
        return "not measured" if v is None else f"{v:.2f}"
    return dg.MaterializeResult(
        metadata={"CL": scores.camera_language, "CRh": scores.cinematic_rhythm, "average": scores.average,
                  "judge": scores.judge,
                  "scores": md_table(["criterion", "score", "reason"],
                                     [[c.criterion, fmt(c.score), c.reason] for c in scores.criteria])},
        data_version=data_version(files.filmeval),
    )
