"""Experiments for the analysis tests, written by hand in `gansweep run`'s layout, with
metric values that are closed-form functions of (configuration, replicate, iteration), so
every number the analysis reports can be recomputed.

The hand-written experiment `fx` sweeps lambda and b of SC-WGAN.b over five configurations:

    config  lambda  b  replicates
    0       0.1     2  finished, finished, finished
    1       1.0     1  finished, finished
    2       0.01    1  finished, errored at 50 (error.txt)
    3       0.3     2  finished, diverged at 60
    4       0.05    2  running at 40, pending (no directory yet)
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import yaml

BUDGET, EVERY = 100, 10
CONFIGS = {0: (0.1, 2), 1: (1.0, 1), 2: (0.01, 1), 3: (0.3, 2), 4: (0.05, 2)}
# (config, replicate, state, last iteration)
TRIALS = [(0, 0, "finished", 100), (0, 1, "finished", 100), (0, 2, "finished", 100),
          (1, 0, "finished", 100), (1, 1, "finished", 100),
          (2, 0, "finished", 100), (2, 1, "errored", 50),
          (3, 0, "finished", 100), (3, 1, "diverged", 60),
          (4, 0, "running", 40), (4, 1, "pending", None)]
ERROR = 'Traceback (most recent call last):\n  File "gan.py", line 3\nRuntimeError: CUDA out of memory\n'
REASON = "non-finite d_loss at iteration 60"


def trial_id(c: int, r: int) -> str:
    return f"{c:04x}{r:04x}"


def fid(c: int, r: int, it: int) -> float:
    return 40.0 * math.exp(-it / 30.0) + 10.0 + 2.0 * c + 0.5 * r + math.sin(it / 7.0 + c + r)


def metrics_at(c: int, r: int, it: int) -> dict:
    return {"fid_digits": fid(c, r, it),
            "is_digits": 1.0 + it / 50.0 + 0.1 * math.cos(it / 5.0 + c + r),
            "is_digits_std": 0.01 * (c + 1), "cond_acc": min(0.99, 0.1 + it / 200.0 + 0.01 * c)}


def seconds(c: int, it: int) -> float:
    return it * (0.5 + 0.1 * c)


def write_trial(root: Path, name: str, model: str, c: int, r: int, state: str, last: int) -> None:
    lam, b = CONFIGS[c]
    d = root / trial_id(c, r)
    d.mkdir()
    params = {"loss.sharing_lambda": lam, "model.shared_layers": b}
    config = {"model": {"preset": model, "shared_layers": b}, "data": {"name": "digits"},
              "loss": {"sharing_lambda": lam}, "train": {"iterations": BUDGET, "seed": r}}
    (d / "config.yaml").write_text(yaml.safe_dump(config))
    (d / "params.json").write_text(json.dumps({"config_id": c, "params": params, "replicate": r,
                                               "sweep": {"model": model}}))
    log, results = [], []
    for it in range(EVERY, last + 1, EVERY):
        log.append({"kind": "train", "iteration": it, "time": seconds(c, it) - 0.1, "d_loss": -1.0})
        if state == "diverged" and it == last:
            log[-1]["d_loss"] = float("nan")
            results.append({"iteration": it, "objective": 1e30, "diverged": True, "reason": REASON})
            break
        m = metrics_at(c, r, it)
        log.append({"kind": "eval", "iteration": it, "time": seconds(c, it), **m})
        results.append({"iteration": it, "objective": m["fid_digits"], "diverged": False, **m,
                        "training_iteration": len(results) + 1, "time_total_s": seconds(c, it) + 3,
                        "trial_id": trial_id(c, r), "done": False})
    (d / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in log))
    # A running trial's last line may be half written.
    tail = '{"iteration": 50, "objec' if state == "running" else ""
    (d / "result.json").write_text("".join(json.dumps(x) + "\n" for x in results) + tail)
    if state == "errored":
        (d / "error.txt").write_text(ERROR)


def write_experiment(root: Path, name: str = "fx", model: str = "SC-WGAN.b", trials=TRIALS,
                     ledger: bool = True) -> Path:
    root.mkdir(parents=True)
    search = [{"key": "loss.sharing_lambda", "kind": "loguniform", "values": [0.01, 1.0]},
              {"key": "model.shared_layers", "kind": "choice", "values": [1, 2]}]
    spec = {"name": name, "model": model, "data": {"name": "digits"}, "metric": "fid_digits",
            "search": {"loss.sharing_lambda": {"loguniform": [0.01, 1.0]},
                       "model.shared_layers": {"choice": [1, 2]}}}
    resolved = {"name": name, "searcher": "tpe", "seed": 0, "num_samples": 5, "replicates": 2,
                "iterations": BUDGET, "eval_every": EVERY, "metric": "fid_digits", "mode": "min",
                "optimize": "best", "search": search, "model": model,
                "config": {"data": {"name": "digits"}}}
    (root / "gansweep-spec.yaml").write_text(yaml.safe_dump({"spec": spec, "resolved": resolved},
                                                            sort_keys=False))
    entries = {}
    for c, r, state, last in trials:
        tid = trial_id(c, r)
        if state != "pending":
            write_trial(root, name, model, c, r, state, last)
        lam, b = CONFIGS[c]
        entries[tid] = {"trial_id": tid, "dir": tid, "config_id": c, "replicate": r,
                        "params": {"loss.sharing_lambda": lam, "model.shared_layers": b},
                        "state": state, "iteration": last, "failures": int(state == "errored"),
                        "error": {"errored": ERROR.strip().splitlines()[-1],
                                  "diverged": REASON}.get(state)}
    if ledger:
        (root / "gansweep-trials.json").write_text(json.dumps(entries, indent=1))
    (root / "tuner.pkl").write_bytes(b"Ray's files at the root are not read")
    return root
