"""Camera group, per film x scene slot: retrieval of film-clip captions, multi-shot re-planning, clips.

A slot past the film's scene count is never requested by the CLI or the sensors; asked for by
hand it fails with a message saying which slots exist.
"""


import os
import shutil
from pathlib import Path

import dagster as dg

from filmaster_assets.common import data_version, effective_blocks, image_preview, layout, md_table
from filmaster_assets.defs.corpus.assets import clip_caption_index, library_layout
from filmaster_assets.defs.script.assets import LLM_POOL, LLM_RETRY, scene_blocks
from filmaster_assets.partitions import film_and_scene, film_scene_partitions
from filmcraft import stages
from filmcraft.budget import Budget
from filmcraft.contracts import ClipInfo, FilmRequest, SceneBlock, SceneClips, ScenePlan, SceneReferences
from filmcraft.director.camera import scene_query
from filmcraft.media import probe
from filmcraft.overrides import load_overrides, scene_fingerprint
from filmcraft.references.reference_sets import load_reference_set
from filmcraft.store import read_model, sha256_file, write_model, write_text
from resources.models import EmbeddingResource, StudioResource, TextModelResource, VideoResource

# A video backend error is retried with backoff; if it persists only this scene's run fails.
CLIP_RETRY = dg.RetryPolicy(max_retries=2, delay=5, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
_common = dict(partitions_def=film_scene_partitions, group_name="camera")


def _block_in_context(files, film_id: str, scene: str) -> tuple[SceneBlock, SceneBlock | None, bool]:
    """The scene's block, the block before it, and whether it is the film's last scene."""
    blocks = effective_blocks(files).scenes
    for i, block in enumerate(blocks):
        if block.scene_id == scene:
            return block, blocks[i - 1] if i else None, i == len(blocks) - 1
    raise dg.Failure(f"film {film_id!r} has scenes {', '.join(b.scene_id for b in blocks)}; "
                     f"slot {scene} is unused: request only those slots")


def _block(files, film_id: str, scene: str) -> SceneBlock:
    return _block_in_context(files, film_id, scene)[0]


@dg.asset(**_common, deps=[scene_blocks], code_version="1")
def scene_block(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """One scene's block with its overrides applied. Its data version is its content, so editing one
    scene leaves the other scenes' camera work fresh."""
    film_id, scene = film_and_scene(context)
    files = layout(studio, film_id)
    block = _block(files, film_id, scene)
    path = write_model(files.scene_dir(scene) / "scene_block.json", block)
    return dg.MaterializeResult(
        metadata={"heading": block.heading, "objective": block.narrative_objective, "shots": len(block.shots),
                  "overridden": scene in load_overrides(files.scene_overrides)},
        data_version=data_version(path),
    )


@dg.asset(**_common, deps=[scene_block, clip_caption_index], code_version="1")
def scene_references(context: dg.AssetExecutionContext, studio: StudioResource, embeddings: EmbeddingResource) -> dg.MaterializeResult:
    """Top-K film-clip captions retrieved with the scene block as a spatio-temporal query."""
    from corpus_ingest.captions import search_captions

    film_id, scene = film_and_scene(context)
    files = layout(studio, film_id)
    block = _block(files, film_id, scene)
    query = scene_query(block)
    index_dir = library_layout(studio).clip_caption_index
    req = read_model(files.request, FilmRequest)
    if req.variant == "no_rag":
        # Ablation: no retrieved camera language; the planner falls back to film-grammar templates.
        refs = SceneReferences(scene_id=scene, query=query, k=0, references=[])
    else:
        refs = SceneReferences(scene_id=scene, query=query, k=req.top_k,
                               references=search_captions(index_dir, embeddings.embedder(), query, k=req.top_k))
    path = write_model(files.scene_references(scene), refs)
    return dg.MaterializeResult(
        metadata={"query": query, "k": refs.k,
                  "top_score": round(refs.references[0].score, 4) if refs.references else None,
                  "references": md_table(["id", "score", "caption"],
                                         [[r.caption_id, f"{r.score:.3f}", r.text[:160]] for r in refs.references])},
        data_version=data_version(path),
    )


@dg.asset(**_common, deps=[scene_references], pool=LLM_POOL, retry_policy=LLM_RETRY, code_version="1")
def shot_plans(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    """All shots of the scene re-planned together from the retrieved camera language."""
    film_id, scene = film_and_scene(context)
    files = layout(studio, film_id)
    block, previous, last = _block_in_context(files, film_id, scene)
    refs = read_model(files.scene_references(scene), SceneReferences)
    plan = stages.replan_scene(block, refs, text_model.chat_model(studio.studio(), Budget.for_film(files.root)), previous=previous, last_scene=last)
    path = write_model(files.scene_plan(scene), plan)
    setups = {(s.camera.shot_size, s.camera.movement, s.camera.angle) for s in plan.shots}
    return dg.MaterializeResult(
        metadata={"shots": len(plan.shots), "distinct_setups": len(setups),
                  "scene_duration_s": round(sum(s.camera.duration_s for s in plan.shots), 2),
                  "shot_plan": md_table(["shot", "size", "movement", "angle", "lens", "grade", "dur", "cites", "prompt"],
                                        [[s.shot_id, s.camera.shot_size, s.camera.movement, s.camera.angle,
                                          f"{s.camera.lens_mm:.0f}mm", s.camera.grade, f"{s.camera.duration_s:.1f}s",
                                          ", ".join(s.cited_references[:3]), s.prompt[:120]] for s in plan.shots]),
                  "backend": text_model.backend_name()},
        data_version=data_version(path),
    )


def _link_or_copy(src: Path, dst: Path) -> None:
    """Shots in the film folder are hard links to the content-addressed cache (copy across devices)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists() and os.path.samefile(src, dst):
        return  # already linked; renaming a second link onto the same inode is a no-op that strands the temp
    tmp = dst.with_name(f".{dst.name}.part")
    if tmp.exists():
        tmp.unlink()
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


@dg.asset(**_common, deps=[shot_plans], retry_policy=CLIP_RETRY, code_version="1")
def clips(context: dg.AssetExecutionContext, studio: StudioResource, video: VideoResource) -> dg.MaterializeResult:
    """One clip per planned shot, content-addressed: an identical shot is never rendered twice."""
    from filmcraft.previs import contact_sheet, keyframe

    film_id, scene = film_and_scene(context)
    files = layout(studio, film_id)
    st = studio.studio()
    req = read_model(files.request, FilmRequest)
    block = _block(files, film_id, scene)
    plan = read_model(files.scene_plan(scene), ScenePlan)
    refs = load_reference_set(block, Path(req.refs_dir) if req.refs_dir else None, files.scene_cards(scene),
                              req.width, req.height)
    write_model(files.scene_refs_set(scene), refs)

    budget = Budget.for_film(files.root)  # cache hits cost nothing; each real render is charged
    infos, rendered, frames = [], 0, []
    for shot in plan.shots:
        key = {"shot": shot.model_dump(mode="json"), "refs": [sha256_file(refs.location.path)] +
               [sha256_file(c.path) for c in refs.characters], "size": [req.width, req.height, req.fps],
               "seed": req.seed, "backend": video.backend_name()}
        cached, hit = st.cached_file(
            "clips", key, ".mp4",
            lambda tmp, shot=shot: video.render_shot(shot, refs, tmp, req.width, req.height, req.fps, req.seed, budget))
        rendered += 0 if hit else 1
        out = files.shots / f"{shot.shot_id}.mp4"
        _link_or_copy(cached, out)
        info = probe(out)
        infos.append(ClipInfo(shot_id=shot.shot_id, scene_id=scene, path=str(out), duration_s=info.duration_s,
                              width=info.width or req.width, height=info.height or req.height, fps=req.fps,
                              sha256=sha256_file(out), backend=video.backend_name()))
        frames.append((shot.shot_id, keyframe(out, files.scene_dir(scene) / "keyframes" / f"{shot.shot_id}.png")))
    path = write_model(files.scene_clips(scene), SceneClips(scene_id=scene, clips=infos))
    # What this scene's camera work was made from; the CLI re-runs a scene only when this changes.
    write_text(files.scene_fingerprint(scene), scene_fingerprint(block, files.request.read_text(encoding="utf-8")))
    sheet = contact_sheet(frames, files.scene_dir(scene) / "contact_sheet.png")
    context.log.info(f"{scene}: {rendered} clip(s) rendered, {len(infos) - rendered} from cache")
    return dg.MaterializeResult(
        metadata={"clips": len(infos), "rendered": rendered, "cache_hits": len(infos) - rendered,
                  "duration_s": round(sum(i.duration_s for i in infos), 2), "backend": video.backend_name(),
                  "contact_sheet": image_preview(sheet), "contact_sheet_path": dg.MetadataValue.path(str(sheet))},
        data_version=data_version(path),
    )
