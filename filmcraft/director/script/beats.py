"""Story beats: the text's events as setup, development, turn, climax and outcome, each with a
place, a time of day and its people. A long synopsis is condensed to its own event sentences (a
short theme is grown in ``expansion``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filmcraft.director import lexicon as lx
from filmcraft.director.world import BROAD_PLACES
from filmcraft.director.script.casting import CastState, cast_in
from filmcraft.director.script.names import LANDSCAPES
from filmcraft.director.script.grammar import condense, has_finite_verb, place_head, subject_at, time_in
from filmcraft.director.script.reading import Reading, lower_first, places_in

LONG_TEXT_WORDS = 45  # at or above this the text is a synopsis to condense, below it a theme to expand
MAX_BEATS = 10
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
    named_place: bool = False  # the beat names where it happens (else the place is carried over)


def advance(time: str, steps: int = 1) -> str:
    """Later in the story's day; night rolls over into the next dawn."""
    return TIME_ORDER[(TIME_ORDER.index(time) + steps) % len(TIME_ORDER)]


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
        # ", so she walks to the stadium": a consequence told as its own event, often somewhere else
        pieces = [q for p in pieces for q in re.split(r";\s+|\s+-\s+|,\s+but\s+|,\s+so\s+(?=(?:she|he|they|[A-Z])\b)", p)]
    pieces = [p.strip().rstrip(".") for p in pieces if len(p.split()) >= 4]
    if len(pieces) < 2:
        return [sentence]
    return [p[0].upper() + p[1:] + "." for p in pieces]


def condense_synopsis(reading: Reading) -> list[str]:
    """The synopsis's own event sentences, in order, each trimmed to its main clause; every sentence
    is told (too many events: the shortest neighbours share a beat, joined by a semicolon)."""
    events: list[str] = []
    for s in reading.sentences:
        events.extend(_split_events(s))
    # a sentence is cut only when it runs long: what it says is what the scene must tell
    texts = [condense(e, 40) for e in events] or [condense(reading.sentences[0], 40)]
    # a verbless fragment ("Hong Kong, monsoon season.") frames the event after it
    for i in range(len(texts) - 2, -1, -1):
        if not has_finite_verb(texts[i]) and len(texts[i].split()) <= 8:
            texts[i:i + 2] = [texts[i].rstrip(".!?") + "; " + lower_first(texts[i + 1], reading)]
    while len(texts) > MAX_BEATS:
        i = min(range(len(texts) - 1), key=lambda k: (len(texts[k].split()) + len(texts[k + 1].split()), k))
        texts[i:i + 2] = [texts[i].rstrip(".!?") + "; " + lower_first(texts[i + 1], reading)]
    return texts


def moves(text: str) -> bool:
    """Does the event take its people somewhere else? 'flees the city', 'climbs to the roof' do;
    'climbs the tower' does not."""
    toks = lx.words(text)
    for i, w in enumerate(toks):
        wl = w.lower()
        nxt = toks[i + 2].lower() if i + 2 < len(toks) else ""
        if wl == "left" and not (i + 1 < len(toks) and (toks[i + 1].lower() in _DETS or toks[i + 1][0].isupper())):
            continue  # "dives left", "turns left": a direction; "left the house" leaves
        if wl in lx.MOVE_AWAY_VERBS:
            return True
        if wl in lx.TRAVEL_VERBS and i + 1 < len(toks) and toks[i + 1].lower() in lx.DIRECTION_WORDS:
            if toks[i + 1].lower() == "to" and nxt and nxt not in _DETS and nxt not in lx.PLACES \
                    and not toks[i + 2][0].isupper() and nxt not in {"bed", "sea", "town", "school", "church", "work"}:
                continue  # "goes to penalties", "goes to sleep": not a place
            return True
    return False


_DETS = frozenset("the a an his her their its my our this that".split())


# places one climbs out of, back to where one was
_HOLLOWS = frozenset("crevasse cave caves tunnel tunnels pit hole well mine chamber cellar basement water river lake sea "
                     "trench sewer".split())


_CIVIC = frozenset("city town village kingdom realm country region land world planet".split())


def _broad(place: str, civic: bool = False) -> bool:
    """A proper name with no set noun in it ("Durban", "West Virginia"), or a city or region (with
    ``civic``, not a landscape: "the Alps" are an exterior of their own)."""
    return (place[0].isupper() and place.split()[-1].lower() not in lx.PLACES
            and place.split()[-1].lower() not in LANDSCAPES) or \
        place_head(place) in (_CIVIC if civic else BROAD_PLACES)


def place_beats(texts: list[str], kinds: list[str], reading: Reading, named_places: list[str]) -> list[Beat]:
    """Give each beat a place, a time of day and its people (the text's, else continuity rules)."""
    beats: list[Beat] = []
    place, time = None, None
    genre_places = list(lx.GENRE_PLACES[reading.genre])
    prev_chars = [reading.characters[0].name] if reading.characters else []
    cast = CastState(recent=list(prev_chars))
    # a city or region says where the story is, a set inside it where a scene is: an opening that
    # names no place starts at the first set the story names ("the team hotel", not "Durban")
    sets = [p for p in named_places if not _broad(p)] or list(named_places)
    for text, kind in zip(texts, kinds):
        here = places_in(text, reading)
        t = time_in(text)
        travels = moves(text)
        if here and place is not None and not _broad(place) and all(_broad(h, civic=True) and not re.search(
                r"\b(?:to|into|towards?|for|reaches|reach|enters|enter)\s+(?:the\s+)?" + re.escape(h), text) for h in here):
            here, travels = [], False  # "fans in Durban" at the stadium: still the stadium ("flies to Paris" goes)
        if here:
            new_place = here[0]
        elif place is None:
            new_place = sets[0] if sets else genre_places[0]
        elif travels and (re.search(r"\bback\b", text) or (re.search(r"\bout\b", text) and place_head(place) in _HOLLOWS)) \
                and any(b.place != place for b in beats):
            # "heads back", "climbs out" of a crevasse: to the place the story came from
            new_place = next(b.place for b in reversed(beats) if b.place != place)
        elif travels and not re.search(r"\b(?:climbs|crawls|steps|comes|climb|crawl)\s+out\b", text):
            # an unnamed move ("climbs out" of anything but a hollow stays where it is): a place the synopsis names but has not used, else where such a
            # story goes next from here, else the genre's next setting
            used = {b.place for b in beats} | {place}
            options = [p for p in sets if p not in used] or \
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
        chars = cast_in(text, reading, cast)
        chars = chars or prev_chars  # nobody acts ("a storm breaks"): the people already there stay
        prev_chars = chars
        beats.append(Beat(kind, text, new_place, time, chars, jump, bool(here)))
        place = new_place
    return beats
