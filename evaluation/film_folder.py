"""Any film on disk as the judge's inputs: a film folder as it is now (made by the pipeline, perhaps
edited by hand since its export) or a bare video made by another system, with its script text when
given. What the folder lacks is left out, and the criteria that need it are not measured.

Used by ``filmaster eval score PATH``: the way a researcher puts a peer system's films on the same
judge as the pipeline's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from evaluation.offline_judge import FilmEvalInputs
from filmcraft.contracts import (AudienceProfile, CueSheet, FilmRequest, FilmShotPlans, MixReport, PictureLock,
                                 RenderManifest, SceneBlocks, SceneClips, Synopsis)
from filmcraft.layout import FilmLayout
from filmcraft.store import read_model

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".m4v")


class FilmFolderError(ValueError):
    """A path that holds no film to judge; the message says what was looked for."""


def _read(path: Path, model):
    """The file as its contract, None when absent; a file that is there but broken is an error."""
    if not path.exists():
        return None
    try:
        return read_model(path, model)
    except (ValueError, OSError) as exc:  # a pydantic ValidationError is a ValueError
        raise FilmFolderError(f"{path} is not a valid {model.__name__}: {str(exc).splitlines()[0]} "
                              f"(restore it from the pipeline, or remove it to judge the film without it)") from None


def _video_in(folder: Path) -> Path:
    files = FilmLayout(folder)
    if files.final.exists():
        return files.final
    found = sorted(p for sub in (folder, folder / "deliver") if sub.is_dir() for p in sub.iterdir()
                   if p.suffix.lower() in VIDEO_SUFFIXES)
    if not found:
        raise FilmFolderError(f"{folder} holds no film: no final.mp4 and no video file ({', '.join(VIDEO_SUFFIXES)}) "
                              f"in it or in its deliver/ folder")
    return found[0]


def _manifests(folder: Path, scenes: Optional[SceneBlocks]) -> Optional[list[RenderManifest]]:
    """What each clip drew, when every scene's clips carry a manifest (the previs writes them)."""
    if scenes is None:
        return None
    out: list[RenderManifest] = []
    for block in scenes.scenes:
        clips = _read(FilmLayout(folder).scene_clips(block.scene_id), SceneClips)
        if clips is None or any(c.manifest is None for c in clips.clips):
            return None
        out += [c.manifest for c in clips.clips]
    return out


def inputs_from_path(path: Path, text: Optional[str] = None) -> FilmEvalInputs:
    """The judge's inputs for a film folder or a bare video file; ``text`` is the script the film was
    made from (for a folder, its request.json text is used when no text is given)."""
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise FilmFolderError(f"{path} does not exist: give a film folder (studio/<film_id>) or a video file")
    if path.is_file():
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise FilmFolderError(f"{path} is not a video file ({', '.join(VIDEO_SUFFIXES)}) or a film folder")
        return FilmEvalInputs(film_id=path.stem, request_text=text or "", synopsis=None, scenes=None, plans=None,
                              lock=None, cues=None, mix=None, final_video=path, profile=None, manifests=None)
    files = FilmLayout(path)
    request = _read(files.request, FilmRequest)
    scenes = _read(files.scene_blocks, SceneBlocks)
    plans = _read(files.shot_plans, FilmShotPlans)
    lock = _read(files.picture_lock, PictureLock)
    film_id = (request.film_id if request else None) or (lock.film_id if lock else None) or path.name
    return FilmEvalInputs(
        film_id=film_id, request_text=text if text is not None else (request.text if request else ""),
        synopsis=_read(files.synopsis, Synopsis), scenes=scenes, plans=plans.shots if plans else None, lock=lock,
        cues=_read(files.cue_sheet, CueSheet), mix=_read(files.mix_report, MixReport), final_video=_video_in(path),
        profile=_read(files.audience_profile, AudienceProfile), manifests=_manifests(path, scenes))
