"""Grade looks: the plan's grade name -> an ffmpeg colour filter chain (measured into the shipped .cube
LUTs by ``filmcraft.luts``), and the one look each scene is graded with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from filmcraft.references.names import slugify

# grade looks: ffmpeg colour filters; the conform applies them as LUTs measured from these chains
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


def look_for(time_of_day: str, mood: str) -> str:
    """The look a scene's time of day and mood call for (the camera director's default grade)."""
    if mood == "ominous":
        return "noir"
    if time_of_day == "night":
        return "tense_green" if mood in {"tense", "eerie"} else "night_blue"
    if time_of_day == "dusk":
        return "dusk_magenta"
    if time_of_day == "dawn":
        return "dawn_pink"
    if time_of_day == "golden_hour":
        return "warm_gold"
    if mood in {"melancholic", "tense"}:
        return "bleach_cold"
    if mood in {"tender", "hopeful", "triumphant", "playful"}:
        return "warm_gold"
    return "neutral"


@dataclass(frozen=True)
class SceneGrade:
    grade: str  # canonical look name (a key of GRADES; its LUT is filmcraft/grade_luts/<grade>.cube)
    reason: str


def scene_grade(time_of_day: str, mood: str, shot_grades: list[str]) -> SceneGrade:
    """One look for the whole scene, so it never flickers between looks from shot to shot.

    The shot plans' grades vote (canonical names); a tie goes to the look the scene's time of day and
    mood call for, else to the earliest shot's. A scene without shot plans takes that look directly.
    """
    implied = look_for(time_of_day, mood)
    where = f"{time_of_day or 'unknown time'}, {mood or 'no mood'}"
    names = [grade_name(g) for g in shot_grades]
    if not names:
        return SceneGrade(implied, f"no shot plan names a grade: the look for {where}")
    votes = Counter(names)
    top = max(votes.values())
    tied = [n for n in dict.fromkeys(names) if votes[n] == top]
    grade = implied if implied in tied else tied[0]
    if len(votes) == 1:
        reason = f"every shot plan ({len(names)}) asks for {grade}"
    else:
        others = ", ".join(f"{n} x{c}" for n, c in votes.items() if n != grade)
        why = f"tie broken by {where}" if len(tied) > 1 and grade == implied else (
            "tie broken by shot order" if len(tied) > 1 else "the majority")
        reason = f"{votes[grade]} of {len(names)} shot plans ask for {grade} ({why}); one look per scene, not {others}"
    if grade != implied:
        reason += f"; {where} alone would be {implied}"
    return SceneGrade(grade, reason)
