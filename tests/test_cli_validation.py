"""Bad input to `filmaster make` ends with a clear message, exit code 2, and adds no partition."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cli(args: list, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh"), "FILMASTER_HOME": str(tmp_path / "studio")}
    (tmp_path / "dh").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "filmaster_assets.cli", *args], capture_output=True, env=env, timeout=120)


def partitions(tmp_path: Path) -> list[str]:
    if not (tmp_path / "dh").exists():
        return []
    code = ("import dagster as dg; from filmaster_assets.partitions import FILM_PARTITIONS_NAME as N; "
            "print(dg.DagsterInstance.get().get_dynamic_partitions(N))")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh")}
    return eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout)


@pytest.mark.parametrize("args, expected", [
    (["--text", ""], "empty"),
    (["--text", "   \n "], "empty"),
    (["--text", "a storm over the harbour", "--film-id", "../x"], "--film-id"),
    (["--text", "a storm over the harbour", "--film-id", "a/b"], "--film-id"),
    (["--text", "a storm", "--audience", "martians"], "--audience"),
    (["--text", "a storm", "--refs", "/nonexistent/refs"], "--refs"),
])
def test_bad_arguments(tmp_path, args, expected):
    proc = run_cli(["make", *args], tmp_path)
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.decode()
    assert expected in err and "Traceback" not in err
    assert partitions(tmp_path) == []


def test_huge_text_is_refused(tmp_path):
    words = tmp_path / "huge.txt"
    words.write_text(" ".join(["harbour"] * 20000), encoding="utf-8")
    proc = run_cli(["make", "--text-file", str(words)], tmp_path)
    assert proc.returncode == 2
    assert "20000 words" in proc.stderr.decode()
    assert partitions(tmp_path) == []


def test_non_utf8_bytes_are_refused(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Café au lait at the harbour".encode("latin-1"))
    proc = run_cli(["make", "--text-file", str(bad)], tmp_path)
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr.decode()
    # the same bytes straight on the command line
    proc = run_cli([b"make", b"--text", "Café".encode("latin-1")], tmp_path)
    assert proc.returncode == 2 and "not UTF-8" in proc.stderr.decode()
    assert partitions(tmp_path) == []


def test_the_cli_configures_the_dagster_home(tmp_path, monkeypatch):
    """A DAGSTER_HOME that does not exist yet is made (absolute, as Dagster needs) with a dagster.yaml, so
    Dagster's first-run telemetry banner and missing-config warning never reach the terminal; one the
    user configured keeps its dagster.yaml; a file where the folder should be is a clear error."""
    from filmaster_assets.cli.runtime import CliError, dagster_home

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", "not/yet/here")
    home = dagster_home(tmp_path / "studio")
    assert home == tmp_path / "not" / "yet" / "here" and home.is_dir()
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    assert "enabled: true" in (dagster_home(tmp_path / "studio") / "dagster.yaml").read_text()
    monkeypatch.delenv("DAGSTER_HOME")
    assert dagster_home(tmp_path / "studio") == tmp_path / "studio" / ".dagster"
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "a-file"))
    with pytest.raises(CliError, match="DAGSTER_HOME=.*a-file is a file"):
        dagster_home(tmp_path / "studio")
