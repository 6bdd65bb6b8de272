"""The Ray Tune trainable: a trial's config dict in, `tune.report` at every evaluation out.

It is thin on purpose: gansweep.run.run_training does the training, evaluation and
checkpointing; this adapter builds the config, restores Ray's checkpoint when Ray hands one
back (a retried or resumed trial), and turns each evaluation into a report that carries the
checkpoint just written, and the best evaluation's checkpoint besides (BestCheckpoint). The trial's working directory (config.yaml, metrics.jsonl) is
synced to the experiment's storage as artifacts; the checkpoint files stay out of it, since
Ray persists its own copy of each one.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from pathlib import Path

import ray
from ray import tune

# No torch at import: Tune unpickles this module in every actor it starts, also in the
# actors it discards at once because a finished trial's actor is reused instead (one per
# trial with reuse_actors). Importing torch and gansweep's training there cost each trial
# a throw-away 3 s of CPU and 0.6 GB on its node; train_trial imports them (once per
# actor).
from gansweep.sweep.searcher import OBJECTIVE
from gansweep.sweep.spec import trial_config
from gansweep.tmpdirs import owned_tempdir
from trainables.curves import TrialCurves

OBJECTIVE_STATE = "objective.json"  # best-so-far and its iteration, kept beside the checkpoint


class Objective:
    """The value the searcher and the scheduler see: the last evaluation or the best so far."""

    def __init__(self, metric: str, mode: str, optimize: str, best: float | None = None):
        self.metric, self.mode, self.optimize, self.best = metric, mode, optimize, best
        self.improved = False  # the last evaluation is the best so far (ties: the earlier)

    @property
    def worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def update(self, metrics: dict) -> float:
        if self.metric not in metrics:
            raise KeyError(f"metric {self.metric!r} was not computed; this trial's evaluation "
                           f"gives {', '.join(sorted(metrics))} (see eval.metrics)")
        value = float(metrics[self.metric])
        if not math.isfinite(value):
            value = self.worst
        self.improved = self.best is None or (value < self.best if self.mode == "min"
                                              else value > self.best)
        if self.improved:
            self.best = value
        return self.best if self.optimize == "best" else value


class BestCheckpoint:
    """The best evaluation's checkpoint file, carried in every checkpoint directory the trial
    reports, so that `gansweep eval` finds it however long ago it was written.

    Ray keeps a trial's newest `keep_checkpoints` directories, by recency on purpose. After a
    killed driver, Ray resumes each trial from the newest checkpoint its last experiment
    snapshot names, which can be a report or two old; Ray forces a snapshot every
    `num_to_keep` checkpoints so that this one still exists (but for the moment before that
    snapshot is uploaded: the note in tests/sweep/killed.py). Ranking by
    score broke that: a
    checkpoint that was not among the best was deleted at the very next report, and the
    resumed trial failed with "does not exist on storage anymore". Carrying the best file in
    each newer directory keeps both: the newest ones for resuming, the best for held-out
    scoring. It costs one extra file per checkpoint while the best is not the newest."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.iteration: int | None = None

    def files(self) -> list[Path]:
        return sorted(self.directory.iterdir())

    def update(self, iteration: int, path: Path) -> None:
        """The evaluation at `iteration`, checkpointed at `path`, is the new best."""
        from gansweep.checkpoint import DIGEST_SUFFIX

        for old in self.files():
            old.unlink()
        for f in (path, Path(str(path) + DIGEST_SUFFIX)):
            if f.exists():
                _link_or_copy(f, self.directory / f.name)
        self.iteration = iteration

    def restore(self, iteration: int | None, restored: Path) -> None:
        """Take the best file back from a restored checkpoint directory (it carries it)."""
        from gansweep.checkpoint import checkpoint_path

        if iteration is not None and checkpoint_path(restored, iteration).exists():
            self.update(iteration, checkpoint_path(restored, iteration))

    def add_to(self, report_dir: Path) -> None:
        for f in self.files():
            if not (report_dir / f.name).exists():
                _link_or_copy(f, report_dir / f.name)


def train_trial(config: dict) -> None:
    from gansweep.checkpoint import DIGEST_SUFFIX
    from gansweep.run import run_training

    # Ray's "checkpoint created" INFO line per report drowns the trial table.
    logging.getLogger("ray.train").setLevel(logging.WARNING)
    logging.getLogger("ray.tune").setLevel(logging.WARNING)
    sweep = config["sweep"]
    cfg = trial_config(sweep["model"], sweep["layers"], config.get("params", {}),
                       config.get("replicate", 0))
    objective = Objective(sweep["metric"], sweep["mode"], sweep["optimize"])
    work = Path.cwd()  # Ray's per-trial working directory
    # Named after this process and watched: removed even when the trial is killed.
    ckpt_dir, best = owned_tempdir("ckpt"), BestCheckpoint(owned_tempdir("best"))
    curves = None
    try:
        restored = tune.get_checkpoint()
        if restored is not None:
            # The trial's other kept checkpoints too: if the newest is damaged, run_training
            # logs it, skips it and continues from the next-newest.
            for older in _kept_siblings(restored):
                _copy_checkpoints(older, ckpt_dir)
            with restored.as_directory() as d:
                _copy_checkpoints(Path(d), ckpt_dir)
                state = Path(d) / OBJECTIVE_STATE
                if state.exists():
                    saved = json.loads(state.read_text())
                    objective.best = saved["best"]
                    best.restore(saved.get("best_iteration"), Path(d))
                if (Path(d) / "metrics.jsonl").exists():  # this node may not have the log
                    shutil.copy2(Path(d) / "metrics.jsonl", work / "metrics.jsonl")
        # Live TensorBoard curves in the trial's directory; a restored trial first replays
        # its log up to the checkpoint (what the interrupted attempt wrote may not have synced).
        log = work / "metrics.jsonl"
        curves = TrialCurves(work, replay=log if restored is not None and log.exists() else None)
        node = ray.get_runtime_context().get_node_id()  # which machine ran it, in the table
        fault = config.get("_fault")  # test hook: crash once right after this iteration's report

        def report(iteration: int, metrics: dict, path: Path) -> None:
            curves.eval(iteration, metrics)
            value = objective.update(metrics)
            if objective.improved:
                best.update(iteration, path)
            d = owned_tempdir("report", watch=False)  # a kill leaves it to the next sweep
            try:
                _link_or_copy(path, d / path.name)
                _link_or_copy(Path(str(path) + DIGEST_SUFFIX), d / (path.name + DIGEST_SUFFIX))
                best.add_to(d)
                shutil.copy2(work / "metrics.jsonl", d / "metrics.jsonl")
                if (work / "provenance.json").exists():  # each metric's protocol, for collect
                    shutil.copy2(work / "provenance.json", d / "provenance.json")
                (d / OBJECTIVE_STATE).write_text(json.dumps({"best": objective.best,
                                                             "best_iteration": best.iteration}))
                # budget: this trial's own iterations (epoch budgets differ per configuration)
                tune.report({"iteration": iteration, OBJECTIVE: value, "diverged": False,
                             "node_id": node, "budget": cfg.train.iterations, **metrics},
                            checkpoint=tune.Checkpoint.from_directory(d))
            finally:
                shutil.rmtree(d, ignore_errors=True)
            if fault and iteration == fault["iteration"] and not Path(fault["marker"]).exists():
                Path(fault["marker"]).touch()
                raise RuntimeError(f"injected fault after iteration {iteration}")

        result = run_training(cfg, work, on_eval=report, on_log=curves.train,
                              checkpoint_dir=ckpt_dir)
        if result.status == "diverged":
            # Reported, not raised: a retry would diverge again from the same checkpoint.
            tune.report({"iteration": result.iteration, OBJECTIVE: objective.worst,
                         "diverged": True, "reason": result.reason})
    finally:
        if curves is not None:
            curves.close()
        shutil.rmtree(ckpt_dir, ignore_errors=True)
        shutil.rmtree(best.directory, ignore_errors=True)


def _copy_checkpoints(src: Path, dst: Path) -> None:
    from gansweep.checkpoint import DIGEST_SUFFIX

    for f in [*src.glob("ckpt-*.pt"), *src.glob(f"ckpt-*.pt{DIGEST_SUFFIX}")]:
        shutil.copy2(f, dst / f.name)


def _kept_siblings(checkpoint) -> list[Path]:
    """The trial's older checkpoint directories Ray kept, when they are on a local disk (on
    remote storage only the restored one is fetched): fallbacks if the restored one is
    damaged. Never a newer one: Ray resumes from the checkpoint its experiment snapshot names,
    which after a killed driver can be older than the newest on disk, and a trial that
    continued from the newer one would skip the reports in between (a trial restored at its
    final checkpoint reported nothing and was counted as stopped short of its budget)."""
    try:
        if type(checkpoint.filesystem).__name__ != "LocalFileSystem":
            return []
        here = Path(checkpoint.path)
        # Ray's names are checkpoint_%06d: ordered as strings
        return sorted(p for p in here.parent.glob("checkpoint_*") if p.is_dir() and p.name < here.name)
    except Exception:  # an older Ray without .filesystem/.path: the restored one is enough
        return []


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)  # no copy of a large file when both are on one disk
    except OSError:
        shutil.copy2(src, dst)
