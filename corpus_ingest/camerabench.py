"""Reader for CameraBench merged captions (third-party data for tests and benchmarks, not shipped).

Each clip has one merged paragraph plus human-reviewed per-aspect captions; the Camera part
(angle, focus, lens, movement) is kept as a field so a hit shows its camera language.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

ASPECTS = ("Camera", "Subject", "Motion", "Scene", "Spatial")


def load_camerabench_captions(
    path: Path, sample: int | None = None, seed: int = 0, text_from: str = "merged"
) -> list[dict]:
    """Rows {id, text, source, camera, subject, motion, scene, spatial} from merged_captions.jsonl(.gz).

    ``text_from="merged"`` embeds the whole paragraph (scene + camera; best for scene queries);
    ``"camera"`` only the Camera part (about 4x shorter to embed; best for pure camera queries).
    """
    if text_from not in ("merged", "camera"):
        raise ValueError(f"text_from={text_from!r}: use 'merged' or 'camera'")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CameraBench captions not found at {path}: point at merged_captions.jsonl.gz")
    opener = gzip.open if path.suffix == ".gz" else open
    rows: list[dict] = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name} line {lineno} is not JSON ({exc.msg}): the file is corrupt; re-copy it") from exc
            parts = rec.get("input_captions") or {}
            row = {
                "id": f"cb-{rec.get('video_id')}",
                "text": rec.get("merged_caption"),
                "source": "camerabench",
            }
            for aspect in ASPECTS:
                if parts.get(aspect):
                    row[aspect.lower()] = parts[aspect]
            if text_from == "camera":
                row["text"] = parts.get("Camera")
            rows.append(row)
    if sample is not None and sample < len(rows):
        rows = random.Random(seed).sample(rows, sample)
    return rows
