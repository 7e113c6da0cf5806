"""A local OpenAI-compatible HTTP server for tests (loopback only, started and stopped by the tests).

Each endpoint answers from a queue the test fills (a JSON body, an HTTP status, raw bytes or a
delay), so the real ``openai`` client is exercised end to end, errors included. Requests are
recorded for assertions, with when each arrived and was answered (``timings``), so a test can check
on the server's side how long the client waited before retrying.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


class Reply:
    def __init__(self, status: int = 200, body: object = None, raw: bytes | None = None, delay: float = 0.0,
                 headers: dict | None = None, content_type: str | None = None):
        self.status, self.body, self.raw, self.delay, self.headers = status, body, raw, delay, headers or {}
        self.content_type = content_type or ("application/json" if raw is None else "application/octet-stream")


def chat_reply(content: str) -> Reply:
    return Reply(body={"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": "test",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}],
                       "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})


class OpenAIServer:
    def __init__(self):
        self.replies: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[tuple[str, str, bytes]] = []
        self.timings: list[tuple[str, float, float, int]] = []  # (route, arrived, answered, status), monotonic
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _answer(self):
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?")[0]
                server.requests.append((self.command, path, body))
                route = f"{self.command} {path}"
                queue = server.replies.get(route) or server.replies.get(f"{self.command} {_pattern(path)}")
                if not queue:
                    self.send_response(404)
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "no reply queued"}}')
                    server.timings.append((route, arrived, time.monotonic(), 404))
                    return
                reply = queue.popleft() if len(queue) > 1 else queue[0]
                if callable(reply):  # a responder computes its answer from the request (JSON, or raw bytes)
                    try:
                        request = json.loads(body or b"{}")
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        request = body
                    reply = reply(request)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                server.timings.append((route, arrived, time.monotonic(), reply.status))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a hang past its timeout)
                    pass

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def queue(self, route: str, *replies: Reply) -> None:
        self.replies[route].extend(replies)

    def calls(self, route_suffix: str) -> int:
        return sum(1 for _m, p, _b in self.requests if p.endswith(route_suffix))

    def gaps(self, route: str) -> list[float]:
        """Seconds between one answer on ``route`` and the next request on it, as the server saw them."""
        times = [(a, e) for r, a, e, _s in self.timings if r == route]
        return [nxt[0] - prev[1] for prev, nxt in zip(times, times[1:])]

    def reset(self) -> None:
        """Forget queued replies and recorded requests (one server, many scenarios)."""
        self.replies.clear()
        self.requests.clear()
        self.timings.clear()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _pattern(path: str) -> str:
    """/v1/videos/vid_1/content -> /v1/videos/*/content"""
    parts = path.split("/")
    if len(parts) > 3 and parts[2] == "videos":
        parts[3] = "*"
    return "/".join(parts)


# --- fault modes -------------------------------------------------------------------------------
# Every model role must survive these: recover within its retry budget when the fault is transient,
# or fail with a ModelRoleError that names the role and the fault.

FAULTS = ("429", "500", "hang", "truncated_json", "wrong_schema", "empty")


def rate_limited(retry_after: str = "1") -> Reply:
    return Reply(429, {"error": {"message": "rate limit reached", "type": "rate_limit_error"}},
                 headers={"Retry-After": retry_after})


def server_error() -> Reply:
    # Retry-After "0" asks for no wait: the client still backs off exponentially (0.5 s, 1 s, ...)
    return Reply(500, {"error": {"message": "internal error", "type": "server_error"}}, headers={"Retry-After": "0"})


def api_error(status: int, message: str, headers: dict | None = None) -> Reply:
    """An OpenAI-shaped error body with the server's own message."""
    return Reply(status, {"error": {"message": message, "type": "invalid_request_error", "param": None,
                                    "code": None}}, headers=headers)


def hang(good: Reply, seconds: float = 2.0) -> Reply:
    """The right answer, but only after ``seconds``: past a short client timeout."""
    return Reply(good.status, good.body, good.raw, delay=seconds, headers=good.headers, content_type=good.content_type)


def truncated(good: Reply) -> Reply:
    """The first half of a JSON body, still labelled application/json (a cut connection or proxy)."""
    blob = good.raw if good.raw is not None else json.dumps(good.body).encode()
    return Reply(good.status, raw=blob[: max(1, len(blob) // 2)], content_type="application/json")


def empty_body() -> Reply:
    return Reply(200, raw=b"", content_type="application/json")


def respond(reply) -> Callable[[object], Reply]:
    """A fixed Reply or a responder, as a responder."""
    return reply if callable(reply) else (lambda _request: reply)


class Flaky:
    """A responder that answers with ``fault`` for the first ``times`` requests (None: for ever), then
    with ``good``. Counts what it served so tests can check the retry budget."""

    def __init__(self, fault, good, times: int | None = 1):
        self.fault, self.good, self.times = respond(fault), respond(good), times
        self.faults_served = 0
        self.good_served = 0

    def __call__(self, request) -> Reply:
        if self.times is None or self.faults_served < self.times:
            self.faults_served += 1
            return self.fault(request)
        self.good_served += 1
        return self.good(request)


def transient(fault, good, times: int = 1) -> Flaky:
    return Flaky(fault, good, times)


def always(fault) -> Flaky:
    return Flaky(fault, fault, None)


def image_reply(picture: bytes) -> Reply:
    """An ``images.generate`` answer carrying ``picture`` as base64 (what gpt-image-1 sends)."""
    import base64

    return Reply(body={"created": int(time.time()), "data": [{"b64_json": base64.b64encode(picture).decode("ascii")}]})
