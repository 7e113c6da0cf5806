"""Caption corpus -> embedded, searchable index whose hits carry their text and camera fields.

The rows live in rows.parquet inside the index folder, so the vectors and the rows they came
from always swap in together and a hit can never point at a row of another build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from filmcraft.contracts import RetrievedReference
from filmcraft.roles import Embedder

from corpus_ingest.index import VectorIndex, build_index, load_cached, read_meta
from corpus_ingest.starter import load_starter_captions, starter_fingerprint

ROWS_FILE = "rows.parquet"
QUARANTINE_FILE = "quarantine.jsonl"
MAX_CAPTION_CHARS = 4000  # longer "captions" are scripts or dumps, not clip descriptions
CAPTION_INDEX_VERSION = 2  # bump when the stored layout or embedded text changes
EMBED_BATCH = 256  # rows per encode call: bounds memory on a 440k-row corpus


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


def _clean_rows(rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split rows into usable and quarantined (with a reason each); first id wins."""
    good: list[dict] = []
    bad: list[dict] = []
    seen: set[str] = set()
    for n, row in enumerate(rows):
        if not isinstance(row, dict):
            bad.append({"row": n, "reason": f"row is {type(row).__name__}, not an object"})
            continue
        rid, text = row.get("id"), row.get("text")
        if rid is None or str(rid).strip() == "":
            bad.append({"row": n, "reason": "missing id"})
            continue
        rid = str(rid).strip()
        if not isinstance(text, str) or not text.strip():
            bad.append({"row": n, "id": rid, "reason": "missing or empty text"})
            continue
        if len(text) > MAX_CAPTION_CHARS:
            bad.append({"row": n, "id": rid, "reason": f"text of {len(text)} chars exceeds {MAX_CAPTION_CHARS}"})
            continue
        if rid in seen:
            bad.append({"row": n, "id": rid, "reason": "duplicate id (first occurrence kept)"})
            continue
        seen.add(rid)
        fields = {
            str(k): (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else str(v))
            for k, v in row.items()
            if k not in ("id", "text", "source") and v is not None
        }
        source = row.get("source")
        good.append({
            "id": rid,
            "text": " ".join(text.split()),
            "source": str(source) if source else "starter",
            "fields": fields,
        })
    return good, bad


def build_caption_index(
    rows: list[dict], embedder: Embedder, out_dir: Path, extra_meta: dict | None = None,
    exact_threshold: int = 50_000,
) -> dict:
    """Embed caption rows (id, text, optional fields) and install the index at ``out_dir``; return meta."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    good, bad = _clean_rows(list(rows))
    if not good:
        reasons = sorted({b["reason"] for b in bad})[:3]
        raise ValueError(
            f"no usable caption rows out of {len(bad)} (e.g. {reasons}): each row needs an 'id' and a non-empty 'text'"
        )
    texts = [r["text"] for r in good]
    embed_texts = [caption_embed_text(r["text"], r["fields"]) for r in good]
    vecs = np.concatenate([embedder.encode(embed_texts[i:i + EMBED_BATCH]) for i in range(0, len(embed_texts), EMBED_BATCH)])

    def write_rows(folder: Path) -> None:
        table = pa.table({
            "id": [r["id"] for r in good],
            "text": texts,
            "source": [r["source"] for r in good],
            "fields_json": [json.dumps(r["fields"], ensure_ascii=False, sort_keys=True) for r in good],
        })
        pq.write_table(table, folder / ROWS_FILE)
        if bad:
            with open(folder / QUARANTINE_FILE, "w", encoding="utf-8") as fh:
                for b in bad:
                    fh.write(json.dumps(b, ensure_ascii=False) + "\n")

    meta = {
        "kind": "captions",
        "version": CAPTION_INDEX_VERSION,
        "quarantined": len(bad),
        "sources": sorted({r["source"] for r in good}),
        **(extra_meta or {}),
    }
    return build_index(vecs, [r["id"] for r in good], Path(out_dir), embedder.name,
                       exact_threshold=exact_threshold, meta=meta, write_extra=write_rows)


_ROWS_CACHE: dict[str, tuple[int, dict[str, dict[str, Any]]]] = {}


def _rows_by_id(index_dir: Path) -> dict[str, dict[str, Any]]:
    import pyarrow.parquet as pq

    path = Path(index_dir) / ROWS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{index_dir} has no {ROWS_FILE}: it is not a caption index; build it with build_caption_index")
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


def ensure_starter_caption_index(index_dir: Path, embedder: Embedder) -> dict:
    """Build the starter caption index at ``index_dir`` unless a fresh one is there; return its meta.

    Fresh = same stored layout version, same corpus file content, same embedder name.
    """
    want = {"kind": "captions", "version": CAPTION_INDEX_VERSION, "corpus": "starter",
            "corpus_fingerprint": starter_fingerprint(), "embedder": embedder.name}
    meta = read_meta(Path(index_dir))
    if meta is not None and all(meta.get(k) == v for k, v in want.items()):
        return meta
    return build_caption_index(load_starter_captions(), embedder, Path(index_dir),
                               extra_meta={"corpus": "starter", "corpus_fingerprint": want["corpus_fingerprint"]})
