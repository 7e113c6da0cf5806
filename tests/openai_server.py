"""A local OpenAI-compatible HTTP server for tests (loopback only, started and stopped by the tests).

Each endpoint answers from a queue the test fills (a JSON body, an HTTP status, raw bytes or a
delay), so the real ``openai`` client is exercised end to end, errors included. Requests are
recorded for assertions.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Reply:
    def __init__(self, status: int = 200, body: object = None, raw: bytes | None = None, delay: float = 0.0,
                 headers: dict | None = None):
        self.status, self.body, self.raw, self.delay, self.headers = status, body, raw, delay, headers or {}


def chat_reply(content: str) -> Reply:
    return Reply(body={"id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": "test",
                       "choices": [{"index": 0, "finish_reason": "stop",
                                    "message": {"role": "assistant", "content": content}}],
                       "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})


class OpenAIServer:
    def __init__(self):
        self.replies: dict[str, deque[Reply]] = defaultdict(deque)
        self.requests: list[tuple[str, str, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _answer(self):
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
                self.send_header("Content-Type", "application/json" if reply.raw is None else "application/octet-stream")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except BrokenPipeError:
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
