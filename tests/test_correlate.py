"""Human correlation: coefficients against hand-computed values, rater averaging, file errors, the CLI."""

from __future__ import annotations

import math

import polars as pl
import pytest
from scipy import stats

from evaluation.correlate import correlate, correlation, format_table, read_ratings, read_scores
from filmaster_assets.cli import main

FILMS = [f"bench-c{i}-full" for i in range(1, 6)]
JUDGE = [1.0, 2.0, 3.0, 4.0, 5.0]
HUMAN = [2.0, 1.0, 4.0, 3.0, 5.0]


def test_coefficients_by_hand():
    c = correlation("SF", JUDGE, HUMAN)
    # deviations (-2,-1,0,1,2) and (-1,-2,1,0,2): sum of products 8, sums of squares 10 and 10
    assert c.pearson == pytest.approx(0.8)
    assert c.spearman == pytest.approx(0.8)  # the values are their own ranks
    # 10 pairs, discordant (1,2) and (3,4): tau = (8 - 2) / 10
    assert c.kendall == pytest.approx(0.6)
    t = 0.8 * math.sqrt(3) / math.sqrt(1 - 0.64)  # t statistic with n - 2 = 3 degrees of freedom
    assert c.pearson_p == pytest.approx(2 * stats.t.sf(t, 3), rel=1e-6)
    assert c.pearson_p == pytest.approx(0.1041, abs=5e-4)
    assert 0 < c.kendall_p < 1 and 0 < c.spearman_p < 1


def test_undefined_cases_say_why():
    assert correlation("SF", [1, 2], [2, 1]).pearson is None
    assert "need 3" in correlation("SF", [1, 2], [2, 1]).note
    flat = correlation("VQ", [3, 3, 3, 3], [1, 2, 3, 4])
    assert flat.pearson is None and "judge constant" in flat.note


def _write(tmp_path, judge_rows: list[dict], ratings_csv: str):
    scores = tmp_path / "scores.parquet"
    pl.DataFrame(judge_rows).write_parquet(scores)
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(ratings_csv, encoding="utf-8")
    return ratings, scores


def _judge_rows():
    return [{"film_id": f, "case_id": f.split("-")[1], "variant": "full", "SF": j, "CT": 6 - j, "PLC": None,
             "average": j} for f, j in zip(FILMS, JUDGE)]


def test_ratings_are_averaged_over_raters_and_joined_by_film(tmp_path):
    # two raters on c1 (1 and 3 -> 2); names or codes as headers; case_id + variant name the film
    csv = "case_id,variant,rater,script_faithfulness,cinematic_techniques,note\n"
    csv += "c1,full,ann,1,4,\nc1,full,bob,3,4,late\n"
    csv += "".join(f"c{i},full,ann,{h:g},{6 - h:g},\n" for i, h in zip(range(2, 6), HUMAN[1:]))
    ratings, scores = _write(tmp_path, _judge_rows(), csv)
    rated = read_ratings(ratings)
    assert rated["bench-c1-full"]["SF"] == 2.0 and rated["bench-c1-full"]["CT"] == 4.0
    rows = {r.criterion: r for r in correlate(rated, read_scores(scores))}
    assert set(rows) == {"SF", "CT", "average", "mean of criteria"}
    assert rows["SF"].pearson == pytest.approx(0.8) and rows["SF"].n == 5
    assert rows["CT"].pearson == pytest.approx(0.8)  # both sides mirrored
    # people's average = mean of their criterion columns = 3 for every film -> constant, undefined
    assert rows["average"].pearson is None and "constant" in rows["average"].note
    assert rows["mean of criteria"].kendall == pytest.approx(0.6)
    assert "| SF | 5 | 0.800 |" in format_table(list(rows.values()))


def test_file_errors_name_the_fix(tmp_path):
    ratings, scores = _write(tmp_path, _judge_rows(), "rater,SF\nann,3\n")
    with pytest.raises(ValueError, match="missing column 'film_id'"):
        read_ratings(ratings)
    ratings.write_text("film_id,comment\nbench-c1-full,nice\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no criterion columns"):
        read_ratings(ratings)
    ratings.write_text("film_id,SF\nbench-c1-full,good\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"ratings.csv:2 column 'SF': 'good' is not a number"):
        read_ratings(ratings)
    ratings.write_text("film_id,SF\nsomething-else,3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no film is both rated and scored"):
        correlate(read_ratings(ratings), read_scores(scores))
    with pytest.raises(ValueError, match="no such file"):
        read_scores(tmp_path / "nope.parquet")


def test_cli_correlate(tmp_path, capsys):
    csv = "film_id,SF,overall_quality\n" + "".join(f"{f},{h:g},{h:g}\n" for f, h in zip(FILMS, HUMAN))
    rows = [{**r, "OQ": r["SF"]} for r in _judge_rows()]
    ratings, scores = _write(tmp_path, rows, csv)
    out = tmp_path / "corr.md"
    assert main(["eval", "correlate", str(ratings), str(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| SF | 5 | 0.800 |" in printed and "| OQ | 5 | 0.800 |" in printed
    assert "Kendall tau" in out.read_text()
    assert main(["eval", "correlate", str(tmp_path / "missing.csv"), str(scores)]) == 2
    assert "no such file" in capsys.readouterr().err
