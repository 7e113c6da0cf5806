"""`filmaster eval` end to end: one tiny case x three variants through the production graph, then the report."""

import json
import os

import polars as pl
import pytest

pytestmark = pytest.mark.slow

CASE = {"id": "harbour-thief", "text": "At night in the harbour, Mara chases a thief along the wet docks to the lighthouse.",
        "characters": ["Mara"], "locations": ["harbour", "lighthouse"]}


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory, library_template):
    from tests.crashkit import studio_from_template

    tmp = tmp_path_factory.mktemp("eval_e2e")
    studio_from_template(library_template, tmp / "studio")
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


def test_filmeval_asset_uses_the_vision_judge_when_configured(eval_run):
    """The same asset, with the vision role pointed at a local server: the LLM judge scores the film."""
    import dagster as dg

    from evaluation.criteria import CODES
    from filmaster_assets.definitions import ASSET_MODULES
    from filmcraft.contracts import CRITERIA
    from resources.embeddings import EmbeddingResource
    from resources import build_resources
    from resources.film_store import FilmStoreIOManager
    from resources.studio import StudioResource
    from resources.vision import VisionModelResource
    from tests.openai_server import OpenAIServer, chat_reply

    _, tmp = eval_run
    answer = json.dumps({name: {"score": 4 if CODES[name] != "VQ" else 2, "reason": "seen"} for name in CRITERIA})
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", chat_reply(answer))
        # only filmeval_scores runs; its inputs are the film's stored contracts, read by the film store
        result = dg.materialize(
            dg.load_assets_from_modules(ASSET_MODULES), selection=["filmeval_scores"],
            partition_key="bench-harbour-thief-full", instance=dg.DagsterInstance.get(),
            resources={**build_resources(), "studio": StudioResource(root=str(tmp / "studio")),
                       "embeddings": EmbeddingResource(), "io_manager": FilmStoreIOManager(root=str(tmp / "studio")),
                       "vision": VisionModelResource(base_url=server.base_url, model="judge-test", samples=1,
                                                     keyframes=3)})
        sent = json.loads(server.requests[0][2])
    assert result.success
    film = tmp / "studio" / "bench-harbour-thief-full"
    scores = json.loads((film / "filmeval.json").read_text())
    assert scores["judge"].startswith("llm-vision-judge-v1 (openai-compatible:judge-test, 1 samples)")
    assert {c["criterion"]: c["score"] for c in scores["criteria"]}["visual_quality"] == 2
    assert len(list((film / "eval" / "keyframes").glob("*.jpg"))) == 3
    images = [p for p in sent["messages"][1]["content"] if p["type"] == "image_url"]
    assert len(images) == 3 and "Mara" in sent["messages"][1]["content"][0]["text"]
