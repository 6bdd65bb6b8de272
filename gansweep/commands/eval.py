"""`gansweep eval RUN_DIR_OR_CHECKPOINT --samples N [--seed S]`: scores on fresh samples.

The thesis (5.0.8, "Criticism of Results") reports maximum scores seen during training and
names the better protocol: take the chosen model and generate *another* set of samples on
which FID and IS are reported, as a test set would be. This command does that: the latents
come from --seed (default 0, never the training set's EVAL_Z_SEED), the metrics are those
training used (or --metrics), and one JSON line carries the metrics and their provenance.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from gansweep.commands.args import bounded_int, device_arg
from gansweep.config import override
from gansweep.config.constraints import MAX_SAMPLES, MAX_SEED
from gansweep.metrics.evaluator import EVAL_Z_SEED
from gansweep.metrics.inception import InceptionWeightsMissing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="run directory (newest checkpoint) or checkpoint file; a "
                        "checkpoint file or a Ray checkpoint directory may be a URI (s3://...)")
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
    from gansweep.run import load_trainer
    from gansweep.task import GenerativeTask

    if args.seed == EVAL_Z_SEED:
        print(f"gansweep eval: --seed {EVAL_Z_SEED} is the training evaluations' latent set; "
              "fresh samples need another seed", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="gansweep-eval-") as scratch:
        trainer = load_trainer(fetch(args.path, Path(scratch)), device=args.device)
    if not isinstance(trainer, GenerativeTask):
        print(f"gansweep eval: {args.path} holds no generator", file=sys.stderr)
        return 2
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
        return 2
    metrics = evaluator.evaluate(trainer.sample)
    print(json.dumps({"path": str(args.path), "iteration": trainer.iteration, "seed": args.seed,
                      "samples": evaluator.samples, "metrics": metrics,
                      "provenance": evaluator.provenance(), "seconds": evaluator.last_timings}))
    return 0


def fetch(path: str, scratch: Path) -> str | Path:
    """A checkpoint on the local disk: `path` itself, or for a URI (an experiment in s3://)
    the checkpoint file, or a Ray checkpoint directory's newest ckpt-*.pt, copied into
    `scratch` with its digest (which load_trainer checks)."""
    if "://" not in path:
        return path
    import pyarrow.fs as pafs

    from gansweep.checkpoint import DIGEST_SUFFIX
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
