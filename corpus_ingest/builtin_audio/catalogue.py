"""The catalogue of the built-in library: every asset's id, kind, recipe, description, tags and emotions.

Music entries are derived from the cues (their tags name mood, key, tempo and instruments).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from corpus_ingest.builtin_audio.ambience import (
    amb_cave_drip, amb_city_traffic, amb_desert_wind, amb_fire_crackle, amb_forest_birds, amb_harbour_gulls,
    amb_heavy_rain_thunder, amb_market_crowd, amb_night_city, amb_night_crickets, amb_ocean_surf, amb_office_hum,
    amb_rain, amb_room_tone, amb_space_station, amb_train_interior, amb_underwater, amb_wind,
)
from corpus_ingest.builtin_audio.foley import (
    fol_body_fall, fol_chair_creak, fol_cloth_rustle, fol_door_close, fol_door_open, fol_footsteps_concrete,
    fol_footsteps_gravel, fol_footsteps_running, fol_footsteps_wood, fol_glass_clink, fol_keys_jingle, fol_knock,
    fol_page_turn, fol_punch_impact, fol_sword_scrape, fol_water_pour,
)
from corpus_ingest.builtin_audio.music import CUES, Cue
from corpus_ingest.builtin_audio.sfx import (
    sfx_alarm, sfx_bell, sfx_car_pass_by, sfx_clock_ticking, sfx_engine_rumble, sfx_explosion, sfx_glass_shatter,
    sfx_gunshot, sfx_heartbeat, sfx_impact_boom, sfx_magic_shimmer, sfx_phone_ring, sfx_riser, sfx_siren,
    sfx_thunder_crack, sfx_whoosh,
)


@dataclass(frozen=True)
class Entry:
    asset_id: str
    kind: str
    make: Callable
    description: str
    tags: tuple[str, ...]
    emotions: tuple[str, ...] = ()
    seconds: float = 0.0  # ambience length (loop length)


AMBIENCES: list[Entry] = [
    Entry("amb-wind", "ambience", amb_wind, "Gusting wind over open ground with a faint whistle",
          ("wind", "gusts", "exterior", "open", "hill", "moor", "cliff", "cold", "day", "night", "outdoor"), ("lonely", "bleak"), 21),
    Entry("amb-rain", "ambience", amb_rain, "Steady light rain with droplets and soft patter",
          ("rain", "drizzle", "wet", "exterior", "street", "window", "roof", "night", "day", "storm"), ("melancholy", "calm"), 21),
    Entry("amb-heavy-rain-thunder", "ambience", amb_heavy_rain_thunder, "Heavy downpour with distant rolling thunder",
          ("rain", "heavy rain", "thunder", "storm", "thunderstorm", "downpour", "night", "exterior"), ("tense", "dramatic"), 22),
    Entry("amb-ocean-surf", "ambience", amb_ocean_surf, "Ocean waves breaking on a beach, swell and foam",
          ("ocean", "sea", "surf", "waves", "beach", "shore", "coast", "exterior", "day"), ("calm", "vast"), 24),
    Entry("amb-harbour-gulls", "ambience", amb_harbour_gulls, "Harbour water lapping against hulls and quay, distant gulls, rigging clinks",
          ("harbour", "harbor", "port", "dock", "quay", "pier", "water", "lapping", "gulls", "seagulls", "boats", "night", "day", "sea"),
          ("calm", "lonely"), 22),
    Entry("amb-city-traffic", "ambience", amb_city_traffic, "City traffic hum with cars passing and a distant horn",
          ("city", "traffic", "street", "cars", "urban", "road", "downtown", "day", "exterior", "busy"), ("busy", "tense"), 22),
    Entry("amb-night-city", "ambience", amb_night_city, "Distant city at night, low rumble, far siren and dogs",
          ("city", "night", "urban", "distant", "siren", "alley", "rooftop", "street", "exterior", "quiet"), ("lonely", "uneasy"), 22),
    Entry("amb-forest-birds", "ambience", amb_forest_birds, "Forest with birdsong and leaves in a light breeze",
          ("forest", "woods", "birds", "birdsong", "trees", "nature", "park", "garden", "day", "morning", "dawn", "exterior"),
          ("peaceful", "hopeful"), 22),
    Entry("amb-night-crickets", "ambience", amb_night_crickets, "Night field with crickets and distant frogs",
          ("night", "crickets", "insects", "field", "countryside", "summer", "garden", "frogs", "exterior", "dusk"), ("calm", "mysterious"), 21),
    Entry("amb-room-tone", "ambience", amb_room_tone, "Quiet room tone with faint mains hum",
          ("room", "room tone", "interior", "quiet", "bedroom", "apartment", "house", "home", "silence", "night", "day"), ("still", "tense"), 20),
    Entry("amb-office-hum", "ambience", amb_office_hum, "Office with air conditioning hum, fluorescent buzz and typing",
          ("office", "interior", "hum", "air conditioning", "computers", "typing", "workplace", "lab", "hospital", "day"), ("mundane",), 21),
    Entry("amb-fire-crackle", "ambience", amb_fire_crackle, "Crackling fire with low roar and popping embers",
          ("fire", "campfire", "fireplace", "hearth", "crackle", "embers", "cabin", "camp", "night", "warm", "interior"), ("cosy", "warm"), 21),
    Entry("amb-cave-drip", "ambience", amb_cave_drip, "Reverberant cave with water drips and low moan",
          ("cave", "cavern", "drip", "underground", "tunnel", "dungeon", "cellar", "sewer", "echo", "dark", "interior"), ("eerie", "mysterious"), 22),
    Entry("amb-market-crowd", "ambience", amb_market_crowd, "Busy market crowd murmur with clatter of crates",
          ("market", "crowd", "murmur", "people", "bazaar", "square", "festival", "restaurant", "cafe", "station", "busy", "day"),
          ("lively", "busy"), 22),
    Entry("amb-desert-wind", "ambience", amb_desert_wind, "Dry desert wind with blowing sand and whistle",
          ("desert", "wind", "sand", "dunes", "dry", "hot", "wasteland", "canyon", "exterior", "day"), ("lonely", "harsh"), 21),
    Entry("amb-train-interior", "ambience", amb_train_interior, "Inside a moving train: low rumble and rhythmic rail clacks",
          ("train", "railway", "carriage", "interior", "travel", "journey", "rumble", "rails", "subway", "day", "night"), ("restless",), 21),
    Entry("amb-space-station", "ambience", amb_space_station, "Space station hum: machinery drones, air handling, console beeps",
          ("space", "spaceship", "space station", "sci-fi", "machinery", "hum", "engine room", "control room", "interior", "future"),
          ("isolated", "tense"), 21),
    Entry("amb-underwater", "ambience", amb_underwater, "Muffled underwater pressure with rising bubbles",
          ("underwater", "ocean", "diving", "submarine", "bubbles", "deep", "lake", "sea"), ("dreamlike", "isolated"), 20),
]

FOLEY: list[Entry] = [
    Entry("fol-footsteps-gravel", "foley", fol_footsteps_gravel, "Footsteps walking on gravel", ("footsteps", "walk", "steps", "gravel", "path", "exterior")),
    Entry("fol-footsteps-wood", "foley", fol_footsteps_wood, "Footsteps on wooden floorboards", ("footsteps", "walk", "steps", "wood", "floor", "deck", "pier", "interior")),
    Entry("fol-footsteps-concrete", "foley", fol_footsteps_concrete, "Footsteps on concrete pavement", ("footsteps", "walk", "steps", "concrete", "pavement", "street", "corridor")),
    Entry("fol-footsteps-running", "foley", fol_footsteps_running, "Running footsteps on hard ground", ("footsteps", "run", "running", "sprint", "chase", "steps")),
    Entry("fol-door-open", "foley", fol_door_open, "Door latch and creaking door opening", ("door", "open", "creak", "latch", "enter", "hinge")),
    Entry("fol-door-close", "foley", fol_door_close, "Door closing with a thud and latch click", ("door", "close", "shut", "slam", "leave", "latch")),
    Entry("fol-knock", "foley", fol_knock, "Three knocks on a wooden door", ("knock", "door", "knocking", "wood", "visitor")),
    Entry("fol-cloth-rustle", "foley", fol_cloth_rustle, "Cloth rustle of clothing movement", ("cloth", "rustle", "clothes", "coat", "fabric", "movement", "turn", "sit")),
    Entry("fol-page-turn", "foley", fol_page_turn, "Paper page turn", ("paper", "page", "book", "letter", "read", "map", "turn")),
    Entry("fol-glass-clink", "foley", fol_glass_clink, "Glass clink, a toast", ("glass", "clink", "toast", "drink", "bottle", "bar", "cup")),
    Entry("fol-keys-jingle", "foley", fol_keys_jingle, "Bunch of keys jingling", ("keys", "jingle", "lock", "unlock", "metal", "pocket")),
    Entry("fol-chair-creak", "foley", fol_chair_creak, "Wooden chair creak", ("chair", "creak", "sit", "wood", "furniture", "lean")),
    Entry("fol-water-pour", "foley", fol_water_pour, "Water poured into a glass", ("water", "pour", "drink", "glass", "liquid", "splash", "tea")),
    Entry("fol-sword-scrape", "foley", fol_sword_scrape, "Metal blade scraping as a sword is drawn", ("sword", "blade", "metal", "scrape", "draw", "knife", "steel", "fight")),
    Entry("fol-punch-impact", "foley", fol_punch_impact, "Punch landing on a body", ("punch", "hit", "impact", "fight", "body", "blow", "strike")),
    Entry("fol-body-fall", "foley", fol_body_fall, "Body falling to the ground", ("fall", "body", "collapse", "drop", "ground", "thud", "fight")),
]

SFX: list[Entry] = [
    Entry("sfx-whoosh", "sfx", sfx_whoosh, "Fast whoosh past camera", ("whoosh", "swoosh", "swing", "fast", "transition", "fly", "throw")),
    Entry("sfx-impact-boom", "sfx", sfx_impact_boom, "Deep cinematic impact boom", ("impact", "boom", "hit", "trailer", "crash", "slam", "drop")),
    Entry("sfx-thunder-crack", "sfx", sfx_thunder_crack, "Close thunder crack with rolling rumble", ("thunder", "lightning", "storm", "crack", "rumble")),
    Entry("sfx-explosion", "sfx", sfx_explosion, "Explosion with debris", ("explosion", "explode", "blast", "bomb", "fire", "debris", "destroy")),
    Entry("sfx-car-pass-by", "sfx", sfx_car_pass_by, "Car passing by with Doppler shift", ("car", "vehicle", "pass", "drive", "traffic", "road", "doppler")),
    Entry("sfx-engine-rumble", "sfx", sfx_engine_rumble, "Idling engine rumble", ("engine", "motor", "idle", "car", "truck", "boat", "rumble", "start")),
    Entry("sfx-bell", "sfx", sfx_bell, "Church bell toll", ("bell", "church", "toll", "chime", "tower", "village")),
    Entry("sfx-phone-ring", "sfx", sfx_phone_ring, "Telephone ringing", ("phone", "telephone", "ring", "call", "ringing")),
    Entry("sfx-heartbeat", "sfx", sfx_heartbeat, "Heartbeat, lub-dub", ("heartbeat", "heart", "pulse", "fear", "tension", "breath")),
    Entry("sfx-clock-ticking", "sfx", sfx_clock_ticking, "Clock ticking tick-tock", ("clock", "tick", "ticking", "time", "watch", "wait")),
    Entry("sfx-alarm", "sfx", sfx_alarm, "Electronic alarm beeping", ("alarm", "beep", "warning", "alert", "buzzer", "emergency")),
    Entry("sfx-siren", "sfx", sfx_siren, "Police siren wail", ("siren", "police", "ambulance", "emergency", "wail")),
    Entry("sfx-magic-shimmer", "sfx", sfx_magic_shimmer, "Magic sparkle shimmer", ("magic", "shimmer", "sparkle", "spell", "fairy", "glow", "transform")),
    Entry("sfx-gunshot", "sfx", sfx_gunshot, "Gunshot-like crack with echoes", ("gunshot", "gun", "shot", "shoot", "fire", "crack", "pistol", "rifle")),
    Entry("sfx-glass-shatter", "sfx", sfx_glass_shatter, "Glass shattering", ("glass", "shatter", "break", "smash", "window", "crash")),
    Entry("sfx-riser", "sfx", sfx_riser, "Rising tension riser", ("riser", "rise", "build", "tension", "transition", "suspense")),
]


def _music_entry(cue: Cue) -> Entry:
    tempo_word = "slow" if cue.bpm < 80 else "moderate" if cue.bpm < 120 else "fast"
    instruments: list[str] = []
    for role in cue.instruments:
        kind, _, inst = role.partition(":")
        if kind == "drums":
            instruments += ["drums", "percussion"]
        else:
            instruments.append(inst or kind)
    instruments = list(dict.fromkeys(instruments))
    words = [*cue.moods, cue.key, cue.mode, f"{int(cue.bpm)} bpm", tempo_word, *instruments, *cue.words, "music", "score"]
    desc = f"{cue.moods[0].capitalize()} cue in {cue.key}, {int(cue.bpm)} bpm: {', '.join(instruments)}"
    return Entry(f"mus-{cue.name}", "music", cue, desc, tuple(dict.fromkeys(words)), tuple(cue.emotions))


MUSIC: list[Entry] = [_music_entry(c) for c in CUES]
CATALOGUE: list[Entry] = AMBIENCES + MUSIC + FOLEY + SFX
