"""Every task, through the Task protocol only: one preset per task (and the R^2 point model)
trains with evaluation on, resumes bit-identically, is evaluated by `gansweep eval`, and is
collected and reported from an experiment directory in `gansweep run`'s layout."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
import yaml

from analysis.collect import collect
from analysis.report import report
from gansweep.cli import main
from gansweep.models.families import FAMILIES
from gansweep.run import RunDir, load_trainer, run_training
from gansweep.task import TASKS, GenerativeTask, Task
from tests.conftest import tiny_config

ITERATIONS, EVERY = 4, 2
# preset -> the metric its sweep would optimise, and in which direction
CASES = {"cWGAN.a": ("fid_digits", "min"),          # task "gan", images, conditional
         "MTL-classifier": ("val_acc", "max"),      # task "classifier": no generator
         "PPGN-h": ("fid_digits", "min"),           # task "ppgn"
         "M0_A": ("modes_swissroll", "max")}        # task "gan" on points in R^2


def _config(preset: str):
    return tiny_config(preset, **{"train.iterations": ITERATIONS, "train.checkpoint_every": EVERY,
                                  "train.keep_checkpoints": 10, "eval.every": EVERY,
                                  "eval.samples": 50, "eval.batch_size": 50,
                                  "eval.real_samples": 300, "ppgn.mala_steps": 3})


def _state(run: Path) -> dict:
    return torch.load(sorted((run / "checkpoints").glob("ckpt-*.pt"))[-1], weights_only=False)


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, torch.Tensor):
        return torch.equal(a, b)
    return a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))


def _log(run: Path) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "time"} for r in RunDir(run).read_metrics()]


def _experiment(root: Path, run: Path, preset: str, metric: str, mode: str) -> Path:
    """One finished trial of `run`, laid out as `gansweep run` leaves it (its checkpoints in
    Ray's checkpoint_* directories, one Ray report per evaluation)."""
    exp, d = root / "exp", root / "exp" / "trial0"
    d.mkdir(parents=True)
    for name in ("config.yaml", "metrics.jsonl", "provenance.json"):
        if (run / name).exists():
            shutil.copy2(run / name, d / name)
    evals = [r for r in RunDir(run).read_metrics() if r["kind"] == "eval"]
    for k, ckpt in enumerate(sorted((run / "checkpoints").glob("ckpt-*.pt"))):
        (d / f"checkpoint_{k:06d}").mkdir()
        shutil.copy2(ckpt, d / f"checkpoint_{k:06d}" / ckpt.name)
    results = [{"iteration": e["iteration"], "objective": e[metric], "diverged": False,
                **{k: v for k, v in e.items() if k not in ("kind", "iteration")},
                "training_iteration": i + 1, "trial_id": "trial0", "done": False}
               for i, e in enumerate(evals)]
    (d / "result.json").write_text("".join(json.dumps(r) + "\n" for r in results))
    (d / "params.json").write_text(json.dumps({"config_id": 0, "params": {}, "replicate": 0,
                                               "sweep": {"model": preset}}))
    resolved = {"name": "exp", "searcher": "grid", "seed": 0, "num_samples": 1, "replicates": 1,
                "iterations": ITERATIONS, "eval_every": EVERY, "metric": metric, "mode": mode,
                "optimize": "best", "search": [], "model": preset, "config": {}}
    (exp / "gansweep-spec.yaml").write_text(yaml.safe_dump(
        {"spec": {"name": "exp", "model": preset, "metric": metric}, "resolved": resolved}))
    (exp / "gansweep-trials.json").write_text(json.dumps({"trial0": {
        "trial_id": "trial0", "dir": "trial0", "config_id": 0, "replicate": 0, "params": {},
        "state": "finished", "iteration": ITERATIONS, "failures": 0, "error": None}}))
    return exp


@pytest.mark.slow
@pytest.mark.parametrize("preset", list(CASES))
def test_every_task_trains_resumes_evaluates_collects_and_reports(preset, tmp_path, capsys):
    metric, mode = CASES[preset]
    cfg = _config(preset)
    kind = FAMILIES[cfg.model.arch].task

    # Trained with evaluation on; stopped halfway and resumed: the same bits and log.
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert run_training(cfg, straight).status == "finished"
    run_training(cfg, resumed, EVERY)
    run_training(cfg, resumed)
    assert _same(_state(straight)["task"], _state(resumed)["task"])
    assert _log(straight) == _log(resumed)
    evals = [r for r in _log(straight) if r["kind"] == "eval"]
    assert [e["iteration"] for e in evals] == [2, 4] and metric in evals[-1]

    # Loaded back, it is the family's task and declares what it can do.
    task = load_trainer(straight, device="cpu")
    assert type(task) is TASKS[kind] and isinstance(task, Task)
    assert isinstance(task, GenerativeTask) == (kind != "classifier")

    # `gansweep eval`: fresh samples through the protocol, or a clear refusal.
    code = main(["eval", str(straight), "--samples", "20", "--seed", "1"])
    out = capsys.readouterr()
    if isinstance(task, GenerativeTask):
        assert code == 0, out.err
        line = json.loads(out.out)
        assert line["iteration"] == ITERATIONS and line["samples"] == 20 and line["metrics"]
    else:
        assert code == 2 and "holds no generator" in out.err

    # Collected and reported; a generator gets its sample figures, the classifier says why not.
    exp = _experiment(tmp_path, straight, preset, metric, mode)
    collect([str(exp)], str(tmp_path / "tables"))
    assert (tmp_path / "tables").is_dir() and any((tmp_path / "tables").iterdir())
    text = (Path(report(str(exp))) / "report.md").read_text()
    assert "could not be used" not in text, text
    if isinstance(task, GenerativeTask):
        assert "points.png" in text if task.dataset.is_points else "grid.png" in text
    else:
        assert "is a classifier" in text and "grid.png" not in text
