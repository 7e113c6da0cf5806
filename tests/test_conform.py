from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from filmcraft.audio_analysis import true_peak_dbtp
from filmcraft.conform import decoded_audio, mux_final, render_cut
from filmcraft.contracts import EditDecision
from filmcraft.media import probe, run_ffmpeg

W, H, FPS = 160, 90, 24


def ramp_clip(path: Path, seconds: float, size: str = f"{W}x{H}", step: int = 2) -> Path:
    """A clip whose brightness encodes its frame number (luma = step * n): retiming is measurable."""
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=black:s={size}:r={FPS}:d={seconds}",
                "-vf", f"geq=lum='min(250,16+{step}*N)':cb=128:cr=128", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", str(path)], "making a test clip")
    return path


def level(n: int) -> float:
    """Decoded full-range grey of clip frame n (the clip is encoded limited range: 16 + 2n)."""
    return min(2 * n, 234) * 255 / 219


def luma(video: Path) -> np.ndarray:
    raw = video.with_suffix(".gray")
    run_ffmpeg(["-i", str(video), "-f", "rawvideo", "-pix_fmt", "gray", str(raw)], "decoding")
    frames = np.fromfile(raw, np.uint8).reshape(-1, H, W).astype(float)
    return frames[:, H // 4: 3 * H // 4, W // 4: 3 * W // 4].mean(axis=(1, 2))  # centre: no pad bars


def decision(clip: Path, shot: str, src_in: float, src_out: float, speed: float = 1.0, transition: str = "cut",
             record_in: float = 0.0) -> EditDecision:
    kind = "accelerate" if speed != 1 else ("trim" if src_in > 0 else "retain")
    return EditDecision(shot_id=shot, scene_id="s01", clip_path=str(clip), decision=kind, source_in=src_in,
                        source_out=src_out, speed=speed, record_in=record_in, transition=transition)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("clips")
    # the second clip has another shape: it must be fitted (pillarboxed), not stretched
    return ramp_clip(d / "a.mp4", 3.0), ramp_clip(d / "b.mp4", 4.0, size="120x90")


def test_trim_and_accelerate_keep_exact_duration(tmp_path: Path, clips):
    a, b = clips
    ds = [decision(a, "s01_sh01", 0.5, 2.5), decision(b, "s01_sh02", 0.0, 4.0, speed=2.0, record_in=2.0)]
    expected = sum(d.duration for d in ds)
    out = tmp_path / "cut.mp4"
    measured = render_cut(ds, out, W, H, FPS)
    assert abs(measured - expected) <= 1 / FPS
    info = probe(out)
    assert (info.width, info.height) == (W, H) and not info.has_audio
    y = luma(out)
    assert len(y) == round(expected * FPS)
    # shot 1 starts 0.5 s (12 frames) into clip a; shot 2 runs at 2x: twice the brightness slope
    assert abs(y[0] - level(12)) < 4
    slope_a = np.polyfit(np.arange(10), y[5:15], 1)[0]
    slope_b = np.polyfit(np.arange(10), y[53:63], 1)[0]
    assert abs(slope_a - level(1)) < 0.3 and abs(slope_b - level(2)) < 0.5
    assert y[48] < 30  # the cut lands on clip b's first frame


def test_rounding_does_not_accumulate(tmp_path: Path, clips):
    a, _ = clips
    # seven shots of 0.27 s: per-shot rounding alone would drift by 7 * 0.5 frame
    ds = [decision(a, f"s01_sh{i:02d}", 0.1, 0.37) for i in range(1, 8)]
    measured = render_cut(ds, tmp_path / "many.mp4", W, H, FPS)
    assert abs(measured - 7 * 0.27) <= 1 / FPS


def test_dissolve_uses_handles_and_keeps_runtime(tmp_path: Path, clips):
    a, b = clips
    ds = [decision(a, "s01_sh01", 0.5, 2.0), decision(b, "s01_sh02", 1.0, 3.0, transition="dissolve")]
    out = tmp_path / "dissolve.mp4"
    measured = render_cut(ds, out, W, H, FPS)
    assert abs(measured - 3.5) <= 1 / FPS
    y = luma(out)
    cut = 36  # record frame where shot 2 starts
    # shot 1 alone at its head, shot 2 alone at its tail, a blend of both across the cut
    assert abs(y[0] - level(12)) < 4
    a_at_cut, b_at_cut = level(12 + cut), level(24)
    assert min(a_at_cut, b_at_cut) + 3 < y[cut] < max(a_at_cut, b_at_cut) - 3
    assert abs(y[-1] - level(24 + 47)) < 4


def test_fade_dips_to_black(tmp_path: Path, clips):
    a, b = clips
    ds = [decision(a, "s01_sh01", 0.0, 1.5), decision(b, "s01_sh02", 2.0, 3.5, transition="fade")]
    out = tmp_path / "fade.mp4"
    assert abs(render_cut(ds, out, W, H, FPS) - 3.0) <= 1 / FPS
    y = luma(out)
    assert y[36] < 25 and y[35] < 25  # black around the cut
    assert y[30] > 40 and y[42] > 80  # picture either side


def test_bad_decisions_are_named(tmp_path: Path, clips):
    a, _ = clips
    with pytest.raises(ValueError, match="s01_sh09.*lasts only"):
        render_cut([decision(a, "s01_sh09", 0.0, 9.0)], tmp_path / "x.mp4", W, H, FPS)
    with pytest.raises(ValueError, match="no edit decisions"):
        render_cut([], tmp_path / "x.mp4", W, H, FPS)
    with pytest.raises(ValueError, match="cannot be read"):
        render_cut([decision(tmp_path / "missing.mp4", "s01_sh01", 0, 1)], tmp_path / "x.mp4", W, H, FPS)
    assert not (tmp_path / "x.mp4").exists()


def test_mux_final_keeps_the_whole_picture(tmp_path: Path, clips):
    a, _ = clips
    sr = 48000
    for name, seconds in (("short", 1.2), ("long", 5.0)):
        t = np.arange(int(sr * seconds)) / sr
        wav = tmp_path / f"{name}.wav"
        sf.write(wav, np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2, axis=1), sr)
        out = tmp_path / f"final_{name}.mp4"
        mux_final(a, wav, out)
        info = probe(out)
        assert info.has_video and info.has_audio and info.audio_codec == "aac" and info.video_codec == "h264"
        assert abs(info.duration_s - 3.0) < 1 / FPS + 0.05  # picture sets the runtime
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ValueError, match="bad.wav"):
        mux_final(a, bad, tmp_path / "final_bad.mp4")


def test_delivered_aac_holds_the_true_peak_ceiling(tmp_path: Path, clips):
    """AAC overshoots the peaks it was given: a square-ish mix limited to -1.05 dBTP decodes hotter. The
    delivered file, decoded and measured 4x oversampled, must hold -1 dBTP itself."""
    a, _ = clips
    sr = 48000
    t = np.arange(sr * 3) / sr
    # odd harmonics with aligned phases: AAC's band-limiting rings over the flat tops
    x = sum(np.sin(2 * np.pi * 110 * k * t) / k for k in range(1, 40, 2))
    x = x / np.max(np.abs(x)) * 10 ** (-1.05 / 20)
    stereo = np.stack([x, x], axis=1)
    wav = tmp_path / "hot.wav"
    sf.write(wav, stereo, sr, subtype="PCM_24")
    naive = tmp_path / "naive.mp4"
    mux_final(a, wav, naive, ceiling_dbtp=None)
    overshoot = true_peak_dbtp(*decoded_audio(naive))
    assert overshoot > -1.0, f"the test signal no longer makes AAC overshoot ({overshoot:.2f} dBTP)"
    out = tmp_path / "final.mp4"
    reported = mux_final(a, wav, out)
    measured = true_peak_dbtp(*decoded_audio(out))
    assert measured <= -1.0 and reported == round(measured, 2)
    assert measured > -2.0  # trimmed by what it was over, not flattened


def test_a_cut_with_no_cue_is_reviewed_in_silence(tmp_path: Path, clips):
    """A film told by picture, music and ambience alone (no voice-over, no dialogue) has nothing for the
    rough cut's placeholder track: the cut still renders, with a silent track and no mix, and leaves
    no intermediate picture behind."""
    from filmcraft.assembly import render_with_audio
    from filmcraft.contracts import CueSheet, FilmRequest

    a, b = clips
    ds = [decision(a, "s01_sh01", 0.0, 3.0), decision(b, "s01_sh02", 0.0, 2.0, record_in=3.0)]
    req = FilmRequest(film_id="silent", text="A kite over a cliff.", width=W, height=H, fps=FPS)
    out = tmp_path / "cut" / "rough_cut.mp4"
    runtime, vo_mix = render_with_audio(ds, CueSheet(film_id="silent", runtime_s=5.0, cues=[]), out,
                                        tmp_path / "cut" / "rough_mix", req)
    assert vo_mix is None and abs(runtime - 5.0) <= 1 / FPS
    info = probe(out)
    assert info.has_video and info.has_audio
    samples, _ = decoded_audio(out)
    assert not np.abs(samples).max() > 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["rough_cut.mp4", "rough_mix"]


def test_editor_lengths_fade_up_dip_and_fade_out(tmp_path: Path, clips):
    """The editor's lengths are what the picture does: a 0.5 s fade up from black at the head, a 1.0 s
    dip to black at the cut, a 0.5 s fade out to black at the tail; the runtime is unchanged."""
    a, b = clips
    first = decision(a, "s01_sh01", 0.0, 2.0, transition="fade").model_copy(update={"transition_s": 0.5})
    second = decision(b, "s02_sh01", 1.0, 3.0, transition="fade", record_in=2.0).model_copy(
        update={"transition_s": 1.0, "fade_out_s": 0.5})
    out = tmp_path / "fades.mp4"
    assert abs(render_cut([first, second], out, W, H, FPS) - 4.0) <= 1 / FPS
    y = luma(out)
    assert len(y) == 96
    # head: black on the first frame, half-way up at 6 of 12 frames, the picture itself from frame 12
    assert y[0] < 3
    assert 0.3 < y[6] / level(6) < 0.7
    assert abs(y[13] - level(13)) < 4
    # the dip: the picture until 12 frames (half of 1.0 s) before the cut, black at the cut, back by 12 after
    cut = 48
    assert abs(y[cut - 13] - level(cut - 13)) < 4
    assert y[cut - 1] < 0.15 * level(cut - 1) and y[cut] < 0.15 * level(24)
    assert abs(y[cut + 13] - level(24 + 13)) < 4
    # tail: the picture until the last 12 frames, black on the last
    assert abs(y[-14] - level(24 + 34)) < 4
    assert y[-1] < 0.15 * level(24 + 47)
    assert 0.3 < y[-7] / level(24 + 41) < 0.7


def test_an_editor_length_sets_the_dissolve(tmp_path: Path, clips):
    """A 0.25 s dissolve blends 3 frames either side of the cut (the handles allow 12): outside them each
    shot plays alone."""
    a, b = clips
    ds = [decision(a, "s01_sh01", 0.5, 2.0),
          decision(b, "s01_sh02", 1.0, 3.0, transition="dissolve", record_in=1.5).model_copy(update={"transition_s": 0.25})]
    out = tmp_path / "short_dissolve.mp4"
    assert abs(render_cut(ds, out, W, H, FPS) - 3.5) <= 1 / FPS
    y = luma(out)
    cut = 36
    assert abs(y[cut - 4] - level(12 + cut - 4)) < 4  # shot 1 alone
    assert abs(y[cut + 3] - level(24 + 3)) < 4  # shot 2 alone
    a_at, b_at = level(12 + cut - 1), level(24 - 1)
    assert min(a_at, b_at) + 3 < y[cut - 1] < max(a_at, b_at) - 3  # a blend within the 3 frames


def rgb_frames(video: Path, w: int = W, h: int = H) -> np.ndarray:
    raw = video.with_suffix(".rgb")
    run_ffmpeg(["-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw)], "decoding")
    return np.fromfile(raw, np.uint8).reshape(-1, h, w, 3).astype(float)


def test_the_scene_lut_grades_the_cut_and_the_bars_stay_black(tmp_path: Path, clips):
    from filmcraft.luts import lut_path

    a, b = clips
    lut = tmp_path / "it's, [night]" / "night_blue.cube"  # the film folder's copy; a name the graph must escape
    lut.parent.mkdir()
    lut.write_bytes(lut_path("night_blue").read_bytes())
    plain = [decision(a, "s01_sh01", 0.0, 1.0), decision(b, "s01_sh02", 0.0, 1.0, record_in=1.0)]
    night = [d.model_copy(update={"grade": "night_blue", "lut_path": str(lut)}) for d in plain]
    render_cut(plain, tmp_path / "plain.mp4", W, H, FPS)
    render_cut(night, tmp_path / "night.mp4", W, H, FPS)
    p, n = rgb_frames(tmp_path / "plain.mp4"), rgb_frames(tmp_path / "night.mp4")
    centre = (slice(None), slice(H // 4, 3 * H // 4), slice(W // 4, 3 * W // 4))
    # night_blue: blue over red in the picture, where the ungraded ramp is grey
    assert abs(p[centre][..., 2].mean() - p[centre][..., 0].mean()) < 2
    assert n[centre][..., 2].mean() - n[centre][..., 0].mean() > 10
    # the pillarbox of the narrower second clip is padded after the grade: still black
    assert n[FPS + 2:, :, :8].max() < 20
    # an old picture lock (no grade fields) loads ungraded
    old = {k: v for k, v in plain[0].model_dump(mode="json").items() if k not in ("grade", "lut_path")}
    assert EditDecision.model_validate(old).lut_path is None
    with pytest.raises(ValueError, match="grade LUT .* does not exist: put the .cube back"):
        render_cut([night[0].model_copy(update={"lut_path": str(tmp_path / "gone.cube")})], tmp_path / "x.mp4", W, H, FPS)


def test_transition_moments_name_every_change_where_it_plays():
    from filmcraft.conform import transition_moments

    a = decision(Path("a.mp4"), "s01_sh01", 0.0, 2.0, transition="fade").model_copy(update={"transition_s": 0.8})
    b = decision(Path("b.mp4"), "s01_sh02", 0.0, 2.0, record_in=2.0)  # a cut inside the scene: not shown
    c = decision(Path("c.mp4"), "s02_sh01", 0.0, 2.0, record_in=4.0).model_copy(
        update={"scene_id": "s02", "sound_lead_s": 0.5})
    d = decision(Path("d.mp4"), "s03_sh01", 0.0, 2.0, transition="dissolve", record_in=6.0).model_copy(
        update={"scene_id": "s03", "transition_s": 0.5, "fade_out_s": 1.0})
    moments = transition_moments([a, b, c, d], 8.0)
    # the fade up at its middle (never before 0.4 s), changes at their cut, the fade out at its middle
    assert moments == [("s01_sh01: fade up from black 0.80s", 0.4), ("s01_sh02 > s02_sh01: cut, J-cut", 4.0),
                       ("s02_sh01 > s03_sh01: dissolve 0.50s", 6.0), ("s03_sh01: fade out 1.00s", 7.5)]
