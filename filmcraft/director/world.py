"""The physical world a text names, written down once: places (with whether they are indoors and
what they sound like), the places people and creatures belong to, weather, creatures and props.

The offline reader looks words up here; the sound designer hears a place's ambience from it.
"""

from __future__ import annotations

# place noun -> (interior?, ambience); the ambience is what the sound designer looks up
PLACES: dict[str, tuple[bool, str]] = {
    "harbour": (False, "harbour water lapping, rigging clinks, distant gulls"),
    "harbor": (False, "harbour water lapping, rigging clinks, distant gulls"),
    "port": (False, "harbour water lapping, cranes, distant ship horn"),
    "dock": (False, "water against pilings, creaking wood"),
    "pier": (False, "water against pilings, creaking wood, gulls"),
    "beach": (False, "surf on sand, wind, gulls"),
    "shore": (False, "surf on sand, wind"),
    "coast": (False, "surf and wind on rocks"),
    "sea": (False, "open sea swell, wind"),
    "ocean": (False, "open sea swell, wind"),
    "island": (False, "surf, wind in palms, birds"),
    "lighthouse": (False, "wind, surf against rocks, foghorn"),
    "boat": (False, "hull creaks, water slapping, engine idle"),
    "ship": (False, "hull creaks, engine drone, wind"),
    "forest": (False, "wind in trees, birdsong, twigs"),
    "woods": (False, "wind in trees, birdsong, twigs"),
    "jungle": (False, "insects, tropical birds, dripping leaves"),
    "clearing": (False, "soft wind, insects, birdsong"),
    "mountain": (False, "high wind, distant rockfall"),
    "mountains": (False, "high wind, distant rockfall"),
    "valley": (False, "wind over grass, distant stream"),
    "river": (False, "flowing river, birds"),
    "lake": (False, "gentle lapping water, loons"),
    "field": (False, "wind over grass, insects"),
    "fields": (False, "wind over grass, insects"),
    "meadow": (False, "wind over grass, bees, birdsong"),
    "desert": (False, "dry wind, sand hiss"),
    "cave": (True, "dripping water, hollow echo"),
    "garden": (False, "birdsong, leaves rustling, distant traffic"),
    "park": (False, "children far off, birds, light traffic"),
    "farm": (False, "livestock, wind, distant tractor"),
    "village": (False, "distant voices, dogs, church bell"),
    "town": (False, "light traffic, footsteps, voices"),
    "city": (False, "city traffic, distant sirens, crowd murmur"),
    "street": (False, "traffic passing, footsteps, voices"),
    "streets": (False, "traffic passing, footsteps, voices"),
    "alley": (False, "dripping pipes, distant traffic, rats"),
    "road": (False, "wind, passing cars"),
    "highway": (False, "fast traffic whoosh, trucks"),
    "bridge": (False, "wind, traffic over expansion joints, water below"),
    "rooftop": (False, "city hum from below, wind, distant sirens"),
    "station": (False, "station announcements, trains braking, crowd"),
    "platform": (False, "station announcements, trains braking, crowd"),
    "train": (True, "train wheels clacking, carriage rattle"),
    "subway": (True, "subway rumble, screeching brakes"),
    "airport": (True, "terminal announcements, rolling luggage, jet whine"),
    "market": (False, "market crowd, vendors calling, clatter"),
    "square": (False, "crowd murmur, pigeons, fountain"),
    "castle": (True, "stone room tone, distant wind, torches crackling"),
    "palace": (True, "large hall reverb, distant footsteps"),
    "kingdom": (False, "wind, distant bells, birds"),
    "church": (True, "large stone reverb, distant organ"),
    "cathedral": (True, "vast stone reverb, distant choir"),
    "temple": (True, "large stone reverb, wind chimes"),
    "cemetery": (False, "wind, crows, distant bell"),
    "grave": (False, "wind, crows, distant bell"),  # "on her father's grave": a set, after a preposition only
    "graveyard": (False, "wind, crows, distant bell"),
    "school": (True, "hallway chatter, lockers, bell"),
    "classroom": (True, "room tone, chairs scraping, chalk"),
    "hospital": (True, "monitor beeps, ventilation hum, distant pages"),
    "office": (True, "air conditioning hum, keyboards, phones"),
    "laboratory": (True, "equipment hum, beeping instruments"),
    "lab": (True, "equipment hum, beeping instruments"),
    "factory": (True, "machinery rhythm, steam hiss"),
    "warehouse": (True, "large empty reverb, dripping, wind through gaps"),
    "prison": (True, "metal doors echo, distant shouts"),
    "cell": (True, "dripping, metal echo, distant shouts"),
    "bar": (True, "bar chatter, glasses clinking, jukebox far off"),
    "cafe": (True, "cafe chatter, cups on saucers, espresso machine"),
    "restaurant": (True, "diners murmuring, cutlery, kitchen clatter"),
    "kitchen": (True, "fridge hum, ticking clock, simmering pot"),
    "bedroom": (True, "quiet room tone, ticking clock"),
    "house": (True, "quiet room tone, floorboards creak"),
    "home": (True, "quiet room tone, ticking clock"),
    "apartment": (True, "room tone, muffled neighbours, traffic outside"),
    "attic": (True, "creaking beams, wind on roof"),
    "basement": (True, "boiler hum, dripping"),
    "cellar": (True, "dripping, hollow stone tone"),
    "hallway": (True, "room tone, distant footsteps"),
    "library": (True, "hushed room tone, pages turning, clock"),
    "museum": (True, "large hall hush, footsteps echo"),
    "theatre": (True, "auditorium murmur, creaking seats"),
    "theater": (True, "auditorium murmur, creaking seats"),
    "stage": (True, "auditorium murmur, creaking boards"),
    "spaceship": (True, "life-support hum, electronic chirps"),
    "planet": (False, "thin alien wind, low drone"),
    "hideout": (True, "low room tone, dripping, muffled city"),
    "headquarters": (True, "electronic hum, distant radio chatter"),
    "base": (True, "electronic hum, distant radio chatter"),
    "academy": (True, "hallway chatter, footsteps"),
    "battlefield": (False, "distant explosions, wind, shouting"),
    "realm": (False, "wind, distant bells"),
    "pass": (False, "mountain wind, distant rockfall"),
    "shop": (True, "shop bell, room tone, till"),
    "studio": (True, "quiet room tone, ventilation"),
    "camp": (False, "campfire crackle, wind, night insects"),
    "mine": (True, "dripping, timber creaks, distant hammering"),
    # ice, rock and wild water
    "glacier": (False, "howling wind over ice, creaking ice"),
    "ice shelf": (False, "howling wind over ice, deep ice groans"),
    "icefield": (False, "wind over ice, creaking ice"),
    "crevasse": (False, "hollow wind, dripping meltwater, ice creaks"),
    "tundra": (False, "thin wind over frozen ground"),
    "summit": (False, "high wind, flapping fabric"),
    "peak": (False, "high wind, flapping fabric"),
    "ridge": (False, "high wind, loose stones"),
    "cliff": (False, "wind, surf far below, gulls"),
    "cliffs": (False, "wind, surf far below, gulls"),
    "cliff path": (False, "wind, surf far below, gulls"),
    "reef": (False, "surf breaking on coral, wind"),
    "rocks": (False, "surf against rocks, wind, gulls"),
    "cove": (False, "gentle surf, gulls"),
    "bay": (False, "open water lapping, gulls"),
    "lagoon": (False, "still water, birds"),
    "open water": (False, "open sea swell, wind"),
    "marsh": (False, "frogs, reeds rustling, water birds"),
    "swamp": (False, "frogs, insects, dripping"),
    "canyon": (False, "echoing wind, distant hawk"),
    "oasis": (False, "palm fronds rustling, water trickle, desert wind"),
    "dunes": (False, "dry wind, sand hiss"),
    "hill": (False, "wind over grass, birdsong"),
    "hills": (False, "wind over grass, birdsong"),
    "moor": (False, "wind over heather, curlews"),
    "volcano": (False, "deep rumble, hissing vents"),
    "waterfall": (False, "roaring falls, spray"),
    "stream": (False, "babbling stream, birds"),
    "creek": (False, "babbling stream, birds"),
    "riverbank": (False, "flowing river, reeds, birds"),
    "pond": (False, "frogs, lapping water"),
    "orchard": (False, "birdsong, bees, leaves"),
    "vineyard": (False, "wind in vines, insects"),
    "prairie": (False, "wind over grass, insects"),
    "plains": (False, "wind over grass"),
    "wasteland": (False, "dry wind, debris rattling"),
    "ruins": (False, "wind through broken walls, crows"),
    "landing site": (False, "wind, distant rotor thump"),
    "base camp": (False, "wind snapping tents, camp stove hiss"),
    "campsite": (False, "campfire crackle, wind, night insects"),
    # settlements and buildings
    "research station": (True, "generator hum, wind against the walls, radio static"),
    "station house": (True, "room tone, clock ticking"),
    "police station": (True, "phones ringing, radio chatter, footsteps"),
    "cabin": (True, "wood stove crackle, wind outside"),
    "hut": (True, "wind against thin walls, fire crackle"),
    "cottage": (True, "quiet room tone, clock ticking, fire crackle"),
    "farmhouse": (True, "quiet room tone, distant livestock"),
    "barn": (True, "livestock shuffling, creaking timber"),
    "mill": (True, "creaking wheel, rushing water"),
    "smithy": (True, "hammer on anvil, bellows, fire roar"),
    "forge": (True, "hammer on anvil, bellows, fire roar"),
    "workshop": (True, "tools clinking, room tone"),
    "bakery": (True, "oven hum, trays clatter"),
    "inn": (True, "tavern chatter, fire crackle, mugs"),
    "tavern": (True, "tavern chatter, fire crackle, mugs"),
    "hotel": (True, "lobby murmur, lift chime"),
    "lobby": (True, "lobby murmur, footsteps"),
    "corridor": (True, "room tone, distant footsteps"),
    "stairwell": (True, "echoing footsteps"),
    "lamp room": (True, "wind against glass, lamp mechanism ticking"),
    "tower": (True, "wind against stone, creaking stairs"),
    "roof": (False, "wind, city hum below"),
    "balcony": (False, "street noise below, wind"),
    "courtyard": (False, "footsteps on stone, fountain"),
    "plaza": (False, "crowd murmur, pigeons, fountain"),
    "chapel": (True, "stone reverb, candle hush"),
    "monastery": (True, "stone reverb, distant chanting"),
    "shrine": (False, "wind chimes, birdsong"),
    "tomb": (True, "hollow stone silence, dripping"),
    "crypt": (True, "hollow stone silence, dripping"),
    "dungeon": (True, "dripping, chains, distant moans"),
    "throne room": (True, "vast hall reverb, murmuring court"),
    "tunnel": (True, "dripping, hollow echo"),
    "sewer": (True, "rushing water, dripping, echo"),
    "bunker": (True, "ventilation hum, concrete echo"),
    "hangar": (True, "vast metal reverb, machinery"),
    "airfield": (False, "propeller drone, wind"),
    "runway": (False, "jet engines, wind"),
    "observatory": (True, "motor whirr, quiet room tone"),
    "space station": (True, "life-support hum, electronic chirps"),
    "cockpit": (True, "engine drone, instrument beeps"),
    "deck": (False, "wind, waves against the hull, rigging"),
    "trench": (False, "distant shelling, mud squelch, wind"),
    "border": (False, "wind, distant engines"),
    "checkpoint": (False, "idling engines, radio chatter"),
    "courtroom": (True, "murmuring gallery, gavel"),
    "gym": (True, "weights clanking, sneakers squeak"),
    "arena": (False, "roaring crowd"),
    "stadium": (False, "roaring crowd, announcer"),
    "pool": (True, "water lapping, echoing voices"),
    "mall": (True, "crowd murmur, music, escalators"),
    "supermarket": (True, "fridge hum, checkout beeps"),
    "diner": (True, "diner chatter, coffee pour, grill sizzle"),
    "motel": (True, "air conditioner rattle, traffic outside"),
    "garage": (True, "tools clink, engine ticking"),
    "parking lot": (False, "distant traffic, car doors"),
    "loft": (True, "city hum outside, floorboards"),
    "studio apartment": (True, "room tone, traffic outside"),
    "ward": (True, "monitor beeps, soft footsteps"),
    "clinic": (True, "quiet room tone, phones"),
    "greenhouse": (True, "humid drip, fans hum"),
    "wharf": (False, "water against pilings, gulls, rigging"),
    "quay": (False, "water against stone, gulls, rigging"),
    "jetty": (False, "water against pilings, gulls"),
    "marina": (False, "rigging clinks, water lapping"),
    "shipyard": (False, "hammering, cranes, water"),
    "riverside": (False, "flowing river, birds"),
    "embankment": (False, "river, traffic, footsteps"),
    "raft": (False, "water slapping, wind"),
    "lifeboat": (False, "waves slapping the hull, wind"),
    "tent": (True, "wind snapping canvas"),
    "car": (True, "engine hum, road noise"),
    "truck": (True, "engine rumble, road noise"),
    "bus": (True, "engine rumble, passenger murmur"),
    "plane": (True, "cabin hum, engine drone"),
    "helicopter": (True, "rotor thump, wind"),
    "submarine": (True, "sonar pings, hull groans"),
    "caravan": (False, "camel bells, wind, sand"),
    "caravanserai": (False, "wind through arches, animals"),
    "attic room": (True, "creaking beams, wind on roof"),
    "galley": (True, "pans clatter, ventilation hum"),
    "gate": (False, "wind, footsteps, distant traffic"),
    "school gate": (False, "children's voices, traffic, footsteps"),
    "room": (True, "quiet room tone"),
    "compartment": (True, "train wheels clacking, carriage rattle"),
    "dining car": (True, "train wheels clacking, cutlery, murmuring diners"),
    "carriage": (True, "train wheels clacking, carriage rattle"),
    "ramp": (False, "engines idling, wind"),
    "tram stop": (False, "tram bell, traffic, footsteps"),
    "bus stop": (False, "traffic, bus brakes"),
    "fair": (False, "fairground music, crowd, animals"),
    "fairground": (False, "fairground music, crowd, rides"),
    "show": (False, "crowd murmur, announcer"),
    "club": (True, "band playing, crowd chatter, glasses"),
    "nightclub": (True, "thumping music, crowd"),
    "hayloft": (True, "hay rustling, livestock below"),
    "fire escape": (False, "city hum, rain on metal"),
    "stall": (False, "market crowd, sizzling, vendors calling"),
    "chamber": (True, "dripping, hollow echo"),
    "cavern": (True, "dripping, vast hollow echo"),
    "gallery": (True, "hushed hall, footsteps echo"),
    "canal": (False, "water lapping against stone, distant bells"),
    "hall": (True, "large hall reverb, footsteps"),
    "ballroom": (True, "orchestra, crowd murmur"),
    "dig": (False, "wind, trowels scraping, sand hiss"),
    "dig site": (False, "wind, trowels scraping, sand hiss"),
    "excavation": (False, "wind, trowels scraping"),
    "surface": (False, "wind, open air"),
    "yard": (False, "wind, distant dog, gravel"),
    "farmyard": (False, "livestock, mud, wind"),
    "hilltop": (False, "wind over grass, birdsong"),
    "convent": (True, "stone reverb, distant bell"),
    "porch": (False, "wind chimes, creaking boards"),
    "shed": (True, "creaking timber, rain on the roof"),
    "stable": (True, "horses shifting, hay rustling"),
    "stables": (True, "horses shifting, hay rustling"),
    # sets a held-out reading lacked: ranch country, mines, ships, resorts, markets
    "ranch": (False, "wind over grass, cattle lowing"),
    "mesa": (False, "dry wind, distant hawk"),
    "riverbed": (False, "dry wind, pebbles shifting"),
    "stockyard": (False, "cattle lowing, gates clanging, dust"),
    "stockyards": (False, "cattle lowing, gates clanging, dust"),
    "railhead": (False, "locomotive steam, cattle, shouting"),
    "salt flat": (False, "hollow wind over the flats"),
    "salt flats": (False, "hollow wind over the flats"),
    "pit": (True, "dripping, timbers creak, distant machinery"),
    "pithead": (False, "winding gear, wind, boots on gravel"),
    "mine shaft": (True, "dripping, timbers creak, hollow echo"),
    "control room": (True, "consoles hum, soft beeps"),
    "engine room": (True, "engines thrumming, metal clangs"),
    "sonar room": (True, "sonar pings, consoles hum"),
    "mess": (True, "cutlery, murmuring, ventilation hum"),
    "mess hall": (True, "cutlery, murmuring, ventilation hum"),
    "car deck": (True, "engines thrumming, hull creaks, chains"),
    "palm house": (True, "humid drip, warm hush under glass"),
    "lounge": (True, "soft murmur, clinking cups, fire crackle"),
    "dining room": (True, "cutlery, murmuring diners"),
    "lodge": (True, "fire crackle, timber creaks"),
    "chalet": (True, "fire crackle, timber creaks"),
    "bazaar": (False, "market crowd, vendors calling"),
    "lane": (False, "footsteps, distant voices"),
    "vault": (True, "close stone hush, dripping"),
    "slope": (False, "wind over snow"),
    "strait": (False, "open water, gulls, wind"),
}
# common sets, so that a new story's place is read as a place (ambience: a generic room, or open air)
PLACES.update({
    "crater": (False, "deep rumble, hissing vents, wind"), "rim": (False, "wind, distant rumble"),
    "bayou": (False, "frogs, insects, water lapping"), "nave": (True, "vast stone reverb, footsteps echo"),
    "depot": (True, "large shed hum, metal clangs, distant trams"),
})
PLACES.update({w: (True, "quiet room tone") for w in """
staircase cloister mosque synagogue abbey morgue pharmacy dormitory cafeteria auditorium cinema backstage bookshop
pub saloon pantry larder hostel penthouse mansion shack bungalow manor catacombs boutique boardroom newsroom rink
spa sauna laundromat salon barbershop bathroom terminal airlock""".split()})
PLACES.update({w: (True, "ventilation hum, metal clangs") for w in (
    "cargo bay", "loading bay", "sick bay", "docking bay", "hydroponics bay")})
PLACES["launch pad"] = (False, "wind, engines rumbling")
PLACES.update({w: (True, "compressor hum, cold hiss") for w in ("cold store", "freezer", "walk-in freezer")})
PLACES.update({w: (False, "wind, open air") for w in """
terrace fortress driveway pasture paddock windmill dune gorge ravine estuary shipwreck avenue boulevard souk
carnival circus zoo playground churchyard crossroads motorway racetrack piazza wood""".split()})
# vessels: sets one is aboard (and a name after one is the vessel's: "the trawler Mary Bell")
VESSELS = frozenset("""
trawler yacht ferry freighter tanker schooner barge tugboat liner steamer spaceship starship airship
""".split())
PLACES.update({w: (True, "engines thrumming, hull creaks") for w in VESSELS})

# where a story naturally moves next from a place, when the text moves but names no new place
RELATED_PLACES: dict[str, tuple[str, ...]] = {
    "harbour": ("lighthouse", "boat", "pier"), "harbor": ("lighthouse", "boat", "pier"),
    "port": ("ship", "warehouse"), "beach": ("sea", "cliff road"), "sea": ("island", "harbour"),
    "forest": ("clearing", "river", "cave"), "woods": ("clearing", "cabin"), "jungle": ("river", "temple"),
    "city": ("rooftop", "alley", "subway"), "street": ("alley", "apartment", "cafe"),
    "station": ("train", "platform", "city"), "train": ("station", "platform"),
    "kitchen": ("garden", "bedroom", "hallway"), "house": ("garden", "attic", "street"),
    "home": ("street", "garden", "bedroom"), "village": ("forest", "road", "river"),
    "school": ("classroom", "street", "park"), "hospital": ("hallway", "street"),
    "prison": ("road", "hideout"), "office": ("street", "rooftop"), "castle": ("forest", "village"),
    "desert": ("road", "camp"), "mountain": ("valley", "cave"), "lake": ("forest", "road"),
    "bar": ("street", "alley"), "cafe": ("street", "park"), "island": ("beach", "cave"),
    "lighthouse": ("rocks", "sea", "harbour"), "glacier": ("crevasse", "ice shelf", "base camp"),
    "research station": ("glacier", "ice shelf"), "ice shelf": ("open water", "crevasse"),
    "crevasse": ("glacier",), "base camp": ("glacier", "summit"), "cottage": ("garden", "village"),
    "cabin": ("forest", "lake"), "farm": ("fields", "barn"), "oasis": ("desert",),
}

# default settings by genre when the text names no place at all
GENRE_PLACES: dict[str, tuple[str, ...]] = {
    "thriller": ("city", "warehouse", "rooftop"), "action": ("city", "highway", "rooftop"),
    "romance": ("cafe", "street", "park"), "horror": ("house", "cellar", "forest"),
    "sci-fi": ("laboratory", "city", "spaceship"), "fantasy": ("kingdom", "forest", "castle"),
    "comedy": ("home", "street", "office"), "drama": ("home", "street", "kitchen"),
    "adventure": ("road", "forest", "mountain"), "mystery": ("house", "library", "street"),
}

LOCATION_PREPOSITIONS = frozenset(
    "in at on through across into inside near by under along over beside toward towards to from "
    "onto within outside behind beneath around past aboard".split()
)

# verbs that move a story to another place
TRAVEL_VERBS = frozenset("""
travel travels travelled traveled journey journeys flee flees fled escape escapes escaped run runs ran
go goes went ventures venture ventured returns return returned heads head headed sets embark embarks
sails sail sailed drives drive drove flies fly flew leaves leave left hides hide hiding crosses cross
climbs climb climbed rides ride rode arrives arrive arrived follows follow followed chases chase chased
pursues pursue pursued skis skates hikes treks wades paddles rows swims
""".split())


# place nouns that are also things people handle or board: a setting only after a preposition
# ("on the boat", "inside the tower"), never as an object ("drags the boat", "climbs the tower")
PREPOSITION_ONLY_PLACES = frozenset("""
boat ship train car truck bus plane helicopter submarine raft lifeboat tent tower roof ice deck caravan
stage cell well ruins lab base camp mine pass realm home platform carriage show fair surface yard stall hall dig
trawler yacht ferry freighter tanker schooner barge tugboat liner steamer spaceship starship airship
chamber canal gallery ramp gate grave
""".split())


def place_info(place: str) -> tuple[bool, str]:
    """(interior?, ambience) of a place: its full name when the lexicon knows it ("research
    station"), else its head noun; an unknown place is out of doors."""
    low = place.lower()
    if low in PLACES:
        return PLACES[low]
    for n in (2, 1):
        tail = " ".join(low.split()[-n:])
        if tail in PLACES:
            return PLACES[tail]
    kind = PROPER_PLACES.get(place)
    if kind and kind in PLACES:
        return PLACES[kind]
    return (False, "open air, light wind")


# well-known proper places: the kind of place each is (a city is a street scene, a region its land)
PROPER_PLACES: dict[str, str] = {
    **{c: "city" for c in """Paris London Rome Venice Florence Naples Milan Tokyo Kyoto Osaka Berlin Vienna Prague
    Budapest Warsaw Moscow Istanbul Cairo Mumbai Delhi Kolkata Beijing Shanghai Seoul Singapore Bangkok Hanoi Sydney
    Melbourne Chicago Boston Seattle Lisbon Madrid Barcelona Seville Athens Amsterdam Brussels Dublin Edinburgh
    Glasgow Havana Marrakech Casablanca Nairobi Lagos Jerusalem Baghdad Tehran Damascus Beirut Manhattan Brooklyn
    Hollywood Shanghai Stockholm Oslo Copenhagen Helsinki Reykjavik Lima Bogota Caracas Toronto Montreal Vancouver
    Detroit Atlanta Miami Dallas Houston Naples Marseille Lyon Hamburg Munich Zurich Geneva Kiev Kyiv""".split()},
    "New York": "city", "Los Angeles": "city", "San Francisco": "city", "Las Vegas": "city", "New Orleans": "city",
    "Hong Kong": "city", "Mexico City": "city", "Buenos Aires": "city", "Rio": "city", "Rio de Janeiro": "city",
    "Cape Town": "city", "Tel Aviv": "city",
    "Sahara": "desert", "Gobi": "desert", "Mojave": "desert", "Alps": "mountains", "Himalayas": "mountains",
    "Himalaya": "mountains", "Andes": "mountains", "Rockies": "mountains", "Everest": "summit",
    "Antarctica": "ice", "Arctic": "ice", "Greenland": "glacier", "Siberia": "tundra", "Alaska": "tundra",
    "Iceland": "glacier", "Amazon": "jungle", "Mars": "planet", "Venus": "planet", "Moon": "planet",
    "Atlantic": "sea", "Pacific": "ocean", "Mediterranean": "sea", "Thames": "river", "Seine": "river",
    "Nile": "river", "Mississippi": "river", "Danube": "river",
    **{c: "country" for c in """Egypt Morocco Kenya Nigeria Ethiopia Scotland Ireland England Wales France Italy Spain
    Portugal Germany Austria Poland Greece Turkey Russia Ukraine Norway Sweden Finland Denmark Japan China India
    Korea Vietnam Thailand Mexico Brazil Peru Chile Argentina Canada Australia Africa Europe Asia America
    Patagonia Mongolia Tibet Nepal Cornwall Yorkshire Provence Tuscany Sicily Bavaria""".split()},
}

# where a person of a trade is found when the text names no place ("a lighthouse keeper")
ROLE_PLACES: dict[str, str] = {
    "fisherman": "harbour", "fisherwoman": "harbour", "sailor": "harbour", "captain": "ship", "pirate": "ship",
    "farmer": "farm", "shepherd": "hills", "miner": "mine", "baker": "bakery", "chef": "kitchen",
    "cook": "kitchen", "waiter": "restaurant", "waitress": "restaurant", "nurse": "hospital",
    "surgeon": "hospital", "doctor": "hospital", "teacher": "school", "student": "school", "pupil": "school",
    "scientist": "laboratory", "inventor": "workshop", "painter": "studio", "artist": "studio",
    "astronaut": "space station", "pilot": "cockpit", "priest": "church", "monk": "monastery", "nun": "convent",
    "prisoner": "prison", "guard": "prison", "soldier": "trench", "knight": "castle", "king": "castle",
    "queen": "palace", "princess": "castle", "prince": "castle", "blacksmith": "smithy", "clockmaker": "workshop",
    "glaciologist": "research station", "hunter": "forest", "ranger": "forest", "climber": "mountain",
    "diver": "sea", "detective": "city", "journalist": "city", "judge": "courtroom", "lawyer": "courtroom",
    "mechanic": "garage", "librarian": "library", "keeper": "lighthouse", "lighthouse-keeper": "lighthouse",
    "musician": "street", "violinist": "street", "singer": "bar", "boxer": "gym", "dancer": "studio",
    "writer": "apartment", "poet": "apartment", "courier": "city", "messenger": "road",
}

# what a person of a trade, or anyone in a place, is seen doing before the story starts
ROLE_ROUTINES: dict[str, str] = {
    "keeper": "tends the great lamp", "lighthouse-keeper": "tends the great lamp", "fisherman": "mends the nets",
    "fisherwoman": "mends the nets", "sailor": "coils the ropes on deck", "farmer": "works the fields",
    "shepherd": "counts the flock", "baker": "kneads the morning dough", "chef": "works the stove",
    "cook": "works the stove", "painter": "works at an easel", "artist": "works at an easel",
    "violinist": "tunes a violin", "musician": "tunes an instrument", "scientist": "checks the instruments",
    "glaciologist": "checks the instruments", "inventor": "tinkers at a bench", "clockmaker": "tinkers at a bench",
    "teacher": "writes on the board", "nurse": "makes the rounds", "doctor": "makes the rounds",
    "soldier": "stands watch", "guard": "stands watch", "knight": "sharpens a sword", "detective": "studies the case file",
    "writer": "types at a desk", "poet": "writes in a notebook", "astronaut": "checks the panels",
    "pilot": "runs the pre-flight checks", "miner": "swings a pick", "courier": "checks the route",
    "hunter": "reads the tracks", "ranger": "reads the tracks", "student": "studies late", "widower": "sits alone",
    "widow": "sits alone", "orphan": "wanders alone", "thief": "watches the crowd", "boxer": "trains hard",
}
PLACE_ROUTINES: dict[str, str] = {
    "harbour": "mends nets among the moored boats", "harbor": "mends nets among the moored boats",
    "sea": "watches the swell", "forest": "follows a narrow path between the trees",
    "city": "moves through the crowds", "street": "walks the familiar street", "kitchen": "prepares a quiet meal",
    "station": "waits on the platform", "house": "moves from room to room", "village": "crosses the square",
    "office": "works late at a desk", "school": "crosses the corridor", "beach": "walks the tideline",
    "desert": "walks into the heat", "lighthouse": "climbs the stair to the lamp", "garden": "tends the beds",
    "glacier": "crosses the ice", "mountain": "climbs the slope", "farm": "works the fields",
    "bridge": "crosses the bridge", "river": "walks the riverbank", "library": "reads among the stacks",
}

# --- weather ------------------------------------------------------------------------------

# word -> weather; matched as a lower-case whole word ("Cyclone" the pilot is not weather)
WEATHER_WORDS: dict[str, str] = {
    **{w: "storm" for w in """storm storms stormy thunderstorm thunder thunderclap lightning gale gales hurricane
       typhoon tempest squall squalls tornado storm-battered storm-tossed storm-lashed hail hailstorm hailstones
       thunderstorms""".split()},
    **{w: "blizzard" for w in "blizzard blizzards snowstorm whiteout".split()},
    **{w: "snow" for w in """snow snowy snowing snowfall snowflakes snowbound snow-covered snowdrifts sleet
       snowfield""".split()},
    **{w: "rain" for w in """rain rainy raining downpour drizzle rain-soaked rainstorm monsoon rain-slicked
       raindrops showers""".split()},
    **{w: "fog" for w in "fog foggy mist misty haze hazy fogbank fog-bound".split()},
    **{w: "wind" for w in "wind windy gust gusts sandstorm windswept wind-swept gale-force".split()},
    **{w: "overcast" for w in "overcast cloudy grey-skied".split()},
    **{w: "rain" for w in "puddles rain-lashed".split()},
}
WEATHER_PHRASES: dict[str, str] = {"dust storm": "wind", "sand storm": "wind", "snow storm": "blizzard",
                                   "grey morning": "overcast", "grey day": "overcast", "gray morning": "overcast",
                                   "grey afternoon": "overcast", "grey skies": "overcast", "gray day": "overcast",
                                   "grey sky": "overcast", "gray sky": "overcast", "heavy clouds": "overcast"}
# "the storm breaks/passes": the weather ends ("a storm breaks over the lighthouse" starts one)
WEATHER_END_VERBS = ("breaks", "passes", "clears", "ends", "subsides", "dies down", "blows over", "lifts",
                     "abates", "eases", "stops", "burns off", "is over", "has passed", "fades", "drops", "dies")
WEATHER_END_PHRASES = ("after the storm", "after the blizzard", "after the rain", "calm water", "calm sea",
                       "the sky clears", "the skies clear", "sun comes out", "clear sky", "clear skies")

# --- creatures and props ----------------------------------------------------------------

# creature noun -> its kind: "the bird" later names the seagull the text introduced
CREATURES: dict[str, str] = {
    **{w: "bird" for w in """seagull gull bird raven crow owl eagle hawk falcon sparrow robin pigeon dove swan
       heron crane albatross parrot penguin puffin magpie swallow blackbird hen chicken rooster duck goose
       vulture stork canary finch""".split()},
    **{w: "animal" for w in """dog puppy cat kitten horse pony foal wolf fox bear deer stag doe rabbit hare
       mouse rat squirrel goat sheep lamb cow bull ox pig donkey mule camel elephant lion tiger leopard
       monkey ape gorilla badger otter hedgehog boar moose elk reindeer seal walrus lynx jaguar cub
       mare stallion colt calf cattle frog toad lizard""".split()},
    **{w: "fish" for w in "fish whale dolphin shark octopus turtle salmon trout crab jellyfish orca narwhal".split()},
    **{w: "insect" for w in "moth butterfly bee beetle firefly fireflies spider ant dragonfly".split()},
    **{w: "beast" for w in "dragon snake serpent unicorn phoenix griffin kraken".split()},
}
CREATURE_KINDS = frozenset(set(CREATURES.values()) | {"animal", "creature", "beast"})

# concrete things a shot can show; a noun outside this list is only a prop when the story keeps
# returning to it
PROPS = frozenset("""
lamp lantern lens candle torch flashlight match matches fire campfire stove kettle teapot cup mug bowl plate
bottle jar glass knife sword dagger axe spear bow arrow shield gun pistol rifle bullet bomb rope ladder
chain key lock door window gate fence wall box chest trunk suitcase bag backpack basket crate barrel
letter letters envelope note notebook diary journal book books map maps compass telescope binoculars
camera photograph photo photographs picture painting canvas easel brush paint violin piano guitar
cello flute drum trumpet radio phone telephone computer laptop screen television clock watch hourglass
ring necklace locket pearl coin coins gold jewel jewels crown mirror umbrella hat coat scarf gloves
boots shoes dress mask blanket bed chair table desk bench stair stairs staircase bell flag banner
boat ship canoe kayak raft lifeboat oar oars sail sails mast anchor net nets hook fishing-rod rod
car truck bicycle bike motorcycle bus train tram plane helicopter sled sledge skis tent wagon cart
carriage engine motor wheel generator instruments instrument sensor sensors drill pick shovel hammer
anvil tools wrench pulley flare flares beacon signal antenna dish satellite rocket spaceship
robot machine device bomb wreck wreckage debris shell shells stone stones rock feather nest egg eggs
flower flowers rose bouquet seed seeds tree branch leaf leaves apple bread loaf cake wine water food
medicine bandage splint syringe cage trap net kite balloon ball toy doll puppet mask statue sculpture
cross icon altar grave coffin tombstone skull bones scroll scrolls tablet crystal orb wand staff amulet
relic egg hourglass ticket passport money wallet cigarette pipe typewriter manuscript record piano
clockwork spring gears microscope specimen sample samples core cores bottle message parcel package
""".split())

# parts a story names once it has shown the whole: "the string snaps" is the kite's string, a shot of the kite
PARTS: dict[str, tuple[str, ...]] = {
    "string": ("kite", "balloon", "violin", "guitar", "cello", "bow", "puppet"),
    "tail": ("kite",), "sail": ("boat", "ship", "raft"), "rudder": ("boat", "ship"), "hull": ("boat", "ship"),
    "keel": ("boat", "ship"), "mast": ("boat", "ship"), "propeller": ("plane", "helicopter", "boat"),
    "wing": ("plane",), "wheel": ("car", "cart", "wagon", "bicycle", "bike", "truck", "carriage"),
    "lid": ("box", "chest", "jar", "trunk", "coffin", "kettle"), "lock": ("door", "chest", "box", "gate"),
    "handle": ("door", "suitcase", "sword", "knife", "cup"), "strap": ("bag", "backpack", "watch"),
    "blade": ("sword", "knife", "axe"), "hands": ("clock", "watch"), "wick": ("candle", "lamp", "lantern"),
    "flame": ("candle", "lamp", "lantern", "torch", "match"), "page": ("book", "diary", "journal", "letter"),
    "pages": ("book", "diary", "journal", "letter", "manuscript"), "cork": ("bottle",), "chain": ("locket", "necklace"),
}

# plurals name the same kind of place ("into the caves", "along the canals"); after a preposition
# only, since many are also verbs ("Finn moors a boat")
_PLURALS = {k + "s": v for k, v in list(PLACES.items())
            if " " not in k and not k.endswith(("s", "x", "sh", "ch")) and k + "s" not in PLACES}
PLACES.update(_PLURALS)
PREPOSITION_ONLY_PLACES = PREPOSITION_ONLY_PLACES | {p + "s" for p in PREPOSITION_ONLY_PLACES} | set(_PLURALS)
# places that hold the story's sets rather than being one: a clause that names a set inside them is there
BROAD_PLACES = frozenset("""
city town village kingdom realm country island land region countryside world planet valley mountains coast
""".split())
