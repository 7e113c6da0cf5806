"""The synopsis: title, logline, the beats as prose, genre, mood, characters and locations."""

from __future__ import annotations

import re

from filmcraft.contracts import FilmRequest, Location, Synopsis
from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.beats import Beat
from filmcraft.director.script.expansion import story_beats
from filmcraft.director.script.grammar import condense, finite_verb, predicate
from filmcraft.director.script.reading import Reading, lower_first, read

_VAGUE_NOUNS = frozenset("""
way life past time day end world chance help sights limits odds self-doubt truth mission journey challenge
plan plans side sides place part moment lives years year others other things thing kind lot rest
""".split())


def _noun_phrases(text: str, roles: bool = False) -> list[tuple[int, str, str]]:
    """(position, phrase, head) for 'a/the/his ... noun' phrases that name a thing, not a person,
    a place or a time ('a brass compass', 'the lamp')."""
    out = []
    for m in re.finditer(r"\b(?:a|an|the|his|her|their|its)\s+((?:[a-z\-]+[ ]?){1,3})", text):
        ws: list[str] = []
        for w in m.group(1).split():
            if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or finite_verb(w, ws[-1] if ws else "a"):
                break
            ws.append(w)
        if not ws:
            continue
        head = ws[-1]
        if re.match(r"\s*[A-Z]", text[m.start(1) + len(" ".join(ws)):]):
            continue  # "the ever-loyal Minions": an epithet of a name
        if any(w in lx.ROLE_NOUNS or w in lx.GROUP_NOUNS for w in ws[:-1]):
            continue  # "his team face ...": a subject and its verb, not a thing
        if (((head in lx.ROLE_NOUNS or head.rstrip("s") in lx.ROLE_NOUNS) and not roles) or head in lx.PLACES or head in lx.TIME_WORDS
                or head in lx.GROUP_NOUNS or head in _VAGUE_NOUNS or head in world.WEATHER_WORDS or head.endswith(("ing", "ly")) or len(head) < 3):
            continue
        out.append((m.start(), " ".join(ws[-2:]), head))
    return out


def _key_object(reading: Reading) -> str:
    """The thing the story keeps returning to ('the compass' three times): the title's subject."""
    text = " ".join(reading.sentences)
    nps = _noun_phrases(text)
    sets = {pl.split()[-1].lower() for pl in reading.places}
    counts = {h: len(re.findall(r"\b" + re.escape(h) + r"\b", text, re.IGNORECASE)) for _, _, h in nps if h not in sets}
    best = [h for h in counts if counts[h] >= 2]
    if not best:
        return ""
    head = max(best, key=lambda h: (counts[h], -min(p for p, _, hh in nps if hh == h)))
    phrase = next(ph for _, ph, h in nps if h == head)  # as first introduced: "brass compass"
    return phrase


def _title(reading: Reading, beats: list[Beat]) -> str:
    """A title from what the story is about: its recurring object, else the object of its inciting
    event, else its named place; never a pairing of a person with a word of the text."""
    key = _key_object(reading)
    if key:
        return "The " + " ".join(w.capitalize() for w in key.split())
    p = reading.characters[0].name
    short = sum(len(s.split()) for s in reading.sentences) < 45
    # a theme's own event names what it is about; a synopsis's first development does
    inciting = reading.sentences[0] if short else next((b.text for b in beats if b.kind == "development"), beats[0].text)
    objs = _noun_phrases(predicate(inciting, reading.aliases.get(p, [p])), roles=True)
    if objs:
        return "The " + " ".join(w.capitalize() for w in objs[0][1].split())
    proper = next((pl for pl in reading.places if pl[0].isupper()), None)
    if proper:
        return proper
    nps = _noun_phrases(" ".join(reading.sentences))
    if nps:
        return "The " + " ".join(w.capitalize() for w in nps[0][1].split())
    return "The " + " ".join(w.capitalize() for w in reading.places[0].split())


def write_synopsis(req: FilmRequest) -> Synopsis:
    reading = read(req.text, req.seed)
    beats = story_beats(reading)
    setup = next((b.text for b in beats if b.kind == "development"), beats[0].text).rstrip(".") \
        if len(beats) <= 5 and any(b.kind == "development" for b in beats[1:3]) else beats[0].text.rstrip(".")
    peak = next((b.text for b in beats if b.kind in ("climax", "turn")), beats[-1].text).rstrip(".")
    logline = setup if peak == setup else f"{setup}; {lower_first(peak, reading)}"
    logline = condense(logline, 45)
    used_places = []
    for b in beats:
        if b.place not in used_places:
            used_places.append(b.place)
    locations = [Location(name=pl, description=("interior" if world.place_info(pl)[0] else "exterior")
                          + f"; {world.place_info(pl)[1]}") for pl in used_places]
    return Synopsis(
        title=_title(reading, beats),
        logline=logline,
        synopsis=" ".join(b.text for b in beats),
        genre=reading.genre,
        mood=reading.mood,
        characters=reading.characters,
        locations=locations,
    )
