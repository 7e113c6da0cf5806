"""The visual library: what an image is embedded as, top-k search over the built index, and the
``VisualLibrary`` the previs asks for the image of a noun.

``corpus_ingest.reindex.rebuild_visual_index`` builds the index over every visual source (the
built-in icon set included); the assets live in assets.json inside the index folder, beside their
vectors. ``find(noun)`` first looks the noun up among the assets' names and tags (case, plural
and leading modifiers ignored: "gulls", "the old lighthouse"), then falls back to embedding
search, and answers None below ``MATCH_THRESHOLD`` so the renderer reports the noun as not
depicted rather than drawing a wrong thing.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path
from typing import Optional

from pydantic import BaseModel

from filmcraft.roles import Embedder, Visual

from corpus_ingest.index import load_cached
from corpus_ingest.visual_raster import COLOUR_FILLS, ImageError, cutout, fill_for

ASSETS_FILE = "assets.json"
VISUAL_INDEX_VERSION = 1  # bump when the embedded text or stored layout changes
VISUAL_KINDS = ("creature", "prop", "vehicle", "landmark", "nature")
KIND_OVERFETCH = 8  # a kind filter keeps roughly 1 hit in 5; fetch 8x k before filtering

# Cosine similarity (MiniLM-L6; query = the noun, document = visual_text) above which the nearest
# image is taken to depict a noun that matched no name or tag. Measured on the built-in set with 63
# nouns that have a right image and 50 that have none (tests/test_visual_library.py prints a
# sample): right images score 0.48-0.84 by embedding, wrong nearest images 0.25-0.51 for most
# ("xylophone-robot" -> robot 0.45, "gorilla" -> shark 0.51) but up to 0.59-0.67 for a few
# ("crocodile" -> kangaroo, "submarine cable" -> submarine). 0.55 keeps 55 of 63 right matches and
# lets through 3 wrong ones of 50; a missing prop is reported, a wrong one misleads, so we err high.
MATCH_THRESHOLD = 0.55


class VisualAsset(BaseModel):
    """One image of the library: ``path`` is the source file (SVG, PNG or JPEG)."""

    visual_id: str  # "<source>:<name>"
    name: str
    kind: str
    path: str
    tags: list[str]
    source: str
    recolour: bool = False  # built-in silhouettes get a fill per kind; a user's image keeps its colours


class VisualHit(BaseModel):
    asset: VisualAsset
    score: float


def visual_text(asset: VisualAsset) -> str:
    """What gets embedded for an image: its name first (the strongest cue), then kind and tags."""
    tags = [t for t in asset.tags if t != asset.name]
    return f"{asset.name}. {asset.kind}" + (": " + ", ".join(tags) if tags else "")


# --- nouns as lookup keys ---------------------------------------------------------------------

_IRREGULAR = {"geese": "goose", "mice": "mouse", "men": "man", "women": "woman", "children": "child",
              "teeth": "tooth", "feet": "foot", "oxen": "ox", "people": "person", "dice": "die",
              "knives": "knife", "wolves": "wolf", "leaves": "leaf", "calves": "calf", "halves": "half",
              "shelves": "shelf", "loaves": "loaf", "thieves": "thief", "scarves": "scarf", "lives": "life",
              "wives": "wife", "hooves": "hoof", "cacti": "cactus", "fungi": "fungus"}
_NO_PLURAL = ("ss", "us", "is", "ics", "news", "glasses", "binoculars", "scissors", "series", "species")
_DETERMINERS = {"a", "an", "the", "his", "her", "their", "its", "my", "your", "our", "this", "that", "these",
                "those", "some", "one", "two", "three", "several", "many", "few"}


def singular(word: str) -> str:
    """A word's singular by English plural rules (enough for nouns of a shot plan)."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word.endswith(_NO_PLURAL):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes", "oes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


def noun_key(text: str) -> str:
    """Lower case, no articles or possessives, each word singular: "The Seagulls'" -> "seagull".
    Hyphens stay: "xylophone-robot" is one word, never a robot."""
    words = re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text.lower().replace("’", "'"))
    words = [w[:-2] if w.endswith("'s") else w for w in words]
    words = [w for w in words if w not in _DETERMINERS]
    return " ".join(singular(w) for w in words)


def _suffixes(key: str) -> list[str]:
    """The key, then without its leading words: "old brass compass" -> ..., "brass compass", "compass"."""
    words = key.split()
    return [" ".join(words[i:]) for i in range(len(words))]


# --- the index ---------------------------------------------------------------------------------

_ASSET_CACHE: dict[str, tuple[tuple[int, int], dict[str, VisualAsset]]] = {}


def assets_by_id(index_dir: Path) -> dict[str, VisualAsset]:
    path = Path(index_dir) / ASSETS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{index_dir} has no {ASSETS_FILE}: it is not a visual index; build it with "
                                "rebuild_visual_index (or `filmaster corpus reindex`)")
    st = path.stat()
    stamp = (st.st_ino, st.st_mtime_ns)
    key = str(path.resolve())
    hit = _ASSET_CACHE.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    assets = {a.visual_id: a for a in (VisualAsset.model_validate(x) for x in json.loads(path.read_text(encoding="utf-8")))}
    _ASSET_CACHE[key] = (stamp, assets)
    return assets


def search_visuals(index_dir: Path, embedder: Embedder, query: str, k: int = 5,
                   kind: Optional[str] = None) -> list[VisualHit]:
    """Top-k images for a description ("a gull over the sea"), optionally of one kind, best first."""
    import numpy as np

    if not isinstance(query, str) or not query.strip():
        raise ValueError("the visual query is empty: name what should be seen (e.g. 'seagull', 'old lighthouse')")
    if kind is not None and kind not in VISUAL_KINDS:
        raise ValueError(f"visual kind {kind!r} is unknown: use {', '.join(VISUAL_KINDS)} (or None for all)")
    if k < 1:
        raise ValueError(f"k={k}: ask for at least one visual hit")
    index = load_cached(Path(index_dir))
    index.check_embedder(embedder.name)
    assets = assets_by_id(Path(index_dir))
    qv = embedder.encode([query.strip()])
    if kind is None:
        hits = index.search(qv, k)[0]
    else:
        hits = [(i, s) for i, s in index.search(qv, k * KIND_OVERFETCH)[0] if assets[i].kind == kind][:k]
        wanted = [n for n in index.live_positions().tolist() if assets[index.ids[n]].kind == kind]
        if len(hits) < min(k, len(wanted)):
            # Too few of this kind among the nearest: score every image of the kind exactly.
            vecs = np.vstack([index.index.reconstruct(n) for n in wanted])
            scores = vecs @ qv[0]
            order = np.argsort(-scores)[:k]
            hits = [(index.ids[wanted[o]], float(scores[o])) for o in order]
    return [VisualHit(asset=assets[i], score=round(s, 6)) for i, s in hits]


class IndexedVisualLibrary:
    """``filmcraft.roles.VisualLibrary`` over a built visual index.

    The embedder is only touched when a noun matches no name or tag (loading MiniLM costs seconds);
    answers, None included, are cached per noun; cut-outs are rendered once into ``raster_dir``.
    """

    def __init__(self, index_dir: Path, embedder: Embedder, raster_dir: Path, threshold: float = MATCH_THRESHOLD):
        self.index_dir = Path(index_dir)
        self.embedder = embedder
        self.raster_dir = Path(raster_dir)
        self.threshold = threshold
        self._lock = threading.Lock()
        self._answers: dict[tuple[str, Optional[str]], Optional[Visual]] = {}
        self._exact: Optional[dict[str, str]] = None
        self._assets: dict[str, VisualAsset] = {}
        self._stamp: Optional[tuple[int, int]] = None
        self.last_scores: dict[str, tuple[str, float]] = {}  # noun -> (nearest id, score): why a noun was refused

    def _check_fresh(self) -> None:
        """Forget cached answers once the index folder was swapped for a new build (a source was ingested)."""
        try:
            st = (self.index_dir / "meta.json").stat()
            stamp = (st.st_ino, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            self._stamp = stamp
            self._answers.clear()
            self._exact = None

    def _exact_table(self) -> dict[str, str]:
        if self._exact is None:
            self._assets = assets_by_id(self.index_dir)
            table: dict[str, str] = {}
            # Names before tags, a user's sources before the built-in set: the first claim of a key wins, so
            # "bird" is the bird icon even though "owl" lists "bird of prey", and a user's own "seagull.png"
            # replaces the built-in bird for "seagull".
            ordered = sorted(self._assets.values(), key=lambda a: a.source == "builtin")
            for field in ("name", "tags"):
                for a in ordered:
                    for text in ([a.name, a.name.replace("-", " ")] if field == "name" else a.tags):
                        table.setdefault(noun_key(text), a.visual_id)
            self._exact = table
        return self._exact

    def match(self, noun: str) -> tuple[Optional[VisualAsset], float, str]:
        """(asset or None, score, how): score 1.0 for a name or tag match, else the cosine similarity."""
        key = noun_key(noun)
        if not key:
            return None, 0.0, "empty"
        table = self._exact_table()
        for suffix in _suffixes(key):
            if suffix in table:
                return self._assets[table[suffix]], 1.0, "tag"
        hits = search_visuals(self.index_dir, self.embedder, key, k=1)
        if not hits:
            return None, 0.0, "none"
        best = hits[0]
        self.last_scores[noun] = (best.asset.visual_id, best.score)
        return (best.asset if best.score >= self.threshold else None), best.score, "embedding"

    def visual_of(self, asset: VisualAsset, colour: Optional[str] = None) -> Visual:
        # rows hold absolute source paths; a user's own colours are kept whatever the text says
        fill = (COLOUR_FILLS.get(colour or "") or fill_for(asset.kind, asset.name)) if asset.recolour else None
        return Visual(visual_id=asset.visual_id, path=cutout(Path(asset.path), self.raster_dir, fill),
                      tags=tuple(asset.tags))

    def find(self, noun: str, colour: Optional[str] = None) -> Optional[Visual]:
        """The cut-out that depicts ``noun`` (painted ``colour`` when the text gives one: "a red
        kite"), or None when nothing in the library does."""
        colour = colour if colour in COLOUR_FILLS else None
        key = (noun, colour)
        with self._lock:  # the renderer may ask from several threads; one answer per noun
            self._check_fresh()
            if key in self._answers:
                return self._answers[key]
            asset, _, _ = self.match(noun)
            try:
                answer = self.visual_of(asset, colour) if asset is not None else None
            except (ImageError, OSError):  # its file went away since the ingest: not depicted, never a crash mid-film
                answer = None
            self._answers[key] = answer
            return answer
