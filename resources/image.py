"""The image role: reference images of the film's characters and locations from a text-to-image service.

``ImageResource`` is the Dagster resource, configured by FILMASTER_IMAGE_BASE_URL / _MODEL / _API_KEY /
_TIMEOUT / _MAX_RETRIES and FILMASTER_IMAGE_BACKEND (the service's protocol, ``BACKENDS`` below) through
``resources.build_resources``. With no base URL the role is offline: ``image_model()`` is None and the
painted cards of ``filmcraft.references`` stay the reference images.

``OpenAIImages`` speaks the OpenAI images API (``images.generate``, the picture as base64) through the
role's ``RoleEndpoint``: one retry budget for transient faults, one repeated request for an unusable
answer (not base64, not a PNG/JPEG, smaller than a reference may be).
"""

from __future__ import annotations

import base64
import binascii
import io
from pathlib import Path
from typing import Callable

from filmcraft.references.user_images import MIN_REFERENCE_SIDE
from filmcraft.roles import ImageModel
from filmcraft.store import atomic_path
from resources.endpoint import EndpointResource, FailFast, fail_fast
from resources.openai_backends import (EMPTY, ENV_OF_ROLE_CLASS, WRONG_SCHEMA, BadAnswer, ModelRoleError,
                                       RoleEndpoint, parsed_answer)

# Sizes each model family accepts; a request takes the one closest in shape to what was asked.
_SIZES = {
    "dall-e-2": ((1024, 1024), (512, 512), (256, 256)),
    "dall-e-3": ((1024, 1024), (1792, 1024), (1024, 1792)),
}
_GPT_IMAGE_SIZES = ((1024, 1024), (1536, 1024), (1024, 1536))  # gpt-image-1 and most compatible servers
MAX_IMAGE_BYTES = 50_000_000  # a reference image is a guide: anything larger is not one


def api_size(model: str, width: int, height: int) -> tuple[int, int]:
    """The size the service offers that is closest in aspect ratio to ``width`` x ``height`` (then largest)."""
    if width < 1 or height < 1:
        raise ValueError(f"image size {width}x{height}: give a positive width and height")
    sizes = next((s for prefix, s in _SIZES.items() if model.startswith(prefix)), _GPT_IMAGE_SIZES)
    want = width / height
    return min(sizes, key=lambda s: (abs(s[0] / s[1] - want), -s[0] * s[1]))


def image_bytes(resp: object) -> bytes:
    """The picture of an ``images.generate`` answer, checked: base64 of a PNG or JPEG whose sides are at
    least ``MIN_REFERENCE_SIDE``. Anything else is a ``BadAnswer`` (one repeated request)."""
    from PIL import Image

    resp = parsed_answer(resp, "an images answer")
    data = getattr(resp, "data", None)
    if not isinstance(data, list):
        raise BadAnswer(f"{WRONG_SCHEMA}: no 'data' list (not an images answer)")
    if not data:
        raise BadAnswer(f"{EMPTY}: no image in the answer")
    b64 = getattr(data[0], "b64_json", None)
    if not isinstance(b64, str) or not b64.strip():
        hint = " (the server sent a URL: it ignores response_format=b64_json)" if getattr(data[0], "url", None) else ""
        raise BadAnswer(f"{WRONG_SCHEMA}: no 'b64_json' picture in the answer{hint}")
    if len(b64) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise BadAnswer(f"{WRONG_SCHEMA}: a picture of over {MAX_IMAGE_BYTES:,} bytes")
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadAnswer(f"{WRONG_SCHEMA}: 'b64_json' is not base64") from None
    try:
        with Image.open(io.BytesIO(blob), formats=("PNG", "JPEG")) as im:
            size = im.size
            im.load()
    except Exception as exc:  # Pillow raises many types for broken data
        raise BadAnswer(f"{WRONG_SCHEMA}: the picture is not a readable PNG or JPEG ({type(exc).__name__})") from None
    if min(size) < MIN_REFERENCE_SIDE:
        raise BadAnswer(f"{WRONG_SCHEMA}: the picture is {size[0]}x{size[1]}, smaller than "
                        f"{MIN_REFERENCE_SIDE} px a side")
    return blob


class OpenAIImages:
    """``images.generate`` (one picture, base64) as a PNG reference image."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 180,
                 max_retries: int = 3):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["image"])

    def paint(self, prompt: str, width: int, height: int, out_png: Path) -> None:
        from PIL import Image

        if not prompt.strip():
            raise ValueError("image prompt is empty")
        w, h = api_size(self.model, width, height)
        kwargs: dict = {"model": self.model, "prompt": prompt, "n": 1, "size": f"{w}x{h}"}
        if self.model.startswith("dall-e"):
            kwargs["response_format"] = "b64_json"  # DALL-E answers with a URL unless asked; gpt-image-1 always b64

        blob = self.endpoint.ask("image", lambda: self.endpoint.client.images.generate(**kwargs), image_bytes)
        # stored as PNG whatever came (a JPEG is re-encoded once), so every later stage reads one format
        with Image.open(io.BytesIO(blob)) as im, atomic_path(out_png) as tmp:
            im.convert("RGBA" if "A" in im.getbands() else "RGB").save(tmp, format="PNG")


def _openai(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int) -> ImageModel:
    return OpenAIImages(base_url, model, api_key, timeout_s, max_retries)


def _comfyui(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int,
             workflow: str = "", mapping: str = "") -> ImageModel:
    from resources.comfyui import ComfyImage

    # the model is whatever the workflow loads; the workflow's own name and hash key the cache
    return ComfyImage(base_url, workflow, mapping, api_key, timeout_s, max_retries)


# name -> factory(base_url, model, api_key, timeout_s, max_retries, **the backend's own options)
BACKENDS: dict[str, Callable[..., ImageModel]] = {
    "openai": _openai,
    "comfyui": _comfyui,  # a text-to-image workflow: FILMASTER_COMFYUI_IMAGE_WORKFLOW / _MAPPING
}


def image_backend(kind: str, base_url: str, model: str, api_key: str | None, timeout_s: float,
                  max_retries: int, options: dict | None = None) -> ImageModel:
    """The backend called ``kind``; an unknown name is refused naming the variable and the choices."""
    if kind not in BACKENDS:
        raise ValueError(f"FILMASTER_IMAGE_BACKEND={kind!r} is not an image backend: choose one of "
                         f"{', '.join(sorted(BACKENDS))}")
    return BACKENDS[kind](base_url, model, api_key, timeout_s, max_retries, **(options or {}))


class ImageResource(EndpointResource):
    """Reference images of characters and locations without a user image. Offline (no base URL): none,
    the painted cards are used."""

    model: str = "gpt-image-1"
    timeout_s: float = 180.0
    backend: str = "openai"  # the service's protocol (FILMASTER_IMAGE_BACKEND): BACKENDS above
    comfyui_workflow: str = ""  # FILMASTER_COMFYUI_IMAGE_WORKFLOW: an API-format text-to-image workflow
    comfyui_mapping: str = ""  # FILMASTER_COMFYUI_IMAGE_MAPPING: which of its inputs get prompt, size, seed

    def image_model(self) -> ImageModel | None:
        if self.is_offline:
            return None
        with fail_fast():  # an unknown backend fails the step without a step retry
            try:
                options = ({"workflow": self.comfyui_workflow, "mapping": self.comfyui_mapping}
                           if self.backend == "comfyui" else None)
                model = image_backend(self.backend, self.base_url, self.model, self.api_key, self.timeout_s,
                                      self.max_retries, options)
            except ValueError as exc:
                raise ModelRoleError("image", str(exc)) from None
        return FailFast(model)  # a model-role fault fails the step without a step retry

    def backend_name(self) -> str:
        if self.is_offline:
            return super().backend_name()
        return super().backend_name() if self.backend == "openai" else f"{self.backend}:{self.model}"
