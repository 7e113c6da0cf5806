"""The assembly: every scene's shots in script order, cut with a placeholder voice-over (if the script has any).

Also the film-level view of per-scene work: the film-level stages receive each scene's output keyed by
scene id and take them in the film's order, naming the scene (and the partition to make) when one is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from filmcraft.contracts import (CueSheet, CutShot, EditDecision, FilmRequest, RoughCut, SceneBlocks, SceneClips,
                                 ScenePlan, SceneToShoot, ShotPlan)
from filmcraft.grades import SceneGrade, scene_grade
from filmcraft.layout import FilmLayout
from filmcraft.luts import copy_luts
from filmcraft.roles import VoiceModel

T = TypeVar("T")


class MissingSceneWork(ValueError):
    """A scene of the film has not been through the camera stage yet."""


def in_film_order(blocks: SceneBlocks, per_scene: dict[str, T], what: str) -> list[T]:
    """``per_scene`` values for the film's scenes, in order (slots the film does not use are ignored)."""
    out = []
    for block in blocks.scenes:
        if block.scene_id not in per_scene:
            raise MissingSceneWork(f"scene {block.scene_id} of film {blocks.film_id!r} has no {what} yet: materialize "
                                   f"the camera assets for partition {blocks.film_id}|{block.scene_id}")
        out.append(per_scene[block.scene_id])
    return out


def effective_blocks(blocks: SceneBlocks, scenes: dict[str, SceneToShoot]) -> SceneBlocks:
    """The director's scene blocks as shot: each scene with the film-maker's overrides applied."""
    return blocks.model_copy(update={"scenes": [s.block for s in in_film_order(blocks, scenes, "scene block")]})


def shot_plans_by_id(blocks: SceneBlocks, plans: dict[str, ScenePlan]) -> dict[str, ShotPlan]:
    """Every shot plan of the film, in film order, by shot id."""
    return {shot.shot_id: shot for plan in in_film_order(blocks, plans, "shot plan") for shot in plan.shots}


def retained(shots: list[CutShot]) -> list[EditDecision]:
    """Every shot kept whole, in order: the rough cut as an edit decision list."""
    return [EditDecision(shot_id=s.shot_id, scene_id=s.scene_id, clip_path=s.clip_path, decision="retain",
                         source_in=0.0, source_out=s.duration, record_in=s.record_in) for s in shots]


def scene_grades(blocks: SceneBlocks, plans: dict[str, ShotPlan]) -> dict[str, SceneGrade]:
    """Each scene's one look, from its time of day, mood and its shot plans' grades (``grades.scene_grade``)."""
    return {b.scene_id: scene_grade(b.time_of_day, b.mood,
                                    [p.camera.grade for p in plans.values() if p.scene_id == b.scene_id])
            for b in blocks.scenes}


def graded(decisions: list[EditDecision], grades: dict[str, SceneGrade], lut_dir: Path) -> list[EditDecision]:
    """The decisions with their scene's look and its LUT (copied into ``lut_dir``, the film's ``luts/``);
    a neutral scene is left ungraded."""
    missing = sorted({d.scene_id for d in decisions} - set(grades))
    if missing:
        raise ValueError(f"no grade for scene(s) {', '.join(missing)}: their scene blocks are missing from the film")
    luts = copy_luts({g.grade for g in grades.values()} - {"neutral"}, lut_dir)
    out = []
    for d in decisions:
        look = grades[d.scene_id].grade
        out.append(d.model_copy(update={"grade": look, "lut_path": str(luts[look]) if look in luts else None}))
    return out


def render_with_audio(decisions: list[EditDecision], cues: CueSheet, video_out: Path, mix_dir: Path,
                      req: FilmRequest) -> tuple[float, Path | None]:
    """Conform the picture and lay a mixed track under it (the rough cut's placeholder VO). With no cue
    (a film told by picture, music and ambience alone) the track is silence and no mix is made."""
    from filmcraft.conform import mux_final, render_cut
    from filmcraft.mixer import mix, write_silence

    picture = video_out.with_name(video_out.stem + ".picture.mp4")
    try:
        runtime = render_cut(decisions, picture, req.width, req.height, req.fps)
        if cues.cues:
            track = vo_mix = Path(mix(cues, mix_dir).master_path)
        else:
            track, vo_mix = write_silence(mix_dir / "silence.wav", runtime), None
        mux_final(picture, track, video_out, ceiling_dbtp=None)  # a review copy: no delivery ceiling to hold
    finally:
        picture.unlink(missing_ok=True)  # an intermediate: nothing reads it once muxed
    return runtime, vo_mix


def assemble_rough_cut(req: FilmRequest, blocks: SceneBlocks, plans: dict[str, ShotPlan],
                       clips: dict[str, SceneClips], voice: VoiceModel, files: FilmLayout) -> tuple[RoughCut, int]:
    """All clips in script order with placeholder voice-over, and a timecoded description for the reviewer;
    also the number of voice-over lines laid."""
    from filmcraft.director.audience import describe_cut
    from filmcraft.sound_design import place_voice_over

    shots, t = [], 0.0
    for scene in in_film_order(blocks, clips, "clips"):
        for clip in scene.clips:
            shots.append(CutShot(shot_id=clip.shot_id, scene_id=clip.scene_id, clip_path=clip.path, record_in=t,
                                 duration=clip.duration_s))
            t += clip.duration_s
    vo_cues = place_voice_over([(s.shot_id, s.scene_id, s.record_in, s.duration) for s in shots], blocks, plans,
                               voice, files.vo_dir)
    cues = CueSheet(film_id=blocks.film_id, runtime_s=t, cues=vo_cues)
    decisions = graded(retained(shots), scene_grades(blocks, plans), files.luts_dir)
    runtime, vo_mix = render_with_audio(decisions, cues, files.rough_cut_video, files.cut_dir / "rough_mix", req)
    cut = RoughCut(film_id=blocks.film_id, shots=shots, runtime_s=runtime, description=describe_cut(shots, plans),
                   video_path=str(files.rough_cut_video), vo_path=str(vo_mix) if vo_mix else None)
    return cut, len(vo_cues)


def film_contact_sheet(blocks: SceneBlocks, clips: dict[str, SceneClips], out_png: Path) -> Path:
    """Every shot's keyframe in script order, labelled with its shot id and scene heading."""
    from filmcraft.previs import contact_sheet

    frames = [(f"{c.shot_id}  {b.heading}"[:48], Path(c.keyframe_path))
              for b, scene in zip(blocks.scenes, in_film_order(blocks, clips, "clips"))
              for c in scene.clips if c.keyframe_path]
    return contact_sheet(frames, out_png, columns=4, tile_width=240)
