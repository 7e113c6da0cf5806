"""`filmaster eval` end to end: one tiny case x three variants through the production graph, then the report."""

import json
import os

import polars as pl
import pytest

pytestmark = pytest.mark.slow

CASE = {"id": "harbour-thief", "text": "At night in the harbour, Mara chases a thief along the wet docks to the lighthouse.",
        "characters": ["Mara"], "locations": ["harbour", "lighthouse"]}


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("eval_e2e")
    env = {"FILMASTER_HOME": str(tmp / "studio"), "DAGSTER_HOME": str(tmp / "dagster_home")}
    old = {k: os.environ.get(k) for k in [*env, "FILMASTER_VISION_BASE_URL"]}
    os.environ.update(env)
    (tmp / "dagster_home").mkdir()
    cases = tmp / "cases.jsonl"
    cases.write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    from filmaster_assets.cli import main

    code = main(["eval", "--cases", str(cases), "--tiny", "--out", str(tmp / "report"), "--studio", str(tmp / "studio")])
    yield code, tmp
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_report_shows_every_variant(eval_run):
    code, tmp = eval_run
    assert code == 0
    report = (tmp / "report" / "report.md").read_text()
    for variant in ("full", "no_rag", "no_rhythm"):
        assert f"| {variant} | 1 |" in report
        assert (tmp / "studio" / f"bench-harbour-thief-{variant}" / "final.mp4").stat().st_size > 0
    assert "## Ablations against the full pipeline" in report
    for png in ("criteria_by_variant.png", "derived_by_variant.png"):
        assert (tmp / "report" / png).stat().st_size > 1000


def test_scores_parquet_one_row_per_case_and_variant(eval_run):
    _, tmp = eval_run
    table = pl.read_parquet(tmp / "report" / "scores.parquet")
    assert sorted(table["variant"].to_list()) == ["full", "no_rag", "no_rhythm"]
    assert table["judge"].str.starts_with("offline-measured-proxies").all()
    for col in ("SF", "VQ", "CT", "NP", "VAC", "OQ", "CL", "CRh", "average"):
        assert table[col].is_between(1, 7.5).all(), col
    assert table["PLC"].is_null().all() and table["CD"].is_null().all()
    # tiny films: 180 px frames, which the VQ proxy measures
    proxies = pl.read_parquet(tmp / "report" / "proxies.parquet")
    heights = proxies.filter(pl.col("measurement") == "height")["value"].to_list()
    assert heights == [180.0, 180.0, 180.0]


def test_no_rag_plans_without_references_and_no_rhythm_locks_the_rough_cut(eval_run):
    _, tmp = eval_run
    studio = tmp / "studio"
    refs = json.loads((studio / "bench-harbour-thief-no_rag" / "scenes" / "s01" / "references.json").read_text())
    assert refs["references"] == [] and refs["k"] == 0
    full_refs = json.loads((studio / "bench-harbour-thief-full" / "scenes" / "s01" / "references.json").read_text())
    assert full_refs["references"]
    rough = json.loads((studio / "bench-harbour-thief-no_rhythm" / "cut" / "rough_cut.json").read_text())
    lock = json.loads((studio / "bench-harbour-thief-no_rhythm" / "cut" / "picture_lock.json").read_text())
    assert [s["shot_id"] for s in rough["shots"]] == [d["shot_id"] for d in lock["decisions"]]
    assert all(d["decision"] == "retain" for d in lock["decisions"])


def test_report_asset_aggregates_the_bench_films(eval_run):
    _, tmp = eval_run
    table = pl.read_parquet(tmp / "studio" / ".benchmark" / "scores.parquet")
    assert table.height == 3 and set(table["film_id"]) == {f"bench-harbour-thief-{v}" for v in ("full", "no_rag", "no_rhythm")}
