"""What surrounds the people of a clause: its weather (and how long the weather lasts), the props
and creatures it names, and what a shot of it frames. Pure functions of text and the reading.
"""

from __future__ import annotations

import re

from filmcraft.director import lexicon as lx
from filmcraft.director import world
from filmcraft.director.script.grammar import finite_verb

# --- weather ------------------------------------------------------------------------------

_WEATHER_RE = re.compile(r"(?<![\w-])(%s)(?![\w-])" % "|".join(
    sorted(list(world.WEATHER_WORDS) + list(world.WEATHER_PHRASES), key=len, reverse=True)), re.IGNORECASE)
_END_RE = re.compile(r"\b(?:the|this|that)\s+(?:[a-z\-]+\s+)?(%s)\s+(%s)\b(?!\s+(?:over|out|loose|upon|across|on))" % (
    "|".join(sorted(world.WEATHER_WORDS, key=len, reverse=True)),
    "|".join(sorted(world.WEATHER_END_VERBS, key=len, reverse=True))))


def weather_in(text: str) -> str | None:
    """The weather a clause shows: the strongest sky it names ("a blizzard", "through the rain"),
    None when it names none; a verb use ("they storm the gate", "the road winds") is not weather."""
    found: list[tuple[int, str]] = []
    for m in _WEATHER_RE.finditer(text):
        word = m.group(1)
        if word[0].isupper():
            if text[:m.start()].rstrip()[-1:] not in ("", ".", "!", "?", ";", ":") or not word[1:].islower():
                continue  # a name mid-sentence ("the Storm Inn"); "Lightning strikes" opens a sentence
            word = word.lower()
        after = text[m.end():m.end() + 12].lower()
        before = text[max(0, m.start() - 6):m.start()].lower()
        if word in ("storm", "storms") and re.match(r"\s+(?:the|into|out|off|through|in)\b", after) \
                and not re.search(r"\b(?:a|the)\s*$", before):
            continue  # "storm the castle"
        nxt = re.match(r"[\s-]+([a-z]+)(\s+[a-z]+)?", text[m.end():m.end() + 30].lower())
        verb_next = nxt and nxt.group(1).endswith("s") and (nxt.group(2) or "").strip() in (
            lx.LOCATION_PREPOSITIONS | _PARTICLES | {"the", "a", "an", "its", "their", "his", "her"})  # "a dust storm tears across"
        if nxt and not verb_next and (nxt.group(1) in world.PROPS or nxt.group(1) in _WEATHER_COMPOUNDS):
            continue  # "a storm lantern", "the rain barrel", "a fog horn": a thing named after the weather
        if word == "wind" and re.match(r"\s+(?:up|down|through|along|back)\b", after) and "the" not in before:
            continue  # "they wind up", "the road will wind through"
        kind = world.WEATHER_WORDS.get(word) or world.WEATHER_PHRASES[word]
        found.append((_SEVERITY.index(kind), kind))
    return max(found)[1] if found else None


_PARTICLES = frozenset("out away off up down back over across along".split())
_WEATHER_COMPOUNDS = frozenset("drain drains shelter cellar horn globe warning warnings coat jacket boots barrel "
                               "chaser chasers tracker front petrel".split())
_SEVERITY = ("overcast", "wind", "fog", "rain", "snow", "storm", "blizzard")


def weather_ends(text: str) -> bool:
    """Does the clause end the weather ("when the storm breaks", "the fog lifts", "calm water")?"""
    tl = text.lower()
    return bool(_END_RE.search(tl)) or any(p in tl for p in world.WEATHER_END_PHRASES)


_ORDER = ("dawn", "day", "golden_hour", "dusk", "night")
_TIME_SKIP = re.compile(r"\b(?:next|following|later|weeks|months|years|one day|days later|the day after|"
                        r"(?:in|by|this|that) (?:january|february|march|april|june|july|august|september|october|"
                        r"november|december|spring|summer|autumn|winter))\b", re.IGNORECASE)


def _new_day(before: str, now: str) -> bool:
    """Has the story's clock rolled over (night -> dawn)? Evening into night is one stretch of weather."""
    return _ORDER.index(now) < _ORDER.index(before)


class WeatherTrack:
    """The weather through the story: what a clause names, else what it was before while the story
    stays in the same stretch of time (a storm that broke at night is over by the next dawn)."""

    def __init__(self) -> None:
        self.current = "clear"
        self.time: str | None = None

    def step(self, text: str, time: str) -> str:
        named = weather_in(text)
        if self.time is not None and not named and (_new_day(self.time, time) or _TIME_SKIP.search(text)):
            self.current = "clear"  # another day, or time has passed: the sky the text gave last is gone
        self.time = time
        if weather_ends(text):
            # "when the storm breaks, she skis out": this scene is after it; "as the fog lifts off the
            # strait, he watches": the scene shows it going, so it is still there to see
            end = _END_RE.search(text.lower())
            # "plays until the fog lifts", "...; the fog lifts": the scene has the fog, then sees it go
            during = named and ((end and re.search(r"(?:;|\buntil|\btill)\s*$", text.lower()[:end.start()])) or re.search(
                r"\b(?:as|while|until|till)\s+the\s+(?:[a-z\-]+\s+)?(?:%s)\s+(?:%s)\b" % (
                    "|".join(world.WEATHER_WORDS), "|".join(world.WEATHER_END_VERBS)), text, re.IGNORECASE))
            shown, self.current = (named if during else "clear"), "clear"
            return shown
        if named:
            self.current = named
        return self.current


# --- props and creatures ------------------------------------------------------------------

_NOUN_RE = re.compile(r"(?<!')[A-Za-z][a-z\-]*")
_DETS = frozenset("a an the his her their its my our your this that these those two three some every each one".split())


def things_in(text: str, known: list[str] | None = None) -> list[str]:
    """Props and creatures a clause names, as nouns in order ("seagull", "lamp"); a creature's kind
    ("the bird") names the creature the story introduced (``known``), a possessive or a compound's
    modifier ("the station's boat", "lighthouse keeper") is not a thing on its own."""
    out: list[str] = []
    known = known or []
    toks = list(_NOUN_RE.finditer(text))
    for i, m in enumerate(toks):
        w = m.group(0).lower()
        if text[m.end():m.end() + 2] in ("'s",):
            continue
        nxt = toks[i + 1].group(0).lower() if i + 1 < len(toks) and toks[i + 1].start() - m.end() <= 1 else ""
        nxt2 = toks[i + 2].group(0).lower() if i + 2 < len(toks) else ""
        verb_next = nxt.endswith("s") and (nxt2 in lx.LOCATION_PREPOSITIONS or nxt2 in _PARTICLES)  # "the kite sails out"
        if nxt and (nxt in lx.ROLE_NOUNS or nxt in world.PROPS or nxt in world.PLACES) and w not in world.CREATURES \
                and not verb_next:
            continue  # "lighthouse keeper", "supply ship"
        prev = toks[i - 1].group(0).lower() if i else ""
        # a noun after a determiner, an adjective after one, or a preposition; not a verb after its
        # subject ("she skis out", "the brothers cross")
        nounish = prev in lx.LOCATION_PREPOSITIONS or prev in {"and", "or"} or _after_determiner(text, toks, i)
        noun = None
        kind_of = [k for k in known if world.CREATURES.get(k) == w or (w in ("creature", "animal") and k in world.CREATURES)]
        if w in world.CREATURE_KINDS and kind_of and nounish:
            noun = kind_of[-1]  # "the bird" is the seagull
        elif w in world.CREATURES and (nounish or not finite_verb(w, prev)):
            noun = w
        elif w.endswith("s") and w[:-1] in world.CREATURES and len(w) > 4 and nounish:
            noun = w[:-1]
        elif w in world.PARTS and nounish and any(k in world.PARTS[w] for k in known + out):
            noun = next(k for k in reversed(known + out) if k in world.PARTS[w])  # the kite's string: the kite
        elif w in world.PROPS and nounish and not finite_verb(w, prev if prev not in _DETS else "the"):
            noun = w
        if noun and noun not in out:
            out.append(noun)
    return out


def _after_determiner(text: str, toks: list[re.Match], i: int) -> bool:
    """Is token i the head of a noun phrase: a determiner or a possessive within three words before
    it, with only modifiers between ("the station's small boat", "a waiting supply ship")?"""
    for k in range(i - 1, max(-1, i - 4), -1):
        w = toks[k].group(0).lower()
        if w in _DETS or text[toks[k].end():toks[k].end() + 2] == "'s":
            return True
        if w in lx.ROLE_NOUNS or w.rstrip("s") in lx.ROLE_NOUNS or w in lx.STOP_WORDS or finite_verb(w, "x"):
            return False
    return False


def creatures(things: list[str]) -> list[str]:
    return [t for t in things if t in world.CREATURES]


# --- what a shot frames ---------------------------------------------------------------------

def metaphor_subject(image: str) -> tuple[str, list[str]]:
    """'sand running through an hourglass' -> ('an hourglass', ['sand', 'hourglass']): the image's
    chief thing (the last concrete noun it names, else its first noun phrase) and its things."""
    things = [w for w in lx.words(image.lower()) if w in world.PROPS or w in world.CREATURES
              or w.rstrip("s") in world.CREATURES or w in _IMAGE_NOUNS]
    phrases = list(re.finditer(r"\b(a|an|the|two|old)\s+([a-z\-']+)(?:\s+([a-z\-]+))?", image.lower()))
    for m in phrases:
        head = m.group(2)
        if head in things or head.rstrip("s") in things or head in _IMAGE_NOUNS:
            return f"{m.group(1)} {head}", list(dict.fromkeys(things))
    first = image.split()[0:3]
    return (things[0] if things else " ".join(first)), list(dict.fromkeys(things))


# nouns that metaphor images name and that a previs can draw
_IMAGE_NOUNS = frozenset("""
door candle chair clock boat birds bird hands lamp moth shadow storm kettle match waves kite flock road
hourglass photographs flag fireworks sun shoot concrete light cloud window branch string ridge skyline
""".split())
