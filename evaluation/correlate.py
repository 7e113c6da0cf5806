"""Human correlation: how well a judge's scores agree with people's ratings (scipy.stats).

RATINGS.csv: one row per film and rater. A ``film_id`` column (or ``case_id`` + ``variant``, which
name the film ``bench-<case>-<variant>``), then any of the twelve criteria as columns, by code
(``SF`` ... ``OQ``) or name (``script_faithfulness`` ...), and optionally ``average``. Other columns
(``rater``, notes) are ignored. Several raters of one film are averaged first.

SCORES: the benchmark's ``scores.parquet`` (or the folder holding it, or a CSV with its columns).

For every criterion both sides have, over the films both sides scored: Pearson r, Spearman rho
and Kendall tau-b with two-sided p-values. Two summary rows: ``average`` correlates the judge's
average with the people's (their ``average`` column, else the mean of their criterion columns),
and ``mean of criteria`` is the plain mean of the per-criterion coefficients (no p-value).
A coefficient is None, with the reason, under 3 paired films or when either side is constant.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean

from evaluation.cases import film_id_for
from evaluation.criteria import BY_CODE, CODES
from filmcraft.contracts import CRITERIA

MIN_FILMS = 3


@dataclass
class Correlation:
    criterion: str  # a code, "average" or "mean of criteria"
    n: int
    pearson: float | None = None
    pearson_p: float | None = None
    spearman: float | None = None
    spearman_p: float | None = None
    kendall: float | None = None
    kendall_p: float | None = None
    note: str = ""


def _number(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    text = str(value).strip()
    if text == "" or text.lower() in ("na", "n/a", "nan", "null", "none", "n/m"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number: ratings are numbers (1-5) or empty") from None


def _column_code(name: str) -> str | None:
    key = name.strip()
    if key in BY_CODE:
        return key
    if key.lower() in CODES:
        return CODES[key.lower()]
    if key.upper() in BY_CODE:
        return key.upper()
    if key.lower() == "average":
        return "average"
    return None


def read_ratings(path: str | Path) -> dict[str, dict[str, float]]:
    """film id -> code -> mean rating over raters (empty cells skipped)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"ratings file {path}: no such file (give a CSV with film_id and criterion columns)")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"ratings file {path} is not UTF-8 (byte {exc.start}): re-save it as UTF-8 CSV") from exc
    reader = csv.DictReader(text.splitlines())
    headers = reader.fieldnames or []
    has_film = "film_id" in headers
    if not has_film and not {"case_id", "variant"} <= set(headers):
        raise ValueError(f"ratings file {path}: missing column 'film_id' (or 'case_id' and 'variant'); "
                         f"found columns {headers}")
    columns = {h: _column_code(h) for h in headers if _column_code(h)}
    if not columns:
        raise ValueError(f"ratings file {path}: no criterion columns; name them by code ({', '.join(BY_CODE)}) "
                         "or by name (script_faithfulness, ...), or give an 'average' column")
    sums: dict[str, dict[str, list[float]]] = {}
    for line, row in enumerate(reader, 2):
        where = f"{path}:{line}"
        if has_film:
            film = (row.get("film_id") or "").strip()
        else:
            case, variant = (row.get("case_id") or "").strip(), (row.get("variant") or "").strip()
            film = film_id_for(case, variant) if case and variant else ""
        if not film:
            raise ValueError(f"{where}: the row names no film (empty film_id or case_id/variant)")
        for header, code in columns.items():
            value = _number(row.get(header), f"{where} column {header!r}")
            if value is not None:
                sums.setdefault(film, {}).setdefault(code, []).append(value)
    if not sums:
        raise ValueError(f"ratings file {path} has no ratings: add one row per film and rater")
    return {film: {code: fmean(vals) for code, vals in codes.items()} for film, codes in sums.items()}


def read_scores(path: str | Path) -> dict[str, dict[str, float]]:
    """film id -> code -> judge score, from scores.parquet (or its folder) or a CSV of the same columns."""
    path = Path(path)
    if path.is_dir():
        path = path / "scores.parquet"
    if not path.is_file():
        raise ValueError(f"scores {path}: no such file (give the benchmark's scores.parquet or its --out folder)")
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    else:
        import polars as pl

        try:
            rows = pl.read_parquet(path).to_dicts()
        except Exception as exc:
            raise ValueError(f"scores {path} is not a readable Parquet file ({exc}): pass scores.parquet from "
                             "`filmaster eval`") from exc
    if not rows or "film_id" not in rows[0]:
        raise ValueError(f"scores {path}: no rows with a 'film_id' column: pass scores.parquet from `filmaster eval`")
    out: dict[str, dict[str, float]] = {}
    for i, row in enumerate(rows, 1):
        film = str(row["film_id"])
        for header, value in row.items():
            code = _column_code(str(header))
            if code is None:
                continue
            number = _number(value, f"{path} row {i} column {header!r}")
            if number is not None:
                out.setdefault(film, {})[code] = number
    return out


def correlation(criterion: str, judge: list[float], human: list[float]) -> Correlation:
    """Pearson, Spearman and Kendall (tau-b) with two-sided p-values for paired lists."""
    from scipy import stats

    n = len(judge)
    if n != len(human):
        raise ValueError(f"{criterion}: {n} judge scores but {len(human)} ratings: pair them film by film")
    if n < MIN_FILMS:
        return Correlation(criterion, n, note=f"only {n} paired films (need {MIN_FILMS})")
    if len(set(judge)) < 2 or len(set(human)) < 2:
        side = "judge" if len(set(judge)) < 2 else "ratings"
        return Correlation(criterion, n, note=f"{side} constant over the {n} films: no correlation defined")
    p = stats.pearsonr(judge, human)
    s = stats.spearmanr(judge, human)
    k = stats.kendalltau(judge, human)
    return Correlation(criterion, n, float(p.statistic), float(p.pvalue), float(s.statistic), float(s.pvalue),
                       float(k.statistic), float(k.pvalue))


def correlate(ratings: dict[str, dict[str, float]], scores: dict[str, dict[str, float]]) -> list[Correlation]:
    """Per criterion (in FilmEval order), then ``average`` and ``mean of criteria``."""
    films = sorted(set(ratings) & set(scores))
    if not films:
        raise ValueError(f"no film is both rated and scored: ratings name {sorted(ratings)[:5]}, scores name "
                         f"{sorted(scores)[:5]}: use the film ids of scores.parquet (bench-<case>-<variant>)")
    out = []
    for code in (CODES[c] for c in CRITERIA):
        pairs = [(scores[f][code], ratings[f][code]) for f in films if code in scores[f] and code in ratings[f]]
        if pairs:
            out.append(correlation(code, [a for a, _ in pairs], [b for _, b in pairs]))
    per_criterion = list(out)

    def human_average(f: str) -> float | None:
        if "average" in ratings[f]:
            return ratings[f]["average"]
        vals = [v for k, v in ratings[f].items() if k != "average"]
        return fmean(vals) if vals else None

    pairs = [(scores[f]["average"], human_average(f)) for f in films
             if "average" in scores[f] and human_average(f) is not None]
    if pairs:
        out.append(correlation("average", [a for a, _ in pairs], [b for _, b in pairs]))
    defined = [c for c in per_criterion if c.pearson is not None]
    if defined:
        out.append(Correlation("mean of criteria", min(c.n for c in defined),
                               pearson=fmean(c.pearson for c in defined), spearman=fmean(c.spearman for c in defined),
                               kendall=fmean(c.kendall for c in defined),
                               note=f"mean over {len(defined)} criteria (no p-value for a mean of coefficients)"))
    if not out:
        raise ValueError("ratings and scores share films but no criterion: name rating columns by code (SF ...) or name")
    return out


def format_table(rows: list[Correlation]) -> str:
    def f(v: float | None, digits: int = 3) -> str:
        return "-" if v is None else f"{v:.{digits}f}"

    def p(v: float | None) -> str:
        return "-" if v is None else (f"{v:.2e}" if v < 1e-3 else f"{v:.3f}")

    lines = ["| criterion | n | Pearson r | p | Spearman rho | p | Kendall tau | p | note |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.criterion} | {r.n} | {f(r.pearson)} | {p(r.pearson_p)} | {f(r.spearman)} | {p(r.spearman_p)} "
                     f"| {f(r.kendall)} | {p(r.kendall_p)} | {r.note} |")
    return "\n".join(lines)
