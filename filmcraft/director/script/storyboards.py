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
from filmcraft.director.script.grammar import condense, has_finite_verb, place_head, time_in
from filmcraft.director.script.reading import Reading, lower_first, reading_from_synopsis
from filmcraft.director.script.setting import things_in

MAX_SCENES_TOLD = 6  # more scenes than this and neighbours share one (a short film has up to six)


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


# "This January", "In March", "By spring": a month or a season opening a sentence moves the story on
_SEASON_JUMP = (r"(?:This|That|In|By|Next|Come|Early in|Late in) (?:the )?(?:January|February|March|April|May|June|July|"
                r"August|September|October|November|December|spring|summer|autumn|fall|winter)")
# openers that cut to another line of the story or jump ahead in it
_CUT = re.compile(r"(?:Meanwhile|Elsewhere|Outside|Inside|Later|Eventually|Finally|Years later|Months later|Weeks later|"
                  r"In the end|At the end|By the end|In a final|Before (?:his|her|their) departure|"
                  r"One (?:[a-z]+ )?(?:morning|day|evening|night)|The next (?:morning|day|evening|night)|"
                  r"(?:A|An|One|Two|Three|Some) (?:[a-z]+ )?(?:days?|weeks?|months?|years?) later|" + _SEASON_JUMP + r")\b")


_JOINING = re.compile(r"\b(?:joins|join|joined|accompanies|accompany|catches up with|returns to)\b")


def _cuts_away(scene: list[Beat], b: Beat, reading: Reading) -> bool:
    """Does beat ``b`` leave the scene though it keeps its place and time? The text cuts ("Meanwhile",
    "In the end"), or, where the beat names no place of its own, other people act and no one of the
    scene does: another event, told where the story happens to be."""
    if _CUT.match(b.text):
        return True
    here = {c for x in scene for c in x.characters}
    if b.named_place or not b.characters or _JOINING.search(b.text):
        return False  # "Bajie joins": the newcomer comes to the people already there
    if not here & set(b.characters):
        # nobody of the scene acts: another event, unless the one acting is someone's own ("Chiara's
        # father wants to cancel" is at Chiara's side)
        return not any(re.search(re.escape(a) + r"'s\s+(?:[a-z\-]+\s+){0,2}" + re.escape(n.split()[-1]) + r"\b", b.text)
                       for c in here for a in reading.aliases.get(c, [c]) for n in b.characters)
    # a place the text never named is only where the writer put the story: there, people the scene
    # has not had arriving make another event ("She finds adoptive parents, Mark and Vanessa")
    return not any(x.named_place for x in scene) and bool(set(b.characters) - here)


def _group_scenes(beats: list[Beat], reading: Reading) -> list[list[Beat]]:
    scenes: list[list[Beat]] = []
    for b in beats:
        if scenes and scenes[-1][-1].place == b.place and scenes[-1][-1].time == b.time and not _cuts_away(scenes[-1], b, reading):
            scenes[-1].append(b)
        else:
            scenes.append([b])
    # a run of beats at one place and time is one scene however long: time passes only where the
    # text says so (splitting it and advancing the clock invented sunsets and split one event's cast)
    if len(scenes) == 1 and len(beats) >= 2:
        # one place, one time: the story still has two scenes (a continuous action, "fly a kite
        # until the string snaps and it sails away", is one beat, and so one scene). By day the lead-in is the morning
        # before the events, which keep the time the text gives them (pushing them later invented
        # sunsets); a story set at night or dusk keeps its opening hour and the turn comes later
        split = next((i for i, b in enumerate(beats) if b.kind in ("turn", "climax")), len(beats) - 1) or 1
        earlier = "dawn" if beats[0].time == "day" and any(time_in(b.text) in (None, "day") for b in beats[split:]) \
            else None
        for b in beats[:split] if earlier else beats[split:]:
            if not earlier and time_in(b.text) == b.time:
                continue  # "chases him through the market at night": the text's own hour stays
            b.time = earlier or (advance(b.time) if b.time != "night" else "dawn")
        beats[split].time_jump = True
        scenes = [beats[:split], beats[split:]]
    while len(scenes) > MAX_SCENES_TOLD:
        # merge the adjacent pair that shares its people, then a place revisited, then the fewest beats
        def cast(sc: list[Beat]) -> set[str]:
            return {c for b in sc for c in b.characters}
        pairs = sorted(range(len(scenes) - 1), key=lambda i: (not cast(scenes[i]) & cast(scenes[i + 1]),
                                                                scenes[i][0].place != scenes[i + 1][0].place,
                                                                len(scenes[i]) + len(scenes[i + 1]), i))
        i = pairs[0]
        merged = scenes[i] + scenes[i + 1]
        for b in merged:
            b.place, b.time = scenes[i][0].place, scenes[i][0].time
        scenes[i:i + 2] = [merged]
    told = " ".join(reading.sentences).lower()
    _set_apart(scenes, reading, {b.place for b in beats if b.named_place or re.search(
        r"\b" + re.escape(place_head(b.place)) + r"\b", told)})
    return scenes


def _set_apart(scenes: list[list[Beat]], reading: Reading, named: set[str]) -> None:
    """Two events cut together at one place and time are two scenes only if the place or the time
    differs: where the text never named the place it gets another of the story's places; at a place
    the text named, the clock moves on, unless the scene before has just named the place and the
    text does not say time passes ("Later", "In the end"): then the two are one scene after all."""
    k = 1
    while k < len(scenes):
        prev, sc = scenes[k - 1][0], scenes[k]
        if (prev.place, prev.time) != (sc[0].place, sc[0].time):
            k += 1
            continue
        if re.match(r"(?:Outside|Inside)\b", sc[0].text):
            k += 1  # "Outside, Arash waits": the same place from the other side of its walls, same hour
            continue
        after = scenes[k + 1][0].place if k + 1 < len(scenes) else None
        if prev.place not in named:
            options = [*reading.places, *lx.RELATED_PLACES.get(place_head(prev.place), ()), *lx.GENRE_PLACES[reading.genre]]
            other = next((p for p in options if p not in (prev.place, after)), None)
            if other:
                for b in sc:
                    b.place = other
                k += 1
                continue
        if not scenes[k - 1][-1].named_place or (_TIME_PASSES.match(sc[0].text) and not time_in(sc[0].text)) \
                or _CUT.match(sc[0].text):
            if time_in(sc[0].text) != sc[0].time:  # a text that gives the hour keeps it ("by torchlight")
                for b in sc:
                    b.time = _other_hour(sc[0].text, b.time)
            sc[0].time_jump = True
            k += 1
            continue
        scenes[k - 1:k + 1] = [scenes[k - 1] + sc]


# the hours a time word allows: "one grey morning" after a day scene is the next dawn, not a sunset
_WORD_HOURS = (("morning", ("dawn", "day")), ("afternoon", ("day", "golden_hour")), ("evening", ("dusk", "night")),
               ("night", ("night", "dusk")), ("day", ("day", "dawn")))


def _other_hour(text: str, time: str) -> str:
    """Another hour than ``time`` for a scene cut away from one at the same place: one its own time
    word allows, else the next."""
    tl = text.lower()
    for word, hours in _WORD_HOURS:
        if re.search(r"\b" + word + r"\b", tl):
            other = next((h for h in hours if h != time), None)
            if other:
                return other
    return advance(time) if time != "night" else "dawn"


_TIME_PASSES = re.compile(r"(?:Later|Eventually|Finally|Years later|Months later|Weeks later|In the end|At the end|By the end|"
                          r"(?:A|An|One|Two|Three|Some) (?:[a-z]+ )?(?:days?|weeks?|months?|years?) later)\b")


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
    for si, group in enumerate(_group_scenes(beats, reading), start=1):
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
