"""A loopback fake of Kling's multi-image-to-video API, speaking the protocol of its public reference
(klingai.com/document-api: General Information, Multi-Image to Video), for tests only.

It checks what the real service checks: the ``Authorization: Bearer <JWT>`` header (HS256 signature with
the secret key, ``iss`` = the access key, ``nbf``/``exp``; service codes 1001-1004 on HTTP 401), the request
body of ``POST /v1/videos/multi-image2video`` (known fields only, ``model_name``, 1-4 ``image_list`` items of
prefix-less base64 JPEG/PNG with sides >= 300 px and aspect within 1:2.5..2.5:1, ``prompt`` and
``negative_prompt`` <= 2500 characters, ``mode``, ``duration``, ``aspect_ratio``; code 1201 on HTTP 400),
answers in the ``{code, message, request_id, data}`` envelope, runs each task submitted -> processing ->
succeed, and serves the MP4 at a URL of its own host (no token needed, like Kling's CDN).

Faults a test can inject (attributes, set before the request): ``submit_errors`` (a list of
``(http_status, code, message)`` answered to the next submissions, then normal service), ``task_outcome``
(``"succeed"``, ``"failed:<task_status_msg>"`` or ``"hang"``), ``expired_urls`` (how many result URLs
answer 403 as an expired signed URL), ``broken_files`` (how many downloads get bytes that are not a video).
Every request is recorded in ``log`` as ``(method, path, http_status)``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROUTE = "/v1/videos/multi-image2video"
FIELDS = {"model_name", "image_list", "prompt", "negative_prompt", "mode", "duration", "aspect_ratio",
          "callback_url", "external_task_id"}


def _b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class KlingFake:
    def __init__(self, access_key: str, secret_key: str, video: bytes, processing_polls: int = 1):
        self.access_key, self.secret_key, self.video = access_key, secret_key, video
        self.processing_polls = processing_polls  # answers "processing" this many times before the outcome
        self.submit_errors: list[tuple[int, int, str]] = []
        self.task_outcome = "succeed"
        self.expired_urls = 0
        self.broken_files = 0
        self.log: list[tuple[str, str, int]] = []
        self.bodies: list[dict] = []  # accepted task submissions
        self.tasks: dict[str, dict] = {}
        self._urls: dict[str, bool] = {}  # result token -> expired
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, payload: bytes, content_type: str = "application/json"):
                fake.log.append((self.command, self.path.split("?")[0], status))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _json(self, status: int, code: int, message: str, data: object = None):
                body = {"code": code, "message": message, "request_id": str(uuid.uuid4())}
                if data is not None:
                    body["data"] = data
                self._send(status, json.dumps(body).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != ROUTE:
                    return self._json(404, 1202, "the requested method is invalid")
                if (auth := fake.check_auth(self.headers.get("Authorization"))) is not None:
                    return self._json(401, *auth)
                with fake._lock:
                    if fake.submit_errors:
                        status, code, message = fake.submit_errors.pop(0)
                        return self._json(status, code, message)
                try:
                    request = json.loads(body)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    return self._json(400, 1200, "request body is not JSON")
                if (problem := fake.check_body(request)) is not None:
                    return self._json(400, 1201, problem)
                with fake._lock:
                    task_id = f"task-{next(fake._ids)}"
                    fake.tasks[task_id] = {"polls": 0, "status": "submitted", "created_at": int(time.time() * 1000)}
                    fake.bodies.append(request)
                self._json(200, 0, "SUCCEED", {"task_id": task_id, "task_status": "submitted", "task_info": {},
                                                "created_at": fake.tasks[task_id]["created_at"],
                                                "updated_at": fake.tasks[task_id]["created_at"]})

            def do_GET(self):
                path = self.path.split("?")[0]
                if path.startswith("/results/"):
                    return fake.serve_result(self, path)
                if not path.startswith(ROUTE + "/"):
                    return self._json(404, 1202, "the requested method is invalid")
                if (auth := fake.check_auth(self.headers.get("Authorization"))) is not None:
                    return self._json(401, *auth)
                task_id = path[len(ROUTE) + 1:]
                with fake._lock:
                    task = fake.tasks.get(task_id)
                    if task is None:
                        return self._json(404, 1203, f"task {task_id} does not exist")
                    data = fake.advance(task_id, task, self.headers.get("Host"))
                self._json(200, 0, "SUCCEED", data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # a short poll interval: shutdown() waits for one, and tests start many servers
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # --- the service's checks ---------------------------------------------------------------------

    def check_auth(self, header: str | None) -> tuple[int, str] | None:
        """None when the bearer JWT is valid; else (service code, message) as Kling answers on 401."""
        if not header:
            return 1001, "Authorization is empty"
        if not header.startswith("Bearer ") or header.count(".") != 2:
            return 1002, "Authorization is invalid"
        token = header[len("Bearer "):]
        head, claims_part, sig = token.split(".")
        try:
            head_json = json.loads(_b64url_decode(head))
            claims = json.loads(_b64url_decode(claims_part))
            signature = _b64url_decode(sig)
        except (ValueError, binascii.Error):
            return 1002, "Authorization is invalid"
        expected = hmac.new(self.secret_key.encode(), f"{head}.{claims_part}".encode(), hashlib.sha256).digest()
        if head_json.get("alg") != "HS256" or not hmac.compare_digest(signature, expected) \
                or claims.get("iss") != self.access_key:
            return 1002, "Authorization is invalid"
        now = time.time()
        if not isinstance(claims.get("nbf"), int) or claims["nbf"] > now:
            return 1003, "Authorization is not yet valid"
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            return 1004, "Authorization has expired"
        return None

    def check_body(self, req: object) -> str | None:
        from PIL import Image

        if not isinstance(req, dict):
            return "request body must be a JSON object"
        if unknown := set(req) - FIELDS:
            return f"unknown parameters {sorted(unknown)}"
        if req.get("model_name", "kling-v1-6") != "kling-v1-6":
            return f"model_name {req.get('model_name')!r} does not support multi-image2video"
        images = req.get("image_list")
        if not isinstance(images, list) or not 1 <= len(images) <= 4:
            return "image_list must hold 1 to 4 images"
        for i, item in enumerate(images):
            if not isinstance(item, dict) or set(item) != {"image"} or not isinstance(item["image"], str):
                return f"image_list[{i}] must be {{\"image\": <base64 or URL>}}"
            if item["image"].startswith("data:"):
                return f"image_list[{i}]: base64 must not carry a data: prefix"
            try:
                raw = base64.b64decode(item["image"], validate=True)
                img = Image.open(io.BytesIO(raw))
                img.load()
            except Exception:
                return f"image_list[{i}] is not base64 of a readable image"
            w, h = img.size
            if img.format not in ("JPEG", "PNG"):
                return f"image_list[{i}] format {img.format} is not jpg/jpeg/png"
            if len(raw) > 10 * 1024 * 1024 or min(w, h) < 300 or max(w, h) / min(w, h) > 2.5:
                return f"image_list[{i}] is {w}x{h}, {len(raw)} bytes: sides >= 300px, aspect 1:2.5..2.5:1, <= 10MB"
        prompt = req.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip() or len(prompt) > 2500:
            return "prompt is required, at most 2500 characters"
        if len(req.get("negative_prompt") or "") > 2500:
            return "negative_prompt is at most 2500 characters"
        for field, allowed in (("mode", ("std", "pro")), ("duration", ("5", "10")),
                               ("aspect_ratio", ("16:9", "9:16", "1:1"))):
            if field in req and req[field] not in allowed:
                return f"{field} must be one of {allowed}"
        return None

    # --- tasks and results ------------------------------------------------------------------------

    def advance(self, task_id: str, task: dict, host: str | None) -> dict:
        task["polls"] += 1
        outcome = self.task_outcome
        if task["status"] in ("submitted", "processing"):
            if outcome == "hang" or task["polls"] <= self.processing_polls:
                task["status"] = "processing"
            elif outcome.startswith("failed:"):
                task["status"], task["msg"] = "failed", outcome.split(":", 1)[1]
            else:
                task["status"] = "succeed"
        data = {"task_id": task_id, "task_status": task["status"], "task_status_msg": task.get("msg"),
                "task_info": {}, "task_result": None, "created_at": task["created_at"],
                "updated_at": int(time.time() * 1000)}
        if task["status"] == "succeed":
            token = uuid.uuid4().hex  # a fresh signed URL per answer, as a CDN link is
            self._urls[token] = self.expired_urls > 0
            self.expired_urls = max(0, self.expired_urls - 1)
            duration = self.bodies[int(task_id.split("-")[1]) - 1].get("duration", "5")
            data["task_result"] = {"videos": [{"id": f"video-{task_id}", "url": f"http://{host}/results/{token}.mp4",
                                               "duration": duration}]}
        return data

    def serve_result(self, handler, path: str) -> None:
        token = path[len("/results/"):].removesuffix(".mp4")
        with self._lock:
            expired = self._urls.get(token)
            broken = expired is False and self.broken_files > 0
            if broken:
                self.broken_files -= 1
        if expired is None:
            return handler._send(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml")
        if expired:
            return handler._send(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                                 "application/xml")
        handler._send(200, b"\x00\x00\x00\x18ftypmp42" + b"\x00garbage" * 64 if broken else self.video, "video/mp4")

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p, _ in self.log if m == method and p.startswith(prefix))

    def __enter__(self) -> "KlingFake":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
