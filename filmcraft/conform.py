"""Conform: the picture cut from edit decisions, and the final mux of picture and mix.

The cut is one ffmpeg graph: every decision's clip is trimmed to [source_in, source_out],
retimed by its speed, fitted to the frame (scale + pad, no distortion), forced to the film's
frame rate and to an exact frame count, then joined in order. Frame counts come from the
cumulative record timeline (round(record_out * fps) - round(record_in * fps)), so rounding never
accumulates: the cut lasts sum(decision.duration) to within half a frame.

Transitions (the decision's ``transition`` is the transition *into* that shot, over its
``transition_s``, chosen by the editor; without one, the house length below):
- ``cut``: butt splice (concat).
- ``fade`` into the first shot: a fade up from black over ``transition_s`` (house: a quarter second).
- ``fade`` into a later shot: a dip to black, the outgoing shot fades out over the first half and
  the incoming fades in over the second (house: half a second in all); durations are unchanged.
- ``dissolve``: a cross-dissolve centred on the cut that uses handles (source material beyond
  the outgoing shot's out point and before the incoming shot's in point), as an NLE does, so
  the runtime is unchanged. With no handles on either side it falls back to a cut.
- ``fade_out_s`` on the last shot: a fade out to black over the film's last seconds.
Every fade stays inside its shot (at most half of it), so no transition changes the runtime.

Grade: a decision's ``lut_path`` (its scene's .cube, ``filmcraft.luts``) is applied to its clip with
``lut3d`` (tetrahedral), so the clips stay ungraded and an editor can replace the look.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filmcraft.contracts import DeliveredFilm, EditDecision, PictureLock
from filmcraft.luts import lut3d_filter
from filmcraft.media import MediaError, probe, run_ffmpeg
from filmcraft.store import atomic_path

DISSOLVE_S = 0.5  # full length of a dissolve when the handles allow
FADE_S = 0.5  # full length of a dip to black (half out, half in)
MAX_SPEED = 16.0


@dataclass
class Segment:
    """One decision, resolved to frames on the record timeline plus any dissolve handles."""

    decision: EditDecision
    clip_duration: float
    frames: int  # frames this shot occupies on the record timeline
    head: int = 0  # extra frames before source_in (incoming half of a dissolve)
    tail: int = 0  # extra frames after source_out (outgoing half of a dissolve)
    fade_in: int = 0
    fade_out: int = 0

    @property
    def total(self) -> int:
        return self.frames + self.head + self.tail


def _check_decision(i: int, d: EditDecision, fps: int) -> float:
    """Validate one decision against its clip; return the clip's measured duration."""
    where = f"edit decision {i} (shot {d.shot_id})"
    if not (0 < d.speed <= MAX_SPEED):
        raise ValueError(f"{where} has speed {d.speed}; use a speed in (0, {MAX_SPEED}] (1.0 = real time)")
    if d.source_in < 0 or d.source_out <= d.source_in:
        raise ValueError(f"{where} has source_in {d.source_in} and source_out {d.source_out}: "
                         "source_out must be greater than source_in, both >= 0")
    try:
        info = probe(d.clip_path)
    except MediaError as exc:
        raise ValueError(f"{where}: clip {d.clip_path} cannot be read ({exc}): re-render the shot") from exc
    if not info.has_video:
        raise ValueError(f"{where}: clip {d.clip_path} has no video stream: re-render the shot")
    if d.lut_path and not Path(d.lut_path).is_file():
        raise ValueError(f"{where}: grade LUT {d.lut_path} ({d.grade}) does not exist: put the .cube back, "
                         "or re-run the cut to copy the shipped LUTs into the film folder")
    slack = 1.0 / min(fps, info.fps or fps)
    if d.source_out > info.duration_s + slack:
        raise ValueError(f"{where} asks for source_out {d.source_out:.3f}s but clip {d.clip_path} lasts only "
                         f"{info.duration_s:.3f}s: trim the decision to the clip's length")
    return info.duration_s


def plan_segments(decisions: list[EditDecision], fps: int) -> list[Segment]:
    """Frame counts from the cumulative timeline, then handles and fades for each transition."""
    if not decisions:
        raise ValueError("the cut has no edit decisions: at least one shot must survive the edit")
    durations = [_check_decision(i, d, fps) for i, d in enumerate(decisions)]
    segments: list[Segment] = []
    record = 0.0
    for i, (d, clip_duration) in enumerate(zip(decisions, durations)):
        start, record = round(record * fps), record + d.duration
        frames = round(record * fps) - start
        if frames < 1:
            raise ValueError(f"edit decision {i} (shot {d.shot_id}) lasts {d.duration:.4f}s, less than one frame "
                             f"at {fps} fps: remove it or lengthen it")
        segments.append(Segment(d, clip_duration, frames))

    def half(d: EditDecision, house: float) -> int:
        return max(1, round((d.transition_s or house) * fps / 2))

    for prev, seg in zip(segments, segments[1:]):
        kind = seg.decision.transition
        if kind == "dissolve":
            half_frames = half(seg.decision, DISSOLVE_S)
            # handles in record frames: spare source before the in point / after the out point
            d_in, d_out = seg.decision, prev.decision
            avail_head = math.floor(d_in.source_in / d_in.speed * fps + 1e-6)
            avail_tail = math.floor((prev.clip_duration - d_out.source_out) / d_out.speed * fps + 1e-6) - 1
            seg.head = max(0, min(half_frames, avail_head))
            prev.tail = max(0, min(half_frames, avail_tail))
        elif kind == "fade":
            half_frames = half(seg.decision, FADE_S)
            prev.fade_out = min(half_frames, prev.frames // 2)
            seg.fade_in = min(half_frames, seg.frames // 2)
    first, last = segments[0], segments[-1]
    if first.decision.transition == "fade":  # fade up from black at the top of the film
        first.fade_in = min(max(1, round((first.decision.transition_s or FADE_S / 2) * fps)), first.frames // 2)
    if last.decision.fade_out_s:  # fade out to black at the end
        last.fade_out = min(max(1, round(last.decision.fade_out_s * fps)), last.frames // 2)
    return segments


def transition_label(d: EditDecision, first: bool) -> str:
    """The transition into a shot (and the film's fade out) as an editor names it, with its length."""
    name = {"cut": "cut", "dissolve": "dissolve", "fade": "fade up from black" if first else "dip to black"}[d.transition]
    if d.transition != "cut":
        name += f" {d.transition_s:.2f}s" if d.transition_s else " (house length)"
    if d.fade_out_s:
        name += f"; fade out to black {d.fade_out_s:.2f}s"
    return name


def split_edit_label(d: EditDecision) -> str:
    if d.sound_lead_s:
        return f"J-cut: sound leads {d.sound_lead_s:.2f}s"
    if d.sound_trail_s:
        return f"L-cut: sound trails {d.sound_trail_s:.2f}s"
    return ""


def transition_moments(decisions: list[EditDecision], runtime_s: float) -> list[tuple[str, float]]:
    """Where the cut changes picture or sound other than by a plain cut inside a scene, as (label, seconds):
    a fade up at its middle, each scene change and transition at its cut, the fade out at its middle."""
    out: list[tuple[str, float]] = []
    for i, d in enumerate(decisions):
        prev = decisions[i - 1] if i else None
        if i == 0:
            if d.transition == "fade":
                # at its middle, but no earlier than 0.4 s, so a strip's first frame is the black it rises from
                out.append((f"{d.shot_id}: {transition_label(d, True).split(';')[0]}",
                            max(0.4, (d.transition_s or 0.25) / 2)))
        elif d.transition != "cut" or d.scene_id != prev.scene_id or d.sound_lead_s or d.sound_trail_s:
            label = f"{prev.shot_id} > {d.shot_id}: {transition_label(d, False).split(';')[0]}"
            split = split_edit_label(d)
            out.append((label + (f", {split.split(':')[0]}" if split else ""), d.record_in))
        if d.fade_out_s:
            out.append((f"{d.shot_id}: fade out {d.fade_out_s:.2f}s", runtime_s - d.fade_out_s / 2))
    return out


def transition_counts(decisions: list[EditDecision]) -> dict[str, int]:
    """How many of each transition and split edit the cut has (for the UI and the reports)."""
    later = decisions[1:]
    return {"cuts": sum(d.transition == "cut" for d in later),
            "dissolves": sum(d.transition == "dissolve" for d in later),
            "dips_to_black": sum(d.transition == "fade" for d in later),
            "fades_from_black": int(bool(decisions) and decisions[0].transition == "fade"),
            "fades_to_black": int(bool(decisions) and decisions[-1].fade_out_s > 0),
            "j_cuts": sum(d.sound_lead_s > 0 for d in later), "l_cuts": sum(d.sound_trail_s > 0 for d in later)}


def _segment_chain(index: int, seg: Segment, width: int, height: int, fps: int) -> str:
    d = seg.decision
    src_in = d.source_in - seg.head * d.speed / fps
    src_out = d.source_out + seg.tail * d.speed / fps
    steps = [
        f"trim=start={max(src_in, 0.0):.6f}:end={src_out:.6f}",
        f"setpts=(PTS-STARTPTS)/{d.speed:.6f}",
        f"fps={fps}",
        # the scene's grade before the frame is fitted, so the pad and any dip to black stay black
        *([lut3d_filter(d.lut_path)] if d.lut_path else []),
        f"scale={width}:{height}:force_original_aspect_ratio=decrease",
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black",
        "setsar=1",
        "format=yuv420p",
        # a clip a frame short (container rounding) holds its last frame rather than shortening the cut
        f"tpad=stop_mode=clone:stop={max(2, seg.total // 20)}",
        f"trim=end_frame={seg.total}",
        "setpts=PTS-STARTPTS",
        f"settb=1/{fps}",
    ]
    if seg.fade_in:
        steps.append(f"fade=t=in:s={seg.head}:n={seg.fade_in}")
    if seg.fade_out:
        steps.append(f"fade=t=out:s={seg.total - seg.tail - seg.fade_out}:n={seg.fade_out}")
    return f"[{index}:v]{','.join(steps)}[s{index}]"


def cut_graph(segments: list[Segment], width: int, height: int, fps: int) -> tuple[str, str, int]:
    """The filter graph, its output label and the total frame count."""
    chains = [_segment_chain(i, seg, width, height, fps) for i, seg in enumerate(segments)]
    acc, acc_frames = "s0", segments[0].total
    pending: list[str] = [acc]  # labels waiting to be concatenated
    joins: list[str] = []
    for i, seg in enumerate(segments[1:], start=1):
        overlap = segments[i - 1].tail + seg.head
        if overlap:
            if len(pending) > 1:
                joins.append(f"{''.join(f'[{p}]' for p in pending)}concat=n={len(pending)}:v=1:a=0,settb=1/{fps}[c{i}]")
                acc = f"c{i}"
            else:
                acc = pending[0]
            offset = (acc_frames - overlap) / fps
            joins.append(f"[{acc}][s{i}]xfade=transition=fade:duration={overlap / fps:.6f}:offset={offset:.6f},"
                         f"settb=1/{fps}[x{i}]")
            pending = [f"x{i}"]
            acc_frames += seg.total - overlap
        else:
            pending.append(f"s{i}")
            acc_frames += seg.total
    if len(pending) > 1:
        joins.append(f"{''.join(f'[{p}]' for p in pending)}concat=n={len(pending)}:v=1:a=0[cut]")
        out = "cut"
    else:
        out = pending[0]
    return ";".join(chains + joins), out, acc_frames


def render_cut(decisions: list[EditDecision], out_path: Path, width: int, height: int, fps: int) -> float:
    """Render the picture cut (silent H.264); return its measured duration in seconds."""
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise ValueError(f"cut frame {width}x{height} must be even numbers of pixels, at least 16")
    if not 1 <= fps <= 60:
        raise ValueError(f"cut fps {fps} must be in 1..60")
    segments = plan_segments(decisions, fps)
    graph, out, frames = cut_graph(segments, width, height, fps)
    inputs: list[str] = []
    for seg in segments:
        inputs += ["-i", str(seg.decision.clip_path)]
    with atomic_path(out_path) as tmp:
        run_ffmpeg([
            *inputs, "-filter_complex", graph, "-map", f"[{out}]", "-frames:v", str(frames), "-r", str(fps),
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "2",
            "-an", "-movflags", "+faststart", str(tmp),
        ], f"conforming the cut of {len(segments)} shots", timeout=3600)
    return probe(out_path).duration_s


DELIVERY_CEILING_DBTP = -1.0  # the mix's true-peak ceiling, held by the delivered AAC too
_AAC_PASSES = 5


def decoded_audio(path: str | Path):
    """The first audio stream of ``path`` decoded to float samples (frames, channels) and its rate."""
    from filmcraft.audio_analysis import read_audio

    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="decode-") as tmp:
        wav = Path(tmp) / "audio.wav"
        run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-c:a", "pcm_f32le", str(wav)], f"decoding the audio of {path.name}")
        return read_audio(wav)


def mux_final(video: Path, audio_wav: Path, out_path: Path,
              ceiling_dbtp: float | None = DELIVERY_CEILING_DBTP) -> float | None:
    """Picture + mix into the delivery MP4: H.264 (copied when possible) + AAC 192k, faststart.

    The picture sets the runtime: a short mix is padded with silence, a long one is trimmed, so
    no picture is ever lost. AAC's reconstruction overshoots the mix's peaks (a -1.1 dBTP mix
    decoded at -0.89), so the delivered audio is decoded and measured (4x oversampled) and, while
    it is over ``ceiling_dbtp``, encoded again that much quieter. Returns the delivered true peak
    in dBTP (None for silence, or when no ceiling is asked for).
    """
    from filmcraft.audio_analysis import is_silent, true_peak_dbtp

    try:
        vinfo = probe(video)
    except MediaError as exc:
        raise ValueError(f"picture {video} cannot be read ({exc}): re-run the cut") from exc
    try:
        ainfo = probe(audio_wav)
    except MediaError as exc:
        raise ValueError(f"mix {audio_wav} cannot be read ({exc}): re-run the mix") from exc
    if not vinfo.has_video:
        raise ValueError(f"picture {video} has no video stream: re-run the cut")
    if not ainfo.has_audio:
        raise ValueError(f"mix {audio_wav} has no audio stream: re-run the mix")
    runtime = vinfo.duration_s
    video_codec = ["-c:v", "copy"] if vinfo.video_codec == "h264" else [
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-threads", "2"]
    trim_db = 0.0
    with atomic_path(out_path) as tmp:
        for attempt in range(_AAC_PASSES):
            gain = f"volume={trim_db:.3f}dB," if trim_db else ""
            run_ffmpeg([
                "-i", str(video), "-i", str(audio_wav), "-map", "0:v:0", "-map", "1:a:0", *video_codec,
                "-af", f"{gain}apad=whole_dur={runtime:.6f},atrim=end={runtime:.6f}",
                "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(tmp),
            ], f"muxing {video.name} with {audio_wav.name}", timeout=3600)
            if ceiling_dbtp is None:
                return None
            samples, rate = decoded_audio(tmp)
            if is_silent(samples):
                return None
            peak = true_peak_dbtp(samples, rate)
            if peak <= ceiling_dbtp:
                return round(peak, 2)
            # The encoder's error does not scale with the gain (a CI run once trimmed 0.41 dB over three
            # passes and still delivered -0.93 dBTP), so each further pass trims twice as far past the overshoot.
            trim_db += (ceiling_dbtp - peak - 0.05) * 2 ** attempt
    raise ValueError(f"{out_path.name}: the AAC audio still peaks at {peak:.2f} dBTP after {_AAC_PASSES} "
                     f"passes ({trim_db:.2f} dB trimmed), over the {ceiling_dbtp} dBTP ceiling: remix with a lower "
                     "true-peak ceiling")


def delivery_problems(film: DeliveredFilm, lock: PictureLock) -> list[str]:
    """What keeps final.mp4 from delivery: a missing stream, or a runtime that is not the picture lock's
    (within a frame, plus the audio encoder's priming)."""
    problems = []
    if not film.video_codec:
        problems.append(f"{film.path} has no video stream")
    if not film.audio_codec:
        problems.append(f"{film.path} has no audio stream")
    if film.audio_true_peak_dbtp is not None and film.audio_true_peak_dbtp > DELIVERY_CEILING_DBTP:
        problems.append(f"{film.path}'s audio peaks at {film.audio_true_peak_dbtp:.2f} dBTP, over the "
                        f"{DELIVERY_CEILING_DBTP} dBTP ceiling")
    tolerance = 1.0 / lock.fps + 0.05
    if abs(film.duration_s - lock.runtime_s) > tolerance:
        problems.append(f"{film.path} runs {film.duration_s:.3f} s but the picture lock runs {lock.runtime_s:.3f} s "
                        f"(tolerance {tolerance:.3f} s)")
    return problems
