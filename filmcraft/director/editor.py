"""The offline analyst and editor: review notes -> edit actions -> picture-lock decisions.

The analyst turns each note into a concrete action with parameters measured from the cut and the
profile; the editor applies them deterministically with the house rules: every surviving shot
gets exactly one of trim / accelerate / retain, each scene keeps at least one shot, and no shot
plays shorter than 1.0 s.

The editor also chooses the transition at every cut of the fine cut, and the split edits of the
sound across scene changes (``choose_transitions``), from the scene change (place, time of day, a
match on the subject), the audience profile and the review's transition notes; every choice says why.
"""

from __future__ import annotations

import math

from filmcraft.contracts import (
    SHOT_SIZES, AudienceProfile, AudienceReview, CutShot, EditAction, EditAnalysis, EditDecision, ReviewNote,
    RoughCut, ShotPlan, TransitionChoice,
)
from filmcraft.director.audience import WORDS_PER_SECOND

MIN_SHOT_S = 1.0
SPEED_RANGE = (1.1, 1.5)


def _line_need(plan: ShotPlan | None) -> float:
    """Seconds a spoken line needs on screen (0 when the shot is silent)."""
    if not plan or not plan.dialogue:
        return 0.0
    return len(plan.dialogue.split()) / WORDS_PER_SECOND + 0.3


def _removable(cs: CutShot, shots: list[CutShot], removed: set[str]) -> bool:
    left_in_scene = [s for s in shots if s.scene_id == cs.scene_id and s.shot_id not in removed and s.shot_id != cs.shot_id]
    return bool(left_in_scene)


def analyse_review(review: AudienceReview, cut: RoughCut, plans: dict[str, ShotPlan],
                   profile: AudienceProfile) -> EditAnalysis:
    if not cut.shots:
        raise ValueError(f"rough cut of {cut.film_id!r} has no shots: nothing to edit")
    actions: list[EditAction] = []
    by_id = {cs.shot_id: cs for cs in cut.shots}
    lo, hi = profile.shot_length_s
    removed: set[str] = set()

    # --- structure: remove redundant set-ups, fix openings and late establishing shots ----
    for n in review.notes:
        if n.category != "structure" or not n.shot_id or n.shot_id not in by_id:
            continue
        cs = by_id[n.shot_id]
        if n.text.startswith("redundant set-up") and _removable(cs, cut.shots, removed):
            removed.add(cs.shot_id)
            actions.append(EditAction(group="structure", action="remove", shot_id=cs.shot_id, timecode=n.timecode,
                                      reason=f"audience note: {n.text}"))
        elif n.text.startswith("establishing shot"):
            first = next(i for i, s in enumerate(cut.shots) if s.scene_id == cs.scene_id)
            actions.append(EditAction(group="structure", action="reorder", shot_id=cs.shot_id, timecode=n.timecode,
                                      params={"position": float(first)},
                                      reason=f"open the scene on its establishing shot ({n.text})"))
        elif n.text.startswith("slow opening"):
            first_scene = cut.shots[0].scene_id
            opener = next((s for s in cut.shots if s.scene_id == first_scene and plans.get(s.shot_id)
                           and (plans[s.shot_id].action or plans[s.shot_id].dialogue)
                           and plans[s.shot_id].camera.shot_size not in ("extreme_wide", "wide")), None)
            if profile.slow_open_tolerance < 0.3 and opener is not None and opener is not cut.shots[0]:
                # an impatient audience: cold-open on the action, establish after
                actions.append(EditAction(group="structure", action="reorder", shot_id=opener.shot_id,
                                          timecode=opener.record_in, params={"position": 0.0},
                                          reason=f"open on action for a {profile.name} audience ({n.text})"))
            else:
                first = cut.shots[0]
                keep = max(MIN_SHOT_S, min(first.duration, lo + 0.5 * (hi - lo)))
                actions.append(EditAction(group="timing", action="trim", shot_id=first.shot_id, timecode=first.record_in,
                                          params={"in": round(first.duration - keep, 3), "out": round(first.duration, 3)},
                                          reason=f"shorten the opening ({n.text})"))

    # --- timing: bring each shot into the audience's preferred length ----------------------
    timed = {a.shot_id for a in actions if a.group == "timing"}
    runtime = 0.0
    for cs in cut.shots:
        if cs.shot_id in removed:
            continue
        plan = plans.get(cs.shot_id)
        need = _line_need(plan)
        floor = max(MIN_SHOT_S, need)
        dur = cs.duration
        if cs.shot_id in timed:
            a = next(a for a in actions if a.shot_id == cs.shot_id and a.group == "timing")
            runtime += a.params["out"] - a.params["in"]
            continue
        if dur <= hi or dur <= floor:
            actions.append(EditAction(group="timing", action="retain", shot_id=cs.shot_id, timecode=cs.record_in,
                                      reason=f"{dur:.1f}s already suits a {lo:.1f}-{hi:.1f}s rhythm" if dur <= hi
                                      else f"the spoken line needs {need:.1f}s"))
            runtime += dur
            continue
        target = max(floor, hi)
        ratio = dur / target
        # movement within the shot can be sped up a little; speech cannot
        if not need and profile.music_intensity >= 0.6 and ratio <= SPEED_RANGE[1]:
            speed = round(min(SPEED_RANGE[1], max(SPEED_RANGE[0], ratio)), 3)
            actions.append(EditAction(group="timing", action="accelerate", shot_id=cs.shot_id, timecode=cs.record_in,
                                      params={"speed": speed},
                                      reason=f"{dur:.1f}s plays long for a {profile.name} audience: speed x{speed}"))
            runtime += dur / speed
        else:
            excess = dur - target
            src_in = round(0.3 * excess, 3)  # most of the excess comes off the tail; the action sits mid-shot
            src_out = round(src_in + target, 3)
            actions.append(EditAction(group="timing", action="trim", shot_id=cs.shot_id, timecode=cs.record_in,
                                      params={"in": src_in, "out": src_out},
                                      reason=f"trim {dur:.1f}s to {target:.1f}s for a {lo:.1f}-{hi:.1f}s rhythm"))
            runtime += target

    # --- structure again: runtime over the audience's ceiling drops the least needed shots --
    rhi = profile.runtime_s[1]
    if runtime > rhi:
        priority = {"metaphor": 0, "contextual": 1, "establishing": 2, "primary": 3}
        kinds = {}
        for cs in cut.shots:
            p = plans.get(cs.shot_id)
            kind = "primary"
            if p and p.camera.shot_size == "extreme_wide" and cs is next(s for s in cut.shots if s.scene_id == cs.scene_id):
                kind = "establishing"
            elif p and not p.action and not p.dialogue:
                kind = "contextual"
            elif p and p.action and not p.characters and not p.dialogue:
                kind = "metaphor"
            kinds[cs.shot_id] = kind
        for cs in sorted(cut.shots, key=lambda s: (priority[kinds[s.shot_id]], -s.duration)):
            if runtime <= rhi:
                break
            if cs.shot_id in removed or not _removable(cs, cut.shots, removed):
                continue
            t = next(a for a in actions if a.shot_id == cs.shot_id and a.group == "timing")
            length = (t.params["out"] - t.params["in"]) if t.action == "trim" else cs.duration / t.params.get("speed", 1.0)
            removed.add(cs.shot_id)
            actions.remove(t)
            runtime -= length
            actions.append(EditAction(group="structure", action="remove", shot_id=cs.shot_id, timecode=cs.record_in,
                                      reason=f"runtime over the {rhi:.0f}s a {profile.name} audience accepts"))

    # --- audio ----------------------------------------------------------------------------
    for n in review.notes:
        if n.category == "voice_over":
            if n.text.startswith("crowded line") and n.shot_id:
                actions.append(EditAction(group="audio", action="adjust_vo", shot_id=n.shot_id, timecode=n.timecode,
                                          params={"max_words_per_s": WORDS_PER_SECOND, "tail_s": 0.3},
                                          reason=f"let the line breathe: {n.text}"))
            elif n.text.startswith(("too much talk", "too little speech", "voice-over missing")):
                actions.append(EditAction(group="audio", action="adjust_vo", shot_id=n.shot_id, timecode=n.timecode,
                                          params={"dialogue_density": profile.dialogue_density},
                                          reason=n.text))
    actions.append(EditAction(group="audio", action="adjust_music",
                              params={"intensity": profile.music_intensity},
                              reason=f"score level for a {profile.name} audience"))
    # transitions are chosen on the order and lengths the fine cut will have
    decisions, _ = apply_fine_cut(cut, EditAnalysis(actions=actions))
    return EditAnalysis(actions=actions, transitions=choose_transitions(decisions, plans, profile, review.notes))


def apply_fine_cut(cut: RoughCut, analysis: EditAnalysis) -> tuple[list[EditDecision], list[str]]:
    """Apply the analysis: reorder, remove, then one timing decision per surviving shot."""
    if not cut.shots:
        raise ValueError(f"rough cut of {cut.film_id!r} has no shots: nothing to lock")
    order = list(cut.shots)
    ids = {cs.shot_id for cs in order}
    for a in analysis.actions:
        if a.action == "reorder" and a.shot_id in ids:
            cs = next(s for s in order if s.shot_id == a.shot_id)
            order.remove(cs)
            pos = int(max(0, min(len(order), a.params.get("position", 0))))
            order.insert(pos, cs)
    removed: list[str] = []
    for a in analysis.actions:
        if a.action == "remove" and a.shot_id in ids and a.shot_id not in removed:
            cs = next(s for s in order if s.shot_id == a.shot_id)
            if _removable(cs, order, set(removed)):  # never empty a scene, never empty the film
                removed.append(a.shot_id)
    survivors = [cs for cs in order if cs.shot_id not in removed]
    timing = {}
    for a in analysis.actions:
        if a.action in ("trim", "accelerate", "retain") and a.shot_id:
            timing[a.shot_id] = a  # the last timing action for a shot wins
    decisions: list[EditDecision] = []
    record = 0.0
    for cs in survivors:
        a = timing.get(cs.shot_id)
        src_in, src_out, speed, kind = 0.0, cs.duration, 1.0, "retain"
        if a is not None and a.action == "trim":
            src_in = min(max(0.0, a.params.get("in", 0.0)), cs.duration)
            src_out = min(max(src_in, a.params.get("out", cs.duration)), cs.duration)
            if src_out - src_in < MIN_SHOT_S:
                # never trim below a second: widen around the chosen segment within the clip
                src_out = min(cs.duration, src_in + MIN_SHOT_S)
                src_in = max(0.0, src_out - MIN_SHOT_S)
            kind = "trim" if (src_in > 0 or src_out < cs.duration) else "retain"
        elif a is not None and a.action == "accelerate":
            speed = min(SPEED_RANGE[1], max(SPEED_RANGE[0], a.params.get("speed", SPEED_RANGE[0])))
            speed = min(speed, max(1.0, cs.duration / MIN_SHOT_S))
            kind = "accelerate" if speed > 1.0 else "retain"
        d = EditDecision(shot_id=cs.shot_id, scene_id=cs.scene_id, clip_path=cs.clip_path, decision=kind,
                         source_in=round(src_in, 4), source_out=round(src_out, 4), speed=round(speed, 4),
                         record_in=round(record, 4))
        decisions.append(d)
        record += d.duration
    return decisions, removed


# --- transitions and split edits ---------------------------------------------------------------

def _clamp(x: float, lo: float, hi: float) -> float:
    return round(min(hi, max(lo, x)), 2)


def _half(seconds: float) -> float:
    """Half a shot, rounded down to the centisecond (a split edit or fade may take at most half)."""
    return math.floor(seconds * 50) / 100


def _subject(plan: ShotPlan) -> str:
    return (plan.subject or (plan.characters[0] if plan.characters else "")).strip().lower()


def _time_passes(a: ShotPlan, b: ShotPlan) -> bool:
    # the writer marks a return to a place after time has passed with "Back at ..."
    return a.time_of_day != b.time_of_day or ". Back at " in b.prompt or b.prompt.startswith("Back at ")


def _match(a: ShotPlan, b: ShotPlan) -> str:
    """What the two sides of a scene change match on (empty: no match cut)."""
    near = abs(SHOT_SIZES.index(a.camera.shot_size) - SHOT_SIZES.index(b.camera.shot_size)) <= 1
    if _subject(a) and _subject(a) == _subject(b) and near:
        return f"{_subject(a)} framed {b.camera.shot_size.replace('_', ' ')} on both sides"
    shared = sorted({x.lower() for x in a.props} & {x.lower() for x in b.props})
    if shared and a.camera.shot_size == b.camera.shot_size:
        return f"the {shared[0]} in the same {b.camera.shot_size.replace('_', ' ')} framing"
    return ""


def choose_transitions(decisions: list[EditDecision], plans: dict[str, ShotPlan], profile: AudienceProfile,
                       notes: list[ReviewNote] = ()) -> list[TransitionChoice]:
    """One choice per shot of the fine cut: the transition into it and the split edit of its sound.

    - First shot: a fade up from black whose length grows with the audience's patience; an impatient
      audience (slow-open tolerance under 0.2) is hooked on the first frame instead.
    - Within a scene: cuts (continuous action in one place).
    - Scene change: a match on subject or framing stays a cut; time passing in the same place
      dissolves; time passing elsewhere dips to black for a patient audience (a hard cut for an
      impatient one); a new place at the same time cuts. A review note that a scene change does not
      read turns its cut into a dissolve. Lengths scale with the audience's preferred shot length.
    - Split edits at scene changes that cut: after a spoken line the outgoing sound trails under the
      new scene (L-cut); into a new place its ambience leads the picture (J-cut).
    - Last shot: a fade out to black, or a cut to black for a music-driven audience (music 0.9+).
    """
    if not decisions:
        raise ValueError("the fine cut has no shots: nothing to choose transitions for")
    for d in decisions:
        if d.shot_id not in plans:
            raise ValueError(f"shot {d.shot_id} on the fine cut has no shot plan: re-plan scene {d.scene_id}")
    lo, hi = profile.shot_length_s
    mean = (lo + hi) / 2
    patient = profile.slow_open_tolerance >= 0.4
    dissolve_s, dip_s = _clamp(0.2 * mean, 0.4, 1.5), _clamp(0.25 * mean, 0.5, 2.0)
    split_s = _clamp(0.2 * mean, 0.3, 1.5)
    unread = {n.shot_id: n.text for n in notes if n.category == "transitions" and n.shot_id
              and "does not read" in n.text}
    choices: list[TransitionChoice] = []
    for i, d in enumerate(decisions):
        b = plans[d.shot_id]
        if i == 0:
            if profile.slow_open_tolerance < 0.2:
                c = TransitionChoice(shot_id=d.shot_id, reason=(
                    f"cut in on the first frame: a {profile.name} audience (slow-open tolerance "
                    f"{profile.slow_open_tolerance:.2f}) is hooked at once"))
            else:
                length = min(_clamp(0.3 + 1.2 * profile.slow_open_tolerance, 0.5, 2.0), _half(d.duration))
                c = TransitionChoice(shot_id=d.shot_id, transition="fade", duration_s=length, reason=(
                    f"fade up from black over {length:.2f}s: a {profile.name} audience (slow-open tolerance "
                    f"{profile.slow_open_tolerance:.2f}) settles into the film"))
        else:
            p = decisions[i - 1]
            a = plans[p.shot_id]
            c = TransitionChoice(shot_id=d.shot_id, after=p.shot_id,
                                 reason=f"continuity cut: the action goes on in {b.location}")
            if p.scene_id != d.scene_id:
                c = _scene_change(p, d, a, b, profile, patient, dissolve_s, dip_s, split_s, unread.get(d.shot_id))
        if i == len(decisions) - 1:
            if profile.music_intensity >= 0.9:
                c = c.model_copy(update={"reason": c.reason + f"; the film cuts to black on the music's last hit "
                                         f"(music intensity {profile.music_intensity:.2f})"})
            else:
                out = min(_clamp(0.3 * mean, 0.75, 2.5), _half(d.duration))
                c = c.model_copy(update={"fade_out_s": out, "reason": c.reason + f"; the film fades out to "
                                         f"black over {out:.2f}s"})
        choices.append(c)
    return choices


def _scene_change(p: EditDecision, d: EditDecision, a: ShotPlan, b: ShotPlan, profile: AudienceProfile,
                  patient: bool, dissolve_s: float, dip_s: float, split_s: float, note: str | None) -> TransitionChoice:
    where = f"{p.scene_id} ({a.location}, {a.time_of_day.replace('_', ' ')}) to {d.scene_id} " \
            f"({b.location}, {b.time_of_day.replace('_', ' ')})"
    new_place = a.location.strip().lower() != b.location.strip().lower()
    match = _match(a, b)
    base = dict(shot_id=d.shot_id, after=p.shot_id)
    if match:
        c = TransitionChoice(**base, reason=f"match cut kept as a cut from {where}: {match}")
    elif _time_passes(a, b) and not new_place:
        c = TransitionChoice(**base, transition="dissolve", duration_s=dissolve_s,
                             reason=f"time passes in one place, {where}: a {dissolve_s:.2f}s dissolve")
        return c
    elif _time_passes(a, b) and patient:
        c = TransitionChoice(**base, transition="fade", duration_s=dip_s, reason=(
            f"time passes and the place changes, {where}: a {dip_s:.2f}s dip to black marks the ellipsis "
            f"for a {profile.name} audience"))
        return c
    elif note:
        c = TransitionChoice(**base, transition="dissolve", duration_s=dissolve_s,
                             reason=f"a {dissolve_s:.2f}s dissolve marks the scene change, {where} (audience note: {note})")
        return c
    elif _time_passes(a, b):
        c = TransitionChoice(**base, reason=(f"time passes and the place changes, {where}: a hard cut keeps the "
                                             f"pace for a {profile.name} audience"))
    else:
        c = TransitionChoice(**base, reason=f"scene change at the same time, {where}: a straight cut")
    # split edits only where the picture cuts: a dissolve or a dip already carries the sound across
    if a.dialogue:
        trail = min(split_s, _half(d.duration))
        return c.model_copy(update={"sound_trail_s": trail, "reason": c.reason + (
            f"; L-cut: {p.scene_id}'s sound trails {trail:.2f}s under {d.shot_id} after the line in {p.shot_id}")})
    if new_place:
        lead = min(split_s, _half(p.duration))
        return c.model_copy(update={"sound_lead_s": lead, "reason": c.reason + (
            f"; J-cut: the {b.location} ambience leads the picture by {lead:.2f}s")})
    return c


def transition_problems(choices: list[TransitionChoice], decisions: list[EditDecision]) -> dict[str, str]:
    """What is wrong with each choice (by shot id) against the fine cut it is applied to."""
    index = {d.shot_id: i for i, d in enumerate(decisions)}
    problems: dict[str, str] = {}
    seen: set[str] = set()
    for c in choices:
        i = index.get(c.shot_id)
        if i is None:
            problems[c.shot_id] = f"shot {c.shot_id} is not on the fine cut"
            continue
        if c.shot_id in seen:
            problems[c.shot_id] = f"two choices for the cut into {c.shot_id}: give one"
        seen.add(c.shot_id)
        after = decisions[i - 1].shot_id if i else None
        if c.after != after:
            problems[c.shot_id] = (f"the choice into {c.shot_id} was made after {c.after or 'the head of the film'} "
                                   f"but follows {after or 'the head of the film'} on the fine cut")
        elif i == 0 and c.transition == "dissolve":
            problems[c.shot_id] = f"{c.shot_id} opens the film: nothing to dissolve from (use fade or cut)"
        elif i == 0 and (c.sound_lead_s or c.sound_trail_s):
            problems[c.shot_id] = f"{c.shot_id} opens the film: no cut to split"
        elif c.sound_lead_s and c.sound_trail_s:
            problems[c.shot_id] = f"the cut into {c.shot_id} is both a J-cut and an L-cut: choose one"
        elif c.fade_out_s and i != len(decisions) - 1:
            problems[c.shot_id] = f"{c.shot_id} is not the last shot: only the film's end fades out"
        elif i and c.sound_lead_s > decisions[i - 1].duration / 2 + 1e-6:
            problems[c.shot_id] = (f"a {c.sound_lead_s:.2f}s J-cut into {c.shot_id} is over half the outgoing "
                                   f"shot ({decisions[i - 1].duration:.2f}s)")
        elif c.sound_trail_s > decisions[i].duration / 2 + 1e-6:
            problems[c.shot_id] = (f"a {c.sound_trail_s:.2f}s L-cut under {c.shot_id} is over half the shot "
                                   f"({decisions[i].duration:.2f}s)")
    return problems


def _has_handles(prev: EditDecision, d: EditDecision, clip_s: dict[str, float], fps: int) -> bool:
    """Whether a dissolve from ``prev`` into ``d`` has media to blend: a frame before ``d``'s in point or
    two after ``prev``'s out point (the conform's own rule, ``conform.plan_segments``)."""
    head = d.source_in / d.speed * fps
    tail = (clip_s.get(prev.shot_id, prev.source_out) - prev.source_out) / prev.speed * fps
    return head >= 1 - 1e-6 or tail >= 2 - 1e-6


def apply_transitions(decisions: list[EditDecision], choices: list[TransitionChoice],
                      clip_s: dict[str, float] | None = None, fps: int = 24) -> tuple[list[EditDecision], list[str]]:
    """The choices onto the fine cut's decisions. A choice that does not fit the cut it lands on (made
    for another order, e.g. the rough cut's) is not applied: that cut stays a cut, and it is reported.
    ``clip_s`` (each shot's clip length): a dissolve between two shots used whole has no handles to
    blend, and would play as a cut; it becomes a dip to black, which needs none, and says so."""
    problems = transition_problems(choices, decisions)
    by_shot = {c.shot_id: c for c in choices if c.shot_id not in problems}
    if clip_s is not None:
        for prev, d in zip(decisions, decisions[1:]):
            c = by_shot.get(d.shot_id)
            if c is not None and c.transition == "dissolve" and not _has_handles(prev, d, clip_s, fps):
                by_shot[d.shot_id] = c.model_copy(update={
                    "transition": "fade", "reason": f"{c.reason}; no handles on either shot to dissolve "
                                                    "(both are used whole), so a dip to black carries it"})
    out = []
    for d in decisions:
        c = by_shot.get(d.shot_id)
        if c is None:
            out.append(d.model_copy(update={"transition": "cut", "transition_s": None, "fade_out_s": 0.0,
                                            "sound_lead_s": 0.0, "sound_trail_s": 0.0, "transition_reason": "",
                                            "split_edit_reason": ""}))
            continue
        split = "J-cut" if c.sound_lead_s else "L-cut" if c.sound_trail_s else ""
        out.append(d.model_copy(update={
            "transition": c.transition, "transition_s": c.duration_s, "fade_out_s": c.fade_out_s,
            "sound_lead_s": c.sound_lead_s, "sound_trail_s": c.sound_trail_s, "transition_reason": c.reason,
            # the split edit's own clause of the reason when the editor wrote one, else the whole reason
            "split_edit_reason": split and next((part for part in c.reason.split("; ") if part.startswith(split)), c.reason),
        }))
    return out, [problems[k] for k in problems]
