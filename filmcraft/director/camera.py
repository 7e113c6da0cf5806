"""The offline cinematographer: plan all shots of a scene together from retrieved references.

Each shot's camera comes from attribute votes over the retrieved captions (weighted by retrieval
score and by how much the caption is about this shot's own action), bounded by scene-level film
grammar: establish first, tighten toward the emotional beat, never repeat a set-up, keep screen
direction, and pace action against quiet.
"""

from __future__ import annotations

import re
from collections import defaultdict

from filmcraft.camera_vocab import parse_camera_attributes
from filmcraft.contracts import (
    ANGLES, MOVEMENTS, SHOT_SIZES, CameraSpec, RetrievedReference, SceneBlock, SceneContinuity, ScenePlan,
    SceneReferences, ShotPlan, ShotPrompt,
)
from filmcraft.director import lexicon as lx
from filmcraft.grades import look_for

ACTION_WORDS = frozenset("""
chase chases chased chasing run runs ran running flee flees fled escape escapes escaped fight fights
fought battle attack attacks race races racing crash crashes shoot shoots explosion explodes jump
jumps pursue pursues pursuing showdown confrontation storm sprint sprints grabs hunt hunted tracking
""".split())
# what makes a single shot energetic whatever the scene's mood: a fall, a collapse, a fight with the
# weather; such a shot is handheld or tracked and cut short
ENERGY_WORDS = ACTION_WORDS | frozenset("""
fall falls fell falling collapse collapses collapsed collapsing crack cracks cracked cracking crumble crumbles
crumbling plunge plunges plunged tumble tumbles tumbling slip slips slid slide slides avalanche capsize capsizes
sink sinks sinking shatter shatters shattered struggle struggles struggling drag drags dragging haul hauls
lightning blizzard crashing leap leaps leaping dash dashes scramble scrambles ambush ambushed raid raiders
flood floods flooding burst bursts erupts eruption rushes rush dive dives dove swerves stumble stumbles
skis sprints races gallops charges
""".split())
ROUGH_WEATHER = frozenset({"storm", "blizzard"})
REVERSAL_WORDS = ("turns back", "turns around", "returns", "reverses", "doubles back", "back toward",
                  "back to", "retreats", "the other way")

# lens ranges by shot size (mm): wide 18-24, medium 35-50, close 85-135
LENS_RANGE = {"extreme_wide": (16, 20), "wide": (18, 24), "full": (24, 32), "medium_wide": (28, 35),
              "medium": (35, 50), "medium_close_up": (50, 85), "close_up": (85, 100),
              "extreme_close_up": (100, 135)}
SIZE_WORDS = {"extreme_wide": "extreme wide shot", "wide": "wide shot", "full": "full shot",
              "medium_wide": "medium wide shot", "medium": "medium shot",
              "medium_close_up": "medium close-up", "close_up": "close-up", "extreme_close_up": "extreme close-up"}
MOVE_WORDS = {"static": "locked-off", "push_in": "slow push-in", "pull_out": "pull-out", "pan_left": "pan left",
              "pan_right": "pan right", "tilt_up": "tilt up", "tilt_down": "tilt down",
              "truck_left": "tracking left", "truck_right": "tracking right", "crane_up": "crane up",
              "crane_down": "crane down", "orbit": "slow orbit", "handheld": "handheld"}
ANGLE_WORDS = {"eye_level": "eye level", "high": "high angle", "low": "low angle",
               "overhead": "overhead bird's-eye", "dutch": "Dutch angle"}
NIGHT_CLASH = {"natural daylight", "golden hour", "high-key", "bright"}
DAY_CLASH = {"moonlight"}


def scene_query(block: SceneBlock) -> str:
    """Spatio-temporal query text used to retrieve reference captions for this scene."""
    n = len(block.characters)
    who = "no people" if n == 0 else ("one person" if n == 1 else ("two people" if n == 2 else f"a group of {n} people"))
    actions = "; ".join(s.action for s in block.shots if s.action)[:300]
    inside = "interior" if block.heading.startswith("INT.") else "exterior"
    return (f"{inside} {block.location} at {block.time_of_day.replace('_', ' ')}, {block.mood} mood, {who}. "
            f"Action: {actions or block.narrative_objective}. "
            f"Elements: {', '.join(block.key_visual_elements)}.")


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in lx.words(text) if len(w) > 2 and w.lower() not in lx.STOP_WORDS}


def _ref_attributes(ref: RetrievedReference) -> dict[str, str]:
    """Structured fields when the corpus has them (validated), else parsed from the caption."""
    parsed = parse_camera_attributes(ref.text or "")
    fields = {k: v for k, v in (ref.fields or {}).items() if v}
    for key, vocab in (("shot_size", SHOT_SIZES), ("movement", MOVEMENTS), ("angle", ANGLES)):
        if key in fields:
            value = fields[key].strip().lower().replace(" ", "_").replace("-", "_")
            if value in vocab:
                parsed[key] = value
            else:
                # a free-text field ("dolly in") goes through the same vocabulary
                again = parse_camera_attributes(fields[key]).get(key)
                if again:
                    parsed[key] = again
    if "lens_mm" in fields:
        m = re.search(r"\d+(?:\.\d+)?", fields["lens_mm"])
        if m and 8 <= float(m.group(0)) <= 300:
            parsed["lens_mm"] = m.group(0)
    if fields.get("lighting"):
        parsed["lighting"] = parse_camera_attributes(fields["lighting"]).get("lighting", fields["lighting"])
    return parsed


class _Votes:
    """Weighted attribute votes for one shot, remembering which captions voted for what."""

    def __init__(self) -> None:
        self.weight: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.voters: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
        self.lens: list[tuple[float, float]] = []
        self.total = 0.0  # weight of every reference, so a lone voter cannot claim 100%

    def add(self, attrs: dict[str, str], w: float, caption_id: str) -> None:
        self.total += w
        for key in ("shot_size", "movement", "angle", "lighting"):
            if key in attrs:
                self.weight[key][attrs[key]] += w
                self.voters[(key, attrs[key])].append((w, caption_id))
        if "lens_mm" in attrs:
            self.lens.append((w, float(attrs["lens_mm"])))

    def share(self, key: str, value: str) -> float:
        return self.weight[key][value] / self.total if self.total else 0.0


def _scene_pace(block: SceneBlock) -> str:
    words = {w.lower() for s in block.shots for w in lx.words(s.action + " " + s.prompt)}
    words |= {w.lower() for w in lx.words(block.narrative_objective)}
    if block.mood in lx.ACTION_MOODS or len(words & ACTION_WORDS) >= 1 and block.mood not in lx.QUIET_MOODS:
        return "action"
    if block.mood in lx.QUIET_MOODS or block.mood in {"calm"}:
        return "quiet"
    return "measured"


def _shot_energy(shot: ShotPrompt, block: SceneBlock) -> str | None:
    """The word that makes this shot's action energetic ("collapses", "chases"), or the rough weather
    of an exterior it is out in; None for a calm shot. A metaphor image is never energetic."""
    if shot.kind == "metaphor":
        return None
    said = shot.action + " " + shot.prompt.split(". ")[0]
    # "falls in love", "falls asleep", "a rush of memories" are not falls or rushes
    said = re.sub(r"\b(?:fall|falls|fell|falling)\s+(?:in love|asleep|silent|ill|still|for)\b|\brush of\b", "", said,
                  flags=re.IGNORECASE)
    hit = next((w.lower() for w in lx.words(said) if w.lower() in ENERGY_WORDS), None)
    if hit:
        return hit
    if block.weather in ROUGH_WEATHER and shot.kind in ("establishing", "primary") \
            and not block.heading.startswith("INT."):
        return block.weather
    return None


_MOVE_PRIOR = {
    "action": {"handheld": 0.45, "truck_left": 0.35, "truck_right": 0.35, "pan_left": 0.2, "pan_right": 0.2,
               "push_in": 0.15, "static": 0.0, "orbit": 0.05},
    "quiet": {"static": 0.45, "push_in": 0.4, "pull_out": 0.2, "crane_up": 0.1, "crane_down": 0.1,
              "tilt_up": 0.05, "tilt_down": 0.05, "orbit": 0.05},
    "measured": {"static": 0.3, "push_in": 0.3, "pan_left": 0.2, "pan_right": 0.2, "truck_left": 0.15,
                 "truck_right": 0.15, "pull_out": 0.15, "crane_up": 0.1, "tilt_up": 0.1},
}
# moves a pace never uses: a quiet farewell is not shot handheld, a chase is not locked off
_MOVE_BANNED = {"action": {"static", "crane_down", "tilt_down"}, "quiet": {"handheld", "truck_left", "truck_right"},
                "measured": set()}
DURATION = {"action": (2.0, 3.5), "quiet": (4.0, 7.0), "measured": (3.0, 5.0)}


def _target_sizes(shots: list[ShotPrompt]) -> list[int]:
    """Shot-size index per shot: establish wide, then tighten toward the last primary."""
    primaries = [i for i, s in enumerate(shots) if s.kind == "primary"]
    out = []
    for i, s in enumerate(shots):
        if s.kind == "establishing":
            out.append(SHOT_SIZES.index("extreme_wide"))
        elif s.kind == "metaphor":
            out.append(SHOT_SIZES.index("close_up"))
        elif s.kind == "contextual":
            reacts = "react" in s.prompt.lower()
            out.append(SHOT_SIZES.index("medium_close_up" if reacts else "medium_wide"))
        else:
            k = primaries.index(i)
            n = len(primaries)
            # full -> medium -> close-up across the scene's primaries
            ladder = ["full", "medium", "medium_close_up", "close_up"] if n > 2 else (
                ["medium_wide", "close_up"] if n == 2 else ["medium"])
            pos = round(k * (len(ladder) - 1) / max(1, n - 1)) if n > 1 else 0
            out.append(SHOT_SIZES.index(ladder[min(pos, len(ladder) - 1)]))
    return out


def _grade(time_of_day: str, mood: str) -> str:
    return look_for(time_of_day, mood)  # one table for the plan's grade and the scene's LUT choice


def _default_lighting(block: SceneBlock) -> str:
    interior = block.heading.startswith("INT.")
    base = {"night": "low-key moonlight" if not interior else "low-key practical lamps",
            "dusk": "soft dusk light", "dawn": "soft dawn light",
            "golden_hour": "warm golden hour backlight",
            "day": "soft window light" if interior else "natural daylight"}[block.time_of_day]
    if block.mood in {"tense", "ominous", "eerie"}:
        base += ", hard shadows"
    return base


def _lighting_fits(light: str, time_of_day: str) -> bool:
    words = set(light.split(" ")) | {light}
    if time_of_day == "night":
        return not any(c in light for c in NIGHT_CLASH)
    if time_of_day in ("day", "golden_hour"):
        return not any(c in light for c in DAY_CLASH)
    return True


def _mirror(move: str) -> str:
    return move.replace("left", "@").replace("right", "left").replace("@", "right")


def replan_scene(block: SceneBlock, refs: SceneReferences, continuity: SceneContinuity | None = None) -> ScenePlan:
    """Plan every shot of ``block`` together.

    ``continuity`` says where and when the scene before played and whether this one ends the film;
    without it the last scene is the one whose objective resolves the story. Every shot's
    ``transition`` is a cut: the editor chooses transitions on the fine cut, where the shots' final
    order and lengths are known (``filmcraft.director.editor.choose_transitions``).
    """
    if not block.shots:
        raise ValueError(f"scene {block.scene_id} has no shots: run structure_scene_blocks to give it 2-5 shot prompts")
    if refs.scene_id != block.scene_id:
        raise ValueError(f"references are for scene {refs.scene_id!r} but the block is {block.scene_id!r}: "
                         "retrieve references with this scene's query")
    pace = _scene_pace(block)
    ref_attrs = [(r, _ref_attributes(r)) for r in refs.references]
    ref_attrs = [(r, a) for r, a in ref_attrs if a]
    ref_words = {r.caption_id: _content_words(r.text) for r, _ in ref_attrs}
    targets = _target_sizes(block.shots)
    reverse_ok = any(w in (s.action + " " + s.prompt).lower() for s in block.shots for w in REVERSAL_WORDS)
    screen_dir: str | None = None
    plans: list[ShotPlan] = []
    prev_setup: tuple[str, str, str] | None = None
    prev_size_idx = -1
    for i, shot in enumerate(block.shots):
        # the action's energy weighs in: an energetic shot in a calm scene is covered like action
        energy = _shot_energy(shot, block)
        shot_pace = "action" if energy else pace
        lo, hi = DURATION[shot_pace]
        votes = _Votes()
        own = _content_words(shot.action + " " + shot.prompt)
        for r, attrs in ref_attrs:
            overlap = len(own & ref_words[r.caption_id]) / max(1, len(own))
            votes.add(attrs, max(r.score, 0.0) * (0.5 + overlap), r.caption_id)

        # shot size: the grammar's target, nudged one step by the references
        t = targets[i]
        cands = [j for j in (t - 1, t, t + 1) if 0 <= j < len(SHOT_SIZES)]
        if shot.kind == "establishing":
            cands = [SHOT_SIZES.index("extreme_wide"), SHOT_SIZES.index("wide")]
        if shot.kind == "primary" and prev_size_idx >= 0:
            # the progression never loosens between primaries of a scene
            cands = [j for j in cands if j >= min(prev_size_idx, t)] or cands
        size_idx = max(cands, key=lambda j: ((0.6 if j == t else 0.25) + 0.8 * votes.share("shot_size", SHOT_SIZES[j]), -abs(j - t)))
        size = SHOT_SIZES[size_idx]
        if shot.kind == "primary":
            prev_size_idx = size_idx

        # movement: pace prior + votes, excluding what the pace never uses
        prior = dict(_MOVE_PRIOR[shot_pace])
        if shot.kind == "establishing":
            for m, w in (("pan_right", 0.25), ("crane_down", 0.2), ("pull_out", 0.2), ("static", 0.2)):
                prior[m] = prior.get(m, 0) + w
        if shot.kind == "metaphor":
            prior["static"] = prior.get("static", 0) + 0.3
            prior["push_in"] = prior.get("push_in", 0) + 0.2
        if energy:
            # the action itself asks for a moving camera, on top of the scene's pace
            for m, w in (("handheld", 0.35), ("truck_left", 0.25), ("truck_right", 0.25)):
                prior[m] = prior.get(m, 0) + w
        banned = set(_MOVE_BANNED[shot_pace])
        if shot.kind in ("metaphor",):
            banned |= {"handheld"}
        ranked = sorted((m for m in MOVEMENTS if m not in banned),
                        key=lambda m: (-(prior.get(m, 0) + votes.share("movement", m)), MOVEMENTS.index(m)))
        lateral_words = ("left", "right")
        chosen_moves = []
        for m in ranked:
            if screen_dir and any(w in m for w in lateral_words) and not m.endswith(screen_dir) and not reverse_ok:
                m = _mirror(m)  # keep the scene's screen direction
            if m not in chosen_moves:
                chosen_moves.append(m)

        # angle: eye level unless the references or the moment argue otherwise
        angle_prior = {"eye_level": 0.35, "high": 0.1 if shot.kind == "establishing" else 0.0,
                       "low": 0.15 if shot.kind == "primary" and shot_pace == "action" else 0.0,
                       "overhead": 0.0, "dutch": 0.1 if block.mood in {"eerie", "tense"} and shot.kind == "primary" else -0.3}
        angles = sorted(ANGLES, key=lambda a: (-(angle_prior.get(a, 0) + votes.share("angle", a)), ANGLES.index(a)))

        # no two identical consecutive set-ups: take the next best movement, then angle
        movement, angle = chosen_moves[0], angles[0]
        if prev_setup == (size, movement, angle):
            if len(chosen_moves) > 1:
                movement = chosen_moves[1]
            else:
                angle = angles[1]
        if any(w in movement for w in lateral_words) and screen_dir is None:
            screen_dir = "left" if movement.endswith("left") else "right"
        prev_setup = (size, movement, angle)

        # lens from size, pulled toward what the references used
        lo_mm, hi_mm = LENS_RANGE[size]
        lens = (lo_mm + hi_mm) / 2
        if votes.lens:
            wsum = sum(w for w, _ in votes.lens)
            if wsum > 0:
                voted = sum(w * v for w, v in votes.lens) / wsum
                lens = min(hi_mm, max(lo_mm, 0.5 * lens + 0.5 * voted))
        lens = round(lens)

        light_votes = sorted(((v, w) for v, w in votes.weight["lighting"].items() if _lighting_fits(v, block.time_of_day)),
                             key=lambda vw: -vw[1])
        lighting = _default_lighting(block)
        if light_votes:
            lighting = f"{light_votes[0][0]}, {lighting}"

        # duration by pace and shot role (a spoken line needs time to land)
        frac = {"establishing": 0.9, "metaphor": 0.6, "contextual": 0.35, "primary": 0.5}[shot.kind]
        if shot.dialogue:
            frac = max(frac, min(1.0, (len(shot.dialogue.split()) / 2.6 + 0.6 - lo) / max(0.1, hi - lo)))
        jitter = ((lx.stable_int(block.scene_id, shot.shot_id, shot.prompt) % 1000) / 1000 - 0.5) * 0.15
        duration = round(lo + (hi - lo) * min(1.0, max(0.0, frac + jitter)), 2)

        # transitions are the editor's, chosen on the fine cut's order (filmcraft.director.editor)
        transition = "cut"

        cited: list[tuple[float, str]] = []
        for key, value in (("shot_size", size), ("movement", movement), ("angle", angle)):
            cited += votes.voters.get((key, value), [])
        best: dict[str, float] = {}
        for w, cid in cited:
            best[cid] = best.get(cid, 0) + w
        cited_ids = [cid for cid, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))][:3]

        camera = CameraSpec(shot_size=size, movement=movement, angle=angle, lens_mm=float(lens),
                            lighting=lighting, grade=_grade(block.time_of_day, block.mood),
                            duration_s=duration, transition=transition)
        language = f"{SIZE_WORDS[size]}, {MOVE_WORDS[movement]}, {ANGLE_WORDS[angle]}, {lens}mm lens, {lighting}"
        prompt = f"{language}. {shot.prompt}. Objective: {block.narrative_objective}"
        if not ref_attrs:
            rationale = (f"No usable references were retrieved, so film grammar alone chose a {SIZE_WORDS[size]} "
                         f"with a {MOVE_WORDS[movement]} move for a {pace} scene.")
        else:
            size_share = votes.share("shot_size", size)
            move_share = votes.share("movement", movement)
            rationale = (f"{shot.kind.capitalize()} shot of {'an' if pace == 'action' else 'a'} {pace} scene: {SIZE_WORDS[size]} "
                         f"({'references agree' if size_share >= 0.34 else 'grammar progression'}) and "
                         f"{MOVE_WORDS[movement]} ({round(100 * move_share)}% of weighted reference votes), "
                         f"cited from {', '.join(cited_ids) or 'no single caption'}.")
        if energy:
            rationale += (f" The action's energy ({energy}) weighs in with the votes: "
                          f"{'kept moving' if pace == 'action' else 'covered as action in a ' + pace + ' scene'}, "
                          f"{MOVE_WORDS[movement]}, cut at {duration}s.")
        plans.append(ShotPlan(
            shot_id=shot.shot_id, scene_id=block.scene_id, index=i + 1, prompt=prompt, action=shot.action,
            characters=shot.characters, location=block.location, time_of_day=block.time_of_day,
            mood=block.mood, camera=camera, dialogue=shot.dialogue, cited_references=cited_ids,
            rationale=rationale, weather=block.weather, subject=shot.subject, props=shot.props,
        ))
    return ScenePlan(scene_id=block.scene_id, shots=plans)
