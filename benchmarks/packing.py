"""Packing: aggregate generator iterations/s of 1, 2, 4, 8 trials sharing one GPU.

    python -m benchmarks.packing            # needs a CUDA device; else records "not measured"
    python -m benchmarks.packing --smoke    # CPU, toy sizes, k = 1 and 2: checks the mechanics

Each trial is a Ray actor holding `1/k` of a GPU (the fractional resource a sweep spec's
`resources.gpu: 0.25` asks for), training the DCGAN-sized WGAN-GP (batch 64, n_D 5) on
CIFAR-shaped data kept on the device. Once every actor has built its trainer and taken a
warmup step, all train for the same wall-clock window; the aggregate is the sum of
iterations over that window. The target is >= 3x the single
trial's rate at k = 4.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import NO_GPU

COUNTS = (1, 2, 4, 8)


class _Trial:
    """One packed trial: the trainer is built and warmed up before the timed window."""

    def __init__(self, preset: str, device: str, smoke: bool):
        from benchmarks.common import cifar_like, sync
        from benchmarks.throughput import SMOKE, preset_config
        from gansweep.trainer import Trainer

        self.device, self.sync = torch.device(device), sync
        self.trainer = Trainer(preset_config(preset, self.device, SMOKE if smoke else None),
                               self.device, dataset=cifar_like(256 if smoke else 2048))
        self.trainer.step()  # warmup
        sync(self.device)

    def ready(self) -> bool:  # answered once __init__ (build + warmup) has returned
        return True

    def train_until(self, start_at: float, seconds: float) -> int:
        while time.time() < start_at:  # all k trials measure the same window
            time.sleep(0.01)
        n, end = 0, start_at + seconds
        while time.time() < end:
            self.trainer.step()
            n += 1
        self.trainer.scalars()
        return n


def measure(counts=COUNTS, preset: str = "WGAN", seconds: float = 20.0, smoke: bool = False,
            device: str | None = None) -> dict:
    """{k: aggregate it/s} with Ray actors of 1/k GPU each; `not measured` without CUDA."""
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu" and not smoke:
        return {"measured": False, "reason": NO_GPU}
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address="local", include_dashboard=False, log_to_driver=False,
                 num_cpus=max(counts) if smoke else None)
    try:
        remote = ray.remote(_Trial)
        out = {}
        for k in counts:
            res = ({"num_gpus": 1.0 / k} if device == "cuda" else {"num_cpus": 1})
            trials = [remote.options(**res).remote(preset, device, smoke) for _ in range(k)]
            ray.get([t.ready.remote() for t in trials])  # every trainer built and warm
            start_at = time.time() + 0.5
            iters = ray.get([t.train_until.remote(start_at, seconds) for t in trials])
            for t in trials:
                ray.kill(t)
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
