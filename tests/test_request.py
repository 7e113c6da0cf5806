"""One request parser: the CLI's flags, a dropped request file and the launchpad's config are checked
the same way, with messages that name the input as its caller shows it."""

import json

import dagster as dg
import pytest

from filmcraft.request import RequestError, parse_request, read_request_file


def test_messages_name_the_field_as_the_caller_shows_it():
    with pytest.raises(RequestError, match=r"^--film-id: film id '\.\./x' is not allowed"):
        parse_request({"film_id": "../x", "text": "A storm."}, names={"film_id": "--film-id"})
    with pytest.raises(RequestError, match=r"^film_id: film id '\.\./x' is not allowed"):
        parse_request({"film_id": "../x", "text": "A storm."})
    with pytest.raises(RequestError, match="audience: unknown audience"):
        parse_request({"text": "A storm.", "audience": "martians"}, environ={})
    # with a text model configured, any audience gets a profile written by the model
    assert parse_request({"text": "A storm.", "audience": "martians"},
                         environ={"FILMASTER_LLM_BASE_URL": "http://x"}).audience == "martians"


def test_defaults_budgets_and_film_id(tmp_path):
    req = parse_request({"text": "A storm over the harbour.", "video_seconds_budget": 12},
                        environ={"FILMASTER_LLM_TOKEN_BUDGET": "5000", "FILMASTER_VIDEO_SECONDS_BUDGET": "90"})
    assert (req.llm_token_budget, req.video_seconds_budget) == (5000, 12.0)
    assert req.film_id.startswith("a-storm-over-the-")
    with pytest.raises(RequestError, match="FILMASTER_LLM_TOKEN_BUDGET='lots' is not a number"):
        parse_request({"text": "x"}, environ={"FILMASTER_LLM_TOKEN_BUDGET": "lots"})
    with pytest.raises(RequestError, match="refs_dir .*: not a folder"):
        parse_request({"text": "x", "refs_dir": str(tmp_path / "missing")})


def test_request_files_are_read_with_limits(tmp_path):
    path = tmp_path / "r.json"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(RequestError, match="not UTF-8"):
        read_request_file(path)
    path.write_text("[" * 100_000)
    with pytest.raises(RequestError, match="nests too deeply|not valid JSON"):
        read_request_file(path)
    path.write_text(json.dumps({"film_id": "f", "text": "A storm.", "api_key": "sk-secret-123"}))
    with pytest.raises(RequestError) as err:
        read_request_file(path)
    assert "sk-secret-123" not in str(err.value) and "api_key" in str(err.value)


def test_film_request_asset_takes_launch_config_and_refuses_bad_values(tmp_path):
    """The launchpad path: config -> the same parser; a refused request writes nothing."""
    from filmaster_assets.defs.script.assets import film_request
    from resources.film_store import FilmStoreIOManager
    from resources.studio import StudioResource

    resources = {"studio": StudioResource(root=str(tmp_path)), "io_manager": FilmStoreIOManager(root=str(tmp_path))}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("filmaster_films", ["uifilm", "badfilm"])
        good = dg.materialize([film_request], partition_key="uifilm", instance=instance, resources=resources,
                              run_config={"ops": {"film_request": {"config": {"text": "A storm over the harbour.",
                                                                              "top_k": 4}}}})
        assert good.success
        stored = json.loads((tmp_path / "uifilm" / "request.json").read_text())
        assert stored["film_id"] == "uifilm" and stored["top_k"] == 4 and stored["schema_version"] == 1
        # no config: the film is made again from its stored request
        again = dg.materialize([film_request], partition_key="uifilm", instance=instance, resources=resources)
        assert again.success
        bad = dg.materialize([film_request], partition_key="badfilm", instance=instance, resources=resources,
                             raise_on_error=False,
                             run_config={"ops": {"film_request": {"config": {"text": "x", "top_k": 0}}}})
        assert not bad.success
        failure = [e for e in bad.all_events if e.is_step_failure][0]
        assert "top_k: Input should be greater than or equal to 1" in failure.step_failure_data.error.message
        assert not (tmp_path / "badfilm" / "request.json").exists()
