"""The words of a story and the annotated story set's schema (``evaluation/story_set``, see its README).

Words: tokens, plural stripping for place and person nouns, a crude lemma and content words for
coverage, sentence ranges, place phrases and their head nouns. The set: gold characters and scenes,
the texts, and their loading (the MoviePrompts texts are read from the shared data, never copied).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from filmcraft.contracts import TIMES_OF_DAY, WEATHERS

SET_DIR = Path(__file__).resolve().with_name("story_set")
REPO = Path(__file__).resolve().parents[1]
SUBSETS = ("themes", "synopses", "movieprompts")

STOP_WORDS = frozenset("""
a an the and or but nor so yet for of to in on at by with from into onto over under through across toward
towards about around after before behind below beneath beside besides between beyond during inside outside near
off out up down upon within without against along among amid as than then when while until till once where
whereas whether if because though although since unless i me my mine we us our ours you your yours he him his
she her hers it its they them their theirs this that these those who whom whose which what whoever is are was
were be been being am has have had having do does did doing will would shall should can could may might must not
no nor never ever also just only even still again very too more most much many some any all both each every
either neither other another such same own one ones two three there here now soon later yet already always often
sometimes every how why whom himself herself itself themselves ourselves yourself meanwhile however finally
suddenly quickly slowly away back together instead almost enough rather quite
""".split())

_IRREGULAR = dict(pair.split(":") for pair in """
men:man women:woman children:child mice:mouse geese:goose feet:foot teeth:tooth wolves:wolf knives:knife
leaves:leaf shelves:shelf thieves:thief people:person calves:calf wives:wife ran:run ate:eat fell:fall
found:find saw:see took:take came:come went:go left:leave lost:lose held:hold hid:hide stole:steal stolen:steal
broke:break broken:break fought:fight caught:catch brought:bring told:tell met:meet sang:sing swam:swim
drew:draw flew:fly threw:throw wrote:write written:write knew:know gave:give begun:begin began:begin
""".split())  # irregular plurals and past tenses
_PREPOSITIONS = frozenset("of at in on by near beside under above below inside outside behind across over "
                          "beyond to from with into onto along through".split())
ARTICLES = frozenset("the a an".split())


# --- words ---------------------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lowercased word tokens; a possessive 's is dropped ("keeper's" -> "keeper")."""
    return [re.sub(r"'s$", "", w) for w in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower().replace("’", "'"))]


def noun_key(word: str) -> str:
    """Simple plural stripping for place and character nouns: "rocks" -> "rock", "ferries" -> "ferry"."""
    w = word.lower()
    if w in _IRREGULAR:
        return _IRREGULAR[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "ches", "shes", "xes", "zes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def lemma(word: str) -> str:
    """Crude lemma for nouns and verbs alike: plural/verb suffix off, then a final "e" and a doubled
    consonant off, so "saves", "saved", "saving" and "save" all give "sav"."""
    w = noun_key(word)
    if w != word.lower():
        return w.rstrip("e") if len(w) > 3 else w
    for suffix in ("ing", "ed"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
                w = w[:-1]
            break
    return w.rstrip("e") if len(w) > 3 else w


def content_lemmas(text: str) -> set[str]:
    """Content words as used by coverage and similarity: tokens of >= 3 letters not in STOP_WORDS,
    lemmatised by :func:`lemma`. There is no part-of-speech tagger: adjectives count as content."""
    return {lemma(w) for w in words(text) if len(w) >= 3 and w not in STOP_WORDS}


_ABBREV = re.compile(r"\b(Dr|Mr|Mrs|Ms|St|Prof|Capt|Sgt|Lt|Jr|Sr)\.")


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence character ranges: a sentence ends at . ! ? (and a closing quote) followed by space and
    an upper-case letter, digit or opening quote; titles such as "Dr." do not end one."""
    masked = _ABBREV.sub(lambda m: m.group(1) + "\0", text)
    out, start = [], 0
    for m in re.finditer(r"[.!?]+[\"'”’)]*\s+(?=[\"'“‘(A-Z0-9])", masked):
        out.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), a + len(text[a:b].rstrip()))
            for a, b in out if text[a:b].strip()]


def tokens(text: str) -> list[str]:
    return [noun_key(w) for w in words(text) if w not in ARTICLES]


def contains(seq: list[str], sub: list[str]) -> bool:
    return bool(sub) and any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def _place_phrases(text: str) -> list[list[str]]:
    """A place name cut at its prepositions: "top of the old lighthouse" -> [top], [old lighthouse]."""
    phrases, cur = [], []
    for w in words(text):
        if w in _PREPOSITIONS:
            phrases.append(cur)
            cur = []
        elif w not in ARTICLES:
            cur.append(noun_key(w))
    phrases.append(cur)
    return [p for p in phrases if p]


def heading_place(heading: str) -> str:
    h = re.sub(r"^\s*(INT\./EXT\.|EXT\./INT\.|I/E\.?|INT\.?|EXT\.?)\s*", "", heading, flags=re.I)
    return re.sub(r"\s+-\s+[^-]*$", "", h)


def heading_int_ext(heading: str) -> set[str]:
    h = heading.strip().upper()
    both = h.startswith(("INT./EXT", "EXT./INT", "I/E"))
    return {"INT", "EXT"} if both else {"INT"} if h.startswith("INT") else {"EXT"} if h.startswith("EXT") else set()


def location_matches(accepted: list[str], location: str, heading: str) -> bool:
    """True when a place phrase of the scene's location or heading *ends with* an accepted noun (its
    head noun), compared lowercased with plurals stripped: "Old Lighthouse" and "gallery of the
    lighthouse" match "lighthouse"; "lighthouse keeper's cottage" does not (its head is cottage)."""
    phrases = _place_phrases(location) + _place_phrases(heading_place(heading))
    wants = [w for w in (tokens(noun) for noun in accepted) if w]
    return any(len(p) >= len(w) and p[-len(w):] == w for w in wants for p in phrases)


# --- the gold set --------------------------------------------------------------------------

class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldCharacter(_Model):
    name: str
    aliases: list[str] = []
    group: bool = False  # "the Minions", "a rescue team": any number of predicted names may stand for it

    def forms(self) -> list[list[str]]:
        return [t for t in (tokens(a) for a in [self.name, *self.aliases]) if t]


class GoldScene(_Model):
    span: str = ""  # verbatim excerpt (own texts)
    sentences: Optional[tuple[int, int]] = None  # first..last sentence index (movieprompts: no copied text)
    location: list[str]  # accepted place nouns, head noun first; [] = the text names no place (not scored)
    int_ext: Optional[Literal["INT", "EXT"]] = None  # None: the text leaves it open (not scored)
    time_of_day: list[str] = []  # accepted values; [] = no clue in the text (not scored)
    weather: list[str] = ["clear"]  # accepted values, the first is the annotation
    characters: list[GoldCharacter] = []
    maybe: list[GoldCharacter] = []  # may be present, the text leaves it open: naming them is neither right nor wrong
    props: list[str] = []  # nouns; "seagull|gull|bird" lists alternatives
    creatures: list[str] = []
    action: str = ""

    @field_validator("time_of_day", "weather", mode="before")
    @classmethod
    def _listify(cls, v):
        return [] if v is None else [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _labels(self) -> "GoldScene":
        bad = [t for t in self.time_of_day if t not in TIMES_OF_DAY] + [w for w in self.weather if w not in WEATHERS]
        if bad or not self.weather:
            raise ValueError(f"labels outside the allowed sets: {bad or 'no weather'}")
        if not self.span and self.sentences is None:
            raise ValueError("a scene needs a span or a sentence range")
        return self


class StoryText(_Model):
    id: str
    subset: Literal["themes", "synopses", "movieprompts"]
    genre: str = ""
    text: str = ""
    line: Optional[int] = None  # movieprompts: 1-based line of movieprompts.jsonl
    text_sha256: str = ""  # movieprompts: the annotated text, so an edited source is noticed
    scenes: list[GoldScene]
    notes: str = ""

    def span_range(self, scene: GoldScene) -> tuple[int, int]:
        if scene.sentences is not None:
            sents = sentences(self.text)
            return sents[scene.sentences[0]][0], sents[scene.sentences[1]][1]
        start = self.text.find(scene.span)
        return (start, start + len(scene.span)) if start >= 0 else (-1, -1)

    def span_text(self, scene: GoldScene) -> str:
        return self.text[slice(*self.span_range(scene))] if self.span_range(scene)[0] >= 0 else scene.span


def shared_data_dir() -> Path:
    return Path(os.environ.get("FILMASTER_SHARED_DATA") or REPO.parent / "shared" / "data")


def load_own() -> list[StoryText]:
    return [StoryText.model_validate(d) for name in ("themes.json", "synopses.json")
            for d in json.loads((SET_DIR / name).read_text(encoding="utf-8"))]


HELDOUT_ROUNDS = ("heldout.json", "heldout2.json", "heldout3.json")  # in the order they were written; see the README


def load_heldout(file: str = "heldout.json") -> list[StoryText]:
    """Texts written and annotated by someone who never read the writer's rules, after the writer was
    tuned on the development set (themes, synopses, movieprompts): they show whether its rules generalise.
    Each round is blind only until the writer's engineers read its failures."""
    return [StoryText.model_validate(d) for d in json.loads((SET_DIR / file).read_text(encoding="utf-8"))]


def load_movieprompts(shared: Optional[Path] = None) -> list[StoryText]:
    """The annotations of the ten MoviePrompts synopses with their text read from the shared data
    (the text is never copied into the repo). FileNotFoundError when the shared data is absent."""
    source = (shared or shared_data_dir()) / "movieprompts" / "movieprompts.jsonl"
    lines = source.read_text(encoding="utf-8").splitlines()
    out = []
    for d in json.loads((SET_DIR / "movieprompts.json").read_text(encoding="utf-8")):
        st = StoryText.model_validate(d)
        row = json.loads(lines[st.line - 1])
        if row["id"] != st.id:
            raise ValueError(f"movieprompts line {st.line} is {row['id']!r}, annotated as {st.id!r}")
        text = row["MovieScript"].strip()
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != st.text_sha256:
            raise ValueError(f"movieprompts {st.id}: the text changed since it was annotated")
        out.append(st.model_copy(update={"text": text}))
    return out
