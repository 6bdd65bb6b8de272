"""KID equals torch-fidelity's on the same features, is unbiased where FID is not, and is
reported beside every FID."""

import pytest
import torch

from gansweep.metrics.fid import fid_from_features, statistics
from gansweep.metrics.kid import kid

torch_fidelity = pytest.importorskip("torch_fidelity", reason="torch-fidelity is the reference")


def features(n, d, shift=0.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64) + shift


@pytest.mark.parametrize("n_gen,n_real,d,size", [(300, 250, 64, 200), (120, 400, 2048, 100)])
def test_equals_torch_fidelity(n_gen, n_real, d, size):
    from torch_fidelity.metric_kid import kid_features_to_metric

    gen, real = features(n_gen, d, 0.3, seed=1), features(n_real, d, seed=2)
    ref = kid_features_to_metric(gen, real, kid_subsets=20, kid_subset_size=size, rng_seed=2020,
                                 verbose=False)
    mean, std = kid(gen, real, subsets=20, subset_size=size, seed=2020)
    assert mean == pytest.approx(ref["kernel_inception_distance_mean"], rel=1e-9)
    assert std == pytest.approx(ref["kernel_inception_distance_std"], rel=1e-9)


def test_unbiased_at_few_samples_where_fid_is_not():
    """Independent small samples of the real distribution itself: KID averages to 0 (within
    its standard error); FID is positive, and more so with fewer samples (its bias)."""
    real = features(2000, 16, seed=3)
    mu, sigma = statistics(real)
    kids = torch.tensor([kid(features(50, 16, seed=10 + k), real, subsets=5)[0] for k in range(30)])
    assert abs(kids.mean()) < 3 * kids.std() / 30 ** 0.5
    fid50 = sum(fid_from_features(features(50, 16, seed=10 + k), mu, sigma) for k in range(5)) / 5
    fid400 = sum(fid_from_features(features(400, 16, seed=10 + k), mu, sigma) for k in range(5)) / 5
    assert fid50 > 2 * fid400 > 0
    assert kid(features(400, 16, 0.5, seed=5), real, subsets=10, subset_size=400)[0] > 0.05


def test_kid_beside_fid_in_the_digits_evaluation(tmp_path):
    from gansweep.config import resolve
    from gansweep.metrics import evaluator as ev
    from gansweep.data import load_dataset

    cfg = resolve({"model": {"preset": "cGAN.a", "z_dim": 8}, "data": {"name": "digits"},
                   "eval": {"samples": 300, "batch_size": 150, "cache_dir": str(tmp_path),
                            "kid_subsets": 10}})
    data = load_dataset(cfg.data, "train")
    evaluator = ev.Evaluator(cfg, data, "cpu", 10, True, 8)
    assert {"fid_digits", "kid_digits"} <= set(evaluator.metrics)

    def copies(z, y):  # real training images of the requested class
        by_class = [data.images[data.labels == c] for c in range(10)]
        return torch.stack([by_class[c][i % len(by_class[c])] for i, c in enumerate(y.tolist())]).float() / 127.5 - 1

    scores = evaluator.evaluate(copies)
    noise = evaluator.evaluate(lambda z, y: torch.rand(len(z), 1, 8, 8) * 2 - 1)
    assert abs(scores["kid_digits"]) < noise["kid_digits"] and scores["kid_digits_std"] >= 0
    prov = evaluator.provenance()["kid_digits"]
    assert "torch-fidelity" in prov["implementation"] and "10 subsets of 300" in prov["implementation"]
