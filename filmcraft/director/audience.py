"""The offline simulated audience: profiles and a measured review of the rough cut.

Every note is a measurement of the cut against the profile (shot lengths, runtime, set-ups,
size jumps, speech per second), so a different profile or a different cut gives different notes.
"""

from __future__ import annotations

import re

from filmcraft.contracts import (
    SHOT_SIZES, AudienceProfile, AudienceReview, CutShot, ReviewNote, RoughCut, SceneBlocks, ShotPlan,
)

WORDS_PER_SECOND = 2.6  # comfortable spoken pace for a line of dialogue or narration

AUDIENCE_PROFILES: dict[str, AudienceProfile] = {
    p.name: p for p in (
        AudienceProfile(name="general", description="A broad audience: clear story, steady rhythm, some patience.",
                        shot_length_s=(3.0, 6.0), runtime_s=(30.0, 120.0), dialogue_density=0.4,
                        music_intensity=0.5, slow_open_tolerance=0.5),
        AudienceProfile(name="short_drama", description="Vertical short-drama viewers: hook in seconds, lots of talk, fast cuts.",
                        shot_length_s=(2.0, 4.0), runtime_s=(20.0, 90.0), dialogue_density=0.7,
                        music_intensity=0.6, slow_open_tolerance=0.15),
        AudienceProfile(name="arthouse", description="Festival audience: long takes, silence and images over explanation.",
                        shot_length_s=(5.0, 10.0), runtime_s=(60.0, 300.0), dialogue_density=0.2,
                        music_intensity=0.3, slow_open_tolerance=0.95),
        AudienceProfile(name="family", description="Families with children: readable action, warm music, moderate pace.",
                        shot_length_s=(3.0, 5.0), runtime_s=(30.0, 150.0), dialogue_density=0.5,
                        music_intensity=0.7, slow_open_tolerance=0.45),
        AudienceProfile(name="action_trailer", description="Trailer audience: relentless pace, music-driven, open on action.",
                        shot_length_s=(1.2, 2.5), runtime_s=(15.0, 60.0), dialogue_density=0.15,
                        music_intensity=0.95, slow_open_tolerance=0.05),
        AudienceProfile(name="documentary", description="Documentary viewers: observational shots carried by narration.",
                        shot_length_s=(4.0, 8.0), runtime_s=(60.0, 300.0), dialogue_density=0.6,
                        music_intensity=0.3, slow_open_tolerance=0.7),
    )
}


def get_profile(name: str) -> AudienceProfile:
    key = re.sub(r"[\s\-]+", "_", (name or "").strip().lower())
    if key not in AUDIENCE_PROFILES:
        raise ValueError(f"unknown audience profile {name!r}: use one of {', '.join(sorted(AUDIENCE_PROFILES))}")
    return AUDIENCE_PROFILES[key]


def timecode(seconds: float, fps: int = 24) -> str:
    """Seconds -> HH:MM:SS:FF (non-drop frame)."""
    frames = int(round(max(0.0, seconds) * fps))
    ff = frames % fps
    s = frames // fps
    return f"{s // 3600:02d}:{(s // 60) % 60:02d}:{s % 60:02d}:{ff:02d}"


def _setup(plan: ShotPlan | None) -> tuple[str, str, str] | None:
    return (plan.camera.shot_size, plan.camera.movement, plan.camera.angle) if plan else None


def describe_cut(cut_shots: list[CutShot], plans: dict[str, ShotPlan]) -> str:
    """Timecoded text of the cut, one line per shot, for the reviewer."""
    lines = []
    for cs in cut_shots:
        p = plans.get(cs.shot_id)
        head = f"{timecode(cs.record_in)}-{timecode(cs.record_in + cs.duration)} {cs.shot_id} [{cs.scene_id}] {cs.duration:.2f}s"
        if p:
            c = p.camera
            what = p.action or (p.prompt.split(". ")[1] if ". " in p.prompt else p.prompt)
            line = (f"{head} {c.shot_size} {c.movement} {c.angle} {int(c.lens_mm)}mm, {p.location}, "
                    f"{p.time_of_day.replace('_', ' ')}: {what[:90]}")
            if p.dialogue:
                line += f' | says: "{p.dialogue}"'
        else:
            line = f"{head} (no plan)"
        lines.append(line)
    return "\n".join(lines)


def review_rough_cut(cut: RoughCut, plans: dict[str, ShotPlan], scenes: SceneBlocks,
                     profile: AudienceProfile) -> AudienceReview:
    if not cut.shots:
        raise ValueError(f"rough cut of {cut.film_id!r} has no shots: assemble the rough cut from the scene clips first")
    notes: list[ReviewNote] = []
    lo, hi = profile.shot_length_s
    shots = cut.shots

    def note(cat: str, text: str, cs: CutShot | None = None) -> None:
        notes.append(ReviewNote(category=cat, shot_id=cs.shot_id if cs else None,
                                timecode=round(cs.record_in, 3) if cs else None, text=text))

    # --- structure ------------------------------------------------------------------------
    opening = 0.0
    first_action = None
    for cs in shots:
        p = plans.get(cs.shot_id)
        if p and (p.action or p.dialogue) and p.camera.shot_size not in ("extreme_wide", "wide"):
            first_action = cs
            break
        opening += cs.duration
    patience = 2.0 + 10.0 * profile.slow_open_tolerance
    if opening > patience:
        note("structure", f"slow opening: {opening:.1f}s before the first action "
             f"({first_action.shot_id if first_action else 'none'}); this audience waits about {patience:.1f}s",
             shots[0])
    order = [int(cs.scene_id[1:]) for cs in shots if re.fullmatch(r"s\d+", cs.scene_id)]
    for a, b, cs in zip(order, order[1:], shots[1:]):
        if b < a:
            note("structure", f"scene order: {cs.scene_id} returns after a later scene; the story reads out of order", cs)
    seen_setups: dict[str, list[tuple[tuple[str, str, str], str]]] = {}
    for cs in shots:
        su = _setup(plans.get(cs.shot_id))
        if su is None:
            continue
        same = [sid for s2, sid in seen_setups.get(cs.scene_id, []) if s2 == su]
        if same:
            note("structure", f"redundant set-up: {' '.join(su)} repeats {same[0]} in the same scene", cs)
        seen_setups.setdefault(cs.scene_id, []).append((su, cs.shot_id))
    for sc in scenes.scenes:
        in_cut = [cs for cs in shots if cs.scene_id == sc.scene_id]
        est = [cs for cs in in_cut if (plans.get(cs.shot_id) and plans[cs.shot_id].camera.shot_size in ("extreme_wide",)
                                       and any(s.kind == "establishing" and s.shot_id == cs.shot_id for s in sc.shots))]
        if est and in_cut and in_cut[0].shot_id != est[0].shot_id:
            note("structure", f"establishing shot of {sc.location} arrives after the scene has started", est[0])

    # --- pacing ---------------------------------------------------------------------------
    for cs in shots:
        if cs.duration > hi * 1.25:
            note("pacing", f"shot drags: {cs.duration:.1f}s against a preferred {lo:.1f}-{hi:.1f}s", cs)
        elif cs.duration < lo * 0.75:
            note("pacing", f"shot too brief to read: {cs.duration:.1f}s against a preferred {lo:.1f}-{hi:.1f}s", cs)
    mean = sum(cs.duration for cs in shots) / len(shots)
    if mean > hi:
        note("pacing", f"average shot length {mean:.1f}s is slower than this audience's {lo:.1f}-{hi:.1f}s")
    elif mean < lo:
        note("pacing", f"average shot length {mean:.1f}s is faster than this audience's {lo:.1f}-{hi:.1f}s")
    rlo, rhi = profile.runtime_s
    if cut.runtime_s > rhi:
        note("pacing", f"runtime {cut.runtime_s:.1f}s is longer than the {rlo:.0f}-{rhi:.0f}s this audience expects")
    elif cut.runtime_s < rlo:
        note("pacing", f"runtime {cut.runtime_s:.1f}s is shorter than the {rlo:.0f}-{rhi:.0f}s this audience expects")

    # --- transitions ----------------------------------------------------------------------
    for prev, cs in zip(shots, shots[1:]):
        a, b = plans.get(prev.shot_id), plans.get(cs.shot_id)
        if not a or not b:
            continue
        jump = abs(SHOT_SIZES.index(a.camera.shot_size) - SHOT_SIZES.index(b.camera.shot_size))
        if prev.scene_id == cs.scene_id and jump >= 5:
            note("transitions", f"jarring size jump: {a.camera.shot_size} straight to {b.camera.shot_size}", cs)
        if prev.scene_id != cs.scene_id and _setup(a) == _setup(b):
            note("transitions", f"repeated set-up across the cut from {prev.scene_id} to {cs.scene_id}: the scene change does not read", cs)

    # --- voice-over and dialogue ----------------------------------------------------------
    spoken = 0
    for cs in shots:
        p = plans.get(cs.shot_id)
        if p and p.dialogue:
            spoken += 1
            need = len(p.dialogue.split()) / WORDS_PER_SECOND + 0.3
            if cs.duration < need:
                note("voice_over", f"crowded line: \"{p.dialogue}\" needs {need:.1f}s, the shot holds {cs.duration:.1f}s", cs)
    share = spoken / len(shots)
    if share < profile.dialogue_density - 0.3:
        silent = max((cs for cs in shots if plans.get(cs.shot_id) and not plans[cs.shot_id].dialogue),
                     key=lambda cs: cs.duration, default=None)
        note("voice_over", f"too little speech: {share:.0%} of shots speak, this audience expects about "
             f"{profile.dialogue_density:.0%}", silent)
    elif share > profile.dialogue_density + 0.3:
        talky = next((cs for cs in shots if plans.get(cs.shot_id) and plans[cs.shot_id].dialogue), None)
        note("voice_over", f"too much talk: {share:.0%} of shots speak, this audience prefers about "
             f"{profile.dialogue_density:.0%}", talky)
    narrated = [sc for sc in scenes.scenes if sc.voice_over]
    if narrated and not cut.vo_path:
        note("voice_over", f"voice-over missing: {len(narrated)} scene(s) have narration but the rough cut has no VO track")

    counts = {c: sum(n.category == c for n in notes) for c in ("structure", "pacing", "transitions", "voice_over")}
    article = "an" if profile.name[0] in "aeiou" else "a"
    summary = (f"As {article} {profile.name.replace('_', ' ')} viewer: {len(shots)} shots over {cut.runtime_s:.1f}s, average shot "
               f"{mean:.1f}s (preferred {lo:.1f}-{hi:.1f}s). Notes: " +
               ", ".join(f"{v} {k.replace('_', '-')}" for k, v in counts.items()) + ".")
    return AudienceReview(profile=profile.name, summary=summary, notes=notes)
