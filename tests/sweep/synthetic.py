"""A synthetic Ray Tune trainable whose replicate seeds differ in luck, for scheduler tests.

Its objective (lower is better) depends on the configuration number (Optuna's trial number,
the order configurations are proposed) and the replicate: configurations 0-2 are middling
(2.0, 2.2, 2.4 throughout); configuration 3 is the best (mean 1.0 from iteration 4 on), but
its seed 0 starts badly (3.0 at iteration 2) while seed 1 starts well (0.5). It reports
`iteration` and the objective every 2 iterations with a checkpoint, so Tune can pause and
resume it, and appends (iteration, wall-clock time) per report to `_log_dir`/CONFIG-REP.jsonl.
`_slow_start` {"CONFIG/REP": seconds} makes that replicate sleep so long per iteration up to
the first rung (iteration 2), so its sibling waits there.

Run as a script it is a sweep driver (`run` or `resume`) on a given Ray address whose
trainable is this one, for tests that kill the driver.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import ray
from ray import tune

from gansweep.sweep import tuner
from gansweep.sweep.searcher import OBJECTIVE
from gansweep.sweep.spec import parse_spec
from gansweep.sweep.storage import Location

MIDDLING = {0: 2.0, 1: 2.2, 2: 2.4}


def value(config_id: int, replicate: int, iteration: int) -> float:
    if config_id in MIDDLING:
        return MIDDLING[config_id]
    if iteration <= 2:
        return (3.0, 0.5)[replicate % 2]
    return (1.2, 0.8)[replicate % 2]


def trainable(config: dict) -> None:
    cid, rep = config["config_id"], config["replicate"]
    slow = config.get("_slow_start", {}).get(f"{cid}/{rep}", 0.0)
    start = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as d:
            start = json.loads((Path(d) / "state.json").read_text())["iteration"]
    log = Path(config["_log_dir"]) / f"{cid}-{rep}.jsonl"
    for it in range(start + 1, config["_iterations"] + 1):
        time.sleep(slow if it <= 2 else 0.0)
        if it % 2 == 0:
            with tempfile.TemporaryDirectory() as d:
                (Path(d) / "state.json").write_text(json.dumps({"iteration": it}))
                with log.open("a") as f:
                    f.write(json.dumps({"iteration": it, "time": time.time(),
                                        "pid": os.getpid()}) + "\n")
                tune.report({"iteration": it, OBJECTIVE: value(cid, rep, it)},
                            checkpoint=tune.Checkpoint.from_directory(d))


def wait(condition, timeout: float) -> None:
    """Poll `condition` until it holds, or raise after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError(f"waited {timeout} s")


def this_trainable(spec):
    """What gansweep's sweep driver trains instead of the GAN (tuner._trainable's stand-in)."""
    return tune.with_resources(trainable, {"cpu": spec.cpu})


def with_this_trainable() -> None:
    """For this file's own driver process only: a test patches tuner._trainable with
    `this_trainable` through monkeypatch, so later tests get the GAN back."""
    tuner._trainable = this_trainable


if __name__ == "__main__":  # synthetic.py run|resume ADDRESS EXPERIMENT [SPEC_JSON EXTRA_JSON]
    command, address, where = sys.argv[1:4]
    with_this_trainable()
    ray.init(address=address, log_to_driver=False)
    if command == "run":
        tuner.run_sweep(parse_spec(json.loads(sys.argv[4])), Location(where),
                        extra_config=json.loads(sys.argv[5]), progress_every_s=1e9)
    else:
        tuner.resume_sweep(Location(where))
