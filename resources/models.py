"""Dagster resources: one per model role, plus the studio (artifact store).

Offline is the default: a role whose ``base_url`` is empty uses its embedded backend. Each
resource is configured from environment variables by ``resources.build_resources``; API keys
are passed as ``EnvVar`` so their values never appear in run config or the UI.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import dagster as dg

from filmcraft.budget import Budget, BudgetExceeded
from filmcraft.store import Studio


def budget_failure(exc: BudgetExceeded) -> dg.Failure:
    """A spent budget fails the step at once: the asset's RetryPolicy cannot help, only a larger budget can."""
    return dg.Failure(description=str(exc), allow_retries=False,
                      metadata={"budget": exc.budget, "limit": float(exc.limit), "used": float(exc.used)})


class FailFastOnBudget:
    """A model client as stages see it, with BudgetExceeded from any of its methods turned into a
    non-retried step failure."""

    def __init__(self, model):
        self._model = model

    def __getattr__(self, name):
        value = getattr(self._model, name)
        if not callable(value):
            return value

        def call(*args, **kwargs):
            try:
                return value(*args, **kwargs)
            except BudgetExceeded as exc:
                raise budget_failure(exc) from None
        return call


class StudioResource(dg.ConfigurableResource):
    """Where films, caches, the built-in libraries and request drops live."""

    root: str

    def studio(self) -> Studio:
        return Studio(self.root)


class _EndpointResource(dg.ConfigurableResource):
    base_url: Optional[str] = None  # empty -> the embedded offline backend
    model: str = ""
    api_key: Optional[str] = None
    timeout_s: float = 120.0
    max_retries: int = 3

    @property
    def is_offline(self) -> bool:
        return not self.base_url

    def backend_name(self) -> str:
        return "offline" if self.is_offline else f"openai-compatible:{self.model}"


class TextModelResource(_EndpointResource):
    """Writer, cinematographer, audience, analyst, editor roles."""

    model: str = "gpt-4o-mini"
    seed: int = 0

    def chat_model(self, studio: Studio, budget: Optional[Budget] = None):
        """``budget``: the film's LLM token budget, checked before and charged after each real request."""
        if self.is_offline:
            return None  # stages fall back to the offline director
        from resources.openai_backends import OpenAIChatModel

        model = OpenAIChatModel(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries, self.seed,
                                studio, budget)
        return model if budget is None else FailFastOnBudget(model)


class EmbeddingResource(_EndpointResource):
    model: str = "text-embedding-3-small"

    def embedder(self):
        if self.is_offline:
            from corpus_ingest.embed import MiniLMEmbedder

            return MiniLMEmbedder()
        from resources.openai_backends import OpenAIEmbedder

        return OpenAIEmbedder(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries)


class VoiceResource(_EndpointResource):
    model: str = "gpt-4o-mini-tts"

    def voice(self):
        if self.is_offline:
            from filmcraft.voice import EspeakVoice

            return EspeakVoice()
        from resources.openai_backends import OpenAIVoice

        return OpenAIVoice(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries)


class VideoResource(_EndpointResource):
    """Clips: the previs renderer offline, or an OpenAI-compatible ``videos`` endpoint."""

    model: str = "sora-2"
    timeout_s: float = 600.0

    def render_shot(self, plan, refs, out_path: Path, width: int, height: int, fps: int, seed: int,
                    budget: Optional[Budget] = None) -> None:
        """``budget``: the film's video-seconds budget; the shot's seconds are reserved before rendering
        (previs seconds count too, so the offline demo exercises the budget)."""
        from resources.openai_backends import OpenAIVideo

        seconds = plan.camera.duration_s if self.is_offline else OpenAIVideo.seconds_for(plan.camera.duration_s)
        try:
            with budget.video_render(seconds, plan.shot_id) if budget is not None else nullcontext():
                if self.is_offline:
                    from filmcraft.previs import render_shot

                    render_shot(plan, refs, out_path, width, height, fps, seed)
                    return
                OpenAIVideo(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries).render(
                    plan.prompt, Path(refs.location.path), plan.camera.duration_s, width, height, out_path)
        except BudgetExceeded as exc:
            raise budget_failure(exc) from None
