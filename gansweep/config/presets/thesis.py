"""Presets of the MTL-WGAN thesis (source document 000): Table 4.1 (conditioning), Table 4.2 (defaults, which are
the config defaults and so appear here only where a model departs from them), section 4.0.5
(normal GANs, AC-GAN.b), Appendix D (ResNet), section 2.0.1 (the chapter-2 classifier).
A user's keys are merged over these, so `{model: AC-WGAN.b, loss: {omega_d: 0.5}}` works.
"""

from __future__ import annotations

from gansweep.config.schema import deep_merge

# Conditioning of Table 4.1. Heads/classifiers count: 1 = fine labels, 2 = fine + auxiliary.
_CWGAN_A = {"model": {"g_cond": "concat", "d_cond": "concat"}}
_AC_A = {"model": {"g_cond": "concat", "aux_heads": 1}}
_SC_A = {"model": {"g_cond": "concat", "classifiers": 1}}

# Section 4.0.5: a WGAN becomes a normal GAN by cross-entropy losses, n_D = 1, a sigmoid
# output (applied inside BCE-with-logits, numerically the same) and batch norm in every D layer.
_GAN = {"loss": {"kind": "gan"}, "train": {"n_critic": 1}, "model": {"d_batchnorm": True}}


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        out = deep_merge(out, part)
    return out


THESIS_PRESETS: dict[str, dict] = {
    "WGAN": {},
    "cWGAN.a": _CWGAN_A,
    "cWGAN.b": _merge(_CWGAN_A, {"model": {"d_cond": "dense"}}),
    "AC-WGAN.a": _AC_A,
    "AC-WGAN.b": _merge(_AC_A, {"model": {"aux_heads": 2}}),
    "AC-WGAN.c": _merge(_AC_A, {"model": {"aux_heads": 2, "bifurcate_early": True}}),
    "SC-WGAN.a": _SC_A,
    # 4.0.4: "soft-sharing between the first two layers of the discriminator and classifier
    # with lambda = 0.1" (lambda is the default).
    "SC-WGAN.b": _merge(_SC_A, {"model": {"shared_layers": 2}}),
    "SC-WGAN.c": _merge(_SC_A, {"model": {"classifiers": 2}}),
    "GAN": _GAN,
    "cGAN.a": _merge(_GAN, _CWGAN_A),
    "AC-GAN.a": _merge(_GAN, _AC_A),
    "SC-GAN.a": _merge(_GAN, _SC_A),
    # 4.0.5, the Odena et al. reproduction: Odena's discriminator (six 3x3 convs, three of
    # stride 1, dropout 0.5, activation noise, no hidden FC layer) and "a thinner generator".
    # The thesis gives neither the generator widths nor the noise std (Odena grid-searched
    # it); we take G at 3/4 of our width (192-96-48 maps) and std 0.1, and say so here.
    "AC-GAN.b": _merge(_GAN, _AC_A, {"model": {
        "arch": "acgan", "g_width": 48, "d_dropout": 0.5, "activation_noise": 0.1}}),
    # Appendix D: Gulrajani et al.'s ResNet WGAN-GP, CIN in G, aux classifier(s) on D.
    # Adam (0, 0.9), 2e-4 decayed linearly to 0 over 1e5 iterations, D batch 64, G batch 128.
    # omega follows the thesis's text: D's "auxiliary classifier's loss was added to the
    # normal discriminator loss after scaling by 0.1" (Appendix D), and G's at 1, the rate
    # section 4.0.3 attributes to Gulrajani et al.'s generator. ResNet.b's "both auxiliary
    # losses were scaled by 0.05 instead" is omega_d = 0.1 over its two heads
    # (losses.classifier_loss averages heads: 0.1 x (h1 + h2) / 2); G's 1 is split alike.
    # Gulrajani et al.'s released code (gan_cifar_resnet.py) differs: ACGAN_SCALE = 1 for the
    # critic (its AC loss on real images only) and ACGAN_SCALE_G = 0.1 for the generator,
    # the reverse of 4.0.3's reading; `loss: {omega_d: 1.0, omega_g: 0.1}` runs the code's.
    "ResNet.a": {
        "model": {"arch": "resnet", "width": 128, "g_cond": "cin", "aux_heads": 1},
        "loss": {"omega_d": 0.1, "omega_g": 1.0},
        "optim": {"lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.0, "beta2": 0.9,
                  "schedule": "linear", "decay_iterations": 100_000},
        "train": {"iterations": 100_000, "batch_size": 64, "batch_size_g": 128},
        "eval": {"every": 1000},
    },
    # Section 2.0.1: [64,128,128,128] 5x5 CNN, BN, dropout 0.5, weight decay 5e-5, batch 256;
    # "Training ran for 200 epochs. [...] The learning rate started at 0.01 then was annealed
    # to 0.001 and 0.0001 at epochs 66 and 133 respectively." One step is one batch of one
    # task and an epoch passes once through each task's data (config.steps_per_epoch), so
    # the budget and the drops are in epochs: MTL on all of CIFAR-100 is 200 x 2 x 196 =
    # 78,400 steps, STL half that, and a data fraction counts epochs of its own data.
    "MTL-classifier": {
        "model": {"arch": "mtl_classifier", "shared_layers": 3, "sharing": "soft"},
        "loss": {"sharing_lambda": 0.1},
        "optim": {"name": "sgd", "lr_c": 0.01, "weight_decay": 5e-5, "schedule": "step",
                  "milestone_epochs": [66, 133], "gamma": 0.1},
        "train": {"epochs": 200, "batch_size": 256, "log_every": 100},
        "data": {"name": "cifar100", "aux": "coarse"},
    },
}
THESIS_PRESETS["ResNet.b"] = _merge(THESIS_PRESETS["ResNet.a"], {"model": {"aux_heads": 2}})
THESIS_PRESETS["STL-classifier"] = _merge(THESIS_PRESETS["MTL-classifier"], {
    "model": {"sharing": "none", "shared_layers": 0}, "data": {"aux": "none"}})
