"""The video role: clips from an OpenAI-compatible ``videos`` endpoint, or the previs renderer."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

from filmcraft.budget import Budget
from filmcraft.contracts import RenderManifest
from filmcraft.roles import VisualLibrary
from resources.endpoint import EndpointResource, fail_fast


class VideoResource(EndpointResource):
    """Clips: the previs renderer offline, or an OpenAI-compatible ``videos`` endpoint."""

    model: str = "sora-2"
    timeout_s: float = 600.0

    def visual_library(self, lib, embedder) -> Optional[VisualLibrary]:
        """The studio's visual library the previs draws props, creatures and landmarks from (None online:
        an endpoint draws from the prompt). Built on first use; see ``resources.visuals``."""
        if not self.is_offline:
            return None
        from resources.visuals import studio_visual_library

        return studio_visual_library(lib, embedder)

    def describe_shot(self, plan, refs, visuals: Optional[VisualLibrary]) -> Optional[RenderManifest]:
        """What the clip of ``plan`` shows, without rendering it (previs only)."""
        if not self.is_offline:
            return None
        from filmcraft.stagecraft import describe_shot

        return describe_shot(plan, refs.location.path, refs.location.generated, visuals).manifest()

    def render_shot(self, plan, refs, out_path: Path, width: int, height: int, fps: int, seed: int,
                    budget: Optional[Budget] = None, visuals: Optional[VisualLibrary] = None) -> None:
        """``budget``: the film's video-seconds budget; the shot's seconds are reserved before rendering
        (previs seconds count too, so the offline demo exercises the budget). ``visuals``: the library
        the previs draws from (``visual_library``)."""
        from resources.openai_media import OpenAIVideo

        seconds = plan.camera.duration_s if self.is_offline else OpenAIVideo.seconds_for(plan.camera.duration_s)
        # a spent budget or a model-role fault fails the step without a step retry
        with fail_fast(), budget.video_render(seconds, plan.shot_id) if budget is not None else nullcontext():
            if self.is_offline:
                from filmcraft.previs import render_shot

                render_shot(plan, refs, out_path, width, height, fps, seed, visuals=visuals)
                return
            OpenAIVideo(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries).render(
                plan.prompt, Path(refs.location.path), plan.camera.duration_s, width, height, out_path)
