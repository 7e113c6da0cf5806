"""Word lists and small text tools shared by the offline director.

The offline director reads text with regexes and these lexicons instead of a language model,
so every list here is a piece of film or story knowledge written down once, in one place.
"""

from __future__ import annotations

import hashlib
import re

# the physical world (places, weather, creatures, props) has its own module; re-exported here so
# the reader keeps one lexicon
from filmcraft.director.world import (  # noqa: F401
    GENRE_PLACES, LOCATION_PREPOSITIONS, PLACES, RELATED_PLACES, TRAVEL_VERBS,
)

# --- text tools ---------------------------------------------------------------------------

_ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "Prof", "Capt", "Sgt", "Lt", "Col", "Gen", "Jr", "Sr",
                  "vs", "etc", "Mt", "No")
_ABBR_MARK = "\u2024"  # one-dot leader: stands in for the period of an abbreviation while splitting
WORD_RE = re.compile(r"[^\W\d_][\w'\u2019\-]*|\d+")  # any script's letters, not only ASCII


def normalise_text(text: str) -> str:
    """Straighten quotes and dashes and collapse whitespace, so regexes see one spelling."""
    text = (text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
            .replace("\u201d", '"').replace("\u2014", " - ").replace("\u2013", " - "))
    return re.sub(r"\s+", " ", text).strip()


def split_sentences(text: str) -> list[str]:
    text = normalise_text(text)
    for abbr in _ABBREVIATIONS:
        text = re.sub(rf"\b{abbr}\.", abbr + _ABBR_MARK, text)
    parts = re.split(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])", text)
    out = []
    for p in parts:
        p = p.replace(_ABBR_MARK, ".").strip()
        if len(WORD_RE.findall(p)) >= 2:
            out.append(p if p[-1] in ".!?" else p + ".")
    return out


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def stable_int(*parts: object) -> int:
    """Deterministic integer from inputs (Python's hash() is salted per process)."""
    blob = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def pick(options: list[str] | tuple[str, ...], *seed_parts: object) -> str:
    return options[stable_int(*seed_parts) % len(options)]


def base_verb(verb: str) -> str:
    """Third-person or past verb -> base form ("escapes" -> "escape", "tries" -> "try")."""
    v = verb.lower()
    irregular = {"is": "be", "was": "be", "has": "have", "had": "have", "does": "do", "did": "do",
                 "goes": "go", "went": "go", "ran": "run", "runs": "run", "found": "find",
                 "made": "make", "took": "take", "came": "come", "saw": "see", "left": "leave",
                 "led": "lead", "fled": "flee", "fell": "fall", "lost": "lose", "met": "meet",
                 "told": "tell", "said": "say", "fought": "fight", "caught": "catch", "brought": "bring",
                 "kept": "keep", "held": "hold", "stole": "steal", "broke": "break", "rode": "ride",
                 "flew": "fly", "swam": "swim", "sang": "sing", "wrote": "write", "became": "become",
                 "began": "begin", "knew": "know", "thought": "think", "sought": "seek", "won": "win",
                 "hid": "hide", "dies": "die", "lies": "lie", "sees": "see", "flees": "flee"}
    if v in irregular:
        return irregular[v]
    if v.endswith("ing") and len(v) > 5:
        stem = v[:-3]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]  # "running" -> "run"
        if re.search(r"(at|iz|ur|v|c|g|dg|bl|tl)$", stem):
            return stem + "e"  # "escaping" -> "escape"
        return stem
    if v.endswith("ies") and len(v) > 4:
        return v[:-3] + "y"
    if re.search(r"(ss|sh|ch|x|zz|o)es$", v):
        return v[:-2]
    if v.endswith("ied") and len(v) > 4:
        return v[:-3] + "y"
    if v.endswith("ed") and len(v) > 4:
        stem = v[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]  # "stopped" -> "stop"
        if re.search(r"(at|iz|ur|v|c|g|s|dg|bl|tl|ag)$", stem) and not stem.endswith("ss"):
            return stem + "e"  # "escaped" -> "escape", "realized" -> "realize"
        return stem
    if v.endswith("s") and not v.endswith("ss") and len(v) > 3:
        return v[:-1]
    return v


def first_person(text: str) -> str:
    """Swap third-person pronouns for first person, for lines a character speaks."""
    swaps = {"his": "my", "her": "my", "their": "our", "himself": "myself", "herself": "myself",
             "themselves": "ourselves", "he": "I", "she": "I", "they": "we", "him": "me", "them": "us"}
    return re.sub(r"\b(his|her|their|himself|herself|themselves|he|she|they|him|them)\b",
                  lambda m: swaps[m.group(1).lower()], text, flags=re.IGNORECASE)


# --- stop words and function words -------------------------------------------------------

STOP_WORDS = frozenset("""
a an the and or but if then so of to in on at by for with from into onto over under through across
as is are was were be been being has have had do does did this that these those it its their his her
him them they he she we you i me my our your who whom which what when where while after before until
during despite although though because since yet also both either neither not no nor only just very
too more most much many some any each every other another such own same than once again ever still
even all up down out off about against between among upon within without toward towards around near
behind beyond along here there now later soon finally eventually meanwhile however suddenly can could
will would shall should may might must one ones himself herself themselves itself
""".split())

SENTENCE_OPENERS = frozenset("""
The A An In On At After Before When While As Meanwhile However But And With Then Suddenly One Every
This That These Those His Her Their Its It He She They We I You Despite Although Though Once Later
Finally Eventually Soon Now If So Because Until Upon During Through Years Among Together Back Far
Deep High Long Inside Outside Only Even Still Yet Little By For From To Under Over Into Near Beyond
Two Three Four Five Six Several Some Many Both Most All No Nobody Someone Everyone Everything Nothing
Determined Realizing Realising Seeking Driven Drawn Alone Tonight Today Yesterday Tomorrow Elsewhere
Gone Lost Soaked Exhausted Desperate Furious Silent Hidden Trapped Frozen Alive Dead
""".split())

CALENDAR_WORDS = frozenset("""
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December Christmas Easter God English French Spanish German
""".split())

TITLES = frozenset("""
Mr Mrs Ms Dr Doctor Professor Prof Captain Capt Detective Inspector Sergeant Sgt Lieutenant Lt
Colonel General Agent Officer Sir Lady Lord King Queen Prince Princess Aunt Uncle Grandma Grandpa
Father Mother Sister Brother Saint St Master Madame Miss
""".split())

# --- characters --------------------------------------------------------------------------

ROLE_NOUNS = frozenset("""
man woman boy girl child kid baby teenager teen youth mother father son daughter brother sister
grandmother grandfather grandma grandpa wife husband widow widower bride groom aunt uncle cousin
fisherman fisherwoman sailor captain pirate detective inspector cop officer policeman policewoman
agent spy soldier general knight king queen prince princess emperor witch wizard sorcerer
doctor nurse surgeon scientist professor teacher student pupil artist painter musician singer
dancer writer poet farmer shepherd hunter miner baker chef cook waiter waitress thief burglar
criminal killer assassin mercenary villain hero heroine stranger traveller traveler wanderer
pilgrim explorer astronaut pilot driver robot android alien ghost monster vampire creature dragon
orphan beggar priest monk nun keeper lighthouse-keeper guard prisoner refugee immigrant merchant
banker lawyer judge journalist photographer mechanic engineer inventor clerk janitor boxer
fighter athlete runner climber diver ranger hacker scavenger survivor veteran neighbour neighbor
friend lover couple family crew gang team villagers strangers children boys girls men women
courier messenger granddaughter grandson niece nephew fiancee fiance partner
violinist pianist guitarist drummer glaciologist biologist geologist archaeologist botanist researcher
astronomer physicist chemist apprentice clockmaker blacksmith carpenter tailor weaver potter
librarian shopkeeper innkeeper ferryman boatman skipper smuggler ranger lumberjack nomad herder
guide poacher trapper paramedic firefighter medic bodyguard butler maid servant gardener
pickpocket headmaster headmistress principal conductor mayor judges commander porter busker caver cavers
historian engineer neighbour neighbours crowd fishermen farmers soldiers guards raiders smugglers
gangsters bandits pirates sailors hunters villagers police policemen officers nurses doctors
parents grandparents guests toddler infant students class classmates passengers workers miners monks nuns
guest operator foreman purser goalkeeper coach dealer rancher cowboy cowgirl drover sheriff deputy outlaw
rustler rustlers thieves commuter commuters fans schoolchildren tourists tourist pilgrims rescuers
housekeeper steward stewardess nanny widows orphans witches sailors trader traders vendor vendors
actor actress reporter editor producer manager owner landlord landlady tenant customer client visitor
hitchhiker trucker surfer skater hiker mountaineer deckhand electrician plumber builder veterinarian midwife
vicar rabbi imam tutor referee striker opponent sibling stepmother stepfather stepdaughter stepson chauffeur
cabbie sentry warden jailer convict inmate fugitive robber investigator zombie werewolf troll elf dwarf
spectators audience supporters protesters refugees troops pupils teenagers kids survivors hostages colleagues
bartender cashier grocer butcher huntress healer oracle prophet priestess abbot bishop sniper
wives housewives elves dwarves urchin urchins
carrier lifeguard barista cobbler vet welder sculptor watchmaker jeweller jeweler caretaker whaler shipwright
stowaway migrant hermit acrobat clown juggler magician puppeteer director translator programmer cyborg
cosmonaut skier swimmer wrestler umpire jockey rider bandit senator empress governess curator undertaker
gravedigger
""".split())


# agent-noun endings English makes trades and roles with ("saxophonist", "watchman", "milkmaid",
# "gatekeeper", "goldsmith"): a role noun the list does not spell out is still a role noun
_AGENT_SUFFIXES = ("ist", "ists", "man", "men", "woman", "women", "maid", "maids", "keeper", "keepers",
                   "smith", "smiths", "monger")
_NOT_AGENTS = frozenset("""
assist resist insist persist consist desist subsist exist german ottoman specimen abdomen regimen stamen
omen amen human humans
""".split())


def agent_noun(word: str) -> bool:
    w = word.lower()
    return len(w) >= 6 and w.isalpha() and w.endswith(_AGENT_SUFFIXES) and w not in _NOT_AGENTS


class _RoleNouns(frozenset):
    """The listed role nouns, and any agent noun by its ending (membership only; iteration is the list)."""

    def __contains__(self, word: object) -> bool:
        return frozenset.__contains__(self, word) or (isinstance(word, str) and agent_noun(word))


ROLE_NOUNS = _RoleNouns(ROLE_NOUNS)

# words near a mention that say the person is gone: "his brother, lost at sea", "his late friend"
ABSENCE_CUES = frozenset("lost dead died late missing gone killed ago grave buried drowned vanished disappeared used".split())

# protagonist descriptors invented from cues in the text when no character is named
PROTAGONIST_CUES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("sea", "ocean", "boat", "ship", "harbour", "harbor", "tide", "wave", "waves", "sail", "fish"), "the sailor"),
    (("space", "star", "stars", "planet", "orbit", "moon", "galaxy", "rocket"), "the astronaut"),
    (("war", "battle", "soldier", "front", "trench"), "the young soldier"),
    (("forest", "woods", "mountain", "trail", "wilderness"), "the wanderer"),
    (("journey", "road", "travel", "travels", "train", "station", "voyage", "trip", "path"), "the traveller"),
    (("city", "street", "neon", "rain", "subway", "alley"), "the stranger"),
    (("kitchen", "cook", "bread", "recipe", "meal"), "the cook"),
    (("love", "heart", "letter", "kiss", "longing"), "the lover"),
    (("memory", "memories", "childhood", "home", "family", "grief", "loss"), "the homecomer"),
    (("music", "song", "piano", "violin", "dance"), "the musician"),
    (("machine", "robot", "code", "computer", "signal"), "the engineer"),
    (("crime", "murder", "clue", "case", "gun"), "the investigator"),
)

# --- time of day -------------------------------------------------------------------------

TIME_WORDS: dict[str, str] = {
    "dawn": "dawn", "sunrise": "dawn", "daybreak": "dawn", "first light": "dawn",
    "morning": "day", "noon": "day", "midday": "day", "afternoon": "day", "daylight": "day",
    "sunny": "day", "by day": "day", "daytime": "day", "during the day": "day",
    "sunset": "golden_hour", "golden hour": "golden_hour", "late afternoon": "golden_hour",
    "dusk": "dusk", "twilight": "dusk", "evening": "dusk", "nightfall": "dusk",
    "night": "night", "midnight": "night", "blackout": "night", "constellations": "night", "starry": "night", "starlit": "night", "moonlight": "night", "moonlit": "night",
    "tonight": "night", "nighttime": "night", "that night": "night", "fireworks": "night", "starlit": "night",
    "stars": "night", "lantern-lit": "night", "candlelit": "night", "breakfast": "day", "lunch": "day",
    "supper": "dusk", "dinner": "dusk", "in the morning": "day", "overnight": "night", "nights": "night",
    "one in the morning": "night", "two in the morning": "night", "three in the morning": "night",
    "four in the morning": "night", "small hours": "night", "after dark": "night",
    # the sun's own moves say the hour
    "sun sinks": "golden_hour", "sun sets": "golden_hour", "sun dips": "golden_hour", "sun goes down": "dusk",
    "torchlight": "night", "lamplight": "night", "candlelight": "night", "sundown": "dusk", "sun rises": "dawn", "sun comes up": "dawn", "sunup": "dawn",
}
TIME_HEADING = {"dawn": "DAWN", "day": "DAY", "golden_hour": "SUNSET", "dusk": "DUSK", "night": "NIGHT"}

# --- genre and mood ----------------------------------------------------------------------

GENRE_WORDS: dict[str, tuple[str, ...]] = {
    "thriller": ("chase", "chases", "chased", "gun", "guns", "spy", "heist", "kill", "killer", "murder",
                 "detective", "criminal", "revenge", "danger", "dangerous", "threat", "threatens", "hunt",
                 "hunted", "escape", "escapes", "terrorist", "tracking", "pursues", "betrayal", "betrayals",
                 "kidnap", "hostage", "agent", "scheme"),
    "action": ("fight", "fights", "battle", "explosion", "explodes", "showdown", "combat", "war",
               "confrontation", "mission", "race", "racing", "crash", "speed", "high-speed", "attack",
               "besiege", "fierce", "soldier", "pilots"),
    "romance": ("love", "loves", "kiss", "heart", "wedding", "romance", "lover", "lovers", "date",
                "marriage", "relationship", "bonding", "rekindling", "sweetheart", "proposal"),
    "horror": ("ghost", "haunted", "haunts", "monster", "blood", "scream", "screams", "demon",
               "demons", "curse", "cursed", "possessed", "zombie", "creature", "terror", "nightmare"),
    "sci-fi": ("robot", "robots", "space", "time", "future", "alien", "planet", "anomaly", "hologram",
               "cyber", "android", "spaceship", "temporal", "technology", "laboratory", "experiment",
               "galaxy", "signal", "traveler"),
    "fantasy": ("magic", "magical", "dragon", "wizard", "wizarding", "spell", "kingdom", "prophecy",
                "enchanted", "relic", "sorcerer", "witch", "fairy", "gods", "heavenly", "immortal",
                "lotus", "powers", "queen", "realm"),
    "comedy": ("funny", "clumsy", "prank", "chaos", "chaotic", "joke", "jokes", "silly", "hilarious",
               "mishap", "reckless", "minions", "laugh"),
    "drama": ("family", "loss", "grief", "memory", "memories", "farewell", "mother", "father",
              "pregnancy", "adoption", "struggles", "teenage", "illness", "divorce", "home", "letter",
              "daughter", "son", "emotional"),
    "adventure": ("journey", "quest", "explore", "explores", "treasure", "island", "voyage", "embark",
                  "expedition", "map", "discover", "travel"),
    "mystery": ("mystery", "mysterious", "secret", "secrets", "clue", "clues", "disappear",
                "disappears", "missing", "hidden", "cryptic", "truth", "uncover", "investigate"),
}

GENRE_MOOD = {"thriller": "tense", "action": "urgent", "romance": "tender", "horror": "eerie",
              "sci-fi": "wondrous", "fantasy": "wondrous", "comedy": "playful", "drama": "melancholic",
              "adventure": "hopeful", "mystery": "ominous"}

# emotion words -> scene mood (a beat's own words override the film mood)
MOOD_WORDS: dict[str, tuple[str, ...]] = {
    "tense": ("chase", "chases", "chased", "threat", "threatens", "danger", "dangerous", "escape",
              "escapes", "hunt", "tracking", "pursues", "cornered", "trap", "tension", "tensions",
              "pressure", "forced", "disrupted"),
    "urgent": ("fight", "battle", "showdown", "confrontation", "explosion", "race", "attack",
               "besiege", "fierce", "escalates", "runs", "ran", "storm"),
    "melancholic": ("loss", "lost", "grief", "dies", "died", "death", "farewell", "alone", "lonely",
                    "mourns", "funeral", "goodbye", "tears", "weeps", "late", "shattered", "shattering"),
    "tender": ("love", "loves", "kiss", "embrace", "embraces", "hug", "gentle", "caring", "support",
               "bonding", "rekindling", "together", "friendship", "trust"),
    "eerie": ("ghost", "haunted", "whisper", "whispers", "shadow", "shadows", "strange", "darkness",
              "dark", "mysterious", "voice", "fog"),
    "hopeful": ("hope", "hopeful", "dream", "dreams", "new", "begins", "sunrise", "restore",
                "restoring", "save", "saves", "balance", "peace", "redemption", "changed"),
    "triumphant": ("wins", "victory", "triumph", "proves", "saves", "defeats", "succeeds",
                   "celebrate", "celebrates", "legacy", "cements", "enduring"),
    "playful": ("funny", "chaotic", "prank", "laugh", "laughs", "dance", "dances", "plays", "game",
                "silly", "clumsy", "reckless"),
    "ominous": ("secret", "secrets", "prophecy", "curse", "warning", "warns", "betrayal",
                "betrayals", "villain", "revenge", "vowing", "dark force", "impending"),
}

QUIET_MOODS = frozenset({"melancholic", "tender", "hopeful", "wondrous", "eerie"})
ACTION_MOODS = frozenset({"tense", "urgent"})

# --- beats --------------------------------------------------------------------------------

TURN_WORDS = ("but", "however", "suddenly", "discovers", "discover", "realizes", "realises", "learns",
              "betrays", "reveals", "revealing", "disrupted", "turns out", "instead", "unexpected",
              "uncovered", "uncovering", "realizing", "realising", "when")
CLIMAX_WORDS = ("final", "finally", "showdown", "confront", "confronts", "confrontation", "battle",
                "climax", "must", "last", "decisive", "face-off", "escape", "executing", "chase")
OUTCOME_WORDS = ("in the end", "ending", "at last", "ensuring", "learning", "forever", "peace",
                 "finally", "legacy", "embraces", "home", "ever after", "coexist")

# strong feeling -> metaphor images; one is chosen per beat from the beat's own words
METAPHORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "loss": (("loss", "lost", "dies", "died", "death", "grief", "farewell", "goodbye", "shattered",
              "shattering", "late", "departure", "leave", "alone"),
             ("a candle guttering out", "an empty chair by a window", "a stopped clock",
              "a boat drifting from its mooring")),
    "love": (("love", "loves", "kiss", "embrace", "embraces", "bonding", "rekindling", "caring", "trust"),
             ("two birds settling on one branch", "two hands almost touching", "a warm lamp lit in a window")),
    "fear": (("fear", "threat", "threatens", "danger", "dangerous", "cornered", "dark", "darkness",
              "terror", "haunted", "impending"),
             ("a moth beating against a lamp", "a shadow stretching across a wall", "a storm front rolling in")),
    "hope": (("hope", "hopeful", "restore", "restoring", "save", "saves", "redemption", "new", "balance",
              "peace", "changed", "revive"),
             ("first light breaking through cloud", "a green shoot through cracked concrete",
              "a door opening onto daylight")),
    "anger": (("revenge", "rage", "anger", "vowing", "fury", "fierce", "betrayal", "betrayals"),
              ("a kettle boiling over", "a match flaring in the dark", "waves smashing on rocks")),
    "freedom": (("escape", "escapes", "free", "freedom", "journey", "flight", "flies"),
                ("a kite slipping its string", "a flock of birds lifting at once", "an open road to the horizon")),
    "time": (("time", "temporal", "years", "past", "memory", "memories", "history", "prophecy"),
             ("sand running through an hourglass", "a clock's hands spinning", "old photographs curling in sunlight")),
    "triumph": (("wins", "victory", "triumph", "proves", "defeats", "succeeds", "legacy", "cements"),
                ("a flag unfurling in the wind", "fireworks opening over the skyline", "the sun clearing a ridge")),
}

# --- sound --------------------------------------------------------------------------------

# action word -> effect; the word is matched as a whole word in the shot's action
EFFECT_WORDS: dict[str, str] = {
    "run": "running footsteps", "runs": "running footsteps", "ran": "running footsteps",
    "running": "running footsteps", "chase": "running footsteps, heavy breathing",
    "chases": "running footsteps, heavy breathing", "chased": "running footsteps, heavy breathing",
    "flees": "running footsteps", "escape": "running footsteps, alarm", "escapes": "running footsteps, alarm",
    "walk": "footsteps", "walks": "footsteps", "walked": "footsteps", "enters": "footsteps, door opening",
    "door": "door opening and closing", "knocks": "knocking on wood", "rain": "rain on surfaces",
    "storm": "thunder and rain", "thunder": "thunder", "wind": "wind gusts",
    "car": "car engine", "drives": "car engine passing", "drive": "car engine passing", "racing": "engines revving",
    "race": "engines revving", "crash": "metal crash", "train": "train passing",
    "gun": "gunshot", "shoots": "gunshot", "shot": "gunshot", "explosion": "explosion", "explodes": "explosion",
    "fight": "punches and scuffle", "fights": "punches and scuffle", "battle": "clashing weapons, shouts",
    "sword": "sword clash", "punch": "punch impact", "phone": "phone ringing", "calls": "phone ringing",
    "glass": "glass breaking", "shatters": "glass shattering", "shattered": "glass shattering",
    "water": "water splashing", "swims": "water splashing", "dives": "splash", "boat": "oars in water",
    "fire": "crackling fire", "burns": "crackling fire", "candle": "match strike", "bell": "bell ringing",
    "writes": "pen scratching paper", "letter": "paper unfolding", "cooks": "sizzling pan",
    "kitchen": "pots and pans", "horse": "hooves", "rides": "hooves", "dog": "dog barking",
    "birds": "wing flaps", "kiss": "soft breath", "cries": "quiet sobbing", "laughs": "laughter",
    "plane": "jet engine", "flies": "whoosh", "pilots": "jet engine", "typing": "keyboard typing",
    "computer": "keyboard typing", "hologram": "electronic shimmer", "magic": "magical shimmer",
    "spell": "magical shimmer", "dragon": "dragon roar", "footsteps": "footsteps", "climbs": "scrabbling on rock",
    "falls": "body fall", "opens": "latch clicking", "closes": "door thud", "pearl": "small object clink",
    "coin": "coin clink", "key": "keys jangling", "clock": "clock ticking", "knife": "knife unsheathed",
}

MUSIC_FOR_MOOD = {"tense": "tense", "urgent": "driving", "melancholic": "melancholic",
                  "tender": "tender", "eerie": "eerie", "hopeful": "hopeful", "triumphant": "triumphant",
                  "playful": "playful", "ominous": "ominous", "wondrous": "wondrous", "calm": "calm"}

TIME_AMBIENCE = {"dawn": "early birds", "day": "daytime activity", "golden_hour": "evening birds",
                 "dusk": "evening insects", "night": "night crickets and distant hum"}

SPEECH_VERBS = frozenset("""
say says said tell tells told ask asks asked warn warns warned promise promises promised vow vows
vowing vowed confess confesses confessed argue argues argued plead pleads call calls called whisper
whispers shout shouts meet meets met join joins joined reveal reveals revealing revealed bid bids
convince convinces persuade persuades beg begs offer offers offering admit admits explain explains
confront confronts doubts doubt supports support answers answer agrees agree refuses refuse
""".split())

# --- people: gender, groups, roles ---------------------------------------------------------

# role nouns that say who a person is; used to resolve "she"/"he" to the right character
FEMALE_NOUNS = frozenset("""
woman girl mother daughter sister grandmother grandma wife widow bride aunt fisherwoman queen
princess heroine waitress policewoman nun witch actress hostess lady niece empress mum mom
""".split())
MALE_NOUNS = frozenset("""
man boy father son brother grandfather grandpa husband widower groom uncle fisherman king prince
hero waiter policeman monk wizard sorcerer nephew emperor lord dad
""".split())

# nouns for a body of people: "the Northuldra people", "the dragon clan" (the word before is a modifier)
GROUP_NOUNS = frozenset("""
people clan tribe army armies forces council gang crew team family families folk villagers
crowd horde fleet squad legion guild court order
""".split())

# role nouns that are collective or plural: a character only when the text names fewer than two people
COLLECTIVE_ROLES = frozenset("family crew gang team couple villagers strangers children boys girls men women".split())

# "the queen of Arendelle": the proper noun after "of" is a realm, not a person
RULER_NOUNS = frozenset("king queen prince princess emperor empress ruler lord lady duke duchess mayor governor".split())

# last word of a capitalised run that names an event, an institution or a thing, not a person
THING_HEADS = frozenset("""
Exam Exams Festival Cup Games Tournament Prize Award Awards Ceremony Company Corporation Institute
University College Act War Wars Protocol Project Program Programme Operation Stone Sword Ring Book
Empire Republic Federation Agency Bureau Department Ministry Society League Championship Olympics
Day Eve Night
""".split())

# verbs a grammatical subject uses toward another person: "show it to Tomas" makes Tomas a person
GIVING_VERBS = frozenset("""
show shows showed showing give gives gave giving hand hands handed tell tells told say says said
talk talks talked speak speaks spoke write writes wrote send sends sent bring brings brought
introduce introduces introduced return returns returned explain explains explained
""".split())

# clauses that look back in time ("lost at sea twenty years ago"): their places are not the scene's
BACKGROUND_CUES = ("ago", "years", "once", "used to", "had been", "belonged", "long before", "as a child",
                   "in the past", "childhood")

# verbs that take the story to another place on their own ("flees the city"); other travel verbs
# move it only with a direction ("climbs to the roof") and stay put with an object ("climbs the tower")
MOVE_AWAY_VERBS = frozenset("""
travel travels travelled traveled journey journeys flee flees fled escape escapes escaped leave leaves
left return returns returned embark embarks sets set arrives arrive arrived heads head headed
ventures venture ventured
""".split())
DIRECTION_WORDS = frozenset("to into toward towards back home away out across through onto up down inside outside".split())

# verbs of stance toward another person: "Cyclone doubts Maverick's methods" -> "I doubt your methods."
ATTITUDE_VERBS = frozenset("""
doubts doubt supports support trusts trust distrusts loves love hates hate fears fear admires admire
blames blame forgives forgive misses miss needs need believes believe envies envy
""".split())

# verbs of recognising or learning whose ":"- or "that"-clause a character can say aloud
REALISE_VERBS = frozenset("""
recognises recognizes recognised recognized realises realizes realised realized discovers discovered
learns learned learnt knows knew understands understood remembers remembered admits admitted
confesses confessed reveals revealed explains explained tells told says said warns warned
""".split())

# verbs of showing an object to someone: the line presents the object
SHOWING_VERBS = frozenset("show shows showed showing hands handed gives gave offers offered".split())
