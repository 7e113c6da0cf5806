"""The benchmark report: ``scores.parquet``, ``proxies.parquet``, ``report.md`` and PNG bar charts.

* ``scores.parquet``: one row per case x variant: the twelve criteria by code (null = not measured),
  CL, CRh, average, plus the case's named-entity coverage and the judge.
* ``proxies.parquet``: the offline judge's raw measurements in long form (film, criterion, name, value).
* ``report.md``: per-variant means, the ablations against the full pipeline with the measured proxies
  the design says each ablation should move, and every film's scores.
* plots (drawn with Pillow: no plotting dependency): criteria by variant, CL/CRh/average by variant,
  ablation proxies by variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from statistics import fmean, pstdev

from evaluation.benchmark import ScoredFilm
from evaluation.cases import VARIANTS
from evaluation.criteria import CODES, paper_scale
from filmcraft.contracts import CRITERIA
from filmcraft.store import atomic_path, write_text

CRITERION_CODES: list[str] = [CODES[c] for c in CRITERIA]
DERIVED = ["CL", "CRh", "average"]
SCORE_COLUMNS = CRITERION_CODES + DERIVED


@dataclass(frozen=True)
class Proxy:
    """A raw measurement an ablation is expected to move, and which way is better."""

    code: str
    name: str
    better: str  # "higher" | "lower"
    ablation: str  # the variant the design says should worsen it
    label: str
    short: str  # plot label


# What the design says each ablation takes away. no_rag: shots planned from film-grammar templates
# without retrieved camera language -> less varied set-ups. no_rhythm: the rough cut is locked
# without the audience-driven fine cut -> shot lengths and runtime further from the audience profile.
ABLATION_PROXIES: tuple[Proxy, ...] = (
    Proxy("CT", "distinct_setup_share", "higher", "no_rag", "distinct set-ups / shots", "CT distinct"),
    Proxy("CT", "setup_change_share", "higher", "no_rag", "cuts that change the set-up", "CT changes"),
    Proxy("CT", "lenses", "higher", "no_rag", "distinct lenses", "CT lenses"),
    Proxy("CT", "movements", "higher", "no_rag", "distinct camera movements", "CT moves"),
    Proxy("NP", "shots_in_range_share", "higher", "no_rhythm", "shots inside the profile's length range", "NP in range"),
    Proxy("NP", "asl_relative_deviation", "lower", "no_rhythm", "average shot length outside profile (rel.)", "NP ASL dev"),
    Proxy("NP", "runtime_relative_deviation", "lower", "no_rhythm", "runtime outside profile (rel.)", "NP run dev"),
)


# --- tables -------------------------------------------------------------------------------

def score_row(film: ScoredFilm) -> dict:
    by_code = {CODES[c.criterion]: c.score for c in film.scores.criteria}
    row: dict = {"case_id": film.case_id, "length": film.length, "variant": film.variant, "film_id": film.film_id}
    row.update({code: by_code.get(code) for code in CRITERION_CODES})
    row.update({"CL": film.scores.camera_language, "CRh": film.scores.cinematic_rhythm,
                "average": film.scores.average, "case_entity_coverage": film.case_entity_coverage,
                "judge": film.scores.judge, "seconds": film.seconds})
    return row


def proxy_rows(films: list[ScoredFilm]) -> list[dict]:
    rows = []
    for f in films:
        for c in f.scores.criteria:
            for name, value in c.measurement.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    rows.append({"film_id": f.film_id, "case_id": f.case_id, "variant": f.variant,
                                 "criterion": CODES[c.criterion], "measurement": name, "value": float(value)})
    return rows


def _write_parquet(rows: list[dict], schema: dict, path: Path) -> Path:
    import polars as pl

    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp)
    return path


def write_scores(films: list[ScoredFilm], path: Path) -> Path:
    import polars as pl

    schema = {"case_id": pl.Utf8, "length": pl.Utf8, "variant": pl.Utf8, "film_id": pl.Utf8,
              **{c: pl.Float64 for c in SCORE_COLUMNS}, "case_entity_coverage": pl.Float64, "judge": pl.Utf8,
              "seconds": pl.Float64}
    return _write_parquet([score_row(f) for f in films], schema, path)


def write_proxies(films: list[ScoredFilm], path: Path) -> Path:
    import polars as pl

    schema = {"film_id": pl.Utf8, "case_id": pl.Utf8, "variant": pl.Utf8, "criterion": pl.Utf8,
              "measurement": pl.Utf8, "value": pl.Float64}
    return _write_parquet(proxy_rows(films), schema, path)


def _mean(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return fmean(got) if got else None


def variant_means(films: list[ScoredFilm]) -> dict[str, dict[str, float | None]]:
    """Variant -> column -> mean over its films (unmeasured values skipped; None when none measured)."""
    rows = [score_row(f) for f in films]
    out: dict[str, dict[str, float | None]] = {}
    for variant in _variants(films):
        mine = [r for r in rows if r["variant"] == variant]
        out[variant] = {col: _mean([r[col] for r in mine]) for col in SCORE_COLUMNS + ["case_entity_coverage"]}
    return out


def _measurement(film: ScoredFilm, code: str, name: str) -> float | None:
    for c in film.scores.criteria:
        if CODES[c.criterion] == code:
            v = c.measurement.get(name)
            return float(v) if isinstance(v, (int, float)) else None
    return None


@dataclass
class ProxyComparison:
    proxy: Proxy
    means: dict[str, float | None]  # variant -> mean over the cases that have this variant and full
    worse_cases: int  # cases where the expected ablation is worse than full
    same_cases: int
    better_cases: int

    @property
    def delta(self) -> float | None:
        full, abl = self.means.get("full"), self.means.get(self.proxy.ablation)
        return None if full is None or abl is None else abl - full

    @property
    def as_designed(self) -> bool | None:
        """True when the ablation is worse than full on average, the way the design says."""
        d = self.delta
        if d is None:
            return None
        return d < -1e-9 if self.proxy.better == "higher" else d > 1e-9


def compare_proxies(films: list[ScoredFilm]) -> list[ProxyComparison]:
    """Each ablation proxy: variant means over paired cases, and per-case worse/same/better counts."""
    by_case: dict[str, dict[str, ScoredFilm]] = {}
    for f in films:
        by_case.setdefault(f.case_id, {})[f.variant] = f
    out = []
    for proxy in ABLATION_PROXIES:
        paired = [v for v in by_case.values() if "full" in v and proxy.ablation in v]
        if not paired:
            continue
        means = {variant: _mean([_measurement(v[variant], proxy.code, proxy.name) for v in paired if variant in v])
                 for variant in VARIANTS if any(variant in v for v in paired)}
        worse = same = better = 0
        for v in paired:
            a, b = _measurement(v["full"], proxy.code, proxy.name), _measurement(v[proxy.ablation], proxy.code, proxy.name)
            if a is None or b is None:
                continue
            diff = (b - a) if proxy.better == "higher" else (a - b)
            if abs(diff) <= 1e-9:
                same += 1
            elif diff < 0:
                worse += 1
            else:
                better += 1
        out.append(ProxyComparison(proxy, means, worse, same, better))
    return out


def _variants(films: list[ScoredFilm]) -> list[str]:
    present = {f.variant for f in films}
    return [v for v in VARIANTS if v in present]


# --- plots --------------------------------------------------------------------------------

_COLOURS = {"full": (46, 94, 170), "no_rag": (222, 139, 36), "no_rhythm": (92, 160, 80)}


def bar_chart(path: Path, title: str, groups: list[str], series: dict[str, list[float | None]],
              y_min: float, y_max: float, y_label: str = "") -> Path:
    """A grouped bar chart as PNG; a missing value is drawn as a grey "n/m" (not measured)."""
    from PIL import Image, ImageDraw, ImageFont

    if not groups or not series:
        raise ValueError(f"bar chart {path.name}: nothing to draw (no groups or no series)")
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    left, right, top, bottom = 60, 20, 50, 70
    widest_label = max(measure.textlength(g, font=small) for g in groups)
    group_w = int(max(48, 14 * len(series) + 20, widest_label + 12))
    width = int(max(left + right + group_w * len(groups), left + measure.textlength(title, font=font) + right))
    height = 420
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    plot_h = height - top - bottom

    def y_of(v: float) -> float:
        return top + plot_h * (1 - (min(max(v, y_min), y_max) - y_min) / (y_max - y_min))

    draw.text((left, 12), title, fill="black", font=font)
    ticks = 5
    for i in range(ticks + 1):
        v = y_min + (y_max - y_min) * i / ticks
        y = y_of(v)
        draw.line([(left, y), (width - right, y)], fill=(225, 225, 225))
        draw.text((8, y - 7), f"{v:.2g}", fill="black", font=small)
    if y_label:
        draw.text((8, top - 22), y_label, fill="black", font=small)
    bar_w = (group_w - 20) / len(series)
    for g, group in enumerate(groups):
        x0 = left + g * group_w + 10
        if all(values[g] is None for values in series.values()):
            label_w = measure.textlength("n/m", font=small)
            draw.text((x0 + (group_w - 20 - label_w) / 2, y_of(y_min) - 16), "n/m", fill=(150, 150, 150), font=small)
        for s, (name, values) in enumerate(series.items()):
            value = values[g]
            xa, xb = x0 + s * bar_w, x0 + (s + 1) * bar_w - 2
            if value is None:  # a short grey tick: this variant was not measured here
                draw.line([(xa, y_of(y_min) - 3), (xb, y_of(y_min) - 3)], fill=(150, 150, 150), width=2)
                continue
            draw.rectangle([xa, y_of(value), xb, y_of(y_min)], fill=_COLOURS.get(name, (120, 120, 120)))
        label_w = measure.textlength(group, font=small)
        draw.text((x0 + (group_w - 20 - label_w) / 2, height - bottom + 6), group, fill="black", font=small)
    draw.line([(left, y_of(y_min)), (width - right, y_of(y_min))], fill="black")
    lx = left
    for name in series:
        draw.rectangle([lx, height - 24, lx + 12, height - 12], fill=_COLOURS.get(name, (120, 120, 120)))
        draw.text((lx + 16, height - 26), name, fill="black", font=small)
        lx += 20 + int(draw.textlength(name, font=small)) + 16
    with atomic_path(path) as tmp:
        img.save(tmp, "PNG")
    return path


def draw_plots(films: list[ScoredFilm], out_dir: Path) -> list[Path]:
    means = variant_means(films)
    variants = list(means)
    plots = [
        bar_chart(out_dir / "criteria_by_variant.png", "FilmEval criteria (1-5) by variant, mean over cases",
                  CRITERION_CODES, {v: [means[v][c] for c in CRITERION_CODES] for v in variants}, 0, 5, "score"),
        bar_chart(out_dir / "derived_by_variant.png", "CL, CRh (max 7.5) and average by variant",
                  DERIVED, {v: [means[v][c] for c in DERIVED] for v in variants}, 0, 7.5, "score"),
    ]
    comparisons = [c for c in compare_proxies(films) if c.proxy.name.endswith("share") or c.proxy.name.endswith("deviation")]
    if comparisons:
        plots.append(bar_chart(
            out_dir / "ablation_proxies.png", "Measured proxies the ablations should move (mean over cases)",
            [c.proxy.short for c in comparisons],
            {v: [c.means.get(v) for c in comparisons] for v in variants}, 0, 1, "share"))
    return plots


# --- report.md ----------------------------------------------------------------------------

def _f(v: float | None, digits: int = 2) -> str:
    return "n/m" if v is None else f"{v:.{digits}f}"


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)] + ["| " + " | ".join(r) + " |" for r in rows]


@dataclass
class ReportFiles:
    report: Path
    scores: Path
    proxies: Path
    plots: list[Path]


def _spread(films: list[ScoredFilm], ablation: str, code: str) -> str:
    """Mean and SD over cases of (ablation - full) for one score, with down/same/up counts."""
    rows = {(f.case_id, f.variant): score_row(f)[code] for f in films}
    deltas = [rows[(c, ablation)] - rows[(c, "full")] for c, v in rows if v == "full"
              and rows.get((c, ablation)) is not None and rows[(c, "full")] is not None]
    if not deltas:
        return "n/m"
    down, up = sum(d < -1e-9 for d in deltas), sum(d > 1e-9 for d in deltas)
    return f"{fmean(deltas):+.3f} +- {pstdev(deltas):.3f} over {len(deltas)} cases, {down}/{len(deltas) - down - up}/{up}"


def write_report(films: list[ScoredFilm], out_dir: Path, failures: list[tuple[str, str]] | None = None,
                 title: str = "FilmEval benchmark") -> ReportFiles:
    """Write every report artifact into ``out_dir`` (atomic writes) and return their paths."""
    if not films:
        detail = "; ".join(f"{fid}: {err}" for fid, err in failures or []) or "no films were judged"
        raise ValueError(f"no benchmark films to report ({detail}): make at least one film first")
    out_dir.mkdir(parents=True, exist_ok=True)
    scores = write_scores(films, out_dir / "scores.parquet")
    proxies = write_proxies(films, out_dir / "proxies.parquet")
    plots = draw_plots(films, out_dir)
    means = variant_means(films)
    variants = list(means)
    judges = sorted({f.scores.judge for f in films})
    cases = sorted({f.case_id for f in films})

    lines = [f"# {title}", "",
             f"{len(cases)} cases x {len(variants)} variants = {len(films)} films; judge: {', '.join(judges)}.",
             "Scores are 1-5; CL = mean(SF, NC, VQ, CC, PLC) + 0.5 mean(CT, AVR) and CRh = mean(VAQ, NP, VAC, CD, OQ) "
             "+ 0.5 mean(CT, AVR) (the additive form, 1.5-7.5), each over the criteria measured; `CL/1.5` and "
             "`CRh/1.5` are the same on the paper's 1-5 scale, as its Table 2 prints them; n/m = not measured.", ""]
    lines += ["## Mean scores by variant", ""]
    lines += _table(["variant", "films"] + SCORE_COLUMNS + ["CL/1.5", "CRh/1.5", "entity cov."],
                    [[v, str(sum(f.variant == v for f in films))] + [_f(means[v][c]) for c in SCORE_COLUMNS]
                     + [_f(paper_scale(means[v]["CL"])), _f(paper_scale(means[v]["CRh"])),
                        _f(means[v]["case_entity_coverage"])] for v in variants])
    lines += ["", "![criteria by variant](criteria_by_variant.png)", "", "![derived by variant](derived_by_variant.png)", ""]

    comparisons = compare_proxies(films)
    lines += ["## Ablations against the full pipeline", ""]
    if not comparisons:
        lines += ["No ablation proxies to compare: run `full` with `no_rag` or `no_rhythm` on the same cases "
                  "with the offline judge (an LLM judge reports scores, not measurements).", ""]
    else:
        lines += ["no_rag plans shots from film-grammar templates without retrieved camera language, so the design "
                  "expects less varied set-ups (CT); no_rhythm locks the rough cut without the audience-driven "
                  "fine cut, so it expects pacing further from the audience profile (NP). Means over the cases that "
                  "have both variants; `worse/same/better` counts cases against full.", ""]
        rows = []
        for c in comparisons:
            verdict = {True: "yes", False: "no", None: "n/a"}[c.as_designed]
            rows.append([f"{c.proxy.code} {c.proxy.label} (`{c.proxy.name}`, {c.proxy.better} is better)",
                         c.proxy.ablation] + [_f(c.means.get(v), 3) for v in variants]
                        + [_f(c.delta, 3), f"{c.worse_cases}/{c.same_cases}/{c.better_cases}", verdict])
        lines += _table(["proxy", "ablation"] + variants + ["ablation - full", "worse/same/better", "as designed"], rows)
        lines += [""]
        for ablation, codes in (("no_rag", ("CT", "CL", "average")), ("no_rhythm", ("NP", "CRh", "average"))):
            if ablation in means and "full" in means:
                deltas = ", ".join(f"{code} {_f(means['full'][code])} -> {_f(means[ablation][code])} "
                                   f"({_spread(films, ablation, code)})" for code in codes)
                lines.append(f"- {ablation}: {deltas}")
        lines += ["", "Per case: the mean change against full, its spread (population SD) across cases, and how many "
                  "cases moved down, not at all, or up. The offline judge is deterministic (the same film judged "
                  "again gives the same scores), so its own noise is zero: a change that goes the same way in most "
                  "cases is the variant's, while one that goes both ways is the cases' spread, not the ablation's."]
        if (out_dir / "ablation_proxies.png").exists():
            lines += ["", "![ablation proxies](ablation_proxies.png)"]
        lines += [""]

    lines += ["## Every film", ""]
    lines += _table(["case", "length", "variant"] + SCORE_COLUMNS + ["entity cov.", "seconds"],
                    [[f.case_id, f.length, f.variant] + [_f(score_row(f)[c]) for c in SCORE_COLUMNS]
                     + [_f(f.case_entity_coverage), _f(f.seconds, 0)]
                     for f in sorted(films, key=lambda f: (f.case_id, VARIANTS.index(f.variant)))])
    lines += ["", "Films: " + ", ".join(f"`{f.film_dir}`" for f in films[:3]) + (" ..." if len(films) > 3 else ""), ""]
    if failures:
        lines += ["## Failed films", ""] + [f"- `{fid}`: {err}" for fid, err in failures] + [""]
    lines += ["Files: `scores.parquet` (one row per case x variant), `proxies.parquet` (every raw measurement), "
              "PNG plots beside this report.", ""]
    report = write_text(out_dir / "report.md", "\n".join(lines))
    return ReportFiles(report=report, scores=scores, proxies=proxies, plots=plots)
