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
    acting: set[str] = field(default_factory=set)  # characters that are the subject of a verb somewhere
    absent: set[str] = field(default_factory=set)  # people only remembered: dead, lost, long gone
    gender: dict[str, str] = field(default_factory=dict)  # name -> "f" / "m" when the text says


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
_DETERMINERS = frozenset("a an the his her their its".split())


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
            run = [_strip_possessive(t) for t in run]
            # drop sentence openers ("After", "Meanwhile") from the front of the run
            while run and (run[0] in lx.SENTENCE_OPENERS or run[0] in lx.CALENDAR_WORDS) and run[0] not in lx.TITLES:
                run, start = run[1:], start + 1
            if not run:
                continue
            phrase = " ".join(run)
            prev = toks[start - 1].lower() if start > 0 else ""
            prev2 = toks[start - 2].lower() if start > 1 else ""
            nxt = toks[end + 1] if end + 1 < len(toks) else ""
            nxt2 = toks[end + 2] if end + 2 < len(toks) else ""
            ev = evidence.setdefault(phrase, {"person": 0, "place": 0, "modifier": 0, "thing": 0, "work": 0, "seen": 0})
            if _is_work_title(run, nxt):
                ev["work"] += 1
                continue
            at_start = all(t in lx.SENTENCE_OPENERS or not t[0].isalnum() for t in toks[:start])
            verb_next = (_looks_like_verb(nxt) and nxt.lower() != "and") or (
                nxt.lower().endswith("ly") and _looks_like_verb(nxt2) and nxt2.lower() != "and")
            if at_start and (phrase.lower() in lower_words or not (
                    elsewhere.get(run[0], 0) or verb_next or nxt in {"", ","})):
                continue  # a capitalised common word opening a sentence ("Lightning strikes")
            ev["seen"] += 1
            first_seen.setdefault(phrase, si)
            window = [t.lower() for t in toks[end + 2:end + 8]]
            if verb_next:
                ev["person"] += 1  # "Tomas recognises", "Tomas finally lets"
            if nxt == "," and nxt2.lower() in {"a", "an", "the"} and any(
                    w in lx.ROLE_NOUNS or w.rstrip("s") in lx.ROLE_NOUNS for w in window):
                ev["person"] += 1  # "Tomas, the old lighthouse keeper"
            if run[0] in lx.TITLES and len(run) > 1:
                ev["person"] += 1
            if prev in {"to", "with"} and any(t.lower() in lx.GIVING_VERBS for t in toks[max(0, start - 6):start]):
                ev["person"] += 1  # "show it to Tomas"
            if nxt.lower() in lx.ROLE_NOUNS or nxt.lower() in lx.GROUP_NOUNS:
                ev["modifier"] += 1  # "a loyal Arendelle soldier", "the Northuldra people"
            if (prev in _PROPER_PLACE_PREPOSITIONS and nxt.lower() != "and" and len(run) <= 3) or (
                    prev == "of" and prev2 in lx.RULER_NOUNS):
                ev["place"] += 1
            if prev == "the" or run[-1] in lx.THING_HEADS:
                ev["thing"] += 1
    places: list[str] = []
    names: list[tuple[str, int]] = []
    for phrase in sorted(first_seen, key=lambda p: (first_seen[p], list(first_seen).index(p))):
        ev = evidence[phrase]
        run = phrase.split()
        if ev["work"] and not ev["person"]:
            continue
        if run[-1].lower() in lx.PLACES:
            places.append(phrase)
        elif ev["person"]:
            names.append((phrase, first_seen[phrase]))
        elif ev["place"]:
            places.append(phrase)
        elif ev["modifier"] or (ev["thing"] and not phrase.endswith("s")) or run[-1] in lx.THING_HEADS:
            continue  # a realm, an event or a thing ("the Immortal Ascension Exam")
        elif run[0] in lx.TITLES and len(run) == 1:
            continue
        else:
            names.append((phrase, first_seen[phrase]))
    # a name that is a prefix of a longer name ("Harry" vs "Harry Potter") is the same person
    full = [n for n, _ in names]
    kept = [(n, si) for n, si in names if not any(o != n and o.startswith(n + " ") for o in full)]
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
            if re.search(r"\b(?:as|is|was|are|were|be|being|becomes|became|become|remains|remain)\s*$", before,
                         re.IGNORECASE):
                continue  # "his past as a villain", "becomes the new queen": what someone is, not someone new
            nxt = re.match(r"\s*([a-z]+)", after)
            if nxt and nxt.group(1) in lx.GROUP_NOUNS:
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
    probe = _Reading(sentences, characters, aliases, [], "drama", "calm", seed)
    _profile_people(probe)
    # people who act come before people only mentioned; among them the most mentioned leads
    joined = " ".join(sentences)

    def mentions(c: Character) -> int:
        return max(len(_mentions(joined, a)) for a in aliases[c.name])

    order = sorted(range(len(characters)), key=lambda i: (characters[i].name not in probe.acting, i))
    characters = [characters[i] for i in order]
    if characters:
        lead = max(range(len(characters)), key=lambda i: (characters[i].name in probe.acting, mentions(characters[i]), -i))
        characters.insert(0, characters.pop(lead))
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
    return _Reading(sentences, characters, aliases, places, genre, mood, seed, probe.acting, probe.gender)


# --- who acts, who is who: subjects, genders, pronouns --------------------------------------

_AUX = frozenset("is was are were has have had must can will could would does did shall should may might".split())
_IRREGULAR_PAST = frozenset("""
ran found made took came saw left led fled fell lost met told said fought caught brought kept held stole
broke rode flew swam sang wrote became began knew thought sought won hid went gave got read let put set
""".split())


def _finite_verb(tok: str, prev: str = "") -> bool:
    """A verb that can follow a subject: 'recognises', 'climbed', 'is', 'ran' (not 'nets' after 'her')."""
    t = tok.lower()
    if not t.isalpha() or tok[0].isupper() or prev.lower() in _DETERMINERS or prev.lower() in {"of", "and", "or"}:
        return False
    if t in _AUX or t in _IRREGULAR_PAST:
        return True
    if t in lx.STOP_WORDS or t in lx.ROLE_NOUNS or t in lx.PLACES or t.rstrip("s") in lx.ROLE_NOUNS:
        return False
    return (t.endswith("s") and not t.endswith(("ss", "us", "is", "ous", "ness", "ics"))) or t.endswith("ed")


_SUBJECT_TAIL = re.compile(r"\s*(?:,\s*(?:a|an|the|now|once|ever)\b[^,.;:]{1,80},\s*)?(?:[a-z]+ly\s+)?([A-Za-z]+)")


def _subject_at(text: str, end: int, plural: bool = False) -> bool:
    """Does the mention ending at ``end`` govern a verb (directly, or after an appositive or adverb)?"""
    m = _SUBJECT_TAIL.match(text, end)
    if not m:
        return False
    verb = m.group(1)
    if plural and verb.islower() and verb.isalpha() and verb not in lx.STOP_WORDS and not verb.endswith("s"):
        return verb not in lx.ROLE_NOUNS and verb not in lx.PLACES  # "the villagers gather"
    return _finite_verb(verb)


def _aliases_for(c: Character) -> list[str]:
    """Words that refer to a character: its name, a short form, and its role ("the keeper")."""
    parts = c.name.split()
    al = [c.name]
    if c.name[0].isupper():
        if len(parts) > 1:
            al.append(parts[-1] if parts[0] in lx.TITLES else parts[0])
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


def _mentions(text: str, alias: str) -> list[re.Match]:
    return list(re.finditer(r"\b" + re.escape(alias) + r"\b", text, 0 if alias[0].isupper() else re.IGNORECASE))


def _profile_people(reading: _Reading) -> None:
    """Fill reading.acting (characters that are the subject of a verb somewhere) and reading.gender."""
    text = " ".join(reading.sentences)
    reading.acting, reading.gender, reading.absent = set(), {}, set()
    for c in reading.characters:
        aliases = reading.aliases.get(c.name, [c.name])
        plural = c.name.split()[-1].endswith("s") and not c.name[0].isupper()
        if c.name[0].isupper() or any(_subject_at(text, m.end(), plural) for a in aliases for m in _mentions(text, a)):
            reading.acting.add(c.name)  # named people are the cast; role nouns only when they act
        elif any({w.lower() for w in lx.words(text[max(0, m.start() - 12):m.end() + 40])[:9]} & lx.ABSENCE_CUES
                 for a in aliases for m in _mentions(text, a)):
            reading.absent.add(c.name)  # "his brother, lost at sea twenty years ago": never on screen
        # gender: the role noun that describes them, else the pronouns that follow their mentions
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
                      for a in reading.aliases.get(o.name, [o.name]) for m in _mentions(s, a)]
            for a in aliases:
                for m in _mentions(s, a):
                    if not _subject_at(s, m.end()):
                        continue  # "her best friend Leah": the pronoun belongs to the sentence's subject
                    stop = min([p for p in others if p > m.end()] + [len(s)])
                    tail = s[m.end():stop].lower()
                    votes += len(re.findall(r"\b(?:she|her|herself)\b", tail))
                    votes -= len(re.findall(r"\b(?:he|his|him|himself)\b", tail))
        if votes:
            reading.gender[c.name] = "f" if votes > 0 else "m"


@dataclass
class _CastState:
    """Who the story has been following: pronouns resolve against it, scene by scene."""
    recent: list[str] = field(default_factory=list)  # most recent first
    subjects: list[str] = field(default_factory=list)  # people who acted, most recent first
    group: list[str] = field(default_factory=list)  # the last company of two or more ("they")


def _resolve_pronoun(pron: str, reading: _Reading, state: _CastState) -> list[str]:
    pron = pron.lower()
    if pron == "they":
        if len(state.group) >= 2:
            return list(state.group)
        return state.recent[:2]
    want = "f" if pron == "she" else "m"
    # "she" continues the last woman who acted (the topic), before anyone merely mentioned
    everyone = [c.name for c in reading.characters if c.name in reading.acting]
    for pool in (state.subjects, state.recent, everyone):
        for test in (lambda n: reading.gender.get(n) == want, lambda n: n not in reading.gender):
            hit = next((n for n in pool if test(n) and n in reading.acting), None)
            if hit:
                return [hit]
    return state.recent[:1]


def _cast(text: str, reading: _Reading, state: _CastState) -> list[str]:
    """The people on screen in ``text``: its subjects first (pronouns resolved), then the others
    it names; people only mentioned ("his brother", "the baby's father") stay off screen."""
    hits: list[tuple[int, int, str]] = []  # (subject first?, position, name)
    for c in reading.characters:
        plural = c.name.split()[-1].endswith("s") and not c.name[0].isupper()
        best = None
        for a in reading.aliases.get(c.name, [c.name]):
            for m in _mentions(text, a):
                before = text[:m.start()].rstrip().split()
                subject = _subject_at(text, m.end(), plural)
                if not subject and (c.name in reading.absent or text[m.end():m.end() + 2] in ("'s", "' ")):
                    continue  # someone remembered, or only the owner of something ("the baby's father")
                if (not subject and c.name not in reading.acting and len(before) >= 2
                        and before[-1].lower() in {"his", "her", "their", "my", "our"}
                        and not _finite_verb(before[-2])):
                    continue  # "to deliver a letter to her sister": someone the action is for, not there yet
                cand = (0 if subject else 1, m.start(), c.name)
                best = cand if best is None or cand < best else best
        if best:
            hits.append(best)
    for m in re.finditer(r"\b(she|he|they)\b", text, re.IGNORECASE):
        if _subject_at(text, m.end(), plural=m.group(1).lower() == "they"):
            for k, n in enumerate(_resolve_pronoun(m.group(1), reading, state)):
                if not any(h[2] == n for h in hits):
                    hits.append((0, m.start() + k, n))
            break  # the first pronoun subject is the clause's; later ones are usually the same person
    hits.sort()
    people = [n for _, _, n in hits]
    subjects = [n for s, _, n in hits if s == 0 and n in people]
    if subjects:
        state.subjects = subjects + [n for n in state.subjects if n not in subjects]
    if people:
        state.recent = people + [n for n in state.recent if n not in people]
        if len(people) >= 2:
            state.group = people
    return people


# --- events --------------------------------------------------------------------------------

def _place_head(place: str) -> str:
    return place.split()[-1].lower()


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


def _places_in(text: str, reading: _Reading) -> list[str]:
    """Places where the action of ``text`` happens, in order; a full name beats a head noun inside it."""
    hits: list[tuple[int, int, str]] = []
    for p in sorted(reading.places, key=len, reverse=True):
        flags = 0 if p[0].isupper() else re.IGNORECASE
        ms = list(re.finditer(r"\b" + re.escape(p) + r"\b", text, flags))
        if not ms and not p[0].isupper():
            ms = list(re.finditer(r"\b" + re.escape(_place_head(p)) + r"\b", text, re.IGNORECASE))
        for m in ms:
            if _setting_mention(text, m) and not any(a <= m.start() < b for a, b, _ in hits):
                hits.append((m.start(), m.end(), p))
                break
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
    # the main clause is the first part with a finite verb that is not a subordinate frame; a short
    # frame before it stays when it sets the place or time ("At dawn in the old harbour,"), other
    # frames ("In Fast X,", "After the catastrophe,") go; a list of names before the verb
    # ("Harry Potter, Hermione Granger, and Ron Weasley are drawn") is the subject and stays
    main = next((i for i, p in enumerate(parts) if _has_finite_verb(p) and not _SUBORDINATE.match(p)), 0)
    kept: list[str] = []
    main_words = set(parts[main].split())
    for p in parts[:main]:
        names_someone = any(w[0].isupper() and w not in main_words for w in p.split()[1:])
        if not _SUBORDINATE.match(p):
            kept.append(p)
        elif names_someone and len(" ".join(kept + [p, parts[main]]).split()) <= limit + 10:
            kept.append(p)  # "As Rubeus Hagrid helps them ...": the frame brings someone on screen
        elif len(p.split()) <= 8 and not _has_finite_verb(p) and (
                _time_in(p) is not None or any(w.lower() in lx.PLACES for w in lx.words(p))):
            kept.append(p)
    out = " ".join(kept + [parts[main]])
    out = out[0].upper() + out[1:]
    for p in parts[main + 1:]:
        cand = out + " " + p
        if len(cand.split()) > limit:
            break
        out = cand
    out = out.rstrip(",;: ")
    if len(out.split()) > limit + 10:  # the main clause itself runs long: keep its first words
        out = " ".join(out.split()[:limit + 10]).rstrip(",;: ")
    return out + ("" if out.endswith((".", "!", "?")) else ".")


_SUBORDINATE = re.compile(r"(?:In|At|On|By|Under|Across|Through|Inside|Outside|Near|Beyond|Along|During|After|Before|"
                          r"As|When|While|Meanwhile|However|With|Despite|Among|To|Because|Since|Although|Though|If|"
                          r"Once|Until|Realizing|Realising|Determined|Driven|Drawn|Later|Soon|Then|That|This)\b")


def _has_finite_verb(part: str) -> bool:
    toks = [t.strip(",.;:!?\"") for t in part.split()]
    return any(_finite_verb(t, toks[i - 1] if i else "") for i, t in enumerate(toks) if t)


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
        if subj_end and len(left.split()) >= 4 and len(rtoks) >= 4 and _subject_at(right, subj_end.end()):
            pieces = [left, right]
    if len(sentence.split()) > 30:
        pieces = [q for p in pieces for q in re.split(r";\s+|\s+-\s+|,\s+but\s+", p)]
    pieces = [p.strip().rstrip(".") for p in pieces if len(p.split()) >= 4]
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
    """'teaches his granddaughter to sail' -> 'granddaughter': the noun phrase after a determiner,
    ending before the next function word or verb."""
    m = re.search(r"\b(a|an|the|his|her|their)\s+((?:[a-z\-]+\s*){1,3})", predicate)
    if not m:
        return ""
    ws: list[str] = []
    for w in m.group(2).split():
        if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or _finite_verb(w, ws[-1] if ws else "a"):
            break
        ws.append(w)
    return " ".join(ws)


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


_SETTING_PP = re.compile(r"\s+\b(?:in|at|on|through|across|inside|near|under|along|during|by)\s+"
                         r"(?:(?:the|a|an|his|her|their)\s+)?((?:[\w\-']+\s*){1,3})")


def _strip_setting(phrase: str) -> str:
    """Drop trailing place and time phrases: 'loneliness in a big city' -> 'loneliness'; a phrase
    about something else stays ('hauls in her nets')."""
    for m in _SETTING_PP.finditer(phrase):
        ws = [w.lower() for w in m.group(1).split()]
        if any(w in lx.PLACES or w in lx.TIME_WORDS for w in ws) or (ws and ws[0] in lx.TIME_WORDS):
            return phrase[:m.start()].strip()
    return phrase.strip()


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


def _place_beats(texts: list[str], kinds: list[str], reading: _Reading, named_places: list[str]) -> list[_Beat]:
    """Give each beat a place, a time of day and its people (the text's, else continuity rules)."""
    beats: list[_Beat] = []
    place, time = None, None
    genre_places = list(lx.GENRE_PLACES[reading.genre])
    prev_chars = [reading.characters[0].name] if reading.characters else []
    cast = _CastState(recent=list(prev_chars))
    for text, kind in zip(texts, kinds):
        here = _places_in(text, reading)
        t = _time_in(text)
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
        chars = _cast(text, reading, cast)
        chars = chars or prev_chars  # nobody acts ("a storm breaks"): the people already there stay
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
            if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or _finite_verb(w, ws[-1] if ws else "a"):
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
                or head in lx.GROUP_NOUNS or head in _VAGUE_NOUNS or head.endswith(("ing", "ly")) or len(head) < 3):
            continue
        out.append((m.start(), " ".join(ws[-2:]), head))
    return out


def _key_object(reading: _Reading) -> str:
    """The thing the story keeps returning to ('the compass' three times): the title's subject."""
    text = " ".join(reading.sentences)
    nps = _noun_phrases(text)
    counts = {h: len(re.findall(r"\b" + re.escape(h) + r"\b", text, re.IGNORECASE)) for _, _, h in nps}
    best = [h for h in counts if counts[h] >= 2]
    if not best:
        return ""
    head = max(best, key=lambda h: (counts[h], -min(p for p, _, hh in nps if hh == h)))
    phrase = next(ph for _, ph, h in nps if h == head)  # as first introduced: "brass compass"
    return phrase


def _title(reading: _Reading, beats: list[_Beat]) -> str:
    """A title from what the story is about: its recurring object, else the object of its inciting
    event, else its named place; never a pairing of a person with a word of the text."""
    key = _key_object(reading)
    if key:
        return "The " + " ".join(w.capitalize() for w in key.split())
    p = reading.characters[0].name
    inciting = next((b.text for b in beats if b.kind == "development"), beats[0].text)
    objs = _noun_phrases(_predicate(inciting, reading.aliases.get(p, [p])), roles=True)
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
    reading.aliases = {c.name: _aliases_for(c) for c in syn.characters}
    _profile_people(reading)
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
    """The separate actions of a beat, one per primary shot; list items and a list of names
    ("Harry, Hermione, and Ron are drawn in") stay with their verb."""
    t = text.rstrip(".!?")
    parts = [p.strip(" ,") for p in re.split(
        r",\s+and\s+|\s+and then\s+|;\s+|,\s+while\s+|,\s+as\s+|,\s+where\s+|,\s+(?=[a-z]+ing\b)", t)]
    out: list[str] = []
    pending = ""  # a verbless opening (a list of names, a frame) waits for its verb
    for p in parts:
        has_verb = _has_finite_verb(p) or any(w.endswith("ing") for w in p.split()[:2])
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
    cast = _CastState(recent=[syn.characters[0].name] if syn.characters else [])
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
                chars = _cast(clause, reading, cast) or b.characters[:2]
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


def _subject_phrase(clause: str, speaker: str, reading: _Reading) -> str | None:
    """What ``speaker`` does in ``clause`` when they are its grammatical subject (by name, role or a
    pronoun), from the verb on; None when they are not the one acting."""
    body = clause.rstrip(".!?")
    plural = speaker.split()[-1].endswith("s") and not speaker[0].isupper()
    for a in reading.aliases.get(speaker, [speaker]):
        for m in _mentions(body, a):
            t = _SUBJECT_TAIL.match(body, m.end())
            if t and _subject_at(body, m.end(), plural):
                return body[t.start(1):]
    named_first = min((m.start() for c in reading.characters for a in reading.aliases.get(c.name, [c.name])
                       for m in _mentions(body, a) if _subject_at(body, m.end())), default=len(body))
    for m in re.finditer(r"\b(she|he|they)\b", body, re.IGNORECASE):
        if m.start() > named_first:
            break
        t = _SUBJECT_TAIL.match(body, m.end())
        if t and (_subject_at(body, m.end(), plural=m.group(1).lower() == "they")):
            return body[t.start(1):]
    return None


def _chars_named_in(word: str, chars: list[str], reading: _Reading) -> bool:
    return any(word.lower() == a.lower() for c in chars for a in reading.aliases.get(c, [c]))


def _verb_phrase(clause: str, chars: list[str], reading: _Reading) -> str:
    """What the shot shows: the subject's verb phrase, without setting phrases; when nobody in the
    shot is the subject ('a storm breaks over the lighthouse'), the clause with its own subject."""
    for c in chars:
        vp = _subject_phrase(clause, c, reading)
        if vp:
            return _strip_setting(vp.split(",")[0]).strip()
    toks0 = clause.split()
    first = toks0[0].lower() if toks0 else ""
    if first.endswith("ing") and not (len(toks0) > 1 and _finite_verb(toks0[1])):  # not "Lightning reveals"
        return _strip_setting(clause.rstrip(".!?").split(",")[0])
    body = re.sub(r"^(?:By day|At \w+|That night|Back (?:at|in) the [\w\- ]+?|[A-Z][a-z]+ (?:at|in) the [\w\- ]+?),\s+", "", clause.rstrip(".!?"))
    body = re.sub(r"^(?:That|This|Next|Each|Every|One|Later that) (?:night|morning|evening|day|dawn)\s+", "", body)
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
            # keep a subject that is not a person ("a storm breaks"): it is what the shot shows
            k = next((j for j in range(i - 1, max(-1, i - 4), -1) if toks[j].lower() in {"a", "an", "the"}), None)
            start = k if k is not None and not any(toks[j][0].isupper() for j in range(k + 1, i)) else i
            if i == 1 and not _chars_named_in(toks[0], chars, reading):
                start = 0  # "Lightning reveals a wrecked boat": a bare subject that is not a person
            vp = " ".join(toks[start:]).split(",")[0].strip(" ,")
            return _strip_setting(vp[0].lower() + vp[1:] if start != i else vp)
    return _strip_setting(body.split(",")[0])


_DIALOGUE_CUES = lx.SPEECH_VERBS | lx.REALISE_VERBS | lx.SHOWING_VERBS | lx.ATTITUDE_VERBS | frozenset(
    "lets bid bids farewell goodbye".split())


def _is_dialogue_beat(text: str, people: list[str]) -> bool:
    wl = {w.lower() for w in lx.words(text)}
    return bool('"' in text or wl & lx.SPEECH_VERBS or (len(people) >= 2 and (
        wl & _DIALOGUE_CUES or wl & {"together", "team", "teams", "with"})))


_DIALOGUE_VERBS = lx.SPEECH_VERBS | frozenset(
    "devises devise plans plan decides decide reunites reunite teams team vows promises pleads "
    "begs insists demands proposes".split())


def _antecedent(clause: str, reading: _Reading) -> tuple[str, str]:
    """What 'it' refers to: the last thing introduced ('a brass compass whose needle points inland')
    before ``clause`` in the story, with what the text said about it."""
    joined = " ".join(reading.sentences)
    at = joined.find(clause[:30])
    prefix = joined[:at] if at > 0 else joined
    found = ("", "")
    for m in re.finditer(r"\b(?:a|an)\s+((?:[a-z\-]+\s*){1,3})", prefix):
        words_ = []
        for w in m.group(1).split():
            if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or _finite_verb(w, words_[-1] if words_ else "a"):
                break
            words_.append(w)
        if not words_:
            continue
        head = words_[-1]
        if head in lx.ROLE_NOUNS or head in lx.PLACES or head in lx.TIME_WORDS:
            continue
        rel = re.match(r"\s*whose\s+([^,.;:]+)", prefix[m.start(1) + len(" ".join(words_)):])
        found = (" ".join(words_), "Its " + rel.group(1).strip() + "." if rel else "")
    return found


def _to_listener(text: str, listener: str | None) -> str:
    """Third person about the listener -> second person: "Maverick's methods" -> "your methods"."""
    if listener:
        lead = r"(?:\b(?:the|a|an)\s+(?:[a-z\-]+\s+){0,2})?"  # "the cunning Valentina" -> "you"
        text = re.sub(lead + re.escape(listener) + r"'s\b", "your", text)
        text = re.sub(lead + re.escape(listener) + r"\b", "you", text)
    return re.sub(r"\b(him|her|them)\b", "you", text)


def _speakable(text: str) -> str:
    """First-person grammar after pronoun swaps: 'I is' -> 'I am'."""
    text = lx.first_person(text)
    for a, b in (("I is", "I am"), ("I has", "I have"), ("I does", "I do"), ("we is", "we are"), ("we has", "we have")):
        text = re.sub(r"\b" + a + r"\b", b, text)
    return text


def _line_for(clause: str, speaker: str, reading: _Reading, listeners: list[str] | None = None) -> str | None:
    """A short spoken line for ``speaker`` made from what the clause says they do, or None when
    the action has nothing to say (a line is never invented from nothing)."""
    quote = re.search(r'"([^"]{2,120})"', clause)
    if quote:
        return quote.group(1).strip()
    vp = _subject_phrase(clause, speaker, reading)
    if not vp:
        return None  # only the one who acts speaks
    toks = vp.split()
    verb = toks[0].lower()
    if verb not in _DIALOGUE_CUES:
        # "runs to the lighthouse to show it to Tomas": the purpose is the talking part
        k = next((i for i in range(1, len(toks)) if toks[i - 1].lower() in {"to", "and"}
                  and toks[i].lower() in _DIALOGUE_CUES), None)
        if k is not None:
            toks, verb = toks[k:], toks[k].lower()
    listener = next((l for l in (listeners or []) if l != speaker and l[0].isupper()), None)
    rest = " ".join(toks[1:])
    line = None
    if verb in lx.REALISE_VERBS and re.search(r":|\bthat\b", rest):
        said = re.split(r":\s*|\bthat\s+", rest, maxsplit=1)[1].strip()
        line = _speakable(said)
    elif verb in lx.SHOWING_VERBS and re.match(r"(?:it|this|them)\b", rest):
        thing, what = _antecedent(clause, reading)
        if thing:
            line = (f"{listener}, look at this {thing}." if listener else f"Look at this {thing}.") + (
                f" {what}" if what else "")
    elif verb in lx.ATTITUDE_VERBS and rest:
        line = f"I {lx.base_verb(verb)} {_to_listener(rest, listener)}"
    elif verb in {"lets", "let"} and re.search(r"\bgo$", rest):
        who = re.sub(r"\s+go$", "", rest)
        line = f"Goodbye, {_speakable(who)}"
    elif verb in {"bid", "bids"} and "farewell" in rest:
        line = f"Farewell, {listener}" if listener else "Farewell"
    elif verb in _DIALOGUE_VERBS or verb in {"and", "to"}:
        if verb in {"and", "to"} and len(toks) > 1:
            toks, verb = toks[1:], toks[1].lower()
            rest = " ".join(toks[1:])
        if verb not in _DIALOGUE_VERBS:
            return None
        rest = _speakable(_to_listener(rest, listener))
        if verb in {"vows", "vowing", "vowed", "promises", "promised", "swears"}:
            line = f"I promise you {rest}"
        elif verb in {"asks", "asked"} and " to " in rest:
            line = "Will you " + rest.split(" to ", 1)[1] + "?"
        elif verb in {"tells", "told", "warns", "warned"} and re.search(r"\bthat\b", rest):
            line = rest.split("that", 1)[1].strip()
        elif verb in {"begs", "begged", "pleads", "pleaded", "urges"} and re.search(r"\b(not )?to (\w.*)", rest):
            m = re.search(r"\b(not )?to (\w.*)", rest)
            line = "Please, " + ("don't " if m.group(1) else "") + m.group(2)
        elif verb in {"say", "says", "said"} and rest:
            line = rest
        elif verb in {"is", "was", "are"}:
            line = f"I am {rest}"
        else:
            line = f"I'll {lx.base_verb(verb)} {rest}".strip()
    if not line:
        return None
    sentences = re.split(r"(?<=\.)\s+", line.strip())
    out: list[str] = []
    for s in sentences:  # at most 13 words; a second sentence only when it fits whole
        s = s.rstrip(".?!")
        if sum(len(x.split()) for x in out) + len(s.split()) > 13:
            if not out:
                out.append(" ".join(s.split(",")[0].split()[:12]))
            break
        out.append(s)
    text = ". ".join(o[0].upper() + o[1:] for o in out if o)
    return text + ("?" if text.startswith("Will") else ".") if text else None


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
                if dialogue_beat and speaker and (spoken < 2 if speaker[0].isupper() else spoken < 1):
                    line = _line_for(sh.description, speaker, reading, list(dict.fromkeys(sh.characters + people)))
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
