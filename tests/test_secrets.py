"""An API key set in the environment never lands in the studio (artifacts, caches, OTIO, reports)
or in the Dagster instance (run config, event logs, metadata): the test greps every file for it."""

import pytest

from tests.director_llm import DirectorLLM
from tests.openai_server import OpenAIServer

pytestmark = pytest.mark.slow

SECRET = "sk-filmaster-test-7f3a9c1e5b2d4086"


def test_api_key_never_written(tmp_path, monkeypatch):
    responder = DirectorLLM()
    with OpenAIServer() as server:
        server.queue("POST /v1/chat/completions", responder)
        for k, v in {"FILMASTER_LLM_BASE_URL": server.base_url, "FILMASTER_LLM_MODEL": "director-test",
                     "FILMASTER_LLM_API_KEY": SECRET, "DAGSTER_HOME": str(tmp_path / "dh")}.items():
            monkeypatch.setenv(k, v)
        (tmp_path / "dh").mkdir()
        from filmaster_assets.cli import _setup_env, build_request, make_film
        from filmcraft.contracts import FilmRequest

        studio = _setup_env(str(tmp_path / "studio"))
        req = FilmRequest(**{**build_request("At night in the harbour, Mara chases a thief along the wet docks.",
                                             "sec", None, "general", False, 0).model_dump(),
                             "width": 256, "height": 144, "fps": 12, "max_scenes": 1, "max_shots_per_scene": 2})
        film = make_film(req, studio)
        # the LLM role (configured with the key) really answered the text stages
        assert sum(responder.calls.values()) >= 5
    assert (film / "final.mp4").exists() and (film / "timeline.otio").exists()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) > 50
    leaked = [str(p) for p in files if SECRET.encode() in p.read_bytes()]
    assert leaked == []
