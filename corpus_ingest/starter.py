"""The built-in camera-language caption corpus shipped with the package.

Hand-written clip descriptions in a film annotator's voice, each labelled with the project's
camera vocabulary (filmcraft.contracts SHOT_SIZES / MOVEMENTS / ANGLES), so the offline director
can vote on retrieved labels with no third-party data present.
"""

from __future__ import annotations

import json
from pathlib import Path

from filmcraft.contracts import ANGLES, MOVEMENTS, SHOT_SIZES

STARTER_PATH = Path(__file__).resolve().parent / "data" / "starter_captions.jsonl"
REQUIRED_FIELDS = ("id", "text", "shot_size", "movement", "angle", "lens_mm", "lighting", "mood", "genre")


def load_starter_captions(path: Path = STARTER_PATH) -> list[dict]:
    """Read and validate the starter corpus; raise ValueError naming the line and the fix."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"starter caption corpus missing at {path}: reinstall the package (package data)")
    rows: list[dict] = []
    seen_ids: set[str] = set()
    seen_texts: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} line {lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where} is not valid JSON ({exc.msg}): fix the line") from exc
        missing = [f for f in REQUIRED_FIELDS if row.get(f) in (None, "")]
        if missing:
            raise ValueError(f"{where} lacks {', '.join(missing)}: every starter caption needs all of {REQUIRED_FIELDS}")
        for field, vocab in (("shot_size", SHOT_SIZES), ("movement", MOVEMENTS), ("angle", ANGLES)):
            if row[field] not in vocab:
                raise ValueError(f"{where}: {field} {row[field]!r} is not in the contract vocabulary {vocab}")
        if not isinstance(row["lens_mm"], (int, float)) or not 8 <= row["lens_mm"] <= 300:
            raise ValueError(f"{where}: lens_mm {row['lens_mm']!r} must be a number in 8..300")
        if row["id"] in seen_ids:
            raise ValueError(f"{where}: duplicate id {row['id']!r}: ids must be unique")
        norm_text = " ".join(row["text"].lower().split())
        if norm_text in seen_texts:
            raise ValueError(f"{where}: duplicate caption text: every caption must be distinct")
        seen_ids.add(row["id"])
        seen_texts.add(norm_text)
        rows.append(row)
    if not rows:
        raise ValueError(f"starter caption corpus {path} is empty")
    return rows
