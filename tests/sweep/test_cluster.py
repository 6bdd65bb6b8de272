"""Sweeps on Ray clusters that lose things: a killed driver, a removed worker node.

Each test owns a `ray.cluster_utils.Cluster` and shuts it down; the driver runs in its own
process (`gansweep run --address`) where the test kills it.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import ray
import yaml
from ray.cluster_utils import Cluster

from gansweep.models.families import smoke_config
from gansweep.sweep.spec import parse_spec
from gansweep.sweep.storage import TRIALS_FILE, Location
from gansweep.sweep.tuner import run_sweep

from .killed import KEEP_ALL

pytestmark = pytest.mark.slow
TINY = {"name": "tiny", "model": "AC-WGAN.a", "data": {"name": "digits"},
        "config": {**smoke_config(), "train.log_every": 2}, "iterations": 8, "eval_every": 2,
        "metric": "fid_digits", "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}},
        "num_samples": 2, "replicates": 2, "max_failures": 3, "resources": {"cpu": 1}}


@pytest.fixture
def cluster():
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    yield c
    ray.shutdown()
    c.shutdown()


def ledger(where: Location) -> dict:
    try:
        return where.read_json(TRIALS_FILE, {}) or {}
    except json.JSONDecodeError:  # being replaced right now
        return {}


def wait_for(condition, timeout=240, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"waited {timeout} s for {what}")


def assert_complete(where: Location, configs: int, replicates: int):
    """Every configuration x replicate ran exactly once, and finished."""
    entries = list(ledger(where).values())
    assert [e["state"] for e in entries] == ["finished"] * configs * replicates
    assert {(e["config_id"], e["replicate"]) for e in entries} == {
        (c, r) for c in {e["config_id"] for e in entries} for r in range(replicates)}
    assert len({e["config_id"] for e in entries}) == configs


def test_a_killed_driver_is_resumed_to_exactly_all_trials(cluster, tmp_path):
    cluster.add_node(num_cpus=1)
    spec_file = tmp_path / "tiny.yaml"
    spec_file.write_text(yaml.safe_dump({**TINY, "iterations": 60, "eval_every": 6, **KEEP_ALL}))
    where = Location(tmp_path / "runs").child("tiny")
    cmd = [sys.executable, "-m", "gansweep.cli"]
    env = {**os.environ, "TUNE_GLOBAL_CHECKPOINT_S": "1"}
    driver = subprocess.Popen([*cmd, "run", str(spec_file), "--address", cluster.address,
                               "--storage", str(tmp_path / "runs"), "--progress-every", "5"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        def some_finished_some_not():
            states = [e["state"] for e in ledger(where).values()]
            return "finished" in states and states.count("finished") < 4

        wait_for(some_finished_some_not, what="a finished trial and an unfinished one")
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    assert len([e for e in ledger(where).values() if e["state"] == "finished"]) < 4
    resumed = subprocess.run([*cmd, "resume", where.uri, "--address", cluster.address],
                             env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert_complete(where, 2, 2)
    trial_dirs = [d for d in where.subdirs() if where.exists(f"{d}/params.json")]
    assert len(trial_dirs) == 4


def test_removing_a_worker_node_mid_sweep_loses_no_trial(cluster, tmp_path):
    worker = cluster.add_node(num_cpus=1)
    ray.init(address=cluster.address, log_to_driver=False)
    spec = parse_spec({**TINY, "num_samples": 2, "replicates": 1, "iterations": 80})
    where = Location(tmp_path / "runs").child("tiny")
    outcome = {}
    sweep = threading.Thread(target=lambda: outcome.update(grid=run_sweep(spec, where, progress_every_s=1e9)))
    sweep.start()
    # Two trials run at once only when one of them is on the worker (the head has 1 CPU).
    def reporting_from_worker():  # Ray's own per-report files: no ledger flush delay
        assert sweep.is_alive(), "the sweep ended before a trial reported from the worker"
        for d in where.subdirs():
            lines = where.read_text(f"{d}/result.json").splitlines() if where.exists(f"{d}/result.json") else []
            try:
                last = json.loads(lines[-1]) if lines else {}
            except json.JSONDecodeError:  # a line still being written
                continue
            if last.get("node_id") == worker.node_id and last.get("iteration", 0) < 60:
                return True
        return False

    wait_for(reporting_from_worker, timeout=120, what="a trial reporting from the worker")
    cluster.remove_node(worker, allow_graceful=False)
    sweep.join(timeout=300)
    assert not sweep.is_alive()
    assert not outcome["grid"].errors
    assert_complete(where, 2, 1)
    assert sum(e["failures"] for e in ledger(where).values()) >= 1  # one was lost and resumed
