"""FilmEval benchmark cases: our own 20 (``cases.jsonl``) or the paper's movieprompts file.

Two line formats are accepted in a JSONL case file (one JSON object per line):

* ours:          {"id", "text", "characters", "locations"} and optionally "length" ("long" | "short")
* movieprompts:  {"id", "MovieScript", "Character"}  (MovieAgent's ten long synopses; no locations)

A line is read as movieprompts when it carries "MovieScript" or "Character"; otherwise as ours.
Every error names the file, the line and the fix.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from filmcraft.contracts import FILM_ID_RE

DEFAULT_CASES = Path(__file__).with_name("cases.jsonl")
BENCH_PREFIX = "bench-"
VARIANTS: tuple[str, ...] = ("full", "no_rag", "no_rhythm")
LONG_WORDS = 50  # the paper's inputs: short ~15 words, long ~100; anything from 50 words counts as long

OUR_FIELDS = ("id", "text", "characters", "locations")
MOVIEPROMPTS_FIELDS = ("id", "MovieScript", "Character")
_MAX_CASE_SLUG = 63 - len(BENCH_PREFIX) - len("-no_rhythm")


@dataclass(frozen=True)
class BenchmarkCase:
    case_id: str  # a slug: it becomes part of the film id
    text: str
    length: str  # "long" | "short"
    characters: tuple[str, ...]
    locations: tuple[str, ...]
    source: str  # "filmaster" | "movieprompts"


def case_slug(raw_id: str) -> str:
    """``DespicableMe4`` -> ``despicableme4``; ``Case 3/x`` -> ``case-3-x`` (film ids are slugs)."""
    slug = re.sub(r"[^a-z0-9_-]+", "-", raw_id.strip().lower()).strip("-_")
    return slug[:_MAX_CASE_SLUG].rstrip("-_")


def film_id_for(case_id: str, variant: str) -> str:
    """The film partition a case x variant runs in: ``bench-<case>-<variant>``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: use one of {', '.join(VARIANTS)}")
    film_id = f"{BENCH_PREFIX}{case_id}-{variant}"
    if not FILM_ID_RE.match(film_id):
        raise ValueError(f"case id {case_id!r} does not make a valid film id {film_id!r}: use a short slug")
    return film_id


def split_film_id(film_id: str) -> tuple[str, str] | None:
    """``bench-keeper-no_rag`` -> (``keeper``, ``no_rag``); None for a film that is not a benchmark run."""
    if not film_id.startswith(BENCH_PREFIX):
        return None
    rest = film_id[len(BENCH_PREFIX):]
    for variant in VARIANTS:
        if rest.endswith("-" + variant) and len(rest) > len(variant) + 1:
            return rest[: -len(variant) - 1], variant
    return None


def _names(value: object, where: str, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}: field {field!r} must be a list of names (strings), got {type(value).__name__}")
    names = tuple(v.strip() for v in value if v.strip())
    if not names:
        raise ValueError(f"{where}: field {field!r} is empty: name at least one")
    return names


def _text(value: object, where: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: field {field!r} must be a non-empty string")
    return " ".join(value.split())


def parse_case(obj: object, where: str) -> BenchmarkCase:
    """One JSON object -> a case; ``where`` (``file:line``) prefixes every error."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: expected a JSON object per line, got {type(obj).__name__}")
    movieprompts = "MovieScript" in obj or "Character" in obj
    needed = MOVIEPROMPTS_FIELDS if movieprompts else OUR_FIELDS
    missing = [f for f in needed if f not in obj]
    if missing:
        kind = "movieprompts" if movieprompts else "FilMaster"
        raise ValueError(
            f"{where}: missing field {', '.join(repr(f) for f in missing)} ({kind} format needs "
            f"{', '.join(needed)}; the other accepted format is "
            f"{', '.join(OUR_FIELDS if movieprompts else MOVIEPROMPTS_FIELDS)})")
    if not isinstance(obj["id"], (str, int)) or not case_slug(str(obj["id"])):
        raise ValueError(f"{where}: field 'id' {obj['id']!r} has no letters or digits: give each case a short name")
    case_id = case_slug(str(obj["id"]))
    if movieprompts:
        text = _text(obj["MovieScript"], where, "MovieScript")
        characters = _names(obj["Character"], where, "Character")
        locations: tuple[str, ...] = ()  # the format names no places
        source = "movieprompts"
    else:
        text = _text(obj["text"], where, "text")
        characters = _names(obj["characters"], where, "characters")
        locations = _names(obj["locations"], where, "locations")
        source = "filmaster"
    words = len(text.split())
    length = obj.get("length") or ("long" if words >= LONG_WORDS else "short")
    if length not in ("long", "short"):
        raise ValueError(f"{where}: field 'length' is {length!r}: use \"long\" or \"short\" (or leave it out)")
    return BenchmarkCase(case_id=case_id, text=text, length=length, characters=characters,
                         locations=locations, source=source)


def load_cases(path: str | Path | None = None, limit: int | None = None) -> list[BenchmarkCase]:
    """Read a JSONL case file (default: the shipped 20 cases); the first ``limit`` cases if given."""
    path = Path(path) if path is not None else DEFAULT_CASES
    if not path.is_file():
        raise ValueError(f"case file {path}: no such file (give a JSONL file, one case per line)")
    if limit is not None and limit < 1:
        raise ValueError(f"limit {limit}: give at least 1 case")
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"case file {path} is not UTF-8 (byte {exc.start}): re-save it as UTF-8") from exc
    cases: list[BenchmarkCase] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno}): one JSON object per line") from exc
        case = parse_case(obj, where)
        if case.case_id in seen:
            raise ValueError(f"{where}: case id {case.case_id!r} already used on line {seen[case.case_id]}: ids must be unique")
        seen[case.case_id] = number
        cases.append(case)
        if limit is not None and len(cases) >= limit:
            break
    if not cases:
        raise ValueError(f"case file {path} holds no cases: one JSON object per line")
    return cases
