"""Kernel Inception Distance: Bińkowski et al. 2018 ("Demystifying MMD GANs"), as
torch-fidelity's `kid_features_to_metric` (v0.4): the unbiased MMD² between generated and
real features under the cubic polynomial kernel k(x, y) = (x·y / d + 1)³, averaged over
`subsets` random subsets of `subset_size` samples from each side, reported as mean and std.

FID is biased at small sample counts (its expectation falls as the samples grow); KID's
estimator is unbiased, so it is the companion to read when an evaluation uses 500-5000
samples, as the digits sweeps do. It is computed from the very features of every FID
(`kid` from Inception's pool3, `kid_digits` from the digits judge, ...).

The subsets are drawn exactly as torch-fidelity draws them (numpy RandomState(seed), first
the generated then the real indices, without replacement, per subset), so with its seed
(2020) both give the same number on the same features (tests/metrics/test_metrics_kid.py).
The kernel sums run in float64 on the features' device.
"""

from __future__ import annotations

import numpy as np
import torch

SUBSETS, SUBSET_SIZE, SEED = 100, 1000, 2020  # torch-fidelity's defaults


def polynomial_mmd2(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD² of two equal-sized samples under (x·y / d + 1)³."""
    d, m = x.shape[1], x.shape[0]
    k_xx = (x @ x.T / d + 1) ** 3
    k_yy = (y @ y.T / d + 1) ** 3
    k_xy = (x @ y.T / d + 1) ** 3
    within = (k_xx.sum() - k_xx.diagonal().sum() + k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return within - 2 * k_xy.sum() / (m * m)


def kid(generated: torch.Tensor, real: torch.Tensor, subsets: int = SUBSETS,
        subset_size: int = SUBSET_SIZE, seed: int = SEED) -> tuple[float, float]:
    """(mean, std) of the subsets' MMD². `subset_size` is capped at the smaller sample (as
    torch-fidelity asks its users to do by hand); at least 2 samples per side are needed."""
    n_gen, n_real = len(generated), len(real)
    size = min(subset_size, n_gen, n_real)
    if size < 2:
        raise ValueError(f"KID needs at least 2 samples per side, got {n_gen} and {n_real}")
    rng = np.random.RandomState(seed)
    x_all, y_all = generated.double(), real.double().to(generated.device)
    values = torch.empty(subsets, dtype=torch.float64)
    for i in range(subsets):
        gi = torch.from_numpy(rng.choice(n_gen, size, replace=False)).to(x_all.device)
        ri = torch.from_numpy(rng.choice(n_real, size, replace=False)).to(x_all.device)
        values[i] = polynomial_mmd2(x_all[gi], y_all[ri]).cpu()
    return float(values.mean()), float(values.std(correction=0))  # np.std, as torch-fidelity
