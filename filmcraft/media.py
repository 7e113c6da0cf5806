"""ffmpeg location and thin helpers. imageio-ffmpeg ships no ffprobe, so probing parses ``ffmpeg -i``."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REQUIRED_FILTERS = ("zoompan", "drawtext", "loudnorm")


class MediaError(RuntimeError):
    pass


def _has_features(exe: str) -> bool:
    try:
        filters = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=20).stdout
        encoders = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return all(f" {name} " in filters for name in REQUIRED_FILTERS) and "libx264" in encoders


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """FILMASTER_FFMPEG if set, else a system ffmpeg with the filters we need, else imageio-ffmpeg's."""
    forced = os.environ.get("FILMASTER_FFMPEG")
    if forced:
        if not Path(forced).exists():
            raise MediaError(f"FILMASTER_FFMPEG={forced} does not exist: unset it or point it at an ffmpeg binary")
        return forced
    system = shutil.which("ffmpeg")
    if system and _has_features(system):
        return system
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: list[str], what: str, timeout: float = 600) -> None:
    """Run ffmpeg with ``args`` (no executable, no -y); raise MediaError with the tail of stderr."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"ffmpeg timed out after {timeout:.0f}s while {what}") from exc
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise MediaError(f"ffmpeg failed while {what} (exit {proc.returncode}):\n{tail}")


def ffmpeg_stderr(args: list[str], timeout: float = 600) -> str:
    """Run ffmpeg for its log output (analysis filters such as ebur128, blackdetect)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return proc.stderr


@dataclass(frozen=True)
class MediaInfo:
    duration_s: float
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    audio_codec: str | None = None


_DUR = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VID = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"(\d+(?:\.\d+)?) fps")
_AUD = re.compile(r"Stream #\S+.*?: Audio: (\w+)")


def probe(path: str | Path) -> MediaInfo:
    """Read duration and streams of a media file (like ffprobe, from ``ffmpeg -i`` output)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        raise MediaError(f"media file {path} is missing or empty")
    err = ffmpeg_stderr(["-i", str(path)], timeout=60)
    m = _DUR.search(err)
    if not m:
        raise MediaError(f"{path} is not a readable media file: {err.strip().splitlines()[-1] if err.strip() else 'no output'}")
    duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    v = _VID.search(err)
    a = _AUD.search(err)
    fps = None
    if v:
        line = err[v.start(): err.find("\n", v.start())]
        f = _FPS.search(line)
        fps = float(f.group(1)) if f else None
    return MediaInfo(
        duration_s=duration,
        has_video=bool(v),
        has_audio=bool(a),
        width=int(v.group(2)) if v else None,
        height=int(v.group(3)) if v else None,
        fps=fps,
        video_codec=v.group(1) if v else None,
        audio_codec=a.group(1) if a else None,
    )


def extract_frame(video: str | Path, at_s: float, out_png: str | Path, width: int | None = None) -> Path:
    """Write one frame of ``video`` at ``at_s`` seconds as PNG (for contact sheets and judges)."""
    vf = ["-vf", f"scale={width}:-2"] if width else []
    from filmcraft.store import atomic_path

    with atomic_path(out_png) as tmp:
        run_ffmpeg(["-ss", f"{max(at_s, 0):.3f}", "-i", str(video), "-frames:v", "1", *vf, str(tmp)], f"extracting a frame of {video}")
    return Path(out_png)
