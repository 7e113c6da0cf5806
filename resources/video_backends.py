"""The video services a film can be shot with, by name (``FILMASTER_VIDEO_BACKEND``).

Each is a ``filmcraft.roles.VideoBackend``: its own prompt format, billing and protocol, with the one
retry budget of ``resources.openai_backends.RoleEndpoint``. Offline (no ``FILMASTER_VIDEO_BASE_URL``)
the previs renders every clip instead.
"""

from __future__ import annotations

from typing import Callable

from filmcraft.roles import VideoBackend


def _openai(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int) -> VideoBackend:
    from resources.openai_media import OpenAIVideo

    return OpenAIVideo(base_url, model, api_key, timeout_s, max_retries)


def _kling(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int) -> VideoBackend:
    from resources.kling_video import from_env

    return from_env(base_url, model, api_key, timeout_s, max_retries)


def _replicate(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int) -> VideoBackend:
    from resources.replicate_queue import ReplicateVideo

    return ReplicateVideo(base_url, model, api_key, timeout_s, max_retries)


def _comfyui(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int,
             workflow: str = "", mapping: str = "", max_wait_s: float = 3600) -> VideoBackend:
    from resources.comfyui import ComfyVideo

    return ComfyVideo(base_url, model, api_key, timeout_s, max_retries, workflow=workflow, mapping=mapping,
                      max_wait_s=max_wait_s)


# name -> factory(base_url, model, api_key, timeout_s, max_retries, **the backend's own options)
BACKENDS: dict[str, Callable[..., VideoBackend]] = {
    "openai": _openai,
    "kling": _kling,  # multi-image2video; keys from FILMASTER_KLING_ACCESS_KEY / _SECRET_KEY
    "replicate": _replicate,
    "comfyui": _comfyui,
}


def video_backend(kind: str, base_url: str, model: str, api_key: str | None, timeout_s: float,
                  max_retries: int, options: dict | None = None) -> VideoBackend:
    """The backend called ``kind``; an unknown name is refused naming the variable and the choices."""
    if kind not in BACKENDS:
        raise ValueError(f"FILMASTER_VIDEO_BACKEND={kind!r} is not a video backend: choose one of "
                         f"{', '.join(sorted(BACKENDS))}")
    return BACKENDS[kind](base_url, model, api_key, timeout_s, max_retries, **(options or {}))
