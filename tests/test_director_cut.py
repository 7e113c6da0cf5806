"""Audience review, edit analysis and fine cut: profiles must lock measurably different films."""

from __future__ import annotations

import re

import pytest

from filmcraft.contracts import (
    AudienceReview, CutShot, FilmRequest, RetrievedReference, ReviewNote, RoughCut, SceneContinuity, SceneReferences,
)
from filmcraft.director.audience import (
    AUDIENCE_PROFILES, describe_cut, get_profile, review_rough_cut, timecode,
)
from filmcraft.director.camera import replan_scene
from filmcraft.director.editor import analyse_review, apply_fine_cut
from filmcraft.director.script import (
    detail_storyboard, simplify_storyboard, structure_scene_blocks, write_synopsis,
)
from tests.test_director_camera import REFS
from tests.test_director_script import SYNOPSIS


def _film(text: str = SYNOPSIS):
    syn = write_synopsis(FilmRequest(film_id="cut-test", text=text))
    simple = simplify_storyboard(syn)
    blocks = structure_scene_blocks("cut-test", syn, simple, detail_storyboard(syn, simple))
    plans = {}
    prev = None
    for i, b in enumerate(blocks.scenes):
        refs = SceneReferences(scene_id=b.scene_id, query="q", k=len(REFS), references=[
            RetrievedReference(caption_id=c, score=s, text=t, source="test") for c, s, t in REFS])
        for p in replan_scene(b, refs, SceneContinuity.following(prev, last_scene=i == len(blocks.scenes) - 1)).shots:
            plans[p.shot_id] = p
        prev = b
    shots, t = [], 0.0
    for b in blocks.scenes:
        for s in b.shots:
            d = plans[s.shot_id].camera.duration_s
            shots.append(CutShot(shot_id=s.shot_id, scene_id=b.scene_id, clip_path=f"/dummy/{s.shot_id}.mp4",
                                 record_in=round(t, 4), duration=d))
            t += d
    cut = RoughCut(film_id="cut-test", shots=shots, runtime_s=round(t, 4), description=describe_cut(shots, plans),
                   video_path="/dummy/rough.mp4", vo_path=None)
    return blocks, plans, cut


def _lock(profile_name: str):
    blocks, plans, cut = _film()
    profile = get_profile(profile_name)
    review = review_rough_cut(cut, plans, blocks, profile)
    analysis = analyse_review(review, cut, plans, profile)
    decisions, removed = apply_fine_cut(cut, analysis)
    return blocks, cut, review, analysis, decisions, removed


def test_profiles_are_distinct_and_lookup_is_forgiving() -> None:
    assert {"general", "short_drama", "arthouse", "family", "action_trailer", "documentary"} <= set(AUDIENCE_PROFILES)
    ranges = {p.shot_length_s for p in AUDIENCE_PROFILES.values()}
    assert len(ranges) == len(AUDIENCE_PROFILES)
    assert get_profile("  Action Trailer ").name == "action_trailer"
    assert get_profile("short-drama").name == "short_drama"
    with pytest.raises(ValueError, match="arthouse"):
        get_profile("teenagers")


def test_describe_cut_is_timecoded() -> None:
    _, plans, cut = _film()
    lines = cut.description.splitlines()
    assert len(lines) == len(cut.shots)
    assert all(re.match(r"^\d\d:\d\d:\d\d:\d\d-\d\d:\d\d:\d\d:\d\d s\d\d_sh\d\d ", l) for l in lines)
    assert timecode(61.5) == "00:01:01:12"


def test_review_measures_the_cut_against_the_profile() -> None:
    _, cut, trailer_review, *_ = _lock("action_trailer")
    _, _, art_review, *_ = _lock("arthouse")
    cats = {n.category for n in trailer_review.notes}
    assert "pacing" in cats and "voice_over" in cats  # no VO track: narration missing
    assert any(n.text.startswith("shot drags") for n in trailer_review.notes)
    assert not any(n.text.startswith("shot drags") for n in art_review.notes)
    for n in trailer_review.notes:
        if n.shot_id:
            shot = next(s for s in cut.shots if s.shot_id == n.shot_id)
            assert n.timecode == pytest.approx(shot.record_in, abs=1e-3)
    assert trailer_review.summary != art_review.summary


def test_action_trailer_and_arthouse_lock_different_films() -> None:
    def stats(name: str):
        blocks, cut, _, _, decisions, removed = _lock(name)
        runtime = decisions[-1].record_out
        return sum(d.duration for d in decisions) / len(decisions), runtime, decisions, removed, blocks, cut
    t_mean, t_run, t_dec, t_rem, blocks, cut = stats("action_trailer")
    a_mean, a_run, a_dec, a_rem, *_ = stats("arthouse")
    assert t_mean < a_mean - 0.5
    assert t_run < a_run - 3.0
    assert t_run <= cut.runtime_s
    assert {d.decision for d in t_dec} & {"trim", "accelerate"}
    for decisions, removed in ((t_dec, t_rem), (a_dec, a_rem)):
        # record_in contiguous, no shot under 1 s, speed within 1.1-1.5 when accelerated
        assert decisions[0].record_in == 0.0
        for a, b in zip(decisions, decisions[1:]):
            assert b.record_in == pytest.approx(a.record_out, abs=1e-3)
        assert all(d.duration >= 1.0 - 1e-6 for d in decisions)
        assert all(1.1 <= d.speed <= 1.5 for d in decisions if d.decision == "accelerate")
        assert all(0 <= d.source_in < d.source_out for d in decisions)
        # every scene keeps at least one shot; each surviving shot has exactly one decision
        assert {d.scene_id for d in decisions} == {sc.scene_id for sc in blocks.scenes}
        ids = [d.shot_id for d in decisions]
        assert len(ids) == len(set(ids)) and not set(ids) & set(removed)
        assert len(ids) + len(removed) == len(cut.shots)


def test_fine_cut_never_removes_a_scenes_last_shot_or_trims_below_a_second() -> None:
    blocks, plans, cut = _film()
    from filmcraft.contracts import EditAction, EditAnalysis
    everything = EditAnalysis(actions=[EditAction(group="structure", action="remove", shot_id=s.shot_id, reason="test")
                                       for s in cut.shots] +
                              [EditAction(group="timing", action="trim", shot_id=s.shot_id,
                                          params={"in": 0.2, "out": 0.4}, reason="test") for s in cut.shots])
    decisions, removed = apply_fine_cut(cut, everything)
    assert len(decisions) == len(blocks.scenes)
    assert all(d.duration >= 1.0 - 1e-6 for d in decisions)


def test_impatient_audience_opens_on_action() -> None:
    blocks, plans, cut = _film()
    profile = get_profile("short_drama")
    review = AudienceReview(profile="short_drama", summary="", notes=[ReviewNote(
        category="structure", shot_id=cut.shots[0].shot_id, timecode=0.0, text="slow opening: 9.0s before the first action")])
    analysis = analyse_review(review, cut, plans, profile)
    decisions, _ = apply_fine_cut(cut, analysis)
    first = plans[decisions[0].shot_id]
    assert first.camera.shot_size not in ("extreme_wide", "wide") and (first.action or first.dialogue)


def test_the_editor_chooses_transitions_on_the_fine_cut() -> None:
    """The analysis carries one transition per shot of the fine cut, made for the order the actions leave,
    so every one applies; different audiences get different, reasoned choices."""
    from filmcraft.director.editor import apply_transitions

    chosen = {}
    for name in ("action_trailer", "arthouse"):
        blocks, cut, review, analysis, decisions, removed = _lock(name)
        assert [c.shot_id for c in analysis.transitions] == [d.shot_id for d in decisions]
        applied, dropped = apply_transitions(decisions, analysis.transitions)
        assert not dropped and all(d.transition_reason for d in applied)
        chosen[name] = applied
    assert chosen["arthouse"][0].transition == "fade" and chosen["action_trailer"][0].transition == "cut"
    assert chosen["arthouse"][-1].fade_out_s > 0 == chosen["action_trailer"][-1].fade_out_s
