"""Inception Score against a transcription of OpenAI's improved-gan get_inception_score."""

import numpy as np
import pytest
import torch

from gansweep.metrics.inception_score import inception_score, inception_score_from_probs


def openai_reference(preds, splits=10):
    """improved-gan/inception_score/model.py, the lines after the network (numpy only)."""
    scores = []
    for i in range(splits):
        part = preds[(i * preds.shape[0] // splits):((i + 1) * preds.shape[0] // splits), :]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        kl = np.mean(np.sum(kl, 1))
        scores.append(np.exp(kl))
    return np.mean(scores), np.std(scores)


def test_equals_reference_on_random_predictions():
    preds = np.random.default_rng(0).dirichlet(np.full(7, 0.3), size=1003)  # 1003: uneven splits
    mean, std = inception_score_from_probs(preds)
    ref_mean, ref_std = openai_reference(preds)
    assert mean == pytest.approx(ref_mean, rel=1e-12)
    assert std == pytest.approx(ref_std, rel=1e-9)


def test_identical_predictions_score_one():
    preds = np.tile(np.random.default_rng(1).dirichlet(np.ones(5)), (100, 1))
    mean, std = inception_score_from_probs(preds)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 10, 1008])
def test_k_equally_used_one_hot_classes_score_k(k):
    preds = np.eye(k)[np.arange(10 * k) % k]  # each of the 10 splits holds every class once
    mean, std = inception_score_from_probs(preds)
    assert mean == pytest.approx(k, rel=1e-12) and std == pytest.approx(0.0, abs=1e-9)


def test_from_logits_is_softmax_then_score():
    logits = torch.randn(200, 6, generator=torch.Generator().manual_seed(2))
    probs = torch.softmax(logits.double(), 1).numpy()
    assert inception_score(logits) == pytest.approx(openai_reference(probs), rel=1e-12)
