"""A loopback ComfyUI server for tests: the routes and answer shapes of ComfyUI's ``server.py``.

``POST /upload/image`` (multipart ``image``, ``overwrite``, ``type``) -> ``{name, subfolder, type}``;
``POST /prompt {prompt, client_id}`` -> ``{prompt_id, number, node_errors}``, or 400 ``{error, node_errors}``
for a workflow that does not validate (unknown node type, a link to a missing node, a missing required
input, a LoadImage of a file never uploaded); ``GET /queue`` -> ``{queue_running, queue_pending}`` (items
``[number, prompt_id, prompt, extra_data, outputs_to_execute]``); ``GET /history/{id}`` -> ``{id: {prompt,
outputs, status: {status_str, completed, messages}}}`` once the prompt has ended, ``{}`` before;
``GET /view?filename&subfolder&type`` -> the file; ``POST /interrupt`` and ``POST /queue {delete}``.

"Executing" a prompt writes a real file whose content reflects the queued inputs, read through the
mapping: a video (ffmpeg testsrc) of the mapped frames, width, height and fps, or a PNG of the mapped
size. A prompt runs on the ``finish_after``-th history poll. ``fault`` injects one failure (see FAULTS).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import urllib.parse
import uuid
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# class_type -> required inputs, from ComfyUI's node definitions (nodes.py, comfy_extras/nodes_wan.py,
# comfy_extras/nodes_video.py, comfy_extras/nodes_model_advanced.py)
NODES = {
    "UNETLoader": ("unet_name", "weight_dtype"), "CLIPLoader": ("clip_name", "type"), "VAELoader": ("vae_name",),
    "CLIPVisionLoader": ("clip_name",), "LoadImage": ("image",), "CLIPVisionEncode": ("clip_vision", "image", "crop"),
    "CLIPTextEncode": ("text", "clip"),
    "WanImageToVideo": ("positive", "negative", "vae", "width", "height", "length", "batch_size"),
    "ModelSamplingSD3": ("model", "shift"),
    "KSampler": ("model", "seed", "steps", "cfg", "sampler_name", "scheduler", "positive", "negative",
                 "latent_image", "denoise"),
    "VAEDecode": ("samples", "vae"), "CreateVideo": ("images", "fps"),
    "SaveVideo": ("video", "filename_prefix", "format", "codec"),
    "CheckpointLoaderSimple": ("ckpt_name",), "EmptyLatentImage": ("width", "height", "batch_size"),
    "SaveImage": ("images", "filename_prefix"),
}
OUTPUT_NODES = ("SaveVideo", "SaveImage")

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
FAULTS = ("execution_error", "nsfw", "vanish", "vanish_once", "hang", "429", "500", "broken")


class FakeComfyUI:
    def __init__(self, mapping: dict, root: Path, fault: str | None = None, finish_after: int = 2,
                 transient_count: int = 2):
        assert fault is None or fault in FAULTS, fault
        self.mapping, self.root, self.fault = mapping, Path(root), fault
        self.finish_after, self.transient_left = finish_after, transient_count
        (self.root / "input").mkdir(parents=True, exist_ok=True)
        (self.root / "output").mkdir(parents=True, exist_ok=True)
        self.requests: list[tuple[str, str]] = []
        self.uploads: dict[str, bytes] = {}
        self.prompts: dict[str, dict] = {}  # prompt_id -> the workflow as queued
        self.order: list[str] = []
        self.history: dict[str, dict] = {}
        self.polls: dict[str, int] = {}
        self.interrupts: list[dict] = []
        self.deletes: list[str] = []
        self.views = 0
        self.sockets: dict = {}  # clientId -> send(message) of an open /ws
        self.clients: dict[str, str] = {}  # prompt_id -> the client_id that queued it
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: object = None, raw: bytes | None = None, ctype="application/json",
                      headers: dict | None = None):
                data = raw if raw is not None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path.startswith("/ws"):
                    return self._websocket()
                self._route("GET", b"")

            def _websocket(self):
                """RFC 6455 by hand: the handshake, then server->client text frames until the client closes."""
                key = self.headers.get("Sec-WebSocket-Key", "")
                accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
                # written by hand: http.server answers in HTTP/1.0, and a websocket upgrade is HTTP/1.1 only
                self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  f"Sec-WebSocket-Accept: {accept}\r\n\r\n").encode())
                self.wfile.flush()
                client = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("clientId", [""])[0]
                lock = threading.Lock()

                def send(obj: dict, opcode: int = 0x1) -> None:
                    data = json.dumps(obj).encode() if opcode == 0x1 else b""
                    n = len(data)
                    head = bytes([0x80 | opcode, n]) if n < 126 else bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
                    with lock:
                        self.wfile.write(head + data)
                        self.wfile.flush()

                with fake.lock:
                    fake.requests.append(("GET", "/ws"))
                    fake.sockets[client] = send
                send({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client}})
                try:
                    while True:  # read the client's frames (masked) until its close frame
                        b0, b1 = self.rfile.read(2)
                        n = b1 & 0x7F
                        if n == 126:
                            n = int.from_bytes(self.rfile.read(2), "big")
                        elif n == 127:
                            n = int.from_bytes(self.rfile.read(8), "big")
                        self.rfile.read((4 if b1 & 0x80 else 0) + n)
                        if b0 & 0x0F == 0x8:
                            send({}, opcode=0x8)
                            break
                except (ValueError, OSError):
                    pass
                finally:
                    with fake.lock:
                        fake.sockets.pop(client, None)
                self.close_connection = True

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self._route("POST", self.rfile.read(length) if length else b"")

            def _route(self, method: str, body: bytes):
                url = urllib.parse.urlsplit(self.path)
                with fake.lock:
                    fake.requests.append((method, url.path))
                    status, answer, raw, ctype, headers = fake.answer(method, url.path, urllib.parse.parse_qs(url.query),
                                                                      body, self.headers.get("Content-Type", ""))
                self._send(status, answer, raw, ctype, headers)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeComfyUI":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and (p == path or p.startswith(path + "/")))

    # -- routes --------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict, body: bytes, ctype: str):
        json_ = lambda status, obj, headers=None: (status, obj, None, "application/json", headers)  # noqa: E731
        if self.fault in ("429", "500") and self.transient_left > 0 and (method, path) == (
                ("POST", "/prompt") if self.fault == "429" else ("GET", path if path.startswith("/history/") else "")):
            self.transient_left -= 1
            if self.fault == "429":
                return json_(429, {"error": "too many requests"}, {"Retry-After": "0"})
            return json_(500, {"error": "internal server error"})
        if (method, path) == ("POST", "/upload/image"):
            return json_(*self.upload(body, ctype))
        if (method, path) == ("POST", "/prompt"):
            return json_(*self.queue_prompt(json.loads(body)))
        if (method, path) == ("GET", "/queue"):
            running = [p for p in self.order if p not in self.history][:1]
            pending = [p for p in self.order if p not in self.history][1:]
            item = lambda pid: [self.order.index(pid), pid, self.prompts[pid], {}, []]  # noqa: E731
            return json_(200, {"queue_running": [item(p) for p in running], "queue_pending": [item(p) for p in pending]})
        if method == "GET" and path.startswith("/history/"):
            pid = path.split("/")[-1]
            return json_(200, self.poll(pid))
        if (method, path) == ("GET", "/view"):
            return self.view(query)
        if (method, path) == ("POST", "/interrupt"):
            req = json.loads(body or b"{}")
            self.interrupts.append(req)
            pid = req.get("prompt_id")
            if pid in self.prompts and pid not in self.history:
                self.history[pid] = self._entry(pid, {}, [["execution_interrupted", {"prompt_id": pid}]], error=True)
            return json_(200, {})
        if (method, path) == ("POST", "/queue"):
            req = json.loads(body or b"{}")
            for pid in req.get("delete", []):
                self.deletes.append(pid)
                if pid in self.order and pid not in self.history:
                    self.order.remove(pid)
            return json_(200, {})
        return json_(404, {"error": f"no route {method} {path}"})

    def upload(self, body: bytes, ctype: str) -> tuple[int, dict]:
        msg = BytesParser(policy=email_policy).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
        fields, image = {}, None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "image":
                image = (part.get_filename(), part.get_payload(decode=True))
            else:
                fields[name] = part.get_content().strip()
        if image is None or not image[1]:
            return 400, {"error": "no image"}
        name, data = image
        (self.root / "input" / name).write_bytes(data)
        self.uploads[name] = data
        return 200, {"name": name, "subfolder": "", "type": fields.get("type", "input")}

    def queue_prompt(self, req: dict) -> tuple[int, dict]:
        wf = req.get("prompt")
        if not isinstance(wf, dict):
            return 400, {"error": {"type": "invalid_prompt", "message": "Cannot validate prompt", "details": "",
                                   "extra_info": {}}, "node_errors": {}}
        for node_id, node in wf.items():
            if node.get("class_type") not in NODES:
                return 400, {"error": {"type": "missing_node_type", "message": f"Node '{node.get('class_type')}' "
                                       "not found. The custom node may not be installed.", "details": f"Node ID '#{node_id}'",
                                       "extra_info": {"node_id": node_id, "class_type": node.get("class_type")}},
                             "node_errors": {}}
        outputs = [n for n, node in wf.items() if node["class_type"] in OUTPUT_NODES]
        if not outputs:
            return 400, {"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "",
                                   "extra_info": {}}, "node_errors": []}
        node_errors = {}
        for node_id, node in wf.items():
            errors = []
            for name in NODES[node["class_type"]]:
                if name not in node["inputs"]:
                    errors.append({"type": "required_input_missing", "message": "Required input is missing",
                                   "details": name, "extra_info": {"input_name": name}})
            for name, value in node["inputs"].items():
                if isinstance(value, list) and (len(value) != 2 or value[0] not in wf):
                    errors.append({"type": "bad_linked_input", "message": "Bad linked input", "details": name,
                                   "extra_info": {"input_name": name}})
            if node["class_type"] == "LoadImage" and node["inputs"].get("image") not in self.uploads:
                errors.append({"type": "custom_validation_failed", "message": "Custom validation failed for node",
                               "details": f"image - Invalid image file: {node['inputs'].get('image')}",
                               "extra_info": {}})
            if errors:
                node_errors[node_id] = {"errors": errors, "dependent_outputs": outputs, "class_type": node["class_type"]}
        if node_errors:
            return 400, {"error": {"type": "prompt_outputs_failed_validation",
                                   "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                         "node_errors": node_errors}
        pid = str(uuid.uuid4())
        self.prompts[pid] = wf
        self.clients[pid] = req.get("client_id", "")
        self.order.append(pid)
        return 200, {"prompt_id": pid, "number": len(self.order) - 1, "node_errors": {}}

    # -- execution ------------------------------------------------------------------------

    def value(self, key: str):
        """The queued value of a mapped input (the last prompt)."""
        target = self.mapping.get(key)
        if not target:
            return None
        node, name = target.rsplit(".", 1)
        return self.prompts[self.order[-1]][node]["inputs"][name]

    def poll(self, pid: str) -> dict:
        if pid not in self.prompts:
            return {}
        self.polls[pid] = self.polls.get(pid, 0) + 1
        if pid not in self.history and self.fault != "hang" and self.polls[pid] >= self.finish_after:
            self.execute(pid)
        return {pid: self.history[pid]} if pid in self.history else {}

    def _entry(self, pid: str, outputs: dict, messages: list, error: bool = False) -> dict:
        return {"prompt": [self.order.index(pid) if pid in self.order else 0, pid, self.prompts[pid], {}, []],
                "outputs": outputs,
                "status": {"status_str": "error" if error else "success", "completed": not error,
                           "messages": [["execution_start", {"prompt_id": pid}], *messages]}}

    def execute(self, pid: str) -> None:
        from filmcraft.media import run_ffmpeg

        wf = self.prompts[pid]
        out_node = str(self.mapping["output"])
        send = self.sockets.get(self.clients.get(pid, ""))
        if send is not None:  # as ComfyUI does, to the client that queued it: executing, then the sampler's steps
            send({"type": "execution_start", "data": {"prompt_id": pid}})
            send({"type": "executing", "data": {"node": "3", "display_node": "3", "prompt_id": pid}})
            steps = int(wf.get("3", {}).get("inputs", {}).get("steps", 4))
            for value in range(1, steps + 1):
                send({"type": "progress", "data": {"value": value, "max": steps, "prompt_id": pid, "node": "3"}})
        if self.fault in ("execution_error", "nsfw"):
            node = "3" if self.fault == "execution_error" else "8"
            exc = (("torch.OutOfMemoryError", "CUDA out of memory. Tried to allocate 2.00 GiB")
                   if self.fault == "execution_error" else
                   ("RuntimeError", "NSFW content detected by the safety checker; image blocked"))
            self.history[pid] = self._entry(pid, {}, [["execution_error", {
                "prompt_id": pid, "node_id": node, "node_type": wf[node]["class_type"], "executed": [],
                "exception_type": exc[0], "exception_message": exc[1], "traceback": ["..."],
                "current_inputs": {}, "current_outputs": {}}]], error=True)
            return
        width, height = int(self.value("width") or 64), int(self.value("height") or 64)
        sub = "filmaster"
        if wf[out_node]["class_type"] == "SaveVideo":
            frames, fps = int(self.value("frames")), float(self.value("fps") or 16)
            name = f"clip_{len(self.history) + 1:05d}_.mp4"
            path = self.root / "output" / sub / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.fault == "broken":
                path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
            else:
                run_ffmpeg(["-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate={fps:g}", "-frames:v", str(frames),
                            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)], "fake ComfyUI clip")
            listed = {"images": [{"filename": name, "subfolder": sub, "type": "output"}], "animated": [True]}
        else:
            from PIL import Image

            name = f"still_{len(self.history) + 1:05d}_.png"
            path = self.root / "output" / sub / name
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (width, height), (40, 90, 160)).save(path)
            listed = {"images": [{"filename": name, "subfolder": sub, "type": "output"}]}
        self.history[pid] = self._entry(pid, {out_node: listed}, [["execution_success", {"prompt_id": pid}]])
        if send is not None:
            send({"type": "executed", "data": {"node": out_node, "display_node": out_node, "output": listed,
                                               "prompt_id": pid}})
            send({"type": "executing", "data": {"node": None, "prompt_id": pid}})

    def view(self, query: dict):
        self.views += 1
        name, sub = query.get("filename", [""])[0], query.get("subfolder", [""])[0]
        kind = query.get("type", ["output"])[0]
        path = self.root / kind / sub / name
        if self.fault == "vanish" or (self.fault == "vanish_once" and self.views == 1):
            if path.exists():
                moved = path.with_name("moved_" + path.name)
                path.rename(moved)
                if self.fault == "vanish_once":  # the history now lists the file where it went
                    for entry in self.history.values():
                        for listed in entry["outputs"].values():
                            for item in listed.get("images", []):
                                if item["filename"] == name:
                                    item["filename"] = moved.name
        if not path.is_file():
            return 404, None, b"404: Not Found", "text/plain", None
        return 200, None, path.read_bytes(), "video/mp4" if path.suffix == ".mp4" else "image/png", None
