"""Camera group, per film x scene slot: the scene to shoot, retrieval of film-clip captions, multi-shot
re-planning, clips.

A slot past the film's scene count is never requested by the CLI or the sensors; asked for by
hand it fails with a message saying which slots exist.
"""

import json

import dagster as dg

from filmaster_assets.metadata import contract_version, image_preview, table
from filmaster_assets.partitions import film_and_scene, film_partitions, film_scene_partitions
from filmaster_assets.policies import CLIP_RETRY, LLM_POOL, LLM_RETRY, service_pool, video_pool
from filmcraft import stages
from filmcraft.budget import Budget
from filmcraft.contracts import (FilmReferenceImages, FilmRequest, ReferenceSet, SceneBlocks, SceneClips, ScenePlan,
                                 SceneReferences, SceneToShoot)
from filmcraft.director.camera import scene_query
from filmcraft.overrides import OverrideError, edit_override, load_overrides, scene_to_shoot
from filmcraft.takes import TakesError
from resources.embeddings import EmbeddingResource
from resources.studio import StudioResource
from resources.text import TextModelResource
from resources.video import VideoResource
from resources.vision import VisionModelResource

_common = dict(partitions_def=film_scene_partitions, group_name="camera")

shot_takes = dg.AssetSpec(
    "shot_takes", partitions_def=film_partitions, group_name="camera",
    description="<film>/shot_takes.json: every take of a shot (reshoots with `filmaster reshoot`, judged "
                "candidates) and the active one; `filmaster takes FILM_ID` lists them.")


class SceneOverrideConfig(dg.Config):
    """Edit this scene before it is shot again: `override` is a JSON object of scene-block fields, e.g.
    {"time_of_day": "night", "mood": "eerie"}, merged into the film's scene_overrides.json; `clear`
    removes the scene's override. Leave both empty to shoot the scene as the overrides file says."""

    override: str = ""
    clear: bool = False


def _edit(config: SceneOverrideConfig, files, blocks: SceneBlocks, scene: str) -> None:
    if not config.override.strip() and not config.clear:
        return
    try:
        fields = json.loads(config.override) if config.override.strip() else None
    except json.JSONDecodeError as exc:
        raise OverrideError(f"override: not JSON ({exc.msg} at character {exc.pos}): write an object such as "
                            '{"time_of_day": "night"}') from None
    if fields is not None and not isinstance(fields, dict):
        raise OverrideError('override: write one JSON object of scene-block fields, e.g. {"time_of_day": "night"}')
    edit_override(files.scene_overrides, blocks, scene, fields, clear=config.clear)


@dg.asset(**_common, deps=["scene_overrides"])
def scene_block(context: dg.AssetExecutionContext, config: SceneOverrideConfig, scene_blocks: SceneBlocks,
                studio: StudioResource) -> dg.Output[SceneToShoot]:
    """One scene's block with the film-maker's overrides applied, and its continuity. Its data version is
    its content, so editing one scene leaves the other scenes' camera work fresh."""
    film_id, scene = film_and_scene(context)
    files = studio.film(film_id)
    try:
        _edit(config, files, scene_blocks, scene)
        overrides = load_overrides(files.scene_overrides)
        item = scene_to_shoot(scene_blocks, overrides, scene, str(files.scene_overrides))
    except OverrideError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    return dg.Output(item, data_version=contract_version(item), metadata={
        "heading": item.block.heading, "objective": item.block.narrative_objective, "shots": len(item.block.shots),
        "overridden": scene in overrides, "last_scene": item.continuity.last_scene})


@dg.asset(**_common, pool=service_pool("embeddings"), deps=["clip_caption_index"])
def scene_references(context: dg.AssetExecutionContext, scene_block: SceneToShoot, film_request: FilmRequest,
                     studio: StudioResource, embeddings: EmbeddingResource) -> dg.Output[SceneReferences]:
    """Top-K film-clip captions retrieved with the scene block as a spatio-temporal query."""
    from corpus_ingest.captions import search_captions

    scene = scene_block.block.scene_id
    query = scene_query(scene_block.block)
    if film_request.variant == "no_rag":
        # Ablation: no retrieved camera language; the planner falls back to film-grammar templates.
        refs = SceneReferences(scene_id=scene, query=query, k=0, references=[])
    else:
        hits = search_captions(studio.library().clip_caption_index, embeddings.embedder(), query, k=film_request.top_k)
        refs = SceneReferences(scene_id=scene, query=query, k=film_request.top_k, references=hits)
    return dg.Output(refs, data_version=contract_version(refs), metadata={
        "query": query, "k": refs.k, "top_score": round(refs.references[0].score, 4) if refs.references else None,
        "references": table(["id", "score", "caption"],
                               [[r.caption_id, f"{r.score:.3f}", r.text[:160]] for r in refs.references])})


@dg.asset(**_common, pool=LLM_POOL, retry_policy=LLM_RETRY)
def shot_plans(scene_block: SceneToShoot, scene_references: SceneReferences, film_request: FilmRequest,
               studio: StudioResource, text_model: TextModelResource) -> dg.Output[ScenePlan]:
    """All shots of the scene re-planned together from the retrieved camera language."""
    llm = text_model.chat_model(studio.studio(), Budget(studio.film(film_request.film_id).root, film_request))
    plan = stages.replan_scene(scene_block.block, scene_references, llm, scene_block.continuity)
    setups = {(s.camera.shot_size, s.camera.movement, s.camera.angle) for s in plan.shots}
    return dg.Output(plan, data_version=contract_version(plan), metadata={
        "shots": len(plan.shots), "distinct_setups": len(setups),
        "scene_duration_s": round(sum(s.camera.duration_s for s in plan.shots), 2),
        "shot_plan": table(["shot", "size", "movement", "angle", "lens", "grade", "dur", "cites", "prompt"],
                              [[s.shot_id, s.camera.shot_size, s.camera.movement, s.camera.angle,
                                f"{s.camera.lens_mm:.0f}mm", s.camera.grade, f"{s.camera.duration_s:.1f}s",
                                ", ".join(s.cited_references[:3]), s.prompt[:120]] for s in plan.shots]),
        "backend": text_model.backend_name()})


@dg.asset(**_common, retry_policy=CLIP_RETRY, pool=video_pool() or service_pool("vision", "embeddings"),
          deps=["shot_takes"])
def clips(context: dg.AssetExecutionContext, scene_block: SceneToShoot, shot_plans: ScenePlan,
          film_request: FilmRequest, reference_images: FilmReferenceImages, studio: StudioResource,
          video: VideoResource, embeddings: EmbeddingResource, vision: VisionModelResource) -> dg.Output[SceneClips]:
    """One clip per planned shot, content-addressed: an identical shot is never rendered twice. Each previs
    clip carries a render manifest: what it drew, and which nouns of its plan it could not depict.
    Takes (shot_takes.json, `filmaster reshoot`) and candidates (`--candidates N`, judged) are listed
    per shot; alternates are linked beside the take in the cut. A character or location the user gave no
    image of is shown by the film's image-model reference (``reference_images``) when there is one."""
    from filmcraft.model_references import model_images
    from filmcraft.shoot import shoot_scene

    req = film_request
    files = studio.film(req.film_id)
    budget = Budget(files.root, req)  # cache hits cost nothing; each real render (every take) is charged
    visuals = video.visual_library(studio.library(), embeddings.embedder())

    def render(shot, refs, out, seed):
        video.render_shot(shot, refs, out, req.width, req.height, req.fps, seed, budget, visuals)

    def describe(shot, refs):
        return video.describe_shot(shot, refs, visuals)

    # the vision model judges candidates when one is configured; offline, measured adherence
    judge = vision.judge(studio.studio(), role="take judge", budget=budget) if req.candidates > 1 else None
    try:
        shot = shoot_scene(scene_block, shot_plans, req, studio.studio(), files, render, video.backend_name(),
                           describe, judge, model_images(reference_images))
    except TakesError as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    scene, infos = shot.clips.scene_id, shot.clips.clips
    takes = sum(1 + len(i.alternates) for i in infos)
    context.log.info(f"{scene}: {shot.rendered} clip(s) rendered, {takes - shot.rendered} from cache")
    sheet = shot.clips.takes_sheet_path
    return dg.Output(shot.clips, data_version=contract_version(shot.clips), metadata={
        "clips": len(infos), "rendered": shot.rendered, "cache_hits": takes - shot.rendered,
        "duration_s": round(sum(i.duration_s for i in infos), 2), "backend": video.backend_name(),
        "contact_sheet": image_preview(shot.clips.contact_sheet_path),
        "depicted": _depiction_table(infos),
        "not_depicted": sum(len(i.manifest.not_depicted) for i in infos if i.manifest),
        "takes": _takes_table(infos), "alternates": sum(len(i.alternates) for i in infos),
        **({"takes_sheet": image_preview(sheet, max_width=960)} if sheet else {}),
        "contact_sheet_path": dg.MetadataValue.path(shot.clips.contact_sheet_path),
        "reference_images": _references_table(shot.references)})


def _references_table(refs: ReferenceSet) -> dg.MetadataValue:
    """The images the scene's clips are given, and where each comes from."""
    def source(r) -> str:
        return f"image model ({r.painted_by})" if r.painted_by else "painted card" if r.generated else "user image"

    return table(["name", "kind", "source", "file"],
                 [[r.name, r.kind, source(r), r.path] for r in [refs.location, *refs.characters]])


def _takes_table(infos) -> dg.MetadataValue:
    """Per shot, every take linked: the one in the cut first, then its alternates, with the judge's word."""
    rows = []
    for i in infos:
        rows.append([i.shot_id, i.take, i.seed, "" if i.score is None else f"{i.score:.2f}", "yes", i.reason])
        rows += [[i.shot_id, a.take, a.seed, "" if a.score is None else f"{a.score:.2f}", "", a.reason]
                 for a in i.alternates]
    return table(["shot", "take", "seed", "score", "picked", "reason"], rows)


def _depiction_table(infos) -> dg.MetadataValue:
    """Per shot, what the previs drew: place, weather, props (noun -> image), figures and motion, misses."""
    rows = []
    for i in infos:
        m = i.manifest
        if m is None:
            rows.append([i.shot_id, None, None, None, None, None, "(no manifest: not a previs clip)"])
            continue
        rows.append([i.shot_id, m.location_kind, m.weather, m.subject,
                     ", ".join(f"{p.noun} ({p.visual_id})" for p in m.props),
                     ", ".join(f"{f.name}: {f.motion}" + (f" {f.direction}" if f.direction != "none" else "")
                               for f in m.figures),
                     ", ".join(m.not_depicted)])
    return table(["shot", "location kind", "weather", "subject", "props drawn", "figures", "not depicted"], rows)
