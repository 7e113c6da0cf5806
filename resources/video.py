"""The video role: clips from an OpenAI-compatible ``videos`` endpoint, or the previs renderer."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

from filmcraft.budget import Budget, BudgetExceeded
from resources.endpoint import EndpointResource, budget_failure


class VideoResource(EndpointResource):
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
