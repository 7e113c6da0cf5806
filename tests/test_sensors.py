"""The request drop folder becomes partitions and runs; bad requests are set aside with a reason."""

import json

import dagster as dg

from filmaster_assets.sensors import film_request_sensor
from resources.models import StudioResource


def test_request_sensor_adds_partition_and_run(tmp_path):
    studio = StudioResource(root=str(tmp_path))
    drops = tmp_path / ".requests"
    drops.mkdir()
    (drops / "good.json").write_text(json.dumps({"film_id": "harbour", "text": "A storm over the harbour."}))
    (drops / "bad_id.json").write_text(json.dumps({"film_id": "../escape", "text": "x"}))
    (drops / "latin1.json").write_bytes('{"film_id": "cafe", "text": "Caf\xe9"}'.encode("latin-1"))
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"studio": studio})
        result = film_request_sensor(ctx)
    assert [r.partition_key for r in result.run_requests] == ["harbour"]
    assert result.dynamic_partitions_requests[0].partition_keys == ["harbour"]
    assert json.loads((tmp_path / "harbour" / "request.json").read_text())["text"] == "A storm over the harbour."
    assert (drops / "accepted" / "good.json").exists()
    assert "film id" in (drops / "rejected" / "bad_id.json.error.txt").read_text()
    assert (drops / "rejected" / "latin1.json.error.txt").exists()
    assert not (tmp_path / "escape").exists() and not (tmp_path.parent / "escape").exists()
    assert list(drops.glob("*.json")) == []
