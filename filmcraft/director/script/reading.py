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
from filmcraft.director.script.names import LANDSCAPES, extract_places_and_names, strip_possessive


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


_ROLE_RE = re.compile(
    r"\b((?i:a|an|the|his|her|their|its|two|three|four|both|several|every|each|many|some|hundred|thousand|dozen)|[A-Z][a-z]+'s)\s+((?:[a-z][a-z\-]*\s+){0,2}?)(%s)(?:s|es)?\b" % "|".join(
        sorted(lx.ROLE_NOUNS, key=len, reverse=True) + [r"[a-z]{2,}(?:ists?|wom[ae]n|m[ae]n|maids?|keepers?|smiths?|monger)"]))
_PLACE_RE = re.compile(
    r"\b(%s)\s+(?:(?:a|an|the|his|her|their|its)\s+)?((?:[a-z][a-z\-]*(?:'s|')?\s+){0,2})(%s)\b(?!')" % (
        "|".join(sorted(lx.LOCATION_PREPOSITIONS | {"enters", "explores", "reaches", "patrols", "enter", "explore", "reach", "patrol",
                                                  "entered", "explored", "reached"}, key=len, reverse=True)),
        "|".join(sorted(lx.PLACES, key=len, reverse=True))), re.IGNORECASE)
_BARE_PLACE_RE = re.compile(r"(?<![\w-])(%s)(?![\w-])(?!')" % "|".join(
    sorted(set(lx.PLACES) - world.PREPOSITION_ONLY_PLACES, key=len, reverse=True)), re.IGNORECASE)
_OF_NAMED_RE = re.compile(r"\b(?:the|a|an)\s+(%s)\s+of\s+(?:the\s+)?[A-Z]" % "|".join(
    sorted(lx.PLACES, key=len, reverse=True)))
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


# words before a group noun that leave it the named people themselves ("the whole team", "the two sisters")
_SAME_GROUP = frozenset("whole entire little small young old two three four both all other".split())
# adjectives of a moment, not of a place's name
_TRANSIENT = frozenset("vast same other next last first whole entire empty distant nearby remote waiting".split())


def _role_characters(sentences: list[str], names: list[str], named_at: dict[str, int] | None = None
                     ) -> list[tuple[str, str, int]]:
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
            lead = re.match(r"\s*(?:(?:in|with|from)\s+(?:a|an|the|his|her)\s+[a-z\- ]{1,25}?,\s*)?", after).end()
            if re.match(r"\s*,?\s*[A-Z][a-z]+", after[lead:]) and not re.match(r"\s*,?\s*(The|A|An|He|She|They|It)\b",
                                                                                 after[lead:]):
                continue  # "the cunning Valentina", "a woman in a green coat, June": the role word describes the name
            noun = m.group(3).lower()
            owned = next((w for w in s[m.end() + 2:].lower().split()[:3]
                          if w in lx.ROLE_NOUNS or w in lx.PLACES), "") if s[m.end():m.end() + 2] == "'s" else ""
            if owned and (owned in lx.ROLE_NOUNS or owned not in world.PREPOSITION_ONLY_PLACES) and not re.search(
                    r"\b%s\b(?!')" % re.escape(m.group(3)), " ".join(sentences)):
                if owned in lx.ROLE_NOUNS and owned not in found:  # the deputy is the one there
                    found[owned] = ("the " + owned, m.group(0) + "'s " + owned, si)
                continue  # "a sheriff's deputy", "a witch's hut": only whose they are ("a fisherman's boat" has him aboard)
            if noun not in lx.ROLE_NOUNS:
                continue  # an agent-like ending that is no agent ("the human", "a specimen")
            det = m.group(1).lower()
            if det in {"his", "her", "their", "its"} and noun in {"family", "team", "crew", "friend"}:
                continue  # a group around someone, not a character of its own
            if re.search(r"\b(?:as|is|was|are|were|be|being|becomes|became|become|remains|remain)\s*$", before,
                         re.IGNORECASE):
                continue  # "his past as a villain", "becomes the new queen": what someone is, not someone new
            nxt = re.match(r"\s*([a-z]+)(?:\s+([a-z]+))?", after)
            verb_use = nxt and nxt.group(1).endswith("s") and re.match(  # "a volcanologist camps on the rim"
                r"\s*[a-z]+\s+(?:on|in|at|by|under|beside|near|inside|outside|along|across|a|an|the|his|her|their)\b", after)
            if nxt and not verb_use and (nxt.group(1) in lx.GROUP_NOUNS or nxt.group(1) in lx.PLACES or (
                    nxt.group(2) in lx.PLACES and nxt.group(1) not in lx.STOP_WORDS and not finite_verb(nxt.group(1)))):
                continue  # "the dragon clan", "a family ski lodge": the role word names the kind of thing
            said_plural = m.group(0).split()[-1].lower() != noun
            known = [n for n in names if (named_at or {}).get(n, 0) <= si]
            kind = [w for w in m.group(2).split() if w.lower() not in _SAME_GROUP]  # "the rescue crew": another group
            if len(known) >= 2 and (noun in lx.COLLECTIVE_ROLES or said_plural) and not kind:
                continue  # "the team", "the sisters": the named people themselves, seen together
                # (a group named before them is its own: "three thieves rehearse ... Soraya picks")
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
    if m and m.group(1).split()[-1] in lx.ROLE_NOUNS:
        return m.group(1).strip()
    # "a woman in a green coat, June Albright": the role before the name, with what she wears
    m = re.search(r"\b((?:a|an)\s+(?:[a-z\-]+\s+){0,2}?([a-z]+))(?:\s+(?:in|with)\s+(?:a|an|the)\s+[a-z\- ]{1,25}?)?,\s+"
                  + re.escape(name) + r"\b", sentence)
    return m.group(1).strip() if m and m.group(2) in lx.ROLE_NOUNS else ""


def _subject_character(sentence: str) -> Character | None:
    """The one who acts in a theme whose people the role list does not know: 'An old sacristan
    secretly builds ...', 'Twin sisters bake ...' (the subject of the opening clause, a noun that is
    no place, thing, creature, weather or time)."""
    toks = re.findall(r"[A-Za-z][a-z\-]*", sentence)
    toks = [toks[0].lower()] + toks[1:] if toks else toks
    start = 1 if toks and toks[0] in ("a", "an", "the", "two", "three", "both") else 0
    for k in range(start, min(start + 3, len(toks) - 2)):
        noun = toks[k]
        v = k + 2 if toks[k + 1].endswith("ly") and len(toks[k + 1]) > 4 else k + 1
        if v + 1 >= len(toks) or not noun.islower():
            return None
        verb, nxt = toks[v], toks[v + 1]
        plural = noun.endswith("s") and not noun.endswith("ss")
        acts = finite_verb(verb, noun) if not plural else (
            verb.isalpha() and verb.islower() and verb not in lx.STOP_WORDS and not verb.endswith("s")
            and nxt in {"a", "an", "the", "his", "her", "their", "on", "in", "at", "through", "across", "into", "from", "to"})
        if not acts:
            if noun in lx.STOP_WORDS or noun in lx.LOCATION_PREPOSITIONS:
                return None
            continue  # a modifier: "old" in "an old sacristan"
        if any(noun in bag or noun.rstrip("s") in bag for bag in (
                lx.PLACES, world.PROPS, world.CREATURES, world.WEATHER_WORDS, lx.TIME_WORDS, lx.STOP_WORDS)) or len(noun) < 3:
            return None
        det = toks[0] if toks[0] in ("two", "three", "both") else ""
        name = "the " + " ".join(w.lower() for w in [det, *toks[start:k + 1]] if w)
        return Character(name=name, description=" ".join(toks[:k + 1]))
    return None


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
    places, named = extract_places_and_names(sentences)
    names = [n for n, _ in named]
    roles = _role_characters(sentences, names, dict(named))
    chars: list[tuple[int, Character]] = []
    for n, si in named:
        desc = next((_appositive(s, n) for s in sentences if _appositive(s, n)), "")
        chars.append((si, Character(name=n, description=desc or f"{n}, as the story names them")))
    for name, phrase, si in roles:
        chars.append((si, Character(name=name, description=phrase)))
    # "someone swings a tyre iron at Walt": an unnamed person who acts is on screen, unnamed
    for si, s in enumerate(sentences):
        m = re.search(r"\b(?:[Ss]omeone|[Ss]omebody)\b", s)
        if m and subject_at(s, m.end()):
            chars.append((si, Character(name="someone", description="someone the story does not name")))
            break
    chars.sort(key=lambda c: c[0])
    characters = [c for _, c in chars][:10]
    aliases = {c.name: _aliases_for(c) for c in characters}
    if not characters:
        subject = _subject_character(sentences[0])
        inv = subject or _invent_protagonist(text)
        characters, aliases = [inv], {inv.name: _aliases_for(inv) if subject else [inv.name]}
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
    # "the docks of Port Regina", "the markets of Tabriz": the set inside a named place, in any position
    for s in sentences:
        for m in _OF_NAMED_RE.finditer(s):
            noun = m.group(1).lower()
            if not any(noun == place_head(p) for p in places):
                places.append(noun)
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
            if parts[0] not in lx.TITLES:
                al.append(parts[-1])  # "Eddie Lomax" is also "Lomax"
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
            window = {w.lower() for w in lx.words(text[m.end():m.end() + 40])[:6]} - {"late"}
            # "lost in a foggy forest" is where someone is; "vanished twenty years ago" is a memory
            if subject_at(text, m.end()) and not window & (lx.ABSENCE_CUES - {"lost", "missing", "gone"}):
                return False
    return True


def plural_role(name: str) -> bool:
    """Is a role character a plural? 'the thieves'; and a collective, which English lets take a plural
    verb ('the crew argue')."""
    return not name[0].isupper() and (name.split()[-1].endswith("s") or name.split()[-1] in lx.COLLECTIVE_ROLES
                                      or name.split()[-1] in lx.GROUP_NOUNS)


_HERE_CUES = frozenset({"lost", "missing"})
_DEAD = frozenset({"late", "dead", "deceased"})  # in a role's own name: someone who has died
_TITLE_GENDER = {**dict.fromkeys("Mr Sir Lord King Prince Father Brother Uncle Grandpa".split(), "m"),
                 **dict.fromkeys("Mrs Ms Miss Lady Queen Princess Mother Sister Aunt Grandma Madame".split(), "f")}


def _profile_people(reading: Reading) -> None:
    """Fill reading.acting (characters that are the subject of a verb somewhere) and reading.gender."""
    text = " ".join(reading.sentences)
    reading.acting, reading.gender, reading.absent = set(), {}, set()
    for c in reading.characters:
        aliases = reading.aliases.get(c.name, [c.name])
        plural = plural_role(c.name)
        # "his late wife", "lost at sea": a cue before or after; "a lost toddler" is there, lost or not
        # ("late" after a mention is another noun's or the hour's: "rebuilds her late father's bike")
        gone = any(({w.lower() for w in lx.words(text[max(0, m.start() - 12):m.start()])} & (lx.ABSENCE_CUES - _HERE_CUES))
                   or {w.lower() for w in lx.words(text[m.start():m.end() + 40])[:9]} & (lx.ABSENCE_CUES - {"late"})
                   for a in aliases for m in mentions(text, a))
        died = any(re.match(r"(?:\s*,[^,.;]{1,60},)?\s+(?:\w+ly\s+)?(?:died|was killed|drowned|passed away)\b", text[m.end():])
                   for a in aliases for m in mentions(text, a))
        if not c.name[0].isupper() and (set(c.name.lower().split()) & _DEAD or died):
            # "her father, the club's old coach, died last winter": what he taught her is a memory
            reading.absent.add(c.name)  # "the late mother hummed": remembered, whatever she does in the memory
        elif c.name[0].isupper() or (any(subject_at(text, m.end(), plural) for a in aliases for m in mentions(text, a))
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


_WENT_HOME = re.compile(r"\b(?:%s)\s+(?:(?:him|her|them|it|me|us)\s+)?$" % "|".join(world.TRAVEL_VERBS))


def places_in(text: str, reading: Reading) -> list[str]:
    """Places where the action of ``text`` happens, in order; a full name beats a head noun inside it."""
    hits: list[tuple[int, int, str]] = []
    for p in sorted(reading.places, key=len, reverse=True):
        flags = 0 if p[0].isupper() else re.IGNORECASE
        ms = list(re.finditer(r"\b" + re.escape(p) + r"\b(?!'(?!s\s+(?:side\s+)?" + _PARTS + r"))", text, flags))
        if not ms and p[0].isupper() and p.split()[-1] in LANDSCAPES:
            ms = list(re.finditer(r"\b" + re.escape(p.rsplit(" ", 1)[0]) + r"\b", text))  # "the Sahara"
            # ... and "the ice" after "the Arctic ice" is that ice again
            ms = ms or list(re.finditer(r"(?<=\bthe )" + re.escape(p.split()[-1]) + r"\b", text))
        if not ms and not p[0].isupper():
            ms = list(re.finditer(r"\b" + re.escape(place_head(p)) + r"\b(?!'(?!s\s+(?:side\s+)?" + _PARTS + r"))",
                                  text, re.IGNORECASE))
        for m in ms:
            of_named = re.match(r"\s+of\s+(?:the\s+)?[A-Z]", text[m.end():])  # "the docks of Port Regina"
            went_home = p == "home" and _WENT_HOME.search(text[:m.start()])  # "follows him home", "goes home"
            if not went_home and place_head(p) in world.PREPOSITION_ONLY_PLACES and not of_named and (not re.search(
                    r"\b(?:%s)\s+(?:(?:a|an|the|his|her|their|its)\s+)?(?:[\w\-]+\s+){0,2}$" % "|".join(
                        lx.LOCATION_PREPOSITIONS | {"aboard"} | _PLACE_VERBS), text[:m.start()], re.IGNORECASE) or re.search(
                    r"\bto\s+$", text[:m.start()])):
                continue  # "drags the boat", "climbs the tower", "to train pilots": a thing or a verb, not where
            if re.search(r"\btowards?\s+(?:(?:a|an|the|his|her|their)\s+)?(?:[\w\-']+\s+){0,2}$", text[:m.start()]):
                continue  # "drive the cattle toward the railhead": on the way, not there yet
            if not went_home and (_qualifies_a_noun(text, m.start()) or (_object_of_a_verb(text, m.start()) and not of_named)):
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
    return text if strip_possessive(first) in proper else text[0].lower() + text[1:]


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
