"""Kinds of place a location name stands for: the lexicon the plate painter and the previs share.

A kind is something a viewer recognises (a lighthouse on its headland, an ice shelf, a city
street); a name that matches none is ``generic`` (an open landscape), never a wrong place.
"""

from __future__ import annotations

import re

# kind -> words (single words or phrases of the location name). Order matters: the first kind whose
# words appear wins, so specific places come before the general ones that contain them.
LOCATION_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lighthouse", ("lighthouse", "beacon", "lamp room", "lantern room")),
    ("space_station", ("space station", "spaceship", "spacecraft", "starship", "space ship", "orbital station",
                       "airlock", "cockpit")),
    ("space", ("space", "outer space", "orbit", "moon surface", "lunar", "mars", "asteroid", "galaxy", "nebula",
               "planet")),
    ("crevasse", ("crevasse", "ice fissure", "chasm", "ice crack")),
    ("research_station", ("research station", "research base", "field station", "polar station", "polar base",
                          "base camp", "outpost", "research camp", "weather station", "observatory")),
    ("train_station", ("train station", "railway station", "station platform", "platform", "railway", "train",
                       "subway", "metro", "tram", "railroad", "depot")),
    ("glacier", ("glacier", "ice shelf", "ice sheet", "ice field", "icefield", "iceberg", "tundra", "antarctic",
                 "antarctica", "arctic", "polar", "snowfield", "ice cap", "ice", "frozen lake", "snow plain")),
    ("rocky_coast", ("rocks", "rocky shore", "rocky coast", "headland", "breakwater", "sea wall", "seawall", "reef",
                     "tide pools", "skerry", "sea stack", "cliff", "cliffs", "clifftop", "cliff top")),
    ("mountain", ("mountain", "mountains", "peak", "summit", "ridge", "alps", "slope",
                  "pass", "volcano", "crater", "rim", "canyon", "gorge")),
    ("cave", ("cave", "cavern", "grotto", "mine", "tunnel", "underground", "catacomb", "catacombs")),
    ("desert", ("desert", "dune", "dunes", "sahara", "wasteland", "badlands", "oasis", "salt flat")),
    ("harbour", ("harbour", "harbor", "port", "dock", "docks", "pier", "wharf", "marina", "quay", "jetty",
                 "boathouse", "fishing village")),
    ("boat_deck", ("boat", "ship", "deck", "vessel", "yacht", "ferry", "raft", "trawler", "sailboat", "lifeboat",
                   "submarine")),
    ("beach", ("beach", "shore", "shoreline", "coast", "coastline", "seaside", "cove", "sand", "bay")),
    ("sea", ("sea", "ocean", "open water", "waves", "high seas", "island")),
    ("river_lake", ("river", "lake", "pond", "stream", "riverbank", "lakeside", "canal", "waterfall", "creek",
                    "marsh", "swamp", "bayou", "bridge")),
    ("hospital", ("hospital", "ward", "clinic", "infirmary", "operating room", "icu", "sickbay")),
    ("school", ("school", "gym", "gymnasium", "classroom", "university", "lecture hall", "campus", "college", "library")),
    ("church", ("church", "chapel", "cathedral", "temple", "monastery", "mosque", "shrine", "abbey", "nave", "crypt")),
    ("office_lab", ("office", "lab", "laboratory", "workshop", "forge", "smithy", "studio", "control room", "newsroom",
                    "headquarters", "archive", "server room")),
    ("kitchen", ("kitchen", "galley", "bakery", "diner", "cafe", "restaurant", "canteen", "bar", "club", "pub", "tavern", "inn")),
    ("bedroom", ("bedroom", "nursery", "dormitory", "bunk", "cell", "prison", "sleeping compartment", "sleeper")),
    ("home", ("home", "house", "living room", "apartment", "flat", "cottage", "cabin", "room", "attic", "cellar",
              "basement", "hallway", "corridor", "chamber", "parlour", "parlor", "lounge", "hut", "hotel", "farmhouse")),
    ("market", ("market", "bazaar", "fair", "marketplace", "stall", "stalls", "souk", "shop", "store")),
    ("village", ("village", "hamlet", "settlement", "kingdom", "realm")),
    ("forest", ("forest", "woods", "wood", "jungle", "grove", "woodland", "orchard", "park", "garden", "rainforest",
                "trail", "clearing")),
    ("field", ("field", "fields", "farm", "meadow", "prairie", "countryside", "pasture", "vineyard", "hill", "hills",
               "valley", "moor", "moors", "plain", "plains", "steppe", "ranch", "barn", "hayloft", "graveyard", "cemetery")),
    ("city_street", ("street", "city", "alley", "alleyway", "avenue", "downtown", "road", "square", "plaza", "town",
                     "rooftop", "roof", "terrace", "fire escape", "neighbourhood", "neighborhood", "crossing", "boulevard", "highway",
                     "parking lot", "car park", "sidewalk", "district",
                     # cities a story names as its place: their streets are what a viewer recognises
                     "london", "paris", "amsterdam", "new york", "tokyo", "chicago", "rome", "berlin", "vienna",
                     "madrid", "lisbon", "prague", "istanbul", "cairo", "mumbai", "shanghai", "hong kong")),
)
LOCATION_KIND_NAMES: tuple[str, ...] = tuple(k for k, _ in LOCATION_KINDS) + ("generic",)
INTERIOR_KINDS = frozenset({"space_station", "hospital", "school", "church", "office_lab", "kitchen", "bedroom",
                            "home"})
WATER_KINDS = frozenset({"lighthouse", "rocky_coast", "harbour", "boat_deck", "beach", "sea", "river_lake"})

def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", (text or "").lower())


def _singular(word: str) -> str:
    # "the flooded caves" is a cave; keep words whose s is not a plural ("glass", "moss", "canvas")
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "as", "is")) else word


def has_phrase(words: list[str], phrase: str) -> bool:
    target = phrase.split()
    n = len(target)
    return any(words[i:i + n] == target for i in range(len(words) - n + 1))


def location_kind(location: str, context: str = "") -> str:
    """The recognisable kind of a place; the shot's words (``context``) decide only when the name does not."""
    for text in (location, context):
        words = words_of(text)
        singular = [_singular(w) for w in words]
        for kind, vocabulary in LOCATION_KINDS:
            if any(has_phrase(words, w) or has_phrase(singular, w) for w in vocabulary):
                return kind
    return "generic"
