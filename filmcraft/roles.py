"""The model-role interfaces that domain code calls. Backends live in ``resources/``.

Each role has a real backend (an OpenAI-compatible endpoint) and an embedded offline default.
Domain stages receive these objects, never a Dagster resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
from pydantic import BaseModel

if TYPE_CHECKING:
    from filmcraft.contracts import ReferenceImage, ShotPlan


T = TypeVar("T", bound=BaseModel)


class ChatModel(Protocol):
    """A JSON-schema chat model. ``None`` in place of a ChatModel means: use the offline director."""

    name: str

    def complete_json(self, role: str, instructions: str, payload: dict, schema: type[T]) -> T: ...


class Embedder(Protocol):
    name: str  # recorded with every index so a query never meets vectors of another model
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return float32 L2-normalised vectors, shape (len(texts), dim)."""
        ...


DEFAULT_RATE_WPM = 165  # a calm narration pace; every voice backend takes its speed in words per minute


class VoiceModel(Protocol):
    name: str

    def speak(self, text: str, voice: str, out_wav: Path, rate: int = DEFAULT_RATE_WPM) -> float:
        """Write speech at ``rate`` words per minute as a mono WAV at ``out_wav``; return its duration in seconds."""
        ...


@dataclass(frozen=True)
class Keyframe:
    """A still of the cut shown to a vision model: the image file, where it sits in the film, its shot."""

    path: Path
    timecode_s: float
    shot_id: str


class VisionJudge(Protocol):
    """A multimodal JSON judge (see ``resources.vision.OpenAIVisionJudge``)."""

    name: str

    def judge_json(self, instructions: str, text: str, frames: list[Keyframe], schema: type[T], sample: int = 0) -> T: ...


@dataclass(frozen=True)
class Visual:
    """An image from the visual library: a cut-out (RGBA PNG) of a prop, creature or landmark."""

    visual_id: str  # "<source>:<name>", e.g. "builtin:lighthouse"
    path: Path
    tags: tuple[str, ...]


class VisualLibrary(Protocol):
    """Finds the image that depicts a noun of a shot plan (see ``corpus_ingest.visuals``)."""

    def find(self, noun: str, colour: str | None = None) -> Visual | None:
        """The best image for ``noun`` ("seagull", "hourglass"), or None when nothing in the library
        depicts it; ``colour`` ("red") paints a one-colour drawing in that colour ("a red kite")."""
        ...


@dataclass(frozen=True)
class ClipRequest:
    """One clip for a video backend: the shot as planned (camera language included), the reference images
    it may show (the shot's characters first, then the scene's location: ``ReferenceSet`` images), and
    the frame the film is made at. ``seed`` is the take's (``filmcraft.takes``)."""

    shot: "ShotPlan"
    references: tuple["ReferenceImage", ...]
    width: int
    height: int
    fps: int
    seed: int

    @property
    def duration_s(self) -> float:
        return self.shot.camera.duration_s


class VideoBackend(Protocol):
    """A video service (``resources.video_backends``): how it prompts, what it bills, how it renders.

    ``render_clip`` writes a playable clip at ``out_path`` whole or not at all, and raises
    ``resources.openai_backends.ModelRoleError`` naming the service, the shot and the fix."""

    name: str  # recorded in each clip's cache key: a clip of another service is another clip
    max_references: int  # reference images one request carries (0: text only)

    def billed_seconds(self, duration_s: float) -> float:
        """The seconds the service renders (and charges) for a shot of ``duration_s``."""
        ...

    def prompt(self, shot: "ShotPlan") -> str:
        """The shot's prompt in this service's own format, camera language included."""
        ...

    def render_clip(self, request: ClipRequest, out_path: Path) -> None: ...


class ImageModel(Protocol):
    """A text-to-image service (``resources.image``): the reference image of a character or location the
    user gave no picture of, asked once per film (``filmcraft.model_references``).

    ``paint`` writes a decodable PNG of at least ``user_images.MIN_REFERENCE_SIDE`` px a side at
    ``out_png`` whole or not at all (the service may round ``width`` x ``height`` to a size it offers),
    and raises ``resources.openai_backends.ModelRoleError`` naming the service and the fix."""

    name: str  # recorded in each image's cache key: an image of another model is another image

    def paint(self, prompt: str, width: int, height: int, out_png: Path) -> None: ...
