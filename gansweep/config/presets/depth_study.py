"""The depth study's models ("On Depth and Complexity of GANs"), merged into gansweep.config.presets.PRESETS.

One preset per model family, with the depth as a value (model.blocks) a sweep searches:

    M0_A, M1_A   Table A.1, R^2: blocks 0 (3 layers) and 7 (16 layers); the paper names these two
    M_cB         Table A.2, MNIST: blocks = c (0 = the DCGAN baseline M0_B ... 5 = M5_B)
    M_dC         Table A.2, CIFAR-10: blocks = d per stage, 2d residual blocks in all (M0_C ... M3_C)

We keep M_cB / M_dC as one preset each (default blocks 0, the baseline) rather than one per
depth: c and d are exactly what the depth sweeps search. Batch norm in D is on, as in Table A.2
("BN: G, D"); d_batchnorm: false is Table 5.1's "BN: G".

Common to all (sections 4.1-4.2, Appendix A): non-saturating GAN loss with a sigmoid D
(loss.kind gan, n_D = 1), Adam beta (0.5, 0.999) with lr 2e-4 for images and 1e-4 in R^2
(Table A.3), weight decay 1e-5 (A.3; torch's Adam adds wd * w to the gradient exactly as
Chainer's WeightDecay hook does), batch 64 (A.2), N(0, 0.02) init for images and N(0, 0.1) in
R^2 (Table A.4), z ~ U(-1, 1) of 100 dimensions (32 in R^2). The failure signals of 6.1 are
logged over a 100-iteration window (our choice; the thesis gives none).

Iterations: Appendix A.2 says 200,000 (R^2), 300,000 (MNIST) and 800,000 (CIFAR-10); section
5 says 30,000 for MNIST and 80,000 for CIFAR-10 and plots R^2 samples up to 20,000. We take
the section-5 numbers: ten times fewer in all three, and the only ones that fit A.5's "up to
10 hours" with an Inception Score every 100 iterations. Evaluation: 10,000 samples in R^2
(5.1), 5000 for images (4.5.3); the thesis scored every 100 iterations, we every 1000 (MNIST,
R^2) and 2000 (CIFAR-10) so that evaluation does not dominate a sweep.
"""

from __future__ import annotations

from gansweep.config.schema import deep_merge

_COMMON = {
    "loss": {"kind": "gan"},
    "optim": {"name": "adam", "beta1": 0.5, "beta2": 0.999, "weight_decay": 1e-5},
    "train": {"n_critic": 1, "batch_size": 64, "loss_window": 100},
    "model": {"z_dist": "uniform", "d_batchnorm": True},
}


def _preset(model: dict, lr: float, iterations: int, eval_every: int, samples: int, data: str) -> dict:
    return deep_merge(_COMMON, {
        "model": model, "optim": {"lr_g": lr, "lr_d": lr},
        "train": {"iterations": iterations}, "eval": {"every": eval_every, "samples": samples},
        "data": {"name": data}})


_R2 = {"arch": "residual_mlp", "width": 32, "z_dim": 32, "init": "normal_0.1"}
_IMAGES = {"arch": "residual_dcgan", "width": 64, "z_dim": 100, "init": "normal_0.02", "blocks": 0}

DEPTH_STUDY_PRESETS: dict[str, dict] = {
    "M0_A": _preset({**_R2, "blocks": 0}, 1e-4, 20_000, 1000, 10_000, "swissroll"),
    "M1_A": _preset({**_R2, "blocks": 7}, 1e-4, 20_000, 1000, 10_000, "swissroll"),
    "M_cB": _preset({**_IMAGES, "stages": 1}, 2e-4, 30_000, 1000, 5000, "mnist"),
    "M_dC": _preset({**_IMAGES, "stages": 2}, 2e-4, 80_000, 2000, 5000, "cifar10"),
}
