"""Trains the shipped digits judges (gansweep/metrics/judges.py says why they ship):

    python -m gansweep.metrics.train_judges                  # retrain both, rewrite weights/
    python -m gansweep.metrics.train_judges --seeds 0 1 2 3 4 --dry-run   # the recipe's spread

The recipe is domain.DIGITS_RECIPE, on the embedded digits' train split (the first 1500
images), scored on the held-out writers (the last 297). Training is deterministic on one
kind of CPU; run it under ATEN_CPU_CAPABILITY=avx2 / default to see the spread between
kinds. Rewriting the weights changes every digits score's protocol: do it only with a new
recipe or architecture, and say so in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
from dataclasses import asdict, replace

import numpy as np
import torch

from gansweep.metrics import cache
from gansweep.metrics.domain import DOMAINS, DomainSpec, accuracy, state_sha256, train_classifier, training_data
from gansweep.metrics.judges import MANIFEST, WEIGHTS, manifest, shipped_name
from gansweep.metrics.lenet import LENET

SHIPPED: tuple[DomainSpec, ...] = (DOMAINS["digits"], LENET["digits"])


def _train(spec: DomainSpec, seed: int):
    spec = replace(spec, recipe=replace(spec.recipe, seed=seed))
    xtr, ytr, xte, yte = training_data(spec.dataset)
    net = train_classifier(spec, xtr, ytr)
    return net, accuracy(net, spec, xte, yte), cache.data_sha256(xtr, ytr), cache.data_sha256(xte, yte)


def write(spec: DomainSpec) -> dict:
    """Train `spec` with its recipe's seed and write its weights file; the manifest entry."""
    net, acc, train_sha, test_sha = _train(spec, spec.recipe.seed)
    state = net.state_dict()
    buf = io.BytesIO()
    np.savez(buf, **{k: v.detach().cpu().numpy() for k, v in state.items()})
    name = shipped_name(spec)
    WEIGHTS.mkdir(exist_ok=True)
    (WEIGHTS / f"{name}.npz").write_bytes(buf.getvalue())
    return {"file": f"{name}.npz", "sha256": hashlib.sha256(buf.getvalue()).hexdigest(),
            "state_sha256": state_sha256(state), "test_accuracy": acc,
            "recipe": asdict(spec.recipe), "train_sha256": train_sha, "test_sha256": test_sha,
            "trained_with": {"torch": torch.__version__, "cpu": platform.machine(),
                             "capability": torch.backends.cpu.get_cpu_capability()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gansweep.metrics.judges",
                                     description="Train the shipped digits judges.")
    parser.add_argument("--seeds", type=int, nargs="*", default=[],
                        help="also train with these seeds and print each held-out accuracy")
    parser.add_argument("--dry-run", action="store_true", help="write nothing")
    args = parser.parse_args(argv)
    cap = torch.backends.cpu.get_cpu_capability()
    entries = manifest()
    for spec in SHIPPED:
        for seed in args.seeds:
            print(f"{shipped_name(spec)} seed {seed} ({cap}): held-out accuracy "
                  f"{_train(spec, seed)[1]:.4f}", flush=True)
        if not args.dry_run:
            entries[shipped_name(spec)] = entry = write(spec)
            print(f"{shipped_name(spec)}: accuracy {entry['test_accuracy']:.4f}, "
                  f"sha256 {entry['sha256']}", flush=True)
    if not args.dry_run:
        (WEIGHTS / MANIFEST).write_text(json.dumps(entries, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
