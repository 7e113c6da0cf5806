"""Resources in one place: the studio and every model role, configured from the environment.

Environment variables (all optional; with none set everything runs offline):

    FILMASTER_HOME                  studio folder (films, caches, requests); default ./studio
    FILMASTER_LLM_BASE_URL          text roles (writer ... editor): OpenAI-compatible base URL
    FILMASTER_LLM_MODEL             model name                        (default gpt-4o-mini)
    FILMASTER_LLM_API_KEY           key, read through dagster.EnvVar
    FILMASTER_EMBED_BASE_URL / _MODEL / _API_KEY      embeddings
    FILMASTER_TTS_BASE_URL   / _MODEL / _API_KEY      voice-over
    FILMASTER_VIDEO_BASE_URL / _MODEL / _API_KEY      clips; FILMASTER_VIDEO_BACKEND the service's protocol
                                    (openai, default; kling; replicate; comfyui; see resources.video_backends)
    FILMASTER_KLING_ACCESS_KEY / _SECRET_KEY          kling backend's key pair; FILMASTER_KLING_POLL and
                                    _MAX_WAIT (seconds between polls, before giving up); see resources.kling_video
    (FILMASTER_VIDEO_BACKEND=replicate) _BASE_URL https://api.replicate.com/v1, _MODEL owner/name[:version]
                                    (resources.replicate_queue.MODELS), _API_KEY the API token (Bearer),
                                    _TIMEOUT one clip's whole wait before it is cancelled
    FILMASTER_COMFYUI_WORKFLOW / _MAPPING / _MAX_WAIT  comfyui: API-format workflow, its input mapping,
                                    seconds before a job is cancelled (resources.comfyui; docs/comfyui/)
    FILMASTER_VISION_BASE_URL / _MODEL / _API_KEY     FilmEval judge (multimodal); _SAMPLES, _KEYFRAMES
    FILMASTER_IMAGE_BASE_URL / _MODEL / _API_KEY      reference images of characters and locations the user
                                    gave no image of (model default gpt-image-1), once per film; unset: painted
                                    cards. FILMASTER_IMAGE_BACKEND the service's protocol (openai, default;
                                    comfyui with FILMASTER_COMFYUI_IMAGE_WORKFLOW / _MAPPING; resources.image)
    FILMASTER_<ROLE>_TIMEOUT, FILMASTER_<ROLE>_MAX_RETRIES   per-role client knobs
    FILMASTER_LLM_TOKEN_BUDGET, FILMASTER_VIDEO_SECONDS_BUDGET  per-film budget defaults, applied by the
                                    CLI and the request sensor to new requests (filmcraft.budget; None = unlimited)
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from resources.film_store import FilmStoreIOManager
from resources.embeddings import EmbeddingResource
from resources.image import ImageResource
from resources.studio import StudioResource
from resources.text import TextModelResource
from resources.video import VideoResource
from resources.voice import VoiceResource
from resources.vision import VisionModelResource
from resources.visuals import VisualLibraryResource

ROLE_ENV = {"text_model": "LLM", "embeddings": "EMBED", "voice": "TTS", "video": "VIDEO", "vision": "VISION",
            "image": "IMAGE"}
ROLE_CLASS = {"text_model": TextModelResource, "embeddings": EmbeddingResource, "voice": VoiceResource,
              "video": VideoResource, "vision": VisionModelResource, "image": ImageResource}


def studio_root() -> Path:
    return Path(os.environ.get("FILMASTER_HOME", "studio")).expanduser().resolve()


def _endpoint_config(prefix: str) -> dict:
    base_url = os.environ.get(f"FILMASTER_{prefix}_BASE_URL", "").strip()
    if not base_url:
        return {}
    config: dict = {"base_url": base_url}
    if os.environ.get(f"FILMASTER_{prefix}_MODEL"):
        config["model"] = os.environ[f"FILMASTER_{prefix}_MODEL"]
    if os.environ.get(f"FILMASTER_{prefix}_API_KEY"):
        config["api_key"] = dg.EnvVar(f"FILMASTER_{prefix}_API_KEY")
    if os.environ.get(f"FILMASTER_{prefix}_TIMEOUT"):
        config["timeout_s"] = float(os.environ[f"FILMASTER_{prefix}_TIMEOUT"])
    if os.environ.get(f"FILMASTER_{prefix}_MAX_RETRIES"):
        config["max_retries"] = int(os.environ[f"FILMASTER_{prefix}_MAX_RETRIES"])
    if prefix in ("VIDEO", "IMAGE") and os.environ.get(f"FILMASTER_{prefix}_BACKEND", "").strip():
        config["backend"] = os.environ[f"FILMASTER_{prefix}_BACKEND"].strip()
    if prefix == "VIDEO":
        for knob, key in (("WORKFLOW", "comfyui_workflow"), ("MAPPING", "comfyui_mapping")):
            if os.environ.get(f"FILMASTER_COMFYUI_{knob}", "").strip():
                config[key] = os.environ[f"FILMASTER_COMFYUI_{knob}"].strip()
        if os.environ.get("FILMASTER_COMFYUI_MAX_WAIT", "").strip():
            config["comfyui_max_wait_s"] = float(os.environ["FILMASTER_COMFYUI_MAX_WAIT"])
    if prefix == "IMAGE":
        for knob, key in (("WORKFLOW", "comfyui_workflow"), ("MAPPING", "comfyui_mapping")):
            if os.environ.get(f"FILMASTER_COMFYUI_IMAGE_{knob}", "").strip():
                config[key] = os.environ[f"FILMASTER_COMFYUI_IMAGE_{knob}"].strip()
    if prefix == "VISION":  # the judge's own knobs: answers averaged, frames shown
        for knob in ("SAMPLES", "KEYFRAMES"):
            if os.environ.get(f"FILMASTER_VISION_{knob}"):
                config[knob.lower()] = int(os.environ[f"FILMASTER_VISION_{knob}"])
    return config


def build_resources() -> dict:
    root = str(studio_root())
    resources: dict = {"studio": StudioResource(root=root), "io_manager": FilmStoreIOManager(root=root),
                       "visual_library": VisualLibraryResource()}
    for key, prefix in ROLE_ENV.items():
        resources[key] = ROLE_CLASS[key](**_endpoint_config(prefix))
    return resources


def backends_summary(resources: dict) -> dict[str, str]:
    """Which backend each role uses, for run metadata and the CLI (never includes keys)."""
    return {key: resources[key].backend_name() for key in ROLE_ENV}
