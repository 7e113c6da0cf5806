"""The caption index: what a caption row is embedded as, and top-k search over the built index.

``corpus_ingest.reindex`` builds the index over every caption source; its rows live in
rows.parquet inside the index folder, so the vectors and the rows they came from always swap in
together and a hit can never point at a row of another build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from filmcraft.contracts import RetrievedReference
from filmcraft.roles import Embedder

from corpus_ingest.index import VectorIndex, load_cached

INDEX_ROWS_FILE = "rows.parquet"  # the indexed rows (id, text, source, fields_json), beside the vectors
CAPTION_INDEX_VERSION = 2  # bump when the stored layout or embedded text changes


# Plain-words glosses of the contract vocabulary, appended to the embedded text of labelled rows
# so a query phrased without jargon ("looking straight down", "camera circles them") still
# meets the right labels (document expansion; the stored text stays the annotator's own).
SHOT_SIZE_WORDS = {
    "extreme_wide": "extreme wide shot, vast establishing view", "wide": "wide shot, establishing view",
    "full": "full shot, whole figure head to toe", "medium_wide": "medium wide shot, figures from the knees up",
    "medium": "medium shot, waist up", "medium_close_up": "medium close-up, chest up",
    "close_up": "close-up on the face", "extreme_close_up": "extreme close-up, macro detail",
}
MOVEMENT_WORDS = {
    "static": "static locked-off camera, no movement", "push_in": "push-in, camera moves closer, dolly in",
    "pull_out": "pull-out, camera moves back to reveal, dolly out", "pan_left": "pan left, camera swivels left",
    "pan_right": "pan right, camera swivels right", "tilt_up": "tilt up, camera looks upward",
    "tilt_down": "tilt down, camera looks downward", "truck_left": "truck left, tracking sideways to the left",
    "truck_right": "truck right, tracking sideways to the right", "crane_up": "crane up, camera rises high",
    "crane_down": "crane down, camera descends", "orbit": "orbit, camera circles around the subject",
    "handheld": "handheld camera, shaky and following the action",
}
ANGLE_WORDS = {
    "eye_level": "eye-level angle", "high": "high angle looking down on the subject",
    "low": "low angle looking up at the subject", "overhead": "overhead top-down bird's-eye view, looking straight down",
    "dutch": "dutch angle, tilted canted frame",
}


def caption_embed_text(text: str, fields: dict[str, str]) -> str:
    """The caption text plus plain-words camera labels when the row has contract-vocabulary fields."""
    glosses = [words[fields[key]] for key, words in
               (("shot_size", SHOT_SIZE_WORDS), ("movement", MOVEMENT_WORDS), ("angle", ANGLE_WORDS))
               if fields.get(key) in words]
    if fields.get("lens_mm"):
        glosses.append(f"{fields['lens_mm']}mm lens")
    return f"{text} Camera: {'; '.join(glosses)}." if glosses else text


_ROWS_CACHE: dict[str, tuple[int, dict[str, dict[str, Any]]]] = {}


def _rows_by_id(index_dir: Path) -> dict[str, dict[str, Any]]:
    import pyarrow.parquet as pq

    path = Path(index_dir) / INDEX_ROWS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{index_dir} has no {INDEX_ROWS_FILE}: it is not a caption index; build it with rebuild_caption_index")
    stamp = path.stat().st_ino
    key = str(path.resolve())
    hit = _ROWS_CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    table = pq.read_table(path).to_pydict()
    rows = {
        rid: {"text": text, "source": source, "fields": json.loads(fj)}
        for rid, text, source, fj in zip(table["id"], table["text"], table["source"], table["fields_json"])
    }
    _ROWS_CACHE[key] = (stamp, rows)
    return rows


def search_captions(index_dir: Path, embedder: Embedder, query: str, k: int = 8) -> list[RetrievedReference]:
    """Top-k captions for a free-text query (e.g. a scene block rendered as text), best first."""
    if not isinstance(query, str) or not query.strip():
        raise ValueError("the caption query is empty: describe the scene (place, action, mood) to retrieve references")
    index = load_cached(Path(index_dir))
    index.check_embedder(embedder.name)
    qv = embedder.encode([query.strip()])
    hits = index.search(qv, k)[0]
    rows = _rows_by_id(Path(index_dir))
    if any(rid not in rows for rid, _ in hits):
        # A rebuild swapped in between reading the vectors and the rows: read both afresh once.
        _ROWS_CACHE.clear()
        index = VectorIndex.load(Path(index_dir))
        hits = index.search(qv, k)[0]
        rows = _rows_by_id(Path(index_dir))
        missing = [rid for rid, _ in hits if rid not in rows]
        if missing:
            raise RuntimeError(f"caption index at {index_dir} has vectors without rows ({missing[:3]}): rebuild it")
    out: list[RetrievedReference] = []
    for rid, score in hits:
        row = rows[rid]
        out.append(RetrievedReference(caption_id=rid, score=round(score, 6), text=row["text"],
                                      source=row["source"], fields=row["fields"]))
    return out
