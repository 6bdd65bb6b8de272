"""Presets of the GAN vs WGAN report (seed document 004: DCGAN, weight-clipped WGAN and
WGAN-GP on CIFAR-10), on the Radford DCGAN networks of the MNIST DCGAN report's presets.

The GAN vs WGAN report (Frank & Juracek) section 4.2 table, CIFAR-10 32x32, z ~ N(0, I):
    DCGAN-CIFAR10        40 epochs, batch 128, Adam 2e-4, D:G 1, cross-entropy
    WGAN-clip-CIFAR10    100 epochs, batch 64, RMSprop 5e-5, 5:1, weights clipped to 0.01
    WGAN-GP-CIFAR10      100 epochs, batch 64, Adam 1e-4, 5:1, lambda (our eta) = 10
"The first WGAN model is implemented practically the same way" and the improved WGAN "has
exactly the same architecture": all three share the DCGAN networks, batch norm in D included
(Gulrajani et al. advise against batch norm in a GP critic; the document keeps it, so do we).
"""

from __future__ import annotations

from gansweep.config.presets.mnist_dcgan import RADFORD, _merge

# The GAN vs WGAN report's DCGAN: 4+4 layers of 4x4 filters, 256-128-64 / 64-128-256 (Radford et al. at
# 32x32, the document gives no widths). FID every 625 iterations: 1.6 DCGAN epochs, 4 WGAN
# epochs, 25 points over either budget (both are 15,625 iterations).
_CIFAR10 = _merge(RADFORD, {
    "model": {"g_layers": 4, "d_layers": 4, "kernel": 4, "width": 64},
    "data": {"name": "cifar10", "aux": "none"},
    "eval": {"every": 625},
})


GAN_VS_WGAN_PRESETS: dict[str, dict] = {
    "DCGAN-CIFAR10": _merge(_CIFAR10, {"train": {"batch_size": 128, "epochs": 40}}),
    # RMSprop without momentum, as Arjovsky et al.
    "WGAN-clip-CIFAR10": _merge(_CIFAR10, {
        "loss": {"kind": "wgan-clip", "clip": 0.01},
        "optim": {"name": "rmsprop", "lr_g": 5e-5, "lr_d": 5e-5, "momentum": 0.0},
        "train": {"batch_size": 64, "n_critic": 5, "epochs": 100},
    }),
    # Adam's betas are not given; Gulrajani et al.'s (0.5, 0.9) for their DCGAN CIFAR-10 run.
    "WGAN-GP-CIFAR10": _merge(_CIFAR10, {
        "loss": {"kind": "wgan-gp", "eta": 10.0},
        "optim": {"lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.5, "beta2": 0.9},
        "train": {"batch_size": 64, "n_critic": 5, "epochs": 100},
    }),
}
