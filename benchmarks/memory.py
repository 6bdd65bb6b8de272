"""Per-trial memory footprint: peak RSS (CPU) and peak CUDA memory per preset, at thesis sizes.

    python -m benchmarks.memory              # WGAN, AC-WGAN.b, ResNet.b
    python -m benchmarks.memory --smoke      # toy widths

Each preset runs in a fresh Python process (peak RSS is per process): imports, a 2048-image
CIFAR-shaped dataset, the Trainer, then a few generator iterations. Reported: the process's
peak RSS, the same after imports and data only (the part every trial pays regardless of the
model), and on CUDA torch.cuda.max_memory_allocated / max_memory_reserved over the training
steps. A spec's fractional `resources.gpu` can then be chosen as
    trials per GPU = floor(usable GPU memory / (max_memory_reserved + CUDA context ~0.5 GB)).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys

from benchmarks.common import NO_GPU, ROOT

PRESETS = ("WGAN", "AC-WGAN.b", "ResNet.b")


def _peak_rss_mb() -> float:
    """This process's peak RSS. Linux keeps ru_maxrss across exec (it would report the
    parent's peak), so read VmHWM, which belongs to the process's own address space."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def one(preset: str, device: str, smoke: bool) -> dict:
    import torch

    from benchmarks.common import cifar_like
    from benchmarks.throughput import SMOKE, preset_config
    from gansweep.trainer import Trainer

    dev = torch.device(device)
    data = cifar_like(256 if smoke else 2048)
    base = _peak_rss_mb()
    trainer = Trainer(preset_config(preset, dev, SMOKE if smoke else None), dev, dataset=data)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats(dev)
    for _ in range(1 if smoke else 2):
        trainer.step()
    trainer.scalars()
    out = {"preset": preset, "peak_rss_mb": _peak_rss_mb(), "rss_after_imports_and_data_mb": base,
           "parameters": sum(p.numel() for n in trainer.nets.named().values() for p in n.parameters())}
    if dev.type == "cuda":
        out["cuda_max_allocated_mb"] = torch.cuda.max_memory_allocated(dev) / 2**20
        out["cuda_max_reserved_mb"] = torch.cuda.max_memory_reserved(dev) / 2**20
    else:
        out["cuda_max_allocated_mb"] = NO_GPU
    return out


def run_all(device: str, smoke: bool = False, presets=PRESETS) -> list[dict]:
    out = []
    for preset in presets:
        cmd = [sys.executable, "-m", "benchmarks.memory", "--one", preset, "--device", device]
        proc = subprocess.run(cmd + (["--smoke"] if smoke else []), cwd=ROOT, capture_output=True,
                              text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{preset:10s} peak RSS {r['peak_rss_mb']:.0f} MB (imports+data {r['rss_after_imports_and_data_mb']:.0f} MB)"
              f" | CUDA {r['cuda_max_allocated_mb']}", flush=True)
        out.append(r)
    return out


def main(argv=None) -> int:
    from benchmarks.common import preset_parser

    p = preset_parser(__doc__, PRESETS)
    p.add_argument("--one", help=argparse.SUPPRESS)  # the child process: one preset, JSON out
    args = p.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.device, args.smoke)))
    else:
        run_all(args.device, args.smoke, args.preset)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
