"""The vision role: an OpenAI-compatible multimodal chat model (the FilmEval judge).

``OpenAIVisionJudge`` is plain Python; ``VisionModelResource`` is the Dagster resource that builds
it, configured by FILMASTER_VISION_BASE_URL / _MODEL / _API_KEY (and _SAMPLES, _KEYFRAMES) through
``resources.build_resources``. With no base URL the role is offline and films are judged by the
measured proxies of ``evaluation.offline_judge``.
"""

from __future__ import annotations

import base64
import json
from typing import Optional, TypeVar

from pydantic import BaseModel, ValidationError

from filmcraft.budget import Budget
from filmcraft.roles import Keyframe
from filmcraft.store import Studio, sha256_file
from resources.endpoint import EndpointResource, FailFastOnBudget
from resources.openai_backends import (
    ModelRoleError, ask_twice, budgeted_create, chat_text, openai_client, validation_fault,
)

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
        self._client = openai_client(base_url, api_key, timeout_s, max_retries)
        self.calls = 0  # real requests sent (cache hits excluded)
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
        answer = self._send(messages, schema, sample)
        try:
            return schema.model_validate_json(answer)
        except ValidationError as first:
            # Refuse and ask once more: the model sees its own answer and exactly what was wrong.
            messages += [
                {"role": "assistant", "content": answer},
                {"role": "user", "content": "That answer is refused: " + _errors(first) +
                                            "\nScores must be integers from 1 to 5 for all twelve criteria. "
                                            "Reply again with only the corrected JSON object."},
            ]
            answer = self._send(messages, schema, sample)
            try:
                return schema.model_validate_json(answer)
            except ValidationError as second:
                raise ModelRoleError(self.role, f"answer is not a valid {schema.__name__} "
                                                f"({validation_fault(answer, second)}) after one repeated "
                                                f"request: {_errors(second)}") from second

    def _send(self, messages: list[dict], schema: type[BaseModel], sample: int) -> str:
        def send():
            self.calls += 1
            return self._client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, seed=self.seed + sample,
                response_format={"type": "json_schema",
                                 "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}},
            )

        # an empty answer comes back as '' and gets the repeated request of _ask
        return ask_twice(self.role, lambda: budgeted_create(self.budget, self.role, messages, send), chat_text)


def _errors(exc: ValidationError, limit: int = 8) -> str:
    """Short, model-readable validation errors: ``overall_quality.score: Input should be <= 5 (got 7)``."""
    items = []
    for e in exc.errors()[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or "answer"
        got = e.get("input")
        shown = "" if isinstance(got, (dict, list)) else f" (got {json.dumps(got)[:40]})"
        items.append(f"{where}: {e['msg']}{shown}")
    more = exc.error_count() - len(items)
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


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
        return judge if budget is None else FailFastOnBudget(judge)

