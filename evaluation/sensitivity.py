"""FilmEval's sensitivity: controlled defects made from a real film, each aimed at one criterion.

A judge is only as good as what it can tell apart. Each defect here breaks one thing a criterion
judges (scenes moved to the wrong place, every shot the same set-up, the mix 8 LU too loud, the sound
500 ms early, ...) and leaves the rest of the film as it was; ``sensitivity`` scores the film and every
defect and returns the defect x criterion matrix of score deltas. A criterion should drop by at least
1 point under its own defect (or be not measured, ``None``) and move by at most 0.5 under the others.

Defects work on the judge's inputs (``FilmEvalInputs``): the contracts are edited, and the picture
defects write a new video next to the film with ffmpeg. Nothing in the film folder is changed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from evaluation.criteria import CODES
from evaluation.offline_judge import FilmEvalInputs, judge_offline
from filmcraft.contracts import FilmEvalScores, RenderManifest
from filmcraft.media import probe, run_ffmpeg

ORDER = ("SF", "NC", "VQ", "CC", "PLC", "VAQ", "CT", "AVR", "NP", "VAC", "CD", "OQ")
OWN_DROP = 1.0  # a defect lowers its own criterion by at least this
OTHERS_MOVE = 0.5  # and moves the others by at most this


@dataclass(frozen=True)
class Defect:
    name: str
    target: str  # the criterion code it is aimed at
    what: str  # the defect in words, for the report
    make: Callable[[FilmEvalInputs, Path], FilmEvalInputs]


def _replace(inp: FilmEvalInputs, **changes) -> FilmEvalInputs:
    return dataclasses.replace(inp, **changes)


def _nothing_shown(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """The film shows none of its request: every shot drawn in a generic place with nobody and nothing
    in it (the plan's text is left as it was, so only what is seen changes)."""
    if inp.manifests is None:  # nothing is seen: the plan's places go instead
        scenes = inp.scenes.model_copy(update={"scenes": [
            s.model_copy(update={"location": "car park", "heading": f"EXT. CAR PARK - {s.heading.rsplit(' - ', 1)[-1]}"})
            for s in inp.scenes.scenes]})
        return _replace(inp, scenes=scenes)
    return _replace(inp, manifests=[RenderManifest(shot_id=m.shot_id, location_kind="generic") for m in inp.manifests])


def _scenes_reversed(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """The scene blocks told in reverse: the story's beats out of order."""
    scenes = list(reversed(inp.scenes.scenes))
    return _replace(inp, scenes=inp.scenes.model_copy(update={"scenes": scenes}))


def _black_picture(inp: FilmEvalInputs, work: Path) -> FilmEvalInputs:
    """The picture black and frozen for its whole length, at a quarter of its height."""
    info = probe(inp.final_video)
    out = work / "black.mp4"
    h = max(2, (info.height or 360) // 8 * 2)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"color=c=black:s={h * 16 // 9 // 2 * 2}x{h}:r=12:d={info.duration_s:.3f}",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", str(out)], "black picture defect")
    return _replace(inp, final_video=out)


def _loud_mix(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """The mix 8 LU over its target and clipping its true peak."""
    mix = inp.mix.model_copy(update={"master_lufs": inp.mix.master_target_lufs + 8.0, "master_true_peak_dbtp": 1.5,
                                     "stems": [s.model_copy(update={"measured_lufs": (s.measured_lufs or -30) + 8.0})
                                               for s in inp.mix.stems]})
    return _replace(inp, mix=mix)


def _one_setup(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """Every shot the same set-up: a medium, static, eye-level shot on a 50 mm lens."""
    plans = [p.model_copy(update={"camera": p.camera.model_copy(update={
        "shot_size": "medium", "movement": "static", "angle": "eye_level", "lens_mm": 50.0})}) for p in inp.plans]
    return _replace(inp, plans=plans)


def _one_layer(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """The sound reduced to its voice-over: no ambience, music, foley or effects cues."""
    cues = [c for c in inp.cues.cues if c.stem == "vo"] or inp.cues.cues[:1]
    return _replace(inp, cues=inp.cues.model_copy(update={"cues": cues}))


def _off_pacing(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """A cut far off the audience profile's pacing: every shot held four times as long."""
    # slowed to a quarter speed; the sound stretched with it, each cue kept where it sits on its shot or
    # scene (a bed that pre-laps its scene by half a second still does)
    decisions = [d.model_copy(update={"record_in": d.record_in * 4.0, "speed": d.speed / 4.0}) for d in inp.lock.decisions]
    shot_in = {d.shot_id: d.record_in for d in inp.lock.decisions}
    scene_in: dict[str, float] = {}
    for d in sorted(inp.lock.decisions, key=lambda d: d.record_in):
        scene_in.setdefault(d.scene_id, d.record_in)

    def moved(c):
        anchor = shot_in.get(c.shot_id) if c.shot_id else scene_in.get(c.scene_id or "", 0.0)
        anchor = 0.0 if anchor is None else anchor
        off = c.record_in - anchor
        return c.model_copy(update={"record_in": max(0.0, anchor * 4.0 + (off * 4.0 if off >= 0 else off)),
                                    "duration": c.duration * 4.0})
    cues = [moved(c) for c in inp.cues.cues]
    return _replace(inp, lock=inp.lock.model_copy(update={"decisions": decisions, "runtime_s": inp.lock.runtime_s * 4.0}),
                    cues=inp.cues.model_copy(update={"cues": cues}))


def _early_sound(inp: FilmEvalInputs, _: Path) -> FilmEvalInputs:
    """Every sound cue 500 ms early against the picture."""
    cues = [c.model_copy(update={"record_in": max(0.0, c.record_in - 0.5)}) for c in inp.cues.cues]
    return _replace(inp, cues=inp.cues.model_copy(update={"cues": cues}))


def _everything(inp: FilmEvalInputs, work: Path) -> FilmEvalInputs:
    """All of the above at once: overall quality is the judge's sum of them."""
    for d in DEFECTS[:-1]:
        inp = d.make(inp, work)
    return inp


DEFECTS: tuple[Defect, ...] = (
    Defect("nothing_shown", "SF", "every shot drawn in a generic place, with none of the request's people or things",
           _nothing_shown),
    Defect("scenes_reversed", "NC", "the scene blocks in reverse order", _scenes_reversed),
    Defect("black_picture", "VQ", "the picture black and frozen, at a quarter of its height", _black_picture),
    Defect("loud_mix", "VAQ", "the mix 8 LU over its target, true peak +1.5 dBTP", _loud_mix),
    Defect("one_setup", "CT", "every shot the same set-up (medium, static, eye level, 50 mm)", _one_setup),
    Defect("one_layer", "AVR", "the sound reduced to its voice-over cues", _one_layer),
    Defect("off_pacing", "NP", "every shot held four times as long", _off_pacing),
    Defect("early_sound", "VAC", "every sound cue 500 ms early", _early_sound),
    Defect("everything", "OQ", "all of the defects above at once", _everything),
)


@dataclass
class Sensitivity:
    film_id: str
    base: FilmEvalScores
    scores: dict[str, FilmEvalScores]  # defect name -> scores
    deltas: dict[str, dict[str, Optional[float]]]  # defect name -> criterion code -> score change (None: unmeasured)

    def passes(self, defect: Defect) -> tuple[bool, str]:
        """Does the defect lower its own criterion by >= 1 (or leave it unmeasured) and move the others by <= 0.5?"""
        row = self.deltas[defect.name]
        own = row[defect.target]
        base = _by_code(self.base)[defect.target].score
        problems = []
        if base is not None and own is not None and own > -OWN_DROP:
            problems.append(f"{defect.target} moved {own:+.2f} (needs <= -{OWN_DROP:g})")
        if defect.target != "OQ":
            problems += [f"{c} moved {v:+.2f}" for c, v in row.items()
                         if c not in (defect.target, "OQ") and v is not None and abs(v) > OTHERS_MOVE]
        return not problems, "; ".join(problems)


def _by_code(scores: FilmEvalScores) -> dict:
    return {CODES[c.criterion]: c for c in scores.criteria}


def sensitivity(inputs: FilmEvalInputs, work: Path, judge=judge_offline,
                defects: tuple[Defect, ...] = DEFECTS) -> Sensitivity:
    """Score ``inputs`` and every defect of it; ``work`` holds the defects' videos."""
    work.mkdir(parents=True, exist_ok=True)
    base = judge(inputs)
    base_by = _by_code(base)
    scores, deltas = {}, {}
    for d in defects:
        got = judge(d.make(inputs, work))
        scores[d.name] = got
        by = _by_code(got)
        deltas[d.name] = {c: (None if by[c].score is None or base_by[c].score is None
                              else round(by[c].score - base_by[c].score, 2)) for c in ORDER}
    return Sensitivity(inputs.film_id, base, scores, deltas)


def matrix_markdown(result: Sensitivity) -> str:
    """The defect x criterion matrix of deltas; the defect's own criterion in bold."""
    head = "| defect | " + " | ".join(ORDER) + " | own criterion |"
    lines = [head, "|" + "---|" * (len(ORDER) + 2)]
    base = _by_code(result.base)
    lines.append("| (film as made) | " + " | ".join("-" if base[c].score is None else f"{base[c].score:.2f}"
                                                    for c in ORDER) + " | |")
    for d in DEFECTS:
        if d.name not in result.deltas:
            continue
        row = result.deltas[d.name]
        ok, why = result.passes(d)
        cells = []
        for c in ORDER:
            v = row[c]
            cell = "null" if v is None else f"{v:+.2f}"
            cells.append(f"**{cell}**" if c == d.target else cell)
        lines.append(f"| {d.name} | " + " | ".join(cells) + f" | {'ok' if ok else 'FAILS: ' + why} |")
    return "\n".join(lines)
