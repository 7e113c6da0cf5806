"""Alternate takes on the cut's timeline: what an editor switches to.

Each picture clip (``V1 picture``) names its take, the judge's score and reason, and its alternates;
one disabled video track per alternate take number (``V2 take 1``, ``V3 take 3`` ...) sits above the
picture, holding each shot's alternate at the record position and source range of the take in the
cut (clamped to the alternate's length, with the same speed), so enabling a track, or one clip on it,
switches the take. The EDL carries the picture alone (CMX 3600 has one video track): each event names
its take and alternates in a comment (the cmx_3600 adapter writes a clip's ``cmx_3600.comments``).
"""

from __future__ import annotations

import opentimelineio as otio

from filmcraft.contracts import ClipInfo, PictureLock
from filmcraft.timeline import VIDEO_TRACK_NAME, _gap, _MediaRefs, _range, to_frames


def add_take_tracks(tl: otio.schema.Timeline, lock: PictureLock, takes: dict[str, ClipInfo]) -> int:
    """Name the takes on the picture clips of ``tl`` (built by ``timeline.build_timeline``) and put the
    alternates above it, disabled; returns the number of alternate tracks."""
    video = next(t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video and t.name == VIDEO_TRACK_NAME)
    for clip in video.find_clips():
        info = takes.get(clip.name)
        if info is None:
            continue
        alts = [a.take for a in info.alternates]
        clip.metadata["filmaster"].update({"take": info.take, "take_score": info.score, "take_reason": info.reason,
                                           "alternates": alts})
        if alts:
            clip.metadata.setdefault("cmx_3600", {}).setdefault("comments", []).append(
                f"TAKE {info.take} OF {clip.name}, ALTERNATES {', '.join(map(str, alts))}")
    tracks = _take_tracks(lock, takes, _MediaRefs(lock.fps))
    at = list(tl.tracks).index(video) + 1
    for i, track in enumerate(tracks):
        tl.tracks.insert(at + i, track)
    return len(tracks)


def _take_tracks(lock: PictureLock, takes: dict[str, ClipInfo], media: _MediaRefs) -> list[otio.schema.Track]:
    fps = lock.fps
    numbers = sorted({a.take for d in lock.decisions if d.shot_id in takes for a in takes[d.shot_id].alternates})
    tracks = []
    for i, number in enumerate(numbers, 2):
        track = otio.schema.Track(name=f"V{i} take {number}", kind=otio.schema.TrackKind.Video)
        track.enabled = False  # the cut plays V1; an editor enables an alternate to switch
        cursor = 0
        for d in lock.decisions:
            info = takes.get(d.shot_id)
            alt = next((a for a in info.alternates if a.take == number), None) if info else None
            start, end = max(cursor, to_frames(d.record_in, fps)), to_frames(d.record_out, fps)
            if alt is None or end <= start:
                continue
            path, available = media.frames(alt.path, f"take {number} of {d.shot_id}")
            src_in = min(to_frames(d.source_in, fps), available - 1)
            # the alternate plays (record frames x speed) of media: no more than it has
            frames = min(end - start, max(1, int((available - src_in) / d.speed)))
            if start > cursor:
                track.append(_gap(start - cursor, fps))
            clip = otio.schema.Clip(
                name=f"{d.shot_id} take {number}", media_reference=media.reference(path),
                source_range=_range(src_in, frames, fps),
                metadata={"filmaster": {"shot_id": d.shot_id, "scene_id": d.scene_id, "take": number,
                                        "seed": alt.seed, "score": alt.score, "reason": alt.reason,
                                        "variant": alt.variant, "alternate_of_take": info.take}})
            if abs(d.speed - 1.0) > 1e-9:
                clip.effects.append(otio.schema.LinearTimeWarp(name=f"speed x{d.speed:g}", time_scalar=d.speed))
            track.append(clip)
            cursor = start + frames
        tracks.append(track)
    return tracks
