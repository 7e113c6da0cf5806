"""Cut group: rough cut with placeholder voice-over, simulated audience review, edit analysis,
fine cut (picture lock).

Per-scene inputs (``scene_block``, ``shot_plans``, ``clips``) arrive as ``{scene_id: contract}`` for the
scenes that have them; the film's ``scene_blocks`` say which scenes it needs, in which order.
"""

import dagster as dg

from filmaster_assets.metadata import contract_version, file_metadata, image_preview, table
from filmaster_assets.partitions import film_partitions
from filmaster_assets.policies import LLM_POOL, LLM_RETRY, service_pool
from filmcraft import stages
from filmcraft.assembly import MissingSceneWork, effective_blocks, graded, retained, scene_grades, shot_plans_by_id
from filmcraft.budget import Budget
from filmcraft.contracts import (AudienceProfile, AudienceReview, EditAnalysis, FilmRequest, FilmShotPlans,
                                 PictureLock, RoughCut, SceneBlocks, SceneClips, ScenePlan, SceneToShoot)
from filmcraft.store import write_model
from resources.studio import StudioResource
from resources.text import TextModelResource
from resources.voice import VoiceResource

_common = dict(partitions_def=film_partitions, group_name="cut")


def _film_scenes(fn, *args):
    """A film-level view of per-scene work; a scene without it names the partition to make."""
    try:
        return fn(*args)
    except MissingSceneWork as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None


@dg.asset(**_common, pool=service_pool("voice"))
def rough_cut(film_request: FilmRequest, scene_blocks: SceneBlocks, scene_block: dict[str, SceneToShoot],
              shot_plans: dict[str, ScenePlan], clips: dict[str, SceneClips], studio: StudioResource,
              voice: VoiceResource) -> dg.Output[RoughCut]:
    """All clips in script order with placeholder voice-over, and a timecoded description for the reviewer."""
    from filmcraft.assembly import assemble_rough_cut, film_contact_sheet

    files = studio.film(film_request.film_id)
    blocks = _film_scenes(effective_blocks, scene_blocks, scene_block)
    plans = _film_scenes(shot_plans_by_id, scene_blocks, shot_plans)
    write_model(files.shot_plans, FilmShotPlans(film_id=film_request.film_id, shots=list(plans.values())))
    cut, vo_lines = _film_scenes(assemble_rough_cut, film_request, blocks, plans, clips, voice.voice(), files)
    sheet = film_contact_sheet(blocks, clips, files.contact_sheet)
    return dg.Output(cut, data_version=contract_version(cut, files.rough_cut_video), metadata={
        **file_metadata(files.rough_cut_video, cut.runtime_s), "shots": len(cut.shots), "vo_lines": vo_lines,
        "contact_sheet": image_preview(sheet, max_width=960), "contact_sheet_path": dg.MetadataValue.path(str(sheet)),
        # the look each scene is graded with (its LUT in the film's luts/); the why is on picture_lock
        "grades": dg.MetadataValue.json({s: g.grade for s, g in scene_grades(blocks, plans).items()}),
        "cut_description": dg.MetadataValue.md(f"```\n{cut.description}\n```")})


@dg.asset(**_common, pool=LLM_POOL, retry_policy=LLM_RETRY)
def audience_review(rough_cut: RoughCut, audience_profile: AudienceProfile, film_request: FilmRequest,
                    scene_blocks: SceneBlocks, scene_block: dict[str, SceneToShoot], shot_plans: dict[str, ScenePlan],
                    studio: StudioResource, text_model: TextModelResource) -> dg.Output[AudienceReview]:
    """The simulated target audience watches the rough cut and critiques it."""
    llm = text_model.chat_model(studio.studio(), Budget(studio.film(film_request.film_id).root, film_request))
    blocks = _film_scenes(effective_blocks, scene_blocks, scene_block)
    plans = _film_scenes(shot_plans_by_id, scene_blocks, shot_plans)
    review = stages.review(rough_cut, plans, blocks, audience_profile, llm)
    return dg.Output(review, data_version=contract_version(review), metadata={
        "profile": review.profile, "summary": review.summary, "notes": len(review.notes),
        "critique": table(["category", "shot", "tc (s)", "note"],
                             [[n.category, n.shot_id or "", f"{n.timecode:.1f}" if n.timecode is not None else "",
                               n.text] for n in review.notes])})


@dg.asset(**_common, pool=LLM_POOL, retry_policy=LLM_RETRY)
def edit_analysis(audience_review: AudienceReview, rough_cut: RoughCut, audience_profile: AudienceProfile,
                  film_request: FilmRequest, scene_blocks: SceneBlocks, shot_plans: dict[str, ScenePlan],
                  studio: StudioResource, text_model: TextModelResource) -> dg.Output[EditAnalysis]:
    """The critique sorted into structure, timing and audio actions on named shots."""
    llm = text_model.chat_model(studio.studio(), Budget(studio.film(film_request.film_id).root, film_request))
    plans = _film_scenes(shot_plans_by_id, scene_blocks, shot_plans)
    analysis = stages.analyse(audience_review, rough_cut, plans, audience_profile, llm)
    counts = {g: sum(1 for a in analysis.actions if a.group == g) for g in ("structure", "timing", "audio")}
    return dg.Output(analysis, data_version=contract_version(analysis), metadata={
        **{f"{g}_actions": n for g, n in counts.items()},
        "actions": table(["group", "action", "shot", "params", "reason"],
                            [[a.group, a.action, a.shot_id or "", a.params, a.reason] for a in analysis.actions]),
        "transitions": table(["into", "after", "transition", "length (s)", "fade out (s)", "J lead (s)", "L trail (s)",
                              "reason"],
                             [[c.shot_id, c.after or "(head)", c.transition,
                               f"{c.duration_s:.2f}" if c.duration_s else "", f"{c.fade_out_s:.2f}" if c.fade_out_s else "",
                               f"{c.sound_lead_s:.2f}" if c.sound_lead_s else "",
                               f"{c.sound_trail_s:.2f}" if c.sound_trail_s else "", c.reason]
                              for c in analysis.transitions])})


@dg.asset(**_common)
def picture_lock(edit_analysis: EditAnalysis, rough_cut: RoughCut, film_request: FilmRequest,
                 scene_blocks: SceneBlocks, scene_block: dict[str, SceneToShoot], shot_plans: dict[str, ScenePlan],
                 clips: dict[str, SceneClips], studio: StudioResource) -> dg.Output[PictureLock]:
    """The fine cut: reorder/remove, then per shot trim, accelerate or retain, with the editor's transitions
    and split edits; graded (one LUT per scene); rendered silent."""
    from filmcraft.conform import render_cut, split_edit_label, transition_counts, transition_label
    from filmcraft.director.editor import apply_fine_cut, apply_transitions
    from filmcraft.luts import grade_strip

    req = film_request
    files = studio.film(req.film_id)
    if req.variant == "no_rhythm":
        # Ablation: no audience-driven rhythm control; the rough cut is locked as it is.
        decisions, removed = retained(rough_cut.shots), []
    else:
        decisions, removed = apply_fine_cut(rough_cut, edit_analysis)
    # The editor's transitions and split edits; a choice made for another order (the ablation keeps the
    # rough cut's) does not fit its cut and is reported, not applied.
    decisions, unfit = apply_transitions(decisions, edit_analysis.transitions,
                                         {s.shot_id: s.duration for s in rough_cut.shots}, req.fps)
    plans = _film_scenes(shot_plans_by_id, scene_blocks, shot_plans)
    grades = scene_grades(_film_scenes(effective_blocks, scene_blocks, scene_block), plans)
    decisions = graded(decisions, grades, files.luts_dir)
    strip = grade_strip(decisions, files.grade_strip)
    runtime = render_cut(decisions, files.picture_lock_video, req.width, req.height, req.fps)
    takes = {c.shot_id: c for scene in clips.values() for c in scene.clips}
    lock = PictureLock(film_id=req.film_id, width=req.width, height=req.height, fps=req.fps, decisions=decisions,
                       removed=removed, runtime_s=runtime, video_path=str(files.picture_lock_video))
    return dg.Output(lock, data_version=contract_version(lock, files.picture_lock_video), metadata={
        **file_metadata(files.picture_lock_video, runtime), "shots": len(decisions), "removed": len(removed),
        "rough_cut_runtime_s": round(rough_cut.runtime_s, 2),
        **transition_counts(decisions),
        **({"transitions_not_applied": dg.MetadataValue.md("\n".join(f"- {u}" for u in unfit))} if unfit else {}),
        "edl": table(["#", "shot", "take", "decision", "src in", "src out", "speed", "rec in", "rec out", "transition",
                      "split edit", "why", "grade"],
                        [[i, d.shot_id, _take_label(takes.get(d.shot_id)), d.decision, f"{d.source_in:.2f}",
                          f"{d.source_out:.2f}", f"{d.speed:.2f}", f"{d.record_in:.2f}", f"{d.record_out:.2f}",
                          transition_label(d, i == 1), split_edit_label(d), d.transition_reason, d.grade]
                         for i, d in enumerate(decisions, 1)]),
        "grades": table(["scene", "grade", "lut", "why"],
                        [[s, g.grade, f"luts/{g.grade}.cube" if g.grade != "neutral" else "", g.reason]
                         for s, g in grades.items() if any(d.scene_id == s for d in decisions)]),
        "grade_preview": image_preview(strip, max_width=660)})


def _take_label(info) -> str:
    """'2 (alt 1, 3)': the take in the cut and the alternates an editor can switch to."""
    if info is None:
        return ""
    alts = [a.take for a in info.alternates]
    return f"{info.take}" + (f" (alt {', '.join(map(str, alts))})" if alts else "")
