"""Real backends for every model role: any OpenAI-compatible endpoint, via the ``openai`` client.

Plain Python (no Dagster): the role resources (``resources.text``, ``.embeddings``, ``.vision``) build
these; the voice and video backends are in ``resources.openai_media``. Every request of every role (those
five) goes through one ``RoleEndpoint``, defined here, which owns the
request's whole retry budget: the ``openai`` client is built with ``max_retries=0`` and
``RoleEndpoint.send`` retries transient faults itself (429, 408, 409, 5xx but 501/505, timeouts,
connection errors), at most ``max_retries`` times, with exponential backoff that never retries sooner
than a ``Retry-After`` / ``retry-after-ms`` header asks. Other 4xx are never retried. An answer that
arrives but is unusable (garbled, empty, the wrong schema) gets exactly one repeated request
(``RoleEndpoint.ask``; chat roles: a repair turn showing the model its own answer). Every failure is a
``ModelRoleError`` naming the role, the fault, the server's own message (sanitised), whether and how
often it was retried, and the environment variable that changes it.

API keys are held in memory only and never written to caches, logs, metadata or messages.
"""

from __future__ import annotations

import email.utils
import json
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

import numpy as np
from pydantic import BaseModel, ValidationError

from filmcraft.budget import Budget, BudgetExceeded
from filmcraft.store import Studio

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")
V = TypeVar("V")

# --- the retry budget ---------------------------------------------------------------------------

BACKOFF_FIRST_S = 0.5  # the wait before the first retry when the server names none; doubles per retry
BACKOFF_MAX_S = 8.0  # ... up to this
MAX_RETRY_AFTER_S = 60.0  # a server asking for a longer wait is not retried: the error says when to try again
ENV_OF_ROLE_CLASS = {"text": "LLM", "embeddings": "EMBED", "voice": "TTS", "video": "VIDEO", "vision": "VISION",
                     "image": "IMAGE"}


class ModelRoleError(RuntimeError):
    """A model role failed in a way a retry will not fix (any retrying has been done): the message names
    the role, the fault, how often it was retried and what to change. ``requests``: HTTP requests this
    call sent; ``status``: the HTTP status of the last answer, if it was an HTTP error."""

    def __init__(self, role: str, fault: str, requests: int | None = None, status: int | None = None):
        super().__init__(f"model role '{role}' failed: {fault}")
        self.role = role
        self.fault = fault
        self.requests = requests
        self.status = status


def openai_client(base_url: str, api_key: str | None, timeout_s: float):
    """The ``openai`` client with its own retries off: ``RoleEndpoint`` owns the retry budget."""
    import openai

    # Local servers often need no key; the client insists on a non-empty string.
    return openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0)


_TOKEN_CHARS = r"[^\s,;\"'&()\[\]<>]"  # what a key or token is made of, up to punctuation that ends it
_SECRET_PATTERNS = (
    re.compile(r"(?i)\bbearer\s+" + _TOKEN_CHARS + "+"),
    # sk-..., sk-proj-..., key_...: also when masked (sk-proj-Q7hW*****8dEf); a final full stop stays
    re.compile(r"\b(?:sk|pk|rk|ak|key|api|tok|token)[-_](?=[A-Za-z0-9_\-*]*[\d*])[A-Za-z0-9_\-*]{6,}"
               r"(?:\.[A-Za-z0-9_\-*]+)*"),
    re.compile(r"(?i)((?:api[_-]?key|access[_-]?token|token|secret|password|authorization)[\"']?\s*[:=]\s*[\"']?)"
               + _TOKEN_CHARS + "+"),
    re.compile(r"\b(?=[A-Za-z0-9_\-]*\d)(?=[A-Za-z0-9_\-]*[A-Za-z])[A-Za-z0-9_\-]{32,}\b"),  # long opaque tokens
)


def sanitise(text: object, secret: str | None = None, limit: int = 200) -> str:
    """A server's text fit to show: one line, anything that looks like a key or bearer token (and the
    configured key itself) replaced by [redacted], at most ``limit`` characters."""
    out = " ".join(str(text).split())
    if secret:
        out = out.replace(secret, "[redacted]")
    for pattern in _SECRET_PATTERNS:
        out = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + "[redacted]", out)
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _server_message(body: object) -> str:
    """The human message of an error body: OpenAI's ``{"error": {"message"}}`` and the usual variants."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            for key in ("message", "detail", "msg", "error"):
                if isinstance(inner.get(key), str) and inner[key].strip():
                    return inner[key]
        if isinstance(inner, str) and inner.strip():
            return inner
        if isinstance(body.get("detail"), str):
            return body["detail"]
        return json.dumps(body)[:400]
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return "" if body is None else str(body)


def retry_after_s(headers: Any) -> float | None:
    """Seconds a response asks the client to wait: ``retry-after-ms``, else ``retry-after`` in seconds
    or as an HTTP date; None when it names no (valid) wait."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / scale
        except ValueError:
            continue
        if seconds == seconds and seconds >= 0:  # not NaN, not negative
            return seconds
    value = headers.get("retry-after")
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is not None:
            return max(0.0, when.timestamp() - time.time())
    return None


def is_transient(status: int) -> bool:
    """HTTP statuses a retry can fix: request timeout, conflict, rate limit, server errors (but not
    501 Not Implemented or 505, which say the server will never do this)."""
    return status in (408, 409, 429) or (status >= 500 and status not in (501, 505))


@dataclass
class _Fault:
    """One failed HTTP attempt, classified."""

    kind: str  # "status", "timeout", "connection", "other"
    transient: bool
    status: int | None = None
    retry_after: float | None = None
    server_said: str = ""
    detail: str = ""


class BadAnswer(Exception):
    """The endpoint answered (HTTP 2xx) but the answer is unusable: one repeated request may fix it.
    ``kind``: the fault in a few words (the message up to its first colon); ``detail``: what was wrong."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.kind = message.split(":", 1)[0]
        self.detail = detail


class _InvalidAnswer(BadAnswer):
    """A chat answer that does not validate against its schema: the repair turn shows it to the model."""

    def __init__(self, message: str, detail: str, fault: str, answer: str, error: ValidationError):
        super().__init__(message, detail)
        self.kind = fault
        self.answer = answer
        self.error = error


TRUNCATED = "the answer is not valid JSON (truncated or garbled)"
WRONG_SCHEMA = "the answer is valid JSON of the wrong schema"
EMPTY = "empty answer"


def preview(raw: object, n: int = 60) -> str:
    """The start of an answer, sanitised and quoted, for an error message."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return repr(sanitise(text[:n] + ("..." if len(text) > n else ""), limit=n + 20))


class RoleEndpoint:
    """One model role's OpenAI-compatible endpoint and the one retry budget every request to it spends.

    ``send`` is one request: transient faults retried with backoff, the rest raised at once, each as a
    ``ModelRoleError`` saying what the server said, how often it was retried and which variable to change.
    ``ask`` is one answer: ``send`` plus exactly one repeated request when the answer is unusable.
    ``env`` is the role's variable prefix (``FILMASTER_<env>_*``: LLM, EMBED, TTS, VIDEO, VISION)."""

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int,
                 env: str, sleep: Callable[[float], None] = time.sleep):
        if max_retries < 0:
            raise ValueError(f"FILMASTER_{env}_MAX_RETRIES is {max_retries}: give 0 or more retries")
        self.base_url = base_url
        self.model = model
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.env = env
        self.client = openai_client(base_url, api_key, timeout_s)
        self._secret = api_key
        self._sleep = sleep
        self.requests = 0  # every HTTP request sent through this endpoint (retries included)

    def var(self, knob: str) -> str:
        return f"FILMASTER_{self.env}_{knob}"

    def clean(self, text: object, limit: int = 200) -> str:
        """``sanitise`` with this endpoint's own key redacted too."""
        return sanitise(text, self._secret, limit)

    # -- one request ------------------------------------------------------------------------

    def send(self, role: str, request: Callable[[], R]) -> R:
        started, retries = time.monotonic(), 0
        while True:
            self.requests += 1
            try:
                return request()
            except BudgetExceeded:  # refused before sending (the film's token budget): nothing was sent
                self.requests -= 1
                raise
            except (ModelRoleError, BadAnswer):
                raise
            except json.JSONDecodeError as exc:  # a body sent as application/json that does not parse
                raise BadAnswer(f"{EMPTY}: an empty response body" if not exc.doc.strip()
                                 else f"{TRUNCATED}: {preview(exc.doc)}") from None
            except Exception as exc:
                fault, cause = self._classify(exc), exc
            sent = retries + 1
            if not fault.transient:
                raise self._error(role, fault, self._not_transient(fault), sent) from cause
            if fault.retry_after is not None and fault.retry_after > MAX_RETRY_AFTER_S:
                stop = "not retried" if retries == 0 else f"stopped after {retries} retries"
                note = (f"{stop}: the server asked to wait {fault.retry_after:.0f} s, longer than the "
                        f"{MAX_RETRY_AFTER_S:.0f} s FilMaster waits within one request; run the same command "
                        "again after that")
                raise self._error(role, fault, note, sent) from cause
            if retries >= self.max_retries:
                note = (f"not retried: {self.var('MAX_RETRIES')} is 0" if retries == 0 else
                        f"after {retries} {'retry' if retries == 1 else 'retries'} over "
                        f"{time.monotonic() - started:.1f} s")
                raise self._error(role, fault, note, sent) from cause
            wait = self.backoff(retries, fault.retry_after)
            self._sleep(wait)
            retries += 1

    @staticmethod
    def backoff(retry: int, retry_after: float | None) -> float:
        """The wait before retry number ``retry`` (0-based): exponential with jitter, never less than the
        server's Retry-After."""
        wait = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** retry) * random.uniform(0.8, 1.0)
        return max(wait, retry_after or 0.0)

    # -- one answer -------------------------------------------------------------------------

    def ask(self, role: str, request: Callable[[], R], read: Callable[[R], V],
            repair: Callable[[BadAnswer], bool] | None = None) -> V:
        """``send`` and ``read``; an unusable answer (``read`` or the body raising ``BadAnswer``) gets
        exactly one repeated request, then a ModelRoleError. ``repair`` may amend the request first (a
        repair turn) and says whether it did."""
        before = self.requests
        first: BadAnswer | None = None
        again = "one repeated request"
        for attempt in range(2):
            try:
                return read(self.send(role, request))
            except BadAnswer as bad:
                if attempt == 0:
                    first = bad
                    if repair is not None and repair(bad):
                        again = "one repair request"
                    continue
                sent = self.requests - before
                both = "the same fault both times" if first is None or bad.kind == first.kind else f"first: {first.kind}"
                raise ModelRoleError(role, f"{bad} after {again} ({sent} requests; {both})"
                                           + (f": {bad.detail}" if bad.detail else ""), sent) from bad
        raise AssertionError("unreachable")

    # -- messages ---------------------------------------------------------------------------

    def _classify(self, exc: Exception) -> _Fault:
        import httpx
        import openai

        # a service spoken to with httpx directly (resources.video_backends) faults as httpx does
        if isinstance(exc, httpx.HTTPStatusError):
            try:
                body: object = exc.response.json()
            except ValueError:
                body = exc.response.content
            return _Fault("status", is_transient(exc.response.status_code), exc.response.status_code,
                          retry_after_s(exc.response.headers), self.clean(_server_message(body)))
        if isinstance(exc, httpx.TimeoutException):
            return _Fault("timeout", True)
        if isinstance(exc, httpx.TransportError):
            return _Fault("connection", True, detail=self.clean(f"{type(exc).__name__}: {exc}", 120))
        if isinstance(exc, openai.APITimeoutError):
            return _Fault("timeout", True)
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            return _Fault("connection", True, detail=self.clean(f"{type(cause).__name__}: {cause}" if cause else exc, 120))
        if isinstance(exc, openai.APIStatusError):
            headers = getattr(exc.response, "headers", None)
            return _Fault("status", is_transient(exc.status_code), exc.status_code, retry_after_s(headers),
                          self.clean(_server_message(exc.body)))
        return _Fault("other", False, detail=self.clean(f"{type(exc).__name__}: {exc}", 300))

    @staticmethod
    def _not_transient(fault: _Fault) -> str:
        if fault.kind == "status":
            return f"not retried: HTTP {fault.status} is not transient"
        return "not retried: a retry would fail the same way"

    def _error(self, role: str, fault: _Fault, retried: str, sent: int) -> ModelRoleError:
        said = f' (the server said: "{fault.server_said}")' if fault.server_said else ""
        status = fault.status
        if fault.kind == "timeout":
            what = f"the endpoint timed out: no answer within {self.timeout_s:g} s"
            fix = f"raise {self.var('TIMEOUT')} (now {self.timeout_s:g} s) or check the server"
        elif fault.kind == "connection":
            what = f"could not connect to the endpoint {_safe_url(self.base_url)} ({fault.detail})"
            fix = f"check {self.var('BASE_URL')} and that the server is running"
        elif fault.kind == "other":
            what = f"the request failed ({fault.detail})"
            fix = f"check {self.var('BASE_URL')} and {self.var('MODEL')} ({self.model!r})"
        elif status == 429:
            what = f"rate limited (HTTP 429){said}"
            fix = (f"wait and run the same command again, lower concurrency, or raise {self.var('MAX_RETRIES')} "
                   f"(now {self.max_retries})")
        elif status in (401, 403):
            what = f"HTTP {status} from the endpoint{said}"
            fix = (f"set {self.var('API_KEY')} to a key this endpoint accepts" if status == 401 else
                   f"the key in {self.var('API_KEY')} has no access to model {self.model!r}: use another key or "
                   f"set {self.var('MODEL')}")
        elif status == 404:
            what = f"HTTP 404 from the endpoint{said}"
            fix = (f"check {self.var('MODEL')} ({self.model!r}) and {self.var('BASE_URL')} "
                   f"({_safe_url(self.base_url)}): the server has no such model or route")
        elif status is not None and is_transient(status):
            what = f"HTTP {status} from the endpoint{said}"
            fix = f"check the server, or raise {self.var('MAX_RETRIES')} (now {self.max_retries})"
        else:
            what = f"HTTP {status} from the endpoint{said}"
            fix = (f"the endpoint refused the request: check that {self.var('MODEL')} ({self.model!r}) "
                   f"serves this kind of request at {self.var('BASE_URL')}")
        return ModelRoleError(role, f"{what}; {retried}; {fix}", sent, status)


def _safe_url(url: str) -> str:
    """A base URL without credentials or query string: scheme://host:port/path."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    return f"{parts.scheme}://{host}{port}{parts.path}"


def parsed_answer(resp: object, expected: str) -> object:
    """The openai client hands back the raw body as a str when it is not JSON: name that fault."""
    if isinstance(resp, (str, bytes)):
        if not resp.strip():
            raise BadAnswer(f"{EMPTY}: an empty response body where {expected} was expected")
        raise BadAnswer(f"{TRUNCATED}: {preview(resp)} where {expected} was expected")
    return resp


# --- chat roles (text, vision) ------------------------------------------------------------------

def validation_fault(text: str, exc: ValidationError) -> str:
    """Which answer fault a failed validation was: empty, broken JSON, or the wrong schema."""
    if not text.strip():
        return EMPTY
    if any(e["type"] == "json_invalid" for e in exc.errors()):
        return "truncated or garbled JSON"
    return "wrong schema"


def validation_errors(exc: ValidationError, limit: int = 6) -> str:
    """Short, model- and human-readable validation errors: ``overall_quality.score: Input should be <= 5
    (got 7)``; the field path first, so a reader sees which field failed."""
    items = []
    for e in exc.errors()[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or "answer"
        got = e.get("input")
        # the value that failed, unless it is a whole object, absent, or the unparsable answer itself
        quiet = isinstance(got, (dict, list)) or e["type"] in ("missing", "json_invalid")
        shown = "" if quiet else f" (got {json.dumps(got, default=str)[:40]})"
        items.append(f"{where}: {e['msg']}{shown}")
    more = exc.error_count() - len(items)
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def chat_text(resp: object) -> str:
    """The message content of a chat completion ('' when empty, so the repair turn asks again)."""
    resp = parsed_answer(resp, "a chat completion")
    choices = getattr(resp, "choices", None)
    if not isinstance(choices, list):
        raise BadAnswer(f"{WRONG_SCHEMA}: no 'choices' (not a chat completion)")
    if not choices:
        return ""
    message = getattr(choices[0], "message", None)
    return getattr(message, "content", None) or ""


def schema_answer(resp: object, schema: type[T], clean: Callable[[str, int], str] = lambda t, n: sanitise(t, None, n)) -> T:
    """A chat completion's content validated against ``schema``; an invalid one names the fault, the
    fields that failed and what came back."""
    text = chat_text(resp)
    try:
        return schema.model_validate_json(text)
    except ValidationError as exc:
        fault = validation_fault(text, exc)
        detail = ("the message content came back empty" if not text.strip() else
                  f"{validation_errors(exc)}; the answer began {clean(text, 160)!r}")
        raise _InvalidAnswer(f"answer is not a valid {schema.__name__} JSON ({fault})", detail, fault, text,
                             exc) from None


def chat_json(endpoint: RoleEndpoint, role: str, messages: list[dict], schema: type[T],
              create: Callable[[], Any], repair_note: str) -> T:
    """One schema-valid answer: ``create`` (which sends ``messages``, read at call time) through the
    endpoint's retry budget; an invalid answer gets exactly one repair request that shows the model its
    answer and ``repair_note`` (what was wrong is added), a garbled or empty body one plain repeat."""

    def repair(bad: BadAnswer) -> bool:
        if not isinstance(bad, _InvalidAnswer):
            return False  # a garbled or empty body: nothing to show, the same request again
        messages.extend([
            {"role": "assistant", "content": bad.answer},
            {"role": "user", "content": f"{repair_note} {validation_errors(bad.error, limit=20)[:1500]}\n"
                                        "Reply again with only the corrected JSON object."},
        ])
        return True

    return endpoint.ask(role, create, lambda resp: schema_answer(resp, schema, endpoint.clean), repair)


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
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["text"])

    @property
    def calls(self) -> int:
        """HTTP requests sent (retries included, cache hits excluded)."""
        return self.endpoint.requests

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
        response_format = {"type": "json_schema",
                           "json_schema": {"name": schema.__name__, "schema": schema.model_json_schema()}}

        def create():
            return self.endpoint.client.chat.completions.create(
                model=self.model, messages=messages, temperature=0, seed=self.seed, response_format=response_format)

        return chat_json(self.endpoint, role, messages, schema,
                         lambda: budgeted_create(self.budget, role, messages, create),
                         "That answer is not valid for the schema:")


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
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["embeddings"])
        self._client = self.endpoint.client  # the openai client (its own retries off); tests read its key
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
            out.append(self.endpoint.ask("embedder", lambda b=batch: self._request(b),
                                         lambda r, b=batch: self._vectors(r, len(b))))
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
            return self.endpoint.client.embeddings.create(model=self.model, input=batch)
        except ValueError as exc:
            # raised by the client's own parser when the answer has no (or an empty) data list
            if "No embedding data" in str(exc):
                raise BadAnswer(f"{EMPTY}: no embedding vectors in the answer") from exc
            raise

    def _vectors(self, resp: object, n: int) -> np.ndarray:
        resp = parsed_answer(resp, "an embeddings list")
        data = getattr(resp, "data", None)
        if not isinstance(data, list):
            raise BadAnswer(f"{WRONG_SCHEMA}: no 'data' list (not an embeddings answer)")
        if not data:
            raise BadAnswer(f"{EMPTY}: no embedding vectors in the answer")
        if len(data) != n:
            raise BadAnswer(f"{WRONG_SCHEMA}: asked for {n} vectors, got {len(data)}")
        rows = []
        for j, d in enumerate(data):
            vec, index = getattr(d, "embedding", None), getattr(d, "index", None)
            if not isinstance(vec, list) or not vec or not all(isinstance(x, (int, float)) for x in vec):
                raise BadAnswer(f"{WRONG_SCHEMA}: item {j} has no numeric 'embedding' list")
            rows.append((index if isinstance(index, int) else j, vec))
        if sorted(i for i, _ in rows) != list(range(n)) or len({len(v) for _, v in rows}) != 1:
            raise BadAnswer(f"{WRONG_SCHEMA}: indexes or vector lengths do not match the batch")
        vecs = np.asarray([v for _, v in sorted(rows, key=lambda r: r[0])], dtype=np.float32)
        if not np.isfinite(vecs).all():
            raise BadAnswer(f"{WRONG_SCHEMA}: vectors with NaN or infinite values")
        return vecs
