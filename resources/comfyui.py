"""The ComfyUI backend: a local ComfyUI server running a user's own API-format workflow.

A workflow (ComfyUI's *Export (API)* JSON: ``{node_id: {"class_type", "inputs"}}``) plus a small mapping
(``ComfyMapping``) that says which node inputs receive the prompt, the negative prompt, the reference
images, the seed, the frame count, the size and the frame rate, and which node saves the result. Each clip:
``POST /upload/image`` for every reference, ``POST /prompt`` with the filled-in workflow, then
``GET /history/{prompt_id}`` (and ``GET /queue`` for its place in the queue) until it finishes, then
``GET /view`` for the output file. A job that runs past ``max_wait_s`` is cancelled on the server
(``POST /interrupt`` and ``POST /queue {"delete"}``). Polling decides how a job ends (it survives a
dropped socket); the sampler's steps (``progress`` messages on ``/ws``) are reported when the
``websockets`` package happens to be installed, which FilMaster does not require.

Every HTTP request goes through ``RoleEndpoint.send`` (one retry budget; 429/5xx/connection faults retried),
and every failure is a ``ModelRoleError`` naming the backend, the shot and the fix. Nothing is written at
the clip's path unless it is a whole, probe-able video.

``ComfyImage`` is the same client with a text-to-image workflow: one PNG per call (for the image role).
"""

from __future__ import annotations

import hashlib
import json
import logging
import mimetypes
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from filmcraft.store import atomic_path
from resources.comfyui_prompt import NEGATIVE_BASE, negative_prompt, video_prompt
from resources.comfyui_workflow import ComfyConfigError, ComfyMapping, Target, env_names, fill, load_workflow
from resources.openai_backends import ENV_OF_ROLE_CLASS, BadAnswer, ModelRoleError, RoleEndpoint

log = logging.getLogger(__name__)

__all__ = ["ComfyClient", "ComfyImage", "ComfyJob", "ComfyMapping", "ComfyVideo", "ComfyConfigError", "load_workflow",
           "negative_prompt", "video_prompt"]

MAX_WAIT_ENV = "FILMASTER_COMFYUI_MAX_WAIT"

# an execution_error whose exception says one of these came from a safety / NSFW checker node
MODERATION_WORDS = ("nsfw", "safety", "moderat", "content policy", "unsafe content", "censor")
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".gif", ".webp", ".avi")
OUTPUT_KEYS = ("videos", "gifs", "images")  # where output nodes list files: SaveVideo uses "images"


# --- the client -------------------------------------------------------------------------------

class ComfyClient:
    """ComfyUI's HTTP API, each request through ``endpoint`` (the one retry budget)."""

    def __init__(self, base_url: str, endpoint: RoleEndpoint, role: str, timeout_s: float):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.endpoint = endpoint
        self.role = role
        self.client_id = uuid.uuid4().hex
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def _send(self, method: str, url: str, ok: tuple[int, ...] = (), **kw):
        def request():
            r = self.http.request(method, url, **kw)
            if r.status_code not in ok:
                r.raise_for_status()
            return r

        return self.endpoint.send(self.role, request)

    def _json(self, r, what: str) -> Any:
        try:
            return r.json()
        except ValueError:
            raise BadAnswer(f"the answer is not valid JSON (truncated or garbled): {r.text[:60]!r} where "
                            f"{what} was expected") from None

    def upload(self, path: Path) -> str:
        """``POST /upload/image``; the name to give a LoadImage node (``subfolder/name``)."""
        data = Path(path).read_bytes()
        # the content hash in the name: the same image is stored once and never overwrites another
        name = f"filmaster_{hashlib.sha256(data).hexdigest()[:16]}{Path(path).suffix.lower() or '.png'}"

        def read(r):
            body = self._json(r, "an upload answer")
            if not isinstance(body, dict) or not isinstance(body.get("name"), str):
                raise BadAnswer(f"the answer is valid JSON of the wrong schema: {str(body)[:60]!r} (no 'name')")
            return f"{body['subfolder']}/{body['name']}" if body.get("subfolder") else body["name"]

        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"

        def request():
            return self._send("POST", "/upload/image", files={"image": (name, data, mime)},
                              data={"overwrite": "true", "type": "input"})

        return self.endpoint.ask(self.role, request, read)

    def queue_prompt(self, workflow: dict) -> tuple[str | None, dict]:
        """``POST /prompt``: (prompt_id, {}) or (None, the 400 answer's error and node_errors)."""
        r = self._send("POST", "/prompt", ok=(400,), json={"prompt": workflow, "client_id": self.client_id})
        body = self._json(r, "a queued prompt")
        if r.status_code == 400:
            return None, body if isinstance(body, dict) else {"error": str(body)}
        if not isinstance(body, dict) or not isinstance(body.get("prompt_id"), str):
            raise BadAnswer(f"the answer is valid JSON of the wrong schema: {str(body)[:60]!r} (no 'prompt_id')")
        if body.get("node_errors"):
            return None, body
        return body["prompt_id"], {}

    def history(self, prompt_id: str) -> dict | None:
        body = self._json(self._send("GET", f"/history/{prompt_id}"), "a history")
        entry = body.get(prompt_id) if isinstance(body, dict) else None
        return entry if isinstance(entry, dict) else None

    def queue_state(self, prompt_id: str) -> str | None:
        """'running', 'pending (n ahead)', or None when the queue does not hold it. Queue items are
        ``[number, prompt_id, ...]``; the server keeps pending ones in a heap, so order is by number."""
        body = self._json(self._send("GET", "/queue"), "the queue")
        if not isinstance(body, dict):
            raise BadAnswer(f"the answer is valid JSON of the wrong schema: {str(body)[:60]!r} (not a queue)")

        def items(key: str) -> list[tuple]:
            return [(i[0], i[1]) for i in body.get(key) or [] if isinstance(i, list) and len(i) > 1]

        running, pending = items("queue_running"), items("queue_pending")
        if any(pid == prompt_id for _, pid in running):
            return "running"
        mine = next((n for n, pid in pending if pid == prompt_id), None)
        if mine is None:
            return None
        ahead = len(running) + sum(1 for n, _ in pending if isinstance(n, (int, float)) and n < mine)
        return f"pending ({ahead} ahead)"

    def watch(self, report: Callable[[dict], None]) -> Callable[[], None] | None:
        """Follow ``/ws?clientId=`` in a thread, handing each ``progress`` message's data ({value, max, node,
        prompt_id}) to ``report``; the stop function, or None without a websocket. Progress only: polling
        decides how a job ends, so a socket that fails or closes costs nothing but the reports. Uses the
        ``websockets`` package when it is installed (FilMaster does not require it)."""
        try:
            from websockets.sync.client import connect
        except ImportError:
            return None
        url = "ws" + self.base_url[len("http"):] + f"/ws?clientId={self.client_id}"
        opened: dict = {}
        ready = threading.Event()

        def follow() -> None:
            try:
                # previews come as big binary frames: no size limit
                with connect(url, open_timeout=5, close_timeout=2, max_size=None) as ws:
                    opened["ws"] = ws
                    ready.set()
                    for message in ws:
                        if not isinstance(message, str):
                            continue
                        try:
                            event = json.loads(message)
                        except ValueError:
                            continue
                        if isinstance(event, dict) and event.get("type") == "progress" \
                                and isinstance(event.get("data"), dict):
                            report(event["data"])
            except Exception as exc:  # noqa: BLE001 - no socket, or its end, costs the reports and nothing else
                log.debug("ComfyUI progress websocket: %s (polling decides how the job ends)", exc)
            finally:
                ready.set()

        thread = threading.Thread(target=follow, name="comfyui-progress", daemon=True)
        thread.start()
        ready.wait(timeout=6)
        if "ws" not in opened:
            return None

        def stop() -> None:
            opened["ws"].close()
            thread.join(timeout=3)

        return stop

    def cancel(self, prompt_id: str, running: bool) -> None:
        """Stop it: ``POST /interrupt`` only while it runs (a ComfyUI older than the ``prompt_id`` body
        interrupts whatever runs, maybe another user's job), and ``POST /queue`` delete, should it wait."""
        if running:
            self._send("POST", "/interrupt", json={"prompt_id": prompt_id})
        self._send("POST", "/queue", json={"delete": [prompt_id]})

    def view(self, item: dict) -> bytes:
        params = {"filename": item["filename"], "subfolder": item.get("subfolder", ""), "type": item.get("type", "output")}
        return self._send("GET", "/view", params=params).content


def _outputs(entry: dict, node: str) -> list[dict]:
    listed = (entry.get("outputs") or {}).get(node) or {}
    files = []
    for key in OUTPUT_KEYS:
        for item in listed.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("filename"), str):
                files.append(item)
    return files


def _execution_error(entry: dict) -> dict | None:
    status = entry.get("status") or {}
    for msg in status.get("messages") or []:
        if isinstance(msg, list) and len(msg) == 2 and msg[0] in ("execution_error", "execution_interrupted"):
            return {"event": msg[0], **(msg[1] if isinstance(msg[1], dict) else {})}
    if status.get("status_str") == "error":
        return {"event": "execution_error"}
    return None


class ComfyJob:
    """One workflow run on the server, from upload to the output's bytes; shared by video and image."""

    def __init__(self, base_url: str, workflow_path: str, mapping_path: str, api_key: str | None,
                 timeout_s: float, max_retries: int, max_wait_s: float, poll_s: float, video: bool,
                 sleep: Callable[[float], None] = time.sleep, env: str = ENV_OF_ROLE_CLASS["video"]):
        self.workflow_path = str(workflow_path)
        try:
            self.workflow = load_workflow(workflow_path, env_names(video)[0])
            self.mapping = ComfyMapping.load(mapping_path, self.workflow, workflow_path, video=video)
        except ComfyConfigError as exc:
            raise ModelRoleError("video" if video else "image", f"ComfyUI backend: {exc}") from None
        digest = hashlib.sha256(json.dumps([self.workflow, self.mapping.path and Path(self.mapping.path).read_text(
            encoding="utf-8")], sort_keys=True).encode()).hexdigest()[:10]
        self.name = f"comfyui:{Path(workflow_path).stem}-{digest}"  # another workflow is another clip
        self.max_wait_s = max_wait_s
        self.poll_s = poll_s
        self._sleep = sleep
        self.endpoint = RoleEndpoint(base_url, self.name, api_key, timeout_s, max_retries, env, sleep=sleep)
        self.role = "video" if video else "image"
        self.mapping_env = env_names(video)[1]
        self._started = 0
        self.client = ComfyClient(base_url, self.endpoint, self.role, timeout_s)

    def fail(self, what: str, fault: str, fix: str, status: int | None = None) -> ModelRoleError:
        return ModelRoleError(self.role, f"ComfyUI backend, {what}: {fault}; {fix}",
                              self.endpoint.requests - self._started, status)

    def run(self, what: str, values: dict[Target, Any], images: list[Path],
            progress: Callable[[str], None] | None = None) -> tuple[dict, bytes]:
        """Upload ``images`` into the mapped image inputs, queue, wait, download; (output item, bytes)."""
        self._started = self.endpoint.requests
        try:
            return self._run(what, values, images, progress)
        except ModelRoleError as exc:
            if exc.fault.startswith("ComfyUI backend"):
                raise
            # RoleEndpoint's own message (429/5xx after its retries, a timeout...): name the backend and shot
            raise ModelRoleError(self.role, f"ComfyUI backend, {what}: {exc.fault}", exc.requests, exc.status) from exc

    def _run(self, what: str, values: dict[Target, Any], images: list[Path],
             progress: Callable[[str], None] | None) -> tuple[dict, bytes]:
        m = self.mapping
        names = [self.client.upload(p) for p in images[:len(m.images)]]
        values = {**values, **dict(zip(m.images, names))}
        say = progress or log.info
        ours: dict = {}
        shown = [-1]

        def report(data: dict) -> None:
            # ComfyUI sends progress to the client that queued the prompt; a prompt_id, when sent, must be ours
            if data.get("prompt_id") and ours.get("id") and data["prompt_id"] != ours["id"]:
                return
            value, most = data.get("value"), data.get("max")
            if isinstance(value, int) and isinstance(most, int) and most > 0:
                tenth = value * 10 // most  # a line per tenth of a sampler's steps, not one per step
                if tenth != shown[0]:
                    shown[0] = tenth
                    say(f"ComfyUI {what}: node {data.get('node', '?')} step {value}/{most}")

        stop = self.client.watch(report)  # before queueing, so no message of this prompt is missed
        try:
            return self._queued(what, values, progress, ours)
        finally:
            if stop is not None:
                stop()

    def _queued(self, what: str, values: dict[Target, Any], progress: Callable[[str], None] | None,
                ours: dict) -> tuple[dict, bytes]:
        m = self.mapping
        prompt_id, refused = self.client.queue_prompt(fill(self.workflow, values))
        ours["id"] = prompt_id
        if prompt_id is None:
            raise self.fail(what, f"the server refused the workflow {self.workflow_path} ({_refusal(refused)})",
                            f"open the workflow in ComfyUI, fix those nodes (a missing model file or custom node?) "
                            f"and export it again with Workflow > Export (API); check {self.mapping_env} too", 400)
        entry = self._wait(what, prompt_id, progress)
        err = _execution_error(entry)
        if err is not None:
            raise self._execution_failed(what, err)
        for attempt in range(2):
            files = _outputs(entry, m.output)
            if not files:
                raise self.fail(what, f"the workflow finished but its output node {m.output} "
                                      f"({self.workflow[m.output]['class_type']}) listed no file",
                                f"set 'output' in {self.mapping_env} to the node that saves the result")
            item = next((f for f in files if Path(f["filename"]).suffix.lower() in VIDEO_SUFFIXES), files[0]) \
                if self.role == "video" else files[0]
            try:
                return item, self.client.view(item)
            except ModelRoleError as exc:
                if exc.status != 404:
                    raise
            if attempt == 0:  # the file moved or was cleaned up: the history may list it anew
                entry = self.client.history(prompt_id) or entry
        raise self.fail(what, f"the output file {item['filename']!r} disappeared from the server before it was "
                              "downloaded (HTTP 404 from /view, twice, the history re-read between)",
                        "something cleans ComfyUI's output folder: stop it, then run the same command again", 404)

    def _wait(self, what: str, prompt_id: str, progress: Callable[[str], None] | None) -> dict:
        deadline = time.monotonic() + self.max_wait_s
        last = None
        while True:
            entry = self.client.history(prompt_id)
            if entry is not None:  # ComfyUI writes the history entry when the prompt ends, well or not
                return entry
            state = self.client.queue_state(prompt_id)
            if state is None and entry is None:
                entry = self.client.history(prompt_id)  # it may have finished between the two reads
                if entry is not None:
                    return entry
                raise self.fail(what, f"prompt {prompt_id} is neither queued nor in the history (the server "
                                      "restarted or its queue was cleared)", "run the same command again")
            if state != last:
                (progress or log.info)(f"ComfyUI {what}: prompt {prompt_id} {state}")
                last = state
            if time.monotonic() > deadline:
                self.client.cancel(prompt_id, running=state == "running")
                how = "interrupted and removed from the queue" if state == "running" else "removed from the queue"
                raise self.fail(what, f"prompt {prompt_id} still {state} after {self.max_wait_s:g} s: cancelled "
                                      f"on the server ({how})",
                                f"raise {MAX_WAIT_ENV} (now {self.max_wait_s:g} s) if the model needs longer, "
                                "or check the server (a stuck node, no GPU memory)")
            self._sleep(self.poll_s)

    def _execution_failed(self, what: str, err: dict) -> ModelRoleError:
        node = err.get("node_id")
        kind = err.get("node_type") or (self.workflow.get(node, {}).get("class_type") if node else None)
        where = f"node {node} ({kind})" if node else "a node"
        exc_type, exc_msg = err.get("exception_type", ""), self.endpoint.clean(err.get("exception_message", ""), 300)
        if err["event"] == "execution_interrupted":
            return self.fail(what, f"the job was interrupted on the server at {where}",
                             "someone cancelled it in ComfyUI: run the same command again")
        said = f"{exc_type}: {exc_msg}".strip(": ") or "no reason given"
        if any(w in f"{kind} {exc_type} {exc_msg}".lower() for w in MODERATION_WORDS):
            return self.fail(what, f"the workflow's safety checker at {where} rejected the result ({said}); "
                                   "not retried: the same prompt is rejected again",
                             "rephrase the shot (a scene override in scene_overrides.json) or remove the "
                             "checker node from the workflow")
        return self.fail(what, f"the workflow failed at {where} ({said}); not retried: it fails the same way",
                         "fix the node in ComfyUI (the server log has the traceback), export the workflow again, "
                         "and run the same command again")


def _refusal(body: dict) -> str:
    err = body.get("error")
    parts = [err.get("message", "") if isinstance(err, dict) else str(err or "")]
    node_errors = body.get("node_errors") or {}
    for node, info in list(node_errors.items())[:3] if isinstance(node_errors, dict) else []:
        msgs = "; ".join(f"{e.get('message', '')}: {e.get('details', '')}".strip(": ")
                         for e in (info.get("errors") or [])[:2])
        parts.append(f"node {node} ({info.get('class_type', '?')}): {msgs}")
    return " - ".join(p for p in parts if p)[:400] or "no reason given"


# --- the video backend ------------------------------------------------------------------------

class ComfyVideo:
    """``filmcraft.roles.VideoBackend`` over a ComfyUI workflow (see the module docstring)."""

    POLL_S = 1.0  # between history polls: a clip takes minutes on a GPU

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 600,
                 max_retries: int = 3, workflow: str = "", mapping: str = "", max_wait_s: float = 3600,
                 poll_s: float | None = None, sleep: Callable[[float], None] = time.sleep):
        self.job = ComfyJob(base_url, workflow, mapping, api_key, timeout_s, max_retries, max_wait_s,
                            self.POLL_S if poll_s is None else poll_s, True, sleep)
        self.mapping = self.job.mapping
        self.name = self.job.name
        self.max_references = len(self.mapping.images)
        self.endpoint = self.job.endpoint

    def frames(self, duration_s: float, fps: int) -> int:
        return self.mapping.frames_for(duration_s, fps)

    def billed_seconds(self, duration_s: float) -> float:
        # a local GPU costs no money, but the seconds it renders count toward the film's budget; without
        # model_fps it renders at the film's rate, which covers the shot to within a frame
        fps = self.mapping.model_fps
        return round(self.mapping.frames_for(duration_s, 1) / fps, 6) if fps else float(duration_s)

    def prompt(self, shot) -> str:
        return video_prompt(shot)

    def render_clip(self, request, out_path: Path, progress: Callable[[str], None] | None = None) -> None:
        from filmcraft.media import MediaError, probe

        m, shot = self.mapping, request.shot
        what = f"shot {shot.shot_id}"
        width, height = m.size(request.width, request.height)
        values: dict[Target, Any] = {m.prompt: self.prompt(shot)}
        optional = {m.negative_prompt: negative_prompt(shot), m.seed: int(request.seed),
                    m.frames: self.frames(request.duration_s, request.fps), m.width: width, m.height: height,
                    m.fps: m.render_fps(request.fps)}
        values.update({t: v for t, v in optional.items() if t is not None})
        images = [Path(r.path) for r in request.references]
        item, data = self.job.run(what, values, images, progress)
        if not data:
            raise self.job.fail(what, f"the output file {item['filename']!r} is empty", "run the same command again")
        with atomic_path(out_path) as tmp:
            tmp.write_bytes(data)
            try:
                info = probe(tmp)
            except MediaError as exc:
                said = str(exc).replace(str(tmp), "it").splitlines()[-1]  # our temp path means nothing to the user
                raise self.job.fail(what, f"the output file {item['filename']!r} is not a readable video ({said}); "
                                          "not retried: the server holds that same file",
                                    "check the saving node of the workflow (SaveVideo with format mp4), "
                                    "then run the same command again") from None
            if not info.has_video:
                raise self.job.fail(what, f"the output file {item['filename']!r} has no video stream",
                                    "save a video (SaveVideo), not audio or an image")


class ComfyImage:
    """Text-to-image on a ComfyUI server, for the image role: ``generate(prompt, out_png, width, height, seed)``.

    ``workflow``/``mapping`` as for video (an API-format text-to-image workflow, e.g.
    docs/comfyui/sdxl_text_to_image.json, whose mapping needs ``prompt`` and ``output``, optionally
    ``negative_prompt``, ``seed``, ``width``, ``height``). Writes a PNG (converted if the workflow saves
    another format) whole or not at all; raises ``ModelRoleError`` (role 'image') naming the fix."""

    def __init__(self, base_url: str, workflow: str, mapping: str, api_key: str | None = None, timeout_s: float = 120,
                 max_retries: int = 3, max_wait_s: float = 600, poll_s: float = 0.5,
                 sleep: Callable[[float], None] = time.sleep, env: str = "IMAGE"):
        # env: the variable prefix errors name (FILMASTER_<env>_MAX_RETRIES...): the image role's own
        self.job = ComfyJob(base_url, workflow, mapping, api_key, timeout_s, max_retries, max_wait_s, poll_s, False,
                            sleep, env)
        self.name = self.job.name

    def paint(self, prompt: str, width: int, height: int, out_png: Path) -> None:
        """The image role's call (``filmcraft.roles.ImageModel``)."""
        self.generate(prompt, out_png, width, height)

    def generate(self, prompt: str, out_png: Path, width: int = 1024, height: int = 1024, seed: int = 0,
                 negative: str = NEGATIVE_BASE, what: str = "image") -> Path:
        import io

        from PIL import Image, UnidentifiedImageError

        m = self.job.mapping
        w, h = m.size(width, height)
        values: dict[Target, Any] = {m.prompt: prompt}
        values.update({t: v for t, v in {m.negative_prompt: negative, m.seed: int(seed), m.width: w,
                                         m.height: h}.items() if t is not None})
        item, data = self.job.run(what, values, [])
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise self.job.fail(what, f"the output file {item['filename']!r} is not a readable image ({exc})",
                                "check the saving node of the workflow (SaveImage), then try again") from None
        with atomic_path(out_png) as tmp:
            img.save(tmp, format="PNG")
        return Path(out_png)
