"""What a previs shot depicts, decided from its plan alone: place, weather, props, figures, subject.

The renderer draws what this module decides, and the shot's ``RenderManifest`` is this decision
written down, so the manifest can be computed for many plans without rendering any (the depiction
share of a film is measured that way). Nothing here paints: ``stagecraft`` places the decisions in
stage space and ``previs`` renders them.

- Place: the location name (and the shot's words when the name says nothing) against a lexicon of
  recognisable kinds; anything else is ``generic`` (an open landscape), never a wrong place.
- Weather: the plan's own field; a plan left ``clear`` whose action names a storm, rain, snow ...
  takes that weather instead (older plans carry it only in their words).
- Props and the subject: each noun is resolved to an image of the visual library (whole phrase,
  then its head noun: "a door onto daylight" -> "door"). A noun nothing depicts is ``not_depicted``.
- Figures: the characters, each with a motion read from the action's verbs and a screen direction
  (the first character faces screen right, as the framing's looking room assumes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from filmcraft.contracts import DepictedFigure, DepictedProp, RenderManifest, ShotPlan
from filmcraft.references.names import slugify
from filmcraft.references.places import INTERIOR_KINDS, WATER_KINDS, has_phrase, words_of, location_kind
from filmcraft.roles import Visual, VisualLibrary

# what a kind shows beyond its terrain, fetched from the visual library (drawn when it has one)
LANDMARKS: dict[str, tuple[str, ...]] = {
    "lighthouse": ("lighthouse",),
    "research_station": ("tent", "hut", "antenna"),
    "harbour": ("boat", "anchor"),
    "boat_deck": ("anchor",),
    "forest": ("tree", "pine tree", "tree"),
    "field": ("tree", "barn"),
    "village": ("house", "house", "church"),
    "desert": ("cactus",),
    "beach": ("palm tree",),
    "market": ("tent", "tent"),
    "train_station": ("train",),
    "space": ("planet", "rocket"),
    "river_lake": ("tree",),
    "mountain": ("pine tree",),
    "city_street": ("car", "street lamp"),
}
# a room keeps one piece of its furniture (an exterior kind seen from inside: its own)
FURNITURE: dict[str, str] = {"hospital": "bed", "school": "book", "church": "candle", "office_lab": "laptop",
                             "kitchen": "kettle", "bedroom": "bed", "home": "lamp", "lighthouse": "oil lamp",
                             "research_station": "radio", "boat_deck": "oil lamp", "space_station": "monitor"}

# --- weather ------------------------------------------------------------------------------------

WEATHER_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("blizzard", ("blizzard", "whiteout", "snowstorm", "snow storm")),
    ("storm", ("storm", "thunder", "lightning", "thunderstorm", "gale", "tempest", "hurricane", "typhoon")),
    ("snow", ("snow", "snowfall", "snowing", "snowflakes", "sleet")),
    ("rain", ("rain", "raining", "rainy", "downpour", "drizzle", "rainfall", "showers")),
    ("fog", ("fog", "foggy", "mist", "misty", "haze", "smoke")),
    ("wind", ("wind", "windy", "gust", "gusts", "breeze", "sandstorm", "dust storm")),
    ("overcast", ("overcast", "cloudy", "grey sky", "gray sky", "clouds")),
)
WEATHER_VERBS = ("storms off", "storms out", "storms in", "storms away", "storms into", "storms back")

# --- motion -------------------------------------------------------------------------------------

# motion -> verb stems (matched on the stem of each word of the action); first match wins.
MOTION_VERBS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("embrace", ("embrac", "hug", "kiss", "reunit", "cling", "huddl")),
    ("fall", ("fall", "fell", "collaps", "stumbl", "trip", "slip", "tumbl", "plung", "faint", "topple")),
    ("climb", ("climb", "ascend", "scal", "clamber", "scrambl")),
    ("run", ("run", "ran", "race", "dash", "sprint", "flee", "fled", "chase", "rush", "hurr", "bolt", "escap",
             "charg", "pursu")),
    ("fight", ("fight", "fought", "struggl", "wrestl", "grappl", "battl", "attack", "shov", "punch")),
    ("turn", ("turn", "spin", "spun", "whirl", "glanc", "look back", "swivel")),
    ("sit", ("sit", "sat", "kneel", "knelt", "crouch", "slump", "squat", "lies down", "lie down")),
    ("walk", ("walk", "stroll", "wander", "pace", "step", "head", "cross", "follow", "approach", "enter", "leav",
              "left", "exit", "return", "trudg", "limp", "march", "drag", "haul", "pull", "carr", "push",
              "goes", "went", "come", "came", "wade", "trek", "hike", "mov", "row")),
    ("dance", ("danc", "twirl", "sway")),
)
FLYING = frozenset("""bird birds seagull gull gulls crow raven owl dove pigeon sparrow eagle hawk falcon bat
butterfly moth bee dragonfly swallow albatross heron stork parrot kite balloon plane aeroplane airplane jet
helicopter drone dragon swan goose duck""".split())
FLOATING = frozenset("boat ship kayak canoe raft yacht sailboat lifeboat trawler ferry buoy".split())

# natural height of a prop (stage units; a standing figure is 0.8), by noun
PROP_HEIGHT: dict[str, float] = {
    **dict.fromkeys("""bird seagull gull crow raven owl dove pigeon sparrow bat butterfly moth bee fish mouse rat
        frog swallow dragonfly""".split(), 0.13),
    **dict.fromkeys("eagle hawk falcon albatross heron stork parrot swan goose duck kite".split(), 0.2),
    **dict.fromkeys("cat dog fox wolf rabbit lamb sheep goat penguin seal deer pig".split(), 0.32),
    **dict.fromkeys("horse cow bear whale elephant dragon camel".split(), 0.9),
    **dict.fromkeys("""letter compass hourglass key ring phone book photo photograph watch knife gun cup mug bottle
        candle map note envelope coin feather flower rose glass pen camera diary notebook necklace locket shell
        stone egg telescope binoculars radio pocketwatch""".split(), 0.16),
    **dict.fromkeys("lamp lantern clock suitcase bag box chest basket bucket helmet skull axe sword".split(), 0.25),
    **dict.fromkeys("chair table desk bed piano bench bicycle cart sled sledge barrel rock boulder well".split(), 0.42),
    **dict.fromkeys("door window mirror statue flag fence umbrella antenna cross gravestone".split(), 0.7),
    **dict.fromkeys("boat car kayak canoe raft tractor campfire fire".split(), 0.5),
    **dict.fromkeys("tent truck bus plane airplane aeroplane helicopter rocket".split(), 0.75),
    **dict.fromkeys("ship train hut barn".split(), 1.1),
    **dict.fromkeys("house tree cactus church windmill castle".split(), 1.5),
    **dict.fromkeys("lighthouse tower mountain volcano planet".split(), 2.3),
    "street lamp": 1.0, "lamppost": 1.0, "street light": 1.0, "lamp post": 1.0, "palm tree": 1.5, "pine tree": 1.5,
}
DEFAULT_PROP_HEIGHT = 0.3
LANDMARK_HEIGHT = 1.0  # props this tall stand in the background plate, not in front of the figures
# kinds whose plate is the thing itself, even where an image of it exists ("the lighthouse" is drawn
# as a prop image in any place, but "the crevasse" in a crevasse is the painted chasm)
PLACE_ONLY = frozenset({"rocky_coast", "crevasse", "glacier", "desert", "cave", "mountain", "sea", "beach", "river_lake", "forest",
                        "field", "city_street", "space", "kitchen", "bedroom", "home", "office_lab", "school",
                        "hospital", "church", "market", "train_station", "village", "harbour", "boat_deck",
                        "research_station", "space_station"})

STOP_WORDS = frozenset("""a an the his her their its our my your this that these those some one old new small big
little large tiny huge of""".split())
PREPOSITIONS = frozenset("""onto on into in at with from of to over under through across against by near beside
behind under above below toward towards against""".split())


@dataclass(frozen=True)
class PropPick:
    noun: str  # as the plan names it
    visual: Visual
    motion: str  # "still", "fly", "drift", "carried"
    direction: str  # "left", "right", "none"
    height: float  # natural height, stage units
    landmark: bool  # stands in the background plate (a lighthouse, a house, a tree)
    subject: bool = False
    place: bool = False  # the noun names the shot's place: the plate depicts it, nothing is composited


@dataclass(frozen=True)
class FigurePick:
    name: str
    motion: str
    direction: str  # "left", "right", "none"


@dataclass(frozen=True)
class Depiction:
    shot_id: str
    location_kind: str
    interior: bool
    weather: str
    night: bool
    subject: str  # the framed character or noun ("" for an establishing view of the place)
    subject_is_prop: bool
    props: tuple[PropPick, ...]
    landmarks: tuple[PropPick, ...]  # the place's own dressing (not named by the plan)
    figures: tuple[FigurePick, ...]
    not_depicted: tuple[str, ...] = field(default=())

    @property
    def subject_prop(self) -> PropPick | None:
        return next((p for p in self.props if p.subject), None)

    def manifest(self) -> RenderManifest:
        return RenderManifest(
            shot_id=self.shot_id, location_kind=self.location_kind, weather=self.weather, subject=self.subject,
            props=[DepictedProp(noun=p.noun, visual_id=p.visual.visual_id) for p in self.props],
            figures=[DepictedFigure(name=f.name, motion=f.motion, direction=f.direction) for f in self.figures],
            not_depicted=list(self.not_depicted))


# --- words --------------------------------------------------------------------------------------

def infer_weather(plan: ShotPlan) -> str:
    if plan.weather != "clear":
        return plan.weather
    # the action and the place, not the prompt: its lighting words ("storm light") are a look, not weather
    text = " ".join((plan.action, plan.location)).lower()
    for verb in WEATHER_VERBS:  # "she storms out" is a temper, not the sky
        text = text.replace(verb, " ")
    words = words_of(text)
    for weather, vocabulary in WEATHER_WORDS:
        if any(has_phrase(words, w) for w in vocabulary):
            return weather
    return "clear"


def noun_candidates(phrase: str) -> list[str]:
    """Library queries for a noun phrase, best first: the phrase without articles, then its head noun."""
    words = words_of(phrase)
    if not words:
        return []
    head_part: list[str] = []
    for w in words:  # the head noun ends the first chunk: "a door onto daylight" -> "door"
        if w in PREPOSITIONS and head_part:
            break
        if w not in STOP_WORDS:
            head_part.append(w)
    clean = " ".join(w for w in words if w not in STOP_WORDS)
    out: list[str] = []
    for cand in (clean, " ".join(head_part), head_part[-1] if head_part else "", _singular(head_part[-1]) if head_part else ""):
        if cand and cand not in out:
            out.append(cand)
    return out


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def head_noun(phrase: str) -> str:
    cands = noun_candidates(phrase)
    return cands[-1] if cands else ""


def resolve(noun: str, library: VisualLibrary | None, colour: str | None = None) -> Visual | None:
    """The library image for a noun phrase: the whole phrase first, then its head noun."""
    if library is None:
        return None
    for cand in noun_candidates(noun):
        visual = library.find(cand, colour) if colour else library.find(cand)
        if visual is not None:
            return visual
    return None


COLOURS = ("red", "scarlet", "crimson", "orange", "yellow", "golden", "gold", "green", "blue", "purple", "violet",
           "pink", "white", "silver", "grey", "gray", "black", "brown", "copper", "brass")
_COLOUR_RE = re.compile(r"\b(%s)\s+(?:[a-z\-]+\s+)?([a-z\-]+)\b" % "|".join(COLOURS))


def colour_of(noun: str, plan: ShotPlan) -> str | None:
    """The colour the plan's text gives the thing ("a red kite", "the golden pearl"), if any."""
    head = _singular(head_noun(noun))
    text = f"{plan.prompt} {plan.action}".lower()
    return next((m.group(1) for m in _COLOUR_RE.finditer(text) if _singular(m.group(2)) == head), None)


def _stem_hits(words: list[str], stems: tuple[str, ...]) -> bool:
    joined = " ".join(words)
    for stem in stems:
        if " " in stem:
            if stem in joined:
                return True
        elif any(w == stem or (len(stem) >= 3 and w.startswith(stem) and len(w) - len(stem) <= 3) for w in words):
            return True
    return False


def action_motion(action: str) -> str:
    """The figures' motion for an action line ("stand" when it names no movement)."""
    words = words_of(action)
    for motion, stems in MOTION_VERBS:
        if _stem_hits(words, stems):
            return motion
    return "stand"


def _direction(words: list[str], index: int, motion: str) -> str:
    if motion in ("stand", "sit", "fight", "dance"):
        return "none"
    if has_phrase(words, "left") and not any(w in ("leaves", "leave") for w in words):
        return "left"
    if has_phrase(words, "right"):
        return "right"
    back = any(w in ("returns", "return", "returning", "back", "retreats", "retreat") for w in words)
    # screen direction: the first character faces screen right (the framing's looking room), the
    # second faces the first; going back reverses it
    base = "right" if index % 2 == 0 else "left"
    if motion == "embrace":
        return base
    if back:
        return "left" if base == "right" else "right"
    return base


def _figures(plan: ShotPlan, motion: str) -> list[FigurePick]:
    words = words_of(plan.action)
    names = list(plan.characters)
    movers: set[int]
    lead = next((w for w in words if w not in STOP_WORDS), "")
    if lead and _singular(lead) in PROP_HEIGHT and not _is_character(lead, names):
        movers = set()  # "the bird returns every dawn": the bird moves, the keeper watches
    elif motion == "embrace" or any(w in ("they", "together", "both", "all") for w in words):
        movers = set(range(len(names)))
    else:
        # the mover is the action's grammatical subject: a name it opens with, else (a verb first:
        # "runs to the lighthouse to show it to Tomas") the shot's first character, never the object
        first = _is_character(lead, names) if lead else None
        movers = {names.index(first)} if first else ({0} if names else set())
    out = []
    for i, name in enumerate(names):
        m = motion if i in movers else "stand"
        if motion == "embrace" and len(names) < 2:
            m = "stand"
        out.append(FigurePick(name=name, motion=m, direction=_direction(words, i, m)))
    return out


def _is_the_place(noun: str, kind: str, location: str) -> bool:
    """True when a noun names the shot's own place (its kind, or words of its location name)."""
    words = [w for w in words_of(noun) if w not in STOP_WORDS]
    if not words:
        return False
    head = words[-1]  # "street lamp" is a lamp, "the restaurant kitchen" a kitchen
    noun_kind = location_kind(head)
    if noun_kind != "generic" and noun_kind == kind and (kind in PLACE_ONLY or _singular(head) not in PROP_HEIGHT):
        return True
    place = {_singular(w) for w in words_of(location)}
    return all(_singular(w) in place for w in words)


def _is_character(noun: str, characters: list[str]) -> str | None:
    slug = slugify(noun)
    for name in characters:
        s = slugify(name)
        if s and (slug == s or slug.endswith("_" + s) or s.endswith("_" + slug) or slug.startswith(s + "_")):
            return name
    return None


def _prop_pick(noun: str, visual: Visual, plan: ShotPlan, kind: str, subject: bool, mover: FigurePick | None) -> PropPick:
    head = _singular(head_noun(noun))
    tags = {t.lower() for t in visual.tags}
    flying = head in FLYING or bool(tags & {"bird", "flying", "insect"} and head not in FLOATING)
    floating = head in FLOATING and kind in WATER_KINDS
    phrase = " ".join(w for w in words_of(noun) if w not in STOP_WORDS)
    height = (PROP_HEIGHT.get(phrase) or PROP_HEIGHT.get(head)
              or next((PROP_HEIGHT[t] for t in visual.tags if t in PROP_HEIGHT), DEFAULT_PROP_HEIGHT))
    words = words_of(plan.action)
    in_water = any(w.startswith(("drown", "swim", "float", "bob", "adrift")) for w in words)
    hauled = (mover is not None and mover.motion in ("walk", "run") and head in words
              and any(w.startswith(("drag", "haul", "pull", "carr", "push")) for w in words))
    if hauled:
        motion, direction = "carried", mover.direction  # "carries the seagull": it moves with its carrier
    elif flying and in_water:
        motion, direction = "drift", "none"  # a drowning gull is in the waves, not in the sky
    elif flying:
        motion = "hover" if subject else "fly"
        direction = "left" if has_phrase(words, "left") else "right"
    elif floating:
        motion, direction = "drift", "none"
    else:
        motion, direction = "still", "none"
    landmark = height >= LANDMARK_HEIGHT and not subject and motion == "still"
    return PropPick(noun=noun, visual=visual, motion=motion, direction=direction, height=height,
                    landmark=landmark, subject=subject)


def _subject_from_prompt(plan: ShotPlan, library: VisualLibrary | None) -> str:
    """An empty shot with no named subject frames the first noun of its action the library can draw."""
    if library is None:
        return ""
    for w in words_of(plan.action):
        if w in STOP_WORDS or len(w) < 3 or w in PREPOSITIONS:
            continue
        if _singular(w) in PROP_HEIGHT and library.find(_singular(w)) is not None:
            return _singular(w)
    return ""


def depict(plan: ShotPlan, library: VisualLibrary | None, interior: bool | None = None,
           kind: str | None = None) -> Depiction:
    """Decide what ``plan``'s previs shows. ``interior``/``kind`` come from the painted plate when known."""
    kind = kind or location_kind(plan.location, plan.action)
    inside = (kind in INTERIOR_KINDS) if interior is None else interior
    night = plan.time_of_day in ("night", "dusk")
    weather = infer_weather(plan)
    if inside and weather != "storm":
        weather = "clear"  # indoors the sky is not drawn; only a storm's lightning reaches the room
    motion = action_motion(plan.action)
    figures = _figures(plan, motion)
    mover = next((f for f in figures if f.motion != "stand"), None)

    subject = (plan.subject or "").strip()
    subject_char = _is_character(subject, plan.characters) if subject else None
    if not subject:
        subject = plan.characters[0] if plan.characters else _subject_from_prompt(plan, library)
        subject_char = plan.characters[0] if plan.characters else None
    subject_is_prop = bool(subject) and subject_char is None

    props: list[PropPick] = []
    missing: list[str] = []
    seen: set[str] = set()
    nouns = ([subject] if subject_is_prop else []) + [p for p in plan.props if p and p.strip()]
    for i, noun in enumerate(nouns):
        key = _singular(head_noun(noun))
        if not key or key in seen:
            continue
        seen.add(key)
        if _is_character(noun, plan.characters):
            continue  # a character named among the props is drawn as a figure
        if kind != "generic" and _is_the_place(noun, kind, plan.location):
            # "the crevasse" in a crevasse, "the attic" in the attic: the painted plate is that place
            # (the generic fallback plate is no particular place, so it depicts none)
            props.append(PropPick(noun=noun, visual=Visual(f"plate:{kind}", Path(), ()), motion="still",
                                  direction="none", height=0.0, landmark=False, subject=False, place=True))
            continue
        visual = resolve(noun, library, colour_of(noun, plan))
        if visual is None:
            missing.append(noun)
            continue
        props.append(_prop_pick(noun, visual, plan, kind, subject=subject_is_prop and i == 0, mover=mover))

    landmarks: list[PropPick] = []
    if not inside:
        drawn = {p.visual.visual_id for p in props} | {_singular(head_noun(p.noun)) for p in props if not p.place}
        for noun in LANDMARKS.get(kind, ()):
            if noun in drawn:
                continue  # the plan names it already ("the lighthouse"): drawn once, where it is framed
            # a lighthouse at night has its lamp lit
            visual = (resolve("lit " + noun, library) if night and noun == "lighthouse" else None) or resolve(noun, library)
            if visual is None or (visual.visual_id in drawn and noun != "tree"):
                continue
            height = PROP_HEIGHT.get(noun) or PROP_HEIGHT.get(noun.split()[-1], 1.0)
            landmarks.append(PropPick(noun=noun, visual=visual, motion="still", direction="none", height=height,
                                      landmark=True))
    elif library is not None and kind in FURNITURE:
        visual = resolve(FURNITURE[kind], library)
        if visual is not None and visual.visual_id not in {p.visual.visual_id for p in props}:
            landmarks.append(PropPick(noun=FURNITURE[kind], visual=visual, motion="still", direction="none",
                                      height=PROP_HEIGHT.get(head_noun(FURNITURE[kind]), 0.4), landmark=False))
    return Depiction(shot_id=plan.shot_id, location_kind=kind, interior=inside, weather=weather,
                     night=night, subject=subject, subject_is_prop=subject_is_prop,
                     props=tuple(props), landmarks=tuple(landmarks), figures=tuple(figures),
                     not_depicted=tuple(missing))


def depiction_share(manifests: list[RenderManifest]) -> tuple[int, int]:
    """(depicted, named): subject and prop nouns of the plans that the pictures show."""
    depicted = named = 0
    for m in manifests:
        drawn = len(m.props)
        named += drawn + len(m.not_depicted)
        depicted += drawn
    return depicted, named
