"""`gansweep augment RUN_DIR_OR_CHECKPOINT`: the MNIST DCGAN report section 4's data-augmentation grid.

A LeNet is trained on every combination of real and generated subset sizes (default: seed
002's {0, 1, 10, 20, 50, 100}% of the training set, i.e. 0 ... 60000 on MNIST) and tested on
the real test split, for each mode (mixed, quality, finetune; gansweep.metrics.augmentation).
Writes RUN_DIR/augmentation.csv (one row per cell, appended as each cell finishes) and
RUN_DIR/augmentation.json (rows, settings, the judge's test accuracy) at the end, and prints
one accuracy table per mode.

Cost: the full MNIST grid trains 36 LeNets per mode on up to 120,000 images for 30 epochs;
give it a GPU (--device cuda). The digits grid takes a few minutes on one CPU core.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from gansweep.commands.args import bounded_int, device_arg
from gansweep.config.constraints import MAX_BATCH, MAX_SAMPLES
from gansweep.metrics import augmentation as aug

COLUMNS = ("mode", "real", "generated", "generated_used", "test_accuracy", "seconds")


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not sizes or not all(0 <= v <= MAX_SAMPLES for v in sizes):
        raise argparse.ArgumentTypeError(f"expected sizes in [0, {MAX_SAMPLES}], got {text!r}")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", help="run directory (newest checkpoint) or checkpoint file")
    parser.add_argument("--real-sizes", type=_sizes, default=None,
                        help="comma-separated real subset sizes (default: 0,1,10,20,50,100%% of train)")
    parser.add_argument("--generated-sizes", type=_sizes, default=None,
                        help="comma-separated generated subset sizes (default: as --real-sizes)")
    parser.add_argument("--modes", default="mixed,quality,finetune",
                        help=f"comma-separated, of {', '.join(aug.MODES)}")
    r = aug.DEFAULT_RECIPE
    parser.add_argument("--epochs", type=bounded_int(1, 10_000), default=r.epochs,
                        help="LeNet epochs per cell")
    parser.add_argument("--batch-size", type=bounded_int(1, MAX_BATCH), default=r.batch_size)
    parser.add_argument("--lr", type=_learning_rate, default=r.lr, help="LeNet Adam learning rate")
    parser.add_argument("--seed", type=bounded_int(0, 2**32 - 1), default=0,
                        help="latents, subsets and LeNet init")
    parser.add_argument("--cache-dir", default=None, help="cache of the judge LeNet (quality mode)")
    parser.add_argument("--device", type=device_arg, default=None,
                        help="cpu, cuda, cuda:N (default: the run's)")
    parser.add_argument("--out", default=None,
                        help="output path without suffix (default RUN_DIR/augmentation)")


def _learning_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 10:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"expected a learning rate in (0, 10], got {text!r}")
    return value


def output_stem(path: Path) -> Path:
    return path / "augmentation" if path.is_dir() else path.with_name(path.stem + "-augmentation")


def main(args: argparse.Namespace) -> int:
    from gansweep.metrics.cache import cache_dir
    from gansweep.metrics.domain import Recipe, training_data
    from gansweep.metrics.lenet import load_lenet
    from gansweep.run import load_trainer
    from gansweep.task import GenerativeTask

    path = Path(args.path)
    trainer = load_trainer(path, device=args.device)
    if not (isinstance(trainer, GenerativeTask) and trainer.conditional):
        print(f"gansweep augment: {path} holds no class-conditional generator", file=sys.stderr)
        return 2
    cfg = trainer.cfg
    xtr, ytr, xte, yte = training_data(cfg.data.name, cfg.data.root)
    real_sizes = args.real_sizes or aug.paper_sizes(len(xtr))
    try:
        settings = aug.Settings(real_sizes, args.generated_sizes or real_sizes,
                                tuple(m for m in args.modes.split(",") if m),
                                Recipe(args.epochs, args.batch_size, args.lr, seed=args.seed),
                                seed=args.seed, num_classes=trainer.num_classes)
    except ValueError as err:
        print(f"gansweep augment: {err}", file=sys.stderr)
        return 2
    if max(settings.real_sizes) > len(xtr):
        print(f"gansweep augment: real sizes go up to {max(settings.real_sizes)}; the "
              f"{cfg.data.name} training set has {len(xtr)}", file=sys.stderr)
        return 2
    judge = None  # the real-trained LeNet: needed (and trained once, cached) for quality only
    if "quality" in settings.modes:
        judge = load_lenet(cfg.data.name, cache_dir(args.cache_dir or cfg.eval.cache_dir),
                           trainer.device, root=cfg.data.root)
    generate = aug.trainer_generate_fn(trainer, seed=args.seed)
    stem = Path(args.out) if args.out else output_stem(path)
    table = CsvTable(stem.with_suffix(".csv"))

    def progress(row: dict) -> None:  # rows land in the CSV as they come: a long grid
        table.append(row)             # stopped halfway keeps what it measured
        print(_row_text(row), flush=True)

    rows = aug.run_grid((xtr, ytr), (xte, yte), generate, settings, judge, trainer.device,
                        progress=progress)
    stem.with_suffix(".json").write_text(json.dumps({
        "path": str(path), "iteration": trainer.iteration, "dataset": cfg.data.name,
        "settings": aug.settings_dict(settings), "judge_test_accuracy": judge and judge.test_accuracy,
        "rows": rows}, indent=1))
    for mode in settings.modes:
        print(format_matrix(rows, mode))
    print(f"wrote {stem.with_suffix('.csv')} and {stem.with_suffix('.json')}")
    return 0


class CsvTable:
    """A CSV with COLUMNS, started empty (header only) and appended to row by row."""

    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="") as f:
            csv.DictWriter(f, fieldnames=COLUMNS).writeheader()

    def append(self, row: dict) -> None:
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, fieldnames=COLUMNS).writerow({k: row[k] for k in COLUMNS})


def format_matrix(rows: list[dict], mode: str) -> str:
    """Test accuracy (%), real sizes down, generated sizes across (the MNIST DCGAN report's Fig. 7 grid)."""
    cells = {(r["real"], r["generated"]): r["test_accuracy"] for r in rows if r["mode"] == mode}
    reals = sorted({r for r, _ in cells})
    gens = sorted({g for _, g in cells})
    lines = [f"{mode}: test accuracy %, rows = real, columns = generated",
             "real\\gen " + "".join(f"{g:>8}" for g in gens)]
    lines += [f"{r:>8} " + "".join(f"{100 * cells[r, g]:>8.2f}" for g in gens) for r in reals]
    return "\n".join(lines)


def _row_text(r: dict) -> str:
    return (f"{r['mode']:>8} real {r['real']:>6} generated {r['generated']:>6} "
            f"(used {r['generated_used']}): {100 * r['test_accuracy']:.2f}%  ({r['seconds']:.1f} s)")
