"""Typed contracts between pipeline stages.

Every stage reads and writes one of these models, so each stage can be read, tested and
replaced alone. All times are in seconds (float); frame conversion happens at delivery.
Ids: film ids are validated slugs; scenes are ``s01``..; shots are ``s01_sh01``..
"""

from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

FILM_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
MAX_SCENES = 12  # scene slots s01..s12 exist as partitions; a film uses its first N
MAX_TEXT_WORDS = 2000  # the paper's inputs are a sentence up to ~100 words
MAX_TEXT_CHARS = 20000
MAX_CANDIDATES = 4  # takes per shot a judge compares: each one is a full render, charged to the budget

STEMS = ("ambience", "music", "vo", "foley", "sfx")
Stem = Literal["ambience", "music", "vo", "foley", "sfx"]

ShotSize = Literal[
    "extreme_wide", "wide", "full", "medium_wide", "medium", "medium_close_up", "close_up",
    "extreme_close_up",
]
SHOT_SIZES: tuple[str, ...] = ShotSize.__args__  # wide -> tight order

Movement = Literal[
    "static", "push_in", "pull_out", "pan_left", "pan_right", "tilt_up", "tilt_down",
    "truck_left", "truck_right", "crane_up", "crane_down", "orbit", "handheld",
]
MOVEMENTS: tuple[str, ...] = Movement.__args__

Angle = Literal["eye_level", "high", "low", "overhead", "dutch"]
ANGLES: tuple[str, ...] = Angle.__args__

TimeOfDay = Literal["dawn", "day", "golden_hour", "dusk", "night"]
TIMES_OF_DAY: tuple[str, ...] = TimeOfDay.__args__

# The transition *into* a shot. ``fade`` goes through black: into the film's first shot it is a fade up
# from black, into any later shot a dip to black (the outgoing shot fades out, the incoming fades in).
Transition = Literal["cut", "dissolve", "fade"]
MAX_TRANSITION_S = 4.0
MAX_SPLIT_EDIT_S = 3.0

# what the sky does in a scene: the previs animates it and the sound design hears it
Weather = Literal["clear", "overcast", "wind", "rain", "storm", "snow", "blizzard", "fog"]
WEATHERS: tuple[str, ...] = Weather.__args__


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid")


def scene_id(index: int) -> str:
    """1-based scene index -> partition slot name."""
    return f"s{index:02d}"


def shot_id(scene_index: int, shot_index: int) -> str:
    return f"s{scene_index:02d}_sh{shot_index:02d}"


# --- request -----------------------------------------------------------------------------

class FilmRequest(Contract):
    film_id: str
    text: str
    audience: str = "general"
    refs_dir: Optional[str] = None  # folder with characters/ and locations/ images
    width: int = 1280
    height: int = 720
    fps: int = 24
    seed: int = 0
    # Bounds for quick previews and tests; None lets the director decide.
    max_scenes: Optional[int] = Field(default=None, ge=1, le=MAX_SCENES)
    max_shots_per_scene: Optional[int] = Field(default=None, ge=1, le=12)
    # Ablations (FilmEval): no_rag plans shots from film grammar alone, no_rhythm ships the rough cut.
    variant: Literal["full", "no_rag", "no_rhythm"] = "full"
    top_k: int = Field(default=8, ge=1, le=64)  # film-clip captions retrieved per scene block
    # Takes rendered per shot; a judge picks one, the others stay as alternates (filmcraft.takes).
    candidates: int = 1

    @field_validator("candidates")
    @classmethod
    def _candidates(cls, v: int) -> int:
        if not 1 <= v <= MAX_CANDIDATES:
            raise ValueError(f"{v} takes per shot: give 1..{MAX_CANDIDATES} (each take is a full render, "
                             "charged to the video budget)")
        return v

    @field_validator("film_id")
    @classmethod
    def _film_id(cls, v: str) -> str:
        if not FILM_ID_RE.match(v or ""):
            raise ValueError(
                f"film id {v!r} is not allowed: use 1-63 lowercase letters, digits, '-' or '_', "
                "starting with a letter or digit (no path separators or '..')"
            )
        return v

    @field_validator("text")
    @classmethod
    def _text(cls, v: str) -> str:
        v = (v or "").strip()
        if not v:
            raise ValueError("the theme text is empty: give a sentence or a short synopsis")
        words = len(v.split())
        if words > MAX_TEXT_WORDS or len(v) > MAX_TEXT_CHARS:
            raise ValueError(
                f"the theme text has {words} words / {len(v)} characters; the limit is "
                f"{MAX_TEXT_WORDS} words and {MAX_TEXT_CHARS} characters: give a synopsis, not a script"
            )
        return v

    @field_validator("width", "height")
    @classmethod
    def _dims(cls, v: int) -> int:
        if v < 64 or v > 3840 or v % 2:
            raise ValueError(f"frame dimension {v} must be an even number of pixels in 64..3840")
        return v

    @field_validator("fps")
    @classmethod
    def _fps(cls, v: int) -> int:
        if v < 1 or v > 60:
            raise ValueError(f"fps {v} must be in 1..60")
        return v

    # --- per-film budgets (filmcraft.budget; issue #7 item 6) --------------------------------
    # None = unlimited. Spending is recorded in <film>/budget.json across runs; cache hits cost 0.
    llm_token_budget: Optional[int] = Field(default=None, ge=1)  # total LLM tokens for the film
    video_seconds_budget: Optional[float] = Field(default=None, ge=1)  # seconds of video generated


# Budgets limit what a film may spend; they are not what it is made from, so raising one must not
# make finished work look changed (they are left out of the request's data version).
BUDGET_FIELDS = ("llm_token_budget", "video_seconds_budget")


# --- script ------------------------------------------------------------------------------

class Character(Contract):
    name: str
    description: str = ""


class Location(Contract):
    name: str
    description: str = ""


class Synopsis(Contract):
    title: str
    logline: str
    synopsis: str
    genre: str
    mood: str
    characters: list[Character]
    locations: list[Location]


class StoryBeat(Contract):
    kind: Literal["setup", "development", "turn", "climax", "outcome"]
    text: str
    cause: str = ""  # what earlier beat makes this one happen


class SimplifiedStoryboard(Contract):
    causal_chain: list[StoryBeat]
    outcome: str


class StoryboardShot(Contract):
    kind: Literal["establishing", "primary", "contextual", "metaphor"]
    description: str
    characters: list[str] = []


class StoryboardScene(Contract):
    index: int
    location: str
    time_of_day: TimeOfDay
    beat: str
    shots: list[StoryboardShot]


class DetailedStoryboard(Contract):
    scenes: list[StoryboardScene]


class SoundSketch(Contract):
    ambience: str  # e.g. "night harbour, water lapping, distant gulls"
    music_mood: str  # e.g. "tense", "tender", "triumphant"
    effects: list[str] = []  # e.g. ["footsteps on gravel", "door slam"]


class ShotPrompt(Contract):
    shot_id: str
    kind: Literal["establishing", "primary", "contextual", "metaphor"]
    prompt: str
    action: str = ""  # what moves in the shot; drives camera choice and foley
    characters: list[str] = []
    dialogue: Optional[str] = None  # spoken line, if any (speaker is characters[0])
    subject: str = ""  # what the shot frames: a character, or a prop or creature ("the seagull", "an hourglass")
    props: list[str] = []  # props and creatures in the shot, as nouns ("seagull", "lamp", "boat")


class SceneBlock(Contract):
    scene_id: str
    index: int
    heading: str  # "EXT. HARBOUR - NIGHT"
    location: str
    time_of_day: TimeOfDay
    characters: list[str]
    key_visual_elements: list[str]
    narrative_objective: str
    mood: str
    shots: list[ShotPrompt]
    sound_sketch: SoundSketch
    voice_over: str = ""  # narration for the scene (shot-level VO lines come from shots)
    weather: Weather = "clear"


class SceneBlocks(Contract):
    film_id: str
    title: str
    scenes: list[SceneBlock]


class SceneContinuity(Contract):
    """What a scene's camera plan needs from its neighbours: where and when the scene before it plays
    (a time jump in the same place opens on a dissolve) and whether it ends the film (a fade out)."""

    previous_heading: Optional[str] = None
    previous_location: Optional[str] = None
    previous_time_of_day: Optional[TimeOfDay] = None
    last_scene: bool = False

    @classmethod
    def following(cls, previous: Optional[SceneBlock], last_scene: bool) -> "SceneContinuity":
        if previous is None:
            return cls(last_scene=last_scene)
        return cls(previous_heading=previous.heading, previous_location=previous.location,
                   previous_time_of_day=previous.time_of_day, last_scene=last_scene)


class SceneToShoot(Contract):
    """One scene as the camera department gets it: the block with the film-maker's overrides applied,
    and its continuity. Its content is what a scene's camera work is made from."""

    block: SceneBlock
    continuity: SceneContinuity


# --- camera ------------------------------------------------------------------------------

class RetrievedReference(Contract):
    caption_id: str
    score: float
    text: str
    source: str
    fields: dict[str, str] = {}  # structured camera fields when the corpus has them


class SceneReferences(Contract):
    scene_id: str
    query: str
    k: int
    references: list[RetrievedReference]


class CameraSpec(Contract):
    shot_size: ShotSize
    movement: Movement
    angle: Angle
    lens_mm: float = Field(ge=8, le=300)
    lighting: str  # "low-key moonlight", "soft window light" ...
    grade: str  # look name used by the renderer: "night_blue", "warm_gold", "neutral" ...
    duration_s: float = Field(gt=0.5, le=30)
    transition: Transition = "cut"


class ShotPlan(Contract):
    shot_id: str
    scene_id: str
    index: int  # 1-based within the scene
    prompt: str
    action: str = ""
    characters: list[str] = []
    location: str
    time_of_day: TimeOfDay
    mood: str
    camera: CameraSpec
    dialogue: Optional[str] = None
    cited_references: list[str] = []  # caption ids that shaped the camera spec
    rationale: str = ""
    weather: Weather = "clear"
    subject: str = ""  # what the shot frames (from the storyboard); empty: its first character
    props: list[str] = []  # props and creatures in the shot


class ScenePlan(Contract):
    scene_id: str
    shots: list[ShotPlan]


class FilmShotPlans(Contract):
    """Every shot plan of the film in order: the camera plan as one document (``shot_plans.json``)."""

    film_id: str
    shots: list[ShotPlan]


class ReferenceImage(Contract):
    name: str
    kind: Literal["character", "location"]
    path: str
    generated: bool  # True when we drew a placeholder card because none was supplied
    # the image model that made it (the film's reference_images) when the user gave none; None: the user's
    # image or a painted card. Optional, so reference sets written before image models still read.
    painted_by: Optional[str] = None


class FilmReference(Contract):
    """One character or location of the film, and where its reference image comes from."""

    name: str
    kind: Literal["character", "location"]
    source: Literal["user", "model", "card"]  # the user's image, the image model's, or a painted card per scene
    prompt: str = ""  # what the image model is (or, offline, would be) asked; empty for a user image
    path: Optional[str] = None  # the model's image in the film folder (source "model")
    cached: bool = False  # the image came from the studio cache: no request was sent for it


class FilmReferenceImages(Contract):
    """The film's reference images from an image model, made once for the whole film: every scene's
    reference set takes them in place of painted cards (``filmcraft.model_references``)."""

    film_id: str
    image_model: Optional[str] = None  # None: offline, the painted cards stay
    references: list[FilmReference]
    contact_sheet_path: Optional[str] = None


class ReferenceSet(Contract):
    scene_id: str
    location: ReferenceImage
    characters: list[ReferenceImage]


class ClipInfo(Contract):
    shot_id: str
    scene_id: str
    path: str
    duration_s: float
    width: int
    height: int
    fps: int
    sha256: str
    backend: str  # "previs" or "openai:<model>"
    keyframe_path: Optional[str] = None  # a still from the middle of the clip (contact sheets, vision spotting)
    manifest: Optional[RenderManifest] = None  # previs only: what was drawn
    take: int = 1  # the take this clip is (filmcraft.takes); its alternates below
    seed: Optional[int] = None  # the seed it was rendered with
    score: Optional[float] = None  # the judge's score (candidates), 0..1
    reason: str = ""  # why the judge picked it, or that the film-maker did
    alternates: list["TakeClip"] = []  # the shot's other takes, linked beside it (shots/<shot>.take<n>.mp4)


class TakeClip(Contract):
    """A take of a shot that is not in the cut: an editor can switch to it (a disabled timeline track)."""

    take: int
    seed: int
    path: str
    duration_s: float
    sha256: str
    keyframe_path: Optional[str] = None
    score: Optional[float] = None
    reason: str = ""
    variant: str = ""  # what differs from the plan: "seed 123, lens_mm 19.2"


class DepictedProp(Contract):
    noun: str  # as the shot plan names it ("seagull")
    visual_id: str  # the visual library image drawn for it ("builtin:bird")


class DepictedFigure(Contract):
    name: str
    motion: str  # "stand", "walk", "run", "climb", "fall", "turn", "embrace", ...
    direction: Literal["left", "right", "none"] = "none"  # screen direction of the motion


class RenderManifest(Contract):
    """What a previs shot actually drew, and which nouns of its plan it could not depict."""

    shot_id: str
    location_kind: str  # "lighthouse", "glacier", "forest", ... or "generic"
    weather: Weather = "clear"
    subject: str = ""
    props: list[DepictedProp] = []
    figures: list[DepictedFigure] = []
    not_depicted: list[str] = []  # subjects and props of the plan that are not in the picture


class SceneClips(Contract):
    scene_id: str
    clips: list[ClipInfo]
    contact_sheet_path: Optional[str] = None
    takes_sheet_path: Optional[str] = None  # every take's keyframe, for scenes with alternate takes


# --- cut ---------------------------------------------------------------------------------

class AudienceProfile(Contract):
    name: str
    description: str
    shot_length_s: tuple[float, float]  # preferred average shot length range
    runtime_s: tuple[float, float]
    dialogue_density: float = Field(ge=0, le=1)
    music_intensity: float = Field(ge=0, le=1)
    slow_open_tolerance: float = Field(ge=0, le=1)


class CutShot(Contract):
    shot_id: str
    scene_id: str
    clip_path: str
    record_in: float
    duration: float


class RoughCut(Contract):
    film_id: str
    shots: list[CutShot]
    runtime_s: float
    description: str  # timecoded text of the cut, for the reviewer
    video_path: str
    vo_path: Optional[str] = None  # placeholder voice-over track


class ReviewNote(Contract):
    category: Literal["structure", "pacing", "transitions", "voice_over"]
    shot_id: Optional[str] = None
    timecode: Optional[float] = None
    text: str


class AudienceReview(Contract):
    profile: str
    summary: str
    notes: list[ReviewNote]


class EditAction(Contract):
    group: Literal["structure", "timing", "audio"]
    action: Literal["reorder", "remove", "trim", "accelerate", "retain", "adjust_vo", "adjust_music"]
    shot_id: Optional[str] = None
    timecode: Optional[float] = None
    params: dict[str, float] = {}  # trim: {"in": s, "out": s}; accelerate: {"speed": x}; reorder: {"position": i}
    reason: str


class TransitionChoice(Contract):
    """The editor's choice at one cut: the transition into ``shot_id`` from ``after`` (None: the film's
    first shot), its length, and the split edit of the sound across it."""

    shot_id: str
    after: Optional[str] = None  # the outgoing shot the choice was made for; another one there voids it
    transition: Transition = "cut"
    duration_s: Optional[float] = Field(default=None, gt=0, le=MAX_TRANSITION_S)  # None: the house length
    fade_out_s: float = Field(default=0.0, ge=0, le=MAX_TRANSITION_S)  # fade to black at the film's end (last shot)
    sound_lead_s: float = Field(default=0.0, ge=0, le=MAX_SPLIT_EDIT_S)  # J-cut: the incoming sound leads the picture
    sound_trail_s: float = Field(default=0.0, ge=0, le=MAX_SPLIT_EDIT_S)  # L-cut: the outgoing sound trails under it
    reason: str


class EditAnalysis(Contract):
    actions: list[EditAction]
    transitions: list[TransitionChoice] = []  # the editor's transitions and split edits, one per cut


class EditDecision(Contract):
    shot_id: str
    scene_id: str
    clip_path: str
    decision: Literal["trim", "accelerate", "retain"]
    source_in: float
    source_out: float
    speed: float = 1.0
    record_in: float
    transition: Transition = "cut"
    transition_s: Optional[float] = Field(default=None, gt=0, le=MAX_TRANSITION_S)  # None: the house length
    transition_reason: str = ""
    fade_out_s: float = Field(default=0.0, ge=0, le=MAX_TRANSITION_S)  # fade to black over this (last) shot's end
    # split edit at the cut into this shot: the incoming scene's sound starts sound_lead_s before the picture
    # (J-cut), or the outgoing scene's sound plays on sound_trail_s under this shot (L-cut)
    sound_lead_s: float = Field(default=0.0, ge=0, le=MAX_SPLIT_EDIT_S)
    sound_trail_s: float = Field(default=0.0, ge=0, le=MAX_SPLIT_EDIT_S)
    split_edit_reason: str = ""
    grade: str = "neutral"  # the scene's look (filmcraft.grades); one per scene
    lut_path: Optional[str] = None  # the .cube the conform applies (the film's luts/ copy); None = ungraded

    @property
    def duration(self) -> float:
        return (self.source_out - self.source_in) / self.speed

    @property
    def record_out(self) -> float:
        return self.record_in + self.duration


class PictureLock(Contract):
    film_id: str
    width: int
    height: int
    fps: int
    decisions: list[EditDecision]
    removed: list[str] = []  # shot ids cut from the film
    runtime_s: float
    video_path: str


# --- sound -------------------------------------------------------------------------------

class AudioCue(Contract):
    cue_id: str
    stem: Stem
    source_path: str
    record_in: float  # position on the film timeline
    duration: float
    source_in: float = 0.0
    loop: bool = False  # loop the source to fill the duration
    fade_in: float = 0.0
    fade_out: float = 0.0
    scene_id: Optional[str] = None
    shot_id: Optional[str] = None
    description: str = ""
    text: Optional[str] = None  # spoken words for VO cues
    library_id: Optional[str] = None  # audio library asset id when retrieved


class CueSheet(Contract):
    film_id: str
    runtime_s: float
    cues: list[AudioCue]


class StemLevel(Contract):
    stem: Stem
    path: str
    target_lufs: Optional[float]
    measured_lufs: Optional[float]  # None when the stem is silent
    true_peak_dbtp: Optional[float]


class MixReport(Contract):
    stems: list[StemLevel]
    master_path: str
    master_target_lufs: float
    master_lufs: float
    master_true_peak_dbtp: float
    sample_rate: int


# --- deliver -----------------------------------------------------------------------------

class DeliveredFilm(Contract):
    """final.mp4 as delivered: where it is and what it measured."""

    path: str
    sha256: str
    bytes: int
    duration_s: float
    video_codec: Optional[str]
    audio_codec: Optional[str]
    width: Optional[int]
    height: Optional[int]
    # the AAC track decoded and measured 4x oversampled (None: silent, or not measured by an older make)
    audio_true_peak_dbtp: Optional[float] = None


# --- evaluation --------------------------------------------------------------------------

CRITERIA: tuple[str, ...] = (
    "script_faithfulness", "narrative_coherence", "visual_quality", "character_consistency",
    "physical_law_compliance", "voice_audio_quality", "cinematic_techniques",
    "audio_visual_richness", "narrative_pacing", "video_audio_coordination",
    "compelling_degree", "overall_quality",
)


class CriterionScore(Contract):
    criterion: str
    score: Optional[float] = Field(default=None, ge=1, le=5)  # None = not measured
    reason: str
    measurement: dict[str, float | str | None] = {}
    # how the score was reached: measured on the film's media or on what it drew; a proxy (the plan or
    # the cue sheet, not the picture or the sound: capped below 5); judged by a vision model; derived
    # from other criteria; or not measured (score None)
    basis: Literal["measured", "proxy", "judged", "derived", "not measured"] = "measured"
    cap: Optional[float] = None  # the highest score this basis may give, when it is below 5


class FilmEvalScores(Contract):
    film_id: str
    judge: str
    criteria: list[CriterionScore]
    camera_language: Optional[float]  # CL
    cinematic_rhythm: Optional[float]  # CRh
    average: Optional[float]
    derived_from: dict[str, list[str]]  # which criteria each derived metric used


# --- libraries ---------------------------------------------------------------------------

class AudioAsset(Contract):
    """One entry of the tagged audio library (built-in or ingested)."""

    asset_id: str
    kind: Literal["ambience", "music", "foley", "sfx"]
    path: str
    description: str
    tags: list[str]
    emotions: list[str] = []
    duration_s: float
    loudness_lufs: Optional[float]  # None when too short or silent to measure
    peak_dbfs: float
    spectral_centroid_hz: float
    tempo_bpm: Optional[float] = None  # music only
    key: Optional[str] = None  # music only, e.g. "A minor"
    source: str = "builtin"


class AudioHit(Contract):
    asset: AudioAsset
    score: float
