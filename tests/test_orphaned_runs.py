"""A run whose ``filmaster`` process died stays STARTED in the instance; the next command marks it
failed, and leaves alone runs whose process is alive or that another host started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun

from filmaster_assets.cli.runtime import RUN_HOST_TAG, RUN_PID_TAG, fail_orphaned_runs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _started_run(instance, run_id: str, host: str, pid: int) -> None:
    instance.add_run(DagsterRun(job_name="script_job", run_id=run_id, status=dg.DagsterRunStatus.STARTED,
                                tags={RUN_HOST_TAG: host, RUN_PID_TAG: str(pid)}))


def test_runs_of_dead_processes_are_marked_failed_and_live_ones_kept(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        host = socket.gethostname()
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            _started_run(instance, "killed", host, _dead_pid())
            _started_run(instance, "running", host, sleeper.pid)
            _started_run(instance, "mine", host, os.getpid())
            _started_run(instance, "elsewhere", host + "-other", _dead_pid())

            assert fail_orphaned_runs(instance) == ["killed"]

            status = {r: instance.get_run_by_id(r).status for r in ("killed", "running", "mine", "elsewhere")}
            assert status == {"killed": dg.DagsterRunStatus.FAILURE, "running": dg.DagsterRunStatus.STARTED,
                              "mine": dg.DagsterRunStatus.STARTED, "elsewhere": dg.DagsterRunStatus.STARTED}
            failure = [e for e in instance.all_logs("killed") if e.dagster_event and e.dagster_event.is_run_failure]
            assert failure and "ended without finishing" in failure[0].message, failure
            assert fail_orphaned_runs(instance) == []  # once only
        finally:
            sleeper.kill()
            sleeper.wait()
