"""cond_acc, intra-FID, diversity and memorisation against scipy/sklearn/pytorch-fid."""

import numpy as np
import pytest
import torch
from pytorch_fid.fid_score import calculate_frechet_distance
from scipy.spatial.distance import cdist, pdist
from sklearn.metrics import accuracy_score

from gansweep.metrics import conditional as cond
from gansweep.metrics.base import to_grey


def test_conditional_accuracy_equals_sklearn():
    g = torch.Generator().manual_seed(0)
    logits, requested = torch.randn(300, 10, generator=g), torch.randint(0, 10, (300,), generator=g)
    assert cond.conditional_accuracy(logits, requested) == pytest.approx(
        accuracy_score(requested.numpy(), logits.argmax(1).numpy()), abs=1e-12)


@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")  # pytorch-fid
def test_intra_fid_is_mean_of_per_class_pytorch_fid():
    rng = np.random.default_rng(0)
    k, d = 3, 6
    real = torch.from_numpy(rng.normal(size=(300, d)))
    real_y = torch.arange(300) % k
    gen = torch.from_numpy(rng.normal(size=(150, d)) * 1.2 + 0.1)
    gen_y = torch.arange(150) % k
    mu, sigma, counts = cond.class_statistics(real, real_y, k)
    ref = np.mean([calculate_frechet_distance(
        gen[gen_y == c].numpy().mean(0), np.cov(gen[gen_y == c].numpy(), rowvar=False),
        real[real_y == c].numpy().mean(0), np.cov(real[real_y == c].numpy(), rowvar=False))
        for c in range(k)])
    assert cond.intra_fid(gen, gen_y, mu, sigma, counts) == pytest.approx(ref, rel=1e-6)


def test_mean_pairwise_distance_equals_scipy_pdist():
    x = np.random.default_rng(1).normal(size=(40, 5))
    assert cond.mean_pairwise_distance(torch.from_numpy(x)) == pytest.approx(pdist(x).mean(), rel=1e-10)


def test_diversity_ratio_sees_within_class_collapse():
    rng = np.random.default_rng(2)
    feats = torch.from_numpy(rng.normal(size=(200, 8)))
    labels = torch.arange(200) % 4
    real = cond.class_diversity(feats, labels, 4)
    assert cond.diversity_ratio(cond.class_diversity(feats, labels, 4), real) == pytest.approx(1.0)
    collapsed = feats.clone()
    for c in range(4):  # every class's samples become one image with tiny jitter
        idx = labels == c
        collapsed[idx] = feats[idx][0] + 1e-3 * torch.from_numpy(rng.normal(size=(int(idx.sum()), 8)))
    assert cond.diversity_ratio(cond.class_diversity(collapsed, labels, 4), real) < 0.01


def test_nearest_neighbour_equals_scipy_cdist():
    rng = np.random.default_rng(3)
    q, r = rng.uniform(size=(30, 64)), rng.uniform(size=(500, 64))
    ours = cond.nearest_neighbour_distance(torch.from_numpy(q), torch.from_numpy(r), chunk=7)
    np.testing.assert_allclose(ours.numpy(), cdist(q, r).min(1), rtol=1e-4)


def test_memorisation_of_a_copying_generator():
    g = torch.Generator().manual_seed(4)
    train = torch.randint(0, 256, (200, 3, 8, 8), dtype=torch.uint8, generator=g)
    test = torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8, generator=g)
    memo = cond.Memorisation(train, test)
    copies = memo(train[:50])
    assert copies["nn_dist"] < 1e-3 and copies["nn_ratio"] < 1e-2
    fresh = memo(torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8, generator=g))
    assert fresh["nn_ratio"] == pytest.approx(1.0, abs=0.1)
    expected = cdist(to_grey(test).numpy(), to_grey(train).numpy()).min(1).mean() / 8
    assert copies["nn_dist_test"] == pytest.approx(expected, rel=1e-4)
