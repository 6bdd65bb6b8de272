"""Inception Score: exp(E_x KL(p(y|x) || p(y))), mean and std over splits.

Reference: Salimans et al. 2016, "Improved Techniques for Training GANs", section 4, as
implemented in OpenAI's improved-gan `inception_score/model.py` (`get_inception_score`): the
N predictions are cut into `splits` consecutive parts (part i = rows i*N//splits up to
(i+1)*N//splits), p(y) is each part's mean prediction, and the score is the mean and the
population standard deviation (np.std) of exp(mean_x KL) over the parts. 10 splits as there.

The only departure: 0 * log 0 counts as 0 (scipy.special.xlogy), where the reference's
np.log(0) would give NaN; for strictly positive predictions the two agree, which the tests
check against a transcription of the reference on the same inputs, along with IS = 1 for
identical predictions and IS = K for K equally used one-hot classes.

Which probabilities: with Inception, softmax of pool3 @ W_fc^T *without the fc bias* over all
1008 outputs, as the reference computes them from the TF graph (`softmax/logits/MatMul`'s
weight) and as torch-fidelity does ("logits_unbiased"). pytorch-fid's FID weights file
carries that fc layer (fc.weight 1008x2048); see gansweep.metrics.inception. With a domain
classifier (gansweep.metrics.domain): softmax of its 10-way logits, as the depth study (4.5.3,
Appendix B) does with its MNIST classifier.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import xlogy

SPLITS = 10


def inception_score(logits: torch.Tensor | np.ndarray, splits: int = SPLITS) -> tuple[float, float]:
    """(mean, std) of the Inception Score from class logits (softmax taken in float64)."""
    probs = torch.softmax(torch.as_tensor(logits).double(), dim=1).cpu().numpy()
    return inception_score_from_probs(probs, splits)


def inception_score_from_probs(probs, splits: int = SPLITS) -> tuple[float, float]:
    """(mean, std) from (N, K) class probabilities (rows summing to 1)."""
    p = np.asarray(probs.cpu() if torch.is_tensor(probs) else probs, dtype=np.float64)
    n = p.shape[0]
    if p.ndim != 2 or n < splits:
        raise ValueError(f"need (N >= splits={splits}, K) predictions, got shape {p.shape}")
    scores = []
    for i in range(splits):
        part = p[i * n // splits:(i + 1) * n // splits]
        marginal = part.mean(0, keepdims=True)
        # KL(p(y|x) || p(y)) = sum_y p log p - p log p(y); where p(y) = 0, p(y|x) = 0 as well.
        kl = xlogy(part, part) - xlogy(part, np.broadcast_to(marginal, part.shape))
        scores.append(np.exp(kl.sum(1).mean()))
    return float(np.mean(scores)), float(np.std(scores))
