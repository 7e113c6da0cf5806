"""A ComfyUI workflow in API format and the mapping of its inputs (``resources.comfyui``): loaded and
checked against each other before anything is sent, each problem named with the file, the key and the fix."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORKFLOW_ENV = "FILMASTER_COMFYUI_WORKFLOW"
MAPPING_ENV = "FILMASTER_COMFYUI_MAPPING"
MAX_WAIT_ENV = "FILMASTER_COMFYUI_MAX_WAIT"
IMAGE_WORKFLOW_ENV = "FILMASTER_COMFYUI_IMAGE_WORKFLOW"  # the image role's text-to-image workflow
IMAGE_MAPPING_ENV = "FILMASTER_COMFYUI_IMAGE_MAPPING"


class ComfyConfigError(ValueError):
    """The workflow or the mapping file is unusable: the message names the file, the key and the fix."""


# --- the workflow and its mapping ----------------------------------------------------------------

def _load_file(path: Path, env: str, what: str) -> Any:
    if not str(path).strip():
        raise ComfyConfigError(f"{env} is not set: give the path of the {what}")
    if not path.is_file():
        raise ComfyConfigError(f"{env}={str(path)!r}: no such file; give the path of the {what}")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            import tomllib

            return tomllib.loads(text)
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ComfyConfigError(f"{env}={str(path)!r} does not parse ({exc}); fix the file") from None


def env_names(video: bool) -> tuple[str, str]:
    """The variables naming the workflow and the mapping: the video role's, or the image role's own."""
    return (WORKFLOW_ENV, MAPPING_ENV) if video else (IMAGE_WORKFLOW_ENV, IMAGE_MAPPING_ENV)


def load_workflow(path: str | Path, env: str = WORKFLOW_ENV) -> dict:
    """An API-format workflow: ``{node_id: {"class_type": str, "inputs": {...}}}``; ``env`` is the variable
    that named it (for messages)."""
    path = Path(path).expanduser()
    wf = _load_file(path, env, "ComfyUI workflow exported in API format")
    if isinstance(wf, dict) and "nodes" in wf and "links" in wf:
        raise ComfyConfigError(f"{env}={str(path)!r} is a UI-format workflow (it has 'nodes' and "
                               "'links'); in ComfyUI use Workflow > Export (API) and point the variable at that file")
    if not isinstance(wf, dict) or not wf:
        raise ComfyConfigError(f"{env}={str(path)!r} is not an API-format workflow (a JSON object of nodes)")
    for node_id, node in wf.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str) \
                or not isinstance(node.get("inputs"), dict):
            raise ComfyConfigError(f"{env}={str(path)!r}: node {node_id!r} has no 'class_type' and "
                                   "'inputs'; export the workflow again with Workflow > Export (API)")
    return wf


@dataclass(frozen=True)
class Target:
    node: str
    input: str

    def __str__(self) -> str:
        return f"{self.node}.{self.input}"


@dataclass(frozen=True)
class ComfyMapping:
    """Which workflow inputs receive what. Targets are ``"<node id>.<input name>"``.

    ``prompt`` and ``output`` (the node id of the saving node) are required; a video mapping needs
    ``frames`` too. ``images``: one target per reference image the workflow takes (in the order of the
    clip's references: the shot's characters, then the location plate). ``model_fps``: the rate the model
    renders at (the conform retimes to the film's); ``frame_step``: frame counts the model accepts are
    ``1 + k * frame_step`` (Wan: 4, LTX-Video: 8); ``size_step``: width and height are multiples of it;
    ``max_side``: the longer side is scaled down to at most this, keeping the film's aspect (the conform
    scales the clip back up)."""

    path: str
    prompt: Target
    output: str
    negative_prompt: Target | None = None
    images: tuple[Target, ...] = ()
    seed: Target | None = None
    frames: Target | None = None
    width: Target | None = None
    height: Target | None = None
    fps: Target | None = None
    model_fps: float | None = None
    frame_step: int = 1
    size_step: int = 8
    max_side: int | None = None

    TARGETS = ("prompt", "negative_prompt", "seed", "frames", "width", "height", "fps")
    NUMBERS = ("model_fps", "frame_step", "size_step", "max_side")

    @classmethod
    def load(cls, path: str | Path, workflow: dict, workflow_path: str | Path = "", video: bool = True) -> "ComfyMapping":
        """Read and check the mapping against ``workflow``: every mapped node and input must exist."""
        path = Path(path).expanduser()
        mapping_env = env_names(video)[1]  # the messages name the variable the user set
        raw = _load_file(path, mapping_env, "mapping of workflow inputs (JSON or TOML)")
        where = f"{mapping_env}={str(path)!r}"

        def bad(key: str, why: str, fix: str) -> ComfyConfigError:
            return ComfyConfigError(f"{where}: {key!r} {why}; {fix}")

        if not isinstance(raw, dict):
            raise ComfyConfigError(f"{where} is not a JSON/TOML object of key: \"node.input\"")
        known = set(cls.TARGETS) | set(cls.NUMBERS) | {"images", "output"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise bad(unknown[0], "is not a mapping key", f"use only {', '.join(sorted(known))}")
        wf_name = str(workflow_path) or "the workflow"

        def target(key: str, value: Any) -> Target:
            if not isinstance(value, str) or "." not in value:
                raise bad(key, f"is {value!r}, not \"<node id>.<input name>\"", "write it as e.g. \"6.text\"")
            node, name = value.rsplit(".", 1)
            if node not in workflow:
                raise bad(key, f"names node {node!r}, which is not in {wf_name} (its nodes: "
                               f"{', '.join(sorted(workflow, key=_node_order))})", "use a node id of that workflow")
            inputs = workflow[node]["inputs"]
            cls_name = workflow[node]["class_type"]
            if name not in inputs:
                raise bad(key, f"names input {name!r} of node {node} ({cls_name}), which has no such input (its "
                               f"inputs: {', '.join(inputs)})", "use one of those input names")
            if isinstance(inputs[name], list):
                raise bad(key, f"names input {name!r} of node {node} ({cls_name}), which is wired to node "
                               f"{inputs[name][0]!r}", "map a widget value (a plain number or text), not a link")
            return Target(node, name)

        for key in ("prompt", "output") + (("frames",) if video else ()):
            if key not in raw:
                raise bad(key, "is missing", "map it (see docs/comfyui/ for an example)")
        output = str(raw["output"])
        if output not in workflow:
            raise bad("output", f"names node {output!r}, which is not in {wf_name}",
                      "give the id of the node that saves the result (SaveVideo, SaveImage...)")
        images = raw.get("images", [])
        if isinstance(images, str):
            images = [images]
        if not isinstance(images, list):
            raise bad("images", f"is {images!r}", "give a list of \"<node id>.<input name>\" (LoadImage's 'image')")
        numbers: dict = {}
        for key in cls.NUMBERS:
            if key in raw:
                value = raw[key]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise bad(key, f"is {value!r}", "give a positive number")
                numbers[key] = float(value) if key == "model_fps" else int(value)
        return cls(path=str(path), output=output, images=tuple(target("images", v) for v in images),
                   **{k: target(k, raw[k]) for k in cls.TARGETS if k in raw}, **numbers)

    # -- the values a clip sends ------------------------------------------------------------

    def size(self, width: int, height: int) -> tuple[int, int]:
        """The render size for a film frame of width x height: scaled to ``max_side``, rounded to ``size_step``."""
        scale = min(1.0, self.max_side / max(width, height)) if self.max_side else 1.0
        step = self.size_step
        return (max(step, int(width * scale / step + 0.5) * step), max(step, int(height * scale / step + 0.5) * step))

    def render_fps(self, film_fps: int) -> float:
        return self.model_fps or float(film_fps)

    def frames_for(self, duration_s: float, film_fps: int) -> int:
        """The fewest frames the model accepts (``1 + k * frame_step``) that cover ``duration_s``."""
        need = max(1, math.ceil(duration_s * self.render_fps(film_fps) - 1e-9))
        if self.frame_step <= 1:
            return need
        return 1 + math.ceil(max(0, need - 1) / self.frame_step) * self.frame_step


def _node_order(node_id: str) -> tuple:
    return (0, int(node_id), "") if node_id.isdigit() else (1, 0, node_id)


def fill(workflow: dict, values: dict[Target, Any]) -> dict:
    """A copy of ``workflow`` with each target's input set (the file on disk is never changed)."""
    out = json.loads(json.dumps(workflow))
    for t, value in values.items():
        out[t.node]["inputs"][t.input] = value
    return out
