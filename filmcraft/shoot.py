"""Shooting one scene: a clip per planned shot, content-addressed, linked into the film folder.

An identical shot (same plan, reference images, frame size, seed and video backend) is never
rendered twice: clips live in the studio's cache under a hash of all of that, and the film's
``shots/`` folder holds hard links to them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping, Optional

from filmcraft.contracts import (
    ClipInfo, FilmRequest, ReferenceSet, RenderManifest, SceneClips, ScenePlan, SceneToShoot, ShotPlan, TakeClip,
)
from filmcraft.layout import FilmLayout
from filmcraft.media import probe
from filmcraft.references.reference_sets import load_reference_set
from filmcraft.roles import VisionJudge
from filmcraft.store import Studio, content_key, sha256_file, write_model
from filmcraft.take_judge import TakeEvidence, judge_takes
from filmcraft.takes import ShotTakes, Take, apply_take, candidate_take, edit_takes, load_takes, now_iso

# render(shot, references, out_path, seed): writes the clip of one take of a shot (a video backend,
# budget included: every take rendered is charged)
RenderShot = Callable[[ShotPlan, ReferenceSet, Path, int], object]
# describe(shot, references): what the backend's clip will show (the previs render manifest), computed
# without rendering, so a clip taken from the cache carries its manifest too; None for a backend that
# cannot say
DescribeShot = Callable[[ShotPlan, ReferenceSet], Optional[RenderManifest]]


@dataclass(frozen=True)
class ShotScene:
    clips: SceneClips
    rendered: int  # clips rendered now; the others came from the cache
    references: Optional[ReferenceSet] = None  # the reference images the scene's clips were given


def clip_cache_key(shot: ShotPlan, refs: ReferenceSet, req: FilmRequest, backend: str,
                   manifest: Optional[RenderManifest] = None, seed: Optional[int] = None) -> dict:
    """Everything that changes a rendered clip (the manifest names the library images it draws). ``seed``:
    the take's (filmcraft.takes); the film's seed when not given."""
    key = {"shot": shot.model_dump(mode="json"),
           "refs": [sha256_file(refs.location.path)] + [sha256_file(c.path) for c in refs.characters],
           "size": [req.width, req.height, req.fps], "seed": req.seed if seed is None else seed, "backend": backend}
    if backend in ("offline", "previs"):
        from filmcraft.previs import PREVIS_VERSION

        key["renderer"] = PREVIS_VERSION  # a changed drawing of the same plan is a new clip
        key["shot"]["camera"].pop("grade", None)  # the previs is ungraded (the conform grades): same clip
    if manifest is not None:
        key["manifest"] = manifest.model_dump(mode="json")
    return key


def link_or_copy(src: Path, dst: Path) -> None:
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


@dataclass
class _Shot:
    """One take of a shot as shot now: its plan as rendered, its clip in the cache."""

    take: Take
    plan: ShotPlan
    manifest: Optional[RenderManifest]
    clip_key: str
    cached: Path


def shoot_scene(scene: SceneToShoot, plan: ScenePlan, req: FilmRequest, studio: Studio, files: FilmLayout,
                render: RenderShot, backend: str, describe: Optional[DescribeShot] = None,
                vision: Optional[VisionJudge] = None,
                model_images: Optional[Mapping[tuple[str, str], tuple[Path, str]]] = None) -> ShotScene:
    """Render (or take from the cache) every shot of ``plan``; write keyframes and the contact sheet.

    Which takes: a shot the film-maker reshot or restored (``shot_takes.json``) gets its active take,
    with its other takes linked beside it when they are still in the cache (no render); otherwise
    ``req.candidates`` takes, judged (``take_judge``), the pick in the cut and the others beside it.
    Keyframes show the scene's grade (its LUT applied to the ungraded clip's frame), as the cut will.
    ``model_images``: the film's reference images from an image model (``filmcraft.model_references``), in
    place of painted cards.
    """
    from filmcraft.grades import scene_grade
    from filmcraft.luts import apply_lut_image, lut_path
    from filmcraft.previs import contact_sheet, keyframe

    scene_id = scene.block.scene_id
    refs = load_reference_set(scene.block, Path(req.refs_dir) if req.refs_dir else None, files.scene_cards(scene_id),
                              req.width, req.height, model_images)
    write_model(files.scene_refs_set(scene_id), refs)
    record = load_takes(files.shot_takes)
    lens_variant = backend in ("offline", "previs")
    infos, rendered, frames, take_frames, updates = [], 0, [], [], {}

    def prepare(shot: ShotPlan, take: Take) -> tuple[ShotPlan, Optional[RenderManifest], dict]:
        applied = apply_take(shot, take, str(files.shot_takes))
        manifest = describe(applied, refs) if describe is not None else None
        return applied, manifest, clip_cache_key(applied, refs, req, backend, manifest, take.seed)

    grade = scene_grade(scene.block.time_of_day, scene.block.mood, [s.camera.grade for s in plan.shots]).grade

    def graded(frame: Path) -> Path:
        return frame if grade == "neutral" else apply_lut_image(frame, lut_path(grade), frame)

    for shot in plan.shots:
        rec = record.get(shot.shot_id)
        by_film_maker = rec is not None and rec.chosen_by == "film-maker"
        if by_film_maker:
            wanted, others = [rec.active_take], [t for t in rec.takes if t.take != rec.active]
        else:
            wanted, others = [candidate_take(shot, req.seed, k, lens_variant) for k in range(1, req.candidates + 1)], []
        shots: list[_Shot] = []
        for take in wanted:
            applied, manifest, key = prepare(shot, take)
            cached, hit = studio.cached_file("clips", key, ".mp4",
                                             lambda tmp, p=applied, s=take.seed: render(p, refs, tmp, s))
            rendered += 0 if hit else 1
            shots.append(_Shot(take, applied, manifest, content_key(key), cached))
        for take in others:  # earlier takes: linked if still in the cache, never rendered again
            applied, manifest, key = prepare(shot, take)
            cached = studio.cache_root / "clips" / f"{content_key(key)}.mp4"
            if cached.is_file() and cached.stat().st_size > 0:
                shots.append(_Shot(take, applied, manifest, content_key(key), cached))
        keyframes_dir = files.scene_dir(scene_id) / "keyframes"
        out, pick_frame = files.shots / f"{shot.shot_id}.mp4", keyframes_dir / f"{shot.shot_id}.png"
        paths = {s.take.take: files.take_clip(shot.shot_id, s.take.take) for s in shots}
        if len(wanted) > 1:
            # the judge reads each take's own file: link them all first, then the pick becomes <shot>.mp4
            evidence = []
            for s in shots:
                link_or_copy(s.cached, paths[s.take.take])
                frame = keyframe(paths[s.take.take], keyframes_dir / f"{shot.shot_id}.take{s.take.take}.png")
                evidence.append(TakeEvidence(s.take.take, s.plan, paths[s.take.take], s.manifest, frame))
            verdicts, pick = judge_takes(evidence, vision)
            verdict = {v.take: v for v in verdicts}
        else:
            pick = wanted[0].take
            verdict = {}
        by_take = {s.take.take: s for s in shots}
        chosen = by_take[pick]
        link_or_copy(chosen.cached, out)
        paths[pick].unlink(missing_ok=True)  # the pick is <shot>.mp4, not also a take file
        for stale in files.shots.glob(f"{shot.shot_id}.take*.mp4"):  # takes of an earlier shooting
            if stale.name not in {paths[t].name for t in by_take if t != pick}:
                stale.unlink()
        info = probe(out)
        frame = graded(keyframe(out, pick_frame))
        frames.append((shot.shot_id, frame))
        alternates = []
        for s in shots:
            if s.take.take == pick:
                continue
            path = paths[s.take.take]
            link_or_copy(s.cached, path)
            alt_frame = graded(keyframe(path, keyframes_dir / f"{shot.shot_id}.take{s.take.take}.png"))
            v = verdict.get(s.take.take)
            alternates.append(TakeClip(
                take=s.take.take, seed=s.take.seed, path=str(path), duration_s=probe(path).duration_s,
                sha256=sha256_file(path), keyframe_path=str(alt_frame),
                score=v.score if v else s.take.score, reason=v.reason if v else s.take.reason,
                variant=s.take.describe()))
        if len(shots) > 1:
            take_frames += [(f"{shot.shot_id} take {s.take.take}" + (" *" if s.take.take == pick else ""),
                             keyframes_dir / (f"{shot.shot_id}.png" if s.take.take == pick
                                              else f"{shot.shot_id}.take{s.take.take}.png")) for s in shots]
        v = verdict.get(pick)
        reason = v.reason if v else ("chosen by the film-maker" if by_film_maker else "")
        infos.append(ClipInfo(shot_id=shot.shot_id, scene_id=scene_id, path=str(out), duration_s=info.duration_s,
                              width=info.width or req.width, height=info.height or req.height, fps=req.fps,
                              sha256=sha256_file(out), backend=backend, keyframe_path=str(frame),
                              manifest=chosen.manifest, take=pick, seed=chosen.take.seed,
                              score=v.score if v else None, reason=reason, alternates=alternates))
        updates[shot.shot_id] = _record_update(rec, shots, verdict, pick, by_film_maker, len(wanted))
    if any(u is not None for u in updates.values()) or any(s in record for s in updates):
        def edit(takes: dict[str, ShotTakes]) -> None:
            for shot_id, new in updates.items():
                if new is None:
                    takes.pop(shot_id, None)
                else:
                    takes[shot_id] = new
        edit_takes(files.shot_takes, edit)
    sheet = contact_sheet(frames, files.scene_dir(scene_id) / "contact_sheet.png")
    takes_sheet = contact_sheet(take_frames, files.scene_dir(scene_id) / "takes_sheet.png") if take_frames else None
    return ShotScene(SceneClips(scene_id=scene_id, clips=infos, contact_sheet_path=str(sheet),
                                takes_sheet_path=str(takes_sheet) if takes_sheet else None), rendered, refs)


def _record_update(rec: Optional[ShotTakes], shots: list[_Shot], verdict: dict, pick: int, by_film_maker: bool,
                   wanted: int) -> Optional[ShotTakes]:
    """The shot's entry in shot_takes.json after shooting: the film-maker's record with the clips' keys
    filled in; the judge's candidates with their scores; none for a shot shot once as planned."""
    def filled(s: _Shot) -> Take:
        v = verdict.get(s.take.take)
        return s.take.model_copy(update={"clip_key": s.clip_key, "sha256": sha256_file(s.cached),
                                         "made_at": s.take.made_at or now_iso(),
                                         **({"score": v.score, "reason": v.reason} if v else {})})

    if by_film_maker:
        keyed = {s.take.take: filled(s) for s in shots}
        return rec.model_copy(update={"takes": [keyed.get(t.take, t) for t in rec.takes]})
    if wanted == 1:
        return None
    # a candidate shot before (same clip) keeps when it was made
    made = {t.clip_key: t.made_at for t in (rec.takes if rec else []) if t.clip_key and t.made_at}
    return ShotTakes(active=pick, chosen_by="judge", takes=[
        filled(replace(s, take=s.take.model_copy(update={"made_at": made.get(s.clip_key, "")}))) for s in shots])
