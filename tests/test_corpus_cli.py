"""`filmaster ingest | search | corpus` as a user runs them: through Dagster on a persistent instance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def run_cli(args: list, tmp_path: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh"), "FILMASTER_HOME": str(tmp_path / "studio"),
           "FILMASTER_LOG_LEVEL": "ERROR"}
    (tmp_path / "dh").mkdir(exist_ok=True)
    (tmp_path / "dh" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return subprocess.run([sys.executable, "-m", "filmaster_assets.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


def partitions(tmp_path: Path, name: str) -> list[str]:
    code = f"import dagster as dg; print(dg.DagsterInstance.get().get_dynamic_partitions({name!r}))"
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh")}
    return eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout)


def test_jobs_and_partitions_are_registered():
    from filmaster_assets.definitions import defs

    assert defs.resolve_job_def("corpus_ingest_job").partitions_def.name == "filmaster_corpus_sources"
    assert defs.resolve_job_def("reindex_job").partitions_def is None
    sensor = {s.name: s for s in defs.get_repository_def().sensor_defs}["corpus_drop_sensor"]
    assert sensor.default_status.value == "RUNNING"


@pytest.mark.parametrize("content, args, expected", [
    (b"clip,description_long,mood\n1,A wide shot.,calm\n", ["--text-field", "caption"],
     "no field 'caption' for the caption text; fields found: clip, description_long, mood"),
    (b"\x00\x01binary\xff" * 100, [], "binary data"),
    (b"clip,mood\n1,calm\n", [], "none of text, caption"),
])
def test_bad_caption_input_is_refused_before_anything_is_registered(tmp_path, content, args, expected):
    path = tmp_path / "shots.csv"
    path.write_bytes(content)
    proc = run_cli(["ingest", "captions", str(path), *args], tmp_path)
    assert proc.returncode == 2 and expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert not (tmp_path / "studio" / ".library" / "sources" / "captions" / "shots").exists()


def test_ingest_search_stats_through_dagster(tmp_path, studio_with_library):
    rows = [
        {"clip": "c1", "caption": "A drone shot sweeps over a glacier at sunrise, tiny climbers roped together.", "genre": "documentary"},
        {"clip": "c2", "caption": "Handheld close-up of a chef flambéing in a cramped kitchen, sparks and steam.", "genre": "drama"},
        {"clip": "c3", "caption": "   ", "genre": "drama"},
        {"clip": "c1", "caption": "A second row with an id already used.", "genre": "drama"},
    ]
    path = tmp_path / "my shots.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n", encoding="utf-8")
    proc = run_cli(["ingest", "captions", str(path), "--text-field", "caption", "--id-field", "clip"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "source captions/my-shots" in proc.stdout and "rows        2" in proc.stdout and "quarantined 3" in proc.stdout
    assert partitions(tmp_path, "filmaster_corpus_sources") == ["captions:my-shots"]

    proc = run_cli(["search", "captions", "drone over roped climbers crossing a glacier at sunrise", "-k", "3", "--json"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)
    assert len(hits) == 3 and {"id", "score", "source", "text"} <= set(hits[0])
    mine = [h for h in hits if h["id"] == "my-shots:c1"]  # the starter corpus has aerial glaciers too
    assert mine and mine[0]["source"] == "my-shots" and mine[0]["fields"] == {"genre": "documentary"}
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]

    proc = run_cli(["corpus", "stats", "--json"], tmp_path)
    stats = json.loads(proc.stdout)["captions"]
    by_source = {s["source"]: s for s in stats["sources"]}
    assert by_source["my-shots"]["rows"] == 2 and by_source["my-shots"]["quarantined"] == 3
    assert by_source["starter"]["rows"] >= 300
    assert stats["index"]["rows"] == stats["rows"] and stats["index"]["index_type"] == "flat_ip"
    assert {r["reason"] for r in stats["top_quarantine_reasons"]} == {"empty text", "duplicate id", "unreadable"}

    # the same source again: no duplicates, nothing re-embedded
    proc = run_cli(["ingest", "captions", str(path), "--text-field", "caption", "--id-field", "clip"], tmp_path)
    assert proc.returncode == 0 and "(input unchanged)" in proc.stdout and "embedded    0 new" in proc.stdout, proc.stdout
    again = json.loads(run_cli(["corpus", "stats", "--json"], tmp_path).stdout)["captions"]
    assert again["index"]["rows"] == stats["index"]["rows"]


@pytest.mark.slow
def test_esc50_audio_ingest_and_search_cli(tmp_path, studio_with_library):
    esc50 = DATA / "esc50_subset"
    if not esc50.is_dir():
        pytest.skip(f"shared test data not found at {esc50}: these tests need ../shared/data beside the checkout")
    proc = run_cli(["ingest", "audio", str(esc50), "--tags-field", "category", "--source", "esc50"], tmp_path, timeout=900)
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(run_cli(["search", "audio", "dog barking", "-k", "4", "--json"], tmp_path).stdout)
    assert [h["tags"] for h in hits] == [["dog"]] * 4 and all(Path(h["path"]).is_file() for h in hits)
    assert {"id", "score", "source", "path", "tags"} <= set(hits[0])
    stats = json.loads(run_cli(["corpus", "stats", "--json"], tmp_path).stdout)["audio"]
    assert {s["source"] for s in stats["sources"]} == {"builtin", "esc50"} and stats["index"]["rows"] == stats["rows"]


def test_search_reads_the_embedder_key_from_the_environment(monkeypatch):
    """`filmaster search` builds its embedder outside a run: the key (a dg.EnvVar in the resource) must
    be read from the environment there too, not handed to the client unresolved."""
    from filmaster_assets.cli.corpus import _embedder
    from tests.openai_server import OpenAIServer, Reply

    with OpenAIServer() as server:
        server.queue("POST /v1/embeddings", Reply(body={"object": "list", "model": "e", "data": [
            {"object": "embedding", "index": 0, "embedding": [3.0, 4.0]}], "usage": {"prompt_tokens": 1, "total_tokens": 1}}))
        monkeypatch.setenv("FILMASTER_EMBED_BASE_URL", server.base_url)
        monkeypatch.setenv("FILMASTER_EMBED_MODEL", "e")
        monkeypatch.setenv("FILMASTER_EMBED_API_KEY", "sk-from-the-environment")
        embedder = _embedder()
        vecs = embedder.encode(["a storm at sea"])
    assert embedder._client.api_key == "sk-from-the-environment"  # not the variable's name
    assert vecs.tolist() == [[0.6000000238418579, 0.800000011920929]]


def test_search_reports_an_embeddings_endpoint_refusal_without_a_traceback(tmp_path, capsys, monkeypatch):
    """A 401 from the embeddings endpoint ends `filmaster search` with the role's message and the
    variable to set, exit code 2, no traceback."""
    import numpy as np

    from corpus_ingest.index import build_index
    from filmaster_assets.cli import corpus as corpus_cli
    from filmaster_assets.cli import main
    from tests.openai_server import OpenAIServer, Reply

    with OpenAIServer() as server:
        server.queue("POST /v1/embeddings", Reply(401, {"error": {"message": "Incorrect API key provided: sk-wr****"}}))
        monkeypatch.setenv("FILMASTER_EMBED_BASE_URL", server.base_url)
        monkeypatch.setenv("FILMASTER_EMBED_API_KEY", "sk-wrong-key-123456")
        monkeypatch.setenv("FILMASTER_EMBED_MODEL", "e")
        # an index built by this endpoint's embedder: the query is the first thing it is asked
        index_dir = tmp_path / "index"
        build_index(np.eye(2, dtype=np.float32), ["a", "b"], index_dir, "openai-compatible:e")
        monkeypatch.setattr(corpus_cli, "_ensure_index", lambda studio, kind, quiet: index_dir)
        code = main(["search", "captions", "a storm at sea", "--out", str(tmp_path / "studio")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "embedder" in err and "FILMASTER_EMBED_API_KEY" in err and "sk-wrong-key-123456" not in err
    assert server.calls("/embeddings") == 1
