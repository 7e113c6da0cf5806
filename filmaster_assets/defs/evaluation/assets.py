"""Evaluation group: FilmEval scores for every film, and the benchmark report over all ``bench-`` films.

The judge follows the vision role: with FILMASTER_VISION_BASE_URL set, a multimodal LLM judges
sampled keyframes and the film's texts (``evaluation.llm_judge``); otherwise the offline judge
measures proxies (``evaluation.offline_judge``).
"""

from pathlib import Path
from typing import Optional

import dagster as dg

from filmaster_assets.metadata import contract_version, data_version, table
from filmaster_assets.partitions import film_partitions
from filmaster_assets.policies import service_pool
from filmcraft.assembly import MissingSceneWork, shot_plans_by_id
from filmcraft.budget import Budget
from filmcraft.contracts import (AudienceProfile, CueSheet, DeliveredFilm, FilmEvalScores, FilmRequest, MixReport,
                                 PictureLock, RenderManifest, SceneBlocks, SceneClips, ScenePlan, Synopsis)
from resources.embeddings import EmbeddingResource
from resources.studio import StudioResource
from resources.vision import VisionModelResource

# The report is unpartitioned: it lives in its own group so the film-partitioned post-production
# job (which selects the "evaluation" group) never mixes partitioned and unpartitioned assets.
BENCHMARK_GROUP = "benchmark"


@dg.asset(partitions_def=film_partitions, group_name="evaluation", pool=service_pool("vision", "embeddings"))
def filmeval_scores(film_request: FilmRequest, synopsis: Synopsis, scene_blocks: SceneBlocks,
                    shot_plans: dict[str, ScenePlan], clips: dict[str, SceneClips], picture_lock: PictureLock,
                    sound_design: CueSheet,
                    mix: MixReport, final_film: DeliveredFilm, audience_profile: AudienceProfile,
                    studio: StudioResource, embeddings: EmbeddingResource,
                    vision: VisionModelResource) -> dg.Output[FilmEvalScores]:
    """Twelve FilmEval criteria (None where not measurable offline), plus CL and CRh."""
    from evaluation.llm_judge import judge_llm
    from evaluation.offline_judge import FilmEvalInputs, judge_offline

    files = studio.film(film_request.film_id)
    try:
        plans = shot_plans_by_id(scene_blocks, shot_plans)
    except MissingSceneWork as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    judge = vision.judge(studio.studio(), budget=Budget(files.root, film_request))
    inputs = FilmEvalInputs(
        film_id=film_request.film_id, request_text=film_request.text, synopsis=synopsis, scenes=scene_blocks,
        plans=list(plans.values()), lock=picture_lock, cues=sound_design, mix=mix, final_video=Path(final_film.path),
        profile=audience_profile, embedder=None if judge is not None else embeddings.embedder(),
        manifests=render_manifests(clips))
    if judge is None:
        scores = judge_offline(inputs)
    else:
        scores = judge_llm(inputs, judge, files.root / "eval" / "keyframes", vision.samples, vision.keyframes)

    def fmt(v):
        return "not measured" if v is None else f"{v:.2f}"
    return dg.Output(scores, data_version=contract_version(scores), metadata={
        "CL": scores.camera_language, "CRh": scores.cinematic_rhythm, "average": scores.average,
        "judge": scores.judge, "backend": vision.backend_name(),
        "scores": table(["criterion", "score", "basis", "reason"],
                           [[c.criterion, fmt(c.score), c.basis, c.reason] for c in scores.criteria])})


def render_manifests(clips: dict[str, SceneClips]) -> Optional[list[RenderManifest]]:
    """What each clip drew; None when a clip has no manifest (a video backend whose picture is unseen)."""
    out = [clip.manifest for scene in clips.values() for clip in scene.clips]
    return None if any(m is None for m in out) else out


class BenchmarkConfig(dg.Config):
    """Which cases and variants to make as films ``bench-<case>-<variant>``: a JSONL case file (empty: the
    shipped cases), the first `limit` of them, comma-separated variants, and the film size."""

    cases: str = ""
    limit: Optional[int] = None
    variants: str = "full,no_rag,no_rhythm"
    size: str = "preview"  # preview (640x360, 3x3), tiny (320x180, 2x2) or full (720p)
    audience: str = "general"
    seed: int = 0


@dg.asset(group_name=BENCHMARK_GROUP)
def benchmark_requests(context: dg.AssetExecutionContext, config: BenchmarkConfig,
                       studio: StudioResource) -> dg.MaterializeResult:
    """A FilmEval benchmark launched from the UI: one film request per case x variant, dropped in the studio's
    requests folder, so each film is made by the production graph as any dropped request is (the request
    sensor, the scene fan-out, post-production) and judged; the report follows each judged film."""
    from evaluation.benchmark import benchmark_request, parse_variants
    from evaluation.cases import load_cases
    from filmcraft.request import parse_request
    from filmcraft.store import write_text

    try:  # every request checked before any is dropped: a bad setting drops none
        cases = load_cases(config.cases.strip() or None, config.limit)
        variants = parse_variants(config.variants)
        requests = [parse_request(benchmark_request(c, v, config.size, config.audience, config.seed).model_dump())
                    for c in cases for v in variants]
    except ValueError as exc:  # RequestError is a ValueError
        raise dg.Failure(f"benchmark: {exc}", allow_retries=False) from None
    drops = studio.studio().requests_dir
    for req in requests:
        write_text(drops / f"{req.film_id}.json", req.model_dump_json(indent=2) + "\n")
    context.log.info(f"{len(requests)} benchmark film requests dropped in {drops}")
    return dg.MaterializeResult(metadata={
        "films": len(requests), "cases": len(cases), "variants": ", ".join(variants), "size": config.size,
        "requests_folder": dg.MetadataValue.path(str(drops)),
        "film_ids": table(["film"], [[r.film_id] for r in requests])})


@dg.asset(group_name=BENCHMARK_GROUP, deps=["filmeval_scores"])
def filmeval_benchmark_report(studio: StudioResource) -> dg.MaterializeResult:
    """report.md, scores.parquet, proxies.parquet and plots over every judged ``bench-<case>-<variant>`` film."""
    from evaluation.benchmark import collect_benchmark_films
    from evaluation.report import variant_means, write_report

    root = studio.studio().root
    films = collect_benchmark_films(root)
    if not films:
        raise dg.Failure("no judged bench- films in the studio: run `filmaster eval` (or make bench-<case>-<variant> "
                         "films) first", allow_retries=False)
    files = write_report(films, root / ".benchmark", title="FilmEval benchmark (all bench- films in the studio)")
    means = variant_means(films)

    def fmt(v):
        return "n/m" if v is None else f"{v:.2f}"
    return dg.MaterializeResult(
        metadata={"films": len(films), "report": dg.MetadataValue.path(str(files.report)),
                  "scores": dg.MetadataValue.path(str(files.scores)),
                  "by_variant": table(["variant", "CL", "CRh", "average"],
                                         [[v, fmt(m["CL"]), fmt(m["CRh"]), fmt(m["average"])] for v, m in means.items()])},
        data_version=data_version(files.scores, files.report))
