"""The FilmEval benchmark: every case x variant is a film partition ``bench-<case>-<variant>``.

The benchmark runs the production graph itself: ``run_benchmark`` hands each request to a
``make_film(request, studio) -> film_dir`` callable (the CLI passes ``filmaster_assets.cli.make_film``,
which materializes the same assets ``dagster dev`` shows), then reads the ``filmeval.json`` that the
``filmeval_scores`` asset wrote. Content-addressed caches mean variants share work: a no_rhythm
film reuses the full film's clips, for one.

Sizes: ``preview`` (default; 640x360 at 12 fps, at most 3 scenes x 3 shots, ~40 s a film on two
cores), ``tiny`` (320x180, 12 fps, 2 x 2, for smoke tests), ``full`` (the director decides, 720p).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from evaluation.cases import BENCH_PREFIX, LONG_WORDS, VARIANTS, BenchmarkCase, film_id_for, split_film_id
from filmcraft.contracts import FilmEvalScores, FilmRequest, SceneBlocks
from filmcraft.layout import FilmLayout
from filmcraft.store import read_model

SIZES: dict[str, dict] = {
    "preview": {"width": 640, "height": 360, "fps": 12, "max_scenes": 3, "max_shots_per_scene": 3},
    "tiny": {"width": 320, "height": 180, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 2},
    "full": {},
}

MakeFilm = Callable[[FilmRequest, Path], Path]


@dataclass
class ScoredFilm:
    """One benchmark film and its FilmEval scores (the unit the report aggregates)."""

    case_id: str
    length: str  # "long" | "short"
    variant: str
    film_id: str
    scores: FilmEvalScores
    film_dir: Path
    case_entity_coverage: float | None = None  # share of the case's named cast and places in the scene blocks
    seconds: float | None = None  # wall time to make and judge the film in this run (None: not run here)


@dataclass
class BenchmarkRun:
    films: list[ScoredFilm] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (film id, error)


def parse_variants(spec: str | Iterable[str]) -> list[str]:
    """``"full,no_rag"`` -> ["full", "no_rag"]; unknown names raise with the accepted list."""
    names = [v.strip() for v in (spec.split(",") if isinstance(spec, str) else spec) if v.strip()]
    if not names:
        raise ValueError(f"--variants is empty: give a comma-separated subset of {','.join(VARIANTS)}")
    bad = [v for v in names if v not in VARIANTS]
    if bad:
        raise ValueError(f"--variants: unknown {', '.join(bad)}; use a comma-separated subset of {','.join(VARIANTS)}")
    return list(dict.fromkeys(names))


def benchmark_request(case: BenchmarkCase, variant: str, size: str = "preview", audience: str = "general",
                      seed: int = 0) -> FilmRequest:
    if size not in SIZES:
        raise ValueError(f"film size {size!r}: use one of {', '.join(SIZES)}")
    return FilmRequest(film_id=film_id_for(case.case_id, variant), text=case.text, audience=audience,
                       seed=seed, variant=variant, **SIZES[size])


def entity_coverage(names: Iterable[str], blocks: SceneBlocks) -> float | None:
    """Share of ``names`` found in the scene blocks (headings, places, casts, prompts, objectives).

    A multi-word name counts when every word of it of 3+ letters appears ("the governor" needs
    "governor"), so "church tower" matches a heading "INT. CHURCH - TOWER ROOM".
    """
    names = [n for n in names if n.strip()]
    if not names:
        return None
    text = " ".join(
        " ".join([s.heading, s.location, s.narrative_objective, *s.characters, *s.key_visual_elements,
                  *(p.prompt + " " + p.action + " " + " ".join(p.characters) for p in s.shots)])
        for s in blocks.scenes).lower()
    words = set(text.replace(".", " ").replace(",", " ").split())

    def found(name: str) -> bool:
        parts = [w for w in name.lower().replace(".", " ").split() if len(w) >= 3 and w != "the"]
        return name.lower() in text or (bool(parts) and all(p in words for p in parts))

    return round(sum(found(n) for n in names) / len(names), 4)


def read_scored_film(film_dir: Path, case: BenchmarkCase | None = None) -> ScoredFilm:
    """A finished benchmark film folder -> ScoredFilm (case id and variant from the film id)."""
    files = FilmLayout(film_dir)
    film_id = film_dir.name
    parts = split_film_id(film_id)
    if parts is None:
        raise ValueError(f"film {film_id!r} is not a benchmark film: ids look like {BENCH_PREFIX}<case>-<variant>")
    if not files.filmeval.is_file():
        raise ValueError(f"film {film_id!r} has no {files.filmeval.name}: make the film (filmeval_scores) first")
    scores = read_model(files.filmeval, FilmEvalScores)
    request = read_model(files.request, FilmRequest)
    case_id, variant = parts
    if request.variant != variant:
        raise ValueError(f"film {film_id!r} is named for variant {variant!r} but its request says {request.variant!r}")
    coverage = None
    if case is not None and files.scene_blocks.is_file():
        coverage = entity_coverage([*case.characters, *case.locations], read_model(files.scene_blocks, SceneBlocks))
    length = case.length if case else ("long" if len(request.text.split()) >= LONG_WORDS else "short")
    return ScoredFilm(case_id=case_id, length=length, variant=variant, film_id=film_id, scores=scores,
                      film_dir=film_dir, case_entity_coverage=coverage)


def collect_benchmark_films(studio_root: Path) -> list[ScoredFilm]:
    """Every judged ``bench-*`` film in a studio (for the report asset); unfinished films are skipped."""
    films = []
    for d in sorted(Path(studio_root).glob(f"{BENCH_PREFIX}*")):
        if d.is_dir() and split_film_id(d.name) and FilmLayout(d).filmeval.is_file() and FilmLayout(d).request.is_file():
            films.append(read_scored_film(d))
    return films


def run_benchmark(cases: list[BenchmarkCase], variants: list[str], studio: Path, make_film: MakeFilm,
                  size: str = "preview", audience: str = "general", seed: int = 0,
                  log: Callable[[str], None] = print) -> BenchmarkRun:
    """Make and judge every case x variant; a failed film is recorded and the run goes on."""
    run = BenchmarkRun()
    requests = [(case, benchmark_request(case, v, size, audience, seed)) for case in cases for v in variants]
    for i, (case, req) in enumerate(requests, 1):
        log(f"== benchmark film {i}/{len(requests)}: {req.film_id} ({case.length}, {req.variant}, {size})")
        start = time.monotonic()
        try:
            film_dir = make_film(req, studio)
            scored = read_scored_film(Path(film_dir), case)
        except Exception as exc:  # one broken film must not lose the others' work
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            run.failures.append((req.film_id, f"{type(exc).__name__}: {message}"))
            log(f"   FAILED {req.film_id}: {message}")
            continue
        scored.seconds = round(time.monotonic() - start, 1)
        run.films.append(scored)
        log(f"   {req.film_id}: CL {_fmt(scored.scores.camera_language)}  CRh {_fmt(scored.scores.cinematic_rhythm)}  "
            f"average {_fmt(scored.scores.average)}  ({scored.seconds:.0f}s)")
    return run


def _fmt(v: float | None) -> str:
    return "n/m" if v is None else f"{v:.2f}"

