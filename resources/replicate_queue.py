"""Replicate's predictions API as a video backend (``FILMASTER_VIDEO_BACKEND=replicate``).

The protocol (https://replicate.com/docs/reference/http), spoken with httpx:

* create: ``POST {base}/models/{owner}/{name}/predictions`` with ``{"input": {...}}`` for an official
  model (``FILMASTER_VIDEO_MODEL=owner/name``), or ``POST {base}/predictions`` with
  ``{"version": id, "input": {...}}`` for a pinned version (``owner/name:version``); both answer a
  prediction ``{id, status, urls: {get, cancel}, output, error, logs, metrics}``;
* poll: ``GET {base}/predictions/{id}`` while ``status`` is ``starting`` or ``processing``;
  ``succeeded`` carries ``output`` (the clip's URL), ``failed`` an ``error`` string, ``canceled`` /
  ``aborted`` nothing;
* cancel: ``POST {base}/predictions/{id}/cancel`` when the clip takes longer than the backend waits
  (``FILMASTER_VIDEO_TIMEOUT``) or polling is given up on, so nothing left running is billed;
* upload: ``POST {base}/files`` (multipart ``content``) for a reference image too large to inline;
* download: a plain GET of the output URL (a file host: the token is not sent there).

``Authorization: Bearer <token>`` (``FILMASTER_VIDEO_API_KEY``) on every API request. Every request goes
through ``RoleEndpoint.send`` (the role's one retry budget: 429 / 5xx / timeouts). Each model has its
own input names (``MODELS``). Replicate reports ``metrics.predict_time`` (compute seconds), not money:
video models there are priced per second of output, which the film's video-seconds budget counts.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from filmcraft.camera_vocab import lens_kind, sentence, the_place
from filmcraft.director.script.grammar import finite_verb
from filmcraft.store import atomic_path
from resources.openai_backends import EMPTY, TRUNCATED, WRONG_SCHEMA, BadAnswer, ModelRoleError, RoleEndpoint, preview

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

RUNNING = ("starting", "processing")
# "aborted": a prediction stopped before it started (Replicate added it beside canceled)
DONE = ("succeeded", "failed", "canceled", "aborted")

# How content filters say no on Replicate: the model's own exception text ends up in ``error``
# (Stable Diffusion's "NSFW content detected", Seedance/Kling's "E005 ... flagged as sensitive").
MODERATION = re.compile(r"nsfw|flagged as sensitive|\bE005\b|content (?:policy|moderation|filter)|safety (?:filter|check|system)|"
                        r"sensitive content|inappropriate", re.IGNORECASE)


# --- the prompt ---------------------------------------------------------------------------------

_SIZE = {"extreme_wide": "Extreme wide establishing shot", "wide": "Wide shot", "full": "Full shot",
         "medium_wide": "Medium wide shot", "medium": "Medium shot", "medium_close_up": "Medium close-up",
         "close_up": "Close-up", "extreme_close_up": "Extreme close-up"}
_MOVE = {"static": "the camera holds still on a locked-off tripod", "push_in": "the camera slowly dollies in",
         "pull_out": "the camera slowly pulls back", "pan_left": "the camera pans left", "pan_right": "the camera pans right",
         "tilt_up": "the camera tilts up", "tilt_down": "the camera tilts down",
         "truck_left": "the camera tracks left alongside the action", "truck_right": "the camera tracks right alongside the action",
         "crane_up": "the camera cranes up", "crane_down": "the camera cranes down",
         "orbit": "the camera orbits around the subject", "handheld": "handheld camera with a slight natural shake"}
_ANGLE = {"eye_level": "at eye level", "high": "from a high angle looking down", "low": "from a low angle looking up",
          "overhead": "from directly overhead", "dutch": "at a tilted Dutch angle"}
_TIME = {"dawn": "at dawn", "day": "in daylight", "golden_hour": "at golden hour", "dusk": "at dusk", "night": "at night"}
_WEATHER = {"clear": "", "overcast": "under an overcast sky", "wind": "in strong wind", "rain": "in the rain",
            "storm": "in a raging storm", "snow": "in falling snow", "blizzard": "in a blizzard", "fog": "in thick fog"}
NEGATIVE_PROMPT = ("blurry, low quality, distorted faces, extra limbs, deformed hands, text, subtitles, watermark, logo, "
                   "jump cuts, split screen, flicker")


def _lens(mm: float) -> str:
    return f"{mm:g}mm {lens_kind(mm)} lens"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def replicate_prompt(shot) -> str:
    """The shot as the prose hosted video models follow best: framing and who is in it, the place,
    time and weather, the action, the light and mood, then the camera move and lens (one shot, one
    move: these models render a single take). Dialogue is left out: a video model would write it on
    screen."""
    cam = shot.camera
    people = list(dict.fromkeys(shot.characters))
    subject = shot.subject if shot.subject and shot.subject not in people else _names(people) if people else ""
    place = the_place(shot.location)
    framing = f"{_SIZE[cam.shot_size]} {_ANGLE[cam.angle]}" + (f" of {subject}" if subject else "")
    if subject.casefold() == place.casefold():
        place = ""  # an establishing shot of the place itself
    where = " ".join(p for p in (f"in {place}" if place else "", _TIME[shot.time_of_day], _WEATHER[shot.weather]) if p)
    action = " ".join(shot.action.split())
    words = action.split(" ")
    # a bare predicate ("hauls in her nets") gets its subject: the lead for a verb in -s, else everyone;
    # an action with its own subject ("lightning reveals a wreck") is left as it is
    if action and people and not action[:1].isupper() and words[0].lower() not in ("a", "an", "the"):
        lead = shot.subject if shot.subject in people else people[0]
        if finite_verb(words[0]):
            action = f"{lead if words[0].endswith('s') and not words[0].endswith('ss') else _names(people)} {action}"
        elif len(people) > 1 and not (len(words) > 1 and finite_verb(words[1], words[0])):
            action = f"{_names(people)} {action}"  # "say goodbye on the platform"
    missing = [c for c in people if c.casefold() not in f"{framing} {action}".casefold()]
    if missing:  # the shot's characters are all on screen, even when it frames a prop
        action = f"{action}{'. ' if action else ''}{_names(missing)} in the frame"
    light = cam.lighting.strip()
    light = f"{light}{'' if 'light' in light.lower() else ' lighting'}, {shot.mood} mood" if light else f"{shot.mood} mood"
    parts = [sentence(f"{framing}, {where}" if where else framing), sentence(action), sentence(light),
             sentence(f"{_MOVE[cam.movement]}, {_lens(cam.lens_mm)}"),
             sentence(f"Props: {', '.join(shot.props)}") if shot.props else "",
             "Cinematic, photorealistic, one continuous shot."]
    return " ".join(p for p in parts if p)


# --- per-model inputs ---------------------------------------------------------------------------

def _aspect(width: int, height: int, offered: tuple[str, ...]) -> str:
    """The offered aspect ratio nearest the film's frame."""
    ratio = width / height
    return min(offered, key=lambda a: abs(ratio - int(a.split(":")[0]) / int(a.split(":")[1])))


@dataclass(frozen=True)
class ModelInputs:
    """One model's input schema, as its API page on replicate.com lists it."""

    durations: tuple[int, ...]  # clip lengths the model renders (and bills), in seconds
    build: Callable[..., dict]  # (ClipRequest, prompt, negative prompt, first-frame image or None, seconds) -> input
    max_references: int = 1  # a first frame: the scene's location plate


def _kling(request, prompt, negative, image, seconds) -> dict:
    # start_image is required by kling-v2.1; aspect_ratio is ignored by it when a start image is given
    return {"prompt": prompt, "negative_prompt": negative, "start_image": image, "duration": seconds, "mode": "standard"}


def _seedance(request, prompt, negative, image, seconds) -> dict:
    # no negative prompt in its schema; camera_fixed asks for a locked-off camera
    w, h = request.width, request.height
    out = {"prompt": prompt, "duration": seconds, "resolution": "720p" if min(w, h) > 480 else "480p",
           "aspect_ratio": _aspect(w, h, ("16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21")),
           "fps": 24, "seed": request.seed, "camera_fixed": request.shot.camera.movement == "static"}
    if image:
        out["image"] = image
    return out


def _minimax(request, prompt, negative, image, seconds) -> dict:
    out = {"prompt": prompt, "prompt_optimizer": False}  # the optimiser would rewrite the camera language
    if image:
        out["first_frame_image"] = image
    return out


MODELS: dict[str, ModelInputs] = {
    "kwaivgi/kling-v2.1": ModelInputs((5, 10), _kling),
    "bytedance/seedance-1-lite": ModelInputs((5, 10), _seedance),
    "minimax/video-01": ModelInputs((6,), _minimax),
}


def model_inputs(model: str) -> ModelInputs:
    """The input mapping of ``owner/name`` or ``owner/name:version``; an unknown model names the fix."""
    name = model.split(":", 1)[0]
    if name not in MODELS:
        raise ValueError(f"FILMASTER_VIDEO_MODEL={model!r} has no input mapping for the replicate backend: choose "
                         f"one of {', '.join(sorted(MODELS))} (optionally :<version>), or add the model to "
                         "resources.replicate_queue.MODELS with the input names its API page on replicate.com lists")
    return MODELS[name]


# Replicate takes file inputs inline as data URLs only up to about 256 KB; larger ones are uploaded
# (POST /files) and passed by their URL, as its own clients do.
DATA_URI_MAX_BYTES = 256_000


def data_uri(path: Path) -> str:
    """A reference image inline, as Replicate accepts for small file inputs."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


# --- the backend --------------------------------------------------------------------------------

class ReplicateVideo:
    """``filmcraft.roles.VideoBackend`` over Replicate's predictions API."""

    poll_s = 2.0  # between status polls; a video takes minutes, so a couple of seconds costs nothing

    def __init__(self, base_url: str, model: str, api_key: str | None, timeout_s: float = 600, max_retries: int = 3):
        self.inputs = model_inputs(model)
        self.model = model
        self.name = f"replicate:{model}"
        self.max_references = self.inputs.max_references
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s  # one clip's whole wait (queue included), and each request's
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, "VIDEO")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http: httpx.Client | None = None  # open during render_clip
        self.files: httpx.Client | None = None

    def seconds_for(self, duration_s: float) -> int:
        """The shortest offered length that covers the shot (the longest when none does)."""
        covering = [s for s in self.inputs.durations if s >= duration_s - 1e-9]
        return min(covering) if covering else max(self.inputs.durations)

    def billed_seconds(self, duration_s: float) -> float:
        return float(self.seconds_for(duration_s))

    def prompt(self, shot) -> str:
        return replicate_prompt(shot)

    # -- one clip -----------------------------------------------------------------------------

    def render_clip(self, request, out_path: Path) -> None:
        import httpx

        shot_id = request.shot.shot_id
        try:
            # output URLs are on a file host: the token is not sent there
            with httpx.Client(timeout=self.timeout_s, headers=self._headers) as self.http, \
                    httpx.Client(timeout=self.timeout_s, follow_redirects=True) as self.files:
                self._render(request, Path(out_path))
        except ModelRoleError as exc:
            # every message names the service, the model and the shot; the fix is in the fault
            raise ModelRoleError("video", f"replicate ({self.model}), shot {shot_id}: {exc.fault}", exc.requests,
                                 exc.status) from None

    def _render(self, request, out_path: Path) -> None:
        location = next((r for r in reversed(request.references) if r.kind == "location"), None)
        image = self._file_input(Path(location.path)) if location is not None else None
        seconds = self.seconds_for(request.duration_s)
        body = {"input": self.inputs.build(request, self.prompt(request.shot), NEGATIVE_PROMPT, image, seconds)}
        name, _, version = self.model.partition(":")
        if version:
            body["version"] = version
            url = f"{self.base_url}/predictions"
        else:
            url = f"{self.base_url}/models/{name}/predictions"
        job = self._api("POST", url, body)
        log.info("replicate: shot %s is prediction %s (%s, %d s)", request.shot.shot_id, job["id"], self.model, seconds)
        try:
            job = self._wait(job)
        except BaseException:
            # given up on (polls failing past the retries, the step stopped): a prediction left running
            # would still be billed, so it is cancelled, best effort; a hung one was cancelled already
            if job.get("status") in RUNNING:
                self._cancel(job)
            raise
        self._finished(job)
        self._download(job, out_path)

    def _api(self, method: str, url: str, body: dict | None = None) -> dict:
        """One API request through the retry budget; the answer must be a prediction."""

        def send():
            resp = self.http.request(method, url, json=body)
            resp.raise_for_status()
            return resp

        return self.endpoint.ask("video", send, _prediction)

    def _file_input(self, path: Path) -> str:
        """A reference image as a model input: inline when small, else uploaded and passed by URL."""
        if path.stat().st_size <= DATA_URI_MAX_BYTES:
            return data_uri(path)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"

        def upload():
            resp = self.http.post(f"{self.base_url}/files", files={"content": (path.name, path.read_bytes(), mime)})
            resp.raise_for_status()
            return resp

        def url_of(resp) -> str:
            try:
                url = (resp.json().get("urls") or {}).get("get")
            except (ValueError, AttributeError):
                url = None
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise BadAnswer(f"{WRONG_SCHEMA}: no 'urls.get' in the uploaded file's answer")
            return url

        url = self.endpoint.ask("video", upload, url_of)
        log.info("replicate: uploaded %s (%d bytes) as %s", path.name, path.stat().st_size, url)
        return url

    def _wait(self, job: dict) -> dict:
        """Poll until the prediction ends. ``job`` is updated in place, so whoever catches a failure
        knows its last status. (Not ``Prefer: wait``: it holds a request at most 60 s, a clip takes minutes.)"""
        deadline = time.monotonic() + self.timeout_s
        seen = (job["status"], "")
        while job["status"] in RUNNING:
            if time.monotonic() > deadline:
                status = job["status"]
                self._cancel(job)
                job["status"] = "canceled"
                raise ModelRoleError("video", f"prediction {job['id']} still {status} after "
                                              f"{self.timeout_s:g} s: cancelled it, so it bills no further; the "
                                              f"service is busy or the model is stuck: raise FILMASTER_VIDEO_TIMEOUT "
                                              f"(now {self.timeout_s:g} s) or run the same command later",
                                     self.endpoint.requests)
            time.sleep(self.poll_s)
            job.update(self._api("GET", f"{self.base_url}/predictions/{job['id']}"))
            # progress: the status and the model's last log line, when either changes
            last = (job.get("logs") or "").strip().splitlines()[-1:] or [""]
            if (job["status"], last[0]) != seen:
                seen = (job["status"], last[0])
                log.info("replicate: prediction %s %s %s", job["id"], job["status"], self.endpoint.clean(last[0], 120))
        return job

    def _cancel(self, job: dict) -> None:
        try:
            self._api("POST", f"{self.base_url}/predictions/{job['id']}/cancel")
        except ModelRoleError as exc:  # the fault that led here is the news; a failed cancel is only logged
            log.warning("replicate: cancelling prediction %s failed: %s", job["id"], exc)

    def _finished(self, job: dict) -> None:
        status, said = job["status"], self.endpoint.clean(job.get("error") or "no reason given")
        predict_time = (job.get("metrics") or {}).get("predict_time")
        if predict_time is not None:
            log.info("replicate: prediction %s %s, predict_time %.1f s", job["id"], status, predict_time)
        if status == "succeeded":
            return
        if status == "failed" and MODERATION.search(str(job.get("error") or "")):
            raise ModelRoleError("video", f"the model's content filter refused prediction {job['id']} (the service "
                                          f"said: \"{said}\"); not retried: the same shot is refused again; rephrase "
                                          "the shot's action or prompt, or set FILMASTER_VIDEO_MODEL to another model",
                                 self.endpoint.requests)
        if status == "failed":
            raise ModelRoleError("video", f"prediction {job['id']} failed (the service said: \"{said}\"); not "
                                          "retried: the model ran and gave up; check the model's inputs on its "
                                          "replicate.com page, or set FILMASTER_VIDEO_MODEL to another model",
                                 self.endpoint.requests)
        raise ModelRoleError("video", f"prediction {job['id']} was {status} on the service (by someone, or by its "
                                      "limits) before it finished; run the same command again",
                             self.endpoint.requests)

    def _download(self, job: dict, out_path: Path) -> None:
        """The clip, whole and playable, or nothing at ``out_path``. An output URL that has expired
        (403/404/410 from the file host) is asked of the prediction once more."""
        import httpx

        url = _output_url(job)
        for attempt in range(2):
            try:
                with atomic_path(out_path) as tmp:
                    self.endpoint.ask("video", lambda: self._get_file(url), lambda data: _playable(data, tmp))
                return
            except ModelRoleError as exc:
                if exc.status is None and "downloaded clip" in exc.fault:
                    raise ModelRoleError("video", f"{exc.fault}; nothing was written: run the same command again (a "
                                                  "new prediction is made and billed), or set FILMASTER_VIDEO_MODEL "
                                                  "to another model if it keeps happening", exc.requests) from None
                if exc.status not in (403, 404, 410):
                    raise
                if attempt == 1 or not isinstance(exc.__cause__, httpx.HTTPStatusError):
                    raise ModelRoleError("video", f"the output of prediction {job['id']} has expired (HTTP "
                                                  f"{exc.status} from the file host, also after fetching the "
                                                  "prediction again); run the same command again: a new prediction "
                                                  "is made (and billed)", self.endpoint.requests, exc.status) from None
                log.info("replicate: output URL of %s answered %s: fetching the prediction again", job["id"], exc.status)
                job = self._api("GET", f"{self.base_url}/predictions/{job['id']}")
                if job["status"] != "succeeded":
                    self._finished(job)
                url = _output_url(job)

    def _get_file(self, url: str) -> bytes:
        resp = self.files.get(url)
        resp.raise_for_status()
        return resp.content


def _prediction(resp) -> dict:
    """A prediction answer: JSON with an ``id`` and a known ``status``."""
    if not resp.content.strip():
        raise BadAnswer(f"{EMPTY}: an empty response body where a prediction was expected")
    try:
        job = resp.json()
    except ValueError:
        raise BadAnswer(f"{TRUNCATED}: {preview(resp.content)} where a prediction was expected") from None
    if not isinstance(job, dict) or not isinstance(job.get("id"), str) or job.get("status") not in RUNNING + DONE:
        raise BadAnswer(f"{WRONG_SCHEMA}: no prediction 'id' or no known 'status'")
    return job


def _output_url(job: dict) -> str:
    """The clip's URL: video models answer one URL, some a list of them or an object holding it."""
    out = job.get("output")
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, list):
        out = next((o for o in out if isinstance(o, str)), None)
    if not isinstance(out, str) or urlsplit(out).scheme not in ("http", "https"):
        raise ModelRoleError("video", f"prediction {job['id']} succeeded without a video URL in its output (got "
                                      f"{type(out).__name__}); FILMASTER_VIDEO_MODEL may not be a video model")
    return out


def _playable(data: bytes, tmp: Path) -> None:
    """Written to the temp file and probed; anything else is a broken download (asked once more)."""
    from filmcraft.media import MediaError, probe

    if not data:
        raise BadAnswer(f"{EMPTY}: zero bytes where an MP4 video was expected")
    tmp.write_bytes(data)
    try:
        info = probe(tmp)
    except MediaError as exc:
        reason = str(exc).split("media file: ", 1)[-1]  # ffmpeg's reason, without the temp file's path
        raise BadAnswer(f"the downloaded clip is not a playable video ({reason[:160]})") from None
    if not info.has_video:
        raise BadAnswer("the downloaded clip has no video stream")
