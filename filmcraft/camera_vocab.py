"""Controlled vocabulary: free caption text -> the camera terms of the contracts.

Captions say the same move many ways ("dolly in", "moves forward", "zooms in"); the planner and
the renderer only know ``contracts.MOVEMENTS`` etc. This parser maps one to the other, skipping
negated mentions ("without any shaking", "no intentional movement").
"""

from __future__ import annotations

import re

from filmcraft.contracts import ANGLES, MOVEMENTS, SHOT_SIZES

# (pattern, term); longer and more specific patterns first so "extreme close-up" wins over "close-up"
_SIZE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"extreme(?:ly)?[\s-]+close[\s-]*ups?|\becu\b|macro shot", "extreme_close_up"),
    (r"medium[\s-]+close[\s-]*ups?|\bmcu\b|head[\s-]and[\s-]shoulders", "medium_close_up"),
    (r"close[\s-]*ups?\b|closeup|close shot|tight shot", "close_up"),
    (r"extreme(?:ly)?[\s-]+(?:wide|long)[\s-]+shot|establishing shot|\bestablishing\b|aerial wide|"
     r"aerial (?:view|shot) of|vast landscape|\bews\b|\bels\b", "extreme_wide"),
    (r"medium[\s-]+(?:wide|full|long)[\s-]*shot|medium[\s-]+(?:wide|full)\b|cowboy shot|knee[\s-]+(?:up|level) shot", "medium_wide"),
    (r"full[\s-]+(?:body[\s-]+)?shot|full[\s-]+body|head[\s-]to[\s-]toe|full[\s-]length", "full"),
    (r"wide[\s-]+shot|long[\s-]+shot|wide[\s-]+view|wide framing|\bws\b", "wide"),
    (r"medium[\s-]+shot|mid[\s-]+shot|waist[\s-]+(?:up|high)|\bmedium framing\b|\bms\b", "medium"),
)

_MOVE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\b(?:arcs?|arcing|orbits?|orbiting|circles?|circling)\b(?:\s+(?:slowly|smoothly|clockwise|counter-?clockwise|around))*|"
     r"\brevolves? around\b|360[\s-]degree", "orbit"),
    (r"\b(?:pedestals?|cranes?|booms?|jibs?)\s+(?:shot\s+)?(?:up|upward)|\brises\b|\brising\b|\bascend(?:s|ing)?\b|"
     r"moves?\s+(?:slowly\s+|steadily\s+|smoothly\s+)?(?:up|upward)s?\b|\belevates\b|lifts? (?:up|upward)", "crane_up"),
    (r"\b(?:pedestals?|cranes?|booms?|jibs?)\s+(?:shot\s+)?(?:down|downward)|\bdescend(?:s|ing)?\b|\blowers\b|"
     r"moves?\s+(?:slowly\s+|steadily\s+|smoothly\s+)?(?:down|downward)s?\b|\bsinks\b", "crane_down"),
    (r"\b(?:dolly|dollies|dollying|push(?:es|ing)?|track(?:s|ing)?|zoom(?:s|ing)?|mov(?:es|ing|e)|"
     r"fl(?:ies|ying)|advanc(?:es|ing)|glid(?:es|ing)|creep(?:s|ing)|walk(?:s|ing)?)\s+"
     r"(?:(?:slowly|steadily|smoothly|gradually|quickly|slightly|continuously|gently|rapidly)\s+)?"
     r"(?:in\b|into\b|forward|forwards|closer|toward|towards|ahead)|\bpush[\s-]in\b|\bdolly[\s-]in\b|"
     r"\bzoom[\s-]in\b|forward (?:movement|motion|dolly|track)|approaches\b", "push_in"),
    (r"\b(?:dolly|dollies|dollying|pull(?:s|ing)?|track(?:s|ing)?|zoom(?:s|ing)?|mov(?:es|ing|e)|"
     r"fl(?:ies|ying)|retreat(?:s|ing)?|draw(?:s|ing)?)\s+"
     r"(?:(?:slowly|steadily|smoothly|gradually|quickly|slightly|continuously|gently|rapidly)\s+)?"
     r"(?:out\b|back\b|backward|backwards|away)|\bpull[\s-](?:out|back)\b|\bdolly[\s-]out\b|\bzoom[\s-]out\b|"
     r"backward (?:pull|movement|motion|dolly|track)|\breveal(?:s|ing)? (?:more|the wider)", "pull_out"),
    (r"\bpans?\s+(?:(?:slowly|slightly|smoothly|quickly|gently|gradually)\s+)?(?:to\s+the\s+)?left|\bpanning\s+(?:to\s+the\s+)?left|"
     r"\bwhip[\s-]pan(?:s)?\s+left", "pan_left"),
    (r"\bpans?\s+(?:(?:slowly|slightly|smoothly|quickly|gently|gradually)\s+)?(?:to\s+the\s+)?right|\bpanning\s+(?:to\s+the\s+)?right|"
     r"\bwhip[\s-]pan(?:s)?\s+right", "pan_right"),
    (r"\btilt(?:s|ing)?\s+(?:(?:slowly|slightly|smoothly|gently|gradually)\s+)?up(?:ward)?s?\b", "tilt_up"),
    (r"\btilt(?:s|ing)?\s+(?:(?:slowly|slightly|smoothly|gently|gradually)\s+)?down(?:ward)?s?\b", "tilt_down"),
    (r"\b(?:truck(?:s|ing)?|track(?:s|ing)?(?:\s+shot)?|mov(?:es|ing)|slid(?:es|ing)|crab(?:s|bing)?|dolly|dollies)\s+"
     r"(?:(?:slowly|slightly|smoothly|steadily|laterally|sideways)\s+)?(?:to\s+(?:the\s+)?)?left(?:ward)?|\bleftward\b|"
     r"\btruck\s+left", "truck_left"),
    (r"\b(?:truck(?:s|ing)?|track(?:s|ing)?(?:\s+shot)?|mov(?:es|ing)|slid(?:es|ing)|crab(?:s|bing)?|dolly|dollies)\s+"
     r"(?:(?:slowly|slightly|smoothly|steadily|laterally|sideways)\s+)?(?:to\s+(?:the\s+)?)?right(?:ward)?|\brightward\b|"
     r"\btruck\s+right", "truck_right"),
)

# shake is only the movement when nothing more deliberate happens
_HANDHELD = re.compile(r"\bhand[\s-]?held\b|\bshaky\b|\bshaking\b|\bunsteady\b|\bjittery\b|\bwobbl\w*|"
                       r"\bshakes\b|\bvery shaky\b|\bhandycam\b|walking person", re.IGNORECASE)
_MILD = re.compile(r"\b(?:slight(?:ly)?|minor|mild(?:ly)?|subtle|some|a bit|little)\s+(?:\w+\s+)?$", re.IGNORECASE)
_STATIC = re.compile(r"\b(?:static|stationary|locked[\s-]off|locked[\s-]down|fixed|tripod|remains? still|"
                     r"does not move|no (?:intentional |noticeable |discernible )?(?:camera )?movement|"
                     r"without (?:any )?movement|motionless|remains? completely still)\b", re.IGNORECASE)

_ANGLE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"bird'?s[\s-]eye|top[\s-]down|overhead (?:shot|angle|view|perspective)|directly (?:above|overhead)|"
     r"looking straight down", "overhead"),
    (r"\bdutch\b|\bcanted\b|tilted horizon|oblique angle|slanted frame", "dutch"),
    (r"worm'?s[\s-]eye|low[\s-]angle|looking up at|from below", "low"),
    (r"high[\s-]angle|looking down (?:at|on)|from above", "high"),
    (r"level[\s-]angle|eye[\s-]level|straight[\s-]on|neutral angle", "eye_level"),
)

_LENS_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"fish[\s-]?eye", "12"),
    (r"ultra[\s-]wide(?:[\s-]angle)?(?: lens)?", "16"),
    (r"wide[\s-]angle(?: lens)?|barrel distortion", "24"),
    (r"normal lens|standard lens|natural perspective", "50"),
    (r"portrait lens", "85"),
    (r"macro lens", "100"),
    (r"super[\s-]telephoto", "300"),
    (r"telephoto|long lens|long[\s-]focus|compressed perspective", "135"),
)

# canonical lighting words in the order they are reported
_LIGHTING_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"low[\s-]key", "low-key"),
    (r"high[\s-]key", "high-key"),
    (r"silhouett\w*", "silhouette"),
    (r"back[\s-]?lit|backlight(?:ing)?|back light(?:ing)?|rim light(?:ing)?", "backlit"),
    (r"golden hour|sunset light|warm (?:evening|late afternoon) (?:sun)?light|setting sun|late afternoon", "golden hour"),
    (r"moon[\s-]?light|moonlit", "moonlight"),
    (r"\bneon\b", "neon"),
    (r"candle[\s-]?light|firelight|fire light|lantern light|torchlight", "firelight"),
    (r"practical (?:light|lamp)s?|lamps? (?:light|illuminat)|street[\s-]?lights?|light fixtures", "practical"),
    (r"hard light|harsh (?:sun)?light|direct sunlight|strong shadows", "hard light"),
    (r"soft (?:light|lighting)|diffused?|overcast|cloudy", "soft light"),
    (r"natural (?:light|lighting|daylight)|daylight|sunlight|sunny", "natural daylight"),
    (r"fluorescent|overhead lights|office lighting", "fluorescent"),
    (r"dim(?:ly)?[\s-]lit|dimly|low light|dark(?:ly)? lit|darkness", "dim"),
    (r"bright(?:ly)? lit|brightly|well[\s-]lit", "bright"),
    (r"spotlight|stage light", "spotlight"),
)

_NEGATION = re.compile(r"\b(?:no|not|without|never|nor|lacks?|lacking|absence of|free of)\b[^.;,]{0,30}$",
                       re.IGNORECASE)


def _negated(text: str, start: int) -> bool:
    """True when the phrase at ``start`` sits inside a negation ("without any shaking")."""
    window = text[max(0, start - 40):start]
    window = re.split(r"[.;]|\bbut\b|\bthen\b|\band\b", window)[-1]
    return bool(_NEGATION.search(window))


def _first(text: str, patterns: tuple[tuple[str, str], ...]) -> tuple[int, str] | None:
    """Earliest non-negated match of any pattern: (position, term)."""
    best: tuple[int, str] | None = None
    for pat, term in patterns:
        for m in re.finditer(pat, text, re.IGNORECASE):
            if _negated(text, m.start()):
                continue
            if best is None or m.start() < best[0]:
                best = (m.start(), term)
            break
    return best


def parse_movement(text: str) -> str | None:
    """The dominant camera movement: the first deliberate move, else handheld shake, else static."""
    hit = _first(text, _MOVE_PATTERNS)
    if hit:
        return hit[1]
    shakes = [m for m in _HANDHELD.finditer(text) if not _negated(text, m.start())]
    strong = [m for m in shakes if not _MILD.search(text[max(0, m.start() - 25):m.start()])]
    explicit = [m for m in shakes if re.match(r"hand", m.group(0), re.IGNORECASE)]
    if explicit or strong:
        return "handheld"
    if _STATIC.search(text) or shakes:
        return "static"  # a fixed camera with slight shake is still a locked-off set-up
    return None


def parse_camera_attributes(text: str) -> dict[str, str]:
    """Map free caption text to contract vocabulary.

    Returns only the keys it found, among: ``shot_size`` (SHOT_SIZES), ``movement``
    (MOVEMENTS), ``angle`` (ANGLES), ``lens_mm`` (a number as a string) and ``lighting``
    (up to two canonical lighting words joined by a space, e.g. "low-key moonlight").
    """
    if not isinstance(text, str):
        raise ValueError(f"camera caption must be text, got {type(text).__name__}: pass the caption string")
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", " - "))
    out: dict[str, str] = {}
    size = _first(text, _SIZE_PATTERNS)
    if size:
        out["shot_size"] = size[1]
    move = parse_movement(text)
    if move:
        out["movement"] = move
    angle = _first(text, _ANGLE_PATTERNS)
    if angle:
        # a Dutch or overhead mention anywhere outranks the ordinary first angle
        special = [t for p, t in _ANGLE_PATTERNS[:2] if any(not _negated(text, m.start())
                                                            for m in re.finditer(p, text, re.IGNORECASE))]
        out["angle"] = special[0] if special else angle[1]
    mm = re.search(r"\b(\d{1,3}(?:\.\d)?)\s?mm\b", text, re.IGNORECASE)
    if mm and 8 <= float(mm.group(1)) <= 300:
        out["lens_mm"] = str(int(float(mm.group(1))))
    else:
        lens = _first(text, _LENS_PATTERNS)
        if lens:
            out["lens_mm"] = lens[1]
    found: list[tuple[int, str]] = []
    for pat, term in _LIGHTING_PATTERNS:
        m = next((m for m in re.finditer(pat, text, re.IGNORECASE) if not _negated(text, m.start())), None)
        if m and term not in [t for _, t in found]:
            found.append((m.start(), term))
    if found:
        out["lighting"] = " ".join(t for _, t in sorted(found)[:2])
    assert out.get("shot_size", SHOT_SIZES[0]) in SHOT_SIZES
    assert out.get("movement", MOVEMENTS[0]) in MOVEMENTS
    assert out.get("angle", ANGLES[0]) in ANGLES
    return out


def lens_kind(mm: float) -> str:
    """A focal length as film-makers (and video models) name it, on a full-frame scale; one scale for
    every prompt builder, so a 28 mm lens is called the same to every service."""
    return ("ultra-wide" if mm < 20 else "wide-angle" if mm < 35 else "normal" if mm < 70
            else "telephoto" if mm < 150 else "long telephoto")


def sentence(text: str) -> str:
    """``text`` as one prose sentence: spaces collapsed, a capital first, one full stop at the end."""
    text = " ".join(text.split()).rstrip(" .")
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def the_place(location: str) -> str:
    """A plan's location as prose names it: "island" -> "the island"; an article or a proper name
    ("Lisbon") is kept as it is."""
    loc = " ".join(location.split())
    if not loc or re.match(r"(?i)(the|a|an)\s", loc) or loc[:1].isupper():
        return loc
    return f"the {loc}"
