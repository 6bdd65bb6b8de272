"""Mode coverage in R^2: the depth study's visual check of samples (4.4.3) as numbers a sweep can use.

The thesis judged its R^2 GANs by plotting 10,000 samples over the data. We count instead,
with the protocol of Srivastava et al. 2017 (VEEGAN, section 5, "2D Ring") that Metz et al.
2017 (unrolled GANs) and Lin et al. 2018 (PacGAN) share for the ring of eight Gaussians:

    hq_gaussians8     fraction of "high-quality" samples: within 3 std of the nearest mode
    modes_gaussians8  modes hit (of 8): a mode is hit when at least MIN_SHARE of the samples
                      are high-quality samples nearest to it

For the Swiss roll, whose data lie on a curve, the analogue (our definition; no reference
defines one) measures the distance to the noise-free curve (t cos t, t sin t), t in
[1.5 pi, 4.5 pi], and treats SWISSROLL_MODES equal slices of t as the modes. Slices of t
hold equal probability mass (t is drawn uniformly), as the mixture's components do:

    hq_swissroll      fraction of samples within 3 x 0.2 (the roll's noise) of the curve
    modes_swissroll   slices hit (of 10): at least MIN_SHARE of the samples are high-quality
                      samples whose nearest curve point lies in the slice

References give the rule "a mode is captured if enough samples lie within 3 std of it"
without one threshold (VEEGAN, PacGAN count among 2500 samples); MIN_SHARE = 1% of the
samples (8% of a mode's fair share of 1/8) is ours. On the data itself the expected values
are: all modes; hq = 1 - exp(-9/2) = 0.9889 for the ring (the radius of a 2-D Gaussian) and
0.9973 for the roll (the distance to a locally straight curve is a 1-D Gaussian).
Nearest neighbours come from a k-d tree (scipy), exact for the centres and to 0.004 for the
discretised curve (gansweep.data_points.swiss_roll_curve).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.spatial import cKDTree

from gansweep import data_points as dp
from gansweep.metrics.evaluator import EVAL_Z_SEED, fixed_latents
from gansweep.metrics import registry
from gansweep.metrics.provenance import Provenance

MIN_SHARE = 0.01
SWISSROLL_MODES = 10
REFERENCE = {
    "gaussians8": "Srivastava et al. 2017 (VEEGAN) 2D-ring protocol: high quality = within 3 std "
                  "of the nearest mode; a mode is hit with >= 1% of the samples",
    "swissroll": "analogue of the VEEGAN protocol: high quality = within 3 x 0.2 of the noise-free "
                 "curve; 10 equal-mass slices of t are the modes, hit with >= 1% of the samples",
}


def _coverage(nearest_dist: np.ndarray, mode: np.ndarray, radius: float, modes: int,
              min_share: float) -> tuple[int, float]:
    hq = nearest_dist <= radius
    counts = np.bincount(mode[hq], minlength=modes)
    needed = max(1, int(np.ceil(min_share * len(nearest_dist))))
    return int((counts >= needed).sum()), float(hq.mean())


def gaussians8_coverage(samples: np.ndarray, min_share: float = MIN_SHARE) -> tuple[int, float]:
    """(modes hit of 8, fraction of high-quality samples) for samples (N, 2)."""
    dist, mode = cKDTree(dp.gaussians8_centers()).query(samples)
    return _coverage(dist, mode, 3 * dp.GAUSSIANS8_STD, 8, min_share)


_CURVE = None


def swissroll_coverage(samples: np.ndarray, min_share: float = MIN_SHARE) -> tuple[int, float]:
    """(slices hit of 10, fraction of samples within 3 noise std of the curve)."""
    global _CURVE
    if _CURVE is None:  # immutable once built; 20k points, built once per process
        _CURVE = cKDTree(dp.swiss_roll_curve())
    dist, index = _CURVE.query(samples)
    mode = np.minimum(index * SWISSROLL_MODES // _CURVE.n, SWISSROLL_MODES - 1)
    return _coverage(dist, mode, 3 * dp.SWISSROLL_NOISE, SWISSROLL_MODES, min_share)


COVERAGE = {"gaussians8": gaussians8_coverage, "swissroll": swissroll_coverage}


def coverage_metrics(dataset: str, samples: np.ndarray) -> dict[str, float]:
    if not np.isfinite(samples).all():  # a diverged G: nothing is near a mode
        return {f"modes_{dataset}": 0.0, f"hq_{dataset}": 0.0}
    modes, hq = COVERAGE[dataset](samples)
    return {f"modes_{dataset}": float(modes), f"hq_{dataset}": hq}


class PointEvaluator:
    """The Evaluator's interface (evaluate(sample_fn), provenance()) for points in R^2.

    sample_fn(z, None) -> (B, 2) on the evaluator's fixed latent set: eval.samples vectors
    from the model's prior (section 5.1: "a fixed set of 10000 random noise vectors").
    """

    def __init__(self, cfg, dataset, device, *, z_seed: int = EVAL_Z_SEED, samples: int | None = None,
                 numerics: str | None = None):
        """`z_seed` / `samples` other than the run's: `gansweep eval` on fresh latents;
        `numerics` as Evaluator's."""
        self.numerics = numerics
        self.cfg, self.dataset, self.device = cfg, dataset, torch.device(device)
        self.z_seed, self.samples = z_seed, samples or cfg.eval.samples
        known = registry.requestable(dataset.name)
        bad = [m for m in cfg.eval.metrics if m not in known]
        if bad:
            raise ValueError(f"eval.metrics: unknown {bad}; known for {dataset.name}: {', '.join(known)}")
        self.metrics = list(cfg.eval.metrics) or known
        self.z, _ = fixed_latents(self.samples, cfg.model.z_dim, 0, z_seed, cfg.model.z_dist)
        self.last_timings: dict[str, float] = {}

    @torch.no_grad()
    def generate(self, sample_fn) -> np.ndarray:
        bs = self.cfg.eval.batch_size
        parts = [sample_fn(self.z[i:i + bs].to(self.device), None).float().cpu()
                 for i in range(0, len(self.z), bs)]
        return torch.cat(parts).numpy()

    def evaluate(self, sample_fn) -> dict[str, float]:
        out = coverage_metrics(self.dataset.name, self.generate(sample_fn))
        return {k: v for k, v in out.items() if k in self.metrics}

    def provenance(self) -> dict:
        out = {}
        for name in self.metrics:
            impl = f"gansweep.metrics.points.coverage_metrics: {REFERENCE[self.dataset.name]}"
            out[name] = Provenance(name, impl, "points-R2", None, n_generated=len(self.z),
                                   n_real=len(self.dataset), real_split="generated",
                                   dataset=f"{self.dataset.name}@{self.dataset.dim}",
                                   z_seed=self.z_seed, numerics=self.numerics).to_dict()
        return out
