"""Real backends for every model role: any OpenAI-compatible endpoint, via the ``openai`` client.

Plain Python (no Dagster): the Dagster resources in ``resources.models`` build these. The
client is constructed directly with ``base_url``, a timeout and a retry budget (the openai
client retries 429/5xx with exponential backoff and honours Retry-After). API keys are held in
memory only and never written to caches, logs or metadata.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from filmcraft.store import Studio, atomic_path

T = TypeVar("T", bound=BaseModel)


class ModelRoleError(RuntimeError):
    """A model role failed in a way a retry will not fix; the message names the role and the fault."""

    def __init__(self, role: str, fault: str):
        super().__init__(f"model role '{role}' failed: {fault}")
        self.role = role
        self.fault = fault


def _client(base_url: str, api_key: str | None, timeout_s: float, max_retries: int):
    import openai

    # Local servers often need no key; the client insists on a non-empty string.
    return openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries)


def _describe_api_error(exc: Exception) -> str:
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "the endpoint timed out (raise FILMASTER_*_TIMEOUT or check the server)"
    if isinstance(exc, openai.RateLimitError):
        return "rate limited (HTTP 429) after all retries: wait, or lower concurrency"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code} from the endpoint after all retries"
    if isinstance(exc, openai.APIConnectionError):
        return "could not connect to the endpoint: check the base URL"
    return f"{type(exc).__name__}: {exc}"


class OpenAIChatModel:
    """JSON-schema chat completions; one repair request on invalid JSON or a wrong schema."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120,
                 max_retries: int = 3, seed: int = 0, studio: Studio | None = None):
        self.base_url = base_url
        self.model = model
        self.name = f"openai-compatible:{model}"
        self.seed = seed
        self.studio = studio
        self._client = _client(base_url, api_key, timeout_s, max_retries)
        self.calls = 0  # real requests sent (cache hits excluded); tests and budgets read it

    def complete_json(self, role: str, instructions: str, payload: dict, schema: type[T]) -> T:
        key = {"role": role, "instructions": instructions, "payload": payload, "schema": schema.model_json_schema(),
               "model": self.model, "base_url": self.base_url, "seed": self.seed}
        if self.studio is not None:
            value, _hit = self.studio.cached_json("llm", key, lambda: self._ask(role, instructions, payload, schema).model_dump(mode="json"))
            return schema.model_validate(value)
        return self._ask(role, instructions, payload, schema)

    def _ask(self, role: str, instructions: str, payload: dict, schema: type[T]) -> T:
        messages = [
            {"role": "system", "content": f"You are the {role} of a film production. {instructions}\n"
                                          "Answer with a single JSON object that matches the given JSON schema."},
            {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
        ]
        text = self._send(role, messages, schema)
        try:
            return schema.model_validate_json(text)
        except ValidationError as first:
            # One repair turn: show the model its own answer and the validation error.
            messages += [
                {"role": "assistant", "content": text},
                {"role": "user", "content": f"That answer is not valid for the schema: {str(first)[:1500]}\n"
                                            "Reply again with only the corrected JSON object."},
            ]
            text = self._send(role, messages, schema)
            try:
                return schema.model_validate_json(text)
            except ValidationError as second:
                raise ModelRoleError(role, f"answer is not valid {schema.__name__} JSON after one repair request: "
                                           f"{str(second).splitlines()[0]}") from second

    def _send(self, role: str, messages: list[dict], schema: type[BaseModel]) -> str:
        try:
            self.calls += 1
            resp = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                seed=self.seed,
                response_format={"type": "json_schema",
                                 "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}},
            )
        except Exception as exc:  # openai errors -> one clear message naming the role
            raise ModelRoleError(role, _describe_api_error(exc)) from exc
        if not resp.choices or not (resp.choices[0].message.content or "").strip():
            return ""  # empty answer: validation fails and triggers the repair turn
        return resp.choices[0].message.content


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 60,
                 max_retries: int = 3, batch_size: int = 256):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.batch_size = batch_size
        self._client = _client(base_url, api_key, timeout_s, max_retries)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.encode(["dimension probe"]).shape[1])
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[i:i + self.batch_size]]
            try:
                resp = self._client.embeddings.create(model=self.model, input=batch)
            except Exception as exc:
                raise ModelRoleError("embedder", _describe_api_error(exc)) from exc
            if len(resp.data) != len(batch):
                raise ModelRoleError("embedder", f"asked for {len(batch)} vectors, got {len(resp.data)}")
            out.extend(d.embedding for d in sorted(resp.data, key=lambda d: d.index))
        vecs = np.asarray(out, dtype=np.float32).reshape(len(texts), -1)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)


class OpenAIVoice:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120, max_retries: int = 3):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self._client = _client(base_url, api_key, timeout_s, max_retries)

    def speak(self, text: str, voice: str, out_wav: Path, rate: float | None = None) -> float:
        import soundfile as sf

        if not text.strip():
            raise ValueError("voice-over text is empty")
        # eSpeak-style voice names mean nothing to a speech endpoint: map to a stock voice.
        api_voice = voice if voice.isalpha() else "alloy"
        kwargs = {"speed": max(0.25, min(4.0, rate / 165.0))} if rate else {}
        try:
            resp = self._client.audio.speech.create(model=self.model, voice=api_voice, input=text, response_format="wav", **kwargs)
        except Exception as exc:
            raise ModelRoleError("voice", _describe_api_error(exc)) from exc
        with atomic_path(out_wav) as tmp:
            tmp.write_bytes(resp.content)
            try:
                info = sf.info(str(tmp))
            except Exception as exc:
                raise ModelRoleError("voice", f"the endpoint returned audio that is not a readable WAV ({exc})") from exc
        return float(info.frames) / info.samplerate


class OpenAIVideo:
    """``videos.create`` with the scene's location plate as ``input_reference``, poll, download."""

    SECONDS = (4, 8, 12)

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 600,
                 max_retries: int = 3, poll_s: float = 2.0, max_wait_s: float = 1800):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.poll_s = poll_s
        self.max_wait_s = max_wait_s
        self._client = _client(base_url, api_key, timeout_s, max_retries)

    def render(self, prompt: str, reference_image: Path | None, duration_s: float, width: int, height: int, out_path: Path) -> None:
        from filmcraft.media import MediaError, probe

        seconds = min(self.SECONDS, key=lambda s: (s < duration_s, abs(s - duration_s)))
        kwargs: dict = {"model": self.model, "prompt": prompt, "seconds": str(seconds), "size": f"{width}x{height}"}
        try:
            if reference_image is not None:
                with open(reference_image, "rb") as ref:
                    job = self._client.videos.create(input_reference=ref, **kwargs)
            else:
                job = self._client.videos.create(**kwargs)
            deadline = time.monotonic() + self.max_wait_s
            while job.status in ("queued", "in_progress"):
                if time.monotonic() > deadline:
                    raise ModelRoleError("video", f"job {job.id} still {job.status} after {self.max_wait_s:.0f}s")
                time.sleep(self.poll_s)
                job = self._client.videos.retrieve(job.id)
            if job.status != "completed":
                raise ModelRoleError("video", f"job {job.id} ended with status {job.status}: {getattr(job, 'error', None)}")
            content = self._client.videos.download_content(job.id)
        except ModelRoleError:
            raise
        except Exception as exc:
            raise ModelRoleError("video", _describe_api_error(exc)) from exc
        with atomic_path(out_path) as tmp:
            tmp.write_bytes(content.content)
            try:
                info = probe(tmp)
            except MediaError as exc:
                raise ModelRoleError("video", f"the endpoint returned a broken video file ({exc})") from exc
            if not info.has_video:
                raise ModelRoleError("video", "the endpoint returned a file with no video stream")
