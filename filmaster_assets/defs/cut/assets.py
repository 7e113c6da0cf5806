"""Cut group: rough cut with placeholder voice-over, simulated audience review, edit analysis,
fine cut (picture lock)."""


from pathlib import Path

import dagster as dg

from filmaster_assets.common import data_version, effective_blocks, file_metadata, layout, md_table
from filmaster_assets.defs.camera.assets import clips, shot_plans
from filmaster_assets.defs.script.assets import LLM_POOL, LLM_RETRY, audience_profile, scene_blocks
from filmaster_assets.partitions import film_partitions
from filmcraft import stages
from filmcraft.budget import Budget
from filmcraft.contracts import (AudienceProfile, AudienceReview, CueSheet, CutShot, EditAnalysis, EditDecision,
                                 FilmRequest, PictureLock, RoughCut, SceneBlocks, SceneClips, ScenePlan, ShotPlan)
from filmcraft.layout import FilmLayout
from filmcraft.store import read_model, write_model
from resources.models import StudioResource, TextModelResource, VoiceResource

_common = dict(partitions_def=film_partitions, group_name="cut")


def load_plans(files: FilmLayout, blocks: SceneBlocks) -> dict[str, ShotPlan]:
    """Every scene's shot plan, in film order. A scene without one names the run to make it."""
    plans: dict[str, ShotPlan] = {}
    for block in blocks.scenes:
        path = files.scene_plan(block.scene_id)
        if not path.exists():
            raise dg.Failure(f"scene {block.scene_id} of film {blocks.film_id!r} has no shot plan yet: "
                             f"materialize the camera assets for partition {blocks.film_id}|{block.scene_id}")
        for shot in read_model(path, ScenePlan).shots:
            plans[shot.shot_id] = shot
    return plans


def _scene_clips(files: FilmLayout, blocks: SceneBlocks) -> list[SceneClips]:
    out = []
    for block in blocks.scenes:
        path = files.scene_clips(block.scene_id)
        if not path.exists():
            raise dg.Failure(f"scene {block.scene_id} of film {blocks.film_id!r} has no clips yet: "
                             f"materialize `clips` for partition {blocks.film_id}|{block.scene_id}")
        out.append(read_model(path, SceneClips))
    return out


def retained(shots: list[CutShot]) -> list[EditDecision]:
    """Every shot kept whole, in order: the rough cut as an edit decision list."""
    return [EditDecision(shot_id=s.shot_id, scene_id=s.scene_id, clip_path=s.clip_path, decision="retain",
                         source_in=0.0, source_out=s.duration, record_in=s.record_in) for s in shots]


def render_with_audio(decisions: list[EditDecision], cues: CueSheet, video_out: Path, mix_dir: Path,
                      req: FilmRequest) -> tuple[float, Path]:
    """Conform the picture and lay a mixed track under it (used for the rough cut's placeholder VO)."""
    from filmcraft.conform import mux_final, render_cut
    from filmcraft.mixer import mix

    silent = video_out.with_name(video_out.stem + ".picture.mp4")
    runtime = render_cut(decisions, silent, req.width, req.height, req.fps)
    report = mix(cues, mix_dir)
    mux_final(silent, Path(report.master_path), video_out)
    return runtime, Path(report.master_path)


@dg.asset(**_common, deps=[clips, shot_plans, scene_blocks], code_version="1")
def rough_cut(context: dg.AssetExecutionContext, studio: StudioResource, voice: VoiceResource) -> dg.MaterializeResult:
    """All clips in script order with placeholder voice-over, and a timecoded description for the reviewer."""
    from filmcraft.director.audience import describe_cut
    from filmcraft.sound_design import place_voice_over

    film_id = context.partition_key
    files = layout(studio, film_id)
    req = read_model(files.request, FilmRequest)
    blocks = effective_blocks(files)
    plans = load_plans(files, blocks)
    write_model(files.shot_plans, list(plans.values()))

    shots, t = [], 0.0
    for scene in _scene_clips(files, blocks):
        for clip in scene.clips:
            shots.append(CutShot(shot_id=clip.shot_id, scene_id=clip.scene_id, clip_path=clip.path, record_in=t,
                                 duration=clip.duration_s))
            t += clip.duration_s
    decisions = retained(shots)
    vo_cues = place_voice_over([(s.shot_id, s.scene_id, s.record_in, s.duration) for s in shots], blocks, plans,
                               voice.voice(), files.vo_dir)
    cues = CueSheet(film_id=film_id, runtime_s=t, cues=vo_cues)
    runtime, vo_mix = render_with_audio(decisions, cues, files.rough_cut_video, files.cut_dir / "rough_mix", req)
    cut = RoughCut(film_id=film_id, shots=shots, runtime_s=runtime, description=describe_cut(shots, plans),
                   video_path=str(files.rough_cut_video), vo_path=str(vo_mix))
    write_model(files.rough_cut, cut)
    return dg.MaterializeResult(
        metadata={**file_metadata(files.rough_cut_video, runtime), "shots": len(shots), "vo_lines": len(vo_cues),
                  "cut_description": dg.MetadataValue.md(f"```\n{cut.description}\n```")},
        data_version=data_version(files.rough_cut),
    )


@dg.asset(**_common, deps=[rough_cut, audience_profile], pool=LLM_POOL, retry_policy=LLM_RETRY, code_version="1")
def audience_review(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    """The simulated target audience watches the rough cut and critiques it."""
    files = layout(studio, context.partition_key)
    cut = read_model(files.rough_cut, RoughCut)
    blocks = effective_blocks(files)
    profile = read_model(files.audience_profile, AudienceProfile)
    review = stages.review(cut, load_plans(files, blocks), blocks, profile, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.audience_review, review)
    return dg.MaterializeResult(
        metadata={"profile": review.profile, "summary": review.summary, "notes": len(review.notes),
                  "critique": md_table(["category", "shot", "tc (s)", "note"],
                                       [[n.category, n.shot_id or "", f"{n.timecode:.1f}" if n.timecode is not None else "",
                                         n.text] for n in review.notes])},
        data_version=data_version(files.audience_review),
    )


@dg.asset(**_common, deps=[audience_review], pool=LLM_POOL, retry_policy=LLM_RETRY, code_version="1")
def edit_analysis(context: dg.AssetExecutionContext, studio: StudioResource, text_model: TextModelResource) -> dg.MaterializeResult:
    """The critique sorted into structure, timing and audio actions on named shots."""
    files = layout(studio, context.partition_key)
    cut = read_model(files.rough_cut, RoughCut)
    blocks = effective_blocks(files)
    review = read_model(files.audience_review, AudienceReview)
    profile = read_model(files.audience_profile, AudienceProfile)
    analysis = stages.analyse(review, cut, load_plans(files, blocks), profile, text_model.chat_model(studio.studio(), Budget.for_film(files.root)))
    write_model(files.edit_analysis, analysis)
    counts = {g: sum(1 for a in analysis.actions if a.group == g) for g in ("structure", "timing", "audio")}
    return dg.MaterializeResult(
        metadata={**{f"{g}_actions": n for g, n in counts.items()},
                  "actions": md_table(["group", "action", "shot", "params", "reason"],
                                      [[a.group, a.action, a.shot_id or "", a.params, a.reason] for a in analysis.actions])},
        data_version=data_version(files.edit_analysis),
    )


@dg.asset(**_common, deps=[edit_analysis], code_version="1")
def picture_lock(context: dg.AssetExecutionContext, studio: StudioResource) -> dg.MaterializeResult:
    """The fine cut: reorder/remove, then per shot trim, accelerate or retain; rendered silent."""
    from filmcraft.conform import render_cut
    from filmcraft.director.editor import apply_fine_cut

    film_id = context.partition_key
    files = layout(studio, film_id)
    req = read_model(files.request, FilmRequest)
    cut = read_model(files.rough_cut, RoughCut)
    analysis = read_model(files.edit_analysis, EditAnalysis)
    if req.variant == "no_rhythm":
        # Ablation: no audience-driven rhythm control; the rough cut is locked as it is.
        decisions, removed = retained(cut.shots), []
    else:
        decisions, removed = apply_fine_cut(cut, analysis)
    # The planned transition into each shot survives the edit (dissolves at time jumps, the final fade).
    plans = load_plans(files, effective_blocks(files))
    decisions = [d.model_copy(update={"transition": plans[d.shot_id].camera.transition}) for d in decisions]
    runtime = render_cut(decisions, files.picture_lock_video, req.width, req.height, req.fps)
    lock = PictureLock(film_id=film_id, width=req.width, height=req.height, fps=req.fps, decisions=decisions,
                       removed=removed, runtime_s=runtime, video_path=str(files.picture_lock_video))
    write_model(files.picture_lock, lock)
    return dg.MaterializeResult(
        metadata={**file_metadata(files.picture_lock_video, runtime), "shots": len(decisions), "removed": len(removed),
                  "rough_cut_runtime_s": round(cut.runtime_s, 2),
                  "edl": md_table(["#", "shot", "decision", "src in", "src out", "speed", "rec in", "rec out"],
                                  [[i, d.shot_id, d.decision, f"{d.source_in:.2f}", f"{d.source_out:.2f}",
                                    f"{d.speed:.2f}", f"{d.record_in:.2f}", f"{d.record_out:.2f}"]
                                   for i, d in enumerate(decisions, 1)])},
        data_version=data_version(files.picture_lock),
    )
