"""Per-configuration successive halving on a small local Ray, with a synthetic trainable
whose seeds differ in luck (tests/sweep/synthetic.py): the unlucky seed's configuration
survives its rung under ReplicatedASHA and is split by per-trial ASHA; replicates end at equal
iterations; and a driver killed while a replicate waits at a rung resumes correctly."""

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import ray
from ray import cloudpickle
from ray.cluster_utils import Cluster
from ray.tune.schedulers import ASHAScheduler

from gansweep.sweep import scheduler as scheduler_module
from gansweep.sweep.scheduler import RUNGS_FILE
from gansweep.sweep.spec import parse_spec
from gansweep.sweep.storage import TRIALS_FILE, Location
from gansweep.sweep.study import load_study
from gansweep.sweep import tuner
from gansweep.sweep.tuner import run_sweep

from . import synthetic
from .killed import KEEP_ALL

pytestmark = pytest.mark.slow
SPEC = {"name": "luck", "model": "WGAN", "data": {"name": "digits"}, "iterations": 18,
        "eval_every": 2, "metric": "fid_digits", "searcher": "random", "num_samples": 4,
        "replicates": 2, "search": {"loss.eta": {"uniform": [1.0, 30.0]}},
        "scheduler": {"kind": "asha", "grace_period": 2, "reduction_factor": 3},
        # One configuration at a time, in Optuna's order: 0-2 middling, then 3 (the lucky one).
        "resources": {"cpu": 1}, "max_concurrent_trials": 2, "max_failures": 0}


@pytest.fixture(scope="module")
def local_ray():
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    cloudpickle.register_pickle_by_value(synthetic)  # Ray's workers need not import tests/
    with pytest.MonkeyPatch.context() as patch:  # undone after the module: later sweeps train GANs
        patch.setattr(tuner, "_trainable", synthetic.this_trainable)
        yield
    cloudpickle.unregister_pickle_by_value(synthetic)
    ray.shutdown()


def table(where: Location) -> dict[tuple[int, int], dict]:
    """(config, replicate) -> its ledger entry."""
    return {(e["config_id"], e["replicate"]): e for e in where.read_json(TRIALS_FILE).values()}


def told(where: Location) -> dict[int, optuna.trial.FrozenTrial]:
    """Optuna's trials, from the study's journal in the experiment directory."""
    return {t.number: t for t in load_study(where).trials}


def sweep(tmp_path, name):
    where = Location(tmp_path).child(name)
    (tmp_path / name / "log").mkdir(parents=True)
    run_sweep(parse_spec(SPEC), where, progress_every_s=1e9,
              extra_config={"_iterations": 18, "_log_dir": str(tmp_path / name / "log")})
    return where


def test_a_good_config_with_an_unlucky_seed_survives_only_under_the_replicated_scheduler(
        local_ray, tmp_path, monkeypatch):
    ours = sweep(tmp_path, "replicated")
    entries = table(ours)
    reached = {k: e["iteration"] for k, e in entries.items()}
    assert reached == {(0, 0): 18, (0, 1): 18, (1, 0): 2, (1, 1): 2, (2, 0): 2, (2, 1): 2,
                       (3, 0): 18, (3, 1): 18}
    # The table shows the last rung ("18: reached the budget", since 3818740); the rung at
    # 2 is in the rung state: config 3 continued there, on both seeds.
    assert "reached the budget on 2/2 seeds" in entries[(3, 0)]["rung"]
    first_rung = rungs(ours)["decided"]["3"][repr(2.0)]
    assert first_rung["action"] == scheduler_module.CONTINUE and first_rung["seeds"] == 2
    trials = told(ours)
    assert trials[3].state == optuna.trial.TrialState.COMPLETE and trials[3].value == pytest.approx(1.0)
    assert trials[3].intermediate_values[2] == pytest.approx(1.75)  # the seeds' mean at the rung
    assert [trials[k].state for k in (1, 2)] == [optuna.trial.TrialState.PRUNED] * 2
    assert [trials[k].value for k in (1, 2)] == pytest.approx([2.2, 2.4])

    # The same sweep under Tune's per-trial ASHA (what gansweep built before).
    monkeypatch.setattr(scheduler_module, "ReplicatedASHA", lambda **kw: ASHAScheduler(
        time_attr="iteration", max_t=kw["max_t"], grace_period=kw["grace_period"],
        reduction_factor=kw["reduction_factor"]))
    theirs = table(sweep(tmp_path, "per-trial"))
    assert (theirs[(3, 0)]["iteration"], theirs[(3, 1)]["iteration"]) == (2, 18)  # split
    assert theirs[(3, 0)]["state"] == "stopped"


def test_a_driver_killed_while_a_replicate_waits_at_a_rung_resumes_correctly(tmp_path):
    cluster = Cluster(initialize_head=True,
                      head_node_args={"num_cpus": 2, "include_dashboard": False})
    where = Location(tmp_path / "runs").child("luck")
    logs = tmp_path / "log"
    logs.mkdir()
    # Config 0's seed 1 takes 5 s per iteration to the rung: seed 0 waits there for it.
    extra = {"_iterations": 18, "_log_dir": str(logs), "_slow_start": {"0/1": 5.0}}
    driver = [sys.executable, str(Path(synthetic.__file__)), "run", cluster.address, where.uri,
              json.dumps({**SPEC, **KEEP_ALL, "num_samples": 2}), json.dumps(extra)]
    env = {**os.environ, "TUNE_GLOBAL_CHECKPOINT_S": "1"}
    try:
        proc = subprocess.Popen(driver, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            synthetic.wait(lambda: rungs(where).get("waiting"), 120)
            synthetic.wait(lambda: glob.glob(os.path.join(where.path, "experiment_state-*")), 30)
            time.sleep(2)  # a Tune snapshot with the replicate paused at its rung
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        (waiting,) = rungs(where)["waiting"].values()
        assert waiting["config"] == "0" and not (logs / "0-1.jsonl").exists()  # seed 1 not there yet
        resumed = subprocess.run([sys.executable, str(Path(synthetic.__file__)), "resume",
                                  cluster.address, where.uri], env=env, capture_output=True,
                                 text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    finally:
        ray.shutdown()
        cluster.shutdown()
    entries = table(where)
    assert {k: e["iteration"] for k, e in entries.items()} == {
        (0, 0): 18, (0, 1): 18, (1, 0): 2, (1, 1): 2}  # config 1 (2.2) stopped as a whole
    state = rungs(where)
    assert state["decided"]["0"][repr(2.0)]["seeds"] == 2 and not state["waiting"]
    # Seed 0 went past the rung only after seed 1 reached it: it waited, across the kill.
    seed0 = [json.loads(line) for line in (logs / "0-0.jsonl").read_text().splitlines()]
    seed1 = [json.loads(line) for line in (logs / "0-1.jsonl").read_text().splitlines()]
    at_rung = min(r["time"] for r in seed1 if r["iteration"] == 2)
    assert all(r["time"] > at_rung for r in seed0 if r["iteration"] > 2)
    assert sorted({r["iteration"] for r in seed0}) == list(range(2, 19, 2))
    trials = told(where)
    assert trials[0].state == optuna.trial.TrialState.COMPLETE
    assert trials[0].value == pytest.approx(2.0) and len(trials) == 2


def rungs(where: Location) -> dict:
    return json.loads(where.read_text(RUNGS_FILE)) if where.exists(RUNGS_FILE) else {}


