"""Sound design on a tiny real setup: built-in assets, eSpeak VO, a cosine search over tags."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

from corpus_ingest.builtin_audio.build import build_assets
from filmcraft.contracts import (
    AudioAsset, AudioHit, CameraSpec, EditDecision, PictureLock, SceneBlock, SceneBlocks, ShotPlan, ShotPrompt, SoundSketch,
)
from filmcraft.mixer import mix
from filmcraft.sound_design import design_sound, place_voice_over, scene_spans, spot_events
from filmcraft.roles import DEFAULT_RATE_WPM
from filmcraft.voice import EspeakVoice

KIT = [
    "amb-harbour-gulls", "amb-fire-crackle", "amb-city-traffic", "amb-forest-birds", "amb-room-tone",
    "mus-tense-pulse", "mus-tender-piano", "mus-epic-battle", "mus-calm-ambient",
    "fol-footsteps-wood", "fol-footsteps-gravel", "fol-knock", "fol-door-open", "fol-glass-clink", "fol-water-pour",
    "sfx-phone-ring", "sfx-bell", "sfx-whoosh",
]


def _tokens(text: str) -> Counter:
    return Counter(re.findall(r"[a-z]+", text.lower()))


class TagSearch:
    """Bag-of-words cosine over tags, emotions and description: a plain stand-in for the index."""

    def __init__(self, assets: list[AudioAsset]):
        self.assets = assets
        self.vocab = sorted({w for a in assets for w in self._doc(a)})
        self.index = {w: i for i, w in enumerate(self.vocab)}
        self.matrix = np.stack([self._vec(self._doc(a)) for a in assets])

    @staticmethod
    def _doc(a: AudioAsset) -> Counter:
        return _tokens(" ".join([*a.tags, *a.tags, *a.emotions, a.description]))

    def _vec(self, counts: Counter) -> np.ndarray:
        v = np.zeros(len(self.vocab))
        for w, c in counts.items():
            if w in self.index:
                v[self.index[w]] = c
        return v / (np.linalg.norm(v) or 1.0)

    def __call__(self, query: str, kind: str, k: int) -> list[AudioHit]:
        q = self._vec(_tokens(query))
        scores = self.matrix @ q
        order = [i for i in np.argsort(-scores, kind="stable") if self.assets[i].kind == kind]
        return [AudioHit(asset=self.assets[i], score=float(scores[i])) for i in order[:k]]


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> TagSearch:
    return TagSearch(build_assets(tmp_path_factory.mktemp("kit"), KIT))


def _camera(duration: float) -> CameraSpec:
    return CameraSpec(shot_size="medium", movement="static", angle="eye_level", lens_mm=35, lighting="moonlight",
                      grade="night_blue", duration_s=duration)


def _film() -> tuple[SceneBlocks, dict[str, ShotPlan]]:
    harbour = SceneBlock(
        scene_id="s01", index=1, heading="EXT. HARBOUR - NIGHT", location="harbour", time_of_day="night",
        characters=["Mara"], key_visual_elements=["pier", "lantern"], narrative_objective="Mara seeks Tom",
        mood="tense", voice_over="The harbour was quiet that night.",
        sound_sketch=SoundSketch(ambience="night harbour, water lapping, distant gulls", music_mood="tense",
                                 effects=["footsteps on a wooden pier"]),
        shots=[
            ShotPrompt(shot_id="s01_sh01", kind="establishing", prompt="Wide view of a dark harbour, boats at rest"),
            ShotPrompt(shot_id="s01_sh02", kind="primary", prompt="Mara on the pier",
                       action="Mara walks along the pier and knocks on the cabin door", characters=["Mara"],
                       dialogue="Is anyone there?"),
            ShotPrompt(shot_id="s01_sh03", kind="contextual", prompt="A lantern swings in the wind"),
        ],
    )
    cabin = SceneBlock(
        scene_id="s02", index=2, heading="INT. CABIN - NIGHT", location="fishing cabin", time_of_day="night",
        characters=["Old Tom", "Mara"], key_visual_elements=["fireplace"], narrative_objective="Tom tells the truth",
        mood="tender", sound_sketch=SoundSketch(ambience="crackling fire in a small cabin", music_mood="tender",
                                                effects=["glass clink"]),
        shots=[
            ShotPrompt(shot_id="s02_sh01", kind="primary", prompt="Old Tom by the fireplace",
                       action="Old Tom pours whisky into two glasses", characters=["Old Tom"],
                       dialogue="Sit down, Mara. There is something I should have told you years ago, before the storm took your father."),
            ShotPrompt(shot_id="s02_sh02", kind="contextual", prompt="Close on an old telephone", action="The phone rings"),
        ],
    )
    scenes = SceneBlocks(film_id="harbour", title="The Harbour", scenes=[harbour, cabin])
    plans: dict[str, ShotPlan] = {}
    for block in scenes.scenes:
        for i, shot in enumerate(block.shots, start=1):
            plans[shot.shot_id] = ShotPlan(
                shot_id=shot.shot_id, scene_id=block.scene_id, index=i, prompt=shot.prompt, action=shot.action,
                characters=shot.characters, location=block.location, time_of_day=block.time_of_day, mood=block.mood,
                camera=_camera(4.0), dialogue=shot.dialogue)
    return scenes, plans


def _lock() -> PictureLock:
    # s01_sh03 was removed in the fine cut; s01_sh02 trimmed by 1 s at the head; s02_sh02 accelerated
    rows = [("s01_sh01", "s01", 0.0, 4.0, 1.0), ("s01_sh02", "s01", 1.0, 4.0, 1.0),
            ("s02_sh01", "s02", 0.0, 4.0, 1.0), ("s02_sh02", "s02", 0.0, 4.0, 1.25)]
    decisions, t = [], 0.0
    for shot_id, scene_id, src_in, src_out, speed in rows:
        d = EditDecision(shot_id=shot_id, scene_id=scene_id, clip_path=f"/clips/{shot_id}.mp4",
                         decision="accelerate" if speed != 1 else ("trim" if src_in else "retain"),
                         source_in=src_in, source_out=src_out, speed=speed, record_in=t)
        decisions.append(d)
        t = d.record_out
    return PictureLock(film_id="harbour", width=1280, height=720, fps=24, decisions=decisions,
                       removed=["s01_sh03"], runtime_s=t, video_path="/film/final.mp4")


@pytest.fixture(scope="module")
def designed(kit, tmp_path_factory):
    scenes, plans = _film()
    vo_dir = tmp_path_factory.mktemp("vo")
    sheet = design_sound(_lock(), scenes, plans, kit, EspeakVoice(), vo_dir)
    return sheet, vo_dir, scenes, plans


def _by_id(sheet):
    return {c.cue_id: c for c in sheet.cues}


def test_scene_scale_beds(designed) -> None:
    sheet, *_ = designed
    lock = _lock()
    assert sheet.runtime_s == pytest.approx(lock.runtime_s)
    spans = scene_spans(lock)
    assert [(s.scene_id, s.start, round(s.end, 3)) for s in spans] == [("s01", 0.0, 7.0), ("s02", 7.0, 14.2)]
    amb = [c for c in sheet.cues if c.stem == "ambience"]
    assert [c.library_id for c in amb] == ["amb-harbour-gulls", "amb-fire-crackle"]
    assert all(c.loop for c in amb)
    # beds overlap the scene cut by a short crossfade and cover the whole film
    assert amb[0].record_in == 0.0 and amb[0].record_in + amb[0].duration == pytest.approx(7.25)
    assert amb[1].record_in == pytest.approx(6.75) and amb[1].record_in + amb[1].duration == pytest.approx(14.2)
    music = [c for c in sheet.cues if c.stem == "music"]
    assert [c.library_id for c in music] == ["mus-tense-pulse", "mus-tender-piano"]
    assert all(c.fade_in > 0 and c.fade_out > 0 and c.description for c in sheet.cues if c.stem in ("ambience", "music"))


def test_shared_music_across_scenes(kit, tmp_path) -> None:
    scenes, plans = _film()
    same = scenes.model_copy(deep=True)
    same.scenes[1].sound_sketch.music_mood = "tense"
    same.scenes[1].mood = "tense"
    sheet = design_sound(_lock(), same, plans, kit, EspeakVoice(), tmp_path)
    music = [c for c in sheet.cues if c.stem == "music"]
    assert len(music) == 1 and music[0].duration == pytest.approx(14.2)


def test_voice_over_placement_and_fit(designed) -> None:
    sheet, vo_dir, *_ = designed
    cues = _by_id(sheet)
    narration = cues["vo_s01_narration"]
    assert narration.record_in == pytest.approx(0.2) and narration.text == "The harbour was quiet that night."
    # narration gives way to Mara's line in the next shot
    line = cues["vo_s01_sh02_dialogue"]
    assert narration.record_in + narration.duration <= line.record_in
    assert line.record_in == pytest.approx(4.0 + 0.3)
    assert line.record_in + line.duration <= 7.0 - 0.2 + 1e-6
    assert "en-us" in line.description or "en+" in line.description
    # Tom's long line in a 4 s shot: sped up to the limit, then trimmed with a fade
    long = cues["vo_s02_sh01_dialogue"]
    rate = int(re.search(r"(\d+) wpm", long.description).group(1))
    assert rate == int(DEFAULT_RATE_WPM * 1.5)
    assert "trimmed" in long.description and long.fade_out > 0
    assert long.record_in + long.duration <= 11.0 - 0.2 + 1e-6
    spoken = sf.info(long.source_path).duration
    assert spoken > long.duration
    for c in (narration, line, long):
        assert Path(c.source_path).parent == vo_dir and Path(c.source_path).is_file()


def test_vo_is_content_addressed(designed, kit) -> None:
    sheet, vo_dir, scenes, plans = designed
    before = {p.name: p.stat().st_mtime_ns for p in vo_dir.glob("*.wav")}
    timeline = [(d.shot_id, d.scene_id, d.record_in, d.duration) for d in _lock().decisions]
    again = place_voice_over(timeline, scenes, plans, EspeakVoice(), vo_dir)
    after = {p.name: p.stat().st_mtime_ns for p in vo_dir.glob("*.wav")}
    assert before == after  # nothing re-synthesised
    assert {c.source_path for c in again} == {c.source_path for c in sheet.cues if c.stem == "vo"}


def test_intra_shot_events(designed) -> None:
    sheet, *_ = designed
    cues = _by_id(sheet)
    steps = cues["foley_s01_sh02_footsteps"]
    knock = cues["foley_s01_sh02_knock"]
    assert steps.library_id == "fol-footsteps-wood"  # the sketch says "wooden pier"
    assert knock.library_id == "fol-knock"
    assert 4.0 <= steps.record_in < knock.record_in < 7.0  # walks, then knocks: in text order
    assert "foley_s01_sh02_door" not in cues  # knocking on a door does not open it
    assert steps.record_in + steps.duration <= 7.0 + 1e-6
    glass = cues["foley_s02_sh01_glass"]
    assert glass.library_id == "fol-glass-clink" and 7.0 <= glass.record_in < 11.0
    phone = cues["sfx_s02_sh02_phone"]
    assert phone.library_id == "sfx-phone-ring" and 11.0 <= phone.record_in < 14.2
    assert all(c.shot_id != "s01_sh03" for c in sheet.cues)  # removed shot: nothing spotted there
    # no camera words mistaken for events
    assert not [c for c in sheet.cues if c.stem in ("foley", "sfx") and c.shot_id == "s01_sh01"]


def test_spotting_vocabulary() -> None:
    _, plans = _film()
    plan = plans["s01_sh02"].model_copy(update={"action": "He slams the door, then runs down the stairs as the bell tolls"})
    names = [e.spot.name for e in spot_events(plan, [])]
    assert names[:3] == ["door_close", "run", "bell"]
    close_up = plans["s01_sh01"].model_copy(update={"prompt": "Close-up shot, slow push in, tracking shot"})
    assert spot_events(close_up, []) == []


def test_cue_sheet_mixes(designed, tmp_path) -> None:
    sheet, *_ = designed
    report = mix(sheet, tmp_path)
    data, rate = sf.read(report.master_path)
    assert data.shape[0] == int(round(sheet.runtime_s * rate))
    assert abs(pyloudnorm.Meter(rate).integrated_loudness(data) - report.master_target_lufs) <= 0.5
    assert all(s.measured_lufs is not None for s in report.stems)  # every stem has material


def test_bad_inputs(kit, tmp_path) -> None:
    scenes, plans = _film()
    lock = _lock()
    missing = {k: v for k, v in plans.items() if k != "s02_sh02"}
    with pytest.raises(ValueError, match="s02_sh02"):
        design_sound(lock, scenes, missing, kit, EspeakVoice(), tmp_path)
    empty = lock.model_copy(update={"decisions": []})
    with pytest.raises(ValueError, match="no shots"):
        design_sound(empty, scenes, plans, kit, EspeakVoice(), tmp_path)
    # punctuation-only lines are not spoken (and do not crash the film)
    hush = {k: (v.model_copy(update={"dialogue": "..."}) if k == "s01_sh02" else v) for k, v in plans.items()}
    timeline = [(d.shot_id, d.scene_id, d.record_in, d.duration) for d in lock.decisions]
    assert not [c for c in place_voice_over(timeline, scenes, hush, EspeakVoice(), tmp_path) if c.shot_id == "s01_sh02"]
    with pytest.raises(ValueError, match="duration"):
        place_voice_over([("s01_sh01", "s01", 0.0, 0.0)], scenes, plans, EspeakVoice(), tmp_path)


def test_vision_spotter_places_what_the_model_hears(kit, tmp_path):
    """Intra-shot spotting by a multimodal model: the keyframe is sent as an image, the answer's events
    become foley/SFX cues at their place in the shot (through trims and speed changes)."""
    import json as _json

    from PIL import Image

    from filmcraft.sound_design import vision_spotter
    from resources.vision import OpenAIVisionJudge
    from tests.openai_server import OpenAIServer, chat_reply

    scenes, plans = _film()
    frame = tmp_path / "key.png"
    Image.new("RGB", (64, 36), (90, 60, 30)).save(frame)
    answer = {"events": [{"sound": "phone ring", "kind": "sfx", "at": 0.5}]}
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(_json.dumps(answer)))
        spotter = vision_spotter(OpenAIVisionJudge(server.base_url, "vision-test"), lambda plan: frame)
        sheet = design_sound(_lock(), scenes, plans, kit, EspeakVoice(), tmp_path / "vo", spotter)
        sent = [_json.loads(b) for _m, p, b in server.requests if p.endswith("/chat/completions")]
    assert len(sent) == len(_lock().decisions)  # one look per surviving shot
    assert any(part.get("type") == "image_url" for part in sent[0]["messages"][1]["content"])
    rings = [c for c in sheet.cues if c.stem == "sfx" and c.library_id == "sfx-phone-ring"]
    assert len(rings) == len(_lock().decisions)
    for d in _lock().decisions:
        cue = next(c for c in rings if c.shot_id == d.shot_id)
        expected = d.record_in + min(max((0.5 * plans[d.shot_id].camera.duration_s - d.source_in) / d.speed,
                                         0.1 * d.duration), 0.85 * d.duration)
        assert abs(cue.record_in - expected) < 0.01


def _rms_db(path: str, start: float, end: float) -> float:
    data, rate = sf.read(path)
    seg = data[int(start * rate):int(end * rate)]
    return float(20 * np.log10(np.sqrt(np.mean(seg ** 2)) + 1e-12))


@pytest.mark.parametrize("split", ["J", "L"])
def test_a_split_edit_is_heard_across_the_picture_cut(kit, tmp_path, split) -> None:
    """The picture cuts from the harbour to the cabin at 7.0 s. A 1.5 s J-cut: the cabin's fire is heard in
    the mixed wav before the cut, where a plain cut has silence. A 1.5 s L-cut: the harbour is heard under
    the cabin's first shot. Only that one bed is in the library here, so what is heard is that bed."""
    scenes, plans = _film()
    scenes = scenes.model_copy(update={"scenes": [s.model_copy(update={"voice_over": ""}) for s in scenes.scenes]})
    plans = {k: v.model_copy(update={"dialogue": None, "action": "", "prompt": "a still view"}) for k, v in plans.items()}
    place = "fishing cabin" if split == "J" else "harbour"  # the incoming scene for a J-cut, the outgoing for an L-cut

    def one_bed(query: str, kind: str, k: int):
        return kit(query, kind, 1) if kind == "ambience" and f"; {place};" in query else []

    lock = _lock()
    cut = lock.decisions[2].record_in
    assert cut == pytest.approx(7.0)
    field = "sound_lead_s" if split == "J" else "sound_trail_s"
    split_lock = lock.model_copy(update={"decisions": [d.model_copy(update={field: 1.5}) if i == 2 else d
                                                       for i, d in enumerate(lock.decisions)]})
    heard = {}
    for name, which in (("plain", lock), ("split", split_lock)):
        sheet = design_sound(which, scenes, plans, one_bed, EspeakVoice(), tmp_path / name)
        (bed,) = [c for c in sheet.cues if c.stem == "ambience"]
        report = mix(sheet, tmp_path / name)
        # J: the second before the cut, after the lead's fade in; L: the second after the cut, before its fade out
        window = (cut - 1.0, cut - 0.3) if split == "J" else (cut + 0.3, cut + 0.75)
        heard[name] = (_rms_db(report.master_path, *window), bed)
    (plain_db, plain_bed), (split_db, split_bed) = heard["plain"], heard["split"]
    print(f"\n{split}-cut: RMS {split_db:.1f} dBFS over {window} s against {plain_db:.1f} dBFS for a plain cut")
    assert plain_db < -90  # nothing plays there on a plain cut
    assert split_db > -40  # the bed plays there with the split edit
    if split == "J":
        assert split_bed.record_in == pytest.approx(cut - 1.5) and "J-cut" in split_bed.description
    else:
        assert split_bed.record_in + split_bed.duration == pytest.approx(cut + 1.5) and "L-cut" in split_bed.description


def test_a_j_cut_lets_the_narration_lead_when_the_voice_track_is_free(tmp_path) -> None:
    """The cabin's narration starts 1.5 s before the picture cuts to it (J-cut) when the harbour's last line
    has ended; a lead that would talk over that line is not taken."""
    scenes, plans = _film()
    scenes = scenes.model_copy(update={"scenes": [scenes.scenes[0], scenes.scenes[1].model_copy(
        update={"voice_over": "The fire had burned all night."})]})
    lock = _lock()
    timeline = [(d.shot_id, d.scene_id, d.record_in, d.duration) for d in lock.decisions]
    cut = lock.decisions[2].record_in

    def narration(leads, speaking=True):
        quiet = plans if speaking else {k: v.model_copy(update={"dialogue": None}) for k, v in plans.items()}
        cues = place_voice_over(timeline, scenes, quiet, EspeakVoice(), tmp_path, leads=leads)
        return next(c for c in cues if c.cue_id == "vo_s02_narration"), cues

    plain, _ = narration({})
    assert plain.record_in == pytest.approx(cut + 0.2)
    led, _ = narration({"s02_sh01": 1.5}, speaking=False)
    assert led.record_in == pytest.approx(cut + 0.2 - 1.5) and "J-cut" in led.description
    # Mara's line in s01_sh02 is still being spoken 2.5 s before the cut: the narration waits for the picture
    waited, cues = narration({"s02_sh01": 2.5})
    line = next(c for c in cues if c.cue_id == "vo_s01_sh02_dialogue")
    assert line.record_in + line.duration > cut + 0.2 - 2.5 - 0.2
    assert waited.record_in == pytest.approx(cut + 0.2) and "J-cut" not in waited.description


def test_an_l_cut_lets_a_long_line_run_on_under_the_next_shot(tmp_path) -> None:
    """Old Tom's long line in s02_sh01 is hurried and trimmed to fit its 4 s shot on a plain cut; with a
    1.5 s L-cut into s02_sh02 it runs on past the picture cut, less hurried."""
    scenes, plans = _film()
    lock = _lock()
    timeline = [(d.shot_id, d.scene_id, d.record_in, d.duration) for d in lock.decisions]
    cut = lock.decisions[3].record_in

    def line(trails):
        cues = place_voice_over(timeline, scenes, plans, EspeakVoice(), tmp_path, trails=trails)
        return next(c for c in cues if c.cue_id == "vo_s02_sh01_dialogue")

    plain, trailing = line({}), line({"s02_sh01": 1.5})
    assert plain.record_in + plain.duration <= cut
    assert cut < trailing.record_in + trailing.duration <= cut + 1.5 - 0.2 + 1e-3
    assert trailing.duration > plain.duration and "L-cut" in trailing.description
    rate = lambda c: int(re.search(r"(\d+) wpm", c.description).group(1))  # noqa: E731
    assert rate(trailing) <= rate(plain)
