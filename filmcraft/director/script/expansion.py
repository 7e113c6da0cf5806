"""A short theme grown into beats from its own elements: its events (in its own words), what each
event's verb needs before and after it (a rescue needs someone in trouble, a find a search), its
places (named, or where its people belong), its times (a later "every dawn" puts the rescue in the
night before) and its weather. No stock plot: a theme with one event gets a short film.
"""

from __future__ import annotations

import re

from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.beats import (
    LONG_TEXT_WORDS, TIME_ORDER, Beat, assign_kinds, condense_synopsis, moves, place_beats,
)
from filmcraft.director.script.casting import CastState, cast_in
from filmcraft.director.script.grammar import (
    finite_verb, has_finite_verb, object_of, place_head, predicate, strip_setting, time_in,
)
from filmcraft.director.script.reading import Reading, places_in
from filmcraft.director.script.setting import things_in, weather_in

# verb -> (what happens before it, what follows it); {P} the actor, {O} the object as introduced,
# {o} its head noun, {at} the event's place. Knowledge of what such an event needs, not a plot.
_FRAMES: dict[tuple[str, ...], tuple[str | None, str | None]] = {
    ("saves", "rescues", "frees", "shelters", "nurses", "heals"): (
        "{P} sees {O} in trouble {at}", "{P} carries the {o} inside the {home} and tends it"),
    ("finds", "discovers", "uncovers", "unearths", "spots"): (
        "{P} searches {at}", "{P} studies the {o} closely"),
    ("meets", "befriends", "falls", "loves"): (
        "{P} first notices {O} {at}", "{P} and the {o} meet again {at}"),
    ("chases", "pursues", "hunts", "tracks", "follows"): (
        "{P} catches sight of {O} {at}", "{P} closes in on the {o}"),
    ("fights", "battles", "confronts", "faces", "defends"): ("{P} prepares {at}", None),
    ("builds", "repairs", "fixes", "makes", "forges", "restores", "mends"): (
        "{P} gathers what the work needs {at}", "{P} tries the {o} for the first time"),
    ("teaches", "trains"): (None, "the {o} tries alone for the first time"),
    ("loses",): ("{P} keeps the {o} close {at}", "{P} searches everywhere for the {o}"),
    ("crosses", "travels", "sails", "carries", "delivers", "races", "flees", "escapes", "walks", "drives",
     "rides", "journeys"): ("{P} sets out from the {home}", "{P} reaches the {dest}"),
    ("waits", "watches"): (None, None),
}
_HABITUAL = re.compile(r"\b(?:every|each)\s+(dawn|morning|day|night|evening|dusk|sunset|sunrise|year|spring|summer|winter)\b")
_WATER_CUES = frozenset("drowning sinking adrift overboard swimming swims drowns capsized shipwrecked drifts "
                        "rows sails".split())
_WEATHER_ARRIVES = {"storm": "A storm gathers over {the}{place}", "blizzard": "A blizzard closes in on {the}{place}",
                    "rain": "Rain sweeps over {the}{place}", "snow": "Snow falls over {the}{place}",
                    "fog": "Fog rolls in over {the}{place}", "wind": "Wind tears across {the}{place}",
                    "overcast": "Low cloud hangs over {the}{place}"}
_WHEN = {"dawn": "At dawn", "day": "By day", "golden_hour": "At sunset", "dusk": "At dusk", "night": "That night"}


def _events_and_runs(reading: Reading) -> tuple[list[str], set[int]]:
    """The theme's clauses that happen, in order ('X saves a seagull during a storm, and the bird
    returns every dawn' is two events), and which of them follow the one before without a break
    ('fly a kite until the string snaps and it sails out to sea': one continuous action, one scene)."""
    out: list[str] = []
    runs: set[int] = set()
    for s in reading.sentences:
        parts = re.split(r",?\s+and then\s+|;\s+|,\s+(?:and|but|so|until|while)\s+(?=(?:the|a|an|his|her|their|she|he|they|[A-Z])\b)", s.rstrip(".!?"))
        for p0 in parts:
            for k, part in enumerate(_clause_split(p0)):
                for p in _shared_subject_split(part.strip(" ,")):
                    if len(p.split()) >= 2:
                        if k:
                            runs.add(len(out))
                        out.append(p[0].upper() + p[1:] + ".")
    return (_antecedents(out), runs) if out else ([reading.sentences[0]], set())


# "... fly a red kite until the string snaps and it sails out to sea": without commas, a conjunction
# starts an event of its own only when a subject and its verb follow it
_CLAUSE_JOIN = re.compile(r"(?<=\s)(?:and then|then|and|but|so|until|till|when|before|after|once)\s+")
_SUBORDINATORS = ("until", "till", "when", "before", "after", "once")
_SUBJ_DETS = frozenset("the a an his her their its".split())
_PRONOUNS = frozenset("it she he they".split())


def _subject_verb(toks: list[str]) -> int:
    """How many tokens the subject at the start of ``toks`` takes when a finite verb follows it
    ('the whole block comes': 3), else 0."""
    if not toks:
        return 0
    first = toks[0].lower()
    if first in _PRONOUNS or (toks[0][0].isupper() and first not in _SUBJ_DETS):
        n = 1
        plural = first == "they"
    elif first in _SUBJ_DETS:
        for n in range(2, 5):
            if n >= len(toks):
                return 0
            head, verb = toks[n - 1].lower(), toks[n].strip(",.;").lower()
            plural = head.endswith("s") and not head.endswith("ss")
            if finite_verb(verb, head) or (plural and _plural_verb(verb)):
                return n
        return 0
    else:
        return 0
    verb = toks[n].strip(",.;").lower() if n < len(toks) else ""
    return n if verb and (finite_verb(verb, toks[n - 1]) or (plural and _plural_verb(verb))) else 0


def _plural_verb(verb: str) -> bool:
    return verb.isalpha() and verb not in lx.STOP_WORDS and not verb.endswith(("ing", "ly")) \
        and verb not in lx.ROLE_NOUNS and verb not in lx.PLACES and verb not in world.PROPS


def _clause_split(part: str) -> list[str]:
    out, start = [], 0
    for m in _CLAUSE_JOIN.finditer(part):
        rest = part[m.end():].split()
        n = _subject_verb(rest)
        if not n or len(part[start:m.start()].split()) < 3:
            continue
        if m.group(0).strip() == "before" and weather_in(" ".join(rest[:n])):
            continue  # "race to bring in the wheat before a hailstorm flattens the fields": one race under that sky
        out.append(part[start:m.start()])
        start = m.end()
        if m.group(0).strip() in _SUBORDINATORS:
            # "when he lets it go the sea turns calm": the main clause after the subordinate one
            toks = rest
            for k in range(n + 2, len(toks)):
                if toks[k].lower() in _SUBJ_DETS and _subject_verb(toks[k:]) and not toks[k - 1].lower() in lx.LOCATION_PREPOSITIONS:
                    sub = " ".join(toks[:k])
                    out.append(sub)
                    start = m.end() + len(sub) + 1
                    break
    out.append(part[start:])
    return [re.sub(r",?\s+(?:and|but|so)$", "", p.strip(" ,")) for p in out if p.strip(" ,")]


def _antecedents(events: list[str]) -> list[str]:
    """An event told with 'it' names its thing: the prop an earlier event acted on ('fly a red kite
    ... it sails out to sea' is the kite), not that event's subject ('the string snaps')."""
    out: list[str] = []
    for e in events:
        m = re.match(r"It\s+(?=[a-z]+)", e)
        if m and out:
            obj = next((t for prev in reversed(out) for t in reversed(things_in(_after_verb(prev)))), None)
            if obj:
                e = f"The {obj} " + e[m.end():]
        out.append(e)
    return out


def _after_verb(event: str) -> str:
    """The event from its first verb on (what its subject acts on)."""
    toks = event.split()
    k = next((i for i, t in enumerate(toks) if i and finite_verb(t.strip(",.").lower(), toks[i - 1])), 0)
    return " ".join(toks[k + 1:]) if k else event


_VP_AND = re.compile(r"\s+(?:and then|and|then)(?:,\s+(?P<adv>[^,]{2,30}),)?\s+(?=([a-z]+)\s+(?:it|them|him|her|the|a|an|his|their|to|into|"
                     r"from|through|across|at|onto|home|back|away|together|up|in|on|with|by|beside)\b)")


def _shared_subject_split(clause: str) -> list[str]:
    """'The girl and her grandfather build a kite in the attic and fly it from a windy hill' is two
    events with one subject: the second gets the subject back."""
    m = _VP_AND.search(clause)
    if not m or m.group(2) in lx.STOP_WORDS or m.group(2) in world.PROPS or m.group(2) in world.CREATURES \
            or m.group(2) in lx.ROLE_NOUNS or m.group(2) in lx.PLACES:
        return [clause]
    left, right = clause[:m.start()], clause[m.end():]
    toks = left.split()
    # the subject ends at the first verb ("night," closing an opening phrase is no verb)
    k = next((i for i, t in enumerate(toks) if i and t[-1].isalpha() and (finite_verb(t, toks[i - 1]) or (
        i + 1 < len(toks) and toks[i + 1].lower() in {"a", "an", "the", "it", "their", "his", "her"}
        and t.islower() and t not in lx.STOP_WORDS))), None)
    if k is None or len(right.split()) < 3:
        return [clause]
    subject = _definite(" ".join(toks[:k]).split(", ")[-1])  # not the opening phrase again ("One night, ...")
    if m.group("adv"):  # "and, at midnight, knocks at a hut": the second event keeps its own time
        adv = m.group("adv").strip()
        return [left, f"{adv[0].upper() + adv[1:]}, {subject[0].lower() + subject[1:] if subject.startswith('The ') else subject} {right}"]
    return [left, subject + " " + right]


def _nominal_events(phrase: str, P: str, home: str, reading: Reading) -> list[str]:
    """A theme with no verb ("Loneliness in a big city.", "Rain.") names a feeling, a sky or a place:
    its protagonist arrives there and meets it."""
    core = strip_setting(re.sub(r"^(?:a|an|the)\s+", "", phrase.rstrip(".!?"), flags=re.IGNORECASE)).strip()
    core = core[0].lower() + core[1:] if core else core
    sky = weather_in(phrase.lower())
    if sky and len(core.split()) <= 2:
        return [f"{P} walks out into the {core}."]
    if not core or place_head(home) in core.lower().split():
        return [f"{P} looks out from the {home}."]
    return [f"{P} feels the {core} of the {home}."]


def _definite(text: str) -> str:
    """The theme introduces its people ("An old keeper"); the film, once it has shown them, says 'the'."""
    return re.sub(r"^(?:An?|Two|Three|Both)\s+", "The ", text)


def _at(place: str) -> str:
    if place[0].isupper():
        return "in " + place
    if place in ("sea", "ocean"):
        return "at sea"
    return ("in the " if place_head(place) in world.BROAD_PLACES | _INSIDE else "at the ") + place


_GOES_HOME = re.compile(r"\b(?:%s)\s+(?:\w+\s+)?home\b" % "|".join(world.TRAVEL_VERBS))

# places one is in rather than at
_INSIDE = frozenset("""
forest woods jungle street streets kitchen house garden park desert cave alley market square fields
room attic cellar basement library office studio bakery workshop hospital school classroom church
""".split())


def _verb_of(event: str) -> str:
    toks = [t.strip(",.").lower() for t in event.split()]
    return next((t for i, t in enumerate(toks) if finite_verb(t, toks[i - 1] if i else "")), "")


def _frame(verb: str) -> tuple[str | None, str | None]:
    base = lx.base_verb(verb)
    return next((f for verbs, f in _FRAMES.items() if verb in verbs or base in {lx.base_verb(v) for v in verbs}),
                (None, None))


def _agree(text: str, plural: bool) -> str:
    """'{P} sets out' for 'the two brothers': the verb after the actor takes the plural."""
    if not plural:
        return text
    return re.sub(r"^((?:the|The) [\w\- ]+?s) ([a-z]+s)\b", lambda m: f"{m.group(1)} {lx.base_verb(m.group(2))}", text)


def _times(events: list[str], genre: str) -> list[str]:
    """Each event's time of day: its own, else one step before the next event that has one (a
    return 'every dawn' follows a night), else the one before; a theme without times is by day."""
    own = [time_in(e) for e in events]
    out: list[str | None] = list(own)
    for i in range(1, len(out) - 1):
        if out[i] is None and own[i - 1] is not None and own[i - 1] == own[i + 1]:
            out[i] = own[i - 1]  # between two events at night is night too
    for i in range(len(out) - 1, -1, -1):
        if out[i] is None and i + 1 < len(out) and out[i + 1] is not None and own[i + 1] is not None:
            out[i] = TIME_ORDER[(TIME_ORDER.index(out[i + 1]) - 1) % len(TIME_ORDER)]
    default = "night" if genre == "horror" else "day"
    last = None
    for i, t in enumerate(out):
        out[i] = t or last or default
        last = out[i]
    return [t for t in out if t]


def expand_theme(reading: Reading) -> list[Beat]:
    p = reading.characters[0].name
    P = p[0].upper() + p[1:]
    home = reading.places[0]
    if home[0].isupper() and len(reading.places) == 1:
        # a city or a region frames the film; the set is where its people work ("a baker in Paris")
        home = next((world.ROLE_PLACES[w.lower()] for w in reversed(lx.words(p)) if w.lower() in world.ROLE_PLACES),
                    home)
    events, runs = _events_and_runs(reading)
    own_beat: dict[int, int] = {}  # event -> the beat that tells it
    invented = "protagonist" in reading.characters[0].description  # the theme names no one
    if invented and not any(has_finite_verb(e) for e in events):
        events = _nominal_events(events[0], P, home, reading)
    times = _times(events, reading.genre)
    beats: list[Beat] = []
    known: list[str] = []
    cast = CastState(recent=[p])

    def add(kind: str, text: str, place: str, time: str) -> None:
        text = text[0].upper() + text[1:]
        prev = beats[-1] if beats else None
        if prev is None or prev.place != place or moves(text):
            if place.lower() not in text.lower() and place_head(place) not in text.lower():
                text = f"{_at(place)[0].upper() + _at(place)[1:]}, {text[0].lower() + text[1:] if not text.startswith(P) or p[0].islower() else text}"
        if (prev is None or prev.time != time) and time_in(text) != time:
            text = f"{_WHEN[time]} {text[0].lower() + text[1:]}" if re.match(r"(?:At|In) ", text) else \
                f"{_WHEN[time]}, {text[0].lower() + text[1:] if p[0].islower() or not text.startswith(P) else text}"
        text = re.sub(r"\s+", " ", text).strip().rstrip(".") + "."
        chars = cast_in(text, reading, cast) or (list(beats[-1].characters) if beats and beats[-1].characters else [p])
        beats.append(Beat(kind, text, place, time, chars, bool(prev and prev.time != time)))

    for i, (event, time) in enumerate(zip(events, times)):
        known += [t for t in things_in(event, known) if t not in known]
        own = _definite(event)
        who = cast_in(own, reading, CastState(recent=list(cast.recent)))
        actor = who[0] if who else None
        pred = predicate(own, reading.aliases.get(actor, [actor])) if actor else ""
        pred = re.sub(r"^(?:in|at|on|from|of|near)\s+(?:the\s+)?(?:[A-Z][\w']*\s*)+", "", pred).strip()
        verb = pred.split()[0].lower() if pred else _verb_of(own)
        obj = object_of(pred) if pred else ""
        obj_intro = re.search(r"\b(?:a|an|the|his|her|their)\s+" + re.escape(obj), own) if obj else None
        o_head = obj.split()[-1] if obj else ""
        # where it happens: the place it names; a creature in the water is found at the water's edge
        here = places_in(own, reading)
        if here and here[0][0].isupper() and not home[0].isupper():
            here = [home] + [x for x in here if x != home]  # "a baker in Paris" works in the bakery
        place = here[0] if here else (beats[-1].place if beats else home)  # an unplaced event happens where the last one did
        words = {w.lower() for w in lx.words(own)}
        if not here and words & _WATER_CUES:
            place = next((x for x in lx.RELATED_PLACES.get(place_head(home), ()) if x in ("rocks", "sea", "shore", "beach", "harbour", "river", "lake")), "sea")
        if not here and (verb == "returns" or re.search(r"\bcomes?\s+(?:back|home)\b", own)) and beats:
            place = home
        elif not here and beats and _GOES_HOME.search(own):
            place = "home"  # "the guard's dog follows him home": to where he lives
        thing = re.match(r"The ([a-z]+)\b", own)
        if here and beats and not who and re.search(r"\b(?:out|away|off)\b", own) and thing \
                and (thing.group(1) in world.PROPS or thing.group(1) in world.CREATURES):
            place = beats[-1].place  # "the kite sails out to sea": the camera stays with the people who watch it go
        # "rows the piano to the church", "follows a fox to a cabin": the journey is on the way, then it arrives
        named = here or [x for x in reading.places if re.search(r"\b" + re.escape(x) + r"\b", own)]
        to = re.search(r"\b(?:to|into|toward|towards|onto)\s+(?:an?|the)\s+(?:[a-z\-]+\s+){0,2}(%s)\b" % "|".join(
            re.escape(x) for x in named), own) if named and (len(named) > 1 or verb in world.TRAVEL_VERBS) else None
        if to and to.group(1) == place and verb in world.TRAVEL_VERBS:
            here = named
            place = next((x for x in here if x != place), None) or (beats[-1].place if beats else None) or \
                lx.RELATED_PLACES.get(place_head(place), ("road",))[0]
        sky = weather_in(own)
        plural = bool(actor) and actor.split()[-1].endswith("s") and actor[0].islower()
        if i == 0:
            role = next((world.ROLE_ROUTINES[w.lower()] for w in reversed(lx.words(p)) if w.lower() in world.ROLE_ROUTINES), None)
            routine = role or world.PLACE_ROUTINES.get(place_head(home))
            opening = _agree(f"{P} {routine}", plural) if routine else ""
            if sky and sky in _WEATHER_ARRIVES and (place == home or place in lx.RELATED_PLACES.get(place_head(home), ())):
                arrive = _WEATHER_ARRIVES[sky].format(the="" if home[0].isupper() else "the ", place=home)
                opening = f"{arrive} as {_agree(p + ' ' + routine, plural)}" if routine else arrive
            if opening and actor and len(who) < 2:  # two people in the first event establish each other
                add("setup", opening + ".", home, time)
        pre, post = _frame(verb) if actor else (None, None)
        if i and beats and beats[-1].kind == "after":
            pre = None  # the last event's aftermath leads into this one
        if i + 1 < len(events) and times[i + 1] == time:
            post = None  # the next event follows at once; a night between leaves room for the aftermath
        if to and not (post and "{dest}" in post):
            # "follows a fox to a ruined chapel where a dragon sleeps": the film gets there, and sees it
            where = re.search(r",?\s+(where\s+[^,.;]+)", own[to.end():])
            post = "{P} reaches the {dest}" + (", " + where.group(1) if where else "")
            if where:  # who waits there is seen on arrival, not on the way
                own = own[:to.end() + where.start()].rstrip(" ,") + "."
        if not obj:
            pre, post = (pre if pre and "{o" not in pre.replace("{O}", "{o}") else None,
                         post if post and "{o" not in post.replace("{O}", "{o}") else None)
        if post and "{dest}" in post and not next((x for x in reversed(here) if x != place), ""):
            post = None
        fmt = dict(P=actor[0].upper() + actor[1:] if actor else P, O=obj_intro.group(0) if obj_intro else "the " + obj,
                   o=o_head, at=_at(place), home=home,
                   dest=to.group(1) if to else next((x for x in reversed(here) if x != place), ""))
        kind = "setup" if not beats else "development"
        if pre:
            add(kind, _agree(pre.format(**fmt), plural) + (" through the " + sky if sky in ("storm", "blizzard", "rain", "fog", "snow") else ""), place if "{home}" not in pre else home, time)
            kind = "development"
            own = re.sub(r"\b(?:a|an)\s+" + re.escape(obj), "the " + obj, own, count=1) if obj else own
        add(kind if i < len(events) - 1 or post else "outcome", strip_setting(own) if here and False else own, place, time)
        own_beat[i] = len(beats) - 1
        if post:
            dest = home if "{home}" in post else (fmt["dest"] if "{dest}" in post else place)
            add("development" if i < len(events) - 1 else "outcome", _agree(post.format(**fmt), plural), dest, time)
            beats[-1].kind = "after" if i < len(events) - 1 else beats[-1].kind
    # a continuous run of the theme's own events at one place and time is one beat (its clauses
    # become the scene's shots): no clock moves between a string snapping and the kite sailing away
    for i in sorted(runs, reverse=True):
        a, b = own_beat.get(i - 1), own_beat.get(i)
        if a is not None and b == a + 1 and (beats[a].place, beats[a].time) == (beats[b].place, beats[b].time):
            nxt = beats[b].text
            if nxt.split()[0] in ("The", "A", "An", "It", "He", "She", "They", "His", "Her", "Their", "At", "In", "On"):
                nxt = nxt[0].lower() + nxt[1:]
            beats[a].text = beats[a].text.rstrip(".") + "; " + nxt
            beats[a].characters = list(dict.fromkeys(beats[a].characters + beats[b].characters))
            if beats[b].kind in ("climax", "outcome"):
                beats[a].kind = beats[b].kind
            del beats[b]
    for b in beats:
        b.kind = "development" if b.kind == "after" else b.kind
    if len(beats) >= 3:
        _mark_turns(beats)
    elif len(beats) == 2:
        beats[0].kind, beats[-1].kind = "setup", "outcome"
    return beats


def _mark_turns(beats: list[Beat]) -> None:
    """setup first, outcome last; the event with the most at stake before it is the climax."""
    beats[0].kind, beats[-1].kind = "setup", "outcome"
    middle = range(1, len(beats) - 1)
    climax = next((i for i in reversed(middle) if any(re.search(r"\b" + w + r"\b", beats[i].text.lower())
                                                      for w in lx.CLIMAX_WORDS + ("saves", "rescues", "finds"))),
                  len(beats) - 2)
    for i in middle:
        beats[i].kind = "development"
    beats[climax].kind = "climax"
    if climax >= 2:
        beats[climax - 1].kind = "turn"


def story_beats(reading: Reading) -> list[Beat]:
    """The story's beats: a short theme grown from its elements, a long synopsis condensed to its events."""
    n_words = sum(len(s.split()) for s in reading.sentences)
    if n_words < LONG_TEXT_WORDS and len(reading.sentences) <= 2:
        return expand_theme(reading)
    texts = condense_synopsis(reading)
    if len(texts) < 2:
        return expand_theme(reading)  # one event is a theme, however long: grow it
    return place_beats(texts, assign_kinds(texts), reading, reading.places)
