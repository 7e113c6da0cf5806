"""The previs depicts each shot: place, weather, props and subject, figures in motion, a manifest."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from filmcraft.contracts import (
    CameraSpec, FilmRequest, ReferenceSet, SceneBlock, ScenePlan, SceneContinuity, SceneToShoot, ShotPlan,
    SoundSketch,
)
from filmcraft.depiction import action_motion, depict, noun_candidates
from filmcraft.layout import FilmLayout
from filmcraft.media import run_ffmpeg
from filmcraft.previs import render_shot
from filmcraft.references.cards import character_colour
from filmcraft.references.places import location_kind
from filmcraft.references.reference_sets import load_reference_set
from filmcraft.references.scenery import read_plate_layout
from filmcraft.shoot import shoot_scene
from filmcraft.stagecraft import describe_shot
from filmcraft.store import Studio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_previs import TagVisualLibrary  # noqa: E402 - the built-in icons, matched by name and tag

W, H, FPS, DUR = 256, 144, 12, 1.5


@pytest.fixture(scope="module")
def visuals(tmp_path_factory) -> TagVisualLibrary:
    """A real library: the packaged icon set rasterised by the visual library's own cut-out code."""
    return TagVisualLibrary(tmp_path_factory.mktemp("cutouts"))


def scene(location: str, time_of_day: str = "night", weather: str = "clear", characters=("Tomas",),
          heading: str = "") -> SceneBlock:
    return SceneBlock(scene_id="s01", index=1, heading=heading or f"EXT. {location.upper()} - {time_of_day.upper()}",
                      location=location, time_of_day=time_of_day, characters=list(characters), key_visual_elements=[],
                      narrative_objective="x", mood="tense", shots=[], weather=weather,
                      sound_sketch=SoundSketch(ambience="x", music_mood="tense"))


def plan(location: str = "Lighthouse", action: str = "", characters=("Tomas",), weather: str = "clear",
         subject: str = "", props=(), size: str = "wide", movement: str = "static", time_of_day: str = "night",
         shot: str = "s01_sh01") -> ShotPlan:
    return ShotPlan(shot_id=shot, scene_id="s01", index=1, prompt=action, action=action, characters=list(characters),
                    location=location, time_of_day=time_of_day, mood="tense", weather=weather, subject=subject,
                    props=list(props),
                    camera=CameraSpec(shot_size=size, movement=movement, angle="eye_level", lens_mm=35,
                                      lighting="x", grade="neutral", duration_s=DUR))


def frames_of(video: Path) -> np.ndarray:
    raw = video.with_suffix(".rgb")
    run_ffmpeg(["-i", str(video), "-f", "rawvideo", "-pix_fmt", "rgb24", str(raw)], "decoding a test clip")
    return np.fromfile(raw, np.uint8).reshape(-1, H, W, 3).astype(np.float64)


def render(tmp_path: Path, refs: ReferenceSet, p: ShotPlan, name: str, visuals=None):
    out = tmp_path / f"{name}.mp4"
    manifest = render_shot(p, refs, out, W, H, FPS, burn_in=False, visuals=visuals)
    return frames_of(out), manifest


# --- decisions (no rendering) ---------------------------------------------------------------------

def test_places_read_as_their_kind():
    assert location_kind("Lighthouse") == "lighthouse"
    assert location_kind("the Ross Ice Shelf") == "glacier"
    assert location_kind("Research Station") == "research_station"
    assert location_kind("Crevasse") == "crevasse"
    assert location_kind("Rainy City Street") == "city_street"
    assert location_kind("Space Station Kepler") == "space_station"
    assert location_kind("Grandmother's Kitchen") == "kitchen"
    assert location_kind("Somewhere Else") == "generic"  # a clear fallback, never a wrong place


def test_lighthouse_storm_shots_draw_the_storm_and_the_seagull(visuals):
    theme = [  # the lighthouse theme as the writer blocks it: the rescue in a storm, the bird returning at dawn
        plan(action="a storm breaks over the lighthouse as Tomas climbs the tower", weather="storm", props=["lamp"]),
        plan(action="Tomas carries the drowning seagull out of the waves", weather="storm", props=["seagull"]),
        plan(action="the seagull returns at dawn", time_of_day="dawn", characters=(), subject="the seagull"),
    ]
    manifests = [depict(p, visuals).manifest() for p in theme]
    assert all(m.location_kind == "lighthouse" for m in manifests)
    assert [m.weather for m in manifests] == ["storm", "storm", "clear"]
    assert manifests[0].figures[0].motion == "climb"
    assert {p.noun: p.visual_id for p in manifests[1].props} == {"seagull": "builtin:bird"}
    assert manifests[2].subject == "the seagull" and manifests[2].props[0].visual_id == "builtin:bird"
    assert not any(m.not_depicted for m in manifests)
    # an older plan left "clear" whose action names the storm still gets it; a temper is no weather
    assert depict(plan(action="lightning splits the sky"), visuals).weather == "storm"
    assert depict(plan(action="Tomas storms out"), visuals).weather == "clear"


def test_unknown_nouns_are_reported_not_depicted(visuals):
    m = depict(plan(props=["seagull", "zorblax quantum widget"], subject="a door onto daylight", characters=()),
               visuals).manifest()
    assert m.not_depicted == ["zorblax quantum widget"]
    assert {p.noun for p in m.props} == {"seagull", "a door onto daylight"}
    assert depict(plan(props=["seagull"]), None).manifest().not_depicted == ["seagull"]  # no library: honest
    # a noun that names the shot's own place is the painted plate, drawn without any image
    m = depict(plan("Crevasse", subject="the crevasse", characters=()), None).manifest()
    assert m.not_depicted == [] and m.props[0].visual_id == "plate:crevasse"
    # ... but the generic fallback plate is no particular place: it depicts none
    m = depict(plan("Zorblax Hall", subject="the zorblax hall", characters=()), None).manifest()
    assert m.location_kind == "generic" and m.not_depicted == ["the zorblax hall"]
    lamp = depict(plan("City Street", props=["street lamp"]), visuals).manifest().props[0]
    assert lamp.visual_id == "builtin:post-lamp"  # a street lamp is a lamp, not the street
    assert noun_candidates("a door onto daylight") == ["door onto daylight", "door"]  # phrase, then head noun


def test_motion_verbs():
    assert action_motion("she runs to the harbour") == "run"
    assert action_motion("Mara walks along the pier") == "walk"
    assert action_motion("the shelf collapses and he falls") == "fall"
    assert action_motion("they embrace at the door") == "embrace"
    assert action_motion("Tomas turns to the window") == "turn"
    assert action_motion("Ana climbs out of the crevasse") == "climb"
    assert action_motion("he reads the letter") == "stand"


# --- pictures --------------------------------------------------------------------------------------

def test_metaphor_close_up_frames_its_subject(tmp_path: Path, visuals):
    refs = load_reference_set(scene("Lighthouse", "dawn", heading="INT. LIGHTHOUSE - DAWN"), None, tmp_path, W, H)
    p = plan(subject="an hourglass", characters=(), size="close_up", time_of_day="dawn")
    shown, manifest = render(tmp_path, refs, p, "hourglass", visuals)
    assert manifest.subject == "an hourglass" and manifest.props[0].visual_id == "builtin:timer-sand"
    assert manifest.not_depicted == []
    # the cut-out's outline is near-black: nothing else in a dawn plate is that dark
    outline = shown[len(shown) // 2].max(axis=2) < 45
    assert outline.mean() > 0.02
    ys, xs = np.nonzero(outline)
    assert abs(xs.mean() - W / 2) < 0.12 * W and abs(ys.mean() - H / 2) < 0.2 * H  # ... and it is framed
    assert ys.max() - ys.min() > 0.5 * H  # a close-up: it fills the frame's height
    _, missing = render(tmp_path, refs, p, "empty", None)
    assert missing.not_depicted == ["an hourglass"]  # without a library the manifest says so


def test_rain_animates_and_a_clear_sky_holds_still(tmp_path: Path):
    wet = load_reference_set(scene("City Street", weather="rain"), None, tmp_path, W, H)
    rain, m = render(tmp_path, wet, plan("City Street", weather="rain", characters=()), "rain")
    assert m.weather == "rain"
    sky = slice(0, H // 3)
    assert np.abs(rain[0][sky] - rain[5][sky]).mean() > 0.8  # thin streaks at this tiny test size
    dry = load_reference_set(scene("City Street"), None, tmp_path, W, H)
    clear, _ = render(tmp_path, dry, plan("City Street", characters=()), "clear")
    assert np.abs(clear[0][sky] - clear[5][sky]).mean() < 0.3


def test_walking_figure_moves_in_its_screen_direction(tmp_path: Path):
    refs = load_reference_set(scene("Desert", "day", characters=("Mara",)), None, tmp_path, W, H)
    f, m = render(tmp_path, refs, plan("Desert", action="Mara walks across the dunes", characters=("Mara",),
                                       time_of_day="day"), "walk")
    assert [(x.name, x.motion, x.direction) for x in m.figures] == [("Mara", "walk", "right")]
    coat = np.asarray(character_colour("Mara"), float)

    def figure_x(frame: np.ndarray) -> float:
        near = np.abs(frame - coat).sum(axis=2) < 60
        return float(np.nonzero(near)[1].mean())

    xs = [figure_x(f[i]) for i in (0, len(f) // 2, len(f) - 1)]
    assert xs[0] < xs[1] < xs[2] and xs[2] - xs[0] > 0.1 * W


def test_a_falling_figure_ends_lying_down(tmp_path: Path):
    refs = load_reference_set(scene("Ice Shelf", "day", characters=("Piet",)), None, tmp_path, W, H)
    f, m = render(tmp_path, refs, plan("Ice Shelf", action="the shelf cracks and Piet falls", characters=("Piet",),
                                       time_of_day="day"), "fall")
    assert [(x.motion, x.direction) for x in m.figures] == [("fall", "right")]
    coat = np.asarray(character_colour("Piet"), float)

    def coat_centre(frame: np.ndarray) -> tuple[float, float]:
        ys, xs = np.nonzero(np.abs(frame - coat).sum(axis=2) < 60)
        return float(xs.mean()), float(ys.mean())

    (x0, y0), (x1, y1) = coat_centre(f[0]), coat_centre(f[-1])
    # the body pivots on its feet toward screen right: the coat ends low and to the right
    assert y1 - y0 > 0.08 * H and x1 - x0 > 0.05 * W


def test_storm_flashes_lightning(tmp_path: Path):
    refs = load_reference_set(scene("Lighthouse", weather="storm"), None, tmp_path, W, H)
    f, m = render(tmp_path, refs, plan(weather="storm", characters=()), "storm")
    brightness = f.mean(axis=(1, 2, 3))
    assert m.weather == "storm"
    assert brightness.max() > np.median(brightness) + 25  # at least one lightning-bright frame
    assert (brightness > np.median(brightness) + 25).mean() < 0.4  # flashes, not a brighter shot


def test_plate_records_its_layout(tmp_path: Path):
    refs = load_reference_set(scene("Lighthouse"), None, tmp_path, W, H)
    layout = read_plate_layout(refs.location.path)
    assert layout.kind == "lighthouse" and not layout.interior
    d = describe_shot(plan(), refs.location.path, True, None)
    assert d.location_kind == "lighthouse"


def test_manifest_is_stored_with_each_clip(tmp_path: Path, visuals):
    studio = Studio(tmp_path / "studio")
    req = FilmRequest(film_id="depict", text="a lighthouse keeper saves a seagull", width=W, height=H, fps=FPS)
    files = FilmLayout(studio.film_dir("depict"))
    block = scene("Lighthouse", weather="storm")
    shots = [plan(action="Tomas walks to the tower", weather="storm", props=["seagull", "zorblax"])]
    refs_calls = []

    def render_clip(shot, refs, out, seed):
        refs_calls.append(shot.shot_id)
        render_shot(shot, refs, out, W, H, FPS, visuals=visuals)

    def describe(shot, refs):
        return describe_shot(shot, refs.location.path, refs.location.generated, visuals).manifest()

    item = SceneToShoot(block=block, continuity=SceneContinuity())
    shot = shoot_scene(item, ScenePlan(scene_id="s01", shots=shots), req, studio, files, render_clip, "previs", describe)
    info = shot.clips.clips[0]
    assert info.manifest is not None and info.manifest.location_kind == "lighthouse"
    assert info.manifest.weather == "storm" and info.manifest.not_depicted == ["zorblax"]
    assert [(f.name, f.motion) for f in info.manifest.figures] == [("Tomas", "walk")]
    again = shoot_scene(item, ScenePlan(scene_id="s01", shots=shots), req, studio, files, render_clip, "previs", describe)
    assert again.rendered == 0 and again.clips.clips[0].manifest == info.manifest  # a cached clip keeps its manifest
