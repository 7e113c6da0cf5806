"""Sound design at three time scales, producing a CueSheet for the mixer.

- Scene scale: one ambience bed and one music cue per scene span on the picture lock, chosen by
  retrieval over the tagged audio library (consecutive scenes share a cue when the same asset wins).
  The editor's split edits place the beds: a J-cut starts the incoming scene's ambience (and its
  narration, when no line is still being spoken) ``sound_lead_s`` before the picture cut, an L-cut
  plays the outgoing scene's ambience (and lets its last line run) on ``sound_trail_s`` under the
  new scene's first shot.
- Shot scale: voice-over (scene narration and shot dialogue), fitted to the time available.
- Intra-shot scale: foley and SFX events at second-level timecodes, spotted from the shot's
  action, prompt and the scene's sound sketch over a controlled vocabulary.

Retrieval is injected (``LibrarySearch``) so this module needs no index library.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Optional

import soundfile as sf
from pydantic import BaseModel, Field

from filmcraft.contracts import AudioCue, AudioHit, CueSheet, PictureLock, SceneBlock, SceneBlocks, ShotPlan
from filmcraft.roles import Keyframe, VisionJudge, VoiceModel
from filmcraft.store import atomic_path, content_key
from filmcraft.roles import DEFAULT_RATE_WPM
from filmcraft.voice import clean_line, has_words, voice_for

LibrarySearch = Callable[[str, str, int], list[AudioHit]]  # (query text, kind, k) -> hits, best first
TimelineItem = tuple[str, str, float, float]  # (shot_id, scene_id, record_in, duration)

MAX_SPEEDUP = 1.5  # faster than this and eSpeak stops being intelligible
DIALOGUE_LEAD_S = 0.3  # a line starts a beat after the cut
NARRATION_LEAD_S = 0.2
LINE_TAIL_S = 0.2  # leave air before the next cut
VO_TRIM_FADE_S = 0.3
BED_OVERLAP_S = 0.25  # ambience beds overlap across a scene cut so the change is a crossfade
MAX_EVENTS_PER_SHOT = 3


# --- voice-over ----------------------------------------------------------------------------

def _synth_line(voice: VoiceModel, text: str, voice_name: str, rate: int, out_dir: Path) -> tuple[Path, float]:
    """Content-addressed synthesis: the file name is a hash of text, voice, rate and backend."""
    key = content_key({"text": text, "voice": voice_name, "rate": rate, "backend": getattr(voice, "name", type(voice).__name__)})
    path = out_dir / f"vo_{key}.wav"
    if path.is_file() and path.stat().st_size > 44:
        try:
            return path, float(sf.info(str(path)).duration)
        except RuntimeError:
            pass  # a damaged take: synthesise it again
    with atomic_path(path) as tmp:
        voice.speak(text, voice_name, tmp, rate=rate)
    return path, float(sf.info(str(path)).duration)


def fit_line(
    voice: VoiceModel, text: str, voice_name: str, available_s: float, out_dir: Path
) -> tuple[Path, float, float, int]:
    """Synthesise ``text`` to fit ``available_s``: raise the rate up to 1.5x, then trim.

    Returns (path, speech duration, cue duration, rate in wpm).
    """
    rate = DEFAULT_RATE_WPM
    path, spoken = _synth_line(voice, text, voice_name, rate, out_dir)
    if spoken > available_s:
        rate = int(min(DEFAULT_RATE_WPM * MAX_SPEEDUP, round(DEFAULT_RATE_WPM * spoken / available_s * 1.03)))
        path, spoken = _synth_line(voice, text, voice_name, rate, out_dir)
    return path, spoken, min(spoken, available_s), rate


def _check_timeline(timeline: list[TimelineItem]) -> None:
    for shot_id, scene_id, record_in, duration in timeline:
        if duration <= 0 or record_in < 0:
            raise ValueError(f"timeline item {shot_id} ({scene_id}) has record_in {record_in}, duration {duration}: both must be >= 0 and duration > 0")


def place_voice_over(
    timeline: list[TimelineItem], scenes: SceneBlocks, plans: dict[str, ShotPlan], voice: VoiceModel, out_dir: Path,
    leads: dict[str, float] | None = None, trails: dict[str, float] | None = None,
) -> list[AudioCue]:
    """VO cues: scene narration from the scene's first shot, dialogue inside its own shot.

    The editor's split edits: ``leads`` (incoming shot id -> seconds, J-cuts) start a scene's narration
    that much before the picture cuts to it, when no other line is still being spoken there; ``trails``
    (outgoing shot id -> seconds, L-cuts) let a shot's line run on that much under the next shot rather
    than be hurried or trimmed. Narration never starts over a line still being spoken."""
    _check_timeline(timeline)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    blocks = {s.scene_id: s for s in scenes.scenes}
    cues: list[AudioCue] = []
    ordered = sorted(timeline, key=lambda item: item[2])
    narrated: set[str] = set()
    for shot_id, scene_id, record_in, duration in ordered:
        plan = plans.get(shot_id)
        if plan is None:
            raise ValueError(f"shot {shot_id} is on the timeline but has no shot plan: re-plan scene {scene_id}")
        block = blocks.get(scene_id)
        if block is None:
            raise ValueError(f"shot {shot_id} belongs to scene {scene_id}, which is not in the scene blocks of {scenes.film_id}")

        narration = clean_line(block.voice_over)
        if has_words(narration) and scene_id not in narrated:
            narrated.add(scene_id)
            start, end = _narration_window(ordered, scene_id, record_in, plans)
            lead = (leads or {}).get(shot_id, 0.0)
            spoken_until = max((c.record_in + c.duration for c in cues), default=0.0)
            label = "Narration"
            if lead and start - lead >= spoken_until + LINE_TAIL_S:
                start -= lead  # J-cut: the voice leads the picture into the scene
                label = f"Narration, leading the picture by {lead:.2f}s (J-cut)"
            start = max(start, spoken_until + LINE_TAIL_S)  # an L-cut's line may still be running
            available = end - start - LINE_TAIL_S
            if available >= 0.5:
                cues.append(_vo_cue(voice, narration, voice_for(None), start, available, out_dir,
                                    f"vo_{scene_id}_narration", scene_id, None, label))

        line = clean_line(plan.dialogue or "")
        if has_words(line):
            speaker = plan.characters[0] if plan.characters else None
            start = record_in + min(DIALOGUE_LEAD_S, duration * 0.1)
            trail = (trails or {}).get(shot_id, 0.0)  # L-cut: the line may run on under the next shot
            available = record_in + duration + trail - start - LINE_TAIL_S
            label = f"Dialogue: {speaker or 'unnamed speaker'}"
            if available >= 0.4:
                cue = _vo_cue(voice, line, voice_for(speaker), start, available, out_dir,
                              f"vo_{shot_id}_dialogue", scene_id, shot_id, label)
                if cue.record_in + cue.duration > record_in + duration:
                    cue = cue.model_copy(update={"description": cue.description + (
                        f"; runs {cue.record_in + cue.duration - record_in - duration:.2f}s under the next shot (L-cut)")})
                cues.append(cue)
    return cues


def _narration_window(ordered: list[TimelineItem], scene_id: str, first_in: float, plans: dict[str, ShotPlan]) -> tuple[float, float]:
    """From the scene's first shot to the end of its contiguous run, stopping at its first dialogue."""
    start = first_in + NARRATION_LEAD_S
    end = first_in
    started = False
    for shot_id, sid, record_in, duration in ordered:
        if record_in < first_in:
            continue
        if sid != scene_id:
            if started:
                break
            continue
        started = True
        plan = plans.get(shot_id)
        if plan is not None and has_words(plan.dialogue or "") and record_in - start >= 1.5:
            return start, record_in  # narration gives way to the first spoken line
        end = record_in + duration
    return start, end


def _vo_cue(voice: VoiceModel, text: str, voice_name: str, start: float, available: float, out_dir: Path,
            cue_id: str, scene_id: str, shot_id: Optional[str], label: str) -> AudioCue:
    path, spoken, length, rate = fit_line(voice, text, voice_name, available, out_dir)
    trimmed = spoken > length + 1e-3
    note = f"{label} ({voice_name}, {rate} wpm"
    note += f", trimmed from {spoken:.2f}s)" if trimmed else ")"
    return AudioCue(
        cue_id=cue_id, stem="vo", source_path=str(path), record_in=round(start, 3), duration=round(length, 3),
        fade_out=VO_TRIM_FADE_S if trimmed else 0.0, scene_id=scene_id, shot_id=shot_id, description=note, text=text,
    )


# --- scene scale: ambience and music -------------------------------------------------------

@dataclass
class SceneSpan:
    scene_id: str
    start: float
    end: float
    shot_ids: list[str]


def scene_spans(lock: PictureLock) -> list[SceneSpan]:
    """Contiguous runs of one scene on the picture lock (a reordered scene may appear twice)."""
    spans: list[SceneSpan] = []
    for d in sorted(lock.decisions, key=lambda d: d.record_in):
        if spans and spans[-1].scene_id == d.scene_id and abs(spans[-1].end - d.record_in) < 0.05:
            spans[-1].end = d.record_out
            spans[-1].shot_ids.append(d.shot_id)
        else:
            spans.append(SceneSpan(d.scene_id, d.record_in, d.record_out, [d.shot_id]))
    return spans


def _best(search: LibrarySearch, query: str, kind: str, k: int = 5) -> Optional[AudioHit]:
    hits = [h for h in search(query, kind, k) if h.asset.kind == kind and Path(h.asset.path).is_file()]
    return hits[0] if hits else None


def ambience_query(block: SceneBlock) -> str:
    return f"{block.sound_sketch.ambience}; {block.location}; {block.time_of_day.replace('_', ' ')}"


def music_query(block: SceneBlock) -> str:
    return f"{block.sound_sketch.music_mood} {block.mood} music"


def split_edits(lock: PictureLock, spans: list[SceneSpan]) -> list[tuple[float, float]]:
    """(lead, trail) seconds of the editor's split edit at the start of each scene span (J-cut, L-cut)."""
    by_id = {d.shot_id: d for d in lock.decisions}
    return [(by_id[s.shot_ids[0]].sound_lead_s, by_id[s.shot_ids[0]].sound_trail_s) if i else (0.0, 0.0)
            for i, s in enumerate(spans)]


def _bed_cues(spans: list[SceneSpan], blocks: dict[str, SceneBlock], search: LibrarySearch, runtime: float,
              splits: list[tuple[float, float]] | None = None) -> list[AudioCue]:
    cues: list[AudioCue] = []
    last_music: Optional[AudioCue] = None
    splits = splits or [(0.0, 0.0)] * len(spans)
    for i, span in enumerate(spans):
        block = blocks[span.scene_id]
        length = span.end - span.start
        hit = _best(search, ambience_query(block), "ambience")
        if hit is not None:
            lead, trail_in = splits[i]  # J-cut into this scene; L-cut of the scene before under it
            trail = splits[i + 1][1] if i + 1 < len(spans) else 0.0  # L-cut of this scene under the next
            start = max(0.0, span.start - (max(BED_OVERLAP_S, lead) if i else 0.0))
            end = min(runtime, span.end + (max(BED_OVERLAP_S, trail) if i < len(spans) - 1 else 0.0))
            fade = min(0.5 if i else 1.0, (end - start) / 4)
            if lead:
                fade = min(fade, lead / 2)  # heard well before the cut: up by half-way through the lead
            elif trail_in:
                fade = max(fade, min(trail_in, (end - start) / 4))  # rises as the old scene's sound dies away
            fade_out = min(0.5 if i < len(spans) - 1 else 1.5, (end - start) / 4)
            if trail:
                fade_out = max(fade_out, min(trail / 2, (end - start) / 4))  # dies away over the trail's second half
            split = (f"; J-cut: leads the picture by {lead:.2f}s" if lead else "") + \
                    (f"; L-cut: trails {trail:.2f}s under the next scene" if trail else "")
            cues.append(AudioCue(
                cue_id=f"amb_{i + 1:02d}_{span.scene_id}", stem="ambience", source_path=hit.asset.path,
                record_in=round(start, 3), duration=round(end - start, 3), loop=True,
                fade_in=round(fade, 3), fade_out=round(fade_out, 3),
                scene_id=span.scene_id, description=f"Ambience for {block.heading}: {hit.asset.description} "
                f"(query '{ambience_query(block)}', score {hit.score:.2f}){split}", library_id=hit.asset.asset_id,
            ))
        hit = _best(search, music_query(block), "music")
        if hit is None:
            last_music = None
            continue
        if last_music is not None and last_music.library_id == hit.asset.asset_id and \
                abs(last_music.record_in + last_music.duration - span.start) < 0.05:
            # the same cue wins again: let it play on through the cut
            new_duration = round(span.end - last_music.record_in, 3)
            cues[cues.index(last_music)] = last_music = last_music.model_copy(update={
                "duration": new_duration, "loop": new_duration > hit.asset.duration_s,
                "fade_out": round(min(2.0, new_duration / 4), 3),
                "description": last_music.description + f"; continues through {span.scene_id}",
            })
            continue
        fade_in = min(1.0, length / 4)
        last_music = AudioCue(
            cue_id=f"mus_{i + 1:02d}_{span.scene_id}", stem="music", source_path=hit.asset.path,
            record_in=round(span.start, 3), duration=round(length, 3), loop=length > hit.asset.duration_s,
            fade_in=round(fade_in, 3), fade_out=round(min(2.0, length / 4), 3), scene_id=span.scene_id,
            description=f"Music for {block.heading} ({block.sound_sketch.music_mood}): {hit.asset.description} "
            f"(score {hit.score:.2f})", library_id=hit.asset.asset_id,
        )
        cues.append(last_music)
    return cues


# --- intra-shot scale: foley and SFX spotting ----------------------------------------------

@dataclass(frozen=True)
class Spot:
    name: str
    pattern: re.Pattern
    kind: str  # "foley" or "sfx"
    query: str
    loop: bool = False  # series sounds (footsteps) fill the rest of the shot


def _spot(name: str, words: str, kind: str, query: str, loop: bool = False) -> Spot:
    return Spot(name, re.compile(words, re.IGNORECASE), kind, query, loop)


# Order matters: specific phrases before general ones (a slammed door is not an opening door).
SPOTS: tuple[Spot, ...] = (
    _spot("door_close", r"\b(slams?|slamm(?:ed|ing)|clos(?:es|ed|ing)|shuts?|shutting)\b[^.]{0,20}\bdoors?\b|\bdoors?\b[^.]{0,12}\b(slams?|closes|closed|shuts?)\b", "foley", "door close slam"),
    # a knock claims its door, so "knocks on the door" does not also open one
    _spot("knock", r"\bknock(s|ed|ing)?\b(?:[^.]{0,25}?\bdoors?\b)?", "foley", "knock on wooden door"),
    _spot("door", r"\bdoors?(way)?\b|\b(enters|opens the)\b", "foley", "door open creak"),
    _spot("run", r"\b(run|runs|running|ran|sprints?|sprinting|races|racing|flees|fleeing|chases?|chasing|dashes)\b", "foley", "running footsteps", True),
    _spot("footsteps", r"\b(walks?|walking|walked|steps?|stepping|footsteps|strides?|striding|paces|pacing|wanders?|wandering|approaches|climbs?)\b", "foley", "footsteps walking", True),
    _spot("glass", r"\b(glass(es)?|toasts?|wine|whisky|whiskey|clinks?)\b", "foley", "glass clink"),
    _spot("keys", r"\bkeys?\b|\bunlocks?\b", "foley", "keys jingle"),
    _spot("paper", r"\b(pages?|book|letter|map|papers?|newspaper|reads?|reading)\b", "foley", "paper page turn"),
    _spot("chair", r"\b(chairs?|sits?|sitting|sat|seated|bench)\b", "foley", "chair creak"),
    _spot("water", r"\b(pours?|pouring|poured|splash(es)?|drinks?)\b", "foley", "water pour"),
    _spot("sword", r"\b(swords?|blades?|daggers?|knife|knives|unsheathes|draws (his|her|their|a) (sword|blade))\b", "foley", "sword blade metal scrape"),
    _spot("punch", r"\b(punch(es|ed)?|hits?|strikes?|fights?|fighting|brawl|kicks?|blows?)\b", "foley", "punch body impact"),
    _spot("fall", r"\b(falls?|fell|collapses?|collapsed|stumbles?|tumbles?)\b", "foley", "body fall"),
    _spot("cloth", r"\b(coat|cloak|jacket|scarf|blanket|rustles?|dresses|undresses)\b", "foley", "cloth rustle"),
    _spot("thunder", r"\b(thunder|lightning)\b", "sfx", "thunder crack"),
    _spot("explosion", r"\b(explosions?|explodes?|exploding|blasts?|bombs?|detonates?)\b", "sfx", "explosion"),
    _spot("gunshot", r"\b(gunshots?|guns?|pistol|rifle|shoots|shooting|fires (a|the) (gun|shot|pistol|rifle))\b", "sfx", "gunshot"),
    _spot("car", r"\b(cars?|taxi|truck|vehicle|drives (by|past|off|away)|speeds (by|past|off|away))\b", "sfx", "car passing by"),
    _spot("engine", r"\b(engines?|motor|motorboat|ignition|starts the (car|boat|engine))\b", "sfx", "engine rumble"),
    _spot("bell", r"\b(bells?|chimes?|tolls?)\b", "sfx", "bell toll"),
    _spot("phone", r"\b(phones?|telephone|rings|ringing|calls? (him|her|them))\b", "sfx", "phone ringing"),
    _spot("clock", r"\b(clocks?|ticking|ticks|watch(es)? the time)\b", "sfx", "clock ticking"),
    _spot("heartbeat", r"\b(heartbeats?|heart pounds|pounding heart|heart races)\b", "sfx", "heartbeat"),
    _spot("alarm", r"\b(alarms?|sirens?)\b", "sfx", "alarm siren"),
    _spot("glass_break", r"\b(shatters?|shattered|smash(es|ed)?)\b", "sfx", "glass shatter"),
    _spot("impact", r"\b(crash(es|ed)?|slams? into|collides?|impact)\b", "sfx", "impact boom"),
    _spot("magic", r"\b(magic(al)?|spell|glows?|glowing|shimmers?|sparkles?|enchanted)\b", "sfx", "magic shimmer"),
    _spot("whoosh", r"\b(swings?|throws?|hurls?|flies|flying|leaps?|lunges?|swoops?)\b", "sfx", "whoosh"),
)


@dataclass
class SpottedEvent:
    spot: Spot
    fraction: float  # where in the shot's own time the event happens, 0..1
    evidence: str  # the words that triggered it
    query: str


def spot_events(plan: ShotPlan, sketch_effects: list[str]) -> list[SpottedEvent]:
    """Events in a shot: action text first (what moves), then the prompt, then the sketch effects.

    The event's time follows where its words sit in the action (an early verb -> early in the
    shot); effects from the scene's sound sketch refine the query ("footsteps on gravel").
    """
    found: dict[str, SpottedEvent] = {}
    for text in (plan.action, plan.prompt):
        if not text:
            continue
        taken: list[tuple[int, int]] = []  # words already claimed by a more specific spot
        for spot in SPOTS:
            if spot.name in found:
                continue
            m = next((m for m in spot.pattern.finditer(text)
                      if all(m.end() <= a or m.start() >= b for a, b in taken)), None)
            if m is None:
                continue
            taken.append(m.span())
            frac = 0.1 + 0.7 * (m.start() / max(1, len(text)))
            found[spot.name] = SpottedEvent(spot, frac, m.group(0), spot.query)
    for effect in sketch_effects:
        for spot in SPOTS:
            if spot.pattern.search(effect) and spot.name in found:
                found[spot.name].query = effect  # the sketch names the surface or the source
                break
    # Time-ordered, capped: a shot with everything in it sounds like nothing.
    events = sorted(found.values(), key=lambda e: (e.fraction, e.spot.name))
    return events[:MAX_EVENTS_PER_SHOT]


def _unplaced_effects(block: SceneBlock, plans: list[ShotPlan]) -> list[tuple[str, Spot]]:
    """Sketch effects no shot text mentions: they go into the scene's first surviving shot."""
    out: list[tuple[str, Spot]] = []
    for effect in block.sound_sketch.effects:
        spot = next((s for s in SPOTS if s.pattern.search(effect)), None)
        if spot is None:
            continue
        if not any(spot.pattern.search(f"{p.action} {p.prompt}") for p in plans):
            out.append((effect, spot))
    return out


class ShotSoundEvent(BaseModel):
    """One sound a multimodal model hears in a shot's keyframe (the vision spotter's answer)."""

    sound: str = Field(min_length=2, max_length=80)  # e.g. "door slam", "footsteps on gravel"
    kind: Literal["foley", "sfx"]
    at: float = Field(ge=0, le=1)  # where in the shot, as a fraction of its length
    loop: bool = False  # a series (footsteps, rain) that fills the rest of the shot


class ShotSoundEvents(BaseModel):
    events: list[ShotSoundEvent] = Field(max_length=MAX_EVENTS_PER_SHOT)


EventSpotter = Callable[[ShotPlan], list[SpottedEvent]]

VISION_SPOTTING = ("You are a film sound designer spotting foley and sound effects. Look at the keyframe of this "
                   "shot and read its plan; list at most three sounds the picture calls for (foley: what bodies "
                   "and props make; sfx: everything else), each with where it happens in the shot (0-1).")


def vision_spotter(judge: VisionJudge, keyframe_for: Callable[[ShotPlan], Path]) -> EventSpotter:
    """Intra-shot spotting by a multimodal model (``judge.judge_json``) from each shot's keyframe."""
    def spot(plan: ShotPlan) -> list[SpottedEvent]:
        frame = Keyframe(path=keyframe_for(plan), timecode_s=plan.camera.duration_s / 2, shot_id=plan.shot_id)
        text = json.dumps({"shot_id": plan.shot_id, "prompt": plan.prompt, "action": plan.action,
                           "duration_s": plan.camera.duration_s}, ensure_ascii=False)
        answer = judge.judge_json(VISION_SPOTTING, text, [frame], ShotSoundEvents)
        return [SpottedEvent(Spot(re.sub(r"\W+", "_", e.sound.lower()).strip("_"), re.compile(re.escape(e.sound)),
                                  e.kind, e.sound, e.loop), e.at, "keyframe", e.sound) for e in answer.events]
    return spot


def _event_cues(lock: PictureLock, blocks: dict[str, SceneBlock], plans: dict[str, ShotPlan], search: LibrarySearch,
                spotter: EventSpotter | None = None) -> list[AudioCue]:
    cues: list[AudioCue] = []
    decisions = sorted(lock.decisions, key=lambda d: d.record_in)
    first_in_scene: dict[str, str] = {}
    for d in decisions:
        first_in_scene.setdefault(d.scene_id, d.shot_id)
    for d in decisions:
        plan = plans[d.shot_id]
        block = blocks[d.scene_id]
        events = spotter(plan) if spotter else spot_events(plan, block.sound_sketch.effects)
        if first_in_scene[d.scene_id] == d.shot_id:
            surviving = [plans[x.shot_id] for x in decisions if x.scene_id == d.scene_id]
            for effect, spot in _unplaced_effects(block, surviving):
                if all(e.spot.name != spot.name for e in events) and len(events) < MAX_EVENTS_PER_SHOT:
                    events.append(SpottedEvent(spot, 0.5, effect, effect))
        clip_len = plan.camera.duration_s
        for event in events:
            hit = _best(search, event.query, event.spot.kind)
            if hit is None:
                continue
            # event time in the clip's own time -> record time through the edit (trim, speed)
            src_t = event.fraction * clip_len
            rec_t = (src_t - d.source_in) / d.speed
            rec_t = min(max(rec_t, 0.1 * d.duration), 0.85 * d.duration)
            start = d.record_in + rec_t
            remaining = d.record_out - start
            if event.spot.loop:
                length = max(0.3, remaining)
            else:
                length = min(hit.asset.duration_s, remaining + 1.0)
            length = min(length, lock.runtime_s - start)
            if length < 0.1:
                continue
            cues.append(AudioCue(
                cue_id=f"{event.spot.kind}_{d.shot_id}_{event.spot.name}", stem=event.spot.kind,  # type: ignore[arg-type]
                source_path=hit.asset.path, record_in=round(start, 3), duration=round(length, 3),
                loop=event.spot.loop and length > hit.asset.duration_s,
                fade_out=round(min(0.15, length / 3), 3) if (event.spot.loop or length < hit.asset.duration_s) else 0.0,
                scene_id=d.scene_id, shot_id=d.shot_id,
                description=f"{event.spot.name.replace('_', ' ')} at {start:.1f}s from '{event.evidence}': {hit.asset.description}",
                library_id=hit.asset.asset_id,
            ))
    return cues


# --- the cue sheet -------------------------------------------------------------------------

def design_sound(
    lock: PictureLock,
    scenes: SceneBlocks,
    plans: dict[str, ShotPlan],
    search: LibrarySearch,
    voice: VoiceModel,
    vo_dir: Path,
    spotter: EventSpotter | None = None,
) -> CueSheet:
    """Ambience and music per scene span, VO per shot, foley/SFX events inside shots (spotted from the
    shot plan's words, or by ``spotter``, e.g. a multimodal model looking at keyframes)."""
    if not lock.decisions:
        raise ValueError(f"picture lock of {lock.film_id} has no shots: nothing to design sound for")
    blocks = {s.scene_id: s for s in scenes.scenes}
    for d in lock.decisions:
        if d.scene_id not in blocks:
            raise ValueError(f"shot {d.shot_id} on the picture lock belongs to scene {d.scene_id}, missing from the scene blocks")
        if d.shot_id not in plans:
            raise ValueError(f"shot {d.shot_id} on the picture lock has no shot plan: re-plan scene {d.scene_id}")
    timeline = [(d.shot_id, d.scene_id, d.record_in, d.duration) for d in sorted(lock.decisions, key=lambda d: d.record_in)]
    spans = scene_spans(lock)
    cues = _bed_cues(spans, blocks, search, lock.runtime_s, split_edits(lock, spans))
    ordered = sorted(lock.decisions, key=lambda d: d.record_in)
    cues += place_voice_over(timeline, scenes, plans, voice, vo_dir,
                             leads={d.shot_id: d.sound_lead_s for d in ordered if d.sound_lead_s},
                             trails={a.shot_id: b.sound_trail_s for a, b in zip(ordered, ordered[1:]) if b.sound_trail_s})
    cues += _event_cues(lock, blocks, plans, search, spotter)
    cues = [c for c in cues if c.record_in < lock.runtime_s]
    cues.sort(key=lambda c: (c.record_in, c.stem, c.cue_id))
    return CueSheet(film_id=lock.film_id, runtime_s=lock.runtime_s, cues=cues)
