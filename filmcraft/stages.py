"""Each text stage, with its two backends: an LLM role (when a ChatModel is given) or the
embedded offline director. Both return the same contract, so downstream stages cannot tell
them apart. Ids are re-stamped after an LLM answer so partitions and file names stay valid.
"""

from __future__ import annotations

from filmcraft.contracts import (
    AudienceProfile, AudienceReview, DetailedStoryboard, EditAnalysis, FilmRequest, RoughCut,
    SceneBlocks, SceneContinuity, ScenePlan, SceneReferences, ShotPlan, SimplifiedStoryboard, Synopsis, MAX_SCENES,
    scene_id, shot_id,
)
from filmcraft.director import audience, camera, editor, script
from filmcraft.roles import ChatModel

WRITER = ("Turn the user's theme into a film synopsis: title, logline, a synopsis of a few sentences, genre, mood, "
          "the named characters and locations (invent none the story does not need; at least one of each).")
STORY_EDITOR = ("Reduce the synopsis to a causal chain of story beats (setup, development, turn, climax, outcome); "
                "each beat says what earlier beat causes it.")
STORYBOARD_ARTIST = ("Expand the causal chain into a detailed storyboard: scenes of one continuous place and time "
                     "(the place the story names, with its weather in the beat), each "
                     "with establishing/contextual shots where the place is new, primary shots for each action and a "
                     "metaphorical image at emotional peaks. 2-6 scenes, 2-5 shots each.")
SCENE_STRUCTURER = ("Structure the storyboard as scene blocks: per scene a heading, location (a place, never a person "
                    "or an object), time of day, weather (clear, overcast, wind, rain, storm, snow, blizzard or fog, as "
                    "the story gives it, carried through the scenes it lasts), characters on screen, key visual "
                    "elements (the place, its props and creatures), narrative objective, mood, shot prompts (with "
                    "action, optional dialogue, the subject the shot frames - a character on screen, or a prop, "
                    "creature or the metaphor's image - and the props and creatures in the shot as nouns), a rough "
                    "sound sketch (ambience, music mood, effects) and optional voice-over narration. Tell every "
                    "sentence of the synopsis, in story order.")
CINEMATOGRAPHER = ("Re-plan all shots of this scene together as a cinematographer, guided by the retrieved reference "
                   "captions from real films: per shot choose shot size, movement, angle, lens, lighting, grade, "
                   "duration and transition; keep each shot's content and the scene objective; open with an "
                   "establishing shot when the place is new, progress shot sizes deliberately, never repeat a set-up "
                   "back to back, keep screen direction. Cite the caption ids you used.")
CINEMATOGRAPHER_REFINE = (CINEMATOGRAPHER + " Your previous plan for this scene is attached with the problems a "
                          "script supervisor found in it: return the whole plan again with those problems fixed.")
AUDIENCE = ("You are a member of the target audience described in the profile. Watch the rough cut described with "
            "timecodes and critique its structural flow, pacing, transitions and voice-over consistency, naming shots "
            "by id and timecode.")
AUDIENCE_DESIGNER = ("Describe the named target audience as a viewing profile with concrete preferences: preferred "
                     "average shot length range and runtime range in seconds, dialogue density, music intensity and "
                     "tolerance for slow openings (each 0-1).")
ANALYST = ("Turn the audience critique into concrete edit actions in three groups: structure (reorder/remove), "
           "timing (trim with in/out source seconds, accelerate with a speed factor, or retain) and audio coherence. "
           "Name shots by id. Then, as the editor, choose the transitions of your fine cut (the shots in the order "
           "your actions leave them): one entry per shot with shot_id, after (the shot before it in that order, "
           "null for the first), transition (cut, dissolve, or fade: a fade up from black on the first shot, a dip "
           "to black elsewhere), duration_s, fade_out_s (the last shot only: fade out to black), and at scene "
           "changes that cut a split edit: sound_lead_s (J-cut: the new scene's sound starts before the picture) "
           "or sound_trail_s (L-cut: the old scene's sound plays on under the new one), each at most half the shot "
           "it overlaps; and a reason for each. Weigh the scene changes (place, time of day, continuous action, a "
           "match on subject or framing stays a cut) and the audience profile.")


def synopsis(req: FilmRequest, llm: ChatModel | None) -> Synopsis:
    if llm is None:
        return script.write_synopsis(req)
    return llm.complete_json("writer", WRITER, {"theme": req.text, "audience": req.audience}, Synopsis)


def simplified_storyboard(syn: Synopsis, llm: ChatModel | None) -> SimplifiedStoryboard:
    if llm is None:
        return script.simplify_storyboard(syn)
    return llm.complete_json("story editor", STORY_EDITOR, {"synopsis": syn.model_dump()}, SimplifiedStoryboard)


def detailed_storyboard(syn: Synopsis, simple: SimplifiedStoryboard, llm: ChatModel | None) -> DetailedStoryboard:
    if llm is None:
        return script.detail_storyboard(syn, simple)
    return llm.complete_json("storyboard artist", STORYBOARD_ARTIST,
                             {"synopsis": syn.model_dump(), "causal_chain": simple.model_dump()}, DetailedStoryboard)


def scene_blocks(film_id: str, syn: Synopsis, simple: SimplifiedStoryboard, detailed: DetailedStoryboard,
                 llm: ChatModel | None, max_scenes: int | None = None, max_shots: int | None = None) -> SceneBlocks:
    if llm is None:
        blocks = script.structure_scene_blocks(film_id, syn, simple, detailed, max_scenes=max_scenes or MAX_SCENES)
    else:
        blocks = llm.complete_json("scene structurer", SCENE_STRUCTURER,
                                   {"film_id": film_id, "synopsis": syn.model_dump(), "storyboard": detailed.model_dump()},
                                   SceneBlocks)
    return _restamp_blocks(film_id, blocks, max_scenes or MAX_SCENES, max_shots)


def _restamp_blocks(film_id: str, blocks: SceneBlocks, max_scenes: int, max_shots: int | None) -> SceneBlocks:
    """Scene and shot ids are partition keys and file names: we assign them, not the model.
    The request's bounds apply to both backends."""
    if not blocks.scenes:
        raise ValueError("the scene structurer returned no scenes")
    scenes = []
    for i, block in enumerate(blocks.scenes[:max_scenes], start=1):
        kept = block.shots[:max_shots] if max_shots else block.shots
        shots = [s.model_copy(update={"shot_id": shot_id(i, j)}) for j, s in enumerate(kept, start=1)]
        if not shots:
            raise ValueError(f"scene {i} ({block.heading!r}) has no shots")
        scenes.append(block.model_copy(update={"scene_id": scene_id(i), "index": i, "shots": shots}))
    return blocks.model_copy(update={"film_id": film_id, "scenes": scenes})


def grammar_problems(plan: ScenePlan, block) -> list[str]:
    """Film-grammar checks on a scene's plan: the ones the offline planner enforces by construction."""
    problems = []
    if len(plan.shots) != len(block.shots):
        problems.append(f"the scene has {len(block.shots)} shots; plan exactly one per shot, in order")
    shots = plan.shots
    if block.shots and block.shots[0].kind == "establishing" and shots and \
            shots[0].camera.shot_size not in ("extreme_wide", "wide"):
        problems.append(f"{block.shots[0].shot_id} establishes the place: make it wide or extreme_wide")
    for a, b in zip(shots, shots[1:]):
        if (a.camera.shot_size, a.camera.movement, a.camera.angle) == (b.camera.shot_size, b.camera.movement, b.camera.angle):
            problems.append(f"{a.shot_id} and {b.shot_id} repeat the same set-up back to back: change size, move or angle")
    return problems


def replan_scene(block, refs: SceneReferences, llm: ChatModel | None, continuity: SceneContinuity | None = None,
                 refine_rounds: int = 1) -> ScenePlan:
    """``continuity`` (the scene before, whether this one is last) lets a time jump open on a dissolve and
    the last scene fade out."""
    if llm is None:
        return camera.replan_scene(block, refs, continuity)
    payload = {"scene_block": block.model_dump(), "references": refs.model_dump(),
               "continuity": continuity.model_dump() if continuity else None}
    plan = llm.complete_json("cinematographer", CINEMATOGRAPHER, payload, ScenePlan)
    # Multi-turn refinement: the plan goes back with the film-grammar problems found in it.
    for _ in range(refine_rounds):
        problems = grammar_problems(plan, block)
        if not problems:
            break
        plan = llm.complete_json("cinematographer", CINEMATOGRAPHER_REFINE,
                                 {**payload, "your_plan": plan.model_dump(), "problems": problems}, ScenePlan)
    # Keep the scene's shots 1:1 with its block so lineage and overrides stay per shot.
    if len(plan.shots) != len(block.shots):
        raise ValueError(f"cinematographer returned {len(plan.shots)} shots for scene {block.scene_id}, "
                         f"which has {len(block.shots)}")
    shots = [s.model_copy(update={"shot_id": b.shot_id, "scene_id": block.scene_id, "index": j,
                                  "location": block.location, "time_of_day": block.time_of_day,
                                  "weather": block.weather, "subject": b.subject, "props": b.props})
             for j, (s, b) in enumerate(zip(plan.shots, block.shots), start=1)]
    return ScenePlan(scene_id=block.scene_id, shots=shots)


def audience_profile(name: str, llm: ChatModel | None) -> AudienceProfile:
    """A built-in archetype by name; any other name is built by the LLM (offline: the known names only)."""
    try:
        return audience.get_profile(name)
    except ValueError:
        if llm is None:
            raise
    profile = llm.complete_json("audience designer", AUDIENCE_DESIGNER, {"audience": name}, AudienceProfile)
    return profile.model_copy(update={"name": name})


def review(cut: RoughCut, plans: dict[str, ShotPlan], scenes: SceneBlocks, profile: AudienceProfile,
           llm: ChatModel | None) -> AudienceReview:
    if llm is None:
        return audience.review_rough_cut(cut, plans, scenes, profile)
    return llm.complete_json("audience", AUDIENCE, {"profile": profile.model_dump(), "rough_cut": cut.description,
                                                    "runtime_s": cut.runtime_s}, AudienceReview)


def analyse(rev: AudienceReview, cut: RoughCut, plans: dict[str, ShotPlan], profile: AudienceProfile,
            llm: ChatModel | None) -> EditAnalysis:
    if llm is None:
        return editor.analyse_review(rev, cut, plans, profile)
    scenes = {p.shot_id: {"scene_id": p.scene_id, "location": p.location, "time_of_day": p.time_of_day,
                          "shot_size": p.camera.shot_size, "subject": p.subject, "props": p.props,
                          "dialogue": p.dialogue} for p in plans.values()}
    answer = llm.complete_json("analyst", ANALYST, {"review": rev.model_dump(), "rough_cut": cut.description,
                                                    "shots": [s.model_dump() for s in cut.shots],
                                                    "shot_plans": scenes, "profile": profile.model_dump()}, EditAnalysis)
    return answer.model_copy(update={"transitions": editor_transitions(answer, cut, plans, profile, rev)})


def editor_transitions(answer: EditAnalysis, cut: RoughCut, plans: dict[str, ShotPlan], profile: AudienceProfile,
                       rev: AudienceReview):
    """The model's transitions, checked against the fine cut its actions make: a choice that does not fit
    (another order, a J- and L-cut at once, a split edit over half a shot) and any cut it left out get the
    offline editor's choice, which says what it replaced. An answer without transitions (an older
    contract) gets the offline editor's choices throughout."""
    decisions, _ = editor.apply_fine_cut(cut, answer)
    offline = editor.choose_transitions(decisions, plans, profile, rev.notes)
    if not answer.transitions:
        return offline
    problems = editor.transition_problems(answer.transitions, decisions)
    chosen = {c.shot_id: c for c in answer.transitions if c.shot_id not in problems}
    out = []
    for c in offline:
        if c.shot_id in chosen:
            out.append(chosen[c.shot_id])
        elif c.shot_id in problems:
            out.append(c.model_copy(update={"reason": f"{c.reason} (the model's choice was set aside: "
                                                      f"{problems[c.shot_id]})"}))
        else:
            out.append(c)
    return out
