"""The video role: clips from a video service (``resources.video_backends``), or the previs renderer."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

from filmcraft.budget import Budget
from filmcraft.contracts import RenderManifest
from filmcraft.roles import VideoBackend, VisualLibrary
from resources.endpoint import EndpointResource, fail_fast


class VideoResource(EndpointResource):
    """Clips: the previs renderer offline, or the video service ``backend`` names (``resources.video_backends``)."""

    model: str = "sora-2"
    timeout_s: float = 600.0
    backend: str = "openai"  # the service's protocol (FILMASTER_VIDEO_BACKEND): resources.video_backends
    comfyui_workflow: str = ""  # FILMASTER_COMFYUI_WORKFLOW: API-format workflow (resources.comfyui)
    comfyui_mapping: str = ""  # FILMASTER_COMFYUI_MAPPING: which of its inputs get prompt, images, seed...
    comfyui_max_wait_s: float = 3600.0  # FILMASTER_COMFYUI_MAX_WAIT: a job running longer is cancelled

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
        """``budget``: the film's video-seconds budget; the shot's seconds (as the service bills them) are
        reserved before rendering (previs seconds count too, so the offline demo exercises the budget).
        ``visuals``: the library the previs draws from (``visual_library``)."""
        from filmcraft.references.reference_sets import clip_references
        from filmcraft.roles import ClipRequest

        # a spent budget, an unknown backend or a model-role fault fails the step without a step retry
        with fail_fast():
            backend = None if self.is_offline else self.video_backend()
            seconds = plan.camera.duration_s if backend is None else backend.billed_seconds(plan.camera.duration_s)
        with fail_fast(), budget.video_render(seconds, plan.shot_id) if budget is not None else nullcontext():
            if backend is None:
                from filmcraft.previs import render_shot

                render_shot(plan, refs, out_path, width, height, fps, seed, visuals=visuals)
                return
            request = ClipRequest(plan, clip_references(plan, refs, backend.max_references), width, height, fps, seed)
            backend.render_clip(request, out_path)

    def video_backend(self) -> VideoBackend:
        from resources.openai_backends import ModelRoleError
        from resources.video_backends import video_backend

        try:
            options = {"workflow": self.comfyui_workflow, "mapping": self.comfyui_mapping,
                       "max_wait_s": self.comfyui_max_wait_s} if self.backend == "comfyui" else None
            return video_backend(self.backend, self.base_url, self.model, self.api_key, self.timeout_s,
                                 self.max_retries, options)
        except ValueError as exc:
            raise ModelRoleError("video", str(exc)) from None

    def backend_name(self) -> str:
        # the openai backend keeps its historical name, so clips rendered before backends existed stay cached
        if self.is_offline or self.backend == "openai":
            return super().backend_name()
        if self.backend == "comfyui":  # the workflow and mapping are the model: their hash is in the name
            from resources.openai_backends import ModelRoleError

            try:
                return self.video_backend().name
            except ModelRoleError:  # a config that renders nothing caches nothing; render_shot names the fix
                return f"comfyui:{Path(self.comfyui_workflow).stem}"
        return f"{self.backend}:{self.model}"
