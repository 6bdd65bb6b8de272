"""Fréchet distance between feature Gaussians: FID and everything built on it.

Reference: Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to a
Local Nash Equilibrium", eq. (6), as implemented in pytorch-fid 0.3.0
(`pytorch_fid.fid_score.calculate_activation_statistics` and `calculate_frechet_distance`):

    d^2 = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^(1/2))

with mu, S the mean and unbiased (ddof=1, np.cov) covariance of the features in float64.
Tests check `frechet_distance` and `frechet_distance_torch` against
`pytorch_fid.fid_score.calculate_frechet_distance` on the same statistics (1e-6 relative),
against the closed form for commuting covariances, and that a set has distance 0 to itself.

Two implementations of the distance:
- `frechet_distance`: pytorch-fid's algorithm (scipy's Schur-based sqrtm), numpy, CPU.
- `frechet_distance_torch`: Tr (S_1 S_2)^(1/2) as the sum of square roots of the eigenvalues of
  the symmetric PSD matrix R S_2 R, R = S_1^(1/2) (it has the eigenvalues of S_1 S_2). Two
  symmetric eigendecompositions in float64 instead of a general Schur sqrtm: ~6x faster on a
  CPU for 2048-d, runs on the GPU, and never produces the imaginary parts sqrtm can.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import linalg


def statistics(features: torch.Tensor | np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """float64 mean and unbiased covariance of (N, d) features, on the features' device.

    Two-pass (centre, then X^T X / (N-1)), as np.cov; float64 like pytorch-fid, whose
    activations array is float64 before np.mean / np.cov.
    """
    x = torch.as_tensor(features).double()
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"need (N >= 2, d) features for a covariance, got shape {tuple(x.shape)}")
    mu = x.mean(0)
    xc = x - mu
    sigma = xc.T @ xc / (x.shape[0] - 1)
    return mu, sigma


def statistics_numpy(features) -> tuple[np.ndarray, np.ndarray]:
    mu, sigma = statistics(features)
    return mu.cpu().numpy(), sigma.cpu().numpy()


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """pytorch-fid's `calculate_frechet_distance`, step for step (numpy/scipy, CPU)."""
    mu1, mu2 = np.atleast_1d(_np(mu1)), np.atleast_1d(_np(mu2))
    sigma1, sigma2 = np.atleast_2d(_np(sigma1)), np.atleast_2d(_np(sigma2))
    _check_shapes(mu1, sigma1, mu2, sigma2)
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        # As pytorch-fid: a singular product gets eps on the diagonals and a second try.
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag))} in sqrtm")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def frechet_distance_torch(mu1, sigma1, mu2, sigma2, device: torch.device | str | None = None) -> float:
    """The same distance through symmetric eigendecompositions in float64 (GPU if given one)."""
    t = [torch.as_tensor(_np(a) if not torch.is_tensor(a) else a) for a in (mu1, sigma1, mu2, sigma2)]
    device = torch.device(device) if device is not None else t[1].device
    mu1, sigma1, mu2, sigma2 = (a.to(device, torch.float64) for a in t)
    _check_shapes(mu1, sigma1, mu2, sigma2)
    root1 = _psd_sqrt(sigma1)
    m = root1 @ sigma2 @ root1
    # eigvalsh reads one triangle: symmetrise so rounding in the products cannot bias it.
    eig = torch.linalg.eigvalsh((m + m.T) / 2)
    tr_covmean = eig.clamp(min=0).sqrt().sum()  # PSD: negatives are rounding noise
    diff = mu1 - mu2
    d2 = diff.dot(diff) + sigma1.trace() + sigma2.trace() - 2 * tr_covmean
    return float(d2)


def _psd_sqrt(sigma: torch.Tensor) -> torch.Tensor:
    vals, vecs = torch.linalg.eigh((sigma + sigma.T) / 2)
    return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T


def _np(a) -> np.ndarray:
    return a.detach().cpu().double().numpy() if torch.is_tensor(a) else np.asarray(a, dtype=np.float64)


def _check_shapes(mu1, sigma1, mu2, sigma2) -> None:
    if tuple(mu1.shape) != tuple(mu2.shape):
        raise ValueError(f"mean vectors differ in length: {tuple(mu1.shape)} vs {tuple(mu2.shape)}")
    if tuple(sigma1.shape) != tuple(sigma2.shape):
        raise ValueError(f"covariances differ in shape: {tuple(sigma1.shape)} vs {tuple(sigma2.shape)}")


def fid_from_features(features: torch.Tensor, mu_real, sigma_real) -> float:
    """Distance of generated features to cached real statistics (torch path, on their device)."""
    mu, sigma = statistics(features)
    return frechet_distance_torch(mu, sigma, mu_real, sigma_real, device=mu.device)
