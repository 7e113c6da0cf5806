"""Shot takes and candidates (issue #17 items 3-4), on real previs renders of a tiny scene: the record
(shot_takes.json), applying a take to its plan, the judge's pick from measured frames, alternates linked
beside the take in the cut, every take charged to the video budget, and restoring a take from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from filmcraft.budget import Budget
from filmcraft.contracts import CameraSpec, FilmRequest, SceneBlock, SceneContinuity, ScenePlan, SceneToShoot, ShotPlan, SoundSketch
from filmcraft.layout import FilmLayout
from filmcraft.store import Studio
from filmcraft.contracts import MAX_CANDIDATES
from filmcraft.takes import (TakesError, Take, apply_take, candidate_take, load_takes, new_take,
                             parse_camera, restore_take, take_seed)

W, H, FPS = 192, 108, 12


def _plan(shot: str = "s01_sh01", movement: str = "static", props=("lantern",), duration: float = 1.0) -> ShotPlan:
    return ShotPlan(shot_id=shot, scene_id="s01", index=int(shot[-2:]), prompt="Tomas waits by the lamp",
                    action="Tomas waits", characters=["Tomas"], location="Lighthouse", time_of_day="night",
                    mood="tense", props=list(props),
                    camera=CameraSpec(shot_size="medium", movement=movement, angle="eye_level", lens_mm=35,
                                      lighting="x", grade="neutral", duration_s=duration))


# --- the record and its flags (no rendering) ------------------------------------------------------

def test_camera_flag_is_checked_against_the_vocabulary():
    assert parse_camera("size=close_up,movement=push_in,lens=50") == \
        {"shot_size": "close_up", "movement": "push_in", "lens_mm": 50.0}
    with pytest.raises(TakesError, match=r"--camera size=closeup: not a shot size; allowed: extreme_wide, wide"):
        parse_camera("size=closeup")
    with pytest.raises(TakesError, match="unknown key 'zoom'; use size, movement, angle or lens"):
        parse_camera("zoom=2")
    with pytest.raises(TakesError, match="lens=900: give a focal length in mm, 8..300"):
        parse_camera("lens=900")
    with pytest.raises(TakesError, match="key=value"):
        parse_camera("close_up")


def test_a_take_replaces_prompt_camera_and_duration():
    plan = _plan()
    take = Take(take=2, seed=5, prompt="Tomas lights the lamp", camera={"shot_size": "close_up"}, duration_s=2.5)
    shot = apply_take(plan, take)
    assert (shot.prompt, shot.camera.shot_size, shot.camera.duration_s) == ("Tomas lights the lamp", "close_up", 2.5)
    assert shot.camera.movement == plan.camera.movement and shot.shot_id == plan.shot_id
    with pytest.raises(TakesError, match=r"s01_sh01 take 3: camera.duration_s: Input should be less than or equal to 30"):
        apply_take(plan, Take(take=3, seed=1, duration_s=45))


def test_reshoots_stack_on_the_active_take_and_restore_names_the_takes():
    plan = _plan()
    rec = new_take(None, plan, film_seed=0, camera={"shot_size": "close_up"})
    assert [t.take for t in rec.takes] == [1, 2] and rec.active == 2 and rec.chosen_by == "film-maker"
    assert rec.takes[0].seed == 0 and rec.takes[1].seed == take_seed(0, plan.shot_id, 2) != 0
    rec = new_take(rec, plan, film_seed=0, seed=7, duration_s=2.0)  # still a close-up, now 2 s
    assert rec.active_take.camera == {"shot_size": "close_up"} and rec.active_take.duration_s == 2.0
    assert restore_take(rec, plan.shot_id, 1, 0).active == 1
    with pytest.raises(TakesError, match=r"--restore 9: shot s01_sh01: take 9 does not exist; this shot has take\(s\) 1, 2, 3"):
        restore_take(rec, plan.shot_id, 9, 0)
    with pytest.raises(TakesError, match="--duration 0.1: a shot lasts more than 0.5 and at most 30 seconds"):
        new_take(rec, plan, film_seed=0, duration_s=0.1)
    with pytest.raises(TakesError, match="--camera angle=sideways: not an angle; allowed: eye_level, high"):
        parse_camera("angle=sideways")


def test_a_broken_takes_file_is_named(tmp_path: Path):
    path = tmp_path / "shot_takes.json"
    path.write_text(json.dumps({"s01_sh01": {"active": 3, "takes": [{"take": 1, "seed": 0}]}}))
    with pytest.raises(TakesError, match=r"s01_sh01: take numbers must be unique and 'active' \(3\) one of them \(1\)"):
        load_takes(path)
    path.write_text("{not json")
    with pytest.raises(TakesError, match="is not valid UTF-8 JSON"):
        load_takes(path)


def test_candidates_are_bounded():
    from filmcraft.request import RequestError, parse_request

    with pytest.raises(RequestError, match=rf"--candidates: 9 takes per shot: give 1..{MAX_CANDIDATES}"):
        parse_request({"film_id": "x", "text": "a film", "candidates": 9}, names={"candidates": "--candidates"})


def test_candidate_takes_vary_the_previs_framing():
    plan = _plan()
    takes = [candidate_take(plan, 0, k, lens_variant=True) for k in (1, 2, 3)]
    assert takes[0].camera == {} and takes[0].seed == 0
    assert [apply_take(plan, t).camera.lens_mm for t in takes] == [35.0, 28.0, 43.8]
    assert candidate_take(plan, 0, 2, lens_variant=False).camera == {}  # an endpoint: a new seed only


# --- shooting takes (real previs renders) ---------------------------------------------------------

@pytest.fixture()
def scene_setup(tmp_path: Path):
    studio = Studio(tmp_path / "studio")
    files = FilmLayout(studio.film_dir("takes"))
    block = SceneBlock(scene_id="s01", index=1, heading="EXT. LIGHTHOUSE - NIGHT", location="Lighthouse",
                       time_of_day="night", characters=["Tomas"], key_visual_elements=[], narrative_objective="x",
                       mood="tense", shots=[], sound_sketch=SoundSketch(ambience="x", music_mood="tense"))
    plans = ScenePlan(scene_id="s01", shots=[_plan("s01_sh01", "push_in"), _plan("s01_sh02", "handheld", ())])
    return studio, files, SceneToShoot(block=block, continuity=SceneContinuity()), plans


def _shoot(studio, files, item, plans, candidates: int = 1):
    from filmcraft.previs import render_shot
    from filmcraft.shoot import shoot_scene

    req = FilmRequest(film_id="takes", text="a keeper", width=W, height=H, fps=FPS, candidates=candidates)
    files.root.mkdir(parents=True, exist_ok=True)
    budget = Budget(files.root, req)

    def render(shot, refs, out, seed):
        with budget.video_render(shot.camera.duration_s, shot.shot_id):
            render_shot(shot, refs, out, W, H, FPS, seed)

    def describe(shot, refs):
        from filmcraft.stagecraft import describe_shot

        return describe_shot(shot, refs.location.path, refs.location.generated, None).manifest()

    return shoot_scene(item, plans, req, studio, files, render, "previs", describe), budget


def test_candidates_are_judged_charged_and_linked_as_alternates(scene_setup):
    studio, files, item, plans = scene_setup
    shot, budget = _shoot(studio, files, item, plans, candidates=2)
    assert shot.rendered == 4  # 2 shots x 2 takes
    ledger = budget.read()
    assert (ledger.video_shots, ledger.video_seconds) == (4, 4.0)  # every take is charged: 2 x 2 x 1.0 s
    for info in shot.clips.clips:
        assert info.take in (1, 2) and info.score is not None and "s of 1.00 s planned" in info.reason
        # the manifest's depiction against the plan: sh01 plans a lantern, sh02 no prop
        assert ("drew 0/1 planned nouns (missing lantern)" if info.shot_id == "s01_sh01"
                else "no props or prop subject planned") in info.reason
        [alt] = info.alternates
        assert alt.take == 3 - info.take and Path(alt.path).name == f"{info.shot_id}.take{alt.take}.mp4"
        assert Path(alt.path).is_file() and alt.sha256 != info.sha256 and alt.score is not None
        assert alt.reason and "sharpness" in alt.reason
    assert shot.clips.takes_sheet_path and Path(shot.clips.takes_sheet_path).is_file()
    record = load_takes(files.shot_takes)
    assert {s: (r.chosen_by, len(r.takes), r.active) for s, r in record.items()} == \
        {i.shot_id: ("judge", 2, i.take) for i in shot.clips.clips}
    # the same request again: every take is a cache hit, the judge picks the same
    again, budget = _shoot(studio, files, item, plans, candidates=2)
    assert again.rendered == 0 and budget.read().video_shots == 4
    assert [(c.take, c.sha256) for c in again.clips.clips] == [(c.take, c.sha256) for c in shot.clips.clips]


def test_a_reshoot_renders_one_clip_and_restoring_renders_none(scene_setup):
    from filmcraft.takes import edit_takes

    studio, files, item, plans = scene_setup
    first, _ = _shoot(studio, files, item, plans)
    assert first.rendered == 2 and not files.shot_takes.exists()  # one take each, as planned: no record
    old = files.shots / "s01_sh02.mp4"
    old_sha = first.clips.clips[1].sha256
    plan = plans.shots[1]
    edit_takes(files.shot_takes, lambda t: t.__setitem__(plan.shot_id, new_take(t.get(plan.shot_id), plan, 0, seed=11)))
    second, budget = _shoot(studio, files, item, plans)
    assert second.rendered == 1  # the other shot is a cache hit
    info = second.clips.clips[1]
    assert (info.take, info.seed, info.reason) == (2, 11, "chosen by the film-maker") and info.sha256 != old_sha
    [alt] = info.alternates  # the first take is still in the cache, linked beside it
    assert (alt.take, alt.sha256) == (1, old_sha) and Path(alt.path).is_file()
    record = load_takes(files.shot_takes)[plan.shot_id]
    assert record.active_take.clip_key and record.active_take.sha256 == info.sha256
    edit_takes(files.shot_takes, lambda t: t.__setitem__(plan.shot_id, restore_take(t[plan.shot_id], plan.shot_id, 1, 0)))
    third, _ = _shoot(studio, files, item, plans)
    assert third.rendered == 0 and third.clips.clips[1].sha256 == old_sha and third.clips.clips[1].take == 1
    assert old.is_file() and [a.take for a in third.clips.clips[1].alternates] == [2]


# --- the timeline: alternates as disabled tracks, every export ------------------------------------

def test_alternate_takes_are_disabled_tracks_an_editor_can_switch_to(tmp_path: Path):
    import xml.etree.ElementTree as ET

    import opentimelineio as otio

    from filmcraft.contracts import ClipInfo, CueSheet, EditDecision, PictureLock, TakeClip
    from filmcraft.media import run_ffmpeg
    from filmcraft.take_tracks import add_take_tracks
    from filmcraft.timeline import build_timeline
    from filmcraft.timeline_export import export_timeline

    def clip(name: str, seconds: float) -> Path:
        path = tmp_path / name
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc=size=160x90:rate=24:duration={seconds}", "-c:v", "libx264",
                    "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], "rendering a test clip")
        return path

    a, b = clip("s01_sh01.mp4", 3.0), clip("s01_sh02.mp4", 3.0)
    a2, b1 = clip("s01_sh01.take2.mp4", 3.0), clip("s01_sh02.take1.mp4", 1.5)  # b's take 1 is shorter
    decisions = [EditDecision(shot_id="s01_sh01", scene_id="s01", clip_path=str(a), decision="trim",
                              source_in=0.5, source_out=2.5, record_in=0.0),
                 EditDecision(shot_id="s01_sh02", scene_id="s01", clip_path=str(b), decision="trim",
                              source_in=0.5, source_out=3.0, record_in=2.0)]
    lock = PictureLock(film_id="t", width=160, height=90, fps=24, decisions=decisions, runtime_s=4.5, video_path=str(a))

    def info(shot, path, take, alt_take, alt_path):
        return ClipInfo(shot_id=shot, scene_id="s01", path=str(path), duration_s=3.0, width=160, height=90, fps=24,
                        sha256="x", backend="previs", take=take, score=0.9, reason="sharpest",
                        alternates=[TakeClip(take=alt_take, seed=7, path=str(alt_path), duration_s=3.0, sha256="y",
                                             score=0.8, reason="softer")])

    takes = {"s01_sh01": info("s01_sh01", a, 1, 2, a2), "s01_sh02": info("s01_sh02", b, 2, 1, b1)}
    tl = build_timeline("t", lock, CueSheet(film_id="t", runtime_s=4.5, cues=[]))
    assert add_take_tracks(tl, lock, takes) == 2
    videos = tl.video_tracks()
    assert [(t.name, t.enabled) for t in videos] == [("V1 picture", True), ("V2 take 1", False), ("V3 take 2", False)]
    [alt_b] = videos[1].find_clips()
    # at the record position of the take in the cut; its source range clamped to the shorter take 1
    assert videos[1].range_of_child(alt_b).start_time.to_seconds() == 2.0
    assert alt_b.source_range.start_time.to_seconds() == 0.5 and alt_b.duration().to_seconds() == 1.0
    meta = alt_b.metadata["filmaster"]
    assert (meta["shot_id"], meta["take"], meta["score"], meta["reason"]) == ("s01_sh02", 1, 0.8, "softer")
    [alt_a] = videos[2].find_clips()
    assert (videos[2].range_of_child(alt_a).start_time.to_seconds(), alt_a.duration().to_seconds()) == (0.0, 2.0)
    v1 = {c.name: c.metadata["filmaster"] for c in videos[0].find_clips()}
    assert (v1["s01_sh02"]["take"], list(v1["s01_sh02"]["alternates"])) == (2, [1])

    xml = export_timeline(tl, "fcp7xml", tmp_path / "t.xml")
    flags = [t.findtext("enabled") for t in ET.parse(xml).getroot().findall("project/children/sequence/media/video/track")]
    assert flags == ["TRUE", "FALSE", "FALSE"]
    edl = export_timeline(tl, "edl", tmp_path / "t.edl").read_text()
    assert "* TAKE 1 OF S01_SH01, ALTERNATES 2" in edl.upper() and "* TAKE 2 OF S01_SH02, ALTERNATES 1" in edl.upper()
    assert len(otio.adapters.read_from_file(str(tmp_path / "t.edl")).video_tracks()[0].find_clips()) == 2


def test_a_vision_model_picks_with_reasons_and_a_wrong_pick_is_refused_once(scene_setup):
    """With a vision endpoint (our counting server) the model sees both takes' keyframes and answers a
    validated choice; a pick of a take not shown gets the role's one repair turn."""
    from resources.vision import OpenAIVisionJudge
    from tests.openai_server import OpenAIServer, chat_reply

    studio, files, item, plans = scene_setup
    one = ScenePlan(scene_id="s01", shots=plans.shots[:1])
    bad = {"takes": [{"take": 1, "score": 3, "reason": "wide"}, {"take": 3, "score": 5, "reason": "?"}], "pick": 3}
    good = {"takes": [{"take": 1, "score": 3, "reason": "the lamp is lost in the wide frame"},
                      {"take": 2, "score": 5, "reason": "tighter lens frames Tomas and the lamp"}], "pick": 2}
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(json.dumps(bad)), chat_reply(json.dumps(good)))
        judge = OpenAIVisionJudge(server.base_url, "vision-test", role="take judge")
        from filmcraft.previs import render_shot
        from filmcraft.shoot import shoot_scene

        req = FilmRequest(film_id="takes", text="a keeper", width=W, height=H, fps=FPS, candidates=2)
        shot = shoot_scene(item, one, req, studio, files,
                           lambda p, refs, out, seed: render_shot(p, refs, out, W, H, FPS, seed), "previs", None, judge)
        assert server.calls("/v1/chat/completions") == 2  # the refused answer and its repair
        sent = json.loads(server.requests[0][2])
        images = [p for m in sent["messages"] for p in (m["content"] if isinstance(m["content"], list) else [])
                  if p.get("type") == "image_url"]
        assert len(images) == 2 and sent["response_format"]["json_schema"]["name"] == "TakeChoice"
        assert "pick 3 is not one of the takes shown (1, 2)" in json.loads(server.requests[1][2])["messages"][-1]["content"]
    [info] = shot.clips.clips
    assert (info.take, info.score, info.reason) == (2, 1.0, "tighter lens frames Tomas and the lamp")
    assert [(a.take, a.score, a.reason) for a in info.alternates] == [(1, 0.5, "the lamp is lost in the wide frame")]
