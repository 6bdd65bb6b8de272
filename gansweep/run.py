"""A training run on disk: resolved config, metric log, checkpoints, and exact resume.

    DIR/config.yaml          the resolved config (every value, presets applied)
    DIR/metrics.jsonl        one JSON line per logged iteration ("train") and evaluation ("eval")
    DIR/provenance.json      metric name -> how it was computed (gansweep.metrics.provenance)
    DIR/checkpoints/ckpt-<iteration>.pt

`run_training` is the one loop used by `gansweep train` and by the Ray trainable. It knows
nothing about Ray: the trainable passes callbacks (`on_eval` to report, `should_stop`).
Started again on the same DIR it resumes from the newest usable checkpoint (a corrupt one is
logged and skipped, gansweep.checkpoint.load_newest) and cuts metrics.jsonl back to that
iteration, so the log of a resumed run equals the log of an uninterrupted one.

Nothing is written before the inputs are known good: the directory's config is compared,
the data loaded and the evaluation's files found first (`check_inputs`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch
import yaml

from gansweep import checkpoint as ckpt
from gansweep.config import Config, ConfigError, from_dict, steps_per_epoch
from gansweep.errors import CheckpointMissing, RunDirConflict
from gansweep.metrics import registry
from gansweep.metrics.provenance import IncomparableScores, differences
from gansweep.models.families import family
from gansweep.task import Task, build_task, resolve_device

log = logging.getLogger(__name__)

# An evaluation callback gets (iteration, metrics, path of the checkpoint just written).
EvalCallback = Callable[[int, dict, Path], None]
LogCallback = Callable[[int, dict], None]


@dataclass
class RunResult:
    status: str  # "finished" | "diverged" | "stopped"
    iteration: int
    reason: str = ""
    last_eval: dict = field(default_factory=dict)


class RunDir:
    def __init__(self, path: str | Path, checkpoints: str | Path | None = None):
        """`checkpoints` elsewhere than DIR/checkpoints: the Ray trainable keeps them out of
        the directory it syncs to storage (Ray persists its own copy at every report)."""
        self.path = Path(path)
        self.config = self.path / "config.yaml"
        self.metrics = self.path / "metrics.jsonl"
        self.checkpoints = Path(checkpoints) if checkpoints else self.path / "checkpoints"
        self.provenance = self.path / "provenance.json"

    def latest_checkpoint(self) -> Optional[Path]:
        found = ckpt.list_checkpoints(self.checkpoints)
        return found[-1] if found else None

    def check_config(self, cfg: Config) -> None:
        """Refuse to resume a different experiment in the same directory (writes nothing)."""
        if self.path.exists() and not self.path.is_dir():
            raise RunDirConflict([f"{self.path}: exists and is not a directory"], "invalid run directory")
        if not self.config.exists():
            return
        try:
            old = yaml.safe_load(self.config.read_text())
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
            raise RunDirConflict([f"{self.config}: unreadable ({err})"], "invalid run directory") from None
        new = cfg.to_dict()
        if not isinstance(old, dict) or not isinstance(old.get("train"), dict):
            raise RunDirConflict([f"{self.config}: not a gansweep run config"], "invalid run directory")
        for c in (old, new):  # the budget may change between invocations
            c["train"].pop("iterations", None)
            c["train"].pop("epochs", None)
        if old != new:
            keys = sorted(_diff(old, new))
            raise RunDirConflict(
                [f"{self.path} holds a run with a different config ({', '.join(keys[:8])}"
                 f"{', ...' if len(keys) > 8 else ''} differ); use a new --out directory"],
                "cannot resume")

    def write_config(self, cfg: Config) -> None:
        self.check_config(cfg)
        self.path.mkdir(parents=True, exist_ok=True)
        self.config.write_text(cfg.to_yaml())

    def truncate_metrics(self, iteration: int) -> None:
        """Drop log lines written after the checkpoint we resume from."""
        if not self.metrics.exists():
            return
        keep = [line for line in self.metrics.read_text().splitlines()
                if line.strip() and json.loads(line)["iteration"] <= iteration]
        self.metrics.write_text("".join(line + "\n" for line in keep))

    def append(self, record: dict) -> None:
        with self.metrics.open("a") as f:
            f.write(json.dumps(record) + "\n")

    def write_provenance(self, provenance: dict) -> None:
        """Record how each metric is computed. A metric this run already scored under another
        protocol (a judge retrained with other weights, another weights file, another sample
        count) is refused: one run's log never mixes protocols silently."""
        old = json.loads(self.provenance.read_text()) if self.provenance.exists() else {}
        changed = [f"{m}: {d}" for m in sorted(set(old) & set(provenance))
                   for d in differences(old[m], provenance[m])]
        if changed:
            raise IncomparableScores(
                changed + [f"{self.provenance} records the protocol of this run's earlier "
                           "evaluations; restore what changed (e.g. the judge file in the "
                           "experiment's .gansweep-cache) or start a new run"],
                "this run's metrics would change protocol mid-run")
        if provenance and {**old, **provenance} != old:
            self.provenance.write_text(json.dumps({**old, **provenance}, indent=1, sort_keys=True))

    def read_metrics(self) -> list[dict]:
        if not self.metrics.exists():
            return []
        return [json.loads(line) for line in self.metrics.read_text().splitlines() if line.strip()]


def save_checkpoint(task: Task, run: RunDir, elapsed: float) -> Path:
    state = {"task": task.state_dict(), "rng": ckpt.rng_state(),
             "config": task.cfg.to_dict(), "elapsed": elapsed}
    path = ckpt.atomic_save(state, ckpt.checkpoint_path(run.checkpoints, task.iteration))
    ckpt.prune(run.checkpoints, task.cfg.train.keep_checkpoints)
    return path


def restore(task: Task, state: dict) -> float:
    """Load task state and every RNG; returns the wall-clock seconds already spent."""
    task.load_state_dict(state["task"])
    ckpt.set_rng_state(state["rng"])
    return state.get("elapsed", 0.0)


def check_inputs(cfg: Config) -> None:
    """What a run reads besides its config, checked before anything is written or trained:
    the metrics asked for exist, and their Inception weights are on disk. (The dataset is
    loaded by build_task, also before any write.)"""
    if not cfg.eval.every or family(cfg.model.arch).task != "gan":
        return  # the classifier's metrics need no file; PPGN-h's encoder is trained on demand
    known = registry.requestable(cfg.data.name)
    bad = [m for m in cfg.eval.metrics if m not in known]
    if bad:
        raise ConfigError([f"eval.metrics: unknown {', '.join(bad)} for data.name "
                           f"{cfg.data.name}; known: {', '.join(known)}"])
    if registry.needs_inception(cfg.eval.metrics):
        from gansweep.metrics.inception import resolve_weights
        resolve_weights(cfg.eval.inception_weights)


def _diff(old, new, prefix="") -> set[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: set[str] = set()
        for k in set(old) | set(new):
            out |= _diff(old.get(k), new.get(k), f"{prefix}{k}.")
        return out
    return set() if old == new else {prefix.rstrip(".")}


def run_training(cfg: Config, out_dir: str | Path, iterations: int | None = None,
                 device: torch.device | str | None = None, on_log: LogCallback | None = None,
                 on_eval: EvalCallback | None = None,
                 should_stop: Callable[[], bool] | None = None,
                 checkpoint_dir: str | Path | None = None) -> RunResult:
    run = RunDir(out_dir, checkpoint_dir)
    run.check_config(cfg)
    check_inputs(cfg)
    task = build_task(cfg, torch.device(device) if device else resolve_device(cfg.train.device))
    run.write_config(cfg)
    newest = (ckpt.list_checkpoints(run.checkpoints) or [None])[-1]
    found = ckpt.load_newest(run.checkpoints)
    elapsed = 0.0
    if found is not None:
        path, state = found
        elapsed = restore(task, state)
        run.truncate_metrics(task.iteration)
        if path != newest:  # a newer one was skipped: say where the run really continues
            log.warning("resuming from %s (iteration %d)", path.name, task.iteration)
    else:
        if newest is not None:
            log.warning("no usable checkpoint left in %s; starting over from iteration 0",
                        run.checkpoints)
        if run.metrics.exists():
            run.metrics.unlink()  # a log without a checkpoint belongs to no state we can continue
    total = iterations or cfg.train.iterations
    t = cfg.train
    per_epoch = steps_per_epoch(cfg)
    started = time.perf_counter() - elapsed
    result = RunResult("finished", task.iteration)
    while task.iteration < total:
        task.step()
        it = task.iteration
        last = it == total
        if it % t.log_every == 0 or last:
            scalars = task.scalars()
            run.append({"kind": "train", "iteration": it, "time": time.perf_counter() - started, **scalars})
            bad = sorted(k for k, v in scalars.items() if not math.isfinite(v))
            if bad:
                # Keep the last good checkpoint: the diverged state is not worth resuming.
                return RunResult("diverged", it, f"non-finite {', '.join(bad)} at iteration {it}",
                                 result.last_eval)
            if on_log:
                on_log(it, scalars)
        evaluate = cfg.eval.every and (it % cfg.eval.every == 0 or last)
        if evaluate:
            metrics = task.evaluate()
            result.last_eval = metrics
            run.write_provenance(task.provenance())
            run.append({"kind": "eval", "iteration": it, "time": time.perf_counter() - started,
                        "epoch": round(it / per_epoch, 4), **metrics})
        if evaluate or it % t.checkpoint_every == 0 or last:
            path = save_checkpoint(task, run, time.perf_counter() - started)
            if evaluate and on_eval:
                on_eval(it, result.last_eval, path)
        if should_stop and should_stop():
            save_checkpoint(task, run, time.perf_counter() - started)
            return RunResult("stopped", it, "stopped by the caller", result.last_eval)
    result.iteration = task.iteration
    return result


def load_trainer(path: str | Path, device: torch.device | str | None = None) -> Task:
    """A trained task from a run directory (newest checkpoint) or a checkpoint file."""
    path = Path(path)
    if path.is_dir():
        found = ckpt.load_newest(RunDir(path).checkpoints, required=("task", "config"),
                                 set_aside=False)  # reading a run never changes it
        if found is None:
            raise CheckpointMissing(f"no usable checkpoint at {path} (expected "
                                    "DIR/checkpoints/ckpt-*.pt)")
        state = found[1]
    elif path.is_file():
        try:
            state = ckpt.load(path)
        except ckpt.CorruptCheckpoint as err:
            raise CheckpointMissing(str(err)) from None
        if "task" not in state or "config" not in state:
            raise CheckpointMissing(f"{path}: not a gansweep checkpoint")
    else:
        raise CheckpointMissing(f"{path}: no such run directory or checkpoint file")
    cfg = from_dict(state["config"], apply_preset=False)
    task = build_task(cfg, torch.device(device) if device else resolve_device(cfg.train.device))
    task.load_state_dict(state["task"])
    return task
