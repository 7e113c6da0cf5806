"""The exported timeline played by an independently written editor engine, compared with final.mp4.

The engine is MLT (Debian's ``melt``), fed by OpenTimelineIO's MLT adapter (PyPI otio-mlt-adapter):
timeline.otio -> MLT XML -> ``melt`` renders it headless -> frames and loudness against final.mp4.
Two films: the tiny film as the pipeline made it (cuts and a dip to black), and a recut of its own
shots through the project's conform and mux (a trim, a dissolve on handles, a 1.5x speed-up, a dip to
black), so every kind of edit decision is played.

Fades through black are played: the timeline carries a fade up from black, a dip to black (a fade
out, a zero-length gap, a fade in) and a fade out to black as OTIO transitions beside a gap or a track
end, which the adapter renders as MLT luma transitions against its black background producer; the
test compares those frames with final.mp4's.

What the engine, through this adapter, cannot express, and what is checked instead:
- An accelerated shot's start: otio-mlt-adapter 0.3.0 writes the timewarp producer's in point in
  source frames where MLT counts it in retimed frames, so MLT starts the shot source_in x (speed - 1)
  later in the media; the test reads that offset from the MLT XML and checks the engine plays the
  same frames at the same speed from there.
- The mix: the adapter writes no MLT mix transitions and ignores OTIO's track enabled flag, so MLT
  plays the topmost audio track with sound, which is the timeline's ``final mix`` (the track that is
  enabled; the stems are disabled). The stems are not summed by the engine.
- Split edits (J/L cuts) are in the mix itself (the sound design places the beds across the cut), so
  the engine plays them by playing the final mix; the stem tracks show them but are not played.
- The grade: the conform applies each scene's LUT to the ungraded clips; the adapter maps no LUT (OTIO
  has no colour effect), so the engine plays the clips ungraded. The test re-applies each picture clip's
  ``lut`` from the timeline's metadata to the engine's frames over that clip's span (what an editor does
  with the timeline) and then compares: that checks the cut positions and that the timeline names the
  LUT the film was graded with. Across a dissolve between two looks the blend is of graded frames, so
  those frames (already left out as blended) are not compared.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from tests.test_e2e import tiny_film  # noqa: F401 - the film fixture, made once for this module


def _adapter_installed() -> bool:
    import opentimelineio as otio

    return "mlt_xml" in otio.adapters.available_adapter_names()


# Checked before the film is made: without the engine nothing here can run.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("melt") is None, reason="MLT's melt is not installed (Debian: apt-get install "
                       "melt; .ci/run installs it): the editor-engine comparison needs it"),
    pytest.mark.skipif(not _adapter_installed(), reason="otio-mlt-adapter is not installed (pip install -e '.[test]'): "
                       "the editor-engine comparison needs it"),
]

W, H = 160, 90  # frames are compared at this size (grey levels 0..255)
SAME = 3.0  # mean absolute grey difference of one picture seen through two encoders (measured: <= 1.2)
BLACK = 20.0  # mean grey of a frame that is black


def _frames(path: Path, fps: int, grade: str = "") -> np.ndarray:
    from filmcraft.media import ffmpeg_exe

    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-vf", f"fps={fps},{grade}scale={W}:{H}",
                          "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(-1, H, W).astype(np.float32)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _loudness(path: Path) -> float:
    import pyloudnorm as pyln

    from filmcraft.conform import decoded_audio

    samples, rate = decoded_audio(path)
    return float(pyln.Meter(rate).integrated_loudness(samples))


def _timeline_grade(timeline: Path) -> str:
    """Each picture clip's LUT (the timeline's ``lut`` metadata) over the clip's record frames, as ffmpeg
    filters for the engine's ungraded rendering (the engine cannot apply a LUT through the adapter)."""
    import opentimelineio as otio

    from filmcraft.luts import lut3d_filter
    from filmcraft.timeline import _media_path

    tl = otio.adapters.read_from_file(str(timeline))
    steps = []
    for clip in tl.video_tracks()[0].find_clips():
        lut = clip.metadata["filmaster"].get("lut")
        if lut:
            span = clip.range_in_parent()
            first = span.start_time.to_frames()
            last = first + span.duration.to_frames() - 1
            steps.append(f"{lut3d_filter(_media_path(lut))}:enable='between(n,{first},{last})',")
    return "".join(steps)


def _play(timeline: Path, work: Path) -> tuple[Path, Path]:
    """timeline.otio -> MLT XML (the adapter) -> melt renders it; returns (MLT XML, rendering)."""
    import opentimelineio as otio

    tl = otio.adapters.read_from_file(str(timeline))
    meta = tl.metadata["filmaster"]
    w, h = meta["width"], meta["height"]
    mlt = work / "timeline.mlt"
    otio.adapters.write_to_file(tl, str(mlt), adapter_name="mlt_xml", width=str(w), height=str(h), progressive="1",
                                sample_aspect_num="1", sample_aspect_den="1",
                                display_aspect_num=str(w // math.gcd(w, h)), display_aspect_den=str(h // math.gcd(w, h)))
    out = work / "engine.mkv"
    run = subprocess.run(["melt", str(mlt), "-silent", "-consumer", f"avformat:{out}", "vcodec=libx264", "crf=10",
                          "preset=ultrafast", "acodec=pcm_s16le", "frequency=48000", "channels=2", "real_time=0"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and out.is_file(), f"melt could not render {mlt}: {run.stderr[-2000:]}"
    return mlt, out


class Played:
    """One film: its picture lock, final.mp4's and the engine's frames, the MLT XML, both loudnesses."""

    def __init__(self, film_dir: Path, lock, final: Path, timeline: Path, work: Path):
        from filmcraft.conform import plan_segments

        work.mkdir(parents=True, exist_ok=True)
        self.lock, self.fps = lock, lock.fps
        self.segments = plan_segments(lock.decisions, lock.fps)
        self.mlt, self.engine_path = _play(timeline, work)
        self.final = _frames(final, self.fps)
        self.engine = _frames(self.engine_path, self.fps, _timeline_grade(timeline))
        self.engine_ungraded = _frames(self.engine_path, self.fps)  # as the engine plays it
        self.final_lufs, self.engine_lufs = _loudness(final), _loudness(self.engine_path)
        self.starts = []
        record = 0.0
        for seg in self.segments:  # the conform's cumulative frame rule
            self.starts.append(round(record * self.fps))
            record += seg.decision.duration
        self.starts.append(round(record * self.fps))

    def blended(self, i: int) -> range:
        """Frames around the cut into shot i that a dissolve or a dip to black changes (empty for a cut)."""
        prev, seg = self.segments[i - 1], self.segments[i]
        b = self.starts[i]
        if seg.decision.transition == "dissolve":
            return range(b - seg.head, b + prev.tail)
        if seg.decision.transition == "fade":
            return range(b - prev.fade_out, b + seg.fade_in)
        return range(b, b)

    def head_and_tail(self) -> list[int]:
        """Frames of the fade up from black at the head and the fade out to black at the tail."""
        end = self.starts[-1]
        return [*range(self.segments[0].fade_in), *range(end - self.segments[-1].fade_out, end)]

    def timewarp_lag(self, shot_id: str) -> int:
        """Record frames by which the adapter's timewarp entry starts an accelerated shot late in its media."""
        d = next(d for d in self.lock.decisions if d.shot_id == shot_id)
        for entry in ET.parse(self.mlt).getroot().iter("entry"):
            if entry.get("producer", "").endswith(f":{shot_id}") and entry.get("producer").startswith(f"{d.speed}:"):
                # MLT counts a timewarp producer's frames in retimed time: frame n is source frame n x speed
                written = float(entry.get("in"))
                return round(written - d.source_in * self.fps / d.speed)
        raise AssertionError(f"the adapter wrote no timewarp entry for {shot_id} in {self.mlt}")

    def cut_offset(self, i: int, search: int = 3, window: int = 3) -> int:
        """Frames by which the engine's cut into shot i sits from final.mp4's (0 = same frame)."""
        b = self.starts[i]
        span = [t for t in range(b - window, b + window) if 0 <= t < len(self.final)]
        costs = {}
        for shift in range(-search, search + 1):
            pairs = [(t, t + shift) for t in span if 0 <= t + shift < len(self.engine)]
            costs[shift] = np.mean([_diff(self.final[t], self.engine[u]) for t, u in pairs])
        return min(costs, key=costs.get)


@pytest.fixture(scope="module")
def as_made(tiny_film, tmp_path_factory):  # noqa: F811 - the imported fixture
    from filmcraft.contracts import PictureLock
    from filmcraft.store import read_model

    lock = read_model(tiny_film / "cut" / "picture_lock.json", PictureLock)
    return Played(tiny_film, lock, tiny_film / "final.mp4", tiny_film / "timeline.otio",
                  tmp_path_factory.mktemp("engine_as_made"))


@pytest.fixture(scope="module")
def recut(tiny_film, tmp_path_factory):  # noqa: F811 - the imported fixture
    """The same shots and mix recut with a dissolve on handles, a 1.5x speed-up and a dip to black,
    conformed and muxed by the project's own code, its timeline built and written as the asset does."""
    from filmcraft.conform import mux_final, render_cut
    from filmcraft.contracts import CueSheet, MixReport, PictureLock
    from filmcraft.store import read_model
    from filmcraft.timeline import build_timeline
    from filmcraft.timeline_export import write_timeline

    work = tmp_path_factory.mktemp("engine_recut")
    lock = read_model(tiny_film / "cut" / "picture_lock.json", PictureLock)
    cues = read_model(tiny_film / "sound" / "cue_sheet.json", CueSheet)
    mix = read_model(tiny_film / "mix_report.json", MixReport)
    shot = {d.shot_id: d for d in lock.decisions}
    a, b, c, d = (shot[s] for s in ("s01_sh01", "s01_sh02", "s02_sh01", "s02_sh02"))
    decisions = [
        a.model_copy(update={"decision": "trim", "source_in": 0.0, "source_out": 2.9, "record_in": 0.0,
                             "transition": "cut"}),
        b.model_copy(update={"decision": "trim", "source_in": 0.4, "source_out": 2.75, "record_in": 2.9,
                             "transition": "dissolve"}),
        c.model_copy(update={"decision": "accelerate", "source_in": 0.5, "source_out": 2.75, "speed": 1.5,
                             "record_in": 5.25, "transition": "cut"}),
        d.model_copy(update={"decision": "retain", "source_in": 0.0, "source_out": 3.5, "record_in": 6.75,
                             "transition": "fade"}),
    ]
    runtime = decisions[-1].record_out
    picture = work / "recut_picture.mp4"
    render_cut(decisions, picture, lock.width, lock.height, lock.fps)
    recut_lock = lock.model_copy(update={"decisions": decisions, "runtime_s": runtime, "video_path": str(picture),
                                         "removed": []})
    final = work / "final.mp4"
    mux_final(picture, Path(mix.master_path), final)
    # the film's cues within the recut's runtime (a cue past the end would lengthen the timeline)
    kept = [c.model_copy(update={"duration": min(c.duration, runtime - c.record_in)})
            for c in cues.cues if c.record_in < runtime - 1 / lock.fps]
    timeline = write_timeline(build_timeline("recut", recut_lock,
                                             cues.model_copy(update={"runtime_s": runtime, "cues": kept}),
                                             mix_path=mix.master_path), work / "timeline.otio")
    return Played(tiny_film, recut_lock, final, timeline, work / "engine")


def _report(played: Played) -> str:
    return (f"{len(played.final)} final frames, {len(played.engine)} engine frames; loudness final "
            f"{played.final_lufs:.2f} LUFS, engine {played.engine_lufs:.2f} LUFS")


@pytest.mark.parametrize("film", ["as_made", "recut"])
def test_same_shots_at_the_same_times(film, request):
    played: Played = request.getfixturevalue(film)
    assert abs(len(played.engine) - len(played.final)) <= 1, _report(played)
    blended = {t for i in range(1, len(played.segments)) for t in played.blended(i)}
    blended |= set(played.head_and_tail())  # test_fades_through_black_play_in_the_engine
    accelerated = {d.shot_id for d in played.lock.decisions if abs(d.speed - 1) > 1e-9}
    worst = ungraded = 0.0
    for i, seg in enumerate(played.segments):
        if seg.decision.shot_id in accelerated:
            continue  # test_speed_change
        for t in range(played.starts[i], played.starts[i + 1]):
            if t in blended or t >= len(played.engine):
                continue
            diff = _diff(played.final[t], played.engine[t])
            worst = max(worst, diff)
            ungraded = max(ungraded, _diff(played.final[t], played.engine_ungraded[t]))
            assert diff <= SAME, f"frame {t} (shot {seg.decision.shot_id}) differs by {diff:.1f} grey levels; {_report(played)}"
    # the re-applied LUTs are what makes the engine's frames the film's: ungraded, they are not
    assert ungraded > 2 * SAME, f"the engine's ungraded frames are within {ungraded:.1f} of final.mp4: is the film graded?"
    offsets = {played.lock.decisions[i].shot_id: played.cut_offset(i) for i in range(1, len(played.segments))
               if played.lock.decisions[i].transition == "cut"}
    assert offsets and set(offsets.values()) == {0}, f"engine cuts off by {offsets} frames; {_report(played)}"
    print(f"\n{film}: {_report(played)}; cuts at the same frame: {offsets}; worst frame difference {worst:.2f} "
          f"with the timeline's LUTs re-applied ({ungraded:.1f} without)")


def test_the_dissolve_blends_the_same_frames(recut):
    (i,) = [i for i, d in enumerate(recut.lock.decisions) if d.transition == "dissolve"]
    frames = list(recut.blended(i))
    assert len(frames) == recut.segments[i].head + recut.segments[i - 1].tail >= 4
    before, after = recut.final[frames[0] - 1], recut.final[frames[-1] + 1]
    diffs = []
    for t in frames:
        diffs.append(_diff(recut.final[t], recut.engine[t]))
        assert diffs[-1] <= SAME, f"dissolve frame {t} differs by {diffs[-1]:.1f}: {diffs}"
    # really blends: the middle frame is neither shot alone
    mid = recut.final[frames[len(frames) // 2]]
    assert _diff(mid, before) > SAME and _diff(mid, after) > SAME
    print(f"\ndissolve over frames {frames[0]}..{frames[-1]}: engine vs final {[round(x, 2) for x in diffs]}")


def test_speed_change(recut):
    """The engine plays the accelerated shot at the same speed; where it starts in the media is the
    adapter's (read from its MLT XML, and said in the message)."""
    (i,) = [i for i, d in enumerate(recut.lock.decisions) if d.speed != 1.0]
    d = recut.lock.decisions[i]
    lag = recut.timewarp_lag(d.shot_id)
    start, end = recut.starts[i], recut.starts[i + 1]
    fading = set(recut.blended(i + 1)) if i + 1 < len(recut.segments) else set()  # the dip to black after it
    compared = [(t, t + lag) for t in range(start, end) if t + lag < end and t + lag not in fading and t not in fading]
    assert len(compared) >= (end - start) // 2
    diffs = [_diff(recut.engine[t], recut.final[u]) for t, u in compared]
    assert max(diffs) <= SAME, (
        f"engine frames of {d.shot_id} at x{d.speed} against final.mp4 {lag} frames on: {[round(x, 1) for x in diffs]}")
    # the comparison is sharp: one frame off is seen (the shot moves)
    off = [_diff(recut.engine[t], recut.final[u + 1]) for t, u in compared if u + 1 < end and u + 1 not in fading]
    assert np.mean(off) > 2 * np.mean(diffs)
    # the cut into and out of the accelerated shot stays on the same frame
    assert recut.cut_offset(i) == 0
    print(f"\nx{d.speed} shot {d.shot_id}: engine frame t = final frame t + {lag} "
          f"(otio-mlt-adapter 0.3.0 writes the timewarp in point unscaled); worst difference {max(diffs):.2f}")


@pytest.mark.parametrize("film", ["as_made", "recut"])
def test_fades_through_black_play_in_the_engine(film, request):
    """The engine fades up from black, dips to black and fades out to black on final.mp4's frames."""
    played: Played = request.getfixturevalue(film)
    fades = {f"dip into {played.lock.decisions[i].shot_id}": list(played.blended(i))
             for i in range(1, len(played.segments)) if played.lock.decisions[i].transition == "fade"}
    head, tail = played.segments[0].fade_in, played.segments[-1].fade_out
    end = played.starts[-1]
    if head:
        fades["fade up from black"] = list(range(head))
    if tail:
        fades["fade out to black"] = list(range(end - tail, end))
    assert fades, "the film has no fade through black"
    # an accelerated shot plays a few frames later in its media in the engine (test_speed_change): over its
    # frames the fade is compared by its envelope, each frame's mean grey, not picture by picture
    accelerated = {t for i, d in enumerate(played.lock.decisions) if abs(d.speed - 1) > 1e-9
                   for t in range(played.starts[i], played.starts[i + 1])}
    for what, frames in fades.items():
        frames = [t for t in frames if t < min(len(played.final), len(played.engine))]
        darkest = min(played.final[t].mean() for t in frames)
        assert darkest <= BLACK, f"final.mp4 does not reach black in the {what}"
        # final.mp4 fades the graded picture; the test grades the engine's faded one, and a LUT does not
        # commute with a fade (a lifted black stays lifted): where final.mp4 is black the transition's own
        # black is compared ungraded, and the rest of a fade within twice the encoders' tolerance
        diffs = [abs(played.final[t].mean() - played.engine[t].mean()) if t in accelerated
                 else _diff(played.final[t], played.engine_ungraded[t]) if played.final[t].mean() <= BLACK
                 else _diff(played.final[t], played.engine[t]) for t in frames]
        assert max(diffs) <= 2 * SAME, f"{what}: engine frames {frames[0]}..{frames[-1]} differ by {diffs}"
        print(f"\n{film}: {what} over frames {frames[0]}..{frames[-1]} (final.mp4 down to grey {darkest:.1f}); "
              f"engine vs final worst {max(diffs):.2f} grey levels")


@pytest.mark.parametrize("film", ["as_made", "recut"])
def test_loudness_within_one_lu(film, request):
    played: Played = request.getfixturevalue(film)
    assert abs(played.engine_lufs - played.final_lufs) <= 1.0, _report(played)
    print(f"\n{film}: engine {played.engine_lufs - played.final_lufs:+.2f} LU from final.mp4")
    # the engine played the final mix (the topmost audio track), not the unlevelled stems
    assert re.search(r'<playlist id="final mix">\s*<entry', played.mlt.read_text())
