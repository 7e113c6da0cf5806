"""The FilmEval LLM judge: a multimodal model watches sampled keyframes and reads the film's texts.

What the judge gets (one request per sample):

* the input text (the theme as the user gave it) and the writer's synopsis with its cast and places;
* keyframes with timecodes: one frame at the middle of each cut shot (evenly chosen when there are
  more shots than ``keyframes``), JPEG, sent as data URIs;
* the cue sheet (timecoded ambience, music, voice, foley and effects cues) and the voice-over
  transcript;
* our 1-5 rubrics for the twelve criteria.

It answers one JSON object: for each criterion an integer score 1-5 and a reason. The answer is
validated (``JudgeVerdict``); an invalid answer, an out-of-range score included, is refused and
asked again once by the backend (``resources.vision.OpenAIVisionJudge``). Several samples (seeded
differently) are averaged per criterion; each criterion keeps its sample scores and their spread.
"""

from __future__ import annotations

from pathlib import Path
from statistics import fmean, pstdev

from pydantic import BaseModel, ConfigDict, Field

from evaluation.criteria import CODES, RUBRICS, derive
from evaluation.offline_judge import FilmEvalInputs
from filmcraft.contracts import CRITERIA, CriterionScore, FilmEvalScores
from filmcraft.media import extract_frame
from filmcraft.roles import Keyframe, VisionJudge

JUDGE_NAME = "llm-vision-judge-v1"


class CriterionVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(ge=1, le=5, description="integer 1 (worst) to 5 (best)")
    reason: str = Field(min_length=1, description="one or two sentences naming what on screen or in the sound decided it")


class JudgeVerdict(BaseModel):
    """The answer schema: one verdict per criterion, all twelve required."""

    model_config = ConfigDict(extra="forbid")
    script_faithfulness: CriterionVerdict
    narrative_coherence: CriterionVerdict
    visual_quality: CriterionVerdict
    character_consistency: CriterionVerdict
    physical_law_compliance: CriterionVerdict
    voice_audio_quality: CriterionVerdict
    cinematic_techniques: CriterionVerdict
    audio_visual_richness: CriterionVerdict
    narrative_pacing: CriterionVerdict
    video_audio_coordination: CriterionVerdict
    compelling_degree: CriterionVerdict
    overall_quality: CriterionVerdict


assert tuple(JudgeVerdict.model_fields) == CRITERIA  # the schema and the contracts name the same twelve


def timecode(seconds: float) -> str:
    """``83.5`` -> ``01:23.50`` (minutes:seconds, hundredths)."""
    m, s = divmod(max(0.0, seconds), 60.0)
    return f"{int(m):02d}:{s:05.2f}"


def sample_keyframes(inputs: FilmEvalInputs, out_dir: Path, count: int = 8, width: int = 512) -> list[Keyframe]:
    """One frame from the middle of each cut shot, at most ``count`` shots chosen evenly."""
    if count < 1:
        raise ValueError(f"keyframes {count}: the judge needs at least 1 keyframe")
    decisions = inputs.lock.decisions
    if not decisions:
        raise ValueError(f"film {inputs.film_id!r}: the picture lock has no shots, so there is nothing to show the judge")
    if len(decisions) > count:
        step = (len(decisions) - 1) / (count - 1) if count > 1 else 0.0
        decisions = [decisions[round(i * step)] for i in range(count)]
    frames = []
    for d in decisions:
        at = d.record_in + d.duration / 2.0
        path = out_dir / f"{d.shot_id}_{at:07.2f}.jpg"
        if not path.exists():  # keyframes are a pure function of the render; keep them for inspection
            extract_frame(inputs.final_video, at, path, width=width)
        frames.append(Keyframe(path=path, timecode_s=round(at, 2), shot_id=d.shot_id))
    return frames


def instructions() -> str:
    rubric_lines = []
    for name in CRITERIA:
        anchors = "; ".join(f"{k} = {v}" for k, v in sorted(RUBRICS[name].items()))
        rubric_lines.append(f"- {name} ({CODES[name]}): {anchors}")
    return (
        "You are a film critic scoring a finished short film for the FilmEval benchmark. You see keyframes "
        "with their timecodes and read the input text, the synopsis, the cue sheet and the voice-over "
        "transcript. Score each of the twelve criteria with an integer from 1 to 5 using these rubrics "
        "(scores between the anchors are allowed):\n" + "\n".join(rubric_lines) + "\n"
        "Judge what the film shows and sounds like, not what the text promises. For each criterion give "
        "the score and a short reason that names the evidence (a timecode, a shot or a cue)."
    )


def film_dossier(inputs: FilmEvalInputs, frames: list[Keyframe]) -> str:
    """The text half of the judge's input: theme, synopsis, cue sheet, transcript, keyframe index."""
    syn = inputs.synopsis
    cues = sorted(inputs.cues.cues, key=lambda c: (c.record_in, c.stem))
    cue_lines = [f"{timecode(c.record_in)}-{timecode(c.record_in + c.duration)} {c.stem:<8} "
                 f"{c.shot_id or c.scene_id or 'film'}: {c.description or c.library_id or Path(c.source_path).name}"
                 for c in cues]
    vo_lines = [f"{timecode(c.record_in)} ({c.shot_id or c.scene_id}): {c.text}" for c in cues if c.stem == "vo" and c.text]
    shot_lines = [f"{timecode(d.record_in)}-{timecode(d.record_out)} {d.shot_id} ({d.decision}"
                  f"{f', x{d.speed:.2f}' if d.speed != 1.0 else ''}, {d.transition} in)" for d in inputs.lock.decisions]
    parts = [
        f"INPUT TEXT:\n{inputs.request_text}",
        f"SYNOPSIS ({syn.title}; {syn.genre}, {syn.mood}):\n{syn.synopsis}",
        "CHARACTERS: " + ", ".join(c.name for c in syn.characters),
        "LOCATIONS: " + ", ".join(loc.name for loc in syn.locations),
        f"RUNTIME: {timecode(inputs.lock.runtime_s)}, {len(inputs.lock.decisions)} shots, "
        f"{inputs.lock.width}x{inputs.lock.height} at {inputs.lock.fps} fps; target audience: {inputs.profile.name}",
        "EDIT (record in-out, shot, decision):\n" + "\n".join(shot_lines),
        "CUE SHEET (in-out, stem, where: what):\n" + ("\n".join(cue_lines) or "(no cues: the film is silent)"),
        "VOICE-OVER TRANSCRIPT:\n" + ("\n".join(vo_lines) or "(no voice-over)"),
        "KEYFRAMES (in the order attached):\n" + "\n".join(f"{i}. {timecode(f.timecode_s)} shot {f.shot_id}"
                                                             for i, f in enumerate(frames, 1)),
    ]
    return "\n\n".join(parts)


def combine_samples(film_id: str, judge_name: str, verdicts: list[JudgeVerdict], keyframes: int) -> FilmEvalScores:
    """Mean score per criterion over the samples; the reason of the sample nearest the mean."""
    if not verdicts:
        raise ValueError(f"film {film_id!r}: no judge samples to combine (samples must be >= 1)")
    criteria = []
    for name in CRITERIA:
        got = [getattr(v, name) for v in verdicts]
        scores = [g.score for g in got]
        mean = fmean(scores)
        nearest = min(got, key=lambda g: abs(g.score - mean))
        criteria.append(CriterionScore(
            criterion=name, score=round(mean, 2), reason=nearest.reason, basis="judged",
            measurement={"samples": float(len(scores)), "sample_scores": ", ".join(str(s) for s in scores),
                         "sample_sd": round(pstdev(scores), 3), "keyframes": float(keyframes)}))
    cl, crh, average, derived_from = derive({c.criterion: c.score for c in criteria})
    return FilmEvalScores(
        film_id=film_id, judge=f"{JUDGE_NAME} ({judge_name}, {len(verdicts)} samples)", criteria=criteria,
        camera_language=None if cl is None else round(cl, 3),
        cinematic_rhythm=None if crh is None else round(crh, 3),
        average=None if average is None else round(average, 3), derived_from=derived_from)


def judge_llm(inputs: FilmEvalInputs, judge: VisionJudge, keyframe_dir: Path, samples: int = 3,
              keyframes: int = 8) -> FilmEvalScores:
    """Score a finished film with a multimodal judge; ``samples`` answers averaged per criterion."""
    if samples < 1:
        raise ValueError(f"samples {samples}: ask the judge at least once (FILMASTER_VISION_SAMPLES >= 1)")
    if inputs.lock.film_id != inputs.film_id or inputs.cues.film_id != inputs.film_id:
        raise ValueError(f"judge inputs disagree on the film ({inputs.film_id!r}, lock {inputs.lock.film_id!r}, "
                         f"cues {inputs.cues.film_id!r}): pass one film's artifacts")
    frames = sample_keyframes(inputs, keyframe_dir, keyframes)
    text = film_dossier(inputs, frames)
    verdicts = [judge.judge_json(instructions(), text, frames, JudgeVerdict, sample=i) for i in range(samples)]
    return combine_samples(inputs.film_id, judge.name, verdicts, len(frames))

