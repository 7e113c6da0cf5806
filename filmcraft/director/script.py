"""The offline writer: theme text -> synopsis -> storyboards -> scene blocks.

A rule-based reading of the text (sentences, names, role nouns, places, times, verbs) plus film
grammar (a scene is one place and time; establish a new place; a metaphor image at emotional
peaks). Deterministic: the same input always gives the same structure; different inputs give
different structures because every beat, scene and shot comes from the text's own events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filmcraft.contracts import (
    MAX_SCENES, Character, DetailedStoryboard, FilmRequest, Location, SceneBlock, SceneBlocks,
    ShotPrompt, SimplifiedStoryboard, SoundSketch, StoryBeat, StoryboardScene, StoryboardShot,
    Synopsis, scene_id, shot_id,
)
from filmcraft.director import lexicon as lx

LONG_TEXT_WORDS = 45  # at or above this the text is a synopsis to condense, below it a theme to expand
MAX_BEATS = 8
TIME_ORDER = ("dawn", "day", "golden_hour", "dusk", "night")


# --- reading the text ----------------------------------------------------------------------

@dataclass
class _Reading:
    sentences: list[str]
    characters: list[Character]
    aliases: dict[str, list[str]]  # character name -> words that refer to it in the text
    places: list[str]  # place names in order of first mention ("enchanted forest", "Yuxu Palace")
    genre: str
    mood: str
    seed: int


def _clean(text: str) -> str:
    return lx.normalise_text(text)


_TOKEN_RE = re.compile(r"[^\W\d_][\w'\-]*|\d+|[^\w\s]")


def _tokens(sentence: str) -> list[str]:
    return _TOKEN_RE.findall(sentence)


def _cap_sequences(sentence: str) -> list[tuple[int, int, list[str]]]:
    """Runs of capitalised words, broken at punctuation: (start, end, tokens) over _tokens()."""
    toks = _tokens(sentence)
    runs, i = [], 0
    while i < len(toks):
        if toks[i][0].isupper():
            j = i
            while j + 1 < len(toks):
                if toks[j + 1][0].isupper():
                    j += 1
                elif (toks[j + 1] == "." and toks[j] in lx.TITLES and j + 2 < len(toks)
                      and toks[j + 2][0].isupper()):
                    j += 2  # "Dr. Ramos": the title's period does not end the name
                else:
                    break
            runs.append((i, j, [t for t in toks[i:j + 1] if t != "."]))
            i = j + 1
        else:
            i += 1
    return runs


def _strip_possessive(tok: str) -> str:
    return re.sub(r"'s?$", "", tok)


def _looks_like_verb(tok: str) -> bool:
    t = tok.lower()
    if t in lx.STOP_WORDS and t not in {"is", "was", "has", "had", "does", "must", "can", "will"}:
        return False
    return t in {"is", "was", "has", "had", "must", "can", "will", "and"} or t.endswith(("s", "ed")) \
        or t in lx.TRAVEL_VERBS or t in lx.SPEECH_VERBS


_PROPER_PLACE_PREPOSITIONS = frozenset("in at to into through across near toward towards inside outside".split())


def _extract_places_and_names(sentences: list[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """Proper-noun places and proper-noun characters, with the sentence index of first mention."""
    places: list[str] = []
    names: list[tuple[str, int]] = []
    elsewhere: dict[str, int] = {}
    for s in sentences:
        for start, _, toks in _cap_sequences(s):
            if start > 0:
                for t in toks:
                    elsewhere[_strip_possessive(t)] = elsewhere.get(_strip_possessive(t), 0) + 1
    for si, s in enumerate(sentences):
        toks = _tokens(s)
        for start, end, run in _cap_sequences(s):
            run = [_strip_possessive(t) for t in run]
            # drop sentence openers ("After", "Meanwhile") from the front of the run
            while run and (run[0] in lx.SENTENCE_OPENERS or run[0] in lx.CALENDAR_WORDS) and run[0] not in lx.TITLES:
                run, start = run[1:], start + 1
            if not run:
                continue
            phrase = " ".join(run)
            prev = toks[start - 1].lower() if start > 0 else ""
            nxt = toks[end + 1] if end + 1 < len(toks) else ""
            if nxt.isdigit():
                continue  # "Despicable Me 4": a title of a work, not a person or a place
            if run[-1].lower() in lx.PLACES or (prev in _PROPER_PLACE_PREPOSITIONS
                                                 and nxt.lower() not in {"and"} and len(run) <= 3
                                                 and phrase not in {n for n, _ in names}):
                if phrase not in places:
                    places.append(phrase)
                continue
            at_start = all(t in lx.SENTENCE_OPENERS or not t[0].isalnum() for t in toks[:start])
            if at_start and not (elsewhere.get(run[0], 0) or _looks_like_verb(nxt) or nxt in {"", ","}):
                continue
            if run[0] in lx.TITLES and len(run) == 1:
                continue
            if phrase not in {n for n, _ in names}:
                names.append((phrase, si))
    # a name that is a prefix of a longer name ("Harry" vs "Harry Potter") is the same person
    full = [n for n, _ in names]
    kept = []
    for n, si in names:
        if any(o != n and o.startswith(n + " ") for o in full):
            continue
        if n in places:
            continue
        kept.append((n, si))
    return places, kept


_ROLE_RE = re.compile(
    r"\b(a|an|the|his|her|their|its|two|three|four|both|several)\s+((?:[a-z][a-z\-]*\s+){0,2}?)(%s)(?:s|es)?\b" % "|".join(
        sorted(lx.ROLE_NOUNS, key=len, reverse=True)), re.IGNORECASE)
_PLACE_RE = re.compile(
    r"\b(%s)\s+(?:a|an|the|his|her|their|its)?\s*((?:[a-z][a-z\-]*\s+){0,2})(%s)\b" % (
        "|".join(sorted(lx.LOCATION_PREPOSITIONS, key=len, reverse=True)),
        "|".join(sorted(lx.PLACES, key=len, reverse=True))), re.IGNORECASE)
_BARE_PLACE_RE = re.compile(r"(?<![\w-])(%s)(?![\w-])" % "|".join(sorted(lx.PLACES, key=len, reverse=True)), re.IGNORECASE)


def _adjectives(span: str) -> list[str]:
    out = []
    for w in span.split():
        wl = w.lower()
        if wl in lx.STOP_WORDS or wl.endswith("ly") or wl in lx.SPEECH_VERBS or wl in lx.TRAVEL_VERBS:
            return []  # not a clean adjective run: keep the bare noun
        out.append(wl)
    return out


def _role_characters(sentences: list[str], names: list[str]) -> list[tuple[str, str, int]]:
    """Role-noun characters ("an old fisherman") that are not appositives of a named person."""
    found: dict[str, tuple[str, str, int]] = {}
    for si, s in enumerate(sentences):
        for m in _ROLE_RE.finditer(s):
            before = s[:m.start()].rstrip()
            if before.endswith(",") and any(before[:-1].rstrip().endswith(n) for n in names):
                continue  # "Maxime, a dangerous criminal" describes Maxime
            after = s[m.end():m.end() + 40]
            if re.match(r"\s*,?\s*[A-Z][a-z]+", after) and not re.match(r"\s*,?\s*(The|A|An|He|She|They|It)\b", after):
                continue  # "the cunning Valentina": the role word is an epithet of the name
            noun = m.group(3).lower()
            det = m.group(1).lower()
            if det in {"his", "her", "their", "its"} and noun in {"family", "team", "crew", "friend"}:
                continue  # a group around someone, not a character of its own
            adjs = _adjectives(m.group(2))
            said = m.group(0).split()[-1].lower()  # as written, plural kept: "sisters"
            count = [det] if det in {"two", "three", "four", "both", "several"} else []
            name = "the " + " ".join(count + adjs + [said])
            if noun not in found:
                found[noun] = (name, m.group(0), si)
    return sorted(found.values(), key=lambda x: x[2])


def _appositive(sentence: str, name: str) -> str:
    m = re.search(re.escape(name) + r",\s+((?:a|an|the)\s+[^,.;]{3,80}?)[,.;]", sentence)
    return m.group(1).strip() if m else ""


def _invent_protagonist(text: str) -> Character:
    wl = set(w.lower() for w in lx.words(text))
    for cues, descriptor in lx.PROTAGONIST_CUES:
        if wl & set(cues):
            return Character(name=descriptor, description=f"{descriptor}, the protagonist the theme implies")
    return Character(name="the traveller", description="the traveller, a protagonist invented because the theme names no one")


def _score_genre(text: str) -> tuple[str, str]:
    wl = [w.lower() for w in lx.words(text)]
    scores = {g: sum(wl.count(k) for k in kws) for g, kws in lx.GENRE_WORDS.items()}
    best = max(scores.values())
    # ties resolve toward the genre listed first in the lexicon (stable, deterministic)
    genre = next(g for g, v in scores.items() if v == best) if best > 0 else "drama"
    return genre, _mood_of(text, lx.GENRE_MOOD[genre])


def _mood_of(text: str, default: str) -> str:
    wl = [w.lower() for w in lx.words(text)]
    scores = {m: sum(wl.count(k) for k in kws) for m, kws in lx.MOOD_WORDS.items()}
    best = max(scores.values())
    if best == 0:
        return default
    winners = [m for m, v in scores.items() if v == best]
    return default if default in winners else winners[0]


def _read(text: str, seed: int) -> _Reading:
    text = _clean(text)
    sentences = lx.split_sentences(text) or [text if text.endswith(".") else text + "."]
    places, named = _extract_places_and_names(sentences)
    names = [n for n, _ in named]
    roles = _role_characters(sentences, names)
    chars: list[tuple[int, Character, list[str]]] = []
    for n, si in named:
        desc = next((_appositive(s, n) for s in sentences if _appositive(s, n)), "")
        parts = n.split()
        aliases = [n] + ([parts[-1]] if len(parts) > 1 and parts[0] in lx.TITLES else []) + \
                  ([parts[0]] if len(parts) > 1 and parts[0] not in lx.TITLES else [])
        chars.append((si, Character(name=n, description=desc or f"{n}, as the story names them"), aliases))
    for name, phrase, si in roles:
        noun = name.split()[-1]  # the alias as written ("sisters"); "the two sisters" also matches
        chars.append((si, Character(name=name, description=phrase), [name, noun]))
    chars.sort(key=lambda c: c[0])
    # the most mentioned character leads; ties go to the earliest
    joined = " ".join(sentences)

    def mentions(aliases: list[str]) -> int:
        return max(len(re.findall(r"\b" + re.escape(a) + r"\b", joined, re.IGNORECASE)) for a in aliases)

    if chars:
        lead = max(range(len(chars)), key=lambda i: (mentions(chars[i][2]), -i))
        chars.insert(0, chars.pop(lead))
    characters = [c for _, c, _ in chars][:10]
    aliases = {c.name: a for _, c, a in chars[:10]}
    if not characters:
        inv = _invent_protagonist(text)
        characters, aliases = [inv], {inv.name: [inv.name]}
    # common-noun places from prepositional phrases, then bare place nouns
    for s in sentences:
        for m in _PLACE_RE.finditer(s):
            adjs = _adjectives(m.group(2))
            name = " ".join(adjs + [m.group(3).lower()])
            if not any(p.split()[-1].lower() == m.group(3).lower() for p in places):
                places = [p for p in places if p.lower() not in name.split()]  # "train" inside "train station"
                places.append(name)
    for s in sentences:
        for m in _BARE_PLACE_RE.finditer(s):
            noun = m.group(1).lower()
            if not any(noun in p.lower().split() for p in places) and noun not in {"home", "base", "pass", "stage", "cell", "mine", "realm"}:
                places.append(noun)
    genre, mood = _score_genre(text)
    if not places:
        places = [lx.GENRE_PLACES[genre][0]]
    return _Reading(sentences, characters, aliases, places, genre, mood, seed)


# --- events --------------------------------------------------------------------------------

def _place_head(place: str) -> str:
    return place.split()[-1].lower()


def _places_in(text: str, reading: _Reading) -> list[str]:
    """Places mentioned in ``text``, in order; a full name beats a head noun inside it."""
    hits: list[tuple[int, int, str]] = []
    for p in sorted(reading.places, key=len, reverse=True):
        m = re.search(r"\b" + re.escape(p) + r"\b", text, 0 if p[0].isupper() else re.IGNORECASE)
        if not m and not p[0].isupper():
            m = re.search(r"\b" + re.escape(_place_head(p)) + r"\b", text, re.IGNORECASE)
        if m and not any(a <= m.start() < b for a, b, _ in hits):
            hits.append((m.start(), m.end(), p))
    return [p for _, _, p in sorted(hits)]


def _time_in(text: str) -> str | None:
    tl = text.lower()
    best = None
    for word, tod in sorted(lx.TIME_WORDS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(r"\b" + re.escape(word) + r"\b", tl)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), tod)
    return best[1] if best else None


def _characters_in(text: str, reading: _Reading) -> list[str]:
    hits = []
    for c in reading.characters:
        for a in reading.aliases.get(c.name, [c.name]):
            m = re.search(r"\b" + re.escape(a) + r"\b", text, 0 if a[0].isupper() else re.IGNORECASE)
            if m:
                hits.append((m.start(), c.name))
                break
    return [n for _, n in sorted(hits)]


def _condense(sentence: str, limit: int = 28) -> str:
    """Drop appositives and trailing clauses until the sentence fits ``limit`` words."""
    s = re.sub(r"([A-Z][\w']+),\s+(?:a|an|the)\s+[^,;.]{3,50}?,", r"\1", sentence)  # "Emma, a strategist, joins"
    # "Wolverine, drawn into the conflict by ..., reluctantly teams up": drop the parenthetical
    s = re.sub(r"([A-Z][\w']+),\s+(?:drawn|now|once|ever|[a-z]+ed|[a-z]+ing)\b[^,;.]{0,90}?,\s+(?=[a-z])", r"\1 ", s)
    s = re.sub(r"\s+", " ", s).strip()
    if len(s.split()) <= limit:
        return s
    parts = re.split(r"(?<=,)\s+", s)
    # drop a leading frame ("In Fast X,", "After the catastrophe,") when a main clause follows
    while len(parts) > 1 and re.match(r"(?:In|After|Before|As|When|While|Meanwhile|However|With|Despite|Among|To)\b",
                                      parts[0]) and len(" ".join(parts[1:]).split()) >= 6:
        parts = parts[1:]
        parts[0] = parts[0][0].upper() + parts[0][1:]
    out = ""
    for p in parts:
        cand = (out + " " + p).strip()
        if len(cand.split()) > limit and out:
            break
        out = cand
    out = out.rstrip(",;: ")
    if len(out.split()) > limit:
        out = " ".join(out.split()[:limit])
    return out + ("" if out.endswith((".", "!", "?")) else ".")


def _split_events(sentence: str) -> list[str]:
    """A long sentence holding two events becomes two ("X happens; meanwhile Y")."""
    if len(sentence.split()) <= 30:
        return [sentence]
    pieces = re.split(r";\s+|\s+-\s+|,\s+while\s+|,\s+but\s+", sentence)
    pieces = [p.strip().rstrip(".") for p in pieces if len(p.split()) >= 6]
    if len(pieces) < 2:
        return [sentence]
    return [p[0].upper() + p[1:] + "." for p in pieces]


@dataclass
class _Beat:
    kind: str
    text: str
    place: str
    time: str
    characters: list[str] = field(default_factory=list)
    time_jump: bool = False


def _advance(time: str, steps: int = 1) -> str:
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
        return ("in " if _place_head(place) in _IN_PLACES else "at ") + place
    return ("in the " if _place_head(place) in _IN_PLACES else "at the ") + place


def _assign_kinds(texts: list[str]) -> list[str]:
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


def _predicate(sentence: str, subject_aliases: list[str]) -> str:
    """The verb phrase after the subject, without trailing place and time phrases."""
    s = sentence.rstrip(".!?")
    start = 0
    for a in subject_aliases:
        m = re.search(r"\b" + re.escape(a) + r"\b", s, 0 if a[0].isupper() else re.IGNORECASE)
        if m:
            start = m.end()
            break
    rest = s[start:].strip(" ,")
    if not rest or start == 0:
        return ""
    rest = re.split(r"\s+\b(?:in|at|on|through|across|inside|near|under|along|during|by)\s+(?:the|a|an|his|her|their|night|dawn|dusk|midnight|sunset|noon)\b",
                    rest, maxsplit=1)[0]
    rest = re.split(r",", rest, maxsplit=1)[0]
    return rest.strip()


def _object_of(predicate: str) -> str:
    m = re.search(r"\b(a|an|the|his|her|their)\s+((?:[a-z\-]+\s+){0,2}[a-z\-]+)", predicate)
    if not m:
        return ""
    return m.group(2).strip()


_GENRE_ROUTINES = {
    "thriller": "keeps watch {at}", "action": "trains hard {at}", "romance": "lingers {at}",
    "horror": "settles uneasily {at}", "sci-fi": "runs the night checks {at}", "fantasy": "keeps the old ways {at}",
    "comedy": "fumbles through the morning {at}", "drama": "goes about the day {at}",
    "adventure": "studies an old map {at}", "mystery": "notices something out of place {at}",
}


def _lower_first(text: str, reading: _Reading) -> str:
    """Lower-case the first letter unless the sentence opens on a proper name."""
    first = text.split()[0] if text.split() else ""
    proper = {w for c in reading.characters for w in c.name.split() if w[0].isupper()} | \
             {w for pl in reading.places for w in pl.split() if w[0].isupper()}
    return text if _strip_possessive(first) in proper else text[0].lower() + text[1:]


def _strip_setting(phrase: str) -> str:
    """Drop trailing place and time phrases: 'loneliness in a big city' -> 'loneliness'."""
    return re.split(r"\s+\b(?:in|at|on|through|across|inside|near|under|along|during|by)\s+(?:the|a|an|his|her|their|night|dawn|dusk|midnight|sunset|noon)\b",
                    phrase, maxsplit=1)[0].strip()


def _expand_theme(reading: _Reading) -> list[_Beat]:
    text = " ".join(reading.sentences)
    p = reading.characters[0].name
    aliases = reading.aliases.get(p, [p])
    loc1 = reading.places[0]
    if len(reading.places) > 1:
        loc2 = reading.places[1]
    else:
        taken = set(loc1.lower().split())
        options = [x for x in lx.RELATED_PLACES.get(_place_head(loc1), ()) if x not in taken] or [
            x for x in lx.GENRE_PLACES[reading.genre] if x not in taken] or [loc1]
        loc2 = lx.pick(options, reading.seed, text, "loc2")
    time0 = _time_in(text) or ("night" if reading.genre == "horror" else "day")
    events: list[str] = []
    for s in reading.sentences:
        events.extend(e.strip() for e in re.split(r",?\s+and then\s+|;\s+", s) if len(e.split()) >= 3)
    pred = _predicate(events[0], aliases) if events else ""
    obj = _object_of(pred)
    last = pred.split()[-1].lower() if pred else ""
    obj_phrase = ("the " + obj) if obj else ("the " + last if last and last not in lx.STOP_WORDS else "the moment")
    if not pred:
        # a noun-phrase theme ("Loneliness in a big city"): the protagonist confronts it
        core = re.sub(r"^(?:a|an|the)\s+", "", events[0].rstrip(".") if events else text, flags=re.IGNORECASE)
        core = _strip_setting(core)
        pred = "faces " + core[0].lower() + core[1:]
        obj_phrase = core[0].lower() + core[1:]
        events = [f"{p} {pred}."] + events[1:]
    P = p[0].upper() + p[1:]
    fmt = dict(p=p, P=P, obj=obj_phrase, Obj=obj_phrase[0].upper() + obj_phrase[1:],
               loc1=loc1, loc2=loc2, at1=_at(loc1), at2=_at(loc2),
               At2=_at(loc2)[0].upper() + _at(loc2)[1:])
    routine = _ROUTINES.get(_place_head(loc1)) or _GENRE_ROUTINES[reading.genre].format(at=_at(loc1))
    when = _WHEN[time0]
    beats = [_Beat("setup", f"{when} {_at(loc1)}, {p} {routine}.", loc1, time0)]
    # the theme's own events, in its own words (one or two development beats); the first
    # mention of the protagonist is now known to the audience: "an old fisherman" -> "the old fisherman"
    for e in events[:2]:
        own = e if e.endswith(".") else e + "."
        own = re.sub(r"^(?:An?|Two|Three|Both)\s+", "The ", own)
        beats.append(_Beat("development", own[0].upper() + own[1:], loc1, time0))
    t_turn = _advance(time0) if time0 not in ("dusk", "night") else time0
    turn = _TURNS[reading.genre].format(**fmt)
    if t_turn != time0:
        turn = f"{_WHEN[t_turn]}, {_lower_first(turn, reading)}"
    beats.append(_Beat("turn", turn + ".", loc2, t_turn, time_jump=t_turn != time0))
    if reading.genre in _CLIMAXES and len(beats) < 4:
        beats.append(_Beat("climax", _CLIMAXES[reading.genre].format(**fmt) + ".", loc2, t_turn))
    t_out = _advance(t_turn)
    out = _OUTCOMES[reading.genre].format(**fmt)
    out = f"{_WHEN[t_out]}, {_lower_first(out, reading)}"
    beats.append(_Beat("outcome", out + ".", loc1, t_out, time_jump=True))
    for b in beats:
        b.characters = _characters_in(b.text, reading) or [p]
    return beats


# --- condensing a long synopsis ------------------------------------------------------------

def _condense_synopsis(reading: _Reading) -> list[str]:
    """The synopsis's own event sentences, in order, each trimmed to its main clause."""
    events: list[str] = []
    for s in reading.sentences:
        events.extend(_split_events(s))
    # keep eventful sentences: someone does something (a character or a long clause)
    scored = [(i, e) for i, e in enumerate(events) if _characters_in(e, reading) or len(e.split()) >= 8]
    if len(scored) > MAX_BEATS:
        first, last = scored[0], scored[-1]
        middle = sorted(scored[1:-1], key=lambda ie: (-len(_characters_in(ie[1], reading)), ie[0]))
        scored = sorted([first, last] + middle[:MAX_BEATS - 2])
    return [_condense(e, 22) for _, e in scored] or [_condense(events[0], 22)]


def _place_beats(texts: list[str], kinds: list[str], reading: _Reading, named_places: list[str]) -> list[_Beat]:
    """Give each beat a place, a time of day and its people (the text's, else continuity rules)."""
    beats: list[_Beat] = []
    place, time = None, None
    genre_places = list(lx.GENRE_PLACES[reading.genre])
    prev_chars = [reading.characters[0].name] if reading.characters else []
    for text, kind in zip(texts, kinds):
        here = _places_in(text, reading)
        t = _time_in(text)
        travels = any(w.lower() in lx.TRAVEL_VERBS for w in lx.words(text))
        if here:
            new_place = here[0]
        elif place is None:
            new_place = named_places[0] if named_places else genre_places[0]
        elif travels or kind == "climax":
            # an unnamed move: a place the synopsis names but has not used, else where such a
            # story goes next from here, else the genre's next setting
            used = {b.place for b in beats} | {place}
            options = [p for p in named_places if p not in used] or \
                [p for p in lx.RELATED_PLACES.get(_place_head(place), ()) if p not in used] or \
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
            time, jump = _advance(time), True  # resolution: time has passed
        chars = _characters_in(text, reading)
        if not chars and re.search(r"\b(he|she|they|his|her|their)\b", text, re.IGNORECASE):
            chars = prev_chars  # a pronoun continues the previous beat's people
        chars = chars or prev_chars
        prev_chars = chars
        beats.append(_Beat(kind, text, new_place, time, chars, jump))
        place = new_place
    return beats


def _beats(reading: _Reading) -> list[_Beat]:
    n_words = sum(len(s.split()) for s in reading.sentences)
    if n_words < LONG_TEXT_WORDS and len(reading.sentences) <= 2:
        return _expand_theme(reading)
    texts = _condense_synopsis(reading)
    if len(texts) < 2:
        return _expand_theme(reading)  # one event is a theme, however long: give it an arc
    return _place_beats(texts, _assign_kinds(texts), reading, reading.places)


# --- public API ----------------------------------------------------------------------------

_BEAT_MARK = "\n\n"  # synopsis paragraphs; one per beat so later stages can recover them


def _title(reading: _Reading, beats: list[_Beat]) -> str:
    p = reading.characters[0].name
    inciting = next((b.text for b in beats if b.kind == "development"), beats[0].text)
    obj = _object_of(_predicate(inciting, reading.aliases.get(p, [p])))
    if obj and len(obj.split()) <= 3 and obj not in {w.lower() for w in p.split()}:
        return "The " + " ".join(w.capitalize() for w in obj.split())
    if p[0].isupper():
        place = reading.places[0]
        return f"{p} and the {place.title()}" if not place[0].isupper() else f"{p} of {place}"
    return "The " + " ".join(w.capitalize() for w in reading.places[0].split())


def write_synopsis(req: FilmRequest) -> Synopsis:
    reading = _read(req.text, req.seed)
    beats = _beats(reading)
    setup = next((b.text for b in beats if b.kind == "development"), beats[0].text).rstrip(".") \
        if len(beats) <= 5 and any(b.kind == "development" for b in beats[1:3]) else beats[0].text.rstrip(".")
    peak = next((b.text for b in beats if b.kind in ("climax", "turn")), beats[-1].text).rstrip(".")
    logline = setup if peak == setup else f"{setup}; {_lower_first(peak, reading)}"
    logline = _condense(logline, 45)
    used_places = []
    for b in beats:
        if b.place not in used_places:
            used_places.append(b.place)
    locations = [Location(name=pl, description=(("interior" if lx.PLACES.get(_place_head(pl), (False,))[0] else "exterior")
                                                + f"; {lx.PLACES.get(_place_head(pl), (False, 'open air'))[1]}"))
                 for pl in used_places]
    return Synopsis(
        title=_title(reading, beats),
        logline=logline,
        synopsis=" ".join(b.text for b in beats),
        genre=reading.genre,
        mood=reading.mood,
        characters=reading.characters,
        locations=locations,
    )


def _reading_from_synopsis(syn: Synopsis) -> _Reading:
    """Rebuild the reading from a synopsis (the contract carries the extracted entities)."""
    reading = _read(syn.synopsis, 0)
    reading.characters = list(syn.characters)
    reading.aliases = {}
    for c in syn.characters:
        parts = c.name.split()
        al = [c.name]
        if c.name[0].isupper() and len(parts) > 1:
            al.append(parts[-1] if parts[0] in lx.TITLES else parts[0])
        if not c.name[0].isupper():
            al.append(parts[-1])
        reading.aliases[c.name] = al
    reading.places = [l.name for l in syn.locations] or reading.places
    reading.genre, reading.mood = syn.genre if syn.genre in lx.GENRE_MOOD else reading.genre, syn.mood
    reading.seed = lx.stable_int(syn.title, syn.synopsis) % 1000
    return reading


def simplify_storyboard(syn: Synopsis) -> SimplifiedStoryboard:
    reading = _reading_from_synopsis(syn)
    texts = lx.split_sentences(syn.synopsis)[:MAX_BEATS] or [syn.synopsis]
    kinds = _assign_kinds(texts)
    chain: list[StoryBeat] = []
    for i, (t, k) in enumerate(zip(texts, kinds)):
        cause = ""
        if i > 0:
            prev = texts[i - 1].rstrip(".")
            cause = "because " + _condense(_lower_first(prev, reading), 14).rstrip(".")
        chain.append(StoryBeat(kind=k, text=t, cause=cause))
    return SimplifiedStoryboard(causal_chain=chain, outcome=chain[-1].text)


def _beats_from_chain(syn: Synopsis, simple: SimplifiedStoryboard) -> tuple[_Reading, list[_Beat]]:
    reading = _reading_from_synopsis(syn)
    texts = [b.text for b in simple.causal_chain]
    kinds = [b.kind for b in simple.causal_chain]
    return reading, _place_beats(texts, kinds, reading, [l.name for l in syn.locations])


def _group_scenes(beats: list[_Beat]) -> list[list[_Beat]]:
    scenes: list[list[_Beat]] = []
    for b in beats:
        if scenes and scenes[-1][-1].place == b.place and scenes[-1][-1].time == b.time:
            scenes[-1].append(b)
        else:
            scenes.append([b])
    # a scene holds at most two beats: after that, time has passed in the same place
    split_runs: list[list[_Beat]] = []
    for sc in scenes:
        for k in range(0, len(sc), 2):
            chunk = sc[k:k + 2]
            if k:
                later = _advance(split_runs[-1][0].time)
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
                b.time = _advance(b.time)
        scenes.append(sc)
    if len(scenes) == 1 and len(beats) >= 2:
        # one place, one time: time passes before the turn, so the story still has two scenes
        split = next((i for i, b in enumerate(beats) if b.kind in ("turn", "climax")), len(beats) - 1) or 1
        later = _advance(beats[0].time) if beats[0].time != "night" else "dawn"
        for b in beats[split:]:
            b.time = later
        beats[split].time_jump = True
        scenes = [beats[:split], beats[split:]]
    while len(scenes) > 6:
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
    t = text.rstrip(".!?")
    parts = re.split(r",\s+and\s+|\s+and then\s+|;\s+|,\s+while\s+|,\s+as\s+|,\s+(?=[a-z]+ing\b)", t)
    out: list[str] = []
    for p in (p.strip(" ,") for p in parts):
        has_verb = any(_looks_like_verb(w) or w.endswith("ing") for w in p.split()[:4] if w.lower() not in lx.STOP_WORDS)
        if out and (len(p.split()) < 3 or not has_verb):
            out[-1] = out[-1] + ", " + p  # a list item, not an action of its own
        elif len(p.split()) >= 3 or not out:
            out.append(p)
    return out[:3] or [t]


def _metaphor(beat: _Beat, seed: int) -> str | None:
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
                chars = _characters_in(clause, reading) or b.characters[:1]
                shots.append(StoryboardShot(kind="primary", description=clause, characters=chars))
            if b.kind in ("turn", "climax", "outcome") and metaphor is None:
                metaphor = _metaphor(b, reading.seed)
        if metaphor:
            shots.append(StoryboardShot(kind="metaphor", description=metaphor))
        # 2-5 shots: a reaction close-up pads a one-shot scene; extra primaries fold together
        if len(shots) < 2:
            who = people[0] if people else syn.characters[0].name
            shots.append(StoryboardShot(kind="contextual", description=f"{who[0].upper() + who[1:]} reacts, the weight of the moment on the face",
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


# --- scene blocks --------------------------------------------------------------------------

_ADJ_SUFFIX = ("ed", "ing", "y", "al", "ful", "ous", "ive", "ic", "less", "ant", "ent", "ish", "ary", "ble")
_ADJECTIVES = frozenset("old young new big small little dark long final grand great last first late tall "
                        "short red black white golden silver quiet empty lost hidden secret ancient strange "
                        "cold warm wild lone distant high low deep open broken wet dry".split())


def _head_noun(words2: list[str]) -> str:
    """'glowing pearl' -> 'pearl'; 'memory that' -> 'memory' (adjective-noun guess by form)."""
    if words2[0] in lx.ROLE_NOUNS or words2[0] in lx.PLACES:
        return words2[0]
    if len(words2) == 2 and words2[1] not in lx.STOP_WORDS and (
            words2[0] in _ADJECTIVES or words2[0].endswith(_ADJ_SUFFIX)):
        return words2[1]
    return words2[0]


def _key_elements(text: str, place: str, people: list[str]) -> list[str]:
    skip = {w.lower() for p in people for w in p.split()} | set(lx.TIME_WORDS) | {"way", "day", "time", "one"}
    out: list[str] = [place]
    for m in re.finditer(r"\b(?:a|an|the|his|her|their|its)\s+([a-z\-]+)(?:\s+([a-z\-]+))?", text):
        noun = _head_noun([w.lower() for w in m.groups() if w])
        if len(noun) < 3:
            continue
        if noun in lx.STOP_WORDS or noun in skip or noun.endswith("ly") or noun in lx.ROLE_NOUNS:
            continue
        if noun not in out and noun != _place_head(place):
            out.append(noun)
    return out[:6]


def _verb_phrase(clause: str, chars: list[str], reading: _Reading) -> str:
    """What the subject does: the clause from its first verb, without setting phrases."""
    for c in chars:
        for a in reading.aliases.get(c, [c]):
            m = re.search(r"\b" + re.escape(a) + r"\s+(\w+)", clause, 0 if a[0].isupper() else re.IGNORECASE)
            if m and _looks_like_verb(m.group(1)) and m.group(1).lower() != "and":
                vp = clause[m.start(1):].rstrip(".!?")
                return _strip_setting(vp.split(",")[0]).strip()
    first = clause.split()[0].lower() if clause.split() else ""
    if first.endswith("ing"):
        return _strip_setting(clause.rstrip(".!?").split(",")[0])
    body = re.sub(r"^(?:By day|At \w+|That night|Back (?:at|in) the [\w\- ]+?|[A-Z][a-z]+ (?:at|in) the [\w\- ]+?),\s+", "", clause.rstrip(".!?"))
    toks = body.split()
    for i, t in enumerate(toks):
        if i == 0:
            continue
        tl = t.lower().strip(",")
        if tl in {"must", "will", "can", "is", "are", "was", "were", "has", "have"} or tl in lx.SPEECH_VERBS \
                or tl in lx.TRAVEL_VERBS or (re.fullmatch(r"[a-z]+(?:s|ed)", tl) and tl not in lx.STOP_WORDS
                                            and not toks[i - 1].lower() in {"the", "a", "an", "his", "her", "their", "its", "of"}
                                            and tl.rstrip("s") not in lx.ROLE_NOUNS and tl not in lx.PLACES
                                            and not tl.endswith(("ss", "ous", "ness"))):
            return _strip_setting(" ".join(toks[i:]).split(",")[0].strip(" ,"))
    return _strip_setting(body.split(",")[0])


def _is_dialogue_beat(text: str, people: list[str]) -> bool:
    wl = {w.lower() for w in lx.words(text)}
    return bool('"' in text or wl & lx.SPEECH_VERBS or (len(people) >= 2 and wl & {"together", "team", "teams", "with"}))


_DIALOGUE_VERBS = lx.SPEECH_VERBS | frozenset(
    "devises devise plans plan decides decide reunites reunite teams team vows promises pleads "
    "begs insists demands proposes".split())


def _line_for(clause: str, speaker: str, reading: _Reading) -> str | None:
    quote = re.search(r'"([^"]{2,120})"', clause)
    if quote:
        return quote.group(1).strip()
    vp = _verb_phrase(clause, [speaker], reading)
    toks = vp.split()
    if not toks:
        return None
    verb = toks[0].lower()
    if verb not in _DIALOGUE_VERBS:
        return None  # nobody speaks in a shot of pure action
    if verb in {"and", "to"} and len(toks) > 1:
        toks, verb = toks[1:], toks[1].lower()
    rest = " ".join(toks[1:])
    rest = re.sub(r"\b(him|her|them)\b", "you", rest)
    rest = lx.first_person(rest)
    if verb in {"vows", "vowing", "vowed", "promises", "promised", "swears"}:
        line = f"I promise you {rest}"
    elif verb in {"asks", "asked"} and " to " in rest:
        line = "Will you " + rest.split(" to ", 1)[1] + "?"
    elif verb in {"tells", "told", "warns", "warned"} and re.search(r"\bthat\b", rest):
        line = rest.split("that", 1)[1].strip()
        line = line[0].upper() + line[1:] if line else ""
    elif verb in {"begs", "begged", "pleads", "pleaded", "urges"} and re.search(r"\b(not )?to (\w.*)", rest):
        m = re.search(r"\b(not )?to (\w.*)", rest)
        line = "Please, " + ("don't " if m.group(1) else "") + m.group(2)
    elif verb in {"say", "says", "said"} and rest:
        line = rest[0].upper() + rest[1:]
    elif verb in {"is", "was", "are"}:
        line = f"I am {rest}"
    else:
        line = f"I'll {lx.base_verb(verb)} {rest}".strip()
    words = line.rstrip(".?!").split()[:12]
    line = " ".join(words)
    return line + ("?" if line.startswith("Will") else ".") if words else None


def _effects(texts: list[str]) -> list[str]:
    out: list[str] = []
    for t in texts:
        for w in lx.words(t):
            fx = lx.EFFECT_WORDS.get(w.lower())
            if fx and fx not in out:
                out.append(fx)
    return out[:5]


def _objective(kind: str, place: str, people: list[str], beat: str) -> str:
    short = _condense(beat, 16).rstrip(".")
    who = " and ".join(people[:2]) if people else "the protagonist"
    return {
        "setup": f"Establish {who} in the {place}: {short}",
        "development": f"Advance the story: {short}",
        "turn": f"Turn the story: {short}",
        "climax": f"Bring the conflict to a head: {short}",
        "outcome": f"Resolve the story: {short}",
    }[kind]


def structure_scene_blocks(film_id: str, syn: Synopsis, simple: SimplifiedStoryboard,
                           detailed: DetailedStoryboard, max_scenes: int = 12) -> SceneBlocks:
    if not detailed.scenes:
        raise ValueError("detailed storyboard has no scenes: run detail_storyboard first")
    if not 1 <= max_scenes <= MAX_SCENES:
        raise ValueError(f"max_scenes={max_scenes} must be in 1..{MAX_SCENES} (scene slots s01..s{MAX_SCENES:02d})")
    reading = _reading_from_synopsis(syn)
    scenes = list(detailed.scenes)
    if len(scenes) > max_scenes:
        scenes = scenes[:max_scenes - 1] + [scenes[-1]]  # keep the ending
    kinds = {b.text: b.kind for b in simple.causal_chain}
    blocks: list[SceneBlock] = []
    prev_time = None
    prev_place = None
    for i, sc in enumerate(scenes, start=1):
        beat_sents = lx.split_sentences(sc.beat) or [sc.beat]
        kind_order = ["setup", "development", "turn", "climax", "outcome"]
        scene_kinds = [kinds.get(s, "development") for s in beat_sents]
        kind = max(scene_kinds, key=lambda k: (k in ("climax", "turn", "outcome"), kind_order.index(k)))
        if i == 1:
            kind = "setup"
        people: list[str] = []
        for sh in sc.shots:
            people += [c for c in sh.characters if c not in people]
        if not people:
            people = [syn.characters[0].name]
        mood = _mood_of(sc.beat, syn.mood)
        head = _place_head(sc.location)
        interior = lx.PLACES.get(head, (False, ""))[0]
        heading = f"{'INT.' if interior else 'EXT.'} {sc.location.upper()} - {lx.TIME_HEADING[sc.time_of_day]}"
        dialogue_beat = _is_dialogue_beat(sc.beat, people)
        prompts: list[ShotPrompt] = []
        spoken = 0
        for j, sh in enumerate(sc.shots, start=1):
            action = ""
            line = None
            if sh.kind == "primary":
                action = _verb_phrase(sh.description, sh.characters, reading)
                speaker = sh.characters[0] if sh.characters else None
                if dialogue_beat and speaker and speaker[0].isupper() and spoken < 2:
                    line = _line_for(sh.description, speaker, reading)
                    spoken += line is not None
                elif dialogue_beat and speaker and spoken < 1:
                    line = _line_for(sh.description, speaker, reading)
                    spoken += line is not None
            elif sh.kind == "metaphor":
                action = re.sub(r"^(?:a|an|the|two)\s+", "", sh.description)
            elif sh.kind == "establishing":
                action = ""
            tod = sc.time_of_day.replace("_", " ")
            prompt = f"{sh.description}. {sc.location}, {tod}, {mood} mood"
            if sh.characters:
                prompt += "; featuring " + ", ".join(sh.characters)
            prompts.append(ShotPrompt(shot_id=shot_id(i, j), kind=sh.kind, prompt=prompt, action=action,
                                      characters=sh.characters, dialogue=line))
        ambience = lx.PLACES.get(head, (False, "open air, light wind"))[1]
        if not interior:
            ambience += ", " + lx.TIME_AMBIENCE[sc.time_of_day]
        ambience = f"{sc.time_of_day.replace('_', ' ')} {sc.location}: {ambience}"
        sketch = SoundSketch(ambience=ambience, music_mood=lx.MUSIC_FOR_MOOD.get(mood, mood),
                             effects=_effects([p.action for p in prompts] + [sc.beat]))
        time_jump = prev_time is not None and sc.location == prev_place and sc.time_of_day != prev_time
        vo = ""
        if i == 1 or i == len(scenes) or time_jump:
            vo = _condense(beat_sents[0], 22)
        blocks.append(SceneBlock(
            scene_id=scene_id(i), index=i, heading=heading, location=sc.location,
            time_of_day=sc.time_of_day, characters=people,
            key_visual_elements=_key_elements(sc.beat, sc.location, people),
            narrative_objective=_objective(kind, sc.location, people, sc.beat), mood=mood,
            shots=prompts, sound_sketch=sketch, voice_over=vo,
        ))
        prev_time, prev_place = sc.time_of_day, sc.location
    return SceneBlocks(film_id=film_id, title=syn.title, scenes=blocks)
