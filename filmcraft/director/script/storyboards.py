"""Storyboards: the simplified one (the synopsis as a causal chain of beats) and the detailed one
(scenes of one place and time, with establishing, primary and metaphor shots).
"""

from __future__ import annotations

import re

from filmcraft.contracts import (
    DetailedStoryboard, SimplifiedStoryboard, StoryBeat, StoryboardScene, StoryboardShot, Synopsis,
)
from filmcraft.director import lexicon as lx
from filmcraft.director.script.beats import MAX_BEATS, Beat, advance, assign_kinds, place_beats
from filmcraft.director.script.casting import CastState, cast_in
from filmcraft.director.script.grammar import condense, has_finite_verb, time_in
from filmcraft.director.script.reading import Reading, lower_first, reading_from_synopsis
from filmcraft.director.script.setting import things_in

MAX_SCENES_TOLD = 8  # more scenes than this and the shortest neighbours share one


def simplify_storyboard(syn: Synopsis) -> SimplifiedStoryboard:
    reading = reading_from_synopsis(syn)
    texts = lx.split_sentences(syn.synopsis)[:MAX_BEATS] or [syn.synopsis]
    kinds = assign_kinds(texts)
    chain: list[StoryBeat] = []
    for i, (t, k) in enumerate(zip(texts, kinds)):
        cause = ""
        if i > 0:
            prev = texts[i - 1].rstrip(".")
            cause = "because " + condense(lower_first(prev, reading), 14).rstrip(".")
        chain.append(StoryBeat(kind=k, text=t, cause=cause))
    return SimplifiedStoryboard(causal_chain=chain, outcome=chain[-1].text)


def _beats_from_chain(syn: Synopsis, simple: SimplifiedStoryboard) -> tuple[Reading, list[Beat]]:
    reading = reading_from_synopsis(syn)
    texts = [b.text for b in simple.causal_chain]
    kinds = [b.kind for b in simple.causal_chain]
    return reading, place_beats(texts, kinds, reading, [l.name for l in syn.locations])


def _group_scenes(beats: list[Beat]) -> list[list[Beat]]:
    scenes: list[list[Beat]] = []
    for b in beats:
        if scenes and scenes[-1][-1].place == b.place and scenes[-1][-1].time == b.time:
            scenes[-1].append(b)
        else:
            scenes.append([b])
    # a scene holds at most two beats: after that, time has passed in the same place; three when the
    # text itself set the time ("tonight she must ...") and so holds them in one stretch
    split_runs: list[list[Beat]] = []
    for sc in scenes:
        size = 3 if time_in(sc[0].text) == sc[0].time else 2
        for k in range(0, len(sc), size):
            chunk = sc[k:k + size]
            if k:
                later = advance(split_runs[-1][0].time)
                for b in chunk:
                    b.time = later
                chunk[0].time_jump = True
            split_runs.append(chunk)
    scenes = []
    for sc in split_runs:
        # a split can land on the next scene's own place and time: then it is one scene
        if scenes and (scenes[-1][0].place, scenes[-1][0].time) == (sc[0].place, sc[0].time):
            if len(scenes[-1]) + len(sc) <= 3:
                scenes[-1].extend(sc)
                continue
            for b in sc:
                b.time = advance(b.time)
        scenes.append(sc)
    if len(scenes) == 1 and len(beats) >= 2:
        # one place, one time: time passes before the turn, so the story still has two scenes
        split = next((i for i, b in enumerate(beats) if b.kind in ("turn", "climax")), len(beats) - 1) or 1
        later = advance(beats[0].time) if beats[0].time != "night" else "dawn"
        for b in beats[split:]:
            b.time = later
        beats[split].time_jump = True
        scenes = [beats[:split], beats[split:]]
    while len(scenes) > MAX_SCENES_TOLD:
        # merge the adjacent pair with the fewest beats; a place revisited merges first
        pairs = sorted(range(len(scenes) - 1), key=lambda i: (scenes[i][0].place != scenes[i + 1][0].place,
                                                                len(scenes[i]) + len(scenes[i + 1]), i))
        i = pairs[0]
        merged = scenes[i] + scenes[i + 1]
        for b in merged:
            b.place, b.time = scenes[i][0].place, scenes[i][0].time
        scenes[i:i + 2] = [merged]
    return scenes


def _action_clauses(text: str) -> list[str]:
    """The separate actions of a beat, one per primary shot; list items and a list of names
    ("Harry, Hermione, and Ron are drawn in") stay with their verb."""
    t = text.rstrip(".!?")
    parts = [p.strip(" ,") for p in re.split(
        r",\s+and\s+|\s+and then\s+|;\s+|,\s+while\s+|,\s+as\s+|,\s+where\s+|,\s+(?=[a-z]+ing\b)", t)]
    out: list[str] = []
    pending = ""  # a verbless opening (a list of names, a frame) waits for its verb
    for p in parts:
        has_verb = has_finite_verb(p) or any(w.endswith("ing") for w in p.split()[:2])
        if not has_verb and not out:
            pending = (pending + ", and " if pending else "") + p
            continue
        if pending:
            p, pending = pending + ", and " + p, ""
        if out and (len(p.split()) < 3 or not has_verb):
            out[-1] = out[-1] + ", " + p  # a list item, not an action of its own
        else:
            out.append(p)
    if pending:
        out.append(pending)
    out = [o[0].upper() + o[1:] for o in out if o]
    return out[:3] or [t]


def _metaphor(beat: Beat, seed: int) -> str | None:
    wl = {w.lower() for w in lx.words(beat.text)}
    best, hits = None, 0
    for feeling, (cues, images) in lx.METAPHORS.items():
        n = len(wl & set(cues))
        if n > hits:
            best, hits = (feeling, images), n
    if not best:
        return None
    return lx.pick(list(best[1]), seed, beat.text)


def detail_storyboard(syn: Synopsis, simple: SimplifiedStoryboard) -> DetailedStoryboard:
    if not simple.causal_chain:
        raise ValueError("simplified storyboard has no beats: run simplify_storyboard on a non-empty synopsis")
    reading, beats = _beats_from_chain(syn, simple)
    scenes_out: list[StoryboardScene] = []
    seen_places: set[str] = set()
    cast = CastState(recent=[syn.characters[0].name] if syn.characters else [])
    for si, group in enumerate(_group_scenes(beats), start=1):
        place, time = group[0].place, group[0].time
        shots: list[StoryboardShot] = []
        people = []
        for b in group:
            people += [c for c in b.characters if c not in people]
        tod_words = {"dawn": "at first light", "day": "in daylight", "golden_hour": "in low golden sun",
                     "dusk": "at dusk", "night": "at night"}[time]
        if place not in seen_places:
            shots.append(StoryboardShot(kind="establishing",
                                        description=f"The {place} {tod_words}" if not place[0].isupper()
                                        else f"{place} {tod_words}"))
        elif len(people) > 1 or group[0].time_jump:
            shots.append(StoryboardShot(kind="contextual",
                                        description=f"Back at the {place} {tod_words}: " + ", ".join(people[:3]),
                                        characters=people[:3]))
        seen_places.add(place)
        metaphor = None
        for b in group:
            for clause in _action_clauses(b.text):
                # the clause's own actors (pronouns resolved in story order); with nobody acting
                # ("the lamp fails") the people of the beat are the ones who see it
                chars = cast_in(clause, reading, cast) or b.characters[:2]
                shots.append(StoryboardShot(kind="primary", description=clause, characters=chars))
            if b.kind in ("turn", "climax", "outcome") and metaphor is None:
                metaphor = _metaphor(b, reading.seed)
        if metaphor:
            shots.append(StoryboardShot(kind="metaphor", description=metaphor))
        # 2-5 shots: a reaction close-up pads a one-shot scene; extra primaries fold together
        if len(shots) < 2:
            who = people[0] if people else syn.characters[0].name
            seen = things_in(" ".join(b.text for b in group))
            what = ("the " + seen[-1]) if seen else (place if place[0].isupper() else "the " + place)
            shots.append(StoryboardShot(kind="contextual", description=f"{who[0].upper() + who[1:]} reacts, watching {what}",
                                        characters=[who]))
        while len(shots) > 5:
            prim = [i for i, s in enumerate(shots) if s.kind == "primary"]
            if len(prim) >= 2:
                a, b2 = prim[-2], prim[-1]
                shots[a] = StoryboardShot(kind="primary", description=shots[a].description + ", then " + shots[b2].description,
                                          characters=list(dict.fromkeys(shots[a].characters + shots[b2].characters)))
                del shots[b2]
            else:
                del shots[-1]
        scenes_out.append(StoryboardScene(index=si, location=place, time_of_day=time,
                                          beat=" ".join(b.text for b in group), shots=shots))
    return DetailedStoryboard(scenes=scenes_out)
