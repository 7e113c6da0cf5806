"""The offline FilmEval judge: measured proxies for each criterion, mapped to 1-5.

The paper's judge is a multimodal LLM. Offline, we measure what the artifacts let us measure
and say so; what we cannot see is None with the reason. Every CriterionScore carries the raw
numbers it came from in ``measurement``.

Mapping: ``lin(x, a, b)`` is piecewise linear, 1 at ``x = a`` and 5 at ``x = b`` (a > b when
less is better), clamped to 1-5. A criterion built from several parts is the mean of the parts.

| code | measured proxy (parts)                                               | 1 at   | 5 at   |
| ---- | -------------------------------------------------------------------- | ------ | ------ |
| SF   | cosine(request, scene objectives + headings) [embedder only]          | 0.15   | 0.65   |
|      | share of synopsis characters + locations present in scene blocks      | 0      | 1      |
|      | share of request content words found in the scene blocks              | 0      | 0.8    |
| NC   | share of synopsis sentences matched by a scene (cos >= 0.35 embedder, | 0      | 1      |
|      |   word overlap >= 0.2 lexical)                                        |        |        |
|      | share of matched sentence pairs whose scenes are in the same order    | 0      | 1      |
|      | share of consecutive scenes linked by a character or location         | 0      | 1      |
| VQ   | frame height (px)                                                     | 240    | 1080   |
|      | share of runtime black (ffmpeg blackdetect, pix_th 0.10, >= 0.1 s)    | 0.25   | 0      |
|      | share of runtime frozen (ffmpeg freezedetect, -60 dB, >= 1 s)         | 0.6    | 0      |
| CC   | share of shot character mentions naming a synopsis character          | 0      | 1      |
|      | share of those mentions also listed by the shot's scene block         | 0      | 1      |
|      | (names decide which reference image a shot receives; rendered faces   |        |        |
|      |  are not inspected)                                                   |        |        |
| PLC  | None: needs a vision judge                                            |        |        |
| VAQ  | master loudness error |measured - target| (LU)                         | 4      | 0.5    |
|      | mean stem loudness error over stems with a target and a measurement   | 6      | 1      |
|      | master true peak (dBTP)                                               | +1     | -1     |
|      | share of master samples at full scale (clipping), if the file exists  | 0.001  | 0      |
| CT   | share of distinct set-ups (size, movement, angle) among cut shots     | 0      | 1      |
|      | share of scenes opening on full or wider                              | 0      | 1      |
|      | share of consecutive shots with a changed set-up                      | 0      | 1      |
|      | share of multi-shot scenes that tighten (last shot closer than first) | 0      | 1      |
| AVR  | active stems (with cues) out of five                                  | 0      | 5      |
|      | cues per minute                                                       | 2      | 12     |
|      | distinct camera movements / min(5, shots)                             | 0      | 1      |
| NP   | average shot length: distance outside the profile range, relative     | 0.5    | 0      |
|      | share of shots whose length is inside the profile range               | 0      | 1      |
|      | runtime: distance outside the profile range, relative                 | 0.5    | 0      |
| VAC  | share of cues aligned: shot cues inside their shot (2-frame slack),   | 0      | 1      |
|      |   scene cues starting inside their scene's span (a bed may pre-lap    |        |        |
|      |   the cut by up to 0.5 s; scene VO must also end inside the scene),   |        |        |
|      |   film-wide cues starting within 2 frames of a shot boundary          |        |        |
| CD   | None: engagement needs a viewer (not measured offline)                |        |        |
| OQ   | derived: mean of the measured SF, NC, VQ, CC, PLC, VAQ, CT, AVR, NP,  |        |        |
|      |   VAC (documented as derived in its measurement)                      |        |        |
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

import numpy as np

from evaluation.criteria import BY_CODE, derive
from evaluation.film_media import clipped_share, measure_cuts, measure_picture, measure_track
from filmcraft.contracts import (
    SHOT_SIZES, STEMS, AudienceProfile, CriterionScore, CueSheet, FilmEvalScores, MixReport,
    PictureLock, RenderManifest, SceneBlocks, ShotPlan, Synopsis,
)
from filmcraft.roles import Embedder

JUDGE_NAME = "offline-measured-proxies-v1"
NOT_OFFLINE = "not measured offline"

_STOP = set(
    "a an the and or but if then so of to in on at by for with from into onto over under about "
    "after before while when where who whom whose which that this these those there here it its "
    "is are was were be been being has have had do does did not no nor as than too very can "
    "will would should could may might must shall his her their our your my he she they we you "
    "i me him them us one two some any all each every more most other such only own same just "
    "also back down up out off again once through during between against".split()
)
_WORD = re.compile(r"[a-z][a-z'-]+")
_SENT = re.compile(r"(?<=[.!?])\s+")
PRELAP_S = 0.5  # how far a scene's ambience or music may lead its first cut and still count as on it


@dataclass
class FilmEvalInputs:
    """A film's artifacts for the judge. The pipeline gives all of them; a film scored from its folder
    (``evaluation.film_folder``) or a bare MP4 may lack the plan files: a criterion that needs a missing
    one is not measured, and says which file it needed."""

    film_id: str
    request_text: str
    synopsis: Synopsis | None
    scenes: SceneBlocks | None
    plans: list[ShotPlan] | None
    lock: PictureLock | None
    cues: CueSheet | None
    mix: MixReport | None
    final_video: Path
    profile: AudienceProfile | None
    embedder: Embedder | None = None
    # what each shot of the cut drew (the previs writes one per clip); None when the picture's content
    # is unknown (a video backend without manifests, a film made elsewhere)
    manifests: list[RenderManifest] | None = None


def lin(x: float, at1: float, at5: float) -> float:
    """1 at ``at1``, 5 at ``at5``, linear between, clamped to 1-5."""
    t = (x - at1) / (at5 - at1)
    return 1.0 + 4.0 * min(1.0, max(0.0, t))


def _stem(word: str) -> str:
    """A light suffix strip so "keeps", "keeper" and "keeping" meet (no stemmer dependency)."""
    for suffix in ("ing", "ed", "es", "er", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _words(text: str) -> set[str]:
    return {_stem(w.strip("'-")) for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOP}


def _overlap(a: str, b: str) -> float:
    """Share of the smaller word set found in the other (overlap coefficient)."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


class _Similarity:
    """Cosine with the embedder when there is one, else lexical overlap; remembers which."""

    def __init__(self, embedder: Embedder | None):
        self.embedder = embedder
        self.kind = f"embedder:{embedder.name}" if embedder is not None else "lexical"
        self.match_threshold = 0.35 if embedder is not None else 0.2

    def matrix(self, a: list[str], b: list[str]) -> np.ndarray:
        if not a or not b:
            return np.zeros((len(a), len(b)), dtype=np.float32)
        if self.embedder is None:
            return np.array([[_overlap(x, y) for y in b] for x in a], dtype=np.float32)
        va = np.asarray(self.embedder.encode(a), dtype=np.float32)
        vb = np.asarray(self.embedder.encode(b), dtype=np.float32)
        return va @ vb.T


# A proxy reads the plan or the cue sheet, not the picture or the sound the film has: it cannot see
# the film at its best, so it never gives more than this (no unearned fives).
PROXY_CAP = 4.0


def _score(criterion_code: str, parts: list[float], reason: str, measurement: dict, basis: str = "measured",
           cap: float | None = None) -> CriterionScore:
    raw = min(5.0, max(1.0, fmean(parts))) if parts else None
    # a cap rescales 1-5 onto 1-cap rather than clipping, so a proxy still tells worse from better
    value = None if raw is None else round(raw if cap is None else 1.0 + (raw - 1.0) * (cap - 1.0) / 4.0, 2)
    clean = {k: (float(v) if isinstance(v, (bool, int, np.floating, np.integer)) else v) for k, v in measurement.items()}
    if cap is not None:
        reason += f" (a {basis}: its 1-5 is scaled onto 1-{cap:g})"
    return CriterionScore(criterion=BY_CODE[criterion_code], score=value, reason=reason, measurement=clean,
                          basis=basis, cap=cap)


def _proxy(code: str, parts: list[float], reason: str, measurement: dict) -> CriterionScore:
    return _score(code, parts, reason, measurement, basis="proxy", cap=PROXY_CAP)


def _none(code: str, reason: str, measurement: dict | None = None) -> CriterionScore:
    return CriterionScore(criterion=BY_CODE[code], score=None, reason=reason, measurement=measurement or {},
                          basis="not measured")


def _scene_text(scenes: SceneBlocks) -> list[str]:
    out = []
    for s in scenes.scenes:
        bits = [s.heading, s.location, s.narrative_objective, " ".join(s.characters), " ".join(s.key_visual_elements)]
        bits += [p.prompt + " " + p.action for p in s.shots]
        out.append(". ".join(b for b in bits if b))
    return out


# --- script -------------------------------------------------------------------------------

def _sf(inp: FilmEvalInputs, sim: _Similarity) -> CriterionScore:
    scenes = inp.scenes.scenes
    if not scenes:
        return _none("SF", "the film has no scene blocks to compare with the request")
    parts, m = [], {"similarity": sim.kind}
    if sim.embedder is not None:
        objectives = " ".join(f"{s.heading}. {s.narrative_objective}" for s in scenes)
        cos = float(sim.matrix([inp.request_text], [objectives])[0, 0])
        m["request_objectives_cosine"] = round(cos, 4)
        parts.append(lin(cos, 0.15, 0.65))
    scene_chars = {c.lower() for s in scenes for c in s.characters}
    scene_locs = " ".join(s.location.lower() + " " + s.heading.lower() for s in scenes)
    named = [(c.name, c.name.lower() in scene_chars) for c in inp.synopsis.characters]
    named += [(loc.name, loc.name.lower() in scene_locs or bool(_words(loc.name) & _words(scene_locs)))
              for loc in inp.synopsis.locations]
    if named:
        coverage = sum(found for _, found in named) / len(named)
        m["named_entities"] = float(len(named))
        m["named_entity_coverage"] = round(coverage, 4)
        m["missing_entities"] = ", ".join(n for n, found in named if not found) or None
        parts.append(lin(coverage, 0.0, 1.0))
    request_words = _words(inp.request_text)
    if request_words:
        film_words = set().union(*(_words(t) for t in _scene_text(inp.scenes)))
        kw = len(request_words & film_words) / len(request_words)
        m["request_word_coverage"] = round(kw, 4)
        parts.append(lin(kw, 0.0, 0.8))
    if inp.manifests is None or inp.lock is None or inp.plans is None:
        return _proxy("SF", parts, "request vs scene blocks (the picture's content is unknown: no render "
                      "manifests): " + ", ".join(k for k in m if k != "similarity"), m)
    shown = _shown(inp)
    m.update(shown)
    parts += [lin(shown["request_shown_share"], 0.3, 1.0)] * 2  # what is seen weighs double
    return _score("SF", parts, "request vs scene blocks, and the request's places, people and things seen in the "
                  "cut's shots (render manifests)", m)


_NAME_RUN = re.compile(r"\b[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)*")


def _request_names(text: str) -> list[str]:
    """Capitalised runs inside the request's sentences (not a sentence's first word, not a title such as
    "Dr"): the names it gives, longest first, a run inside a longer one ("Prince" of "Little Prince") dropped."""
    from filmcraft.director.lexicon import TITLES

    runs = {re.sub(r"'s?$", "", m.group(0)) for sentence in _SENT.split(text.strip())
            for m in _NAME_RUN.finditer(sentence) if m.start() > 0 and m.group(0) not in TITLES}
    ordered = sorted(runs, key=len, reverse=True)
    return [r for i, r in enumerate(ordered) if not any(r in longer.split() for longer in ordered[:i])]


def _place_drawn(drawn_kind: str, place: str, heading: str) -> bool:
    """A shot shows its place when its plate is a recognisable kind, the kind the place's own name says
    (any kind when the name says none), and inside or outside as the scene heading says: an EXT. CHURCH
    ROOF painted as the church's nave is the wrong place."""
    from filmcraft.references.places import INTERIOR_KINDS, location_kind

    if drawn_kind == "generic":
        return False
    named = location_kind(place)
    if named != "generic" and drawn_kind != named:
        return False
    return not (heading.strip().upper().startswith("EXT") and drawn_kind in INTERIOR_KINDS)


def _shown(inp: FilmEvalInputs) -> dict:
    """Which of the request's people, places and things the cut's shots drew (its render manifests)."""
    from filmcraft.director.script.setting import things_in

    cut = {d.shot_id for d in inp.lock.decisions}
    plans = {p.shot_id: p for p in inp.plans}
    headings = {s.scene_id: s.heading for s in inp.scenes.scenes}
    drawn_things: set[str] = set()
    drawn_people: set[str] = set()
    placed: set[str] = set()
    for man in inp.manifests or []:
        if man.shot_id not in cut:
            continue
        drawn_things |= {_stem(w) for p in man.props for w in _WORD.findall(p.noun.lower())}
        drawn_people |= {f.name.lower() for f in man.figures}
        plan = plans.get(man.shot_id)
        if plan is not None and _place_drawn(man.location_kind, plan.location, headings.get(plan.scene_id, "")):
            placed.add(plan.location.lower())
    things = things_in(inp.request_text)
    people = [c.name for c in inp.synopsis.characters]
    places = [loc.name for loc in inp.synopsis.locations]
    # the request's own names, not only the cast the writer kept: a named character the film recast as
    # someone else ("the Little Prince" drawn as "the astronaut") is not shown
    settings = " ".join([*places, *(s.heading for s in inp.scenes.scenes)]).lower()
    known = " ".join(people).lower()
    people += [n for n in _request_names(inp.request_text) if n.lower() not in settings and n.lower() not in known]
    missing = [t for t in things if _stem(t) not in drawn_things]
    missing += [c for c in people if not any(c.lower() in d or d in c.lower() for d in drawn_people)]
    missing += [pl for pl in places if pl.lower() not in placed]
    total = len(things) + len(people) + len(places)
    share = 1.0 if total == 0 else (total - len(missing)) / total
    return {"request_things": float(len(things)), "request_shown_share": round(share, 4),
            "request_not_shown": ", ".join(missing) or None}


def _nc(inp: FilmEvalInputs, sim: _Similarity) -> CriterionScore:
    scenes = inp.scenes.scenes
    if not scenes:
        return _none("NC", "the film has no scene blocks")
    sentences = [s.strip() for s in _SENT.split(inp.synopsis.synopsis.strip()) if len(_words(s)) >= 2]
    parts, m = [], {"similarity": sim.kind, "scenes": float(len(scenes))}
    if sentences:
        objectives = [f"{s.narrative_objective} {' '.join(p.action for p in s.shots)}" for s in scenes]
        mat = sim.matrix(sentences, objectives)
        best = mat.argmax(axis=1)
        matched = [(i, int(best[i])) for i in range(len(sentences)) if mat[i, best[i]] >= sim.match_threshold]
        coverage = len(matched) / len(sentences)
        pairs = [(a, b) for k, a in enumerate(matched) for b in matched[k + 1:]]
        in_order = sum(1 for (_, sa), (_, sb) in pairs if sa <= sb) / len(pairs) if pairs else None
        m.update(synopsis_sentences=float(len(sentences)), beat_coverage=round(coverage, 4),
                 causal_order_agreement=None if in_order is None else round(in_order, 4))
        parts.append(lin(coverage, 0.0, 1.0))
        if in_order is not None:
            parts += [lin(in_order, 0.0, 1.0)] * 2  # the story's order is what coherence is most about
    if len(scenes) > 1:
        linked = sum(
            1 for a, b in zip(scenes, scenes[1:])
            if {c.lower() for c in a.characters} & {c.lower() for c in b.characters} or a.location.lower() == b.location.lower()
        ) / (len(scenes) - 1)
        m["scene_continuity"] = round(linked, 4)
        parts.append(lin(linked, 0.0, 1.0))
    return _proxy("NC", parts, "synopsis beats covered by scene blocks, their order, and scene-to-scene links "
                  "(the plan, not the picture)", m)


# --- picture ------------------------------------------------------------------------------

def _vq(inp: FilmEvalInputs) -> CriterionScore:
    m = measure_picture(Path(inp.final_video))
    parts = [lin(m["height"], 240, 1080), lin(m["black_share"], 0.25, 0.0), lin(m["frozen_share"], 0.6, 0.0)]
    return _proxy("VQ", parts, "resolution, black and frozen time measured on the final render (no perceptual "
                  "picture-quality model offline: sharpness, artefacts and looks are not judged)", m)


def _cut_plans(inp: FilmEvalInputs) -> list[ShotPlan]:
    if inp.plans is None or inp.lock is None:
        return []
    by_id = {p.shot_id: p for p in inp.plans}
    return [by_id[d.shot_id] for d in inp.lock.decisions if d.shot_id in by_id]


def _cc(inp: FilmEvalInputs) -> CriterionScore:
    known = {c.name.lower() for c in inp.synopsis.characters}
    scene_cast = {s.scene_id: {c.lower() for c in s.characters} for s in inp.scenes.scenes}
    mentions = [(p.scene_id, c.lower()) for p in _cut_plans(inp) for c in p.characters]
    if not mentions:
        return _none("CC", "no character appears in the cut's shot plans: nothing to keep consistent")
    resolved = sum(1 for _, c in mentions if c in known) / len(mentions)
    in_scene = sum(1 for s, c in mentions if c in scene_cast.get(s, set())) / len(mentions)
    stray = sorted({c for _, c in mentions if c not in known})
    m = {"mentions": float(len(mentions)), "characters": float(len({c for _, c in mentions})),
         "resolved_share": round(resolved, 4), "scene_cast_share": round(in_scene, 4),
         "unresolved_names": ", ".join(stray) or None}
    return _none("CC", f"{NOT_OFFLINE}: faces in the rendered frames are not inspected; the measurement is the "
                 "identity bookkeeping (shots name known characters, each drawn from one reference image)", m)


# --- sound --------------------------------------------------------------------------------

def _clipping_share(master: Path) -> float | None:
    try:
        import soundfile as sf

        data, _ = sf.read(str(master), dtype="float32", always_2d=True)
    except Exception:  # unreadable or absent master: the report's numbers still stand
        return None
    return clipped_share(data) if data.size else None


def _vaq(inp: FilmEvalInputs) -> CriterionScore:
    mix = inp.mix
    if mix is None:
        return _vaq_of_track(inp)
    master_err = abs(mix.master_lufs - mix.master_target_lufs)
    stem_errs = {s.stem: abs(s.measured_lufs - s.target_lufs) for s in mix.stems
                 if s.target_lufs is not None and s.measured_lufs is not None}
    parts = [lin(master_err, 4.0, 0.5), lin(mix.master_true_peak_dbtp, 1.0, -1.0)]
    m: dict = {"master_lufs": mix.master_lufs, "master_target_lufs": mix.master_target_lufs,
               "master_error_lu": round(master_err, 3), "master_true_peak_dbtp": mix.master_true_peak_dbtp,
               "silent_stems": ", ".join(s.stem for s in mix.stems if s.measured_lufs is None) or None}
    if stem_errs:
        mean_err = fmean(stem_errs.values())
        m["stem_mean_error_lu"] = round(mean_err, 3)
        m.update({f"{k}_error_lu": round(v, 3) for k, v in stem_errs.items()})
        parts.append(lin(mean_err, 6.0, 1.0))
    clip = _clipping_share(Path(mix.master_path))
    m["clipped_sample_share"] = None if clip is None else round(clip, 6)
    if clip is not None:
        parts.append(lin(clip, 0.001, 0.0))
    return _proxy("VAQ", parts, "loudness vs targets, true peak and clipping of the mix (how voices and sounds "
                  "sound, intelligibility and timbre, is not heard offline)", m)


def _vaq_of_track(inp: FilmEvalInputs) -> CriterionScore:
    """A film with no mix report (made elsewhere): its own audio track, measured against the delivery targets."""
    from filmcraft.mixer import MixTargets

    targets = MixTargets()
    m = measure_track(Path(inp.final_video))
    if not m:
        return _proxy("VAQ", [1.0], "the film has no audio track: nothing to hear", {"audio_track": "none"})
    if m["track_lufs"] is None:
        return _proxy("VAQ", [1.0], "the film's audio track is silent", dict(m))
    err = abs(m["track_lufs"] - targets.master)
    m = {**m, "target_lufs": targets.master, "error_lu": round(err, 3)}
    parts = [lin(err, 4.0, 0.5), lin(m["track_true_peak_dbtp"], 1.0, targets.true_peak), lin(m["clipped_sample_share"], 0.001, 0.0)]
    return _proxy("VAQ", parts, f"loudness vs the {targets.master:g} LUFS delivery target, true peak and clipping of the "
                  "film's own audio track (no mix report, so no stem levels; how voices and sounds sound is not "
                  "heard offline)", m)


def _ct(inp: FilmEvalInputs) -> CriterionScore:
    plans = _cut_plans(inp)
    if not plans:
        return _none("CT", "no shot plans match the picture lock's shots")
    setups = [(p.camera.shot_size, p.camera.movement, p.camera.angle) for p in plans]
    distinct = len(set(setups)) / len(setups)
    by_scene: dict[str, list[ShotPlan]] = {}
    for p in plans:
        by_scene.setdefault(p.scene_id, []).append(p)
    size = SHOT_SIZES.index
    establishing = sum(1 for ps in by_scene.values() if size(ps[0].camera.shot_size) <= size("full")) / len(by_scene)
    changes = sum(1 for a, b in zip(setups, setups[1:]) if a != b) / (len(setups) - 1) if len(setups) > 1 else 1.0
    multi = [ps for ps in by_scene.values() if len(ps) > 1]
    tighten = sum(1 for ps in multi if size(ps[-1].camera.shot_size) > size(ps[0].camera.shot_size)) / len(multi) if multi else None
    parts = [lin(distinct, 0, 1), lin(establishing, 0, 1), lin(changes, 0, 1)]
    if tighten is not None:
        parts.append(lin(tighten, 0, 1))
    m = {"shots": float(len(plans)), "distinct_setup_share": round(distinct, 4),
         "establishing_open_share": round(establishing, 4), "setup_change_share": round(changes, 4),
         "tightening_scene_share": None if tighten is None else round(tighten, 4),
         "movements": float(len({p.camera.movement for p in plans})),
         "lenses": float(len({p.camera.lens_mm for p in plans}))}
    reason = "set-up variety, establishing openings, cut-to-cut change, wide-to-close progression"
    if inp.manifests is None:
        return _proxy("CT", parts, reason + " of the shot plans (the picture's camera is not seen)", m)
    return _score("CT", parts, reason + " (the previs draws each planned set-up)", m)


def _avr(inp: FilmEvalInputs) -> CriterionScore:
    active = [s for s in STEMS if any(c.stem == s for c in inp.cues.cues)]
    runtime = max(inp.lock.runtime_s, 1e-6)
    per_min = len(inp.cues.cues) / (runtime / 60.0)
    # density per shot, not per minute: richness is how much sound each picture gets, whatever the pacing
    per_shot = len(inp.cues.cues) / max(1, len(inp.lock.decisions))
    parts = [lin(len(active), 0, 5), lin(per_shot, 0.5, 3.0)]
    m = {"active_stems": float(len(active)), "active_stem_names": ", ".join(active) or None,
         "cues": float(len(inp.cues.cues)), "cues_per_shot": round(per_shot, 3), "cues_per_minute": round(per_min, 3)}
    # the camera's variety is camera technique's (CT): counting it here too made one defect cost two criteria
    return _score("AVR", parts, "sound layers in use and cue density per shot (the picture's richness is not "
                  "measured offline)", m)


def _outside(x: float, lo: float, hi: float) -> float:
    """Relative distance of ``x`` outside [lo, hi] (0 inside)."""
    if lo <= x <= hi:
        return 0.0
    edge = lo if x < lo else hi
    return abs(x - edge) / max(edge, 1e-6)


def _np(inp: FilmEvalInputs) -> CriterionScore:
    from filmcraft.director.audience import get_profile

    profile = inp.profile or get_profile("general")
    if inp.lock is not None:
        durations, runtime = [d.duration for d in inp.lock.decisions], inp.lock.runtime_s
        basis = f"shot lengths and runtime vs the {profile.name} profile"
    else:  # a film made elsewhere: its hard cuts, found in the picture
        cuts = measure_cuts(Path(inp.final_video))
        durations, runtime = list(cuts["shot_lengths_s"]), cuts["runtime_s"]
        basis = (f"shot lengths (hard cuts detected in the picture; dissolves and fades are not seen) and runtime vs "
                 f"the {profile.name} profile" + ("" if inp.profile else " (no audience profile given: general)"))
    if not durations:
        return _none("NP", "the picture lock has no shots")
    lo, hi = profile.shot_length_s
    rlo, rhi = profile.runtime_s
    asl = fmean(durations)
    asl_dev, run_dev = _outside(asl, lo, hi), _outside(runtime, rlo, rhi)
    in_range = sum(1 for d in durations if lo <= d <= hi) / len(durations)
    m = {"average_shot_length_s": round(asl, 3), "profile_shot_length_lo_s": lo, "profile_shot_length_hi_s": hi,
         "asl_relative_deviation": round(asl_dev, 4), "shots_in_range_share": round(in_range, 4),
         "shots": float(len(durations)), "runtime_s": runtime, "profile_runtime_lo_s": rlo, "profile_runtime_hi_s": rhi,
         "runtime_relative_deviation": round(run_dev, 4),
         "shot_length_cv": round(float(np.std(durations) / asl), 4) if asl > 0 else None}
    parts = [lin(asl_dev, 0.5, 0.0), lin(in_range, 0, 1), lin(run_dev, 0.5, 0.0)]
    return _score("NP", parts, basis, m)


def _vac(inp: FilmEvalInputs) -> CriterionScore:
    cues = inp.cues.cues
    if not cues:
        return _none("VAC", "the cue sheet is empty: no sound to coordinate with the picture")
    slack = 2.0 / inp.lock.fps
    shots = {d.shot_id: (d.record_in, d.record_out) for d in inp.lock.decisions}
    boundaries = sorted({b for span in shots.values() for b in span} | {0.0, inp.lock.runtime_s})
    # A scene may sit on the timeline in several runs when the edit reordered it.
    scene_runs: dict[str, list[tuple[float, float]]] = {}
    for d in sorted(inp.lock.decisions, key=lambda d: d.record_in):
        runs = scene_runs.setdefault(d.scene_id, [])
        if runs and abs(runs[-1][1] - d.record_in) <= slack:
            runs[-1] = (runs[-1][0], d.record_out)
        else:
            runs.append((d.record_in, d.record_out))
    aligned, shot_cues, scene_cues, off = 0, 0, 0, []
    for c in cues:
        if c.shot_id is not None:
            shot_cues += 1
            span = shots.get(c.shot_id)
            inside = span is not None and span[0] - slack <= c.record_in < span[1]
            # spoken lines must also end inside their shot; effects may ring over the cut
            if inside and c.stem == "vo":
                inside = c.record_in + c.duration <= span[1] + slack
        elif c.scene_id is not None:
            scene_cues += 1
            # a bed may pre-lap its scene's first cut (a sound bridge); narration must stay in its scene
            lead = slack if c.stem == "vo" else max(slack, PRELAP_S)
            inside = any(a - lead <= c.record_in < b and (c.stem != "vo" or c.record_in + c.duration <= b + slack)
                         for a, b in scene_runs.get(c.scene_id, []))
        else:
            scene_cues += 1
            inside = any(abs(c.record_in - b) <= slack for b in boundaries)
        aligned += inside
        if not inside:
            off.append(c.cue_id)
    share = aligned / len(cues)
    m = {"cues": float(len(cues)), "shot_cues": float(shot_cues), "scene_cues": float(scene_cues),
         "aligned_share": round(share, 4), "misaligned_cues": ", ".join(off[:20]) or None,
         "slack_s": round(slack, 4)}
    return _proxy("VAC", [lin(share, 0, 1)], "shot cues inside their shot, scene cues inside their scene, "
                  "film-wide cues on a cut, from the cue sheet (sync in the rendered sound is not detected)", m)


# --- the judge ----------------------------------------------------------------------------

# what each criterion reads besides the final video, and the file a film folder keeps it in
NEEDS = {"SF": ("synopsis", "scenes"), "NC": ("synopsis", "scenes"), "CC": ("synopsis", "scenes", "plans", "lock"),
         "CT": ("plans", "lock"), "AVR": ("cues", "lock"),
         "VAC": ("cues", "lock")}
FILES = {"synopsis": "script/synopsis.json", "scenes": "scene_blocks.json", "plans": "shot_plans.json",
         "lock": "cut/picture_lock.json", "cues": "sound/cue_sheet.json", "mix": "mix_report.json",
         "profile": "script/audience_profile.json"}


def judge_offline(inputs: FilmEvalInputs) -> FilmEvalScores:
    """Score a finished film on the twelve FilmEval criteria from measurements of its artifacts."""
    lock, cues = inputs.lock, inputs.cues
    if (lock is not None and lock.film_id != inputs.film_id) or (cues is not None and cues.film_id != inputs.film_id):
        raise ValueError(
            f"judge inputs disagree on the film: film_id {inputs.film_id!r}, picture lock "
            f"{lock.film_id if lock else None!r}, cue sheet {cues.film_id if cues else None!r}: pass one film's artifacts"
        )
    sim = _Similarity(inputs.embedder)
    judges = {"SF": lambda: _sf(inputs, sim), "NC": lambda: _nc(inputs, sim), "VQ": lambda: _vq(inputs),
              "CC": lambda: _cc(inputs),
              "PLC": lambda: _none("PLC", f"{NOT_OFFLINE}: physical plausibility of motion needs a vision judge"),
              "VAQ": lambda: _vaq(inputs), "CT": lambda: _ct(inputs), "AVR": lambda: _avr(inputs),
              "NP": lambda: _np(inputs), "VAC": lambda: _vac(inputs),
              "CD": lambda: _none("CD", f"{NOT_OFFLINE}: how compelling a film is needs a viewer")}
    measured = {}
    for code, judge in judges.items():
        missing = [FILES[f] for f in NEEDS.get(code, ()) if getattr(inputs, f) is None]
        measured[code] = _none(code, "not measured: the film has no " + ", ".join(missing) +
                               " (the pipeline's plan files)") if missing else judge()
    base = {code: s.score for code, s in measured.items() if s.score is not None}
    if base:
        measured["OQ"] = _score("OQ", list(base.values()),
                                "derived: mean of the scored criteria " + ", ".join(base),
                                {"derived_from": ", ".join(base)}, basis="derived")
    else:
        measured["OQ"] = _none("OQ", f"{NOT_OFFLINE}: no criterion could be measured")
    cl, crh, average, derived_from = derive({code: s.score for code, s in measured.items()})
    order = ["SF", "NC", "VQ", "CC", "PLC", "VAQ", "CT", "AVR", "NP", "VAC", "CD", "OQ"]
    return FilmEvalScores(
        film_id=inputs.film_id,
        judge=f"{JUDGE_NAME} ({sim.kind})",
        criteria=[measured[c] for c in order],
        camera_language=None if cl is None else round(cl, 3),
        cinematic_rhythm=None if crh is None else round(crh, 3),
        average=None if average is None else round(average, 3),
        derived_from=derived_from,
    )
