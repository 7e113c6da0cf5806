"""Story beats: the text's events as setup, development, turn, climax and outcome, each with a
place, a time of day and its people. A short theme is expanded into an arc; a long synopsis is
condensed to its own event sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filmcraft.director import lexicon as lx
from filmcraft.director.script.casting import CastState, cast_in
from filmcraft.director.script.grammar import (
    condense, object_of, place_head, predicate, strip_setting, subject_at, time_in,
)
from filmcraft.director.script.reading import Reading, characters_in, lower_first, places_in

LONG_TEXT_WORDS = 45  # at or above this the text is a synopsis to condense, below it a theme to expand
MAX_BEATS = 8
TIME_ORDER = ("dawn", "day", "golden_hour", "dusk", "night")


# --- beats and story time ------------------------------------------------------------------

@dataclass
class Beat:
    """One story beat: what happens, where, at what time of day, and who is there."""
    kind: str
    text: str
    place: str
    time: str
    characters: list[str] = field(default_factory=list)
    time_jump: bool = False


def advance(time: str, steps: int = 1) -> str:
    """Later in the story's day; night rolls over into the next dawn."""
    return TIME_ORDER[(TIME_ORDER.index(time) + steps) % len(TIME_ORDER)]


_WHEN = {"dawn": "At dawn", "day": "By day", "golden_hour": "At sunset", "dusk": "At dusk", "night": "That night"}
_IN_PLACES = {"city", "forest", "woods", "jungle", "street", "streets", "house", "kitchen", "garden", "park",
              "village", "town", "desert", "sea", "ocean", "cave", "alley", "market", "square", "kingdom",
              "realm", "fields", "field", "valley", "mountains", "rain", "laboratory", "lab", "office",
              "bedroom", "attic", "basement", "cellar", "hallway", "library", "museum", "warehouse", "prison",
              "subway", "train", "apartment", "clearing", "meadow", "hideout", "camp", "castle", "palace"}


def _at(place: str) -> str:
    """'in the forest' but 'at the harbour': the preposition a place takes."""
    if place[0].isupper():
        return ("in " if place_head(place) in _IN_PLACES else "at ") + place
    return ("in the " if place_head(place) in _IN_PLACES else "at the ") + place


def assign_kinds(texts: list[str]) -> list[str]:
    n = len(texts)
    if n == 1:
        return ["setup"]
    kinds = ["development"] * n
    kinds[0] = "setup"
    kinds[-1] = "outcome"
    if n >= 3:
        middle = range(1, n - 1)
        climax = next((i for i in reversed(middle) if any(re.search(r"\b" + w + r"\b", texts[i].lower())
                                                           for w in lx.CLIMAX_WORDS)), n - 2)
        kinds[climax] = "climax"
        turn = next((i for i in range(1, climax) if any(re.search(r"\b" + w + r"\b", texts[i].lower())
                                                         for w in lx.TURN_WORDS)), None)
        if turn is None and climax >= 2:
            turn = climax - 1 if climax - 1 >= 1 else None
        if turn is not None:
            kinds[turn] = "turn"
    return kinds


# --- expansion of a short theme --------------------------------------------------------------

_ROUTINES = {
    "harbour": "mends nets among the moored boats", "harbor": "mends nets among the moored boats",
    "sea": "watches the swell", "forest": "follows a narrow path between the trees",
    "city": "moves through the crowds", "street": "walks the familiar street",
    "kitchen": "prepares a quiet meal", "station": "waits on the platform", "train": "watches the land go by",
    "house": "moves from room to room", "home": "keeps the house in order", "village": "crosses the square",
    "office": "works late at a desk", "school": "crosses the corridor", "beach": "walks the tideline",
    "desert": "walks into the heat", "lighthouse": "climbs the stair to the lamp", "garden": "tends the beds",
}
_TURNS = {
    "thriller": "Someone else wants {obj}, and {p} is followed to the {loc2}",
    "action": "A rival comes for {obj}, and the fight spills into the {loc2}",
    "romance": "{Obj} brings {p} face to face with a stranger at the {loc2}",
    "horror": "{At2}, {obj} begins to change, and something answers in the dark",
    "sci-fi": "{Obj} sends out a signal that draws {p} to the {loc2}",
    "fantasy": "{Obj} wakes a power that pulls {p} toward the {loc2}",
    "comedy": "Every attempt to keep {obj} goes wrong, all the way to the {loc2}",
    "drama": "{Obj} stirs a memory that takes {p} to the {loc2}",
    "adventure": "{Obj} points the way, and {p} sets out for the {loc2}",
    "mystery": "A clue hidden in {obj} leads {p} to the {loc2}",
}
_CLIMAXES = {
    "thriller": "Cornered {at2}, {p} must choose between {obj} and escape",
    "action": "{At2}, {p} stands and fights for {obj}",
    "horror": "{At2}, {p} faces what {obj} has woken",
    "sci-fi": "{At2}, {p} learns what {obj} really is",
    "fantasy": "{At2}, {p} must master {obj} or lose everything",
    "adventure": "{At2}, {p} risks everything to reach the end of the trail",
    "mystery": "{At2}, {p} uncovers the truth behind {obj}",
}
_OUTCOMES = {
    "thriller": "{P} returns to the {loc1}, safe but no longer the same",
    "action": "{P} walks back into the {loc1}, bruised and victorious",
    "romance": "back {at1}, {p} is no longer alone",
    "horror": "{P} returns to the {loc1}, but the dark has followed",
    "sci-fi": "{P} returns to the {loc1}, carrying a secret the world is not ready for",
    "fantasy": "{P} returns to the {loc1}, changed by what {obj} revealed",
    "comedy": "back {at1}, {p} finally laughs at the whole affair",
    "drama": "back {at1}, {p} makes peace with the past",
    "adventure": "{P} comes home to the {loc1} with a story to tell",
    "mystery": "back {at1}, {p} keeps the answer close",
}


_GENRE_ROUTINES = {
    "thriller": "keeps watch {at}", "action": "trains hard {at}", "romance": "lingers {at}",
    "horror": "settles uneasily {at}", "sci-fi": "runs the night checks {at}", "fantasy": "keeps the old ways {at}",
    "comedy": "fumbles through the morning {at}", "drama": "goes about the day {at}",
    "adventure": "studies an old map {at}", "mystery": "notices something out of place {at}",
}


def _expand_theme(reading: Reading) -> list[Beat]:
    text = " ".join(reading.sentences)
    p = reading.characters[0].name
    aliases = reading.aliases.get(p, [p])
    loc1 = reading.places[0]
    if len(reading.places) > 1:
        loc2 = reading.places[1]
    else:
        taken = set(loc1.lower().split())
        options = [x for x in lx.RELATED_PLACES.get(place_head(loc1), ()) if x not in taken] or [
            x for x in lx.GENRE_PLACES[reading.genre] if x not in taken] or [loc1]
        loc2 = lx.pick(options, reading.seed, text, "loc2")
    time0 = time_in(text) or ("night" if reading.genre == "horror" else "day")
    events: list[str] = []
    for s in reading.sentences:
        events.extend(e.strip() for e in re.split(r",?\s+and then\s+|;\s+", s) if len(e.split()) >= 3)
    pred = predicate(events[0], aliases) if events else ""
    obj = object_of(pred)
    last = pred.split()[-1].lower() if pred else ""
    obj_phrase = ("the " + obj) if obj else ("the " + last if last and last not in lx.STOP_WORDS else "the moment")
    if not pred:
        # a noun-phrase theme ("Loneliness in a big city"): the protagonist confronts it
        core = re.sub(r"^(?:a|an|the)\s+", "", events[0].rstrip(".") if events else text, flags=re.IGNORECASE)
        core = strip_setting(core)
        pred = "faces " + core[0].lower() + core[1:]
        obj_phrase = core[0].lower() + core[1:]
        events = [f"{p} {pred}."] + events[1:]
    P = p[0].upper() + p[1:]
    fmt = dict(p=p, P=P, obj=obj_phrase, Obj=obj_phrase[0].upper() + obj_phrase[1:],
               loc1=loc1, loc2=loc2, at1=_at(loc1), at2=_at(loc2),
               At2=_at(loc2)[0].upper() + _at(loc2)[1:])
    routine = _ROUTINES.get(place_head(loc1)) or _GENRE_ROUTINES[reading.genre].format(at=_at(loc1))
    when = _WHEN[time0]
    beats = [Beat("setup", f"{when} {_at(loc1)}, {p} {routine}.", loc1, time0)]
    # the theme's own events, in its own words (one or two development beats); the first
    # mention of the protagonist is now known to the audience: "an old fisherman" -> "the old fisherman"
    for e in events[:2]:
        own = e if e.endswith(".") else e + "."
        own = re.sub(r"^(?:An?|Two|Three|Both)\s+", "The ", own)
        beats.append(Beat("development", own[0].upper() + own[1:], loc1, time0))
    t_turn = advance(time0) if time0 not in ("dusk", "night") else time0
    turn = _TURNS[reading.genre].format(**fmt)
    if t_turn != time0:
        turn = f"{_WHEN[t_turn]}, {lower_first(turn, reading)}"
    beats.append(Beat("turn", turn + ".", loc2, t_turn, time_jump=t_turn != time0))
    if reading.genre in _CLIMAXES and len(beats) < 4:
        beats.append(Beat("climax", _CLIMAXES[reading.genre].format(**fmt) + ".", loc2, t_turn))
    t_out = advance(t_turn)
    out = _OUTCOMES[reading.genre].format(**fmt)
    out = f"{_WHEN[t_out]}, {lower_first(out, reading)}"
    beats.append(Beat("outcome", out + ".", loc1, t_out, time_jump=True))
    for b in beats:
        b.characters = characters_in(b.text, reading) or [p]
    return beats


# --- condensing a long synopsis ------------------------------------------------------------

_WHILE_SPLIT = re.compile(r",?\s+while\s+(?=(?:[A-Z][\w']*|she|he|they)\b)")


def _split_events(sentence: str) -> list[str]:
    """A sentence holding two events becomes two: 'Tomas climbs the tower while Mara follows the
    needle back to the harbour' is two actions in two places; so is a long 'X happens; Y'."""
    pieces = [sentence.rstrip(".")]
    m = _WHILE_SPLIT.search(pieces[0])
    if m:
        left, right = pieces[0][:m.start()], pieces[0][m.end():]
        rtoks = right.split()
        # the right side needs its own subject and verb ("while Mara follows"), both sides a real clause
        subj_end = re.match(r"(?:[A-Z][\w']*(?:\s+[A-Z][\w']*)*|she|he|they)\b", right)
        if subj_end and len(left.split()) >= 4 and len(rtoks) >= 4 and subject_at(right, subj_end.end()):
            pieces = [left, right]
    if len(sentence.split()) > 30:
        pieces = [q for p in pieces for q in re.split(r";\s+|\s+-\s+|,\s+but\s+", p)]
    pieces = [p.strip().rstrip(".") for p in pieces if len(p.split()) >= 4]
    if len(pieces) < 2:
        return [sentence]
    return [p[0].upper() + p[1:] + "." for p in pieces]


def _condense_synopsis(reading: Reading) -> list[str]:
    """The synopsis's own event sentences, in order, each trimmed to its main clause."""
    events: list[str] = []
    for s in reading.sentences:
        events.extend(_split_events(s))
    # keep eventful sentences: someone does something (a character or a long clause)
    scored = [(i, e) for i, e in enumerate(events) if characters_in(e, reading) or len(e.split()) >= 8]
    if len(scored) > MAX_BEATS:
        first, last = scored[0], scored[-1]
        middle = sorted(scored[1:-1], key=lambda ie: (-len(characters_in(ie[1], reading)), ie[0]))
        scored = sorted([first, last] + middle[:MAX_BEATS - 2])
    return [condense(e, 22) for _, e in scored] or [condense(events[0], 22)]


def _moves(text: str) -> bool:
    """Does the event take its people somewhere else? 'flees the city', 'climbs to the roof' do;
    'climbs the tower' does not."""
    toks = lx.words(text)
    for i, w in enumerate(toks):
        wl = w.lower()
        if wl in lx.MOVE_AWAY_VERBS:
            return True
        if wl in lx.TRAVEL_VERBS and i + 1 < len(toks) and toks[i + 1].lower() in lx.DIRECTION_WORDS:
            return True
    return False


def place_beats(texts: list[str], kinds: list[str], reading: Reading, named_places: list[str]) -> list[Beat]:
    """Give each beat a place, a time of day and its people (the text's, else continuity rules)."""
    beats: list[Beat] = []
    place, time = None, None
    genre_places = list(lx.GENRE_PLACES[reading.genre])
    prev_chars = [reading.characters[0].name] if reading.characters else []
    cast = CastState(recent=list(prev_chars))
    for text, kind in zip(texts, kinds):
        here = places_in(text, reading)
        t = time_in(text)
        travels = _moves(text)
        if here:
            new_place = here[0]
        elif place is None:
            new_place = named_places[0] if named_places else genre_places[0]
        elif travels or kind == "climax":
            # an unnamed move: a place the synopsis names but has not used, else where such a
            # story goes next from here, else the genre's next setting
            used = {b.place for b in beats} | {place}
            options = [p for p in named_places if p not in used] or \
                [p for p in lx.RELATED_PLACES.get(place_head(place), ()) if p not in used] or \
                [p for p in genre_places if p not in used]
            new_place = options[0] if options else place
        else:
            new_place = place
        jump = False
        if time is None:
            time = t or ("night" if reading.genre == "horror" else "day")
        elif t and t != time:
            time, jump = t, True
        elif kind == "outcome" and new_place == place and not t:
            time, jump = advance(time), True  # resolution: time has passed
        chars = cast_in(text, reading, cast)
        chars = chars or prev_chars  # nobody acts ("a storm breaks"): the people already there stay
        prev_chars = chars
        beats.append(Beat(kind, text, new_place, time, chars, jump))
        place = new_place
    return beats


def story_beats(reading: Reading) -> list[Beat]:
    """The story's beats: a short theme expanded into an arc, a long synopsis condensed to its events."""
    n_words = sum(len(s.split()) for s in reading.sentences)
    if n_words < LONG_TEXT_WORDS and len(reading.sentences) <= 2:
        return _expand_theme(reading)
    texts = _condense_synopsis(reading)
    if len(texts) < 2:
        return _expand_theme(reading)  # one event is a theme, however long: give it an arc
    return place_beats(texts, assign_kinds(texts), reading, reading.places)
