"""English sentence grammar for the offline writer: finite verbs and their subjects, predicates and
their objects, setting phrases, and a sentence condensed to its main clause. Pure functions of text.
"""

from __future__ import annotations

import functools
import re

from filmcraft.director import lexicon as lx
from filmcraft.director.world import WEATHER_WORDS

# --- verbs and their subjects --------------------------------------------------------------

_DETERMINERS = frozenset("a an the his her their its".split())
_AUX = frozenset("is was are were has have had must can will could would does did shall should may might".split())
_IRREGULAR_PAST = frozenset("""
ran found made took came saw left led fled fell lost met told said fought caught brought kept held stole
broke rode flew swam sang wrote became began knew thought sought won hid went gave got read let put set
built bought sold dug drew threw sent spent wore tore skis
""".split())
# words ending in -ed that are no past tense ("a red kite", "the old shed", "a sacred grove")
_ED_NOT_VERBS = frozenset("""
red bed sled shed seed weed steed reed speed creed breed sacred naked wicked hundred kindred rugged jagged
crooked ragged beloved wretched aged
""".split())


def finite_verb(tok: str, prev: str = "") -> bool:
    """A verb that can follow a subject: 'recognises', 'climbed', 'is', 'ran' (not 'nets' after 'her')."""
    t = tok.lower()
    if not t.isalpha() or tok[0].isupper() or prev.lower() in _DETERMINERS or prev.lower() in {"of", "and", "or"}:
        return False
    if t in _AUX or t in _IRREGULAR_PAST:
        return True
    if t in lx.PLACES and t.endswith("s") and prev.lower() in lx.ROLE_NOUNS and not prev.lower().endswith("s"):
        return True  # "a volcanologist camps", "the fisherman docks": after its subject, a verb
    if t in lx.STOP_WORDS or t in lx.ROLE_NOUNS or t in lx.PLACES or t.rstrip("s") in lx.ROLE_NOUNS \
            or t in _ED_NOT_VERBS:
        return False
    return (t.endswith("s") and not t.endswith(("ss", "us", "is", "ous", "ness", "ics"))) or t.endswith("ed")


# (a subject may carry an appositive, or where it is from: "a widower in Naples plays")
SUBJECT_TAIL = re.compile(r"\s*(?:,\s*(?:a|an|the|now|once|ever)\b[^,.;:]{1,80},\s*)?"
                          r"(?:\s*(?:in|from)\s+[A-Z][\w']*(?:\s+[A-Z][\w']*)?\s+(?=[a-z]))?(?:[a-z]+ly\s+)?([A-Za-z]+)")


def subject_at(text: str, end: int, plural: bool = False) -> bool:
    """Does the mention ending at ``end`` govern a verb (directly, or after an appositive or adverb)?"""
    m = SUBJECT_TAIL.match(text, end)
    if not m:
        return False
    verb = m.group(1)
    if plural and verb.islower() and verb.isalpha() and verb not in lx.STOP_WORDS and not verb.endswith(("s", "ing")):
        # ("rustlers laughing": a participle is no finite verb)
        return verb not in lx.ROLE_NOUNS and verb not in lx.PLACES  # "the villagers gather"
    return finite_verb(verb)


def mentions(text: str, alias: str) -> list[re.Match]:
    return list(_mentions(text, alias))


@functools.lru_cache(maxsize=8192)
def _mentions(text: str, alias: str) -> tuple[re.Match, ...]:
    # the reader asks the same (clause, name) many times over (cast, pronouns, genders): look once
    return tuple(re.finditer(r"\b" + re.escape(alias) + r"\b", text, 0 if alias[0].isupper() else re.IGNORECASE))


# --- where, when, and the main clause ------------------------------------------------------

def place_head(place: str) -> str:
    return place.split()[-1].lower()


def time_in(text: str) -> str | None:
    tl = text.lower()
    best = None
    for word, tod in sorted(lx.TIME_WORDS.items(), key=lambda kv: -len(kv[0])):
        m = re.search(r"\b" + re.escape(word) + r"\b", tl)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), tod)
    return best[1] if best else None


def condense(sentence: str, limit: int = 28) -> str:
    """Drop appositives and trailing clauses until the sentence fits ``limit`` words."""
    # "Emma, a strategist, joins" -> "Emma joins"; not "on a sunny Saturday, a stranger plays ..., and"
    s = re.sub(r"([A-Z][\w']+),\s+((?:a|an|the)\s+[^,;.]{3,50}?),",
               lambda m: m.group(0) if has_finite_verb(m.group(2)) or m.group(1) in lx.CALENDAR_WORDS
               else m.group(1), sentence)
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
    main = next((i for i, p in enumerate(parts) if has_finite_verb(p) and not _SUBORDINATE.match(p)), 0)
    kept: list[str] = []
    main_words = set(parts[main].split())
    for p in parts[:main]:
        names_someone = any(w[0].isupper() and w not in main_words for w in p.split()[1:])
        if not _SUBORDINATE.match(p):
            kept.append(p)
        elif names_someone and len(" ".join(kept + [p, parts[main]]).split()) <= limit + 10:
            kept.append(p)  # "As Rubeus Hagrid helps them ...": the frame brings someone on screen
        elif len(p.split()) <= 8 and not has_finite_verb(p) and (
                time_in(p) is not None or any(w.lower() in lx.PLACES or w.lower() in WEATHER_WORDS
                                              for w in lx.words(p))):
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


def has_finite_verb(part: str) -> bool:
    toks = [t.strip(",.;:!?\"") for t in part.split()]
    return any(finite_verb(t, toks[i - 1] if i else "") for i, t in enumerate(toks) if t) or _plural_clause(toks)


_OBJECT_START = frozenset("a an the his her their its it them to into up down out across through over".split())


def _plural_clause(toks: list[str]) -> bool:
    """'a grandmother and her grandson fly a kite': two people (or a plural) and a bare verb that
    takes an object, which the -s/-ed test cannot see."""
    for i in range(1, len(toks) - 2):
        noun, verb, nxt = toks[i].lower(), toks[i + 1], toks[i + 2].lower()
        people = noun in lx.ROLE_NOUNS and (noun.endswith("s") or " and " in " ".join(toks[:i]).lower())
        if people and verb.isalpha() and verb.islower() and verb not in lx.STOP_WORDS and nxt in _OBJECT_START \
                and verb not in lx.ROLE_NOUNS and verb not in lx.PLACES and not verb.endswith("ing") \
                and not (verb.endswith("ly") and len(verb) > 4):  # "fly" is a verb, "slowly" is not
            return True
    return False


# --- predicates and setting phrases -------------------------------------------------------

def predicate(sentence: str, subject_aliases: list[str]) -> str:
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


def object_of(predicate: str) -> str:
    """'teaches his granddaughter to sail' -> 'granddaughter': the noun phrase after a determiner,
    ending before the next function word or verb."""
    m = re.search(r"\b(a|an|the|his|her|their)\s+((?:[a-z\-]+\s*){1,3})", predicate)
    if not m:
        return ""
    ws: list[str] = []
    for w in m.group(2).split():
        if w in lx.STOP_WORDS or w in {"whose", "which", "that"} or finite_verb(w, ws[-1] if ws else "a"):
            break
        ws.append(w)
    return " ".join(ws)


_SETTING_PP = re.compile(r"\s+\b(?:in|at|on|through|across|inside|near|under|along|during|by)\s+"
                         r"(?:(?:the|a|an|his|her|their)\s+)?((?:[\w\-']+\s*){1,3})")


def strip_setting(phrase: str) -> str:
    """Drop trailing place and time phrases: 'loneliness in a big city' -> 'loneliness'; a phrase
    about something else stays ('hauls in her nets')."""
    for m in _SETTING_PP.finditer(phrase):
        ws = [w.lower() for w in m.group(1).split()]
        if any(w in lx.PLACES or w in lx.TIME_WORDS for w in ws) or (ws and ws[0] in lx.TIME_WORDS):
            return phrase[:m.start()].strip()
    return phrase.strip()
