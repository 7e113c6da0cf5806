"""A loopback fake of Replicate's HTTP API (https://replicate.com/docs/reference/http) for tests.

It speaks the real protocol: ``POST /v1/models/{owner}/{name}/predictions`` (official models) and
``POST /v1/predictions`` with ``version`` answer ``201`` with a prediction object; ``GET
/v1/predictions/{id}`` walks it ``starting -> processing -> succeeded`` (one step per poll, logs
growing), ``POST /v1/predictions/{id}/cancel`` cancels it; errors are Replicate's problem-details
bodies (``{"title", "detail", "status"}``). API routes need ``Authorization: Bearer <token>``. The
output URL is served by the same server as a file host would (``/files/...``): a real tiny MP4, no
token expected there. ``POST /v1/files`` takes a multipart ``content`` upload and answers its
``urls.get``. Faults are injected by setting attributes before the test's request.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from filmcraft.media import run_ffmpeg


def tiny_mp4(path: Path, seconds: float = 1.0) -> bytes:
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc=size=128x72:rate=12:duration={seconds}", "-c:v", "libx264",
                "-pix_fmt", "yuv420p", str(path)], "fake replicate clip")
    return path.read_bytes()


def _multipart_file(content_type: str, raw: bytes, field: str) -> tuple[str, str, bytes] | None:
    """(filename, content type, bytes) of the multipart/form-data file field ``field``."""
    from email.parser import BytesParser
    from email.policy import HTTP

    if not content_type.startswith("multipart/form-data"):
        return None
    msg = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == field:
            return (part.get_filename() or "", part.get_content_type(), part.get_payload(decode=True))
    return None


def _problem(status: int, title: str, detail: str) -> tuple[int, dict]:
    return status, {"title": title, "detail": detail, "status": status}


class FakeReplicate:
    def __init__(self, token: str, clip: bytes):
        self.token = token
        self.clip = clip
        # the lifecycle: polls a prediction spends in each running state
        self.polls_starting = 1
        self.polls_processing = 1
        # faults
        self.fail_with: str | None = None  # the prediction ends "failed" with this error text
        self.hang = False  # the prediction never leaves "processing"
        self.create_errors: list[tuple[int, dict, dict]] = []  # (status, body, headers) answered before a create
        self.poll_errors: list[tuple[int, dict, dict]] = []  # ... before a poll
        self.expire_downloads = 0  # this many output downloads answer 404 (the URL expired)
        self.broken_downloads = 0  # this many output downloads are not a video
        self.predict_time = 3.25  # metrics.predict_time reported on success
        # what happened
        self.counts: Counter = Counter()  # create, get, cancel, file, unauthorised
        self.bodies: list[dict] = []  # create request bodies
        self.auth_on_files: list[str | None] = []
        self.predictions: dict[str, dict] = {}
        self.uploads: dict[str, bytes] = {}  # POST /v1/files: id -> the bytes uploaded
        self._content_type = ""
        self._n = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self)

            def do_POST(self):
                fake._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        return self.root + "/v1"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    # -- the protocol -------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        path = h.path.split("?")[0]
        with self._lock:
            if path.startswith("/files/"):
                self.auth_on_files.append(h.headers.get("Authorization"))
                status, body, headers = self._file(path)
            elif h.headers.get("Authorization") != f"Bearer {self.token}":
                self.counts["unauthorised"] += 1
                status, body = _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
                headers = {}
            else:
                self._content_type = h.headers.get("Content-Type", "")
                status, body, headers = self._api(h.command, path, raw)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "video/mp4" if isinstance(body, bytes) else "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _api(self, method: str, path: str, raw: bytes):
        m_model = re.fullmatch(r"/v1/models/([^/]+)/([^/]+)/predictions", path)
        m_pred = re.fullmatch(r"/v1/predictions/([^/]+)", path)
        m_cancel = re.fullmatch(r"/v1/predictions/([^/]+)/cancel", path)
        if method == "POST" and (m_model or path == "/v1/predictions"):
            self.counts["create"] += 1
            if self.create_errors:
                return self.create_errors.pop(0)
            try:
                body = json.loads(raw)
            except ValueError:
                return (*_problem(400, "Bad request", "the body is not JSON"), {})
            if not isinstance(body.get("input"), dict):
                return (*_problem(422, "Input validation failed", "input is required"), {})
            if m_model is None and not body.get("version"):
                return (*_problem(422, "Invalid version or not permitted", "version is required"), {})
            self.bodies.append(body)
            self._n += 1
            pid = f"fakepred{self._n:04d}"
            job = {"id": pid, "model": f"{m_model.group(1)}/{m_model.group(2)}" if m_model else "pinned/model",
                   "version": body.get("version", "hidden"), "input": body["input"], "logs": "", "output": None,
                   "data_removed": False, "error": None, "status": "starting",
                   "created_at": "2026-12-02T15:00:00.000Z", "started_at": None, "completed_at": None,
                   "urls": {"get": f"{self.base_url}/predictions/{pid}", "cancel": f"{self.base_url}/predictions/{pid}/cancel",
                            "stream": f"{self.root}/stream/{pid}"},
                   "_polls": 0}
            self.predictions[pid] = job
            return 201, self._public(job), {}
        if method == "POST" and path == "/v1/files":
            self.counts["upload"] += 1
            part = _multipart_file(self._content_type, raw, "content")
            if part is None:
                return (*_problem(400, "Bad request", "a multipart 'content' file is required"), {})
            name, ctype, data = part
            fid = f"fakefile{len(self.uploads) + 1:04d}"
            self.uploads[fid] = data
            return 201, {"id": fid, "name": name, "content_type": ctype, "size": len(data),
                         "etag": hashlib.md5(data).hexdigest(),
                         "checksums": {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()},
                         "metadata": {}, "created_at": "2026-12-02T15:00:00.000Z",
                         "expires_at": "2026-12-03T15:00:00.000Z", "urls": {"get": f"{self.base_url}/files/{fid}"}}, {}
        if method == "GET" and m_pred:
            self.counts["get"] += 1
            if self.poll_errors:
                return self.poll_errors.pop(0)
            job = self.predictions.get(m_pred.group(1))
            if job is None:
                return (*_problem(404, "Not found", "The requested resource could not be found."), {})
            self._advance(job)
            return 200, self._public(job), {}
        if method == "POST" and m_cancel:
            self.counts["cancel"] += 1
            job = self.predictions.get(m_cancel.group(1))
            if job is None:
                return (*_problem(404, "Not found", "The requested resource could not be found."), {})
            if job["status"] in ("starting", "processing"):
                job.update(status="canceled", completed_at="2026-12-02T15:10:00.000Z")
            return 200, self._public(job), {}
        return (*_problem(404, "Not found", "The requested resource could not be found."), {})

    def _advance(self, job: dict) -> None:
        """One poll: starting for ``polls_starting`` polls, then processing, then the end."""
        if job["status"] not in ("starting", "processing"):
            if job["status"] == "succeeded" and job.pop("_expired", False):
                job["output"] = self._url(job)  # a fresh URL after the old one expired
            return
        job["_polls"] += 1
        if job["_polls"] <= self.polls_starting:
            return
        job.update(status="processing", started_at="2026-12-02T15:00:01.000Z")
        job["logs"] += f"step {job['_polls']}: {min(99, job['_polls'] * 30)}%\n"
        if self.hang or job["_polls"] <= self.polls_starting + self.polls_processing:
            return
        job["completed_at"] = "2026-12-02T15:01:00.000Z"
        job["metrics"] = {"predict_time": self.predict_time, "total_time": self.predict_time + 1.0}
        if self.fail_with is not None:
            job.update(status="failed", error=self.fail_with)
            return
        job.update(status="succeeded")
        job["output"] = self._url(job)

    def _url(self, job: dict) -> str:
        job["_urls"] = job.get("_urls", 0) + 1
        return f"{self.root}/files/{job['id']}/{job['_urls']}/output.mp4"

    def _file(self, path: str):
        self.counts["file"] += 1
        m = re.fullmatch(r"/files/([^/]+)/(\d+)/output\.mp4", path)
        job = self.predictions.get(m.group(1)) if m else None
        if job is None:
            return 404, b"Not Found", {}
        if self.expire_downloads > 0 or int(m.group(2)) != job.get("_urls"):  # an old URL stays expired
            self.expire_downloads = max(0, self.expire_downloads - 1)
            job["_expired"] = True
            return 404, {"detail": "Not found: the file has expired"}, {}
        if self.broken_downloads > 0:
            self.broken_downloads -= 1
            return 200, self.clip[: len(self.clip) // 3] or b"\0", {}  # a truncated transfer
        return 200, self.clip, {}

    @staticmethod
    def _public(job: dict) -> dict:
        return {k: v for k, v in job.items() if not k.startswith("_")}
