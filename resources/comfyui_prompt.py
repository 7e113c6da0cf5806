"""The prompt format open video models (Wan, LTX-Video) respond to, from a shot plan: prose that says what
is seen first, then the camera, light and mood; and a negative prompt fitted to the shot's camera."""

from __future__ import annotations

import re

from filmcraft.camera_vocab import lens_kind, the_place


SHOT_SIZE_WORDS = {
    "extreme_wide": "Extreme wide establishing shot", "wide": "Wide shot", "full": "Full shot",
    "medium_wide": "Medium wide shot", "medium": "Medium shot", "medium_close_up": "Medium close-up",
    "close_up": "Close-up", "extreme_close_up": "Extreme close-up",
}
MOVEMENT_WORDS = {
    "static": "The camera is locked off on a tripod and does not move",
    "push_in": "The camera slowly dollies in toward the subject",
    "pull_out": "The camera slowly dollies back, revealing more of the scene",
    "pan_left": "The camera pans smoothly to the left", "pan_right": "The camera pans smoothly to the right",
    "tilt_up": "The camera tilts up", "tilt_down": "The camera tilts down",
    "truck_left": "The camera tracks sideways to the left alongside the action",
    "truck_right": "The camera tracks sideways to the right alongside the action",
    "crane_up": "The camera cranes up and rises above the scene",
    "crane_down": "The camera cranes down, descending toward the scene",
    "orbit": "The camera arcs slowly around the subject",
    "handheld": "Handheld camera with natural shake, following the action",
}
ANGLE_WORDS = {
    "eye_level": "at eye level", "high": "from a high angle looking down", "low": "from a low angle looking up",
    "overhead": "from directly overhead, top-down", "dutch": "with a tilted Dutch angle",
}
TIME_WORDS = {"dawn": "at dawn", "day": "in daylight", "golden_hour": "at golden hour",
              "dusk": "at dusk", "night": "at night"}
WEATHER_WORDS = {"clear": "", "overcast": "under an overcast sky", "wind": "in strong wind", "rain": "in the rain",
                 "storm": "in a raging storm with lightning", "snow": "in falling snow",
                 "blizzard": "in a blizzard", "fog": "in thick fog"}

# Wan's published default negative prompt (in English), the failure modes these models show
NEGATIVE_BASE = ("blurry details, subtitles, text, watermark, logo, overexposed, worst quality, low quality, "
                 "JPEG compression artifacts, ugly, deformed, disfigured, extra fingers, poorly drawn hands, "
                 "poorly drawn face, fused fingers, malformed limbs, cluttered background, three legs, "
                 "crowd in the background, walking backwards, flicker, morphing")


def lens_words(mm: float) -> str:
    kind = lens_kind(mm)
    depth = "deep focus" if mm < 35 else "shallow depth of field" if mm >= 70 else "natural depth of field"
    return f"{mm:.0f}mm {kind} lens, {depth}"


def _description(prompt: str) -> list[str]:
    """The planner's prompt without what ``video_prompt`` says itself: the planner writes the camera
    language as tags ("medium shot, handheld, 42mm lens"), a "place, time, mood" tag line and the scene's
    objective, which mean nothing on screen; its prose about what is seen stays."""
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", (prompt or "").strip()):
        s = sentence.strip().rstrip(".").strip()
        if not s or s.lower().startswith("objective") or re.search(r"\d+\s*mm lens", s) \
                or re.search(r"\bmood\b(;|$)", s) or s + "." in kept:
            continue
        kept.append(s + ".")
    return kept


def video_prompt(shot) -> str:
    """A shot plan as the prose Wan and LTX-Video follow: what is seen and happens first (subject, place,
    time, weather, the action), then the camera (angle, movement, lens), then light, mood and style."""
    cam = shot.camera
    lead = SHOT_SIZE_WORDS.get(cam.shot_size, cam.shot_size.replace("_", " "))
    place = the_place(shot.location)
    when = " ".join(w for w in (TIME_WORDS.get(shot.time_of_day, shot.time_of_day),
                                WEATHER_WORDS.get(shot.weather, shot.weather)) if w)
    who = shot.subject or ", ".join(shot.characters)
    if who and shot.location.lower() not in who.lower():
        first = f"{lead} of {who} in {place} {when}."
    else:
        first = f"{lead} of {place} {when}."
    described = _description(shot.prompt)
    action = (shot.action or "").strip().rstrip(".")
    if action and not any(action.lower() in d.lower() for d in described):
        described.append(f"{who or 'The subject'} {action}.".capitalize() if not who else f"{who} {action}.")
    parts = [first, *described,
             f"Shot {ANGLE_WORDS.get(cam.angle, cam.angle)}. {MOVEMENT_WORDS.get(cam.movement, cam.movement)}.",
             f"{lens_words(cam.lens_mm).capitalize()}.",
             f"Lighting: {cam.lighting}." if cam.lighting else "",
             f"{shot.mood.capitalize()} mood." if shot.mood else "",
             f"In the frame: {', '.join(shot.props)}." if shot.props else "",
             "Cinematic, photorealistic, natural motion, film grain."]
    return " ".join(p for p in parts if p)


def negative_prompt(shot) -> str:
    """The base negative, plus what would break this shot's camera: shake for a locked-off shot, a frozen
    frame for a moving one, a level horizon for a Dutch angle."""
    extra = []
    if shot.camera.movement == "static":
        extra.append("camera shake, zoom, camera movement")
    else:
        extra.append("static frame, still image, frozen motion")
    if shot.camera.movement != "handheld":
        extra.append("jittery camera")
    if shot.camera.angle == "dutch":
        extra.append("level horizon")
    if not shot.characters and not shot.subject:
        extra.append("people")
    return f"{NEGATIVE_BASE}, {', '.join(extra)}"
