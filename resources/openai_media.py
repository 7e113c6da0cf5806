"""The media roles' real backends: speech (voice-over) and video clips from an OpenAI-compatible
endpoint. Plain Python (no Dagster), built by ``resources.voice`` and ``resources.video``. Every request
goes through the role's ``RoleEndpoint`` (``resources.openai_backends``): one retry budget for transient
faults, one repeated request for an unusable answer, errors that name the role, the fault and the
``FILMASTER_TTS_*`` / ``FILMASTER_VIDEO_*`` variable to change. Nothing is written unless it is whole
and readable.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from filmcraft.roles import DEFAULT_RATE_WPM
from filmcraft.store import atomic_path
from resources.openai_backends import (EMPTY, ENV_OF_ROLE_CLASS, TRUNCATED, WRONG_SCHEMA, BadAnswer, ModelRoleError,
                                       RoleEndpoint, parsed_answer, preview)


def _not_media(data: bytes, expected: str) -> None:
    """Zero bytes, or a JSON body where audio/video bytes were expected."""
    if not data:
        raise BadAnswer(f"{EMPTY}: zero bytes where {expected} was expected")
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BadAnswer(f"{TRUNCATED}: {preview(data)} where {expected} was expected") from None
        raise BadAnswer(f"{WRONG_SCHEMA}: JSON {preview(data)} where {expected} was expected")


class OpenAIVoice:
    """``audio.speech`` as WAV; refused (and asked once more) unless it is a readable WAV with frames."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 120, max_retries: int = 3):
        self.name = f"openai-compatible:{model}"
        self.model = model
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["voice"])

    def speak(self, text: str, voice: str, out_wav: Path, rate: int = DEFAULT_RATE_WPM) -> float:
        if not text.strip():
            raise ValueError("voice-over text is empty")
        # eSpeak-style voice names mean nothing to a speech endpoint: map to a stock voice.
        api_voice = voice if voice.isalpha() else "alloy"
        # The endpoint's ``speed`` is a multiple of its natural pace (0.25-4.0); the default rate is 1.0.
        speed = max(0.25, min(4.0, rate / DEFAULT_RATE_WPM))

        def request() -> bytes:
            return self.endpoint.client.audio.speech.create(model=self.model, voice=api_voice, input=text,
                                                            response_format="wav", speed=speed).content

        audio = self.endpoint.ask("voice", request, _wav_bytes)
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
        raise BadAnswer(f"the endpoint returned audio that is not a readable WAV ({exc})") from exc
    if seconds <= 0:
        raise BadAnswer(f"{EMPTY}: a WAV with no audio frames")
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
        self.endpoint = RoleEndpoint(base_url, model, api_key, timeout_s, max_retries, ENV_OF_ROLE_CLASS["video"])

    max_references = 1  # input_reference: one image, the scene's location plate

    @classmethod
    def seconds_for(cls, duration_s: float) -> int:
        """The clip length the endpoint is asked for (and bills): the shortest offered length that covers the shot."""
        return min(cls.SECONDS, key=lambda s: (s < duration_s, abs(s - duration_s)))

    def billed_seconds(self, duration_s: float) -> float:
        return float(self.seconds_for(duration_s))

    def prompt(self, shot) -> str:
        return shot.prompt  # the planner writes it as prose with the camera language in it

    def render_clip(self, request, out_path: Path) -> None:
        """The ``VideoBackend`` call: the shot's prompt over the location plate (the last reference)."""
        location = next((r for r in reversed(request.references) if r.kind == "location"), None)
        self.render(self.prompt(request.shot), Path(location.path) if location else None, request.duration_s,
                    request.width, request.height, out_path)

    def render(self, prompt: str, reference_image: Path | None, duration_s: float, width: int, height: int, out_path: Path) -> None:
        from filmcraft.media import MediaError, probe

        kwargs: dict = {"model": self.model, "prompt": prompt, "seconds": str(self.seconds_for(duration_s)),
                        "size": f"{width}x{height}"}

        client = self.endpoint.client

        def create():
            if reference_image is None:
                return client.videos.create(**kwargs)
            with open(reference_image, "rb") as ref:
                return client.videos.create(input_reference=ref, **kwargs)

        # create, each status poll and the download are one request each, each with the retry budget
        job = self.endpoint.ask("video", create, _video_job)
        deadline = time.monotonic() + self.max_wait_s
        while job.status in ("queued", "in_progress"):
            if time.monotonic() > deadline:
                raise ModelRoleError("video", f"job {job.id} still {job.status} after {self.max_wait_s:.0f} s of "
                                              "polling: the server is slow or stuck; check it, then run the same "
                                              "command again")
            time.sleep(self.poll_s)
            job = self.endpoint.ask("video", lambda jid=job.id: client.videos.retrieve(jid), _video_job)
        if job.status != "completed":
            raise ModelRoleError("video", f"job {job.id} ended with status {job.status!r} (the server said: "
                                          f"\"{self.endpoint.clean(getattr(job, 'error', None) or 'no reason given')}\"); "
                                          "not retried: the endpoint finished the job; check the prompt or the server")
        content = self.endpoint.ask("video", lambda: client.videos.download_content(job.id).content,
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
    job = parsed_answer(resp, "a video job")
    if not isinstance(getattr(job, "id", None), str) or not job.id or getattr(job, "status", None) not in _JOB_STATES:
        raise BadAnswer(f"{WRONG_SCHEMA}: no job 'id' or no known 'status' (not a video job)")
    return job
