"""Packing: aggregate generator iterations/s of 1, 2, 4, 8 trials sharing one GPU.

    python -m benchmarks.packing            # needs a CUDA device; else records "not measured"
    python -m benchmarks.packing --smoke    # CPU, toy sizes, k = 1 and 2: checks the mechanics

Each trial is a Ray task holding `1/k` of a GPU (the fractional resource a sweep spec's
`resources.gpu: 0.25` asks for), training the DCGAN-sized WGAN-GP (batch 64, n_D 5) on
CIFAR-shaped data kept on the device. After a warmup every task trains for the same wall
time; the aggregate is the sum of iterations over that time. The target is >= 3x the single
trial's rate at k = 4.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import NO_GPU

COUNTS = (1, 2, 4, 8)


def _trial(preset: str, device: str, seconds: float, smoke: bool, start_at: float) -> int:
    from benchmarks.common import cifar_like, sync
    from benchmarks.throughput import SMOKE, preset_config
    from gansweep.trainer import Trainer

    dev = torch.device(device)
    trainer = Trainer(preset_config(preset, dev, SMOKE if smoke else None), dev,
                      dataset=cifar_like(256 if smoke else 2048))
    trainer.step()  # warmup
    sync(dev)
    while time.time() < start_at:  # all k trials measure the same window
        time.sleep(0.01)
    n, end = 0, start_at + seconds
    while time.time() < end:
        trainer.step()
        n += 1
    trainer.scalars()
    return n


def measure(counts=COUNTS, preset: str = "WGAN", seconds: float = 20.0, smoke: bool = False,
            device: str | None = None) -> dict:
    """{k: aggregate it/s} with Ray tasks of 1/k GPU each; `not measured` without CUDA."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" and not smoke:
        return {"measured": False, "reason": NO_GPU}
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address="local", include_dashboard=False, log_to_driver=False,
                 num_cpus=max(counts) if smoke else None)
    try:
        remote = ray.remote(_trial)
        out = {}
        for k in counts:
            setup = 20.0 if smoke else 120.0  # Trainer construction + warmup, all k in parallel
            start_at = time.time() + setup
            res = ({"num_gpus": 1.0 / k} if device == "cuda" else {"num_cpus": 1})
            tasks = [remote.options(**res).remote(preset, device, seconds, smoke, start_at) for _ in range(k)]
            iters = ray.get(tasks)
            out[k] = {"trials": k, "iterations": iters, "aggregate_it_s": sum(iters) / seconds}
        single = out[counts[0]]["aggregate_it_s"]
        for k in out:
            out[k]["speedup_over_one"] = out[k]["aggregate_it_s"] / single if single else None
        return {"measured": True, "device": device, "preset": preset, "seconds": seconds,
                "results": list(out.values())}
    finally:
        if started_here:
            ray.shutdown()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--seconds", type=float, default=20.0)
    args = p.parse_args(argv)
    r = measure((1, 2) if args.smoke else COUNTS, seconds=1.0 if args.smoke else args.seconds,
                smoke=args.smoke)
    print(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
