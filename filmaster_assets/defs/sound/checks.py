"""Sound quality gate: every stem and the master within 0.5 LU of its loudness target, no true peak over
the ceiling. Blocking: a mix off its targets is not laid under the final film."""

import dagster as dg

from filmaster_assets.partitions import film_partitions
from filmcraft.contracts import MixReport
from filmcraft.mixer import DELIVERY_TOLERANCE_LU, loudness_problems


@dg.asset_check(asset="mix", partitions_def=film_partitions, blocking=True,
                description=f"Stems and master within {DELIVERY_TOLERANCE_LU} LU of target; true peaks under the ceiling.")
def mix_loudness(mix: MixReport) -> dg.AssetCheckResult:
    problems = loudness_problems(mix)
    levels = {s.stem: s.measured_lufs for s in mix.stems}
    return dg.AssetCheckResult(passed=not problems, severity=dg.AssetCheckSeverity.ERROR, metadata={
        "master_lufs": round(mix.master_lufs, 2), "master_target_lufs": mix.master_target_lufs,
        "master_true_peak_dbtp": round(mix.master_true_peak_dbtp, 2),
        **{f"{stem}_lufs": ("silent" if v is None else round(v, 2)) for stem, v in levels.items()},
        "problems": "; ".join(problems) or "none"})
