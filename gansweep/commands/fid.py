"""`gansweep fid PATH_A PATH_B`: FID between two image folders or .npz statistics files.

Mirrors pytorch-fid's command line (`python -m pytorch_fid A B`): a folder's images (bmp,
jpg, jpeg, pgm, png, ppm, tif, tiff, webp; sorted; converted to RGB) go through pytorch-fid's
InceptionV3 pool3; a .npz holds `mu` and `sigma` as pytorch-fid's --save-stats writes them.
The number is printed alone on the last line; the line before is the provenance as JSON.
Weights are read from the local file (see gansweep.metrics.inception); two .npz files need
none. `--save-stats` writes PATH_A's statistics to PATH_B, as pytorch-fid's option does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from gansweep.commands.args import bounded_int, device_arg
from gansweep.config.constraints import MAX_BATCH
from gansweep.metrics.base import load_image_folder
from gansweep.metrics.fid import frechet_distance, frechet_distance_torch, statistics_numpy
from gansweep.metrics.inception import InceptionExtractor, InceptionWeightsMissing, resolve_weights
from gansweep.metrics.provenance import Provenance


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs=2, metavar="PATH", help="image folder or .npz with mu/sigma")
    parser.add_argument("--inception-weights", metavar="W", default=None,
                        help="pytorch-fid weights file (default: $GANSWEEP_INCEPTION_WEIGHTS, "
                             "then pytorch-fid's torch-hub cache)")
    parser.add_argument("--batch-size", type=bounded_int(1, MAX_BATCH), default=50,
                        help="images per Inception batch")
    parser.add_argument("--device", type=device_arg, default=None, help="cpu, cuda, cuda:N (default: cuda if present)")
    parser.add_argument("--distance", choices=["torch", "scipy"], default="torch",
                        help="torch: eigendecomposition on the device; scipy: pytorch-fid's sqrtm")
    parser.add_argument("--save-stats", action="store_true",
                        help="write the statistics of the first path to the second (.npz)")
    parser.add_argument("--download-weights", action="store_true",
                        help="fetch the Inception weights if absent (needs a network)")


def main(args: argparse.Namespace) -> int:
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    try:
        if args.save_stats:
            return _save_stats(args, device)
        extractor = None
        stats, sources, counts = [], [], []
        for p in args.paths:
            if p.endswith(".npz"):
                stats.append(_load_npz(p))
                sources.append(f"npz:{p}")
                counts.append(-1)  # unknown: pytorch-fid's .npz does not record it
            else:
                extractor = extractor or _extractor(args, device)
                mu, sigma, n = _folder_stats(p, extractor, args.batch_size)
                stats.append((mu, sigma))
                sources.append(f"folder:{p}")
                counts.append(n)
    except (InceptionWeightsMissing, FileNotFoundError, FileExistsError, ValueError) as err:
        print(f"gansweep fid: {err}", file=sys.stderr)
        return 2
    (mu1, s1), (mu2, s2) = stats
    if args.distance == "scipy":
        value = frechet_distance(mu1, s1, mu2, s2)
    else:
        value = frechet_distance_torch(mu1, s1, mu2, s2, device=device)
    prov = Provenance("fid", f"gansweep.metrics.fid ({args.distance}): Heusel et al. 2017 as pytorch-fid",
                      extractor.name if extractor else "from .npz",
                      extractor.weights_sha256 if extractor else None,
                      n_generated=counts[0], n_real=counts[1], real_split=sources[1], dataset=sources[0])
    print(json.dumps({"provenance": prov.to_dict()}))
    print(f"{value:.6f}")
    return 0


def _extractor(args, device) -> InceptionExtractor:
    return InceptionExtractor(resolve_weights(args.inception_weights, download=args.download_weights), device)


def _folder_stats(folder: str, extractor: InceptionExtractor, batch_size: int):
    if not Path(folder).is_dir():
        raise FileNotFoundError(f"{folder}: no such folder or .npz file")
    images = load_image_folder(folder)
    feats, _ = extractor.run(images, batch_size)
    mu, sigma = statistics_numpy(feats)
    return mu, sigma, len(images)


def _load_npz(path: str):
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: no such statistics file")
    try:  # np.load raises a zip, pickle or key error for a file that is not pytorch-fid's .npz
        with np.load(path, allow_pickle=False) as f:
            mu, sigma = np.asarray(f["mu"], dtype=np.float64), np.asarray(f["sigma"], dtype=np.float64)
    except Exception as err:
        raise ValueError(f"{path}: not a statistics file with mu and sigma "
                         f"({type(err).__name__}: {err})") from None
    if mu.ndim != 1 or sigma.shape != (len(mu), len(mu)) or not (
            np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise ValueError(f"{path}: mu must be a finite vector and sigma a finite square matrix "
                         f"of its size; got shapes {mu.shape} and {sigma.shape}")
    return mu, sigma


def _save_stats(args, device) -> int:
    src, dst = args.paths
    if Path(dst).exists():
        raise FileExistsError(f"{dst} exists; not overwriting it")
    mu, sigma, n = _folder_stats(src, _extractor(args, device), args.batch_size)
    np.savez_compressed(dst, mu=mu, sigma=sigma)
    print(f"saved statistics of {n} images to {dst}")
    return 0
