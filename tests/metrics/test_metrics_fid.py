"""FID's distance against pytorch-fid's calculate_frechet_distance and the closed form."""

import numpy as np
import pytest
import torch
from pytorch_fid.fid_score import calculate_frechet_distance

from gansweep.metrics.fid import (fid_from_features, frechet_distance, frechet_distance_torch,
                                  statistics, statistics_numpy)


def random_stats(rng, d, n, shift=0.0, scale=1.0):
    x = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * scale / np.sqrt(d) + shift
    return x.mean(0), np.cov(x, rowvar=False)


@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")  # pytorch-fid
@pytest.mark.parametrize("d,n", [(16, 400), (64, 300), (128, 60)])  # the last: rank-deficient
def test_distance_equals_pytorch_fid(d, n):
    rng = np.random.default_rng(d)
    mu1, s1 = random_stats(rng, d, n)
    mu2, s2 = random_stats(rng, d, n, shift=0.3, scale=1.5)
    ref = calculate_frechet_distance(mu1, s1, mu2, s2)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-6)
    assert frechet_distance_torch(mu1, s1, mu2, s2) == pytest.approx(ref, rel=1e-6)


def test_set_with_itself_is_zero():
    rng = np.random.default_rng(1)
    feats = torch.from_numpy(rng.normal(size=(200, 32)) ** 2)
    mu, sigma = statistics(feats)
    assert abs(frechet_distance_torch(mu, sigma, mu, sigma)) < 1e-6
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-6
    assert abs(fid_from_features(feats, mu, sigma)) < 1e-6


def test_gaussians_closed_form():
    """Covariances sharing eigenvectors: Tr(S1 + S2 - 2 (S1 S2)^1/2) = sum (sqrt(a) - sqrt(b))^2."""
    rng = np.random.default_rng(2)
    d = 24
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    a, b = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    closed = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance_torch(mu1, s1, mu2, s2) == pytest.approx(closed, rel=1e-9)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(closed, rel=1e-9)


def test_statistics_equal_numpy_mean_and_cov():
    x = np.random.default_rng(3).normal(size=(100, 10)).astype(np.float32)
    mu, sigma = statistics_numpy(torch.from_numpy(x))
    assert mu.dtype == np.float64
    np.testing.assert_allclose(mu, np.mean(x.astype(np.float64), axis=0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-10, atol=1e-14)


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ"):
        frechet_distance_torch(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
