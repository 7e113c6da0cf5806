"""The twelve FilmEval criteria, their short codes, our 1-5 rubrics and the derived metrics.

Derived metrics (after the FilMaster paper):

* CL  (camera language)   = mean(SF, NC, VQ, CC, PLC) + 0.5 * mean(CT, AVR)
* CRh (cinematic rhythm)  = mean(VAQ, NP, VAC, CD, OQ) + 0.5 * mean(CT, AVR)
* average                 = mean of every measured criterion

Each mean runs over the criteria that were measured (score not None). A derived metric is
None when either of its two groups is entirely unmeasured: dropping the whole 0.5 * mean(CT, AVR)
term (or the whole first term) would silently change the metric's scale (max 7.5), so a
number there would not be comparable with other films.

Two scales: CL and CRh as written above run from 1.5 to 7.5 (the "additive" form, what
``FilmEvalScores.camera_language`` stores). The paper's Table 2 prints them on the criteria's own
1-5 scale, (A + 0.5 B) / 1.5: ``paper_scale`` gives that form, and reports print both, named.
"""

from __future__ import annotations

from statistics import fmean

from filmcraft.contracts import CRITERIA, FilmEvalScores

CODES: dict[str, str] = dict(zip(CRITERIA, ("SF", "NC", "VQ", "CC", "PLC", "VAQ", "CT", "AVR", "NP", "VAC", "CD", "OQ")))
BY_CODE: dict[str, str] = {code: name for name, code in CODES.items()}

CL_MAIN = ("SF", "NC", "VQ", "CC", "PLC")
CRH_MAIN = ("VAQ", "NP", "VAC", "CD", "OQ")
SHARED = ("CT", "AVR")

RUBRICS: dict[str, dict[int, str]] = {
    "script_faithfulness": {
        1: "The film tells a different story; the theme's people, places and events are absent.",
        2: "A few named elements survive but the central event of the theme is missing.",
        3: "The main event is there, but characters or settings are swapped or dropped.",
        4: "Faithful in substance with small omissions or additions.",
        5: "Every named character, place and turn of the theme is on screen, nothing contradicts it.",
    },
    "narrative_coherence": {
        1: "Scenes do not connect; causes and effects are missing or reversed.",
        3: "The plot can be followed, but some scenes arrive without motivation or out of order.",
        5: "Each scene follows from the one before; the chain of cause and effect is complete.",
    },
    "visual_quality": {
        1: "Unwatchable: black, frozen, broken or tiny frames.",
        3: "Clean picture with visible defects (soft, flickering, stalled motion, dropouts).",
        5: "Sharp, well-exposed, fluid picture at delivery resolution throughout.",
    },
    "character_consistency": {
        1: "Characters change face, costume or identity from shot to shot.",
        3: "Recognisable across the film with noticeable drift in some shots.",
        5: "Each character looks and reads as the same person in every shot.",
    },
    "physical_law_compliance": {
        1: "Objects pass through each other, float or deform; motion defies physics.",
        3: "Mostly plausible with occasional impossible motion or contact.",
        5: "Gravity, contact, momentum and light behave as in the real world.",
    },
    "voice_audio_quality": {
        1: "Distorted, clipped or inaudible; levels jump between scenes.",
        3: "Clear but unevenly levelled; voice sometimes masked by music or effects.",
        5: "Clean, consistently levelled voice and stems at delivery loudness, no clipping.",
    },
    "cinematic_techniques": {
        1: "One repeated framing; no establishing shots; no camera grammar.",
        3: "Some variety of size and movement, but set-ups repeat or progress without intent.",
        5: "Purposeful coverage: establishing, wide-to-close progression, motivated movement.",
    },
    "audio_visual_richness": {
        1: "Bare picture with one or no sound layer.",
        3: "Several sound layers and some visual variety, unevenly used.",
        5: "Dense, layered soundtrack (ambience, music, voice, foley, effects) over varied images.",
    },
    "narrative_pacing": {
        1: "Rhythm fights the story: drags or rushes throughout, wrong length for its audience.",
        3: "Acceptable overall with passages that drag or rush.",
        5: "Shot lengths and runtime suit the audience and the beats breathe where they should.",
    },
    "video_audio_coordination": {
        1: "Sound and picture are unrelated; cues land in the wrong shots.",
        3: "Mostly in place, some effects or lines drift off their action.",
        5: "Every line, effect and music change lands on its shot and action.",
    },
    "compelling_degree": {
        1: "No reason to keep watching.",
        3: "Holds attention in parts.",
        5: "Gripping from the first shot to the last.",
    },
    "overall_quality": {
        1: "Fails as a film.",
        3: "A watchable short with clear weaknesses.",
        5: "A finished, convincing short film.",
    },
}


def _code(key: str) -> str:
    if key in BY_CODE:
        return key
    if key in CODES:
        return CODES[key]
    raise ValueError(f"unknown FilmEval criterion {key!r}: use a code {list(BY_CODE)} or a name {list(CODES)}")


def derive(scores: dict[str, float | None]) -> tuple[float | None, float | None, float | None, dict[str, list[str]]]:
    """(CL, CRh, average, derived_from) from criterion scores keyed by code or full name.

    Missing keys count as unmeasured. ``derived_from`` maps "camera_language",
    "cinematic_rhythm" and "average" to the codes actually used.
    """
    by_code: dict[str, float] = {}
    for key, value in scores.items():
        code = _code(key)
        if value is not None:
            by_code[code] = float(value)

    def measured(codes: tuple[str, ...]) -> list[str]:
        return [c for c in codes if c in by_code]

    def metric(main: tuple[str, ...]) -> tuple[float | None, list[str]]:
        a, b = measured(main), measured(SHARED)
        if not a or not b:
            return None, []
        return fmean(by_code[c] for c in a) + 0.5 * fmean(by_code[c] for c in b), a + b

    cl, cl_from = metric(CL_MAIN)
    crh, crh_from = metric(CRH_MAIN)
    all_codes = [CODES[name] for name in CRITERIA if CODES[name] in by_code]
    average = fmean(by_code[c] for c in all_codes) if all_codes else None
    return cl, crh, average, {"camera_language": cl_from, "cinematic_rhythm": crh_from, "average": all_codes}


def completeness_problems(scores: FilmEvalScores) -> list[str]:
    """What makes a FilmEval result incomplete: a criterion missing, repeated or out of order, one
    without a reason (a score or a 'not measured' must say why), or derived values that do not follow
    from the criteria."""
    problems = []
    names = [c.criterion for c in scores.criteria]
    if names != list(CRITERIA):
        missing = [c for c in CRITERIA if c not in names]
        extra = [c for c in names if c not in CRITERIA]
        problems.append(f"criteria are not the twelve in order (missing: {', '.join(missing) or 'none'}; "
                        f"unknown or repeated: {', '.join(extra) or 'none'})")
    problems += [f"{c.criterion} has no reason" for c in scores.criteria if not c.reason.strip()]
    cl, crh, average, _ = derive({c.criterion: c.score for c in scores.criteria})
    for label, want, got in (("CL", cl, scores.camera_language), ("CRh", crh, scores.cinematic_rhythm),
                             ("average", average, scores.average)):
        if (want is None) != (got is None) or (want is not None and abs(want - got) > 0.0005):  # stored to 3 places
            problems.append(f"{label} is {got} but the criteria give {want}")
    return problems


PAPER_DIVISOR = 1.5  # the weights' sum: (A + 0.5 B) / 1.5 is back on 1-5


def paper_scale(value: float | None) -> float | None:
    """A derived metric (additive form, 1.5-7.5) on the paper's 1-5 scale."""
    return None if value is None else round(value / PAPER_DIVISOR, 3)
