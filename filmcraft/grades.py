"""Grade looks of the previs: the plan's grade name -> an ffmpeg colour filter chain."""

from __future__ import annotations

from filmcraft.references.names import slugify

# grade looks: ffmpeg colour filters, applied once to the master frame before the camera moves
GRADES: dict[str, str] = {
    "neutral": "",
    "warm_gold": "colorbalance=rs=0.08:gs=0.02:bs=-0.10:rm=0.07:gm=0.02:bm=-0.08:rh=0.04:bh=-0.05,eq=saturation=1.12",
    "night_blue": "colorbalance=rs=-0.18:gs=-0.05:bs=0.22:rm=-0.14:bm=0.18:rh=-0.08:bh=0.10,eq=brightness=-0.06:saturation=0.75",
    "dusk_magenta": "colorbalance=rs=0.10:gs=-0.08:bs=0.10:rm=0.10:gm=-0.08:bm=0.06,eq=saturation=1.05:brightness=-0.03",
    "dawn_pink": "colorbalance=rs=0.06:gs=-0.02:bs=0.04:rh=0.08:gh=0.02:bh=0.05,eq=brightness=0.03:saturation=0.9",
    "bleach_cold": "eq=saturation=0.45:contrast=1.2,colorbalance=rs=-0.04:bs=0.08:bm=0.05",
    "noir": "hue=s=0,eq=contrast=1.4:brightness=0.03:gamma=1.15",
    "tense_green": "colorbalance=rs=-0.05:gs=0.10:bs=-0.02:rm=-0.06:gm=0.08:bm=-0.04,eq=saturation=0.8:contrast=1.08",
    "teal_orange": "colorbalance=rs=-0.10:bs=0.12:rh=0.10:gh=0.02:bh=-0.10,eq=saturation=1.1",
    "warm_soft": "colorbalance=rm=0.05:bm=-0.05,eq=contrast=0.92:saturation=1.05:brightness=0.02",
    "cold_steel": "colorbalance=rs=-0.06:bs=0.10:rm=-0.04:bm=0.06,eq=saturation=0.7:contrast=1.1",
    "sepia": "colorchannelmixer=.393:.769:.189:0:.349:.686:.168:0:.272:.534:.131",
}
GRADE_ALIASES = {
    "none": "neutral", "natural": "neutral", "day": "neutral", "daylight": "neutral",
    "golden": "warm_gold", "golden_hour": "warm_gold", "warm": "warm_gold", "amber": "warm_gold",
    "night": "night_blue", "moonlight": "night_blue", "blue": "night_blue", "cool_night": "night_blue",
    "dusk": "dusk_magenta", "magenta": "dusk_magenta", "dawn": "dawn_pink", "pink": "dawn_pink",
    "bleach": "bleach_cold", "bleach_bypass": "bleach_cold", "cold": "bleach_cold", "cool": "cold_steel",
    "black_and_white": "noir", "bw": "noir", "monochrome": "noir", "desaturated": "bleach_cold",
    "green": "tense_green", "sickly_green": "tense_green", "tense": "tense_green",
}


def grade_name(name: str) -> str:
    """Canonical look name for a plan's grade; unknown looks render neutral."""
    key = slugify(name or "neutral")
    key = GRADE_ALIASES.get(key, key)
    return key if key in GRADES else "neutral"


def grade_filter(name: str) -> str:
    return GRADES[grade_name(name)]
