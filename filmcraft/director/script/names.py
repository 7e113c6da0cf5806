"""Proper names in a text: which capitalised runs are people, which are places, and which are
realms, events, works and things (a boat's name, "a Vermeer", "the King's Day celebrations").
"""

from __future__ import annotations

import re

from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.grammar import finite_verb


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


def strip_possessive(tok: str) -> str:
    return re.sub(r"'s?$", "", tok)


def _looks_like_verb(tok: str) -> bool:
    t = tok.lower()
    if t in lx.PLACES or t.rstrip("s") in lx.ROLE_NOUNS or t.rstrip("s") in world.CREATURES:
        return False  # "the Tatra mountains", "the Golden Lotus gang members": a noun after a name
    if t in lx.STOP_WORDS and t not in {"is", "was", "has", "had", "does", "must", "can", "will"}:
        return False
    return t in {"is", "was", "has", "had", "must", "can", "will", "and"} or t.endswith(("s", "ed")) \
        or t in lx.TRAVEL_VERBS or t in lx.SPEECH_VERBS


_PROPER_PLACE_PREPOSITIONS = frozenset("in at to into through across near toward towards inside outside above below beyond".split())


_OVER = frozenset("over above beyond along past under across around".split())  # "a glider over the Downs"


LANDSCAPES = frozenset("desert mountains glacier tundra jungle sea ocean river ice summit".split())


# months that are also given names: "a woman in a green coat, June Albright", "with June pressing ice"
_NAME_MONTHS = frozenset("April May June".split())
_TIME_WORDS = frozenset("in on by until till since last next this every of early late mid through during".split())


def _month_as_name(toks: list[str], start: int, word: str) -> bool:
    return word in _NAME_MONTHS and start > 0 and toks[start - 1].lower() not in _TIME_WORDS \
        and not toks[start - 1][:1].isdigit() and not (start + 1 < len(toks) and toks[start + 1][:1].isdigit())


def _is_work_title(run: list[str], nxt: str) -> bool:
    """'Despicable Me 4', 'Fast X', 'Frozen II': the title of a film, not a person or a place."""
    return nxt.isdigit() or any((len(t) == 1 and t not in {"I", "A"}) or re.fullmatch(r"[IVX]{2,4}", t)
                                for t in run)


def extract_places_and_names(sentences: list[str]) -> tuple[list[str], list[tuple[str, int]]]:
    """Proper-noun places and proper-noun characters, with the sentence index of first mention.

    Every mention of a capitalised run votes: a run followed by a verb, introduced by a title, or
    described by an appositive ("Tomas, the old lighthouse keeper") is a person wherever else it
    appears ("show it to Tomas"); a run after a place preposition or ending in a place noun is a place;
    a run that modifies a role or group noun ("an Arendelle soldier") or follows "the" without any
    person evidence is a realm, event or thing, never a character.
    """
    lower_words = {w for s in sentences for w in lx.words(s) if w[0].islower()}
    elsewhere: dict[str, int] = {}
    for s in sentences:
        for start, _, toks in _cap_sequences(s):
            if start > 0:
                for t in toks:
                    elsewhere[strip_possessive(t)] = elsewhere.get(strip_possessive(t), 0) + 1
    evidence: dict[str, dict[str, int]] = {}
    first_seen: dict[str, int] = {}
    for si, s in enumerate(sentences):
        toks = _tokens(s)
        for start, end, run in _cap_sequences(s):
            possessive = run[-1].endswith(("'s", "'"))
            inner_possessive = any(t.endswith("'s") for t in run[:-1]) and run[-1].lower() not in lx.PLACES
            named = start > 0 and toks[start - 1].lower() in {"named", "called"}  # "a historian named June"
            run = [strip_possessive(t) for t in run]
            # drop sentence openers ("After", "Meanwhile") and a trade used as a title ("Baker Marcus
            # Bell") from the front of the run
            while run and not named and (
                    re.fullmatch(r"[A-Z][a-z]+-year-old", run[0])  # "Twelve-year-old Maya" is Maya
                    or (run[0] in lx.SENTENCE_OPENERS or (run[0] in lx.CALENDAR_WORDS and not _month_as_name(toks, start, run[0])))
                    and run[0] not in lx.TITLES
                           or (len(run) > 1 and run[0].lower() in lx.ROLE_NOUNS and run[0] not in lx.TITLES)):
                run, start = run[1:], start + 1
            if not run:
                continue
            phrase = " ".join(run)
            prev = toks[start - 1].lower() if start > 0 else ""
            prev2 = toks[start - 2].lower() if start > 1 else ""
            nxt = toks[end + 1] if end + 1 < len(toks) else ""
            nxt2 = toks[end + 2] if end + 2 < len(toks) else ""
            ev = evidence.setdefault(phrase, {"person": 0, "place": 0, "modifier": 0, "thing": 0, "work": 0, "seen": 0})
            # "the King's Day celebrations": an event ("St. Anne's Hospital" is a place)
            if _is_work_title(run, nxt) or inner_possessive:
                ev["work"] += 1
                continue
            at_start = all(t in lx.SENTENCE_OPENERS or not t[0].isalnum() for t in toks[:start])
            verb_next = (_looks_like_verb(nxt) and nxt.lower() != "and") or (
                nxt.lower().endswith("ly") and _looks_like_verb(nxt2) and nxt2.lower() != "and")
            common = len(run) == 1 and (run[0].lower() in world.WEATHER_WORDS or run[0].lower() in world.PROPS
                                        or run[0].lower() in lx.TIME_WORDS  # "Night falls over the Mojave"
                                        or run[0].lower() in world.CREATURES or run[0].lower() in lx.PLACES
                                        or run[0].lower().endswith(("ing", "ed")))
            if at_start and (phrase.lower() in lower_words or common or not (
                    elsewhere.get(run[0], 0) or verb_next or nxt in {"", ","})):
                continue  # a capitalised common word opening a sentence ("Lightning strikes")
            ev["seen"] += 1
            first_seen.setdefault(phrase, si)
            window = [t.lower() for t in toks[end + 2:end + 8]]
            # "the research submarine Orca Nine loses": a name right after a place or vehicle noun that
            # is no prepositional phrase's ("on the quay Maria waits") names that thing, even as it acts
            thing_named = (prev in lx.PLACES or prev in {"ship", "boat", "station"}) and not any(
                t.lower() in lx.LOCATION_PREPOSITIONS for t in toks[max(0, start - 4):start - 1])
            if verb_next and prev not in _PROPER_PLACE_PREPOSITIONS and not thing_named:
                ev["person"] += 1  # "Tomas recognises"; not "a painter in Paris falls"
            elif prev == "and" and start > 1 and toks[start - 2][:1].isupper() and nxt.isalpha() and nxt.islower() \
                    and nxt not in lx.STOP_WORDS and nxt not in lx.PLACES and finite_verb(nxt + "s"):
                ev["person"] += 1  # "Ben and Priya reach the surface"
            of_place = prev == "of" and (prev2 in lx.PLACES or prev2 in lx.RULER_NOUNS)  # "the town of Kettleford"
            # the appositive's head noun says what the name is: "the Chalet Edelweiss, a family ski
            # lodge above Zermatt" is a lodge (its "family" only modifies it)
            head = ""
            for w in window[1:]:
                if w in lx.LOCATION_PREPOSITIONS or w in _PROPER_PLACE_PREPOSITIONS | _OVER or w in lx.STOP_WORDS \
                        or not w.isalpha():
                    break
                head = w
            if nxt == "," and nxt2.lower() in {"a", "an", "the"} and head in lx.PLACES:
                ev["place"] += 2
            elif nxt == "," and nxt2.lower() in {"a", "an", "the"} and prev not in _PROPER_PLACE_PREPOSITIONS and not of_place and any(
                    w in lx.ROLE_NOUNS or w.rstrip("s") in lx.ROLE_NOUNS for w in window):
                ev["person"] += 1  # "Tomas, the old lighthouse keeper"
            if run[0] in lx.TITLES and len(run) > 1:
                ev["person"] += 1
            if prev in lx.PLACES or prev in {"ship", "boat", "station"}:
                ev["thing"] += 2  # "the orbital station Kestrel", "the boat Albatross": the place's name
            if prev in {"to", "with"} and any(t.lower() in lx.GIVING_VERBS for t in toks[max(0, start - 6):start]):
                ev["person"] += 1  # "show it to Tomas"
            if named:
                ev["person"] += 2
            if not possessive and (nxt.lower() in lx.ROLE_NOUNS or nxt.lower() in lx.GROUP_NOUNS):
                ev["modifier"] += 1  # "a loyal Arendelle soldier", "the Northuldra people"
            if (prev in _PROPER_PLACE_PREPOSITIONS and nxt.lower() != "and" and len(run) <= 3) or (
                    prev == "of" and (prev2 in lx.RULER_NOUNS or prev2 in lx.PLACES)) or (
                    prev == "the" and prev2 in _PROPER_PLACE_PREPOSITIONS | _OVER and not named
                    and not (nxt[:1].islower() and nxt not in lx.STOP_WORDS)):  # not "past the Ferris wheel"
                ev["place"] += 1  # "in Lisbon", "the queen of Arendelle", "over the Downs"
            if (nxt.lower() in lx.PLACES and nxt.lower() not in world.PREPOSITION_ONLY_PLACES) or \
                    nxt.lower() in world.PROPS or nxt.lower() in {"wheel", "bay", "street", "road"}:
                ev["modifier"] += 1  # "the Tatra mountains", "Harrow Hill caves": a place's name
            if prev == "the" or run[-1] in lx.THING_HEADS:
                ev["thing"] += 1
            if prev in {"a", "an"}:
                ev["thing"] += 2  # "steal a Vermeer": a work by someone, not someone
            prev3 = toks[start - 3].lower() if start > 2 else ""
            if prev == "the" and prev2 == "," and (prev3 in world.PROPS or prev3 in lx.PLACES):
                ev["thing"] += 2  # "her sailing boat, the Albatross": the thing's own name
            if prev == "," and (prev2 in world.CREATURES or prev2.rstrip("s") in world.CREATURES):
                ev["thing"] += 2  # "Hattie's grey mare, Duchess", "his dog, Bruno": an animal's name
    places: list[str] = []
    names: list[tuple[str, int]] = []
    for phrase in sorted(first_seen, key=lambda p: (first_seen[p], list(first_seen).index(p))):
        ev = evidence[phrase]
        run = phrase.split()
        if ev["work"] and not ev["person"]:
            continue
        if phrase in world.PROPER_PLACES and not (run[0] in lx.TITLES and len(run) > 1):
            # "Paris" is a place, even as the subject of "Paris sleeps"; a named landscape says its
            # kind ("the Sahara" is the Sahara desert)
            kind = world.PROPER_PLACES[phrase]
            places.append(f"{phrase} {kind}" if kind in LANDSCAPES and not phrase.lower().endswith(kind) else phrase)
        elif run[-1].lower() in lx.PLACES or (len(run) > 1 and run[0].lower() in lx.PLACES and run[0] not in lx.TITLES
                                             and not ev["person"]):
            places.append(phrase)  # "Harrow Hill caves"; "Port Regina", "Chalet Edelweiss", "Lake Como"
        elif ev["person"]:
            names.append((phrase, first_seen[phrase]))
        elif ev["place"]:
            places.append(phrase)
        elif ev["modifier"] or (ev["thing"] and (not phrase.endswith("s") or ev["thing"] >= 2)) or run[-1] in lx.THING_HEADS:
            continue  # a realm, an event or a thing ("the Immortal Ascension Exam")
        elif run[0] in lx.TITLES and len(run) == 1:
            continue
        else:
            names.append((phrase, first_seen[phrase]))
    # a name that is a prefix of a longer name ("Harry" vs "Harry Potter") is the same person
    full = [n for n, _ in names]
    def bare(n: str) -> str:
        return " ".join(w for w in n.split() if w not in lx.TITLES)
    # ... and so is a first or last name alone beside a titled full name ("Amara", "Professor Amara Osei")
    kept = [(n, si) for n, si in names if not any(
        o != n and (bare(o).startswith(bare(n) + " ") or bare(o) == bare(n) and len(o) > len(n) or (
            len(n.split()) == 1 and n in bare(o).split()[1:] and o.split()[0] in lx.TITLES)
        # "Madame Kovac" beside "Madame Ilse Kovac": the title and the surname are the same person
        or (n.split()[0] in lx.TITLES and len(bare(n).split()) == 1 and len(bare(o).split()) > 1
            and bare(o).split()[-1] == bare(n))
        # "Lomax" beside "Eddie Lomax", when no one else in the story has that surname
        or (len(n.split()) == 1 and len(o.split()) > 1 and o.split()[-1] == n
            and sum(1 for x in full if x.split()[-1] == n and x != n) == 1)) for o in full)]
    # ("Reyes" beside "Captain Reyes": the titled one stays)
    # a person's first or last name alone is that person, wherever it stands ("a tyre iron at Walt")
    parts = {w for n, _ in kept for w in n.split() if w not in lx.TITLES}
    places = [p for p in places if not (len(p.split()) == 1 and p in parts)]
    return places, kept
