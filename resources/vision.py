"""The vision role: an OpenAI-compatible multimodal chat model (the FilmEval judge).

``OpenAIVisionJudge`` is plain Python; ``VisionModelResource`` is the Dagster resource that builds
it, configured by FILMASTER_VISION_BASE_URL / _MODEL / _API_KEY (and _SAMPLES, _KEYFRAMES) through
``resources.build_resources``. With no base URL the role is offline and films are judged by the
measured proxies of ``evaluation.offline_judge``.
"""

from __future__ import annotations

import base64
from typing import Optional, TypeVar

from pydantic import BaseModel

from filmcraft.budget import Budget
from filmcraft.roles import Keyframe
from filmcraft.store import Studio, sha256_file
from resources.endpoint import EndpointResource, FailFast
from resources.openai_backends import ENV_OF_ROLE_CLASS, RoleEndpoint, budgeted_create, chat_json

T = TypeVar("T", bound=BaseModel)

_MIME = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def _data_uri(frame: Keyframe) -> str:
    mime = _MIME.get(frame.path.suffix.lower())
    if mime is None:
        raise ValueError(f"keyframe {frame.path}: only JPEG or PNG frames can be sent to the judge")
    return f"data:{mime};base64," + base64.b64encode(frame.path.read_bytes()).decode("ascii")


class OpenAIVisionJudge:
    """JSON-schema chat completions with keyframes as ``image_url`` data URIs.

    An answer that fails validation (bad JSON, a missing criterion, a score outside 1-5) is refused:
    the model sees its answer and the validation errors and is asked again once; a second invalid
    answer raises ``ModelRoleError``. Samples differ by seed (``seed + sample``) at ``temperature``.
    Requests go through ``RoleEndpoint`` (FILMASTER_VISION_*): one retry budget for transient faults.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 180,
                 max_retries: int = 3, seed: int = 0, temperature: float = 0.7, detail: str = "low",
                 studio: Studio | None = None, role: str = "FilmEval judge", budget: Budget | None = None):
        self.role = role  # named in errors: the FilmEval judge, or the foley/SFX spotter of sound design
        self.base_url = base_url
        self.model = model
        self.name = f"openai-compatible:{model}"
        self.seed = seed
        self.temperature = temperature
        self.detail = detail
        self.studio = studio
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["vision"])
        self.budget = budget  # the film's LLM token budget: vision answers spend tokens too

    def judge_json(self, instructions: str, text: str, frames: list[Keyframe], schema: type[T], sample: int = 0) -> T:
        if self.studio is None:
            return self._ask(instructions, text, frames, schema, sample)
        # Content-addressed: the same film, prompt, model and sample seed is never paid for twice.
        key = {"instructions": instructions, "text": text, "schema": schema.model_json_schema(),
               "frames": [(f.timecode_s, sha256_file(f.path)) for f in frames], "model": self.model,
               "base_url": self.base_url, "seed": self.seed + sample, "temperature": self.temperature,
               "detail": self.detail}
        value, _hit = self.studio.cached_json(
            "vision-judge", key, lambda: self._ask(instructions, text, frames, schema, sample).model_dump(mode="json"))
        return schema.model_validate(value)

    def _ask(self, instructions: str, text: str, frames: list[Keyframe], schema: type[T], sample: int) -> T:
        from evaluation.llm_judge import timecode

        content: list[dict] = [{"type": "text", "text": text}]
        for i, f in enumerate(frames, 1):
            content.append({"type": "text", "text": f"Keyframe {i}: {timecode(f.timecode_s)}, shot {f.shot_id}"})
            content.append({"type": "image_url", "image_url": {"url": _data_uri(f), "detail": self.detail}})
        messages: list[dict] = [
            {"role": "system", "content": f"{instructions}\nAnswer with a single JSON object that matches the given "
                                          "JSON schema: every criterion with an integer score from 1 to 5 and a reason."},
            {"role": "user", "content": content},
        ]
        response_format = {"type": "json_schema",
                           "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}}

        def create():
            return self.endpoint.client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, seed=self.seed + sample,
                response_format=response_format)

        # Refused once: the model sees its own answer and exactly what was wrong, and answers again.
        return chat_json(self.endpoint, self.role, messages, schema,
                         lambda: budgeted_create(self.budget, self.role, messages, create),
                         "That answer is refused:")


class VisionModelResource(EndpointResource):
    """The FilmEval judge. Offline (no base URL): the measured-proxy judge is used instead."""

    model: str = "gpt-4o-mini"
    timeout_s: float = 180.0
    seed: int = 0
    samples: int = 3  # answers averaged per film
    keyframes: int = 8  # frames shown per answer
    temperature: float = 0.7

    def judge(self, studio: Optional[Studio] = None, role: str = "FilmEval judge",
              budget: Optional[Budget] = None):
        """``budget``: the film's LLM token budget, checked before and charged after each real request."""
        if self.is_offline:
            return None
        judge = OpenAIVisionJudge(self.base_url, self.model, self.api_key, self.timeout_s, self.max_retries,
                                  self.seed, self.temperature, studio=studio, role=role, budget=budget)
        return FailFast(judge)  # a model-role fault or a spent budget fails the step without a step retry

