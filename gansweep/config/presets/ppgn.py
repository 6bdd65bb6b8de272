"""The PPGN-h report's models as presets (sections 4.1-4.3, Fig. 3a-f): config values, never code paths.

Shared by every variant (section 4.1: "the number of epochs, size of minibatch, parameters
of MALA-approx sampler and the values of beta_k are fixed for every subsequent experiment"):
batch 32, (beta_1, beta_2, beta_3) = (1, 0.1, 2), (eps1, eps2, eps3) = (1e-2, 1, 1e-15) for
200 steps, alpha_fc1 = 1 (section 4.2: "remains unchanged"), WGAN-GP with the caogang/wgan-gp
MNIST hyperparameters the document keeps ("Unless otherwise stated, we use the same
hyperparameters as in [19]"): Adam 1e-4, (0.5, 0.9), eta 10, n_D 5 with Arjovsky's 100-step
bursts, PyTorch's default initialisation. "15 epochs (roughly 5000 G updates)" of 32 images:
15 x 60000 / 32 = 28125 batches, one per critic or G step, over 6 steps per iteration is
~4700 iterations; we train the document's "roughly 5000 G updates" as train.iterations
(train.epochs: 15 would give 5625: gansweep.config.steps_per_epoch counts only the critic's
batches, while PPGN-h's G step also draws a real batch). model.width 256 gives section 4's
layer widths exactly (gansweep.ppgn.models); z_dim is h's size, fc1's 64.
"""

from __future__ import annotations

from gansweep.config.schema import deep_merge

_BASE = {
    "model": {"arch": "ppgn", "width": 256, "z_dim": 64, "init": "torch_default"},
    "data": {"name": "mnist", "aux": "none"},
    "loss": {"kind": "wgan-gp", "eta": 10.0},
    "optim": {"name": "adam", "lr_g": 1e-4, "lr_d": 1e-4, "beta1": 0.5, "beta2": 0.9},
    "train": {"iterations": 5000, "batch_size": 32, "n_critic": 5, "critic_schedule": "wgan",
              "checkpoint_every": 500},
    "eval": {"every": 1000},
    "ppgn": {"beta_x": 1.0, "beta_h": 0.1, "beta_gan": 2.0, "alpha_fc1": 1.0,
             "lambda_image": 1.0, "lambda_fc1": 0.0, "random_discriminator": False},
}


def _variant(**ppgn) -> dict:
    return deep_merge(_BASE, {"ppgn": ppgn})


PPGN_PRESETS: dict[str, dict] = {
    "PPGN-h": _variant(),                                                  # 4.1, Fig. 3a
    # 4.2: D replaced by D_fc1 (lambda_0 = 0, lambda_fc1 = 1), trained three times:
    "PPGN-h-D_fc1.adv": _variant(lambda_image=0.0, lambda_fc1=1.0,         # Fig. 3b: L_gan only
                                 beta_x=0.0, beta_h=0.0),
    "PPGN-h-D_fc1": _variant(lambda_image=0.0, lambda_fc1=1.0),            # Fig. 3c: full L_G
    "PPGN-h-D_fc1.noGAN": _variant(lambda_image=0.0, lambda_fc1=1.0,       # Fig. 3d: L_x + L_h
                                   beta_gan=0.0),
    "PPGN-h-combined": _variant(lambda_fc1=1.0),                           # 4.3, Fig. 3e
    "PPGN-h-random": _variant(lambda_fc1=1.0, random_discriminator=True),  # 4.3, Fig. 3f
}
