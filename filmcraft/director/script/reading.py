"""The English reader: what a theme or synopsis says, read with rules instead of a language model.

Its sentences, its characters (named, role nouns, else an invented protagonist) with the words that
refer to them, who acts and who is only remembered, their genders, its places, genre and mood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filmcraft.contracts import Character, Synopsis
from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.grammar import finite_verb, mentions, place_head, subject_at


@dataclass
class Reading:
    """What the reader found in a text: its sentences, cast, places, genre and mood."""
    sentences: list[str]
    characters: list[Character]
    aliases: dict[str, list[str]]  # character name -> words that refer to it in the text
    places: list[str]  # place names in order of first mention ("enchanted forest", "Yuxu Palace")
    genre: str
    mood: str
    seed: int
    acting: set[str] = field(default_factory=set)  # characters that are the subject of a verb somewhere
    absent: set[str] = field(default_factory=set)  # people only remembered: dead, lost, long gone
    gender: dict[str, str] = field(default_factory=dict)  # name -> "f" / "m" when the text says


# --- names, roles and places --------------------------------------------------------------

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
    if t in lx.PLACES or t.rstrip("s") in lx.ROLE_NOUNS or t.rstrip("s") in world.CREATURES:
        return False  # "the Tatra mountains", "the Golden Lotus gang members": a noun after a name
    if t in lx.STOP_WORDS and t not in {"is", "was", "has", "had", "does", "must", "can", "will"}:
        return False
    return t in {"is", "was", "has", "had", "must", "can", "will", "and"} or t.endswith(("s", "ed")) \
        or t in lx.TRAVEL_VERBS or t in lx.SPEECH_VERBS


_PROPER_PLACE_PREPOSITIONS = frozenset("in at to into through across near toward towards inside outside".split())


_LANDSCAPES = frozenset("desert mountains glacier tundra jungle sea ocean river ice summit".split())


def _is_work_title(run: list[str], nxt: str) -> bool:
    """'Despicable Me 4', 'Fast X', 'Frozen II': the title of a film, not a person or a place."""
    return nxt.isdigit() or any((len(t) == 1 and t not in {"I", "A"}) or re.fullmatch(r"[IVX]{2,4}", t)
                                for t in run)


def _extract_places_and_names(sentences: list[str]) -> tuple[list[str], list[tuple[str, int]]]:
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
                    elsewhere[_strip_possessive(t)] = elsewhere.get(_strip_possessive(t), 0) + 1
    evidence: dict[str, dict[str, int]] = {}
    first_seen: dict[str, int] = {}
    for si, s in enumerate(sentences):
        toks = _tokens(s)
        for start, end, run in _cap_sequences(s):
            possessive = run[-1].endswith(("'s", "'"))
            inner_possessive = any(t.endswith("'s") for t in run[:-1]) and run[-1].lower() not in lx.PLACES
            named = start > 0 and toks[start - 1].lower() in {"named", "called"}  # "a historian named June"
            run = [_strip_possessive(t) for t in run]
            # drop sentence openers ("After", "Meanwhile") and a trade used as a title ("Baker Marcus
            # Bell") from the front of the run
            while run and not named and (
                    re.fullmatch(r"[A-Z][a-z]+-year-old", run[0])  # "Twelve-year-old Maya" is Maya
                    or (run[0] in lx.SENTENCE_OPENERS or run[0] in lx.CALENDAR_WORDS) and run[0] not in lx.TITLES
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
                                        or run[0].lower() in world.CREATURES or run[0].lower() in lx.PLACES
                                        or run[0].lower().endswith(("ing", "ed")))
            if at_start and (phrase.lower() in lower_words or common or not (
                    elsewhere.get(run[0], 0) or verb_next or nxt in {"", ","})):
                continue  # a capitalised common word opening a sentence ("Lightning strikes")
            ev["seen"] += 1
            first_seen.setdefault(phrase, si)
            window = [t.lower() for t in toks[end + 2:end + 8]]
            if verb_next and prev not in _PROPER_PLACE_PREPOSITIONS:
                ev["person"] += 1  # "Tomas recognises"; not "a painter in Paris falls"
            elif prev == "and" and start > 1 and toks[start - 2][:1].isupper() and nxt.isalpha() and nxt.islower() \
                    and nxt not in lx.STOP_WORDS and nxt not in lx.PLACES and finite_verb(nxt + "s"):
                ev["person"] += 1  # "Ben and Priya reach the surface"
            of_place = prev == "of" and (prev2 in lx.PLACES or prev2 in lx.RULER_NOUNS)  # "the town of Kettleford"
            if nxt == "," and nxt2.lower() in {"a", "an", "the"} and prev not in _PROPER_PLACE_PREPOSITIONS and not of_place and any(
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
                    prev == "of" and (prev2 in lx.RULER_NOUNS or prev2 in lx.PLACES)):
                ev["place"] += 1  # "in Lisbon", "the queen of Arendelle", "the iron town of Kettleford"
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
            places.append(f"{phrase} {kind}" if kind in _LANDSCAPES and not phrase.lower().endswith(kind) else phrase)
        elif run[-1].lower() in lx.PLACES:
            places.append(phrase)
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
        o != n and (bare(o).startswith(bare(n) + " ") or (len(n.split()) == 1 and n in bare(o).split()[1:] and
                                                          o.split()[0] in lx.TITLES)) for o in full)]
    return places, kept


_ROLE_RE = re.compile(
    r"\b((?i:a|an|the|his|her|their|its|two|three|four|both|several)|[A-Z][a-z]+'s)\s+((?:[a-z][a-z\-]*\s+){0,2}?)(%s)(?:s|es)?\b" % "|".join(
        sorted(lx.ROLE_NOUNS, key=len, reverse=True)))
_PLACE_RE = re.compile(
    r"\b(%s)\s+(?:(?:a|an|the|his|her|their|its)\s+)?((?:[a-z][a-z\-]*\s+){0,2})(%s)\b(?!')" % (
        "|".join(sorted(lx.LOCATION_PREPOSITIONS | {"enters", "explores", "reaches", "patrols", "enter", "explore", "reach", "patrol",
                                                  "entered", "explored", "reached"}, key=len, reverse=True)),
        "|".join(sorted(lx.PLACES, key=len, reverse=True))), re.IGNORECASE)
_BARE_PLACE_RE = re.compile(r"(?<![\w-])(%s)(?![\w-])(?!')" % "|".join(
    sorted(set(lx.PLACES) - world.PREPOSITION_ONLY_PLACES, key=len, reverse=True)), re.IGNORECASE)
# "-ing" words that name a kind of place ("fishing village"), not what it is doing ("dying village")
_ING_MODIFIERS = frozenset("fishing boarding mining training parking shopping living dining landing sleeping "
                           "meeting trading sailing".split())


def _adjectives(span: str, place: bool = False) -> list[str]:
    out = []
    for w in span.split():
        wl = w.lower()
        if wl in lx.STOP_WORDS or wl.endswith("ly") or wl in lx.SPEECH_VERBS or wl in lx.TRAVEL_VERBS:
            return []  # not a clean adjective run: keep the bare noun
        if place and ((wl.endswith("ing") and wl not in _ING_MODIFIERS) or wl in world.WEATHER_WORDS
                      or wl in _TRANSIENT):
            out = []  # "the waiting ship", "the stormy sea": a passing state is not the place's name
            continue
        out.append(wl)
    return out


# adjectives of a moment, not of a place's name
_TRANSIENT = frozenset("vast same other next last first whole entire empty distant nearby remote waiting".split())


def _role_characters(sentences: list[str], names: list[str]) -> list[tuple[str, str, int]]:
    """Role-noun characters ("an old fisherman") that are not appositives of a named person."""
    found: dict[str, tuple[str, str, int]] = {}
    named_nouns: set[str] = set()  # "a maintenance robot called Unit Seven": later "the robot" is him
    for si, s in enumerate(sentences):
        for m in _ROLE_RE.finditer(s):
            before = s[:m.start()].rstrip()
            if before.endswith(",") and any(before[:-1].rstrip().replace(".", "").endswith(n.replace(".", ""))
                                            for n in names):
                continue  # "Maxime, a dangerous criminal" describes Maxime
            after = s[m.end():m.end() + 40]
            if re.match(r"\s*(?:,\s+(?:a|an|the)\s+[^,.;]{0,30}?)?\b(?:named|called)\s+[A-Z]", after):
                named_nouns.add(m.group(3).lower())
                continue  # "her apprentice, a shy boy named Pim": Pim himself
            if re.match(r"\s*,?\s*[A-Z][a-z]+", after) and not re.match(r"\s*,?\s*(The|A|An|He|She|They|It)\b", after):
                continue  # "the cunning Valentina": the role word is an epithet of the name
            noun = m.group(3).lower()
            det = m.group(1).lower()
            if det in {"his", "her", "their", "its"} and noun in {"family", "team", "crew", "friend"}:
                continue  # a group around someone, not a character of its own
            if re.search(r"\b(?:as|is|was|are|were|be|being|becomes|became|become|remains|remain)\s*$", before,
                         re.IGNORECASE):
                continue  # "his past as a villain", "becomes the new queen": what someone is, not someone new
            nxt = re.match(r"\s*([a-z]+)", after)
            if nxt and (nxt.group(1) in lx.GROUP_NOUNS or nxt.group(1) in lx.PLACES):
                continue  # "the dragon clan": the role word names the group's kind
            said_plural = m.group(0).split()[-1].lower() != noun
            if len(names) >= 2 and (noun in lx.COLLECTIVE_ROLES or said_plural):
                continue  # "the team", "the sisters": the named people themselves, seen together
            adjs = _adjectives(m.group(2))
            said = m.group(0).split()[-1].lower()  # as written, plural kept: "sisters"
            count = [det] if det in {"two", "three", "four", "both", "several"} else []
            name = "the " + " ".join(count + adjs + [said])
            if noun not in found:
                found[noun] = (name, m.group(0), si)
    return sorted((v for k, v in found.items() if k not in named_nouns), key=lambda x: x[2])


def _appositive(sentence: str, name: str) -> str:
    """Who a name is, as the text says it: "Tomas, the old keeper", "a robot called Unit Seven"."""
    m = re.search(re.escape(name) + r",\s+((?:a|an|the)\s+[^,.;]{3,80}?)[,.;]", sentence)
    if m:
        return m.group(1).strip()
    m = re.search(r"\b((?:a|an)\s+[a-z][a-z\- ]{2,40}?)\s+(?:named|called)\s+" + re.escape(name) + r"\b", sentence)
    return m.group(1).strip() if m and m.group(1).split()[-1] in lx.ROLE_NOUNS else ""


def _invent_protagonist(text: str) -> Character:
    wl = set(w.lower() for w in lx.words(text))
    for cues, descriptor in lx.PROTAGONIST_CUES:
        if wl & set(cues):
            return Character(name=descriptor, description=f"{descriptor}, the protagonist the theme implies")
    return Character(name="the traveller", description="the traveller, a protagonist invented because the theme names no one")


# --- genre, mood, and the reading of the whole text ---------------------------------------

def _score_genre(text: str) -> tuple[str, str]:
    wl = [w.lower() for w in lx.words(text)]
    scores = {g: sum(wl.count(k) for k in kws) for g, kws in lx.GENRE_WORDS.items()}
    best = max(scores.values())
    # ties resolve toward the genre listed first in the lexicon (stable, deterministic)
    genre = next(g for g, v in scores.items() if v == best) if best > 0 else "drama"
    return genre, mood_of(text, lx.GENRE_MOOD[genre])


def mood_of(text: str, default: str) -> str:
    wl = [w.lower() for w in lx.words(text)]
    scores = {m: sum(wl.count(k) for k in kws) for m, kws in lx.MOOD_WORDS.items()}
    best = max(scores.values())
    if best == 0:
        return default
    winners = [m for m, v in scores.items() if v == best]
    return default if default in winners else winners[0]


def read(text: str, seed: int) -> Reading:
    text = _clean(text)
    sentences = lx.split_sentences(text) or [text if text.endswith(".") else text + "."]
    places, named = _extract_places_and_names(sentences)
    names = [n for n, _ in named]
    roles = _role_characters(sentences, names)
    chars: list[tuple[int, Character]] = []
    for n, si in named:
        desc = next((_appositive(s, n) for s in sentences if _appositive(s, n)), "")
        chars.append((si, Character(name=n, description=desc or f"{n}, as the story names them")))
    for name, phrase, si in roles:
        chars.append((si, Character(name=name, description=phrase)))
    chars.sort(key=lambda c: c[0])
    characters = [c for _, c in chars][:10]
    aliases = {c.name: _aliases_for(c) for c in characters}
    if not characters:
        inv = _invent_protagonist(text)
        characters, aliases = [inv], {inv.name: [inv.name]}
    probe = Reading(sentences, characters, aliases, [], "drama", "calm", seed)
    _profile_people(probe)
    # people who act come before people only mentioned; among them the most mentioned leads
    joined = " ".join(sentences)

    def times_mentioned(c: Character) -> int:
        return max(len(mentions(joined, a)) for a in aliases[c.name])

    order = sorted(range(len(characters)), key=lambda i: (characters[i].name not in probe.acting, i))
    characters = [characters[i] for i in order]
    if characters:
        lead = max(range(len(characters)),
                   key=lambda i: (characters[i].name in probe.acting, times_mentioned(characters[i]), -i))
        characters.insert(0, characters.pop(lead))
    # common-noun places from prepositional phrases, then bare place nouns
    for s in sentences:
        for m in _PLACE_RE.finditer(s):
            head = m.group(3).lower()
            adjs = [] if head in lx.PLACES and " " in head else _adjectives(m.group(2), place=True)
            name = " ".join(adjs + [head])
            if not any(p.split()[-1].lower() == m.group(3).lower() for p in places):
                places = [p for p in places if p.lower() not in name.split()]  # "train" inside "train station"
                places.append(name)
    for s in sentences:
        for m in _BARE_PLACE_RE.finditer(s):
            noun = m.group(1).lower()
            if not any(noun == place_head(p) or noun in p.lower().split()[1:] for p in places) and noun not in {"home", "base", "pass", "stage", "cell", "mine", "realm"}:
                places.append(noun)
    genre, mood = _score_genre(text)
    if not places:
        places = _implied_places(characters) or [lx.GENRE_PLACES[genre][0]]
    return Reading(sentences, characters, aliases, places, genre, mood, seed, acting=probe.acting,
                   absent=probe.absent, gender=probe.gender)


def _implied_places(characters: list[Character]) -> list[str]:
    """Where the people of a text with no place belong: the place their role names ("the old
    lighthouse keeper" keeps a lighthouse), else where their trade is found ("a fisherman": harbour)."""
    for c in characters:
        ws = [w.lower() for w in lx.words(c.name)]
        named = next((w for w in ws if w in lx.PLACES and w not in world.PREPOSITION_ONLY_PLACES), None)
        if named:
            return [named]
        role = next((world.ROLE_PLACES[w] for w in reversed(ws) if w in world.ROLE_PLACES), None)
        if role:
            return [role]
    return []


# --- who acts, who is who: aliases, absences, genders ---------------------------------------

def _aliases_for(c: Character) -> list[str]:
    """Words that refer to a character: its name, a short form, and its role ("the keeper")."""
    parts = c.name.split()
    al = [c.name]
    if c.name[0].isupper():
        if len(parts) > 1:
            al.append(parts[-1] if parts[0] in lx.TITLES else parts[0])
            if parts[0] in lx.TITLES and len(parts) > 2:
                al.append(parts[1])  # "Dr Leila Haddad" is also "Leila"
        # the appositive's role noun names the same person later: "the old lighthouse keeper"
        m = re.match(r"(?:a|an|the)\s+(.*)$", c.description.strip())
        if m:
            role = next((w for w in reversed(lx.words(m.group(1).split(",")[0].split(" with ")[0]))
                         if w.lower() in lx.ROLE_NOUNS), None)
            if role:
                al.append("the " + m.group(1).split(",")[0].strip())
                al.append("the " + role.lower())
    else:
        al.append(parts[-1])
    return list(dict.fromkeys(al))


def _only_past(text: str, aliases: list[str]) -> bool:
    """Is every mention of someone a look back ("a girl vanished twenty years ago", "the story of the girl")?"""
    for a in aliases:
        for m in mentions(text, a):
            window = {w.lower() for w in lx.words(text[m.end():m.end() + 40])[:6]}
            # "lost in a foggy forest" is where someone is; "vanished twenty years ago" is a memory
            if subject_at(text, m.end()) and not window & (lx.ABSENCE_CUES - {"lost", "missing", "gone"}):
                return False
    return True


_HERE_CUES = frozenset({"lost", "missing"})
_TITLE_GENDER = {**dict.fromkeys("Mr Sir Lord King Prince Father Brother Uncle Grandpa".split(), "m"),
                 **dict.fromkeys("Mrs Ms Miss Lady Queen Princess Mother Sister Aunt Grandma Madame".split(), "f")}


def _profile_people(reading: Reading) -> None:
    """Fill reading.acting (characters that are the subject of a verb somewhere) and reading.gender."""
    text = " ".join(reading.sentences)
    reading.acting, reading.gender, reading.absent = set(), {}, set()
    for c in reading.characters:
        aliases = reading.aliases.get(c.name, [c.name])
        plural = c.name.split()[-1].endswith("s") and not c.name[0].isupper()
        # "his late wife", "lost at sea": a cue before or after; "a lost toddler" is there, lost or not
        gone = any(({w.lower() for w in lx.words(text[max(0, m.start() - 12):m.start()])} & (lx.ABSENCE_CUES - _HERE_CUES))
                   or {w.lower() for w in lx.words(text[m.start():m.end() + 40])[:9]} & lx.ABSENCE_CUES
                   for a in aliases for m in mentions(text, a))
        if c.name[0].isupper() or (any(subject_at(text, m.end(), plural) for a in aliases for m in mentions(text, a))
                                   and not (gone and _only_past(text, aliases))):
            reading.acting.add(c.name)  # named people are the cast; role nouns only when they act
        elif gone:
            reading.absent.add(c.name)  # "his brother, lost at sea twenty years ago": never on screen
        # gender: a title ("Mr Okafor", "Miss Penrose"), the role noun that describes them, else the
        # pronouns that follow their mentions
        title = c.name.split()[0].rstrip(".")
        if title in _TITLE_GENDER:
            reading.gender[c.name] = _TITLE_GENDER[title]
            continue
        role_words = {w.lower() for w in lx.words(c.description + " " + c.name)}
        if role_words & lx.FEMALE_NOUNS and not role_words & lx.MALE_NOUNS:
            reading.gender[c.name] = "f"
            continue
        if role_words & lx.MALE_NOUNS and not role_words & lx.FEMALE_NOUNS:
            reading.gender[c.name] = "m"
            continue
        votes = 0
        for s in reading.sentences:
            others = [m.start() for o in reading.characters if o.name != c.name
                      for a in reading.aliases.get(o.name, [o.name]) for m in mentions(s, a)]
            for a in aliases:
                for m in mentions(s, a):
                    if not subject_at(s, m.end()):
                        continue  # "her best friend Leah": the pronoun belongs to the sentence's subject
                    stop = min([p for p in others if p > m.end()] + [len(s)])
                    tail = s[m.end():stop].lower()
                    # subject pronouns only: "Ortiz orders her" says nothing about Ortiz
                    votes += len(re.findall(r"\b(?:she|herself)\b", tail))
                    votes -= len(re.findall(r"\b(?:he|himself)\b", tail))
        if votes:
            reading.gender[c.name] = "f" if votes > 0 else "m"


# --- where, who and how a sentence opens ------------------------------------------------

def _setting_mention(text: str, m: re.Match) -> bool:
    """Is this place mention where the action happens? Not in 'the lighthouse keeper' (it names a
    role) nor in a look back ('lost at sea twenty years ago')."""
    after = re.match(r"\s*([a-z\-]+)", text[m.end():])
    if after and (after.group(1) in lx.ROLE_NOUNS or after.group(1).rstrip("s") in lx.ROLE_NOUNS):
        return False
    a = max(text.rfind(ch, 0, m.start()) for ch in ",;:")
    ends = [i for i in (text.find(ch, m.end()) for ch in ",;:") if i >= 0]
    clause = text[a + 1:min(ends) if ends else len(text)].lower()
    return not any(re.search(r"\b" + cue + r"\b", clause) for cue in lx.BACKGROUND_CUES)


def _qualifies_a_noun(text: str, start: int) -> bool:
    """'the radio link to the coast', 'the train from Vienna to Venice': a place after to/from that
    only says which thing is meant (the word before the preposition is a noun, not a verb)."""
    m = re.search(r"\b([A-Za-z\-]+)\s+(?:to|from)\s+(?:the\s+|a\s+|an\s+)?$", text[:start])
    if not m:
        return False
    return m.group(1).lower() in _ROUTE_NOUNS


# nouns that name a connection between places: the place after them says which one, not where we are
_ROUTE_NOUNS = frozenset("""
link line call message letter letters train trains flight flights bus ferry ship boat ticket tickets road route
signal cable pipeline bridge tunnel passage map directions postcard telegram radio
""".split())


# parts of a place that put the scene at the place: "the church's side door", "the farm's gate"
_PARTS = r"(?:door|doors|gate|steps|porch|roof|wall|walls|window|windows|bell|yard|garden|kitchen|cellar|tower)\b"
# verbs whose object is where the scene is: "enters the house", "reaches the square"
_PLACE_VERBS = frozenset("""
enters entered enter reaches reached reach crosses crossed cross climbs climbed climb leaves left leave searches
searched search explores explored explore patrols patrolled guards guarded floods flooded storms stormed
approaches approached nears neared circles circled roams roamed haunts haunting haunted runs walks walk
""".split())


def _object_of_a_verb(text: str, start: int) -> bool:
    """'built bridges', 'finds the room empty': a place noun that a verb acts on (not one that moves
    someone into it) is a thing handled or made, not the set. A preposition in between, or a
    possessive ("opens the church's door"), makes it a place again."""
    if text[start:].split(" ", 1)[0].endswith("'s"):
        return False
    toks = text[:start].split()[-3:]
    dets = {"a", "an", "the", "his", "her", "their", "its"}
    for k in range(len(toks) - 1, -1, -1):
        t = toks[k]
        w = t.lower().strip(",;:")
        if w in dets or (w.isalpha() and w not in lx.STOP_WORDS and (
                not finite_verb(w, "x") or (k and toks[k - 1].lower() in dets))):
            continue  # a determiner or a modifier of the place ("a ruined chapel")
        if not w.isalpha() or w in lx.LOCATION_PREPOSITIONS or w in lx.STOP_WORDS or t[0].isupper():
            return False
        return w not in _PLACE_VERBS and w not in lx.TRAVEL_VERBS
    return False


def places_in(text: str, reading: Reading) -> list[str]:
    """Places where the action of ``text`` happens, in order; a full name beats a head noun inside it."""
    hits: list[tuple[int, int, str]] = []
    for p in sorted(reading.places, key=len, reverse=True):
        flags = 0 if p[0].isupper() else re.IGNORECASE
        ms = list(re.finditer(r"\b" + re.escape(p) + r"\b(?!'(?!s\s+(?:side\s+)?" + _PARTS + r"))", text, flags))
        if not ms and p[0].isupper() and p.split()[-1] in _LANDSCAPES:
            ms = list(re.finditer(r"\b" + re.escape(p.rsplit(" ", 1)[0]) + r"\b", text))  # "the Sahara"
        if not ms and not p[0].isupper():
            ms = list(re.finditer(r"\b" + re.escape(place_head(p)) + r"\b(?!'(?!s\s+(?:side\s+)?" + _PARTS + r"))",
                                  text, re.IGNORECASE))
        for m in ms:
            if place_head(p) in world.PREPOSITION_ONLY_PLACES and (not re.search(
                    r"\b(?:%s)\s+(?:(?:a|an|the|his|her|their|its)\s+)?(?:[\w\-]+\s+){0,2}$" % "|".join(
                        lx.LOCATION_PREPOSITIONS | {"aboard"} | _PLACE_VERBS), text[:m.start()], re.IGNORECASE) or re.search(
                    r"\bto\s+$", text[:m.start()])):
                continue  # "drags the boat", "climbs the tower", "to train pilots": a thing or a verb, not where
            if _qualifies_a_noun(text, m.start()) or _object_of_a_verb(text, m.start()):
                continue
            if _setting_mention(text, m) and not any(a <= m.start() < b for a, b, _ in hits):
                hits.append((m.start(), m.end(), p))
                break
    # a city or a region names where, a place inside it names the set: "in Paris ... on the bridge"
    # and "home" is where someone belongs, not the set, when the clause names one ("at home, in the forge")
    # and so does a town or a kingdom: "in the iron town of Kettleford ... at the winter market"
    return [p for _, _, p in sorted(hits, key=lambda h: (h[2][0].isupper(), place_head(h[2]) in world.BROAD_PLACES,
                                                         h[2] == "home", h[0]))]


def characters_in(text: str, reading: Reading) -> list[str]:
    hits = []
    for c in reading.characters:
        for a in reading.aliases.get(c.name, [c.name]):
            m = re.search(r"\b" + re.escape(a) + r"\b", text, 0 if a[0].isupper() else re.IGNORECASE)
            if m:
                hits.append((m.start(), c.name))
                break
    return [n for _, n in sorted(hits)]


def lower_first(text: str, reading: Reading) -> str:
    """Lower-case the first letter unless the sentence opens on a proper name."""
    first = text.split()[0] if text.split() else ""
    proper = {w for c in reading.characters for w in c.name.split() if w[0].isupper()} | \
             {w for pl in reading.places for w in pl.split() if w[0].isupper()}
    return text if _strip_possessive(first) in proper else text[0].lower() + text[1:]


# --- the reading a later stage starts from ---------------------------------------------------

def reading_from_synopsis(syn: Synopsis) -> Reading:
    """Rebuild the reading from a synopsis (the contract carries the extracted entities)."""
    reading = read(syn.synopsis, 0)
    reading.characters = list(syn.characters)
    reading.aliases = {c.name: _aliases_for(c) for c in syn.characters}
    _profile_people(reading)
    reading.places = [l.name for l in syn.locations] or reading.places
    reading.genre, reading.mood = syn.genre if syn.genre in lx.GENRE_MOOD else reading.genre, syn.mood
    reading.seed = lx.stable_int(syn.title, syn.synopsis) % 1000
    return reading
