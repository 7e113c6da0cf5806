import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}: these tests need ../shared/data beside the checkout")
    return SHARED_DATA


@pytest.fixture(scope="session")
def library_template(tmp_path_factory) -> Path:
    """A studio whose ``.library`` (built-in audio library + both indexes) the real reindex job built
    once per session. Film tests copy it instead of each synthesising the library again (~45 s each);
    the first-use build itself is covered by the tests that start from an empty studio
    (test_concurrency, test_corpus, test_audio_library)."""
    from tests.crashkit import library_template as build

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # one build for all workers (it is made under a file lock)
        base = base.parent
    return build(base / "crashkit")


@pytest.fixture
def studio_with_library(library_template, tmp_path) -> Path:
    """``tmp_path/studio`` holding a copy of the session's library."""
    from tests.crashkit import studio_from_template

    return studio_from_template(library_template, tmp_path / "studio")

