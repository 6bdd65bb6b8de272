"""Fixtures of the analysis tests: the hand-written experiment `fx` (analysis_fixtures.py)
and one real smoke-test sweep of sweeps/quickstart.yaml, run once per session."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from analysis_fixtures import write_experiment


@pytest.fixture
def fx(tmp_path) -> Path:
    return write_experiment(tmp_path / "fx")


SMOKE = """
import sys, ray
from gansweep.cli import main
try:
    rc = main(["run", "sweeps/quickstart.yaml", "--smoke-test", "--storage", sys.argv[1],
               "--progress-every", "600"])
finally:
    ray.shutdown()
sys.exit(rc)
"""


@pytest.fixture(scope="session")
def real_sweep(tmp_path_factory) -> Path:
    """The quickstart sweep at smoke-test scale (one configuration, two replicates, 4
    iterations, evaluations at 2 and 4), run once in a child process that shuts its own Ray
    down (about a minute). Tests read it and never change it (copy it to change it).

    Under pytest-xdist each worker is a session of its own: the sweep is run once for the
    run, in the directory the workers' temporary directories share, by the first worker that
    asks; the others wait on the lock and read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    storage = root / "real-sweep"
    experiment = storage / "quickstart"
    with open(root / "real-sweep.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (experiment / "gansweep-trials.json").exists():
            _run_real_sweep(storage)
    ledger = json.loads((experiment / "gansweep-trials.json").read_text())
    assert {e["state"] for e in ledger.values()} == {"finished"}, ledger
    return experiment


def _run_real_sweep(storage: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    # "local": a private Ray, never one that `ray start` left running on this machine.
    env = {**os.environ, "RAY_ADDRESS": "local"}
    done = subprocess.run([sys.executable, "-c", SMOKE, str(storage)], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
