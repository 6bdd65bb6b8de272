"""What the seeds judged by eye: conditioning, within-class diversity, memorisation.

- `conditional_accuracy` (`cond_acc`): the share of samples generated for class c that a
  classifier trained on real data assigns to c. Reference: the "Inception accuracy" of Odena
  et al. 2017 (AC-GAN, section 4.1) and of the MNIST DCGAN report (LeNet accuracy on CDCGAN samples);
  the thesis's "successful conditioning" column (Table 5.2) is this, judged from sample rows.
  Checked against sklearn.metrics.accuracy_score.
- `intra_fid`: mean over classes of the FID between generated and real images of that class.
  Reference: Miyato & Koyama 2018, "cGANs with Projection Discriminator", section 4.1
  (intra-FID); checked against the mean of pytorch-fid's distance per class.
- `diversity_ratio` (`diversity_<domain>`): per class, the mean pairwise feature distance of
  the generated samples over that of the real ones, averaged over classes; ~1 is as diverse
  as the data, -> 0 is a within-class mode collapse, the failure the thesis shows in Fig. 5.9
  (separate collapses within separate classes, invisible to a class-level accuracy). The
  mean pairwise distance is scipy.spatial.distance.pdist's mean (the tests check it).
- `memorisation` (`nn_dist`, `nn_dist_test`, `nn_ratio`): each sample's nearest-neighbour L2
  distance to the training set in grey-scale pixel space (the depth study 4.5.4 and the thesis
  5.0.6: nearest neighbours in pixel space), as an RMS per pixel in [0, 1], beside the same
  for held-out test images (the baseline of a generator that does not copy). nn_ratio =
  nn_dist / nn_dist_test: well below 1 means samples sit closer to training images than
  unseen real images do. Checked against scipy.spatial.distance.cdist.
"""

from __future__ import annotations

import math

import torch

from gansweep.metrics.base import to_grey
from gansweep.metrics.fid import frechet_distance_torch, statistics

PAIRWISE_CAP = 2000   # samples per class for mean pairwise distances (an unbiased subsample)
NN_SAMPLES = 1000     # generated and test images whose nearest training neighbour is found


def conditional_accuracy(logits: torch.Tensor, requested: torch.Tensor) -> float:
    return float((logits.argmax(1) == requested.to(logits.device)).double().mean())


def class_statistics(features: torch.Tensor, labels: torch.Tensor, num_classes: int):
    """Per-class float64 means (K, d), covariances (K, d, d) and counts (K,)."""
    d = features.shape[1]
    mus = torch.zeros(num_classes, d, dtype=torch.float64, device=features.device)
    sigmas = torch.zeros(num_classes, d, d, dtype=torch.float64, device=features.device)
    counts = torch.bincount(labels.to(features.device), minlength=num_classes)[:num_classes]
    for c in range(num_classes):
        members = features[labels.to(features.device) == c]
        if len(members) >= 2:
            mus[c], sigmas[c] = statistics(members)
    return mus, sigmas, counts


def intra_fid(features: torch.Tensor, labels: torch.Tensor, real_mu: torch.Tensor,
              real_sigma: torch.Tensor, real_counts: torch.Tensor) -> float:
    """Mean over classes (with >= 2 generated and real samples) of the per-class FID."""
    values = []
    labels = labels.to(features.device)
    for c in range(real_mu.shape[0]):
        members = features[labels == c]
        if len(members) < 2 or int(real_counts[c]) < 2:
            continue
        mu, sigma = statistics(members)
        values.append(frechet_distance_torch(mu, sigma, real_mu[c], real_sigma[c], device=mu.device))
    return sum(values) / len(values) if values else math.nan


def mean_pairwise_distance(features: torch.Tensor) -> float:
    """Mean Euclidean distance over all pairs i < j (scipy's pdist(...).mean())."""
    x = features[:PAIRWISE_CAP].double()
    n = len(x)
    if n < 2:
        return math.nan
    dist = torch.cdist(x, x)
    return float(dist.triu(diagonal=1).sum() / (n * (n - 1) / 2))


def class_diversity(features: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(K,) float64 mean pairwise distance within each class; NaN where < 2 samples."""
    labels = labels.to(features.device)
    return torch.tensor([mean_pairwise_distance(features[labels == c]) for c in range(num_classes)],
                        dtype=torch.float64)


def diversity_ratio(generated: torch.Tensor, real: torch.Tensor) -> float:
    """Mean over classes of generated / real within-class diversity (classes both have)."""
    generated, real = generated.double().cpu(), real.double().cpu()
    ok = torch.isfinite(generated) & torch.isfinite(real) & (real > 0)
    return float((generated[ok] / real[ok]).mean()) if ok.any() else math.nan


def nearest_neighbour_distance(queries: torch.Tensor, reference: torch.Tensor,
                               chunk: int = 512) -> torch.Tensor:
    """(n,) L2 distance of each query row to its nearest reference row.

    |q|^2 + |r|^2 - 2 q.r in float32 (a CIFAR training set in float64 would be 400 MB): for
    pixels in [0, 1] the rounding is ~1e-4 of a distance, far below the gaps measured.
    """
    q, r = queries.float(), reference.float().to(queries.device)
    r2 = (r * r).sum(1)
    out = []
    for start in range(0, len(q), chunk):
        part = q[start:start + chunk]
        d2 = (part * part).sum(1, keepdim=True) + r2[None] - 2 * part @ r.T
        out.append(d2.min(1).values.clamp(min=0).sqrt())
    return torch.cat(out)


class Memorisation:
    """Nearest-neighbour distances to a fixed training set; the test baseline computed once."""

    def __init__(self, train_uint8: torch.Tensor, test_uint8: torch.Tensor,
                 device: torch.device | str = "cpu"):
        self.train_grey = to_grey(train_uint8.to(device)).float()
        self.n_test = min(len(test_uint8), NN_SAMPLES)
        self.baseline = self.rms(test_uint8)

    def rms(self, images_uint8: torch.Tensor) -> float:
        """Mean nearest-training-neighbour distance of up to NN_SAMPLES images, RMS per pixel."""
        q = to_grey(images_uint8[:NN_SAMPLES].to(self.train_grey.device))
        return float(nearest_neighbour_distance(q, self.train_grey).double().mean() / math.sqrt(q.shape[1]))

    def __call__(self, samples_uint8: torch.Tensor) -> dict:
        gen = self.rms(samples_uint8)
        return {"nn_dist": gen, "nn_dist_test": self.baseline,
                "nn_ratio": gen / self.baseline if self.baseline > 0 else math.nan}
