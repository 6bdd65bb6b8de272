"""The depth study's datasets in R^2 (section 4.4.1): 10,000 points each, generated, never downloaded.

    swissroll   the 2-D Swiss roll of scikit-learn's `make_swiss_roll` (the paper's [24]) with
                noise 0.2: t = 1.5 pi (1 + 2u), u ~ U(0, 1), x = (t cos t, t sin t) + N(0, 0.2^2 I).
                We draw in sklearn's order (t, the unused height, then the noise), so a seed gives
                exactly `make_swiss_roll(n, noise=0.2, random_state=seed)[0][:, [0, 2]]`.
    gaussians8  eight Gaussians of std 0.02 on a circle of radius 2, equal weights: the ring of
                Metz et al. 2017 (unrolled GANs) and Srivastava et al. 2017 (VEEGAN).

The paper gives neither the mixture's radius and std nor the seeds; those above are ours.
"Not preprocessed ... centered at the origin": the roll's spiral and the ring are centred at
(0, 0) by construction and the points are used as drawn (no rescaling), so the roll spans
about +-14 and the ring +-2. The points have no labels: a PointDataset has no classes.
Train and test splits are different seeds (TRAIN_SEED, TEST_SEED) of the same distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import torch

POINTS = 10_000
TRAIN_SEED, TEST_SEED = 0, 1

SWISSROLL_NOISE = 0.2
SWISSROLL_T = (1.5 * math.pi, 4.5 * math.pi)  # the range of the curve parameter t
GAUSSIANS8_RADIUS, GAUSSIANS8_STD = 2.0, 0.02


@dataclass
class PointDataset:
    """Points (N, dim) as float32; the trainer and the point evaluator read `points`."""
    name: str
    points: torch.Tensor
    labels: None = None       # no classes: the generator and critic are unconditional
    aux_labels: None = None
    num_classes: int = 0
    num_aux_classes: int = 0
    is_points = True  # class attribute (no annotation): not a dataclass field

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    def __len__(self) -> int:
        return self.points.shape[0]

    def to(self, device) -> "PointDataset":
        return replace(self, points=self.points.to(device))

    def subset(self, index: torch.Tensor) -> "PointDataset":
        return replace(self, points=self.points[index])


def swiss_roll(n: int, seed: int, noise: float = SWISSROLL_NOISE) -> np.ndarray:
    rng = np.random.RandomState(seed)  # sklearn's check_random_state(int) is a RandomState
    t = 1.5 * np.pi * (1 + 2 * rng.uniform(size=n))
    rng.uniform(size=n)  # sklearn's third (height) coordinate: drawn to keep its noise stream
    clean = np.stack([t * np.cos(t), np.zeros(n), t * np.sin(t)])
    noisy = clean + noise * rng.standard_normal(size=(3, n))
    return noisy[[0, 2]].T.astype(np.float32)


def swiss_roll_curve(m: int = 20_001) -> np.ndarray:
    """The noise-free roll at m values of t evenly spaced over its range, (m, 2): points at
    most 0.007 apart (|dx/dt| <= 14.2), so distances to it are exact to 0.004."""
    t = np.linspace(*SWISSROLL_T, m)
    return np.stack([t * np.cos(t), t * np.sin(t)], axis=1)


def gaussians8_centers(radius: float = GAUSSIANS8_RADIUS) -> np.ndarray:
    angles = 2 * np.pi * np.arange(8) / 8
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def gaussians8(n: int, seed: int, std: float = GAUSSIANS8_STD) -> np.ndarray:
    rng = np.random.default_rng(seed)
    component = rng.integers(0, 8, size=n)
    return (gaussians8_centers()[component] + std * rng.standard_normal((n, 2))).astype(np.float32)


GENERATORS = {"swissroll": swiss_roll, "gaussians8": gaussians8}


def load_points(name: str, split: str, fraction: float = 1.0, subset_seed: int = 0) -> PointDataset:
    seed = TRAIN_SEED if split == "train" else TEST_SEED
    ds = PointDataset(name, torch.from_numpy(GENERATORS[name](POINTS, seed)))
    if split == "train" and fraction < 1.0:  # as data.load_dataset does for images
        gen = torch.Generator().manual_seed(subset_seed)
        keep = torch.randperm(len(ds), generator=gen)[:max(1, round(fraction * len(ds)))]
        ds = ds.subset(keep.sort().values)
    return ds
