"""What every benchmark shares: a CIFAR-shaped in-memory dataset, timing, and the record."""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import time
from pathlib import Path

import torch

from gansweep.data import ImageDataset

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NO_GPU = "not measured: no GPU in this session"


def cifar_like(n: int = 2048, seed: int = 0) -> ImageDataset:
    """Random uint8 images shaped like CIFAR-100 (32x32x3, 100 fine / 20 coarse classes),
    held in memory: no file reading or decoding enters a throughput figure."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 100, (n,), generator=g)
    return ImageDataset("cifar100-shaped random", torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8,
                                                               generator=g),
                        labels, labels // 5, 100, 20, [str(i) for i in range(100)],
                        [str(i) for i in range(20)])


def preset_parser(doc: str, presets) -> "argparse.ArgumentParser":
    """The command line every per-preset benchmark shares."""
    import argparse

    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--preset", nargs="+", default=list(presets))
    p.add_argument("--smoke", action="store_true", help="toy sizes: checks that it runs")
    return p


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_rate(step, iterations: int, device: torch.device) -> float:
    """Calls of `step` per second, measured between two device synchronisations."""
    sync(device)
    t = time.perf_counter()
    for _ in range(iterations):
        step()
    sync(device)
    return iterations / (time.perf_counter() - t)


def machine(device: torch.device) -> dict:
    import optuna
    import ray

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"host": platform.node(), "platform": platform.platform(), "cpu": cpu,
            "cpus": len(os.sched_getaffinity(0)), "torch_threads": torch.get_num_threads(),
            "device": str(device), "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
            "python": platform.python_version(), "torch": torch.__version__, "ray": ray.__version__,
            "optuna": optuna.__version__, "git_commit": git_commit(),
            "load_average_at_start": list(os.getloadavg())}
    return info


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "gansweep", "benchmarks", "trainables"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_record(name: str, device: torch.device, record: dict, out: Path | None = None) -> Path:
    date = datetime.datetime.now().strftime("%Y-%m-%d")
    path = out or RESULTS / f"{name}-{device.type}-{date}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
