"""A film made in the Dagster UI, end to end, in a real browser: `dagster dev` on loopback, Debian's
Chromium driven by Playwright. The test adds a film partition, fills the launch config with a short theme,
launches, waits for the sensors to carry the film through scenes and post-production, and reads the
assets' metadata back from the pages. A second test submits a bad theme and sees the refusal, with the
message the CLI gives for the same theme.

Skips with a message where no Chromium or no Playwright is installed (`.ci/run` installs both).
Screenshots go to the test's folder, and to ``$FILMASTER_SCREENSHOTS`` when set (the README's come from
``FILMASTER_SCREENSHOTS=docs/ui``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FILMASTER_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
THEME = "At night in the harbour, Mara chases a thief along the wet docks."
TINY = {"width": 320, "height": 180, "fps": 12, "max_scenes": 2, "max_shots_per_scene": 2}
FILM_WAIT_S = 600


def expect(locator):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UI:
    def __init__(self, base: str, studio: Path, home: Path, shots: Path, page):
        self.base, self.studio, self.home, self.shots, self.page = base, studio, home, shots, page

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / name))
        extra = os.environ.get("FILMASTER_SCREENSHOTS")
        if extra:
            Path(ROOT / extra).mkdir(parents=True, exist_ok=True)
            shutil.copy(self.shots / name, ROOT / extra / name)

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        skip = self.page.get_by_role("button", name="Skip")  # the community sign-up card on a fresh instance
        if skip.count():
            skip.click()

    def show_markdown(self, key: str, screenshot: str) -> None:
        """Open a metadata row's markdown (previews are images inlined as markdown), screenshot it, close it."""
        row = self.page.locator("tr", has=self.page.get_by_text(key, exact=True)).first
        row.get_by_text("[Show Markdown]").click()
        image = self.page.get_by_role("dialog").locator("img[src^='data:image/jpeg']").first
        image.wait_for()
        assert image.evaluate("img => img.naturalWidth") > 100  # a real picture, not a broken link
        self.page.wait_for_timeout(1000)  # the dialog fades in
        self.shot(screenshot)
        self.page.keyboard.press("Escape")

    def launch_film(self, film_id: str, config: dict, screenshot: str | None = None) -> None:
        """Materialize film_request for a new partition with this launch config, as a film-maker would."""
        page = self.page
        self.goto("/assets/film_request")
        materialize = page.get_by_role("button", name="Materialize", exact=False).first
        expect(materialize).to_be_enabled(timeout=120_000)  # disabled until the asset's definition has loaded
        materialize.click()
        page.get_by_text("Add a partition").click()
        dialog = page.get_by_role("dialog").filter(has_text="Add a partition for filmaster_films")
        dialog.get_by_role("textbox").fill(film_id)
        dialog.get_by_role("button", name="Save").click()
        page.get_by_text("Config", exact=True).click()
        page.get_by_text("Add config").click()
        editor = page.locator(".CodeMirror").first
        editor.wait_for()
        yaml = "ops:\n  film_request:\n    config:\n" + "".join(
            f"      {k}: {json.dumps(v)}\n" for k, v in config.items())
        page.evaluate("([el, text]) => el.CodeMirror.setValue(text)", [editor.element_handle(), yaml])
        page.wait_for_timeout(500)
        if screenshot:
            self.shot(screenshot)
        page.get_by_role("button", name="Save config").click()
        page.get_by_role("button", name=re.compile("^Launch 1 run")).click()
        page.wait_for_timeout(1500)


@pytest.fixture(scope="module")
def ui(library_template, tmp_path_factory):
    if not CHROMIUM:
        pytest.skip("no Chromium installed (Debian package chromium): `.ci/run` installs it; "
                    "`apt-get install chromium` to run the browser tests here")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed: pip install -e '.[test]'")
    from tests.crashkit import studio_from_template

    tmp = tmp_path_factory.mktemp("ui")
    studio = studio_from_template(library_template, tmp / "studio")
    home = tmp / "dagster_home"
    home.mkdir()
    # the run queue is checked every second instead of every 5 s: a film is 5 runs
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nrun_coordinator:\n"
                                       "  module: dagster.core.run_coordinator\n  class: QueuedRunCoordinator\n"
                                       "  config:\n    dequeue_interval_seconds: 1\n")
    port = _free_port()
    env = {**os.environ, "FILMASTER_HOME": str(studio), "DAGSTER_HOME": str(home)}
    for key in [k for k in env if k.startswith("FILMASTER_") and k.endswith("_BASE_URL")]:
        env.pop(key)  # the UI film is made by the embedded backends
    log = open(tmp / "dagster_dev.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "dagster", "dev", "-w", str(ROOT / "workspace.yaml"),
                             "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/server_info", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"dagster dev did not start: {(tmp / 'dagster_dev.log').read_text()[-3000:]}")
                time.sleep(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(120_000)  # a busy 2-core machine renders the UI slowly
            shots = tmp / "screenshots"
            shots.mkdir()
            yield UI(base, studio, home, shots, page)
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _instance(home: Path):
    import dagster as dg

    return dg.DagsterInstance.from_config(str(home))


def _runs(ui: UI, film_id: str) -> list[tuple[str, str, str]]:
    """(job, status, partition) of every run of the film so far."""
    return [(r.job_name, r.status.value, r.tags.get("dagster/partition", "")) for r in _instance(ui.home).get_runs()
            if r.tags.get("dagster/partition", "").split("|")[0] == film_id]


def test_a_film_is_made_from_the_ui(ui):
    film_id = "uifilm"
    started = time.monotonic()
    ui.launch_film(film_id, {"text": THEME, **TINY}, screenshot="launch_config.png")
    film = ui.studio / film_id
    deadline = time.monotonic() + FILM_WAIT_S
    while not (film / "filmeval.json").is_file():
        failed = [r for r in _runs(ui, film_id) if r[1] == "FAILURE"]
        assert not failed, f"a run of the UI film failed: {failed}"
        assert time.monotonic() < deadline, f"no film after {FILM_WAIT_S}s; runs: {_runs(ui, film_id)}"
        time.sleep(5)
    seconds = time.monotonic() - started
    print(f"UI film made in {seconds:.0f}s")
    (ui.shots / "film_seconds.txt").write_text(f"{seconds:.0f}\n")
    jobs = sorted({r[0] for r in _runs(ui, film_id)})
    assert {"script_job", "camera_job", "post_production_job"} <= set(jobs), jobs
    assert (film / "final.mp4").is_file() and (film / "timeline.otio").is_file()

    page = ui.page
    # FilmEval with its reasons, as a table on the asset page
    ui.goto("/assets/filmeval_scores")
    page.get_by_text("script_faithfulness").first.wait_for()
    text = page.inner_text("body")
    assert "CRh" in text and "offline-measured-proxies" in text and "not measured" in text
    ui.shot("filmeval_scores.png")

    # the picture-lock edit list and the cue sheet
    ui.goto("/assets/picture_lock")
    page.get_by_text("s01_sh01").first.wait_for()
    ui.shot("picture_lock_edl.png")
    ui.goto("/assets/sound_design")
    page.get_by_text("ambience").first.wait_for()
    ui.shot("cue_sheet.png")

    # the loudness report and a picture of the levels; the mix's quality gate with its measured values
    ui.goto("/assets/mix")
    page.get_by_text("master_lufs").first.wait_for()
    ui.show_markdown("levels", "mix_levels.png")
    ui.goto("/assets/mix?view=checks")
    page.get_by_text("mix_loudness").first.wait_for()
    ui.shot("mix_checks.png")

    # every shot's key frame on the rough cut, and where the film and the timeline are
    ui.goto("/assets/rough_cut")
    ui.show_markdown("contact_sheet", "rough_cut_contact_sheet.png")
    ui.goto("/assets/final_film")
    page.get_by_text("final.mp4").first.wait_for()
    ui.goto("/assets/otio_timeline")
    page.get_by_text("timeline.otio").first.wait_for()


def test_a_bad_theme_is_refused_in_the_ui_as_by_the_cli(ui, tmp_path):
    theme = "word " * 2001
    film_id = "uirefused"
    ui.launch_film(film_id, {"text": theme, **TINY})
    deadline = time.monotonic() + 180
    while not [r for r in _runs(ui, film_id) if r[1] == "FAILURE"]:
        assert time.monotonic() < deadline, f"the bad request was not refused: {_runs(ui, film_id)}"
        time.sleep(3)
    instance = _instance(ui.home)
    run = [r for r in instance.get_runs() if r.tags.get("dagster/partition") == film_id][0]
    ui.goto(f"/runs/{run.run_id}")
    ui.page.get_by_text("the theme text has 2001 words").first.wait_for()
    ui.page.wait_for_timeout(1000)
    ui.shot("refused_request.png")
    assert not (ui.studio / film_id / "request.json").exists()  # nothing written for a refused request

    cli = subprocess.run([sys.executable, "-m", "filmaster_assets.cli", "make", "--text", theme, "--out",
                          str(tmp_path / "studio")], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}, cwd=ROOT)
    assert cli.returncode == 2
    message = cli.stderr.split("--text: ", 1)[1].strip()
    assert message.startswith("the theme text has 2001 words")
    assert message in ui.page.inner_text("body")
