"""Kling's multi-image-to-video service as a ``filmcraft.roles.VideoBackend`` (``FILMASTER_VIDEO_BACKEND=kling``).

The protocol, from Kling's public API reference (klingai.com/document-api; the "General Information" page for
the domain, authentication and error codes, "Multi-Image to Video" for the task endpoints):

* base URL ``https://api-singapore.klingai.com`` (outside China; ``https://api.klingai.com`` before the move);
* authentication: every request carries ``Authorization: Bearer <JWT>``, a JWT (RFC 7519) signed HS256 with
  the secret key, claims ``iss`` = access key, ``exp`` = now + 1800, ``nbf`` = now - 5;
* ``POST /v1/videos/multi-image2video`` with ``model_name`` (kling-v1-6), ``image_list`` ([{"image": <base64
  without a data: prefix, or a URL>}], at most 4; .jpg/.jpeg/.png, <= 10 MB, sides >= 300 px, aspect between
  1:2.5 and 2.5:1), ``prompt`` and ``negative_prompt`` (<= 2500 characters each), ``mode`` (std|pro),
  ``duration`` ("5"|"10"), ``aspect_ratio`` (16:9|9:16|1:1); the answer is the envelope
  ``{code, message, request_id, data: {task_id, task_status, ...}}``, code 0 on success;
* ``GET /v1/videos/multi-image2video/{task_id}``: ``task_status`` submitted -> processing -> succeed|failed,
  ``task_status_msg`` (why it failed, e.g. content risk control), ``task_result.videos[{id, url, duration}]``;
  the video URL is a plain download (no key), and results are deleted after 30 days;
* errors: HTTP status plus a service code: 401/1000-1004 authentication, 429/1100-1102 account (1102:
  resource pack depleted), 403/1103 no access to the model, 400/1200-1201 and 404/1202-1203 parameters,
  400/1300-1301 platform policy (1301: content security), 429/1302 rate limit, 429/1303 concurrency over the
  resource pack's limit, 429/1304 IP whitelist, 500/5000, 503/5001, 504/5002 server side.

There is no cancel endpoint: a task left polling past ``max_wait_s`` keeps running on Kling's side. Kling
reports no per-task cost in these answers, so only the video-seconds budget applies (5 or 10 s a clip).

Every HTTP request goes through the role's ``RoleEndpoint`` (one retry budget: 429/5xx and connection faults
retried with backoff), except that the service codes a retry cannot fix (an empty resource pack answers 429
too) stop at once. Every failure names the backend, the shot and the fix; keys and tokens never appear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import math
import os
import time
from pathlib import Path

import httpx

from filmcraft.store import atomic_path
from resources.openai_backends import (ENV_OF_ROLE_CLASS, EMPTY, TRUNCATED, WRONG_SCHEMA, BadAnswer, ModelRoleError,
                                       RoleEndpoint, preview)

ACCESS_ENV = "FILMASTER_KLING_ACCESS_KEY"
SECRET_ENV = "FILMASTER_KLING_SECRET_KEY"
MAX_WAIT_ENV = "FILMASTER_KLING_MAX_WAIT"
POLL_ENV = "FILMASTER_KLING_POLL"
ROUTE = "/v1/videos/multi-image2video"
DEFAULT_BASE_URL = "https://api-singapore.klingai.com"
TOKEN_TTL_S = 1800  # the reference's example: exp = now + 1800
ASPECTS = {"16:9": 16 / 9, "9:16": 9 / 16, "1:1": 1.0}
MAX_IMAGES = 4
MIN_SIDE_PX, MAX_IMAGE_BYTES, MAX_ASPECT = 300, 10 * 1024 * 1024, 2.5
MAX_PROMPT_CHARS = 2500

# service codes a retry cannot fix, with what to change (the reference's "suggested solutions")
_AUTH_CODES = {1000, 1001, 1002, 1003, 1004}
_ACCOUNT_CODES = {1100, 1101, 1102, 1103}
_PARAM_CODES = {1200, 1201, 1202, 1203}
_POLICY_CODES = {1300, 1301, 1304}
_RETRYABLE_CODES = {1302, 1303, 5000, 5001, 5002}
# words Kling's task_status_msg uses when its content review refused a finished task
_MODERATION_WORDS = ("moderation", "risk", "security", "sensitive", "policy", "violat", "风控", "审核")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def kling_jwt(access_key: str, secret_key: str, now: float | None = None) -> str:
    """The API token Kling's reference describes, signed with the standard library (HS256)."""
    now = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"iss": access_key, "exp": now + TOKEN_TTL_S, "nbf": now - 5}
    signing_input = ".".join(_b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    signature = hmac.new(secret_key.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def aspect_ratio(width: int, height: int) -> str:
    """The offered aspect ratio nearest the film's frame (the conform scales the clip to the frame)."""
    return min(ASPECTS, key=lambda k: abs(math.log(ASPECTS[k]) - math.log(width / height)))


def image_payload(path: str | Path) -> str:
    """A reference image as Kling takes it: base64 without a ``data:`` prefix of a JPEG or PNG whose sides
    are >= 300 px, aspect within 1:2.5..2.5:1 and size <= 10 MB. A file that already fits is sent as is;
    any other is padded, scaled and re-encoded as PNG here, since the service refuses it otherwise."""
    from PIL import Image

    path = Path(path)
    raw = path.read_bytes()
    try:
        img = Image.open(io.BytesIO(raw))
        img.load()
    except Exception as exc:
        raise ValueError(f"reference image {path} is not a readable image ({exc}): replace it") from None
    w, h = img.size
    fits = (img.format in ("JPEG", "PNG") and min(w, h) >= MIN_SIDE_PX and len(raw) <= MAX_IMAGE_BYTES
            and max(w, h) / min(w, h) <= MAX_ASPECT)
    if not fits:
        img = img.convert("RGBA") if "A" in img.getbands() else img.convert("RGB")
        if max(w, h) / min(w, h) > MAX_ASPECT:  # pad the short side onto black, keeping the whole picture
            cw, ch = (w, math.ceil(w / MAX_ASPECT)) if w > h else (math.ceil(h / MAX_ASPECT), h)
            canvas = Image.new(img.mode, (cw, ch), (0, 0, 0, 0) if img.mode == "RGBA" else (0, 0, 0))
            canvas.paste(img, ((cw - w) // 2, (ch - h) // 2))
            img, (w, h) = canvas, (cw, ch)
        scale = max(MIN_SIDE_PX / min(w, h), 1.0)
        scale = min(scale, 4096 / max(w, h)) if max(w, h) * scale > 4096 else scale
        if scale != 1.0:
            img = img.resize((max(MIN_SIDE_PX, round(w * scale)), max(MIN_SIDE_PX, round(h * scale))))
        out = io.BytesIO()
        img.save(out, format="PNG", optimize=True)
        raw = out.getvalue()
    return base64.b64encode(raw).decode("ascii")


class KlingError(ModelRoleError):
    """A Kling answer a retry will not fix (raised inside a request: ``RoleEndpoint.send`` passes it on)."""


class KlingVideo:
    """Multi-image-to-video: the shot's characters and location as up to 4 reference images, the shot's
    camera language as Kling's prose prompt (``filmcraft.kling_prompt``), polling, download, probe."""

    DURATIONS = (5, 10)
    max_references = MAX_IMAGES

    def __init__(self, base_url: str, model: str, access_key: str, secret_key: str, timeout_s: float = 600,
                 max_retries: int = 3, mode: str = "std", poll_s: float = 5.0, max_wait_s: float = 1800,
                 sleep=time.sleep):
        if not model.startswith("kling-"):
            raise ValueError(f"FILMASTER_VIDEO_MODEL={model!r} is not a Kling model: set FILMASTER_VIDEO_MODEL to "
                             "a model that serves multi-image2video, e.g. kling-v1-6")
        if mode not in ("std", "pro"):
            raise ValueError(f"Kling mode {mode!r}: choose std or pro")
        if not access_key or not secret_key:
            missing = " and ".join(v for v, k in ((ACCESS_ENV, access_key), (SECRET_ENV, secret_key)) if not k)
            raise ValueError(f"the kling video backend needs {missing}: set the access key and secret key of "
                             "your Kling API account (the developer console's API keys)")
        self.name = f"kling:{model}:{mode}"
        self.model = model
        self.mode = mode
        self.poll_s = poll_s
        self.max_wait_s = max_wait_s
        self.base_url = base_url.rstrip("/")
        self._access, self._secret = access_key, secret_key
        self._sleep = sleep
        # the secret is the endpoint's "key": RoleEndpoint redacts it from every server text it shows
        self.endpoint = RoleEndpoint(self.base_url, model, secret_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["video"],
                                     sleep=sleep)
        self._http = httpx.Client(timeout=timeout_s, follow_redirects=True)

    # --- the VideoBackend interface ------------------------------------------------------------

    @classmethod
    def seconds_for(cls, duration_s: float) -> int:
        """Kling renders 5 or 10 s: the shorter that covers the shot (the conform trims the clip to the shot;
        a shot over 10 s still gets 10 s, the longest Kling renders)."""
        return next((s for s in cls.DURATIONS if s >= duration_s - 1e-6), cls.DURATIONS[-1])

    def billed_seconds(self, duration_s: float) -> float:
        return float(self.seconds_for(duration_s))

    def prompt(self, shot) -> str:
        from filmcraft.kling_prompt import kling_prompt

        return kling_prompt(shot).prompt

    def render_clip(self, request, out_path: Path) -> None:
        from filmcraft.kling_prompt import kling_prompt

        shot = request.shot
        try:
            images = [image_payload(r.path) for r in request.references[:MAX_IMAGES]]
        except (OSError, ValueError) as exc:
            raise self._fail(shot.shot_id, f"{exc}") from None
        if not images:
            raise self._fail(shot.shot_id, "no reference image to send (multi-image2video needs 1 to 4): give the "
                                           "scene a location image")
        text = kling_prompt(shot)
        body = {"model_name": self.model, "image_list": [{"image": b} for b in images],
                "prompt": text.prompt[:MAX_PROMPT_CHARS], "negative_prompt": text.negative[:MAX_PROMPT_CHARS],
                "mode": self.mode, "duration": str(self.seconds_for(request.duration_s)),
                "aspect_ratio": aspect_ratio(request.width, request.height)}
        try:
            self._render(body, shot.shot_id, Path(out_path))
        except KlingError as exc:
            raise self._fail(shot.shot_id, exc.fault, exc.requests, exc.status) from None
        except ModelRoleError as exc:  # the retry budget's own verdict (429/5xx/timeouts exhausted)
            raise self._fail(shot.shot_id, exc.fault, exc.requests, exc.status) from None

    # --- the protocol ----------------------------------------------------------------------------

    def _render(self, body: dict, shot_id: str, out_path: Path) -> None:
        task = self.endpoint.ask("video", lambda: self._api("POST", ROUTE, body), _task)
        task_id = task["task_id"]
        deadline = time.monotonic() + self.max_wait_s
        while task["task_status"] in ("submitted", "processing"):
            if time.monotonic() > deadline:
                raise KlingError("video", f"task {task_id} still {task['task_status']} after {self.max_wait_s:g} s of "
                                          "polling, so FilMaster stopped waiting; Kling has no cancel endpoint, so the "
                                          "task may still finish (and be charged) on Kling's side; raise "
                                          f"{MAX_WAIT_ENV} (now {self.max_wait_s:g} s) or run the same command again "
                                          "when Kling is less busy")
            self._sleep(self.poll_s)
            task = self._query(task_id)
        if task["task_status"] == "failed":
            said = self.endpoint.clean(task.get("task_status_msg") or "no reason given")
            if any(w in said.lower() for w in _MODERATION_WORDS):
                raise KlingError("video", f"Kling's content moderation refused task {task_id} (Kling said: \"{said}\"); "
                                          "not retried: the same prompt and images would be refused again; reword the "
                                          "shot (its action or prompt, e.g. with a shot override) or replace its "
                                          "reference images, then run the same command again")
            raise KlingError("video", f"task {task_id} failed (Kling said: \"{said}\"); not retried: Kling finished the "
                                      "task and the same request would fail the same way; check the shot's prompt and "
                                      "reference images, then run the same command again")
        self._download(task, shot_id, out_path)

    def _query(self, task_id: str) -> dict:
        return self.endpoint.ask("video", lambda: self._api("GET", f"{ROUTE}/{task_id}"), _task)

    def _api(self, method: str, path: str, body: dict | None = None) -> dict:
        """One API request with a fresh token; the answer's envelope checked. Codes a retry cannot fix raise
        ``KlingError``; 429/5xx raise ``httpx.HTTPStatusError`` for the retry budget."""
        headers = {"Authorization": f"Bearer {kling_jwt(self._access, self._secret)}",
                   "Content-Type": "application/json"}
        resp = self._http.request(method, self.base_url + path, json=body, headers=headers)
        try:
            envelope = resp.json()
        except ValueError:
            envelope = None
        code = envelope.get("code") if isinstance(envelope, dict) else None
        if resp.is_success and code == 0:
            return envelope
        if code in _RETRYABLE_CODES or (code is None and (resp.status_code == 429 or resp.status_code >= 500)):
            resp.raise_for_status()  # RoleEndpoint retries it (Retry-After honoured)
            raise httpx.HTTPStatusError(f"service code {code}", request=resp.request, response=resp)
        if resp.is_success and envelope is None:
            raise BadAnswer(f"{EMPTY}: an empty response body" if not resp.content.strip() else
                            f"{TRUNCATED}: {preview(resp.content)} where Kling's JSON envelope was expected")
        if resp.is_success and code is None:  # JSON, but not Kling's {code, message, data} envelope
            raise BadAnswer(f"{WRONG_SCHEMA}: {preview(resp.content)} has no 'code' (not Kling's envelope)")
        said = self.endpoint.clean((envelope.get("message") if isinstance(envelope, dict) else None) or resp.text
                                   or "no message")
        raise KlingError("video", f"HTTP {resp.status_code}, Kling code {code} (Kling said: \"{said}\"); "
                                  f"not retried: {_fix(code, resp.status_code, self.model)}",
                         status=resp.status_code)

    def _download(self, task: dict, shot_id: str, out_path: Path) -> None:
        """The result file, written whole or not at all. An expired or refused URL (403/404/410) re-fetches
        the task once for a fresh URL; a file that is not a playable video is downloaded once more."""
        from filmcraft.media import MediaError, probe

        task_id, url = task["task_id"], _video_url(task)
        refreshed = broken = False
        while True:
            try:
                data = self.endpoint.ask("video", lambda u=url: self._fetch(u), lambda d: d)
            except ModelRoleError as exc:
                if exc.status not in (403, 404, 410):
                    raise
                if refreshed:
                    raise KlingError("video", f"the result URL of task {task_id} was refused (HTTP {exc.status}) again "
                                              "after re-fetching the task once for a fresh URL; Kling deletes results "
                                              "after 30 days: run the same command again to render the shot anew",
                                     status=exc.status) from None
                refreshed = True
                url = _video_url(self._query(task_id))
                continue
            try:
                with atomic_path(out_path) as tmp:
                    tmp.write_bytes(data)
                    try:
                        if not probe(tmp).has_video:
                            raise MediaError("no video stream")
                    except MediaError as exc:  # the temp file's name means nothing to the reader
                        raise MediaError(str(exc).replace(f"{tmp} is", "it is").replace(str(tmp), "the file")) from None
                return
            except MediaError as exc:
                if not broken:
                    broken = True
                    continue
                raise KlingError("video", f"the result file of task {task_id} is not a playable video, twice "
                                          f"({self.endpoint.clean(exc, 160)}); nothing was written at {out_path.name}; "
                                          "run the same command again; if it persists, check the task on Kling's "
                                          "console") from None

    def _fetch(self, url: str) -> bytes:
        # the result URL is a plain download: no token goes to the storage host
        resp = self._http.get(url)
        resp.raise_for_status()
        if not resp.content:
            raise BadAnswer(f"{EMPTY}: zero bytes where the MP4 video was expected")
        return resp.content

    def _fail(self, shot_id: str, fault: str, requests: int | None = None, status: int | None = None) -> ModelRoleError:
        text = fault.replace(self._access, "[redacted]").replace(self._secret, "[redacted]")
        return ModelRoleError("video", f"kling backend ({self.model}), shot {shot_id}: {text}", requests, status)


def _fix(code: object, status: int, model: str) -> str:
    """What to change for a Kling service code (the reference's suggested solutions, in FilMaster's terms)."""
    if code in _AUTH_CODES or status == 401:
        return (f"Kling refused the token: check {ACCESS_ENV} and {SECRET_ENV} (a key pair from Kling's developer "
                "console) and this machine's clock (tokens are valid from now-5 s to now+30 min)")
    if code == 1102:
        return "the account's resource pack is used up or expired: buy more Kling video units, then run the same command again"
    if code in (1100, 1101):
        return "the Kling account is in arrears or blocked: settle it in Kling's console, then run the same command again"
    if code == 1103 or status == 403:
        return (f"this key pair has no access to model {model!r}: use a key with access, or set FILMASTER_VIDEO_MODEL "
                "(e.g. kling-v1-6)")
    if code == 1301:
        return ("Kling's content moderation refused the request: the same prompt and images would be refused again; "
                "reword the shot (its action or prompt, e.g. with a shot override) or replace its reference images")
    if code in (1300, 1304):
        return "a Kling platform policy (or its IP whitelist) blocked this account: contact Kling support"
    if code in _PARAM_CODES or status in (400, 404):
        return (f"Kling refused the request's parameters: check FILMASTER_VIDEO_MODEL ({model!r}) serves "
                "multi-image2video and FILMASTER_VIDEO_BASE_URL points at Kling's API")
    return "check FILMASTER_VIDEO_BASE_URL and Kling's status page"


def _task(envelope: dict) -> dict:
    """The task of a create or query answer: an id and a known status."""
    data = envelope.get("data") if isinstance(envelope, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("task_id"), str) or not data["task_id"] \
            or data.get("task_status") not in ("submitted", "processing", "succeed", "failed"):
        raise BadAnswer(f"{WRONG_SCHEMA}: no data.task_id or no known data.task_status")
    return data


def _video_url(task: dict) -> str:
    videos = (task.get("task_result") or {}).get("videos") or []
    if not videos or not isinstance(videos[0], dict) or not str(videos[0].get("url", "")).startswith(("http://", "https://")):
        raise KlingError("video", f"task {task.get('task_id')} succeeded without a video URL in task_result.videos; "
                                  "run the same command again; if it persists, check the task on Kling's console")
    return videos[0]["url"]


def from_env(base_url: str, model: str, api_key: str | None, timeout_s: float, max_retries: int,
             environ: dict | None = None) -> KlingVideo:
    """The backend as ``resources.video_backends`` builds it: the key pair from FILMASTER_KLING_ACCESS_KEY and
    FILMASTER_KLING_SECRET_KEY (FILMASTER_VIDEO_API_KEY is not used: Kling signs tokens with two keys). Mode
    std: a clip's cache key is the backend and model (``VideoResource.backend_name``), which would not tell a
    pro clip from a std one."""
    env = os.environ if environ is None else environ

    def seconds(var: str, default: float) -> float:
        raw = env.get(var, "").strip()
        try:
            value = float(raw) if raw else default
        except ValueError:
            value = -1.0
        if not value > 0:
            raise ValueError(f"{var}={raw!r} is not a positive number of seconds")
        return value

    return KlingVideo(base_url or DEFAULT_BASE_URL, model, env.get(ACCESS_ENV, "").strip(),
                      env.get(SECRET_ENV, "").strip(), timeout_s, max_retries,
                      poll_s=seconds(POLL_ENV, 5.0),
                      max_wait_s=seconds(MAX_WAIT_ENV, 1800.0))
