"""The editor's transitions and split edits, chosen on hand-built fine cuts: each choice follows from the
scene change and the audience profile, and says why."""

from __future__ import annotations

import pytest

from filmcraft.contracts import CameraSpec, EditDecision, ReviewNote, ShotPlan, TransitionChoice
from filmcraft.director.audience import get_profile
from filmcraft.director.editor import apply_transitions, choose_transitions, transition_problems


def _plan(shot_id: str, location: str, time_of_day: str = "night", size: str = "medium", subject: str = "",
          dialogue: str | None = None, props: list[str] = ()) -> ShotPlan:
    return ShotPlan(shot_id=shot_id, scene_id=shot_id[:3], index=int(shot_id[-2:]), prompt=f"A shot at the {location}",
                    location=location, time_of_day=time_of_day, mood="quiet", dialogue=dialogue, subject=subject,
                    props=list(props), camera=CameraSpec(shot_size=size, movement="static", angle="eye_level",
                                                         lens_mm=35, lighting="moonlight", grade="neutral",
                                                         duration_s=3.0))


def _cut(plans: list[ShotPlan], duration: float = 3.0) -> tuple[list[EditDecision], dict[str, ShotPlan]]:
    decisions = [EditDecision(shot_id=p.shot_id, scene_id=p.scene_id, clip_path=f"/dummy/{p.shot_id}.mp4",
                              decision="retain", source_in=0.0, source_out=duration, record_in=i * duration)
                 for i, p in enumerate(plans)]
    return decisions, {p.shot_id: p for p in plans}


# harbour at night -> harbour at dawn (time jump, same place) -> lighthouse at dawn (new place, same time)
# -> lighthouse at night (time jump and new place? no: same place) ... built per test below
FILM = [
    _plan("s01_sh01", "harbour", "night", "extreme_wide"),
    _plan("s01_sh02", "harbour", "night", "medium", subject="Mara"),
    _plan("s02_sh01", "harbour", "dawn", "wide"),  # time passes in the same place
    _plan("s02_sh02", "harbour", "dawn", "close_up", subject="Mara", dialogue="He is not coming back."),
    _plan("s03_sh01", "lighthouse", "dawn", "wide"),  # new place, same time, after a spoken line
    _plan("s04_sh01", "cliffs", "dawn", "wide"),  # new place, same time, no line
    _plan("s05_sh01", "village", "night", "medium", subject="the lamp"),  # new place and time passes
    _plan("s06_sh01", "harbour", "night", "medium_close_up", subject="the lamp"),  # matches the lamp
]


def _choices(profile: str, notes=()):
    decisions, plans = _cut(FILM)
    return {c.shot_id: c for c in choose_transitions(decisions, plans, get_profile(profile), list(notes))}


def test_scene_changes_choose_the_transition_and_say_why() -> None:
    c = _choices("general")
    assert c["s01_sh01"].transition == "fade" and c["s01_sh01"].after is None  # fade up from black
    assert "fade up from black" in c["s01_sh01"].reason
    assert c["s01_sh02"].transition == "cut" and "continuity" in c["s01_sh02"].reason  # same scene
    assert c["s02_sh01"].transition == "dissolve" and "time passes in one place" in c["s02_sh01"].reason
    assert not (c["s02_sh01"].sound_lead_s or c["s02_sh01"].sound_trail_s)  # the dissolve carries the sound
    # after a spoken line the old scene's sound trails (L-cut); into a new place its sound leads (J-cut)
    assert c["s03_sh01"].transition == "cut" and c["s03_sh01"].sound_trail_s > 0 == c["s03_sh01"].sound_lead_s
    assert "L-cut" in c["s03_sh01"].reason
    assert c["s04_sh01"].transition == "cut" and c["s04_sh01"].sound_lead_s > 0 == c["s04_sh01"].sound_trail_s
    assert "J-cut" in c["s04_sh01"].reason and "cliffs ambience" in c["s04_sh01"].reason
    assert c["s05_sh01"].transition == "fade" and "dip to black" in c["s05_sh01"].reason  # time and place change
    # the lamp framed medium, then medium close-up: a match cut, kept as a cut
    assert c["s06_sh01"].transition == "cut" and "match cut" in c["s06_sh01"].reason
    assert c["s06_sh01"].fade_out_s > 0 and "fades out to black" in c["s06_sh01"].reason  # the film's end
    assert all(x.reason for x in c.values())


def test_profiles_choose_differently() -> None:
    general, art, trailer = _choices("general"), _choices("arthouse"), _choices("action_trailer")
    # an impatient trailer audience is hooked on the first frame and the film cuts to black on the music
    assert trailer["s01_sh01"].transition == "cut" and "hooked" in trailer["s01_sh01"].reason
    assert trailer["s06_sh01"].fade_out_s == 0 and "cuts to black" in trailer["s06_sh01"].reason
    # time and place change: a dip for the patient, a hard cut (with the new place's sound leading) for the trailer
    assert art["s05_sh01"].transition == "fade" and trailer["s05_sh01"].transition == "cut"
    assert trailer["s05_sh01"].sound_lead_s > 0 and "keeps the pace" in trailer["s05_sh01"].reason
    # lengths scale with the audience's shot length: longer fades, dissolves and leads for arthouse
    assert art["s01_sh01"].duration_s > general["s01_sh01"].duration_s
    assert art["s02_sh01"].duration_s > general["s02_sh01"].duration_s > trailer["s02_sh01"].duration_s
    assert art["s04_sh01"].sound_lead_s > trailer["s04_sh01"].sound_lead_s
    assert art["s06_sh01"].fade_out_s > general["s06_sh01"].fade_out_s


def test_a_note_that_the_scene_change_does_not_read_dissolves_it() -> None:
    note = ReviewNote(category="transitions", shot_id="s04_sh01", timecode=15.0,
                      text="repeated set-up across the cut from s03 to s04: the scene change does not read")
    c = _choices("general", [note])
    assert c["s04_sh01"].transition == "dissolve" and "does not read" in c["s04_sh01"].reason


def test_choices_apply_only_where_they_fit() -> None:
    decisions, plans = _cut(FILM)
    choices = choose_transitions(decisions, plans, get_profile("general"))
    applied, dropped = apply_transitions(decisions, choices)
    assert not dropped
    by_id = {d.shot_id: d for d in applied}
    assert by_id["s02_sh01"].transition == "dissolve" and by_id["s02_sh01"].transition_reason
    assert by_id["s04_sh01"].sound_lead_s > 0 and by_id["s04_sh01"].split_edit_reason.startswith("J-cut")
    assert [d.record_in for d in applied] == [d.record_in for d in decisions]  # timing untouched
    # the same choices on another order (s04 moved to the head): those that no longer fit are named and cut
    moved = [decisions[5].model_copy(update={"record_in": 0.0})] + [d for i, d in enumerate(decisions) if i != 5]
    applied, dropped = apply_transitions(moved, choices)
    assert applied[0].transition == "cut" and applied[0].sound_lead_s == 0
    assert any("s04_sh01" in p and "follows the head of the film" in p for p in dropped)
    # what a model could get wrong is named
    bad = [TransitionChoice(shot_id="s01_sh01", transition="dissolve", reason="x"),
           TransitionChoice(shot_id="s04_sh01", after="s03_sh01", sound_lead_s=2.0, reason="x"),
           TransitionChoice(shot_id="s02_sh01", after="s01_sh02", fade_out_s=1.0, reason="x"),
           TransitionChoice(shot_id="s09_sh01", reason="x")]
    problems = transition_problems(bad, decisions)
    assert "nothing to dissolve from" in problems["s01_sh01"]
    assert "over half the outgoing shot" in problems["s04_sh01"]
    assert "only the film's end fades out" in problems["s02_sh01"]
    assert "not on the fine cut" in problems["s09_sh01"]
    with pytest.raises(ValueError, match="no shot plan"):
        choose_transitions(decisions, {}, get_profile("general"))


class _ScriptedAnalyst:
    """A chat model whose answer is given: what the stage does with a model's transitions is the test."""

    name = "scripted"

    def __init__(self, answer):
        self.answer, self.payload = answer, None

    def complete_json(self, role, instructions, payload, schema):
        self.payload = payload
        assert role == "analyst" and "sound_lead_s" in instructions
        return schema.model_validate(self.answer.model_dump())


def test_a_models_transitions_are_checked_against_its_own_fine_cut() -> None:
    from filmcraft import stages
    from filmcraft.contracts import AudienceReview, CutShot, EditAction, EditAnalysis, RoughCut

    decisions, plans = _cut(FILM)
    cut = RoughCut(film_id="t", shots=[CutShot(shot_id=d.shot_id, scene_id=d.scene_id, clip_path=d.clip_path,
                                               record_in=d.record_in, duration=d.duration) for d in decisions],
                   runtime_s=decisions[-1].record_out, description="", video_path="/dummy/rough.mp4")
    review = AudienceReview(profile="general", summary="", notes=[])
    actions = [EditAction(group="timing", action="retain", shot_id=d.shot_id, reason="fine") for d in decisions]
    answer = EditAnalysis(actions=actions, transitions=[
        TransitionChoice(shot_id="s02_sh01", after="s01_sh02", transition="fade", duration_s=1.0,
                         reason="the model dips here"),
        TransitionChoice(shot_id="s01_sh01", transition="dissolve", reason="the model dissolves in"),
    ])
    model = _ScriptedAnalyst(answer)
    got = {c.shot_id: c for c in stages.analyse(review, cut, plans, get_profile("general"), model).transitions}
    assert model.payload["shot_plans"]["s02_sh01"]["time_of_day"] == "dawn" and model.payload["profile"]["name"] == "general"
    assert set(got) == {d.shot_id for d in decisions}  # every cut has a choice
    assert got["s02_sh01"].transition == "fade" and got["s02_sh01"].reason == "the model dips here"
    assert got["s01_sh01"].transition == "fade" and "set aside: s01_sh01 opens the film" in got["s01_sh01"].reason
    assert got["s06_sh01"].fade_out_s > 0  # a cut the model left out: the offline editor's choice
    # an answer in the older contract (no transitions) gets the offline editor's choices
    old = stages.analyse(review, cut, plans, get_profile("general"), _ScriptedAnalyst(EditAnalysis(actions=actions)))
    assert old.transitions == choose_transitions(decisions, plans, get_profile("general"))


def test_a_split_edit_on_an_odd_length_fits_its_own_check() -> None:
    """Half of a 1.235 s shot is 0.6175 s: the editor's J-cut takes 0.61 s, which its check accepts."""
    plans = [_plan("s01_sh01", "harbour"), _plan("s02_sh01", "cliffs")]
    decisions, by_id = _cut(plans, duration=1.235)
    choices = choose_transitions(decisions, by_id, get_profile("arthouse"))
    assert choices[1].sound_lead_s == 0.61 and not transition_problems(choices, decisions)


def test_a_dissolve_without_handles_becomes_a_dip_and_says_why() -> None:
    """Two shots used whole leave no media to blend (the conform would cut): the editor dips to black,
    which needs none; with a head trimmed off the incoming shot the dissolve stands."""
    decisions, plans = _cut(FILM)
    choices = choose_transitions(decisions, plans, get_profile("general"))
    whole = {d.shot_id: 3.0 for d in decisions}  # every clip lasts exactly what the cut uses
    applied, _ = apply_transitions(decisions, choices, whole, fps=24)
    into = next(d for d in applied if d.shot_id == "s02_sh01")
    assert into.transition == "fade" and "no handles on either shot to dissolve" in into.transition_reason
    trimmed = [d.model_copy(update={"source_in": 0.5, "source_out": 3.0}) if d.shot_id == "s02_sh01" else d
               for d in decisions]
    applied, _ = apply_transitions(trimmed, choices, {**whole, "s02_sh01": 3.0}, fps=24)
    assert next(d for d in applied if d.shot_id == "s02_sh01").transition == "dissolve"
    longer = {**whole, "s01_sh02": 3.5}  # half a second left after the outgoing shot's out point
    applied, _ = apply_transitions(decisions, choices, longer, fps=24)
    assert next(d for d in applied if d.shot_id == "s02_sh01").transition == "dissolve"
