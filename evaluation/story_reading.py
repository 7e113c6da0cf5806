"""Does the writer read the story right? Scene blocks scored against a hand-annotated story set.

The set (``evaluation/story_set/``, schema in its README) gives, per text, the scenes a director
would cut: the verbatim span each scene tells, the accepted place nouns, interior/exterior, time of
day, weather, the characters present (with the words the text uses for them), props, creatures and
the main action. The scorer is writer-agnostic: it reads only ``SceneBlocks`` and the film's
``Synopsis.characters`` (whose descriptions let an invented name such as "Elias" stand for the gold
"lighthouse keeper").

Scoring a text (each fault is charged to one metric; the figures are counts, ratios 0..1):

1. Gold scenes are aligned to predicted scenes by an order-preserving dynamic programme (similarity:
   place match, shared characters, shared content words; a bonus per gold scene covered, so a writer
   that splits finer is not read as skipping). A predicted scene is aligned to at most one gold scene,
   several may share one; the best of them is the gold scene's *primary* scene. A gold scene left
   out but told elsewhere (``best_match`` on the words told) is judged there: *merged* when that
   scene is another gold scene's own, else told out of order (charged to order). Told nowhere: missed.
2. Per gold scene, on its primary scene: location (head nouns, plurals stripped), int/ext, time of
   day (gold non-null only), weather recall (gold not clear; rain is shown by storm, snow by
   blizzard, nothing else counts) and false alarms (gold clear, scene not). Characters present:
   micro F1 over aligned pairs; props and creatures: recall on the union of the aligned scenes.
3. Per text: sentence coverage, story order (non-monotone best match: shuffles show), stock lines.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from textwrap import shorten
from typing import Optional

from evaluation.story_text import (  # the set and its words, re-exported with the scorer
    ARTICLES, REPO, SET_DIR, STOP_WORDS, SUBSETS, GoldCharacter, GoldScene, StoryText, contains, content_lemmas,
    heading_int_ext, heading_place, lemma, load_heldout, load_movieprompts, load_own, location_matches, noun_key, sentences,
    shared_data_dir, tokens, words,
)
from filmcraft.contracts import FilmRequest, SceneBlock, SceneBlocks, Synopsis

__all__ = [
    "REPO", "SET_DIR", "STOP_WORDS", "SUBSETS", "GoldCharacter", "GoldScene", "StoryText", "content_lemmas",
    "heading_int_ext", "heading_place", "lemma", "load_heldout", "load_movieprompts", "load_own", "location_matches", "noun_key",
    "sentences", "shared_data_dir", "words", "TARGETS", "MAX_STOCK_HITS", "WEATHER_SHOWS", "STOCK_LINES", "Score",
    "align", "best_match", "match_characters", "scene_text", "score_set", "score_text", "sentence_coverage",
    "similarity", "stock_lines", "totals", "write_film",
]

TARGETS = {"location": 0.85, "weather_recall": 0.85, "characters_f1": 0.9, "coverage": 1.0, "order": 1.0}  # issue 14
MAX_STOCK_HITS = 0

# Weather equivalence, kept strict: a heavier fall of the same precipitation shows the lighter one
# (a storm film does show rain, a blizzard shows snow); nothing else counts for anything else.
WEATHER_SHOWS = {"rain": {"rain", "storm"}, "snow": {"snow", "blizzard"}}

# Phrases a template writer reaches for (name -> regex, in story_set/stock_lines.json). A hit is a
# phrase in the scene text that the source text does not contain (it may say "makes peace with").
STOCK_LINES: dict[str, str] = json.loads((SET_DIR / "stock_lines.json").read_text(encoding="utf-8"))


# --- the film side -------------------------------------------------------------------------

def write_film(text: str, film_id: str = "story") -> tuple[Synopsis, SceneBlocks]:
    """The offline writer's stages chained as the pipeline chains them (filmcraft.stages without a
    ChatModel): synopsis -> causal chain -> detailed storyboard -> scene blocks."""
    from filmcraft.director.script import detail_storyboard, simplify_storyboard, structure_scene_blocks, write_synopsis

    syn = write_synopsis(FilmRequest(film_id=film_id, text=text))
    simple = simplify_storyboard(syn)
    detailed = detail_storyboard(syn, simple)
    return syn, structure_scene_blocks(film_id, syn, simple, detailed)


def scene_text(block: SceneBlock, descriptions: dict[str, str] | None = None) -> str:
    """Everything a scene block says in words. The descriptions of the characters in the scene are
    included: "Elias, an old lighthouse keeper" tells the viewer he is the keeper."""
    parts = [block.heading, block.location, block.narrative_objective, block.voice_over,
             *block.key_visual_elements, *block.characters]
    parts += [(descriptions or {}).get(c, "") for c in block.characters]
    for s in block.shots:
        parts += [s.prompt, s.action, s.dialogue or "", s.subject, *s.props, *s.characters]
    return " . ".join(p for p in parts if p)


def depicted_nouns_text(block: SceneBlock) -> str:
    """Where a prop or creature counts as shown: key visual elements, shot props, subjects, prompts."""
    parts = list(block.key_visual_elements)
    for s in block.shots:
        parts += [s.prompt, s.subject, *s.props]
    return " . ".join(parts)


# --- characters ----------------------------------------------------------------------------

def _description_head(description: str) -> list[str]:
    """"an old lighthouse keeper, who ..." -> [old, lighthouse, keeper]: the noun phrase saying who
    the person is, before any clause that might name someone else."""
    head = re.split(r",|;|\.|\bwho\b|\bwith\b|\bwhose\b|\bthat\b|\bfrom\b", description.lower(), maxsplit=1)[0]
    return tokens(re.sub(r"[^\W\d_]+['’]s\b", " ", head))  # "Mara's brother" is not Mara


def _char_level(pred: str, description: str, gold: GoldCharacter) -> int:
    """2: the predicted name is one of the text's words for the gold character, either ending the
    other ("the old keeper" / "keeper": same head noun; "the lighthouse" is not "lighthouse keeper",
    nor "the keeper's daughter" the keeper); 1: the character's description names it; 0: no match."""
    name = tokens(pred)
    if any(name and (name[-len(f):] == f or f[-len(name):] == name) for f in gold.forms()):
        return 2
    raw = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", pred)
    if raw and all(w[0].isupper() and "'" not in w and "’" not in w for w in raw if w.lower() not in ARTICLES):
        # a full proper name ("Mara Lind") stands for the text's first name ("Mara")
        if any(name[:len(f)] == f for a in [gold.name, *gold.aliases] if a[:1].isupper() for f in [tokens(a)] if f):
            return 2
    desc = _description_head(description)
    return 1 if any(contains(desc, f) for f in gold.forms()) else 0


def match_characters(pred: list[str], gold: list[GoldCharacter], descriptions: dict[str, str],
                     ignore: list[str] = (), maybe: list[GoldCharacter] = ()) -> tuple[int, int, int, list[str], list[str]]:
    """One-to-one greedy matching (group characters take any number of names). Returns TP, FP, FN,
    the unmatched predicted names and the unmatched gold names. A predicted "character" that is one
    of ``ignore`` (the text's creatures: "the seagull") or of ``maybe`` is neither right nor wrong."""
    pairs = sorted(((_char_level(p, descriptions.get(p, ""), g), -i, -j, i, j)
                    for i, p in enumerate(pred) for j, g in enumerate(gold)), reverse=True)
    used_p, used_g = set(), set()
    for level, _, _, i, j in pairs:
        if level == 0 or i in used_p or (j in used_g and not gold[j].group):
            continue
        used_p.add(i)
        used_g.add(j)
    ignore_keys = [[lemma(w) for w in words(n)] for item in ignore for n in item.split("|")]
    extra = [p for i, p in enumerate(pred) if i not in used_p
             and not any(k and k[-1] in {lemma(w) for w in words(p)} for k in ignore_keys)
             and not any(_char_level(p, descriptions.get(p, ""), g) for g in maybe)]
    missing = [g.name for j, g in enumerate(gold) if j not in used_g]
    return len(used_g), len(extra), len(missing), extra, missing


# --- alignment -----------------------------------------------------------------------------

COVER_BONUS = 0.25  # per gold scene that receives a predicted scene
STORY_WEIGHTS = (0.1, 0.1, 0.8)  # similarity for story order: mostly the words a scene tells
ORDER_FLOOR = 0.45  # a gold scene is "told" (and ordered) from about half its words in one scene


def similarity(st: StoryText, g: GoldScene, block: SceneBlock, descriptions: dict[str, str],
               weights: tuple[float, float, float] = (0.35, 0.35, 0.3)) -> float:
    """0..1: place match, share of gold characters present, share of the gold scene's content words
    (span, action, props, creatures) found in the scene block; weighted by ``weights``."""
    loc = 1.0 if g.location and location_matches(g.location, block.location, block.heading) else 0.0
    tp = match_characters(block.characters, g.characters, descriptions)[0] if g.characters else 0
    chars = tp / len(g.characters) if g.characters else 0.0
    gold_words = content_lemmas(" ".join([st.span_text(g), g.action, *g.props, *g.creatures]).replace("|", " "))
    got = content_lemmas(scene_text(block, descriptions))
    share = len(gold_words & got) / len(gold_words) if gold_words else 0.0
    return weights[0] * loc + weights[1] * chars + weights[2] * share


def align(sim: list[list[float]]) -> list[Optional[int]]:
    """Monotone alignment by dynamic programming. ``sim[g][p]``; returns, per predicted scene, its gold
    scene (or None). Gold indices of aligned predicted scenes never decrease; the summed similarity
    plus COVER_BONUS per covered gold scene is maximal. Pairs of zero similarity are never aligned."""
    m = len(sim)
    n = len(sim[0]) if m else 0
    NEG = float("-inf")
    # best[j][k+1]: best score after j predicted scenes with the last aligned gold scene k (-1: none)
    best = [[NEG] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, Optional[int]]]] = [[(0, None)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for j in range(n):
        for k in range(-1, m):
            here = best[j][k + 1]
            if here == NEG:
                continue
            if here > best[j + 1][k + 1]:  # predicted scene j left unaligned
                best[j + 1][k + 1], back[j + 1][k + 1] = here, (k, None)
            for g in range(max(k, 0), m):
                if sim[g][j] <= 0:
                    continue
                score = here + sim[g][j] + (COVER_BONUS if g != k else 0.0)
                if score > best[j + 1][g + 1]:
                    best[j + 1][g + 1], back[j + 1][g + 1] = score, (k, g)
    k = max(range(-1, m), key=lambda kk: best[n][kk + 1])
    out: list[Optional[int]] = [None] * n
    for j in range(n, 0, -1):
        prev, g = back[j][k + 1]
        out[j - 1] = g
        k = prev
    return out


def best_match(sim: list[list[float]], floor: float = 0.0) -> list[Optional[int]]:
    """Per gold scene its most similar predicted scene, ignoring order (so a shuffle shows), or None
    when no scene reaches ``floor``; a taken scene is avoided while an equally good free one exists."""
    taken: set[int] = set()
    out: list[Optional[int]] = []
    for row in sim:
        if not row or max(row) <= floor:
            out.append(None)
            continue
        j = max(range(len(row)), key=lambda p: (row[p], p not in taken, -p))
        taken.add(j)
        out.append(j)
    return out


# --- scores --------------------------------------------------------------------------------

COUNTS = ("location", "int_ext", "time_of_day", "weather_recall", "weather_false_alarm", "props",
          "coverage", "order")


@dataclass
class Score:
    """Counts (hits, total) per metric; character counts as TP/FP/FN; stock-line hits; failures."""

    hits: dict[str, int] = field(default_factory=lambda: {k: 0 for k in COUNTS})
    totals: dict[str, int] = field(default_factory=lambda: {k: 0 for k in COUNTS})
    tp: int = 0
    fp: int = 0
    fn: int = 0
    missed_scenes: int = 0  # told nowhere
    merged_scenes: int = 0  # told only inside a scene aligned to another gold scene
    gold_scenes: int = 0
    stock_hits: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    def count(self, metric: str, ok: bool) -> None:
        self.totals[metric] += 1
        self.hits[metric] += int(ok)

    def add(self, other: "Score") -> "Score":
        for k in COUNTS:
            self.hits[k] += other.hits[k]
            self.totals[k] += other.totals[k]
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        self.missed_scenes += other.missed_scenes
        self.merged_scenes += other.merged_scenes
        self.gold_scenes += other.gold_scenes
        self.stock_hits += other.stock_hits
        self.failures += other.failures
        return self

    def ratio(self, metric: str) -> Optional[float]:
        if metric == "characters_f1":
            denom = 2 * self.tp + self.fp + self.fn
            return 2 * self.tp / denom if denom else None
        return self.hits[metric] / self.totals[metric] if self.totals[metric] else None

    def figures(self) -> dict:
        out = {k: self.ratio(k) for k in (*COUNTS, "characters_f1")}
        out.update({"counts": {k: [self.hits[k], self.totals[k]] for k in COUNTS},
                    "characters": {"tp": self.tp, "fp": self.fp, "fn": self.fn},
                    "gold_scenes": self.gold_scenes, "missed_scenes": self.missed_scenes, "merged_scenes": self.merged_scenes,
                    "stock_hits": len(self.stock_hits)})
        return out

    def unmet_targets(self) -> list[str]:
        out = [f"{k} {self.ratio(k):.3f} < {t}" for k, t in TARGETS.items()
               if self.ratio(k) is not None and self.ratio(k) < t]
        if len(self.stock_hits) > MAX_STOCK_HITS:
            out.append(f"{len(self.stock_hits)} stock lines: {sorted(set(self.stock_hits))}")
        return out


def _weather_shows(gold: str, pred: str) -> bool:
    return pred in WEATHER_SHOWS.get(gold, {gold})


def sentence_coverage(text: str, blocks: SceneBlocks, descriptions: dict[str, str]) -> list[tuple[str, bool]]:
    """Per sentence of the text (with content words): covered when at least half of its distinct
    content lemmas (:func:`content_lemmas`) appear in the text of one single scene (:func:`scene_text`)."""
    scene_words = [content_lemmas(scene_text(b, descriptions)) for b in blocks.scenes]
    out = []
    for a, b in sentences(text):
        want = content_lemmas(text[a:b])
        if want:
            out.append((text[a:b], any(2 * len(want & got) >= len(want) for got in scene_words)))
    return out


def stock_lines(text: str, blocks: SceneBlocks) -> list[str]:
    said = " ".join(scene_text(b) for b in blocks.scenes).lower()
    source = text.lower()
    return [name for name, pat in STOCK_LINES.items() if re.search(pat, said) and not re.search(pat, source)]


def score_text(st: StoryText, syn: Synopsis, blocks: SceneBlocks) -> Score:
    """Score one film's scene blocks against one annotated text."""
    sc = Score(gold_scenes=len(st.scenes))
    desc = {c.name: c.description for c in syn.characters}
    preds = blocks.scenes
    sim = [[similarity(st, g, b, desc) for b in preds] for g in st.scenes]
    aligned = align(sim) if preds else []
    # Order is judged on what each scene tells (its words), not where: a writer that puts two
    # gold scenes in one place must not look shuffled.
    told = [[similarity(st, g, b, desc, STORY_WEIGHTS) for b in preds] for g in st.scenes]
    matched = best_match(told, ORDER_FLOOR) if preds else [None] * len(st.scenes)
    creatures = [c for g in st.scenes for c in g.creatures]
    members = {gi: [j for j, a in enumerate(aligned) if a == gi] for gi in range(len(st.scenes))}
    merged: dict[int, int] = {}  # gold scene -> the gold scene whose scene it shares
    for gi in range(len(st.scenes)):
        # A gold scene the monotone alignment left out but told somewhere is judged on the scene that
        # tells it: taken from its aligned gold scene when it was only an extra there (told out of
        # order: the order metric charges that), shared when it is that scene's own (merged).
        j = matched[gi]
        if members[gi] or j is None:
            continue
        other = aligned[j]
        if other is not None and len(members[other]) > 1 and matched[other] != j:
            members[other].remove(j)
        elif other is not None:
            merged[gi] = other
        members[gi] = [j]
    for gi, g in enumerate(st.scenes):
        where = f"{st.id} gold {gi + 1} «{shorten(st.span_text(g), 48, placeholder='…')}»"
        mine = members[gi]
        if gi in merged:
            sc.merged_scenes += 1
            sc.failures.append(f"{where}: told only within {preds[mine[0]].scene_id}, together with another gold scene")
        if not mine:
            sc.missed_scenes += 1
            sc.failures.append(f"{where}: no scene tells it")
        primary = preds[max(mine, key=lambda j: told[gi][j])] if mine else None  # the one telling most of it
        if g.location:
            ok = primary is not None and location_matches(g.location, primary.location, primary.heading)
            sc.count("location", ok)
            if primary is not None and not ok:
                sc.failures.append(f"{where}: location {primary.location!r} ({primary.heading}), want {g.location[0]!r}")
        if g.int_ext:
            ok = primary is not None and g.int_ext in heading_int_ext(primary.heading)
            sc.count("int_ext", ok)
            if primary is not None and not ok:
                sc.failures.append(f"{where}: {primary.heading!r} is not {g.int_ext}")
        if g.time_of_day:
            ok = primary is not None and primary.time_of_day in g.time_of_day
            sc.count("time_of_day", ok)
            if primary is not None and not ok:
                sc.failures.append(f"{where}: time {primary.time_of_day}, want {'/'.join(g.time_of_day)}")
        if "clear" not in g.weather:
            ok = primary is not None and any(_weather_shows(w, primary.weather) for w in g.weather)
            sc.count("weather_recall", ok)
            if primary is not None and not ok:
                sc.failures.append(f"{where}: weather {primary.weather}, want {'/'.join(g.weather)}")
        elif g.weather == ["clear"] and primary is not None:
            alarm = primary.weather != "clear"
            sc.count("weather_false_alarm", alarm)
            if alarm:
                sc.failures.append(f"{where}: weather {primary.weather} the text does not give")
        for j in mine:
            # the people of the gold scene it is merged with are charged to the merge, not again here
            maybe = g.maybe + (st.scenes[merged[gi]].characters if gi in merged else [])
            tp, fp, fn, extra, missing = match_characters(preds[j].characters, g.characters, desc, creatures, maybe)
            sc.tp, sc.fp, sc.fn = sc.tp + tp, sc.fp + fp, sc.fn + fn
            if extra or missing:
                sc.failures.append(f"{where} / {preds[j].scene_id}: characters extra {extra}, missing {missing}")
        shown = {lemma(w) for j in mine for w in words(depicted_nouns_text(preds[j]))}
        for noun in [*g.props, *g.creatures]:
            ok = any(words(alt) and lemma(words(alt)[-1]) in shown for alt in noun.split("|"))
            sc.count("props", ok)
            if mine and not ok:
                sc.failures.append(f"{where}: {noun.split('|')[0]!r} not shown")
    for sentence, ok in sentence_coverage(st.text, blocks, desc):
        sc.count("coverage", ok)
        if not ok:
            sc.failures.append(f"{st.id}: sentence not told «{shorten(sentence, 70, placeholder='…')}»")
    found = [(gi, j) for gi, j in enumerate(matched) if j is not None]
    for (ga, a), (gb, b) in zip(found, found[1:]):  # consecutive gold scenes that are told at all
        sc.count("order", b >= a)
        if b < a:
            sc.failures.append(f"{st.id}: gold {gb + 1} is told in {preds[b].scene_id}, before gold {ga + 1} "
                               f"({preds[a].scene_id})")
    for hit in stock_lines(st.text, blocks):
        sc.stock_hits.append(hit)
        sc.failures.append(f"{st.id}: stock line {hit!r} the text does not imply")
    return sc


def score_set(texts: list[StoryText], writer=write_film,
              keep_going: bool = False) -> dict[str, tuple[Score, Synopsis, SceneBlocks]]:
    """Run ``writer`` (text -> (Synopsis, SceneBlocks)) on every text and score it; keyed by text id.
    ``keep_going``: a text the writer fails on scores as a film with no scenes, its error a failure."""
    out = {}
    for st in texts:
        try:
            syn, blocks = writer(st.text)
        except Exception as exc:
            if not keep_going:
                raise
            syn = Synopsis(title="", logline="", synopsis="", genre="", mood="", characters=[], locations=[])
            blocks = SceneBlocks(film_id="failed", title="", scenes=[])
            sc = score_text(st, syn, blocks)
            sc.failures.insert(0, f"{st.id}: the writer raised {type(exc).__name__}: {exc}")
            out[st.id] = (sc, syn, blocks)
            continue
        out[st.id] = (score_text(st, syn, blocks), syn, blocks)
    return out


def totals(scores: dict[str, tuple[Score, Synopsis, SceneBlocks]], texts: list[StoryText]) -> dict[str, Score]:
    """Summed scores per subset, for the own texts (themes + synopses) and overall."""
    out = {name: Score() for name in (*SUBSETS, "own", "overall")}
    for st in texts:
        sc = scores[st.id][0]
        for name in (st.subset, "own" if st.subset != "movieprompts" else None, "overall"):
            if name:
                out[name].add(sc)
    return out
