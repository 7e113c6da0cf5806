"""Real backends for every model role: any OpenAI-compatible endpoint, via the ``openai`` client.

Plain Python (no Dagster): the role resources (``resources.text``, ``.embeddings``, ``.voice``, ``.video``, ``.vision``) build these. The
client is constructed directly with ``base_url``, a timeout and a retry budget (the openai
client retries 429/5xx with exponential backoff and honours Retry-After). API keys are held in
memory only and never written to caches, logs or metadata.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Callable, TypeVar

import numpy as np
from pydantic import BaseModel, ValidationError

from filmcraft.budget import Budget, BudgetExceeded
from filmcraft.store import Studio, atomic_path
from filmcraft.roles import DEFAULT_RATE_WPM

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
V = TypeVar("V")


class ModelRoleError(RuntimeError):
    """A model role failed in a way a retry will not fix; the message names the role and the fault."""

    def __init__(self, role: str, fault: str):
        super().__init__(f"model role '{role}' failed: {fault}")
        self.role = role
        self.fault = fault


def openai_client(base_url: str, api_key: str | None, timeout_s: float, max_retries: int):
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


class _BadAnswer(Exception):
    """The endpoint answered (HTTP 2xx) but the answer is unusable. One repeated request may fix it;
    transport faults (429, 5xx, timeouts) are retried by the openai client itself."""


TRUNCATED = "the answer is not valid JSON (truncated or garbled)"
WRONG_SCHEMA = "the answer is valid JSON of the wrong schema"
EMPTY = "empty answer"


def _preview(raw: object, n: int = 60) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return repr(text[:n] + ("..." if len(text) > n else ""))


def _parsed(resp: object, expected: str) -> object:
    """The openai client hands back the raw body as a str when it is not JSON: name that fault."""
    if isinstance(resp, (str, bytes)):
        if not resp.strip():
            raise _BadAnswer(f"{EMPTY}: an empty response body where {expected} was expected")
        raise _BadAnswer(f"{TRUNCATED}: {_preview(resp)} where {expected} was expected")
    return resp


def _not_media(data: bytes, expected: str) -> None:
    """Zero bytes, or a JSON body where audio/video bytes were expected."""
    if not data:
        raise _BadAnswer(f"{EMPTY}: zero bytes where {expected} was expected")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _BadAnswer(f"{TRUNCATED}: {_preview(data)} where {expected} was expected") from None
        raise _BadAnswer(f"{WRONG_SCHEMA}: JSON {_preview(data)} where {expected} was expected")


def ask_twice(role: str, request: Callable[[], R], read: Callable[[R], V]) -> V:
    """Send and read; an unusable answer gets one repeated request, then a ModelRoleError naming the
    role and the fault. API errors (after the client's own retries) become a ModelRoleError at once."""
    problem: _BadAnswer | None = None
    for _attempt in range(2):
        try:
            resp = request()
        except _BadAnswer as bad:
            problem = bad
            continue
        except json.JSONDecodeError as exc:  # a body sent as application/json that does not parse
            problem = _BadAnswer(f"{EMPTY}: an empty response body" if not exc.doc.strip()
                                 else f"{TRUNCATED}: {_preview(exc.doc)}")
            continue
        except (ModelRoleError, BudgetExceeded):
            raise
        except Exception as exc:  # openai errors -> one clear message naming the role
            raise ModelRoleError(role, _describe_api_error(exc)) from exc
        try:
            return read(resp)
        except _BadAnswer as bad:
            problem = bad
    raise ModelRoleError(role, f"{problem} (twice in a row)") from problem


def validation_fault(text: str, exc: ValidationError) -> str:
    """Which answer fault a failed validation was: empty, broken JSON, or the wrong schema."""
    if not text.strip():
        return EMPTY
    if any(e["type"] == "json_invalid" for e in exc.errors()):
        return "truncated or garbled JSON"
    return "wrong schema"


def chat_text(resp: object) -> str:
    """The message content of a chat completion ('' when empty, so the repair turn asks again)."""
    resp = _parsed(resp, "a chat completion")
    choices = getattr(resp, "choices", None)
    if not isinstance(choices, list):
        raise _BadAnswer(f"{WRONG_SCHEMA}: no 'choices' (not a chat completion)")
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    return getattr(message, "content", None) or ""


class OpenAIChatModel:
    """JSON-schema chat completions; one repair request on invalid JSON, a wrong schema or an empty answer.

    With a ``budget`` every real request is checked against the film's LLM token budget first and its
    ``usage.total_tokens`` recorded after (cache hits cost nothing)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120,
                 max_retries: int = 3, seed: int = 0, studio: Studio | None = None, budget: Budget | None = None):
        self.base_url = base_url
        self.model = model
        self.name = f"openai-compatible:{model}"
        self.seed = seed
        self.studio = studio
        self.budget = budget
        self._client = openai_client(base_url, api_key, timeout_s, max_retries)
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
                raise ModelRoleError(role, f"answer is not valid {schema.__name__} JSON "
                                           f"({validation_fault(text, second)}) after one repair request: "
                                           f"{str(second).splitlines()[0]}") from second

    def _send(self, role: str, messages: list[dict], schema: type[BaseModel]) -> str:
        def send():
            self.calls += 1
            return self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=0,
                seed=self.seed,
                response_format={"type": "json_schema",
                                 "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}},
            )

        return ask_twice(role, lambda: budgeted_create(self.budget, role, messages, send), chat_text)


IMAGE_TOKENS = 85  # what a low-detail image costs on OpenAI's models; its base64 is not text


def budgeted_create(budget: Budget | None, role: str, messages: list[dict], create: Callable[[], Any]) -> Any:
    """Send one chat request against the film's LLM token budget: refused before sending once the
    tokens are spent, charged after with the answer's ``usage.total_tokens``. When the endpoint
    reports none, about 4 characters a token (images at ``IMAGE_TOKENS`` each) so the budget binds."""
    if budget is None:
        return create()
    budget.check_llm(role)
    resp = create()
    tokens = getattr(getattr(resp, "usage", None), "total_tokens", None)
    if isinstance(tokens, int) and tokens >= 0:
        budget.add_llm_tokens(tokens)
        return resp

    def is_image(part: object) -> bool:
        return isinstance(part, dict) and part.get("type") == "image_url"

    images = sum(is_image(p) for m in messages if isinstance(m.get("content"), list) for p in m["content"])
    sent = [{**m, "content": [p for p in m["content"] if not is_image(p)]} if isinstance(m.get("content"), list) else m
            for m in messages]
    answer = resp if isinstance(resp, str) else json.dumps(getattr(resp, "model_extra", None) or {}, default=str)
    chars = len(json.dumps(sent, ensure_ascii=False)) + len(answer or "")
    budget.add_llm_tokens(max(1, chars // 4) + images * IMAGE_TOKENS, estimated=True)
    return resp


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 60,
                 max_retries: int = 3, batch_size: int = 256):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.batch_size = batch_size
        self._client = openai_client(base_url, api_key, timeout_s, max_retries)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.encode(["dimension probe"]).shape[1])
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out: list[np.ndarray] = []
        for i in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[i:i + self.batch_size]]
            out.append(ask_twice("embedder", lambda b=batch: self._request(b), lambda r, b=batch: self._vectors(r, len(b))))
        if not out:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        if len({v.shape[1] for v in out}) > 1:
            raise ModelRoleError("embedder", f"{WRONG_SCHEMA}: batches came back with different dimensions "
                                             f"{sorted({v.shape[1] for v in out})}")
        vecs = np.concatenate(out)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)

    def _request(self, batch: list[str]):
        try:
            return self._client.embeddings.create(model=self.model, input=batch)
        except ValueError as exc:
            # raised by the client's own parser when the answer has no (or an empty) data list
            if "No embedding data" in str(exc):
                raise _BadAnswer(f"{EMPTY}: no embedding vectors in the answer") from exc
            raise

    def _vectors(self, resp: object, n: int) -> np.ndarray:
        resp = _parsed(resp, "an embeddings list")
        data = getattr(resp, "data", None)
        if not isinstance(data, list):
            raise _BadAnswer(f"{WRONG_SCHEMA}: no 'data' list (not an embeddings answer)")
        if not data:
            raise _BadAnswer(f"{EMPTY}: no embedding vectors in the answer")
        if len(data) != n:
            raise _BadAnswer(f"{WRONG_SCHEMA}: asked for {n} vectors, got {len(data)}")
        rows = []
        for j, d in enumerate(data):
            vec, index = getattr(d, "embedding", None), getattr(d, "index", None)
            if not isinstance(vec, list) or not vec or not all(isinstance(x, (int, float)) for x in vec):
                raise _BadAnswer(f"{WRONG_SCHEMA}: item {j} has no numeric 'embedding' list")
            rows.append((index if isinstance(index, int) else j, vec))
        if sorted(i for i, _ in rows) != list(range(n)) or len({len(v) for _, v in rows}) != 1:
            raise _BadAnswer(f"{WRONG_SCHEMA}: indexes or vector lengths do not match the batch")
        vecs = np.asarray([v for _, v in sorted(rows, key=lambda r: r[0])], dtype=np.float32)
        if not np.isfinite(vecs).all():
            raise _BadAnswer(f"{WRONG_SCHEMA}: vectors with NaN or infinite values")
        return vecs


class OpenAIVoice:
    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120, max_retries: int = 3):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self._client = openai_client(base_url, api_key, timeout_s, max_retries)

    def speak(self, text: str, voice: str, out_wav: Path, rate: int = DEFAULT_RATE_WPM) -> float:
        if not text.strip():
            raise ValueError("voice-over text is empty")
        # eSpeak-style voice names mean nothing to a speech endpoint: map to a stock voice.
        api_voice = voice if voice.isalpha() else "alloy"
        # The endpoint's ``speed`` is a multiple of its natural pace (0.25-4.0); the default rate is 1.0.
        speed = max(0.25, min(4.0, rate / DEFAULT_RATE_WPM))

        def request() -> bytes:
            return self._client.audio.speech.create(model=self.model, voice=api_voice, input=text,
                                                    response_format="wav", speed=speed).content

        audio = ask_twice("voice", request, _wav_bytes)
        with atomic_path(out_wav) as tmp:
            tmp.write_bytes(audio)
        return _wav_seconds(audio)


def _wav_seconds(data: bytes) -> float:
    import io

    import soundfile as sf

    info = sf.info(io.BytesIO(data))
    return float(info.frames) / info.samplerate


def _wav_bytes(data: bytes) -> bytes:
    """Speech must be a readable WAV with at least one frame; checked before anything is written."""
    _not_media(data, "WAV audio")
    try:
        seconds = _wav_seconds(data)
    except Exception as exc:
        raise _BadAnswer(f"the endpoint returned audio that is not a readable WAV ({exc})") from exc
    if seconds <= 0:
        raise _BadAnswer(f"{EMPTY}: a WAV with no audio frames")
    return data


class OpenAIVideo:
    """``videos.create`` with the scene's location plate as ``input_reference``, poll, download."""

    SECONDS = (4, 8, 12)

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 600,
                 max_retries: int = 3, poll_s: float = 2.0, max_wait_s: float = 1800):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.poll_s = poll_s
        self.max_wait_s = max_wait_s
        self._client = openai_client(base_url, api_key, timeout_s, max_retries)

    @classmethod
    def seconds_for(cls, duration_s: float) -> int:
        """The clip length the endpoint is asked for (and bills): the shortest offered length that covers the shot."""
        return min(cls.SECONDS, key=lambda s: (s < duration_s, abs(s - duration_s)))

    def render(self, prompt: str, reference_image: Path | None, duration_s: float, width: int, height: int, out_path: Path) -> None:
        from filmcraft.media import MediaError, probe

        kwargs: dict = {"model": self.model, "prompt": prompt, "seconds": str(self.seconds_for(duration_s)),
                        "size": f"{width}x{height}"}

        def create():
            if reference_image is None:
                return self._client.videos.create(**kwargs)
            with open(reference_image, "rb") as ref:
                return self._client.videos.create(input_reference=ref, **kwargs)

        job = ask_twice("video", create, _video_job)
        deadline = time.monotonic() + self.max_wait_s
        while job.status in ("queued", "in_progress"):
            if time.monotonic() > deadline:
                raise ModelRoleError("video", f"job {job.id} still {job.status} after {self.max_wait_s:.0f}s")
            time.sleep(self.poll_s)
            job = ask_twice("video", lambda jid=job.id: self._client.videos.retrieve(jid), _video_job)
        if job.status != "completed":
            raise ModelRoleError("video", f"job {job.id} ended with status {job.status}: {getattr(job, 'error', None)}")
        content = ask_twice("video", lambda: self._client.videos.download_content(job.id).content,
                             lambda data: (_not_media(data, "MP4 video"), data)[1])
        with atomic_path(out_path) as tmp:
            tmp.write_bytes(content)
            try:
                info = probe(tmp)
            except MediaError as exc:
                raise ModelRoleError("video", f"the endpoint returned a broken video file ({exc})") from exc
            if not info.has_video:
                raise ModelRoleError("video", "the endpoint returned a file with no video stream")


_JOB_STATES = ("queued", "in_progress", "completed", "failed", "cancelled", "canceled", "expired")


def _video_job(resp: object):
    """A video job must carry an id and a known status (create and poll answers alike)."""
    job = _parsed(resp, "a video job")
    if not isinstance(getattr(job, "id", None), str) or not job.id or getattr(job, "status", None) not in _JOB_STATES:
        raise _BadAnswer(f"{WRONG_SCHEMA}: no job 'id' or no known 'status' (not a video job)")
    return job
