from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from filmcraft.contracts import CameraSpec, ReferenceSet, SceneBlock, ShotPlan, SoundSketch
from filmcraft.media import probe, run_ffmpeg
from filmcraft.previs import contact_sheet, grade_name, keyframe, render_shot
from filmcraft.references.reference_sets import load_reference_set

W, H, FPS, DUR = 256, 144, 12, 1.5
FRAMES = round(DUR * FPS)


@pytest.fixture(scope="module")
def refs(tmp_path_factory) -> ReferenceSet:
    scene = SceneBlock(
        scene_id="s01", index=1, heading="EXT. MARKET STREET - DAY", location="Market Street", time_of_day="day",
        characters=["Mara", "Tomas"], key_visual_elements=[], narrative_objective="meet", mood="calm", shots=[],
        sound_sketch=SoundSketch(ambience="street", music_mood="calm"),
    )
    return load_reference_set(scene, None, tmp_path_factory.mktemp("cards"), W, H)


def plan(movement: str = "static", size: str = "wide", angle: str = "eye_level", lens: float = 35,
         grade: str = "neutral", characters: tuple[str, ...] = ("Mara", "Tomas"), shot: str = "s01_sh01") -> ShotPlan:
    return ShotPlan(
        shot_id=shot, scene_id="s01", index=1, prompt="they meet", characters=list(characters),
        location="Market Street", time_of_day="day", mood="calm",
        camera=CameraSpec(shot_size=size, movement=movement, angle=angle, lens_mm=lens, lighting="daylight",
                          grade=grade, duration_s=DUR),
    )


def decode(video: Path) -> np.ndarray:
    raw = video.with_suffix(".rgb")
    run_ffmpeg(["-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw)], "decoding a test clip")
    return np.fromfile(raw, np.uint8).reshape(-1, H, W, 3).astype(np.float64)


def render(tmp_path: Path, refs: ReferenceSet, p: ShotPlan, name: str, **kw) -> np.ndarray:
    out = tmp_path / f"{name}.mp4"
    render_shot(p, refs, out, W, H, FPS, burn_in=kw.pop("burn_in", False), **kw)
    return decode(out)


def test_clip_format_and_exact_duration(tmp_path: Path, refs: ReferenceSet):
    out = tmp_path / "shot.mp4"
    render_shot(plan("push_in"), refs, out, W, H, FPS)
    info = probe(out)
    assert info.video_codec == "h264" and not info.has_audio
    assert (info.width, info.height) == (W, H) and info.fps == FPS
    assert abs(info.duration_s - DUR) <= 1 / FPS
    assert decode(out).shape[0] == FRAMES
    assert not list(tmp_path.glob(".*part*"))  # atomic write left no temp files


def test_static_holds_still(tmp_path: Path, refs: ReferenceSet):
    f = render(tmp_path, refs, plan("static"), "static")
    assert np.abs(f[0] - f[-1]).mean() < 1.0


def best_zoom(first: np.ndarray, last: np.ndarray) -> float:
    """The centre zoom of ``first`` that best matches ``last``."""
    img = Image.fromarray(first.astype(np.uint8))
    errors = {}
    for s in np.arange(1.0, 1.81, 0.05):
        cw, ch = W / s, H / s
        box = ((W - cw) / 2, (H - ch) / 2, (W + cw) / 2, (H + ch) / 2)
        zoomed = np.asarray(img.resize((W, H), Image.Resampling.BILINEAR, box=box), np.float64)
        errors[float(s)] = np.abs(zoomed - last).mean()
    return min(errors, key=errors.get)


def test_push_in_scales_the_centre(tmp_path: Path, refs: ReferenceSet):
    # no characters: the dolly heads for the frame centre, so a centre zoom model fits
    f = render(tmp_path, refs, plan("push_in", size="medium", characters=()), "push")
    assert np.abs(f[0] - f[-1]).mean() > 5
    assert 1.25 <= best_zoom(f[0], f[-1]) <= 1.55  # planned 1.4x
    g = render(tmp_path, refs, plan("pull_out", size="medium", characters=()), "pull")
    assert 1.25 <= best_zoom(g[-1], g[0]) <= 1.55  # pull-out: the first frame is the tight one


def horizontal_shift(a: np.ndarray, b: np.ndarray, rows: slice = slice(H // 4, 3 * H // 4)) -> int:
    """Shift (px) that moves the column profile of a row band of ``a`` onto ``b``; negative = moved left."""
    def profile(f: np.ndarray) -> np.ndarray:
        band = f[rows].mean(axis=2)
        p = np.diff(band.mean(axis=0))
        return (p - p.mean()) / (p.std() + 1e-9)

    pa, pb = profile(a), profile(b)
    scores = {}
    for s in range(-W // 2, W // 2 + 1):
        x, y = (pa[: len(pa) - s], pb[s:]) if s >= 0 else (pa[-s:], pb[: len(pb) + s])
        if len(x) > W // 3:
            scores[s] = float(np.mean(x * y))
    return max(scores, key=scores.get)


def test_pan_right_moves_content_left(tmp_path: Path, refs: ReferenceSet):
    right = render(tmp_path, refs, plan("pan_right"), "pan_r")
    left = render(tmp_path, refs, plan("pan_left"), "pan_l")
    shift_r, shift_l = horizontal_shift(right[0], right[-1]), horizontal_shift(left[0], left[-1])
    assert -0.55 * W < shift_r < -0.25 * W  # planned: 40% of the frame width
    assert 0.25 * W < shift_l < 0.55 * W
    # a pan never changes scale: the middle frame sits halfway
    assert abs(horizontal_shift(right[0], right[FRAMES // 2]) - shift_r / 2) < 0.1 * W


def test_truck_has_parallax(tmp_path: Path, refs: ReferenceSet):
    f = render(tmp_path, refs, plan("truck_right", size="full"), "truck")
    sky = slice(0, H // 5)  # plate only: the figures stand below it
    feet = slice(int(H * 0.75), int(H * 0.9))  # the figures' legs cross this band
    plate_shift, figure_shift = horizontal_shift(f[0], f[-1], sky), horizontal_shift(f[0], f[-1], feet)
    assert figure_shift < 0 and plate_shift <= 0
    assert abs(figure_shift) > 1.5 * abs(plate_shift)  # near figures cross the frame faster


def test_previs_is_ungraded_and_the_scene_lut_grades_its_frame(tmp_path: Path, refs: ReferenceSet):
    # the conform applies the scene's LUT, so a plan's grade does not reach the previs clip
    neutral = render(tmp_path, refs, plan(grade="neutral"), "neutral")[0]
    night = render(tmp_path, refs, plan(grade="night_blue"), "night")[0]
    assert np.abs(night - neutral).max() == 0
    # ... and the keyframe through the scene's LUT shows the look the cut will show
    from filmcraft.luts import apply_lut_image, lut_path

    Image.fromarray(neutral.astype(np.uint8)).save(tmp_path / "key.png")
    graded = np.asarray(Image.open(apply_lut_image(tmp_path / "key.png", lut_path("night_blue"), tmp_path / "n.png")), float)
    assert (graded[..., 2] - graded[..., 0]).mean() > (neutral[..., 2] - neutral[..., 0]).mean() + 10
    noir = np.asarray(Image.open(apply_lut_image(tmp_path / "key.png", lut_path("noir"), tmp_path / "noir.png")), float)
    assert np.abs(noir[..., 0] - noir[..., 2]).mean() < 3  # desaturated
    assert grade_name("Mystery Look") == "neutral" and grade_name("Golden Hour") == "warm_gold"


def test_dutch_angle_tilts_the_frame(tmp_path: Path, refs: ReferenceSet):
    level = render(tmp_path, refs, plan(angle="eye_level"), "level")[0]
    dutch = render(tmp_path, refs, plan(angle="dutch"), "dutch")[0]
    assert np.abs(level - dutch).mean() > 8

    def tilt(f: np.ndarray) -> float:
        # mean orientation of strong edges: level verticals/horizontals give ~0, a roll shifts it
        gy, gx = np.gradient(f.mean(axis=2))
        mag = np.hypot(gx, gy)
        keep = mag > np.percentile(mag, 95)
        ang = np.arctan2(gy[keep], gx[keep]) % (np.pi / 2)
        ang = np.where(ang > np.pi / 4, ang - np.pi / 2, ang)
        return float(np.degrees(np.median(ang)))

    assert abs(tilt(level)) < 2.5 and abs(tilt(dutch)) > 5


def test_shot_size_and_lens_change_the_view(tmp_path: Path, refs: ReferenceSet):
    wide = render(tmp_path, refs, plan(size="extreme_wide"), "ew")[0]
    close = render(tmp_path, refs, plan(size="close_up"), "cu")[0]
    assert np.abs(wide - close).mean() > 15
    # long lens: soft background (less high-frequency detail in the top band than at 35 mm)
    short = render(tmp_path, refs, plan(size="medium", lens=35), "l35")[0]
    long = render(tmp_path, refs, plan(size="medium", lens=135), "l135")[0]
    detail = lambda f: np.abs(np.diff(f[: H // 4].mean(axis=2), axis=1)).mean()  # noqa: E731
    assert detail(long) < 0.7 * detail(short)


def test_handheld_is_seeded(tmp_path: Path, refs: ReferenceSet):
    a = render(tmp_path, refs, plan("handheld", size="medium"), "hh_a", seed=1)
    b = render(tmp_path, refs, plan("handheld", size="medium"), "hh_b", seed=1)
    c = render(tmp_path, refs, plan("handheld", size="medium"), "hh_c", seed=2)
    assert np.array_equal(a, b)
    assert np.abs(a - c).mean() > 0.5
    steps = [np.abs(a[i + 1] - a[i]).mean() for i in range(FRAMES - 1)]
    assert min(steps) > 0.05 or np.mean(steps) > 0.5  # the frame keeps breathing


def test_burn_in_and_review_sheet(tmp_path: Path, refs: ReferenceSet):
    plain = render(tmp_path, refs, plan(), "plain")[0]
    slate = render(tmp_path, refs, plan(), "slate", burn_in=True)[0]
    bottom, top = slice(int(H * 0.8), H), slice(0, H // 2)
    # the slate changes the lower third; elsewhere only encoder noise differs
    assert np.abs(plain[bottom] - slate[bottom]).mean() > 3 * np.abs(plain[top] - slate[top]).mean()
    kf = keyframe(tmp_path / "slate.mp4", tmp_path / "kf.png")
    assert Image.open(kf).size == (W, H)
    sheet = contact_sheet([("s01_sh01", kf), ("s01_sh02", kf), ("s01_sh03", kf)], tmp_path / "sheet.png", columns=2)
    im = Image.open(sheet)
    assert im.width > 2 * 320 and im.height > 2 * 180


def test_bad_frame_size_is_rejected(tmp_path: Path, refs: ReferenceSet):
    with pytest.raises(ValueError, match="even"):
        render_shot(plan(), refs, tmp_path / "x.mp4", 255, 144, FPS)


def test_both_paths_render_the_same_look(tmp_path: Path, refs: ReferenceSet):
    # the parallax path composites a layer with alpha: the figures must stay cut out, not boxed
    f = render(tmp_path, refs, plan("truck_right", size="full"), "truck")
    s = render(tmp_path, refs, plan("static", size="full"), "static")
    assert f.shape[0] == s.shape[0] == FRAMES
    # same look on both paths (per-channel means agree) and no black box around the figures
    assert np.abs(f[0].mean(axis=(0, 1)) - s[0].mean(axis=(0, 1))).max() < 4
    assert (f[0].max(axis=2) < 10).mean() < 0.03


def test_transition_strip_shows_both_sides_of_each_cut(tmp_path: Path):
    from filmcraft.media import run_ffmpeg
    from filmcraft.review import transition_strip

    red, blue = tmp_path / "red.mp4", tmp_path / "blue.mp4"
    for path, colour in ((red, "red"), (blue, "blue")):
        run_ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:s=160x90:r=12:d=1", "-c:v", "libx264", "-pix_fmt",
                    "yuv420p", str(path)], "test clip")
    film = tmp_path / "film.mp4"
    run_ffmpeg(["-i", str(red), "-i", str(blue), "-filter_complex", "[0:v][1:v]concat=n=2:v=1[v]", "-map", "[v]",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", str(film)], "test film")
    strip = Image.open(transition_strip(film, [("red > blue cut", 1.0), ("tail", 2.0)], tmp_path / "strip.png",
                                        tile_width=80)).convert("RGB")
    tile_h = 46 + max(14, 80 // 16)  # a frame scaled to 80 wide (height even: 46) plus its label
    assert strip.size == (5 * 84 + 4, 2 * (tile_h + 4) + 4)  # five frames around each of two cuts
    before, after = strip.getpixel((4 + 40, 4 + 20)), strip.getpixel((4 + 4 * 84 + 40, 4 + 20))
    assert before[0] > 180 > before[2] and after[2] > 180 > after[0]  # red before the cut, blue after
    assert strip.getpixel((4 + 4 * 84 + 40, 4 + tile_h + 4 + 20))[2] > 180  # a cut at the end shows its last frame


def test_a_new_grade_does_not_re_render_a_previs_clip(refs: ReferenceSet):
    # the previs is ungraded, so its clip cache ignores the grade; a real video backend's does not
    from filmcraft.contracts import FilmRequest
    from filmcraft.shoot import clip_cache_key

    req = FilmRequest(film_id="t", text="x", width=W, height=H, fps=FPS)
    night, dawn = plan(grade="night_blue"), plan(grade="dawn_pink")
    assert clip_cache_key(night, refs, req, "previs") == clip_cache_key(dawn, refs, req, "previs")
    assert clip_cache_key(night, refs, req, "openai") != clip_cache_key(dawn, refs, req, "openai")
    assert clip_cache_key(night, refs, req, "previs") != clip_cache_key(plan(angle="dutch"), refs, req, "previs")
