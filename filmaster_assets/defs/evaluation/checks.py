"""FilmEval quality gate: all twelve criteria, each scored or marked not measured with its reason, and
CL / CRh / average that follow from them."""

import dagster as dg

from filmaster_assets.partitions import film_partitions
from evaluation.criteria import completeness_problems
from filmcraft.contracts import FilmEvalScores


@dg.asset_check(asset="filmeval_scores", partitions_def=film_partitions, description="Twelve criteria with reasons; derived scores consistent.")
def filmeval_complete(filmeval_scores: FilmEvalScores) -> dg.AssetCheckResult:
    problems = completeness_problems(filmeval_scores)
    measured = sum(1 for c in filmeval_scores.criteria if c.score is not None)
    return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "criteria": len(filmeval_scores.criteria), "measured": measured,
        "not_measured": len(filmeval_scores.criteria) - measured, "problems": "; ".join(problems) or "none"})
