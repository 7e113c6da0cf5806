"""A shot plan as Kling writes prompts: prose "subject + action + scene + camera language + lighting +
atmosphere", with the camera named in the plain film terms Kling's prompt guide uses ("close-up",
"low-angle shot", "the camera pushes in", "pans left", "orbits around"), and a negative prompt for what
the clip must not show. Used by ``resources.kling_video``; pure text, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from filmcraft.camera_vocab import lens_kind, sentence, the_place
from filmcraft.contracts import ShotPlan

SIZE = {
    "extreme_wide": "Extreme wide establishing shot",
    "wide": "Wide shot",
    "full": "Full shot, head to toe",
    "medium_wide": "Medium wide shot",
    "medium": "Medium shot, waist up",
    "medium_close_up": "Medium close-up",
    "close_up": "Close-up",
    "extreme_close_up": "Extreme close-up",
}
ANGLE = {
    "eye_level": "eye-level angle",
    "high": "high-angle shot looking down on the subject",
    "low": "low-angle shot looking up at the subject",
    "overhead": "bird's-eye view from directly overhead",
    "dutch": "Dutch angle with a tilted horizon",
}
MOVEMENT = {
    "static": "The camera is static, locked off on a tripod.",
    "push_in": "The camera slowly pushes in toward the subject.",
    "pull_out": "The camera slowly pulls back, revealing more of the scene.",
    "pan_left": "The camera pans left.",
    "pan_right": "The camera pans right.",
    "tilt_up": "The camera tilts up.",
    "tilt_down": "The camera tilts down.",
    "truck_left": "The camera trucks left, sliding sideways with the action.",
    "truck_right": "The camera trucks right, sliding sideways with the action.",
    "crane_up": "The camera cranes up, rising above the scene.",
    "crane_down": "The camera cranes down, descending toward the subject.",
    "orbit": "The camera orbits around the subject.",
    "handheld": "Handheld camera, moving with the action.",
}
TIME = {
    "dawn": "at dawn, cool pale first light",
    "day": "in daylight",
    "golden_hour": "at golden hour, warm low sun",
    "dusk": "at dusk, fading blue light",
    "night": "at night",
}
WEATHER = {
    "clear": "", "overcast": "under an overcast sky", "wind": "in a strong wind", "rain": "in the rain",
    "storm": "in a storm with heavy rain", "snow": "in falling snow", "blizzard": "in a blizzard",
    "fog": "in thick fog",
}
NEGATIVE = ("blurry, low quality, distorted faces, deformed hands, extra limbs, morphing, flicker, "
            "text, subtitles, watermark, logo")


@dataclass(frozen=True)
class KlingPrompt:
    prompt: str  # the request's ``prompt``
    negative: str  # its ``negative_prompt``
    camera: str  # the camera-language sentences within ``prompt`` (size, angle, lens, movement)


def _lens(mm: float) -> str:
    return f"shot on a {mm:g}mm {lens_kind(mm)} lens"


def kling_prompt(shot: ShotPlan) -> KlingPrompt:
    cam = shot.camera
    camera = f"{SIZE[cam.shot_size]}, {ANGLE[cam.angle]}, {_lens(cam.lens_mm)}. {MOVEMENT[cam.movement]}"
    who = shot.subject or (shot.characters[0] if shot.characters else "")
    others = [c for c in shot.characters if c != who]
    subject = " ".join(p for p in (who, shot.action) if p) or shot.prompt
    cast = (f"With {', '.join(others)} in the scene, as in the reference images." if others else
            "As in the reference images." if shot.characters else "")
    place = ", ".join(p for p in (f"In {the_place(shot.location)}" if shot.location else "", TIME[shot.time_of_day],
                                  WEATHER[shot.weather]) if p)
    light = f"Lighting: {cam.lighting}." if cam.lighting.strip() else ""
    mood = f"Mood: {shot.mood}, cinematic, realistic, natural motion." if shot.mood.strip() else \
        "Cinematic, realistic, natural motion."
    prompt = " ".join(p for p in (camera, sentence(subject), cast, sentence(place), light, mood) if p)
    negative = NEGATIVE
    if cam.movement == "static":
        negative += ", camera shake, camera movement, zoom"
    if shot.time_of_day == "night":
        negative += ", daylight"
    elif shot.time_of_day == "day":
        negative += ", night"
    if shot.weather == "clear":
        negative += ", rain, snow"
    return KlingPrompt(prompt=prompt, negative=negative, camera=camera)
