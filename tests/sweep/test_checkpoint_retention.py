"""Which checkpoints a sweep keeps: the newest `keep_checkpoints` (what Ray's resume after a
killed driver relies on), each carrying the best evaluation's checkpoint file too, so the
held-out evaluation finds the best one however long ago it was written."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import ray
from ray import cloudpickle, tune

from analysis.experiment import read_experiment
from gansweep.sweep import tuner
from gansweep.sweep.spec import parse_spec
from gansweep.sweep.storage import Location
from gansweep.sweep.tuner import run_sweep
from trainables.gan import BestCheckpoint, Objective

pytestmark = pytest.mark.slow
FID = {2: 5.0, 4: 1.0, 6: 3.0, 8: 4.0, 10: 6.0}  # the best at 4, then only worse
SPEC = {"name": "keep", "model": "WGAN", "data": {"name": "digits"}, "iterations": 10,
        "eval_every": 2, "metric": "fid_digits", "optimize": "best", "searcher": "random",
        "num_samples": 1, "search": {"loss.eta": {"uniform": [1.0, 30.0]}},
        "keep_checkpoints": 2, "resources": {"cpu": 1}, "max_failures": 0}


def trainable(config: dict) -> None:
    """Reports as trainables.gan does (Objective, BestCheckpoint), with checkpoints named like its."""
    objective = Objective("fid_digits", "min", "best")
    best = BestCheckpoint(Path(tempfile.mkdtemp()))
    for it, fid in FID.items():
        with tempfile.TemporaryDirectory() as work, tempfile.TemporaryDirectory() as d:
            path = Path(work) / f"ckpt-{it:09d}.pt"
            path.write_bytes(f"state {it}".encode())
            value = objective.update({"fid_digits": fid})
            if objective.improved:
                best.update(it, path)
            (Path(d) / path.name).write_bytes(path.read_bytes())
            best.add_to(Path(d))
            (Path(d) / "metrics.jsonl").write_text("".join(
                json.dumps({"kind": "eval", "iteration": i, "fid_digits": v}) + "\n"
                for i, v in FID.items() if i <= it))
            tune.report({"iteration": it, "objective": value, "fid_digits": fid},
                        checkpoint=tune.Checkpoint.from_directory(d))


def test_the_newest_checkpoints_are_kept_and_each_carries_the_best(tmp_path, monkeypatch):
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_"]))
    monkeypatch.setattr(tuner, "_trainable", lambda spec: tune.with_resources(trainable, {"cpu": 1}))
    try:
        where = Location(tmp_path).child("keep")
        run_sweep(parse_spec(SPEC), where, progress_every_s=1e9)
    finally:
        ray.shutdown()
    (trial,) = read_experiment(str(tmp_path / "keep")).trials
    assert sorted(trial.checkpoints) == [4, 8, 10]
    trial_dir = tmp_path / "keep" / trial.dir
    kept = sorted(p.name for p in trial_dir.glob("checkpoint_*"))
    assert len(kept) == 2  # the newest two reports (8 and 10), by recency
    for c in kept:  # each holds its own checkpoint and the best one's, intact
        assert (trial_dir / c / "ckpt-000000004.pt").read_bytes() == b"state 4"


def test_objective_improves_only_on_a_strictly_better_value():
    o = Objective("fid", "min", "best")
    seen = [(o.update({"fid": v}), o.improved) for v in (float("nan"), 5.0, 5.0, 7.0, 3.0)]
    assert seen == [(float("inf"), True), (5.0, True), (5.0, False), (5.0, False), (3.0, True)]
    last = Objective("is", "max", "last")
    assert [(last.update({"is": v}), last.improved) for v in (1.0, 2.0, 1.5)] == [
        (1.0, True), (2.0, True), (1.5, False)]
