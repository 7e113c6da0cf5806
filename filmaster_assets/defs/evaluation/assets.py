"""Evaluation group: FilmEval scores for every film, and the benchmark report over all ``bench-`` films.

The judge follows the vision role: with FILMASTER_VISION_BASE_URL set, a multimodal LLM judges
sampled keyframes and the film's texts (``evaluation.llm_judge``); otherwise the offline judge
measures proxies (``evaluation.offline_judge``).
"""

import dagster as dg

from filmaster_assets.common import data_version, layout, md_table
from filmaster_assets.defs.deliver.assets import final_film, otio_timeline
from filmaster_assets.defs.cut.assets import load_plans
from filmaster_assets.partitions import film_partitions
from filmcraft.budget import Budget
from filmcraft.contracts import (AudienceProfile, CueSheet, FilmRequest, MixReport, PictureLock, SceneBlocks, Synopsis)
from filmcraft.store import read_model, write_model
from resources.models import EmbeddingResource, StudioResource
from resources.vision import VisionModelResource

# The report is unpartitioned: it lives in its own group so the film-partitioned post-production
# job (which selects the "evaluation" group) never mixes partitioned and unpartitioned assets.
BENCHMARK_GROUP = "benchmark"


@dg.asset(partitions_def=film_partitions, group_name="evaluation", deps=[final_film, otio_timeline], code_version="2")
def filmeval_scores(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource,
                    vision: VisionModelResource) -> dg.MaterializeResult:
    """Twelve FilmEval criteria (None where not measurable offline), plus CL and CRh."""
    from evaluation.llm_judge import judge_llm
    from evaluation.offline_judge import FilmEvalInputs, judge_offline

    files = layout(studio, context.partition_key)
    blocks = read_model(files.scene_blocks, SceneBlocks)
    judge = vision.judge(studio.studio(), budget=Budget.for_film(files.root))
    inputs = FilmEvalInputs(
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
        embedder=None if judge is not None else embeddings.embedder(),
    )
    if judge is None:
        scores = judge_offline(inputs)
    else:
        scores = judge_llm(inputs, judge, files.root / "eval" / "keyframes", vision.samples, vision.keyframes)
    write_model(files.filmeval, scores)

    def fmt(v):
        return "not measured" if v is None else f"{v:.2f}"
    return dg.MaterializeResult(
        metadata={"CL": scores.camera_language, "CRh": scores.cinematic_rhythm, "average": scores.average,
                  "judge": scores.judge, "backend": vision.backend_name(),
                  "scores": md_table(["criterion", "score", "reason"],
                                     [[c.criterion, fmt(c.score), c.reason] for c in scores.criteria])},
        data_version=data_version(files.filmeval),
    )


@dg.asset(group_name=BENCHMARK_GROUP, deps=[filmeval_scores], code_version="1")
def filmeval_benchmark_report(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """report.md, scores.parquet, proxies.parquet and plots over every judged ``bench-<case>-<variant>`` film."""
    from evaluation.benchmark import collect_benchmark_films
    from evaluation.report import variant_means, write_report

    root = studio.studio().root
    films = collect_benchmark_films(root)
    if not films:
        raise dg.Failure("no judged bench- films in the studio: run `filmaster eval` (or make bench-<case>-<variant> "
                         "films) first")
    files = write_report(films, root / ".benchmark", title="FilmEval benchmark (all bench- films in the studio)")
    means = variant_means(films)

    def fmt(v):
        return "n/m" if v is None else f"{v:.2f}"
    return dg.MaterializeResult(
        metadata={"films": len(films), "report": dg.MetadataValue.path(str(files.report)),
                  "scores": dg.MetadataValue.path(str(files.scores)),
                  "by_variant": md_table(["variant", "CL", "CRh", "average"],
                                         [[v, fmt(m["CL"]), fmt(m["CRh"]), fmt(m["average"])] for v, m in means.items()])},
        data_version=data_version(files.scores, files.report),
    )


benchmark_report_job = dg.define_asset_job(
    "benchmark_report_job", selection=[filmeval_benchmark_report],
    description="Aggregate the FilmEval scores of every bench-<case>-<variant> film into one report.")
