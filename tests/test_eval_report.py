"""The benchmark report: scores.parquet rows, variant means and ablation deltas by hand, PNG plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PIL import Image

from evaluation.benchmark import ScoredFilm, collect_benchmark_films, run_benchmark
from evaluation.cases import BenchmarkCase
from evaluation.criteria import BY_CODE, CODES, derive
from evaluation.report import SCORE_COLUMNS, _COLOURS, compare_proxies, variant_means, write_report
from filmcraft.contracts import CRITERIA, CriterionScore, FilmEvalScores, FilmRequest
from filmcraft.layout import FilmLayout
from filmcraft.store import write_model


def scored(case: str, variant: str, scores: dict[str, float | None], measurements: dict[str, dict] | None = None,
           film_dir: Path | None = None) -> ScoredFilm:
    measurements = measurements or {}
    criteria = [CriterionScore(criterion=name, score=scores.get(CODES[name]), reason="by hand",
                               measurement=measurements.get(CODES[name], {})) for name in CRITERIA]
    cl, crh, avg, used = derive({c.criterion: c.score for c in criteria})
    film_id = f"bench-{case}-{variant}"
    return ScoredFilm(case_id=case, length="short", variant=variant, film_id=film_id,
                      scores=FilmEvalScores(film_id=film_id, judge="offline-measured-proxies-v1 (lexical)",
                                            criteria=criteria, camera_language=cl, cinematic_rhythm=crh,
                                            average=avg, derived_from=used),
                      film_dir=film_dir or Path("/nowhere") / film_id, case_entity_coverage=0.5)


BASE = {"SF": 4, "NC": 3, "VQ": 5, "CC": 4, "PLC": None, "VAQ": 4, "CT": 4, "AVR": 2, "NP": 5, "VAC": 5, "CD": None, "OQ": 4}


def films() -> list[ScoredFilm]:
    ct = lambda distinct, lenses: {"CT": {"distinct_setup_share": distinct, "setup_change_share": 1.0, "lenses": lenses}}
    np_ = lambda in_range, cv: {"NP": {"shots_in_range_share": in_range, "asl_relative_deviation": 0.0,
                                       "runtime_relative_deviation": 0.0, "shot_length_cv": cv}}
    return [
        scored("a", "full", BASE, {**ct(0.6, 5), **np_(1.0, 0.2)}),
        scored("a", "no_rag", {**BASE, "CT": 3}, {**ct(0.4, 4), **np_(1.0, 0.2)}),
        scored("a", "no_rhythm", {**BASE, "NP": 4}, {**ct(0.6, 5), **np_(0.5, 0.1)}),
        scored("b", "full", {**BASE, "SF": 2}, {**ct(0.5, 4), **np_(0.75, 0.3)}),
        scored("b", "no_rag", {**BASE, "SF": 2, "CT": 2}, {**ct(0.5, 3), **np_(0.75, 0.3)}),
        scored("b", "no_rhythm", {**BASE, "SF": 2, "NP": 3}, {**ct(0.5, 4), **np_(0.75, 0.3)}),
    ]


def test_variant_means_by_hand():
    means = variant_means(films())
    assert list(means) == ["full", "no_rag", "no_rhythm"]
    assert means["full"]["SF"] == pytest.approx(3.0)  # (4 + 2) / 2
    assert means["no_rag"]["CT"] == pytest.approx(2.5)
    assert means["full"]["PLC"] is None  # unmeasured stays unmeasured, not 0
    # CL for film a/full by hand: mean(4, 3, 5, 4) + 0.5 * mean(4, 2) = 4 + 1.5
    assert films()[0].scores.camera_language == pytest.approx(5.5)
    # CRh: mean(VAQ 4, NP 5, VAC 5, OQ 4) + 0.5 * 3 = 4.5 + 1.5
    assert films()[0].scores.cinematic_rhythm == pytest.approx(6.0)
    assert means["full"]["CL"] == pytest.approx((5.5 + (2 + 3 + 5 + 4) / 4 + 1.5) / 2)


def test_ablation_proxies_by_hand():
    got = {(c.proxy.code, c.proxy.name): c for c in compare_proxies(films())}
    distinct = got[("CT", "distinct_setup_share")]
    assert distinct.proxy.ablation == "no_rag"
    assert distinct.means["full"] == pytest.approx(0.55) and distinct.means["no_rag"] == pytest.approx(0.45)
    assert distinct.delta == pytest.approx(-0.1) and distinct.as_designed is True
    assert (distinct.worse_cases, distinct.same_cases, distinct.better_cases) == (1, 1, 0)
    lenses = got[("CT", "lenses")]
    assert lenses.delta == pytest.approx(-1.0) and lenses.worse_cases == 2
    in_range = got[("NP", "shots_in_range_share")]
    assert in_range.proxy.ablation == "no_rhythm" and in_range.delta == pytest.approx(-0.25)
    assert in_range.as_designed is True
    asl = got[("NP", "asl_relative_deviation")]
    assert asl.delta == pytest.approx(0.0) and asl.as_designed is False and asl.same_cases == 2
    assert ("CT", "movements") not in got or got[("CT", "movements")].delta is None  # not measured here


def test_report_files(tmp_path):
    out = write_report(films(), tmp_path / "report", failures=[("bench-c-full", "RuntimeError: boom")])
    table = pl.read_parquet(out.scores)
    assert table.height == 6
    assert set(SCORE_COLUMNS) <= set(table.columns) and {"case_id", "variant", "film_id"} <= set(table.columns)
    row = table.filter((pl.col("case_id") == "a") & (pl.col("variant") == "full")).to_dicts()[0]
    assert row["SF"] == 4 and row["PLC"] is None and row["CL"] == pytest.approx(5.5) and row["CRh"] == pytest.approx(6.0)
    proxies = pl.read_parquet(out.proxies)
    assert proxies.filter((pl.col("measurement") == "lenses") & (pl.col("film_id") == "bench-b-no_rag"))["value"][0] == 3
    text = out.report.read_text()
    for variant in ("full", "no_rag", "no_rhythm"):
        assert f"| {variant} | 2 |" in text
    assert "distinct_setup_share" in text and "-0.100" in text and "1/1/0" in text
    assert "bench-c-full" in text and "boom" in text
    assert {p.name for p in out.plots} == {"criteria_by_variant.png", "derived_by_variant.png", "ablation_proxies.png"}
    with Image.open(tmp_path / "report" / "criteria_by_variant.png") as img:
        pixels = {tuple(int(x) for x in px) for px in np.asarray(img.convert("RGB")).reshape(-1, 3)}
        assert img.height == 420 and img.width > 400
        assert all(_COLOURS[v] in pixels for v in ("full", "no_rag", "no_rhythm"))  # one bar colour per variant
    with pytest.raises(ValueError, match="no benchmark films to report.*bench-c-full: RuntimeError"):
        write_report([], tmp_path / "empty", failures=[("bench-c-full", "RuntimeError: boom")])


def test_run_benchmark_records_failures_and_reads_films(tmp_path):
    """The runner with a make_film that writes a judged film (and one that fails): no dagster needed."""
    case = BenchmarkCase(case_id="lamp", text="Mara lights the lamp for Tom.", length="short",
                         characters=("Mara",), locations=("lighthouse",), source="filmaster")

    def make(req: FilmRequest, studio: Path) -> Path:
        if req.variant == "no_rhythm":
            raise RuntimeError("render failed\nsecond line")
        files = FilmLayout(studio / req.film_id)
        write_model(files.request, req)
        write_model(files.filmeval, scored(case.case_id, req.variant, BASE).scores)
        return files.root

    logs: list[str] = []
    run = run_benchmark([case], ["full", "no_rag", "no_rhythm"], tmp_path, make, size="tiny", log=logs.append)
    assert [f.film_id for f in run.films] == ["bench-lamp-full", "bench-lamp-no_rag"]
    assert run.failures == [("bench-lamp-no_rhythm", "RuntimeError: render failed")]
    assert run.films[0].scores.camera_language == pytest.approx(5.5) and run.films[0].seconds is not None
    assert any("FAILED bench-lamp-no_rhythm" in line for line in logs)
    # the report asset's collector finds the judged films in the studio
    found = collect_benchmark_films(tmp_path)
    assert [(f.case_id, f.variant, f.length) for f in found] == [("lamp", "full", "short"), ("lamp", "no_rag", "short")]
    assert BY_CODE["SF"] == "script_faithfulness"
