"""Which checkpoints a sweep keeps: with `optimize: best` every report after the best one
carries the same objective (the best so far), and Ray breaks ties for the later checkpoint,
so the best evaluation's checkpoint used to be deleted once two later ones existed. The
checkpoints are ranked by each evaluation's own score instead: the best and the latest stay."""

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
from trainables.gan import Objective

pytestmark = pytest.mark.slow
FID = {2: 5.0, 4: 1.0, 6: 3.0, 8: 4.0, 10: 6.0}  # the best at 4, then only worse
SPEC = {"name": "keep", "model": "WGAN", "data": {"name": "digits"}, "iterations": 10,
        "eval_every": 2, "metric": "fid_digits", "optimize": "best", "searcher": "random",
        "num_samples": 1, "search": {"loss.eta": {"uniform": [1.0, 30.0]}},
        "keep_checkpoints": 2, "resources": {"cpu": 1}, "max_failures": 0}


def trainable(config: dict) -> None:
    """Reports as trainables.gan does (Objective.scores), with checkpoints named like its."""
    objective = Objective("fid_digits", "min", "best")
    for it, fid in FID.items():
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / f"ckpt-{it:09d}.pt").write_bytes(b"state")
            (Path(d) / "metrics.jsonl").write_text("".join(
                json.dumps({"kind": "eval", "iteration": i, "fid_digits": v}) + "\n"
                for i, v in FID.items() if i <= it))
            tune.report({"iteration": it, **objective.scores({"fid_digits": fid}), "fid_digits": fid},
                        checkpoint=tune.Checkpoint.from_directory(d))


def test_the_best_and_the_latest_checkpoint_are_kept(tmp_path, monkeypatch):
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    cloudpickle.register_pickle_by_value(__import__(__name__, fromlist=["_"]))
    monkeypatch.setattr(tuner, "_trainable", lambda spec: tune.with_resources(trainable, {"cpu": 1}))
    try:
        where = Location(tmp_path).child("keep")
        run_sweep(parse_spec(SPEC), where, progress_every_s=1e9)
    finally:
        ray.shutdown()
    (trial,) = read_experiment(str(tmp_path / "keep")).trials
    # Ray keeps the two best by score, and the latest besides (before: 8 and 10 only)
    assert sorted(trial.checkpoints) == [4, 6, 10]
