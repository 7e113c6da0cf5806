"""The offline analyst and editor: review notes -> edit actions -> picture-lock decisions.

The analyst turns each note into a concrete action with parameters measured from the cut and the
profile; the editor applies them deterministically with the house rules: every surviving shot
gets exactly one of trim / accelerate / retain, each scene keeps at least one shot, and no shot
plays shorter than 1.0 s.
"""

from __future__ import annotations

from filmcraft.contracts import (
    AudienceProfile, AudienceReview, CutShot, EditAction, EditAnalysis, EditDecision, RoughCut, ShotPlan,
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
    return EditAnalysis(actions=actions)


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
