"""`gansweep eval RUN_DIR_OR_CHECKPOINT_OR_EXPERIMENT --samples N [--seed S]`: scores on fresh samples.

The thesis (5.0.8, "Criticism of Results") reports maximum scores seen during training and
names the better protocol: take the chosen model and generate *another* set of samples on
which FID and IS are reported, as a test set would be. This command does that: the latents
come from --seed (default 0, never the training set's EVAL_Z_SEED), the metrics are those
training used (or --metrics), and one JSON line carries the metrics and their provenance.

Given a sweep's experiment directory, it does so for every trial: the checkpoint of the
trial's best evaluation by the sweep's metric is scored, and the line is also kept as the
trial's heldout.json, which `collect` turns into `heldout_<metric>` columns and `report`
into its held-out table and verdicts. A trial whose heldout.json already holds that
checkpoint, seed and sample count is not scored again, so an interrupted pass continues.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

from gansweep.checkpoint import DIGEST_SUFFIX
from gansweep.commands.args import bounded_int, device_arg
from gansweep.config import override
from gansweep.config.constraints import MAX_SAMPLES, MAX_SEED
from gansweep.metrics.evaluator import EVAL_Z_SEED
from gansweep.metrics import registry
from gansweep.metrics.inception import InceptionWeightsMissing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="run directory (newest checkpoint), checkpoint file, or a "
                        "sweep's experiment directory (every trial's best checkpoint, kept as "
                        "its heldout.json); a checkpoint file, a Ray checkpoint directory or an "
                        "experiment may be a URI (s3://...)")
    parser.add_argument("--samples", type=bounded_int(1, MAX_SAMPLES), default=None,
                        help="generated samples (default: the run's eval.samples)")
    parser.add_argument("--seed", type=bounded_int(0, MAX_SEED), default=0,
                        help=f"seed of the fresh latent set (must differ from {EVAL_Z_SEED})")
    parser.add_argument("--metrics", default=None,
                        help="comma-separated metric names (default: the run's eval.metrics)")
    parser.add_argument("--inception-weights", default=None, help="pytorch-fid weights file")
    parser.add_argument("--cache-dir", default=None, help="real-statistics cache directory")
    parser.add_argument("--device", type=device_arg, default=None,
                        help="cpu, cuda, cuda:N (default: the run's)")


def main(args: argparse.Namespace) -> int:
    if args.seed == EVAL_Z_SEED:
        print(f"gansweep eval: --seed {EVAL_Z_SEED} is the training evaluations' latent set; "
              "fresh samples need another seed", file=sys.stderr)
        return 2
    if is_experiment(args.path):
        return evaluate_experiment(args)
    with tempfile.TemporaryDirectory(prefix="gansweep-eval-") as scratch:
        line = score(fetch(args.path, Path(scratch)), args)
    if line is None:
        return 2
    print(json.dumps({"path": str(args.path), **line}))
    return 0


def score(checkpoint: str | Path, args: argparse.Namespace) -> dict | None:
    """{iteration, seed, samples, metrics, provenance, seconds} of one checkpoint on the
    fresh latent set; None (and the reason on stderr) when it cannot be scored."""
    from gansweep.run import load_trainer
    from gansweep.task import GenerativeTask

    trainer = load_trainer(checkpoint, device=args.device)
    if not isinstance(trainer, GenerativeTask):
        print(f"gansweep eval: {args.path} holds no generator", file=sys.stderr)
        return None
    overrides = {}
    if args.metrics is not None:
        overrides["eval.metrics"] = [m for m in args.metrics.split(",") if m]
    if args.cache_dir is not None:
        overrides["eval.cache_dir"] = args.cache_dir
    cfg = override(trainer.cfg, overrides) if overrides else trainer.cfg
    try:
        evaluator = trainer.make_evaluator(cfg, z_seed=args.seed, samples=args.samples,
                                           inception_weights=args.inception_weights)
    except (InceptionWeightsMissing, ValueError) as err:
        print(f"gansweep eval: {err}", file=sys.stderr)
        return None
    metrics = evaluator.evaluate(trainer.sample)
    return {"iteration": trainer.iteration, "seed": args.seed, "samples": evaluator.samples,
            "metrics": metrics, "provenance": evaluator.provenance(),
            "seconds": evaluator.last_timings}


def is_experiment(path: str) -> bool:
    from gansweep.location import Location
    from gansweep.sweep.storage import SPEC_FILE, TRIALS_FILE

    where = Location(path)
    return where.exists(SPEC_FILE) or where.exists(TRIALS_FILE)


def evaluate_experiment(args: argparse.Namespace) -> int:
    """Every trial's best checkpoint, scored and kept as its heldout.json. Exit 1 when a
    trial could not be scored (no evaluation, or its best checkpoint was not kept)."""
    from analysis.experiment import HELDOUT_FILE, read_experiment
    from analysis.stats import best_of

    exp = read_experiment(args.path)
    if not exp.metric:
        print(f"gansweep eval: {args.path}: the spec names no metric, so no trial has a best "
              "checkpoint", file=sys.stderr)
        return 2
    missed, trials = [], [t for t in exp.trials if t.dir]
    for n, t in enumerate(trials, 1):
        series = [(e.iteration, e.metrics[exp.metric]) for e in t.evals
                  if exp.metric in e.metrics and math.isfinite(e.metrics[exp.metric])]
        best = best_of(series, exp.mode)
        where = f"[{n}/{len(trials)}] trial {t.trial_id}"
        if best is None:
            missed.append(f"{t.trial_id}: no finite {exp.metric} evaluation")
            print(f"{where}: no finite {exp.metric} evaluation; not scored", file=sys.stderr)
            continue
        if best[0] not in t.checkpoints:
            missed.append(f"{t.trial_id}: the checkpoint of its best evaluation (iteration {best[0]}) "
                          f"was not kept (kept: {sorted(t.checkpoints) or 'none'})")
            print(f"{where}: {missed[-1].split(': ', 1)[1]}; not scored", file=sys.stderr)
            continue
        trial_dir = exp.where.child(t.dir)
        done = t.heldout
        if (done.get("iteration") == best[0] and done.get("seed") == args.seed
                and (args.samples is None or done.get("samples") == args.samples)
                and (args.metrics is None or set(args.metrics.split(",")) <= set(done.get("metrics", {})))):
            print(f"{where}: iteration {best[0]} already scored with seed {args.seed}", file=sys.stderr)
            print(json.dumps({"trial_id": t.trial_id, **done}))
            continue
        with tempfile.TemporaryDirectory(prefix="gansweep-eval-") as scratch:
            name = t.checkpoints[best[0]]
            local = exp.where.download(name, Path(scratch) / name.rsplit("/", 1)[-1])
            if exp.where.exists(name + DIGEST_SUFFIX):  # load_trainer checks it
                exp.where.download(name + DIGEST_SUFFIX, Path(str(local) + DIGEST_SUFFIX))
            line = score(local, args)
        if line is None:
            return 2
        line = {"checkpoint": t.checkpoints[best[0]], f"training_{exp.metric}": best[1], **line}
        trial_dir.write_text(HELDOUT_FILE, json.dumps(line, sort_keys=True) + "\n")
        shown = "  ".join(f"{k} {v:.4g}" for k, v in line["metrics"].items()
                          if registry.shown(k) and isinstance(v, (int, float)))
        print(f"{where}: iteration {best[0]} ({exp.metric} {best[1]:.4g} in training): {shown}",
              file=sys.stderr)
        print(json.dumps({"trial_id": t.trial_id, **line}))
    if missed:
        print(f"gansweep eval: {len(missed)} of {len(trials)} trials not scored:\n  "
              + "\n  ".join(missed), file=sys.stderr)
        return 1
    return 0


def fetch(path: str, scratch: Path) -> str | Path:
    """A checkpoint on the local disk: `path` itself, or for a URI (an experiment in s3://)
    the checkpoint file, or a Ray checkpoint directory's newest ckpt-*.pt, copied into
    `scratch` with its digest (which load_trainer checks)."""
    if "://" not in path:
        return path
    import pyarrow.fs as pafs

    from gansweep.location import Location

    parent, name = path.rstrip("/").rsplit("/", 1)
    where = Location(parent)
    if where.fs.get_file_info(where.join(name)).type == pafs.FileType.Directory:
        where, names = where.child(name), where.child(name).listdir()  # a checkpoint directory
        ckpts = sorted((n for n in names if n.startswith("ckpt-") and n.endswith(".pt")),
                       key=lambda n: int(n[5:-3]) if n[5:-3].isdigit() else -1)
        if not ckpts:
            return path  # load_trainer names what is missing
        name = ckpts[-1]
    if not where.exists(name):
        return path
    local = where.download(name, scratch / name)
    if where.exists(name + DIGEST_SUFFIX):
        where.download(name + DIGEST_SUFFIX, scratch / (name + DIGEST_SUFFIX))
    return local
