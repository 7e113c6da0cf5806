"""The judge of candidate takes: which take of a shot goes into the cut.

Offline it measures adherence to the shot plan: what the render manifest says was drawn against what
the plan names (subject, props), and the clip itself (its measured duration against the planned one,
exposure: not black or blown out, motion: a moving camera must not give a frozen picture, and
sharpness relative to the other takes). With a vision model the model compares the takes' keyframes
against the plan and answers a validated JSON choice with a reason per take.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
from pydantic import Field, model_validator

from filmcraft.contracts import Contract, RenderManifest, ShotPlan
from filmcraft.media import MediaError, ffmpeg_exe, probe
from filmcraft.roles import Keyframe, VisionJudge

WEIGHTS = {"depiction": 0.35, "duration": 0.2, "exposure": 0.15, "motion": 0.15, "sharpness": 0.15}
_W = 160  # frames are measured at this width: enough for exposure, motion and edge energy
FROZEN = 0.0005  # mean absolute frame difference (0..1) under which a picture does not move


@dataclass(frozen=True)
class TakeEvidence:
    take: int
    plan: ShotPlan  # the plan as rendered for this take
    path: Path
    manifest: Optional[RenderManifest]
    keyframe: Optional[Path] = None


@dataclass(frozen=True)
class Verdict:
    take: int
    score: float  # 0..1
    reason: str


@dataclass(frozen=True)
class ClipMeasure:
    duration_s: float
    luma: float  # mean, 0..1
    motion: float  # mean absolute difference of consecutive frames, 0..1
    sharpness: float  # mean absolute gradient of the middle frame, 0..1


def measure_clip(path: Path) -> ClipMeasure:
    """Decode the clip (grey, 160 px wide) and measure it."""
    info = probe(path)
    if not info.has_video or not info.width or not info.height:
        raise MediaError(f"take {path} has no video stream: render it again")
    h = max(2, round(info.height * _W / info.width / 2) * 2)
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-vf", f"scale={_W}:{h},format=gray", "-f", "rawvideo", "-"],
                          capture_output=True, timeout=120)
    if proc.returncode != 0 or not proc.stdout:
        raise MediaError(f"take {path} cannot be decoded: {proc.stderr.decode(errors='replace').strip()[-300:]}")
    frames = np.frombuffer(proc.stdout, np.uint8)[: len(proc.stdout) // (_W * h) * _W * h].reshape(-1, h, _W) / 255.0
    motion = float(np.abs(np.diff(frames, axis=0)).mean()) if len(frames) > 1 else 0.0
    mid = frames[len(frames) // 2]
    sharp = float((np.abs(np.diff(mid, axis=0)).mean() + np.abs(np.diff(mid, axis=1)).mean()) / 2)
    return ClipMeasure(info.duration_s, float(frames.mean()), motion, sharp)


def _planned_nouns(plan: ShotPlan) -> list[str]:
    nouns = [plan.subject] if plan.subject and plan.subject not in plan.characters else []
    return [n for n in dict.fromkeys(nouns + list(plan.props)) if n]


def offline_verdicts(takes: list[TakeEvidence]) -> list[Verdict]:
    """Each take scored 0..1 from measured adherence to its plan (WEIGHTS); reasons give the figures."""
    measures = [measure_clip(t.path) for t in takes]
    best_sharp = max(m.sharpness for m in measures) or 1.0
    out = []
    for t, m in zip(takes, measures):
        parts, notes = {}, []
        if t.manifest is not None:  # an endpoint's clip has no manifest: its depiction is not measured
            nouns = _planned_nouns(t.plan)
            missing = [n for n in t.manifest.not_depicted]
            parts["depiction"] = 1.0 - min(1.0, len(missing) / max(1, len(nouns))) if nouns else (0.0 if missing else 1.0)
            notes.append((f"drew {max(0, len(nouns) - len(missing))}/{len(nouns)} planned nouns" if nouns
                          else "no props or prop subject planned")
                         + (f" (missing {', '.join(missing)})" if missing else ""))
        planned = t.plan.camera.duration_s
        parts["duration"] = max(0.0, 1.0 - abs(m.duration_s - planned) / planned)
        notes.append(f"{m.duration_s:.2f} s of {planned:.2f} s planned")
        parts["exposure"] = 1.0 if 0.04 <= m.luma <= 0.96 else 0.0
        notes.append(f"luma {m.luma:.2f}" + ("" if parts["exposure"] else " (black or blown out)"))
        moving = t.plan.camera.movement != "static"
        parts["motion"] = 0.0 if moving and m.motion < FROZEN else 1.0
        notes.append(f"motion {m.motion:.4f} for a {t.plan.camera.movement} camera"
                     + (" (frozen)" if not parts["motion"] else ""))
        parts["sharpness"] = m.sharpness / best_sharp
        notes.append(f"sharpness {m.sharpness:.4f} ({parts['sharpness']:.0%} of the sharpest take)")
        weight = sum(WEIGHTS[k] for k in parts)
        score = sum(WEIGHTS[k] * v for k, v in parts.items()) / weight
        out.append(Verdict(t.take, round(score, 4), "; ".join(notes)))
    return out


class TakeScore(Contract):
    take: int = Field(ge=1)
    score: int = Field(ge=1, le=5)  # how well the keyframe shows the planned shot
    reason: str = Field(min_length=1)


class TakeChoice(Contract):
    """The vision model's answer: a score and reason per take, and the take for the cut."""

    takes: list[TakeScore]
    pick: int = Field(ge=1)


INSTRUCTIONS = ("You are a film editor choosing between takes of one shot. Each take has a keyframe. Compare "
                "them with the shot plan (framing, subject, props, movement, mood) and pick the take that "
                "best realises it. Score each take from 1 to 5 with a short reason.")


def _choice_for(shown: tuple[int, ...]) -> type[TakeChoice]:
    """TakeChoice that refuses a pick, or a set of scored takes, other than the takes shown: the role's
    repair turn shows the model exactly that, and a second such answer fails naming the role."""
    class Choice(TakeChoice):
        @model_validator(mode="after")
        def _shown(self):
            if self.pick not in shown:
                raise ValueError(f"pick {self.pick} is not one of the takes shown ({', '.join(map(str, shown))})")
            if sorted(s.take for s in self.takes) != sorted(shown):
                raise ValueError(f"score each take shown ({', '.join(map(str, shown))}) exactly once")
            return self

    Choice.__name__ = Choice.__qualname__ = "TakeChoice"
    return Choice


def vision_verdicts(takes: list[TakeEvidence], judge: VisionJudge) -> tuple[list[Verdict], int]:
    """The model's scores (1..5 mapped to 0..1) and pick, validated against the takes shown."""
    plan = takes[0].plan
    text = (f"Shot {plan.shot_id}: {plan.prompt}\nsize {plan.camera.shot_size}, movement {plan.camera.movement}, "
            f"angle {plan.camera.angle}, subject {plan.subject or ', '.join(plan.characters) or 'the place'}, "
            f"props {', '.join(plan.props) or 'none'}.\nTakes: " + ", ".join(str(t.take) for t in takes))
    frames = [Keyframe(Path(t.keyframe), 0.0, f"{plan.shot_id} take {t.take}") for t in takes if t.keyframe]
    answer = judge.judge_json(INSTRUCTIONS, text, frames, _choice_for(tuple(t.take for t in takes)))
    scored = {s.take: s for s in answer.takes}
    return [Verdict(t.take, round((scored[t.take].score - 1) / 4, 4), scored[t.take].reason) for t in takes], answer.pick


def judge_takes(takes: list[TakeEvidence], vision: Optional[VisionJudge] = None) -> tuple[list[Verdict], int]:
    """Verdicts for every take and the picked take: the highest score, the lowest take number on a tie
    (the plan as written wins when nothing measured tells the takes apart)."""
    if not takes:
        raise ValueError("judge_takes needs at least one take")
    if vision is not None:
        return vision_verdicts(takes, vision)
    verdicts = offline_verdicts(takes)
    best = max(verdicts, key=lambda v: (v.score, -v.take))
    return verdicts, best.take
