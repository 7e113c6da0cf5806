"""Per-source embeddings keyed by the content hash of the embedded text.

Vectors live in append-only part files (``part-*.npz``: ``hashes`` S32, ``vectors`` float32), so
an ingest only embeds rows whose text is new or changed, and a killed embedding run keeps every
part it finished (checkpoints every ``CHECKPOINT_ROWS`` rows): the next run resumes. Parts are
compacted when they hold mostly stale vectors. ``meta.json`` records the embedder: vectors of
another model are discarded, never mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Collection

import numpy as np

from filmcraft.roles import Embedder
from filmcraft.store import atomic_path, write_text

CHECKPOINT_ROWS = 8192  # embedded rows per part file: a kill loses at most this much work
EMBED_BATCH = 256  # rows per encode call: bounds memory
MAX_PARTS = 24  # compact beyond this many parts (load cost grows with part count)
HASH_BYTES = 32  # hex characters kept of sha256


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_BYTES]


class EmbeddingStore:
    def __init__(self, folder: Path, embedder_name: str):
        if not embedder_name:
            raise ValueError("embedder_name is empty: name the model whose vectors this store holds")
        self.folder = Path(folder)
        self.embedder_name = embedder_name
        self._hashes: dict[bytes, int] | None = None
        self._vectors: np.ndarray | None = None
        self._stored: set[bytes] | None = None  # hashes only: what ``missing`` needs, without the vectors

    # --- reading -----------------------------------------------------------------------
    def _parts(self) -> list[Path]:
        return sorted(self.folder.glob("part-*.npz"))

    def _check_embedder(self) -> None:
        meta_path = self.folder / "meta.json"
        meta = None
        if meta_path.is_file():
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                meta = None
        if meta is None or meta.get("embedder") != self.embedder_name:
            # Another model (or no record): its vectors are not comparable, start afresh.
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir(parents=True, exist_ok=True)
            write_text(meta_path, json.dumps({"embedder": self.embedder_name}) + "\n")

    def load(self) -> tuple[dict[bytes, int], np.ndarray]:
        """(hash -> row in vectors, vectors); later parts win on a repeated hash."""
        if self._hashes is not None and self._vectors is not None:
            return self._hashes, self._vectors
        self._check_embedder()
        hashes: list[np.ndarray] = []
        vectors: list[np.ndarray] = []
        for part in self._parts():
            try:
                with np.load(part) as data:
                    hashes.append(data["hashes"])
                    vectors.append(data["vectors"])
            except (OSError, ValueError, KeyError):
                part.unlink(missing_ok=True)  # a torn part (should not happen: parts are renamed in) is re-embedded
        if vectors:
            all_vecs = np.concatenate(vectors)
            all_hashes = np.concatenate(hashes)
        else:
            all_vecs = np.zeros((0, 0), dtype=np.float32)
            all_hashes = np.zeros((0,), dtype=f"S{HASH_BYTES}")
        self._hashes = {h: i for i, h in enumerate(all_hashes.tolist())}
        self._vectors = all_vecs
        return self._hashes, self._vectors

    def stored_hashes(self) -> Collection[bytes]:
        """The hashes that have a vector, read without the vectors (npz members load one at a time):
        at 440k rows that is 14 MB instead of 690 MB, and a re-ingest that changed 1% reads no vectors."""
        if self._hashes is not None:
            return self._hashes.keys()
        if self._stored is None:
            self._check_embedder()
            stored: set[bytes] = set()
            for part in self._parts():
                try:
                    with np.load(part) as data:
                        stored.update(data["hashes"].tolist())
                except (OSError, ValueError, KeyError):
                    part.unlink(missing_ok=True)  # as in load(): a torn part is re-embedded
            self._stored = stored
        return self._stored

    def __len__(self) -> int:
        return len(self.stored_hashes())

    def missing(self, hashes: list[str]) -> list[int]:
        """Positions of ``hashes`` that have no stored vector."""
        have = self.stored_hashes()
        return [i for i, h in enumerate(hashes) if h.encode("ascii") not in have]

    def vectors_for(self, hashes: list[str]) -> np.ndarray:
        have, vecs = self.load()
        try:
            rows = [have[h.encode("ascii")] for h in hashes]
        except KeyError as exc:
            raise KeyError(f"no stored vector for text hash {exc.args[0]!r}: embed the source first") from None
        return vecs[np.asarray(rows, dtype=np.int64)] if rows else np.zeros((0, vecs.shape[1] if vecs.size else 0), np.float32)

    # --- writing -----------------------------------------------------------------------
    def _write_part(self, hashes: list[str], vectors: np.ndarray) -> None:
        name = f"part-{time.time_ns():020d}-{os.getpid()}.npz"
        with atomic_path(self.folder / name) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, hashes=np.asarray(hashes, dtype=f"S{HASH_BYTES}"), vectors=vectors.astype(np.float32))
        self._hashes = None
        self._vectors = None
        self._stored = None

    def embed_missing(self, hashes: list[str], texts: list[str], embedder: Embedder,
                      progress: str | None = None) -> int:
        """Embed the texts whose hash has no vector yet; return how many were embedded."""
        if len(hashes) != len(texts):
            raise ValueError(f"{len(hashes)} hashes but {len(texts)} texts: give one hash per text")
        if embedder.name != self.embedder_name:
            raise ValueError(f"store holds {self.embedder_name!r} vectors, embedder is {embedder.name!r}: open the store for that model")
        todo: dict[str, str] = {}
        for pos in self.missing(hashes):
            todo.setdefault(hashes[pos], texts[pos])  # identical texts embed once
        if not todo:
            return 0
        items = list(todo.items())
        bar = None
        if progress is not None:
            from tqdm import tqdm

            # disable=None: a bar on a terminal, silence in logs and pipes
            bar = tqdm(total=len(items), desc=progress, unit="row", disable=None, leave=False)
        try:
            for start in range(0, len(items), CHECKPOINT_ROWS):
                chunk = items[start:start + CHECKPOINT_ROWS]
                vecs = []
                for b in range(0, len(chunk), EMBED_BATCH):
                    batch = chunk[b:b + EMBED_BATCH]
                    vecs.append(embedder.encode([t for _, t in batch]))
                    if bar is not None:
                        bar.update(len(batch))
                self._write_part([h for h, _ in chunk], np.concatenate(vecs))
        finally:
            if bar is not None:
                bar.close()
        return len(items)

    def compact(self, keep: set[str], force: bool = False) -> int:
        """Rewrite the parts as one holding only ``keep`` when mostly stale or fragmented; return dropped count."""
        stored = self.stored_hashes()
        keep_b = {h.encode("ascii") for h in keep}
        stale = len(stored) - len(keep_b.intersection(stored))
        parts = self._parts()
        if not force and stale * 4 <= len(stored) and len(parts) <= MAX_PARTS:
            return 0
        have, vecs = self.load()
        kept = [h for h in have if h in keep_b]
        rows = np.asarray([have[h] for h in kept], dtype=np.int64)
        if kept:
            self._write_part([h.decode("ascii") for h in kept], vecs[rows])
        for part in parts:  # the new part is complete before the old ones go
            part.unlink(missing_ok=True)
        self._hashes = None
        self._vectors = None
        self._stored = None
        return stale
