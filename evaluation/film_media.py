"""What a film's media measure, for the offline judge: its picture (resolution, black and frozen time,
hard cuts) and its own sound track (loudness, true peak, clipping). Each file version is decoded once:
a benchmark judges the same render many times (defects, variants)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np

from filmcraft.media import MediaError, ffmpeg_stderr, probe

_FREEZE_S = 1.0
_BLACK_S = 0.1


def _intervals(err: str, start_pat: str, end_pat: str, total: float) -> float:
    """Sum of [start, end) intervals logged by an ffmpeg detect filter; open ends run to ``total``."""
    starts = [float(x) for x in re.findall(start_pat, err)]
    ends = [float(x) for x in re.findall(end_pat, err)]
    spans = sum(max(0.0, e - s) for s, e in zip(starts, ends))
    spans += sum(max(0.0, total - s) for s in starts[len(ends):])
    return min(spans, total)


def _measure_picture(video: Path) -> dict[str, float]:
    """Height, runtime, black and frozen time of ``video`` (ffmpeg blackdetect / freezedetect)."""
    try:
        info = probe(video)
    except MediaError as exc:
        raise ValueError(f"final video {video} cannot be read ({exc}): render the film before judging it") from exc
    if not info.has_video or info.duration_s <= 0:
        raise ValueError(f"final video {video} has no video stream: render the film before judging it")
    vf = (f"scale='min(320,iw)':-2,blackdetect=d={_BLACK_S}:pix_th=0.10,"
          f"freezedetect=n=-60dB:d={_FREEZE_S}")
    err = ffmpeg_stderr(["-i", str(video), "-vf", vf, "-an", "-f", "null", "-"])
    total = info.duration_s
    black = _intervals(err, r"black_start:([\d.]+)", r"black_end:([\d.]+)", total)
    frozen = _intervals(err, r"freeze_start: ([\d.]+)", r"freeze_end: ([\d.]+)", total)
    return {"height": float(info.height or 0), "width": float(info.width or 0), "duration_s": round(total, 3),
            "black_s": round(black, 3), "frozen_s": round(frozen, 3),
            "black_share": round(black / total, 4), "frozen_share": round(frozen / total, 4)}


def _cached_per_file_version(measure):
    """``measure`` run once per file version (path, size, modification time)."""
    @functools.lru_cache(maxsize=64)
    def by_version(path: str, size: int, mtime_ns: int) -> tuple:
        return tuple(measure(Path(path)).items())

    def measured(video: Path) -> dict:
        try:
            stat = Path(video).stat()
        except OSError:
            return measure(Path(video))
        return dict(by_version(str(Path(video).resolve()), stat.st_size, stat.st_mtime_ns))
    return measured


def clipped_share(samples: np.ndarray) -> float:
    """Share of samples at full scale: the clipping a listener hears as distortion."""
    return float(np.mean(np.abs(samples) >= 0.999))


def _measure_track(video: Path) -> dict:
    """Loudness, true peak and clipping of a video's own audio track (a film made elsewhere has no mix
    report); {} when it has no audio."""
    from filmcraft.audio_analysis import integrated_lufs, true_peak_dbtp
    from filmcraft.conform import decoded_audio

    if not probe(video).has_audio:
        return {}
    samples, rate = decoded_audio(video)
    lufs = integrated_lufs(samples.astype(np.float64), rate)
    return {"track_lufs": None if lufs is None else round(lufs, 2),
            "track_true_peak_dbtp": None if lufs is None else round(true_peak_dbtp(samples, rate), 2),
            "clipped_sample_share": round(clipped_share(samples), 6)}


_SCENE_CUT = 0.3  # ffmpeg's scene score above which a frame starts a new shot (a hard cut)


def _measure_cuts(video: Path) -> dict:
    """Shot lengths of a video from its hard cuts (ffmpeg's scene-change score), for a film with no
    picture lock."""
    total = probe(video).duration_s
    err = ffmpeg_stderr(["-i", str(video), "-vf", f"scale=160:-2,select='gt(scene,{_SCENE_CUT})',showinfo",
                         "-an", "-f", "null", "-"])
    cuts = sorted({round(float(t), 3) for t in re.findall(r"pts_time:([\d.]+)", err) if 0.2 < float(t) < total - 0.2})
    bounds = [0.0, *cuts, total]
    return {"runtime_s": round(total, 3), "shot_lengths_s": tuple(round(b - a, 3) for a, b in zip(bounds, bounds[1:]))}


measure_picture = _cached_per_file_version(_measure_picture)
measure_track = _cached_per_file_version(_measure_track)
measure_cuts = _cached_per_file_version(_measure_cuts)
