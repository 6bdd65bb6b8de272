"""Seconds per FID evaluation: gansweep's in-process path against pytorch-fid's own.

    python benchmarks/eval_speed.py                  # 500 and 2000 samples; JSON record
    python benchmarks/eval_speed.py --samples 5000   # the thesis's evaluation size
    python benchmarks/eval_speed.py --smoke          # a few samples: checks that it runs

For N samples of a 32x32x3 DCGAN generator (Table 4.3, untrained: its cost is the same):

- gansweep: `Evaluator(metrics=["fid"]).evaluate(G)`, as a training run calls it every
  eval.every iterations: generation, Inception features, distance to the cached real
  statistics. Computing the real statistics is a one-time cost per cache directory (shared
  by all trials) and is reported apart.
- pytorch-fid: the same uint8 images written as PNGs, then
  `pytorch_fid.fid_score.calculate_fid_given_paths([generated, real])` as its command line
  runs it (batch 50, its default workers), which extracts both folders on every call; its
  statistics and distance are timed by wrapping its own functions, which it still calls.

Both use one weights file. Where pytorch-fid's real file is absent (no network here), a
randomly initialised network in its format is written to a temp dir and the record says so:
FID values are then meaningless, but the cost is that of the real network, and the two
paths must still agree with each other. Writes benchmarks/results/eval_speed-<device>.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from a checkout without installing

import numpy as np  # noqa: E402
import torch  # noqa: E402


def weights_file(tmp: Path, given: str | None) -> tuple[Path, str]:
    """The real weights if found, else a random network in pytorch-fid's format."""
    from gansweep.metrics import inception

    try:
        return inception.resolve_weights(given), "pytorch-fid weights file"
    except inception.InceptionWeightsMissing:
        path = inception.write_random_weights(tmp / inception.weights_filename(), seed=0)
        return path, ("RANDOMLY INITIALISED pytorch-fid InceptionV3 (real weights absent on this "
                      "machine): same architecture and cost, FID values not meaningful")


def make_generator(device):
    from gansweep.config import override, resolve
    from gansweep.models.families import build_gan
    from gansweep.models.networks import DataShape

    cfg = resolve({"model": "WGAN", "data": {"name": "cifar10"}})
    G = build_gan(cfg.model, DataShape(3, 32, 10)).G.to(device).eval()
    return cfg, G


def bench_ours(n: int, batch: int, weights: Path, device, cache_dir: Path):
    from gansweep.config import override
    from gansweep.metrics.evaluator import Evaluator

    cfg, G = make_generator(device)
    cfg = override(cfg, {"eval.metrics": ["fid"], "eval.samples": n, "eval.batch_size": batch,
                       "eval.cache_dir": str(cache_dir), "eval.inception_weights": str(weights)})
    g = torch.Generator().manual_seed(1)
    real = SimpleNamespace(images=torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g),
                           labels=torch.zeros(n, dtype=torch.long))
    t = time.perf_counter()
    evaluator = Evaluator(cfg, real, device, 10, False, cfg.model.z_dim)
    setup = time.perf_counter() - t

    def sample(z, y):
        return G(z, y)

    t = time.perf_counter()
    metrics = evaluator.evaluate(sample)
    total = time.perf_counter() - t
    return evaluator, sample, real, {"fid": metrics["fid"], "total_s": total, **evaluator.last_timings,
                                      "setup_s_once": setup}


def bench_pytorch_fid(gen_uint8, real_uint8, weights: Path, tmp: Path, device, distance=None):
    """`distance` (smoke runs): instead of pytorch-fid's own, whose scipy sqrtm takes ~15 s on
    the rank-19 covariances of 20 samples (~2 s at full rank)."""
    from gansweep.metrics.base import save_image_folder
    from gansweep.metrics.inception import weights_filename
    import pytorch_fid.fid_score as fs

    # pytorch-fid finds its weights in the torch hub cache: put the file there, no download.
    hub = tmp / "torch_home" / "hub" / "checkpoints"
    hub.mkdir(parents=True, exist_ok=True)
    if not (hub / weights_filename()).exists():
        os.symlink(weights, hub / weights_filename())
    os.environ["TORCH_HOME"] = str(tmp / "torch_home")
    t = time.perf_counter()
    save_image_folder(gen_uint8, tmp / "generated")
    save_image_folder(real_uint8, tmp / "real")
    write = time.perf_counter() - t

    laps = {"statistics_s": 0.0, "distance_s": 0.0}
    originals = fs.compute_statistics_of_path, fs.calculate_frechet_distance

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                laps[name] += time.perf_counter() - t0
        return wrapper

    fs.compute_statistics_of_path = timed("statistics_s", originals[0])
    fs.calculate_frechet_distance = timed("distance_s", distance or originals[1])
    try:
        workers = min(len(os.sched_getaffinity(0)), 8)  # pytorch-fid's command-line default
        t = time.perf_counter()
        value = fs.calculate_fid_given_paths([str(tmp / "generated"), str(tmp / "real")], 50,
                                             str(device), 2048, workers)
        total = time.perf_counter() - t
    finally:
        fs.compute_statistics_of_path, fs.calculate_frechet_distance = originals
    return {"fid": float(value), "total_s": total, "png_write_s": write, "num_workers": workers, **laps}


def run_one(n: int, batch: int, weights: Path, device, tmp: Path, smoke: bool = False) -> dict:
    from gansweep.metrics.fid import frechet_distance_torch

    evaluator, sample, real, ours = bench_ours(n, batch, weights, device, tmp / f"cache{n}")
    gen = evaluator.generate(sample).cpu()
    theirs = bench_pytorch_fid(gen, real.images, weights, tmp / f"pf{n}", device,
                               distance=frechet_distance_torch if smoke else None)
    return {"samples": n, "real_samples": n, "gansweep": ours, "pytorch_fid": theirs,
            "speedup": theirs["total_s"] / ours["total_s"],
            "fid_relative_difference": abs(ours["fid"] - theirs["fid"]) / max(abs(theirs["fid"]), 1e-12)}


def machine(device) -> dict:
    import pytorch_fid
    import scipy
    import torchvision

    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": len(os.sched_getaffinity(0)), "torch_threads": torch.get_num_threads(),
            "device": str(device), "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": torchvision.__version__, "pytorch_fid": pytorch_fid.__version__,
            "numpy": np.__version__, "scipy": scipy.__version__}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    return info


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, nargs="+", default=[500, 2000])
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--inception-weights", default=None)
    p.add_argument("--smoke", action="store_true", help="20 samples, no record written")
    p.add_argument("--out", default=None, help="record path (default benchmarks/results/...)")
    args = p.parse_args(argv)
    device = torch.device(args.device)
    sizes = [20] if args.smoke else args.samples
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        weights, kind = weights_file(tmp, args.inception_weights)
        results = []
        for n in sizes:
            r = run_one(n, min(args.batch_size, n), weights, device, tmp, smoke=args.smoke)
            print(f"N={n}: gansweep {r['gansweep']['total_s']:.1f} s "
                  f"(generate {r['gansweep']['generate_s']:.2f}, features {r['gansweep']['features_s']:.1f}, "
                  f"distance {r['gansweep']['distance_s']:.2f}) | pytorch-fid {r['pytorch_fid']['total_s']:.1f} s "
                  f"(+{r['pytorch_fid']['png_write_s']:.1f} s PNG writing) | {r['speedup']:.2f}x | "
                  f"FID rel. diff {r['fid_relative_difference']:.1e}", flush=True)
            results.append(r)
    record = {"benchmark": "eval_speed", "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "weights": kind, "machine": machine(device), "results": results,
              "notes": "gansweep total = generation + features of N generated images + distance to "
                       "cached real statistics (what each training evaluation costs); setup_s_once = "
                       "building the extractor and the real statistics, once per cache. pytorch-fid "
                       "total = calculate_fid_given_paths on N generated + N real PNGs (both extracted "
                       "every call) without the PNG writing, reported apart."}
    if args.smoke:
        print(json.dumps(record)[:400] + " ...")
        return 0
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"eval_speed-{device.type}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
