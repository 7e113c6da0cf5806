"""The editable delivery: a multi-track OpenTimelineIO timeline of the locked film.

Layout (one timeline at the picture-lock frame rate, starting at frame 0):

* ``V1 picture``: one Clip per EditDecision, in record order, Gaps where ``record_in`` jumps.
  A shot played at ``speed != 1`` carries a ``LinearTimeWarp(time_scalar=speed)``. OTIO's rule
  is that effects never change an item's length on its track, so the clip's ``source_range``
  is ``[source_in, source_in + record duration)`` and the warp makes it consume
  ``duration * speed = source_out - source_in`` seconds of media (the same convention the
  cmx_3600 adapter uses when it reads M2 speed events). Writing the consumed media length as
  ``source_range`` would make every later shot drift by the time saved. The consumed range is
  also kept in the clip metadata (``source_in_s`` / ``source_out_s``).
  Every transition the conform renders (``filmcraft.conform.plan_segments``) is an OTIO
  ``Transition`` (SMPTE_Dissolve) over the same frames, so an editor plays what ``final.mp4`` shows.
  OTIO's ``in_offset`` is the part of the transition before the cut (over the outgoing clip) and
  ``out_offset`` the part after it (over the incoming clip):
  - a ``dissolve``: ``in_offset`` = the incoming shot's head handle, ``out_offset`` = the outgoing
    shot's tail handle (the media each side lends beyond its cut point);
  - a fade up from black at the head: a transition first on the track, ``in_offset`` 0;
  - a fade out to black at the tail: a transition last on the track, ``out_offset`` 0;
  - a dip to black: a fade out of the outgoing clip (``out_offset`` 0), a zero-length Gap (black,
    as OTIO's timeline structure doc has two transitions meet), a fade in of the incoming clip
    (``in_offset`` 0). Fades to and from black need no handles, so every dip is exportable.
  The fcp_xml adapter writes these as Cross Dissolves aligned ``start-black`` / ``end-black``, and
  the cmx_3600 adapter as ``D`` events from and to ``BL``. The clip metadata keeps the editor's
  choice: ``transition``, ``transition_s``, ``transition_reason``, ``fade_out_s`` and ``split_edit``
  (``lead_s``: J-cut, ``trail_s``: L-cut, and why).
* Split edits: the sound design places each scene's ambience at its lead / trail around the
  picture cut, so the cue clips on the ``ambience`` track sit where an NLE shows a J- or L-cut.
* Five audio tracks ``ambience``, ``music``, ``vo``, ``foley``, ``sfx``. A track cannot hold
  overlapping clips, so a stem whose cues overlap spills into extra lanes named ``foley 2``,
  ``foley 3`` ... placed next to their stem (metadata ``{"stem", "lane"}``).
  A looped cue whose duration outruns its source is laid out as consecutive passes over the
  media (each pass a Clip with ``loop_pass`` in metadata), which is how an NLE shows a loop.
* With the delivered mix given (``mix_path``), a ``final mix`` audio track comes first: one clip
  of the mastered mix (what ``final.mp4`` carries) over the runtime, and the stem tracks are
  disabled (``enabled=False``). The cues carry no gains (the mixer levels each stem to its
  loudness target, clears the voice and masters), so only the mix plays back as the film does;
  an editor enables the stems and mutes the mix to rework the sound.
* Review notes become Markers on the timeline's stack (sequence markers in FCP XML).
* Grade: picture clips carry their scene's look (``grade``) and ``lut``, a file:// URL of the .cube the
  conform applied to the ungraded clip (the film folder's ``luts/`` copy). No adapter maps a LUT to an
  effect, so fcp7xml and edl carry both as notes (``filmcraft.luts.export_grade_notes``).

Positions are frame-quantised: every time in seconds becomes
``RationalTime.from_seconds(t, fps).round()`` frames, and a clip's length is
``round(end) - round(start)``, so abutting clips share one boundary frame and nothing drifts.
Cue and shot positions therefore match the float contracts within half a frame.

Media references are absolute ``file://`` URLs, percent-encoded (``Path.as_uri()``), as strict
consumers (FCP XML pathurl, GES, OTIO's bundle adapters) require; a timeline written before this
with bare paths still reads, and any export turns its bare paths into URLs. The bundle format is
relative to the timeline: the otioz adapter stores the media inside and points at ``media/NAME``.

Writing and exporting (otio, otioz, fcp7xml, edl) is ``filmcraft.timeline_export``.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path
from typing import Iterable

import opentimelineio as otio

from filmcraft.contracts import STEMS, AudioCue, CueSheet, EditDecision, PictureLock, ReviewNote
from filmcraft.media import MediaError, probe

VIDEO_TRACK_NAME = "V1 picture"
MIX_TRACK_NAME = "final mix"


NOTE_COLORS = {
    "structure": otio.schema.MarkerColor.RED,
    "pacing": otio.schema.MarkerColor.YELLOW,
    "transitions": otio.schema.MarkerColor.CYAN,
    "voice_over": otio.schema.MarkerColor.GREEN,
}

# Metadata must never carry credentials: keys that look like one are refused outright.
_SECRET_KEY_RE = re.compile(r"(api[_-]?key|secret|token|password|passwd|auth|credential|bearer)", re.I)
_SECRET_ENV_RE = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD|PASSWD|AUTH|CREDENTIAL)", re.I)
_BOUNDARY_SLACK_FRAMES = 1  # float noise may move a shared cut point by one frame
_MEDIA_SLACK_FRAMES = 2  # a rendered clip may end a frame or two short of its plan


def to_frames(seconds: float, fps: int) -> int:
    """Seconds -> whole frames at ``fps`` (the single rounding rule of the timeline)."""
    return int(otio.opentime.RationalTime.from_seconds(float(seconds), fps).round().value)


def _rt(frames: int, fps: int) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, fps)


def _range(start: int, duration: int, fps: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, fps), _rt(duration, fps))


def _gap(frames: int, fps: int) -> otio.schema.Gap:
    return otio.schema.Gap(source_range=_range(0, frames, fps))


class _MediaRefs:
    """ExternalReferences with the media's real length; each file is probed once."""

    def __init__(self, fps: int):
        self.fps = fps
        self._frames: dict[Path, int] = {}

    def frames(self, path: str, who: str) -> tuple[Path, int]:
        p = Path(path).expanduser().resolve()
        if p not in self._frames:
            try:
                info = probe(p)
            except MediaError as exc:
                raise ValueError(f"{who}: media {path} cannot be read ({exc}); re-render or relink it before building the timeline") from exc
            self._frames[p] = max(1, to_frames(info.duration_s, self.fps))
        return p, self._frames[p]

    def reference(self, path: Path) -> otio.schema.ExternalReference:
        return otio.schema.ExternalReference(
            target_url=path.as_uri(), available_range=_range(0, self._frames[path], self.fps)
        )


def _picture_track(lock: PictureLock, media: _MediaRefs) -> otio.schema.Track:
    fps = lock.fps
    track = otio.schema.Track(name=VIDEO_TRACK_NAME, kind=otio.schema.TrackKind.Video)
    cursor = 0
    for d in lock.decisions:
        who = f"edit decision {d.shot_id}"
        if d.speed <= 0:
            raise ValueError(f"{who} has speed {d.speed}; speed must be > 0")
        if d.source_out <= d.source_in or d.source_in < 0:
            raise ValueError(f"{who} has source range [{d.source_in}, {d.source_out}); it must be non-empty and start at >= 0")
        start, end = to_frames(d.record_in, fps), to_frames(d.record_out, fps)
        if start < cursor:
            if cursor - start > _BOUNDARY_SLACK_FRAMES:
                raise ValueError(
                    f"{who} starts at {d.record_in:.3f}s, before the previous shot ends "
                    f"({cursor / fps:.3f}s): picture-lock decisions must be in record order without overlaps"
                )
            start = cursor
        if end <= start:
            end = start + 1  # a shot shorter than half a frame still gets one frame
        if start > cursor:
            track.append(_gap(start - cursor, fps))
        path, available = media.frames(d.clip_path, who)
        src_in = to_frames(d.source_in, fps)
        consumed_end = to_frames(d.source_out, fps)
        if consumed_end > available + _MEDIA_SLACK_FRAMES:
            raise ValueError(
                f"{who} uses {d.clip_path} up to {d.source_out:.3f}s but the clip lasts "
                f"{available / fps:.3f}s: fix the decision's source_out or re-render the shot"
            )
        clip = otio.schema.Clip(
            name=d.shot_id,
            media_reference=media.reference(path),
            # Track length = record duration; the warp below scales media consumption.
            source_range=_range(src_in, end - start, fps),
            metadata={"filmaster": {
                "shot_id": d.shot_id, "scene_id": d.scene_id, "decision": d.decision,
                "speed": d.speed, "source_in_s": d.source_in, "source_out_s": d.source_out,
                "record_in_s": d.record_in, "transition": d.transition, "transition_s": d.transition_s,
                "transition_reason": d.transition_reason, "fade_out_s": d.fade_out_s,
                "split_edit": {"lead_s": d.sound_lead_s, "trail_s": d.sound_trail_s, "reason": d.split_edit_reason},
                "grade": d.grade, "lut": Path(d.lut_path).resolve().as_uri() if d.lut_path else None,
            }},
        )
        if abs(d.speed - 1.0) > 1e-9:
            clip.effects.append(otio.schema.LinearTimeWarp(name=f"speed x{d.speed:g}", time_scalar=d.speed))
        track.append(clip)
        cursor = end
    _add_transitions(track, lock)
    return track


def _fade(name: str, before: int, after: int, fps: int, kind: str, shot_id: str) -> otio.schema.Transition:
    return otio.schema.Transition(
        name=name, transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
        in_offset=_rt(before, fps), out_offset=_rt(after, fps),
        metadata={"filmaster": {"kind": kind, "shot_id": shot_id, "frames": before + after}})


def _add_transitions(track: otio.schema.Track, lock: PictureLock) -> None:
    """A Transition wherever the conform renders one: dissolves, dips, the fades at head and tail."""
    from filmcraft.conform import plan_segments

    fps = lock.fps
    segments = plan_segments(lock.decisions, fps)
    clips = list(track.find_clips())
    last = segments[-1]
    if last.fade_out and track[-1] is clips[-1]:
        track.append(_fade(f"fade out to black {last.decision.shot_id}", last.fade_out, 0, fps, "fade_to_black",
                           last.decision.shot_id))
    for i in range(len(segments) - 1, 0, -1):  # from the end, so indices stay valid
        prev, seg = segments[i - 1], segments[i]
        index = track.index(clips[i])
        if track[index - 1] is not clips[i - 1]:
            continue  # a gap between the two shots: nothing to blend
        names = f"{prev.decision.shot_id} > {seg.decision.shot_id}"
        if seg.decision.transition == "dissolve" and (seg.head or prev.tail):
            # no handles on either side: the conform cuts, and so does the timeline
            meta = {"filmaster": {"kind": "dissolve", "head_frames": seg.head, "tail_frames": prev.tail}}
            if not (seg.head and prev.tail):
                # one-sided: the fcp_xml adapter would call a zero offset "start-black"/"end-black" (a fade
                # from/to black); FCP 7 names a dissolve that starts or ends on the edit "start"/"end"
                meta["fcp_xml"] = {"alignment": "start" if not seg.head else "end"}
            track.insert(index, otio.schema.Transition(
                name=f"dissolve {names}", transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=_rt(seg.head, fps), out_offset=_rt(prev.tail, fps), metadata=meta))
        elif seg.decision.transition == "fade" and (prev.fade_out or seg.fade_in):
            # the zero-length gap starts at the fade-out's length: the cmx_3600 writer lengthens the side
            # after a transition backwards by its in_offset, and a gap's start may not go below zero
            track.insert(index, _fade(f"dip to black: in {names}", 0, seg.fade_in, fps, "dip_in", seg.decision.shot_id))
            track.insert(index, otio.schema.Gap(source_range=_range(prev.fade_out, 0, fps), name=f"black {names}"))
            track.insert(index, _fade(f"dip to black: out {names}", prev.fade_out, 0, fps, "dip_out",
                                      prev.decision.shot_id))
    first = segments[0]
    if first.fade_in and first.decision.transition == "fade" and track[0] is clips[0]:
        track.insert(0, _fade(f"fade up from black {first.decision.shot_id}", 0, first.fade_in, fps,
                              "fade_from_black", first.decision.shot_id))


def _cue_clips(cue: AudioCue, start: int, end: int, media: _MediaRefs) -> list[otio.schema.Clip]:
    """One clip, or for a loop that outruns its source, one clip per pass over the media."""
    fps = media.fps
    path, available = media.frames(cue.source_path, f"audio cue {cue.cue_id}")
    src_in = to_frames(cue.source_in, fps)
    if src_in >= available:
        raise ValueError(
            f"audio cue {cue.cue_id} starts {cue.source_in:.3f}s into {cue.source_path}, "
            f"which lasts only {available / fps:.3f}s: fix the cue's source_in"
        )
    meta = {
        "cue_id": cue.cue_id, "stem": cue.stem, "scene_id": cue.scene_id, "shot_id": cue.shot_id,
        "description": cue.description, "text": cue.text, "library_id": cue.library_id,
        "loop": cue.loop, "fade_in_s": cue.fade_in, "fade_out_s": cue.fade_out,
        "record_in_s": cue.record_in, "duration_s": cue.duration,
    }
    total = end - start
    if not cue.loop or src_in + total <= available + _MEDIA_SLACK_FRAMES:
        # A non-looped cue longer than its media shows the tail as offline in an NLE: the
        # cue sheet says so, and the timeline must not hide it.
        return [otio.schema.Clip(
            name=cue.cue_id, media_reference=media.reference(path),
            source_range=_range(src_in, total, fps), metadata={"filmaster": dict(meta)},
        )]
    clips, done, pass_no, pass_in = [], 0, 1, src_in
    while done < total:
        length = min(available - pass_in, total - done)
        clips.append(otio.schema.Clip(
            name=f"{cue.cue_id} loop {pass_no}", media_reference=media.reference(path),
            source_range=_range(pass_in, length, fps),
            metadata={"filmaster": {**meta, "loop_pass": pass_no}},
        ))
        done += length
        pass_no += 1
        pass_in = 0
    return clips


def _audio_tracks(cues: CueSheet, media: _MediaRefs) -> list[otio.schema.Track]:
    fps = media.fps
    tracks: list[otio.schema.Track] = []
    for stem in STEMS:
        placed: list[tuple[int, int, AudioCue]] = []
        for cue in cues.cues:
            if cue.stem != stem:
                continue
            if cue.record_in < 0 or cue.duration <= 0:
                raise ValueError(
                    f"audio cue {cue.cue_id} has record_in {cue.record_in} and duration {cue.duration}; "
                    "both must be >= 0 and the duration > 0"
                )
            start = to_frames(cue.record_in, fps)
            end = max(to_frames(cue.record_in + cue.duration, fps), start + 1)
            placed.append((start, end, cue))
        placed.sort(key=lambda p: (p[0], p[2].cue_id))
        lanes: list[tuple[otio.schema.Track, int]] = []  # (track, frame where it is free)
        for start, end, cue in placed:
            lane_no = next((i for i, (_, free) in enumerate(lanes) if free <= start), None)
            if lane_no is None:
                n = len(lanes) + 1
                lanes.append((otio.schema.Track(
                    name=stem if n == 1 else f"{stem} {n}", kind=otio.schema.TrackKind.Audio,
                    metadata={"filmaster": {"stem": stem, "lane": n}},
                ), 0))
                lane_no = n - 1
            track, free = lanes[lane_no]
            if start > free:
                track.append(_gap(start - free, fps))
            track.extend(_cue_clips(cue, start, end, media))
            lanes[lane_no] = (track, end)
        if not lanes:  # every stem has its track, even when silent
            lanes.append((otio.schema.Track(name=stem, kind=otio.schema.TrackKind.Audio,
                                            metadata={"filmaster": {"stem": stem, "lane": 1}}), 0))
        tracks.extend(t for t, _ in lanes)
    return tracks


def _mix_track(mix_path: str, lock: PictureLock, media: _MediaRefs) -> otio.schema.Track:
    """The mastered mix as one clip from frame 0 over the runtime (a short mix plays out as it ends). The
    clip is not named like its track: MLT XML gives both the name as id, and a clash loops melt."""
    path, available = media.frames(mix_path, "the final mix")
    frames = min(available, max(1, to_frames(lock.runtime_s, lock.fps)))
    track = otio.schema.Track(name=MIX_TRACK_NAME, kind=otio.schema.TrackKind.Audio,
                              metadata={"filmaster": {"role": "final mix"}})
    track.append(otio.schema.Clip(name="mastered mix", media_reference=media.reference(path),
                                  source_range=_range(0, frames, lock.fps),
                                  metadata={"filmaster": {"role": "final mix", "path": str(path)}}))
    return track


def _note_markers(notes: Iterable[ReviewNote], lock: PictureLock) -> list[otio.schema.Marker]:
    fps = lock.fps
    shot_starts = {d.shot_id: d.record_in for d in lock.decisions}
    markers = []
    for note in notes:
        at, anchored = note.timecode, "timecode"
        if at is None and note.shot_id in shot_starts:
            at, anchored = shot_starts[note.shot_id], "shot"
        if at is None:
            at, anchored = 0.0, "untimed"  # a general note sits at the head of the film
        at = min(max(at, 0.0), lock.runtime_s)
        markers.append(otio.schema.Marker(
            name=f"{note.category}: {note.text[:60]}",
            marked_range=_range(to_frames(at, fps), 0, fps),
            color=NOTE_COLORS.get(note.category, otio.schema.MarkerColor.RED),
            comment=note.text,
            metadata={"filmaster": {"category": note.category, "text": note.text,
                                    "shot_id": note.shot_id, "timecode_s": note.timecode,
                                    "anchored_by": anchored}},
        ))
    return markers


def _check_no_secrets(value: object, where: str) -> None:
    """Refuse credential-looking keys and any value that embeds a secret environment variable."""
    secrets = [v for k, v in os.environ.items() if _SECRET_ENV_RE.search(k) and len(v) >= 8]
    stack = [(where, value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, dict):
            for k, sub in v.items():
                if _SECRET_KEY_RE.search(str(k)):
                    raise ValueError(f"timeline metadata key {path}.{k} looks like a credential; timelines must never carry secrets: remove it")
                stack.append((f"{path}.{k}", sub))
        elif isinstance(v, (list, tuple)):
            stack.extend((f"{path}[{i}]", sub) for i, sub in enumerate(v))
        elif isinstance(v, str) and any(s in v for s in secrets):
            raise ValueError(f"timeline metadata {path} contains the value of a secret environment variable: remove it")
        elif not (v is None or isinstance(v, (str, int, float, bool))):
            raise ValueError(f"timeline metadata {path} has a {type(v).__name__}; use JSON values (str, number, bool, list, dict)")


def build_timeline(
    title: str,
    lock: PictureLock,
    cues: CueSheet,
    notes: list[ReviewNote] = [],  # noqa: B006 - never mutated
    extra_metadata: dict | None = None,
    mix_path: str | None = None,
) -> otio.schema.Timeline:
    """The locked film as an editable timeline: picture, the delivered mix (when ``mix_path`` is
    given; the stems are then disabled), five stem tracks, review-note markers."""
    if cues.film_id != lock.film_id:
        raise ValueError(f"cue sheet is for film {cues.film_id!r} but the picture lock is for {lock.film_id!r}: pass the matching pair")
    extra = dict(extra_metadata or {})
    _check_no_secrets(extra, "extra_metadata")
    media = _MediaRefs(lock.fps)
    video = _picture_track(lock, media)
    audio = _audio_tracks(cues, media)
    if mix_path is not None:
        for track in audio:
            track.enabled = False
        audio.insert(0, _mix_track(mix_path, lock, media))
    tl = otio.schema.Timeline(
        name=title or lock.film_id,
        global_start_time=_rt(0, lock.fps),
        metadata={"filmaster": {
            "film_id": lock.film_id, "runtime_s": lock.runtime_s, "fps": lock.fps,
            "width": lock.width, "height": lock.height, "video_path": lock.video_path,
            "removed_shots": list(lock.removed), "position_rule": "frame-quantised (round to nearest frame)",
            "luts": {d.grade: Path(d.lut_path).resolve().as_uri() for d in lock.decisions if d.lut_path},
            **extra,
        }},
    )
    tl.tracks.append(video)
    tl.tracks.extend(audio)
    tl.tracks.markers.extend(_note_markers(notes, lock))
    return tl


def _file_url(target: str) -> str:
    """A bare path (timelines written before URLs) as an absolute, percent-encoded file:// URL."""
    if urllib.parse.urlparse(target).scheme in ("", "file") and not target.startswith("file:"):
        return Path(target).expanduser().resolve().as_uri()
    return target


def _media_path(target: str) -> str:
    """The local path a media reference names: a file:// URL decoded, a bare path as it is."""
    if target.startswith("file:"):
        return otio.url_utils.filepath_from_url(target)
    return target


def media_path(ref: otio.schema.ExternalReference) -> Path:
    """The file behind ``ref``, whether its target_url is a file:// URL or an old bare path."""
    return Path(_media_path(ref.target_url))


def timeline_transition_counts(tl: otio.schema.Timeline) -> dict[str, int]:
    """The picture's OTIO transitions by kind (a dip is two: its fade out and its fade in, counted once)."""
    kinds = [item.metadata.get("filmaster", {}).get("kind", "dissolve")
             for track in tl.video_tracks() for item in track if isinstance(item, otio.schema.Transition)]
    return {"transitions": len(kinds), "dissolves": kinds.count("dissolve"), "dips_to_black": kinds.count("dip_in"),
            "fades_from_black": kinds.count("fade_from_black"), "fades_to_black": kinds.count("fade_to_black")}


def timeline_decisions(tl: otio.schema.Timeline) -> list[EditDecision]:
    """Read the picture decisions back from a timeline built here (for round-trip checks)."""
    video = next(t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video)
    out = []
    for clip in video.find_clips():
        meta = clip.metadata["filmaster"]
        rec = video.range_of_child(clip).start_time.to_seconds()
        out.append(EditDecision(
            shot_id=meta["shot_id"], scene_id=meta["scene_id"], clip_path=_media_path(clip.media_reference.target_url),
            decision=meta["decision"], source_in=meta["source_in_s"], source_out=meta["source_out_s"],
            speed=meta["speed"], record_in=rec, transition=meta["transition"],
            transition_s=meta.get("transition_s"), transition_reason=meta.get("transition_reason", ""),
            fade_out_s=meta.get("fade_out_s", 0.0), sound_lead_s=meta.get("split_edit", {}).get("lead_s", 0.0),
            sound_trail_s=meta.get("split_edit", {}).get("trail_s", 0.0),
            split_edit_reason=meta.get("split_edit", {}).get("reason", ""),
            grade=meta.get("grade") or "neutral",  # timelines written before grades have none
            lut_path=_media_path(meta["lut"]) if meta.get("lut") else None,
        ))
    return out
