"""Shooting one scene: a clip per planned shot, content-addressed, linked into the film folder.

An identical shot (same plan, reference images, frame size, seed and video backend) is never
rendered twice: clips live in the studio's cache under a hash of all of that, and the film's
``shots/`` folder holds hard links to them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from filmcraft.contracts import (
    ClipInfo, FilmRequest, ReferenceSet, RenderManifest, SceneClips, ScenePlan, SceneToShoot, ShotPlan,
)
from filmcraft.layout import FilmLayout
from filmcraft.media import probe
from filmcraft.references.reference_sets import load_reference_set
from filmcraft.store import Studio, sha256_file, write_model

# render(shot, references, out_path): writes the clip of one shot (a video backend, budget included)
RenderShot = Callable[[ShotPlan, ReferenceSet, Path], object]
# describe(shot, references): what the backend's clip will show (the previs render manifest), computed
# without rendering, so a clip taken from the cache carries its manifest too; None for a backend that
# cannot say
DescribeShot = Callable[[ShotPlan, ReferenceSet], Optional[RenderManifest]]


@dataclass(frozen=True)
class ShotScene:
    clips: SceneClips
    rendered: int  # clips rendered now; the others came from the cache


def clip_cache_key(shot: ShotPlan, refs: ReferenceSet, req: FilmRequest, backend: str,
                   manifest: Optional[RenderManifest] = None) -> dict:
    """Everything that changes a rendered clip (the manifest names the library images it draws)."""
    key = {"shot": shot.model_dump(mode="json"),
           "refs": [sha256_file(refs.location.path)] + [sha256_file(c.path) for c in refs.characters],
           "size": [req.width, req.height, req.fps], "seed": req.seed, "backend": backend}
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


def shoot_scene(scene: SceneToShoot, plan: ScenePlan, req: FilmRequest, studio: Studio, files: FilmLayout,
                render: RenderShot, backend: str, describe: Optional[DescribeShot] = None) -> ShotScene:
    """Render (or take from the cache) every shot of ``plan``; write keyframes and the contact sheet.

    Keyframes show the scene's grade (its LUT applied to the ungraded clip's frame), as the cut will."""
    from filmcraft.grades import scene_grade
    from filmcraft.luts import apply_lut_image, lut_path
    from filmcraft.previs import contact_sheet, keyframe

    scene_id = scene.block.scene_id
    refs = load_reference_set(scene.block, Path(req.refs_dir) if req.refs_dir else None, files.scene_cards(scene_id),
                              req.width, req.height)
    write_model(files.scene_refs_set(scene_id), refs)
    infos, rendered, frames = [], 0, []
    grade = scene_grade(scene.block.time_of_day, scene.block.mood, [s.camera.grade for s in plan.shots]).grade
    for shot in plan.shots:
        manifest = describe(shot, refs) if describe is not None else None
        cached, hit = studio.cached_file("clips", clip_cache_key(shot, refs, req, backend, manifest), ".mp4",
                                         lambda tmp, shot=shot: render(shot, refs, tmp))
        rendered += 0 if hit else 1
        out = files.shots / f"{shot.shot_id}.mp4"
        link_or_copy(cached, out)
        info = probe(out)
        frame = keyframe(out, files.scene_dir(scene_id) / "keyframes" / f"{shot.shot_id}.png")
        if grade != "neutral":
            apply_lut_image(frame, lut_path(grade), frame)
        frames.append((shot.shot_id, frame))
        infos.append(ClipInfo(shot_id=shot.shot_id, scene_id=scene_id, path=str(out), duration_s=info.duration_s,
                              width=info.width or req.width, height=info.height or req.height, fps=req.fps,
                              sha256=sha256_file(out), backend=backend, keyframe_path=str(frame), manifest=manifest))
    sheet = contact_sheet(frames, files.scene_dir(scene_id) / "contact_sheet.png")
    return ShotScene(SceneClips(scene_id=scene_id, clips=infos, contact_sheet_path=str(sheet)), rendered)
