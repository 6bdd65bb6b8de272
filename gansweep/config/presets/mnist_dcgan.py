"""Presets of the MNIST DCGAN report (seed document 002: DCGAN / CDCGAN on MNIST).

Networks: gansweep.models.radford (convolutional) and gansweep.models.dense. Budgets are in
epochs as the documents give them (train.epochs: an epoch is N / (batch * n_critic)
iterations). Merged into gansweep.config.presets.PRESETS.

The MNIST DCGAN report (Strelí & Horvath), Tables 1-2 name the variants:
    DCGAN-MNIST          "Baseline" of Table 1: the lecture DCGAN (Appendix 7.5, H. Kang's
                         tensorflow-MNIST-GAN-DCGAN): 5+5 layers of 4x4 filters, G
                         1024-512-256-128, D 128-256-512-1024, z of 100, MNIST resized to
                         64x64, batch 100, 25 epochs, Adam 2e-4
    DCGAN-MNIST-compact  "Compact" (section 2): G's 4th layer removed and the channels halved
                         (512-256-128), D's 4th layer removed; 28x28 without resizing, G's last
                         layer the transpose of a 13x13 valid convolution
    CDCGAN               Table 2 "Baseline": Appendix 7.11 (H. Kang's tensorflow-MNIST-cDCGAN):
                         G filters 7, 5, 5 and 256-128 channels, D filters 5, 5, 7 and 128-256;
                         y one-hot after z and per pixel as D's input channels
    CDCGAN-LS            Table 2 "One-sided LS": real targets 0.9, the document's best model
    CDCGAN-LS-LeNet      section 6.2: + alpha (1) x the frozen LeNet's loss on G(z, y) in G's loss
    CDCGAN-extended      Table 2 "Extended": two extra conv layers in G and in D
    CDCGAN-newconcat     Table 2 "New Concat": labels through their own input conv layers
    CGAN-dense           Table 2 "Dense CGAN": dense layers instead of convolutions
The remaining rows are overrides of these: "W/O Batch N." = model.g_batchnorm/d_batchnorm
false; Table 1's "G-D Balance" = train.n_critic 3 (Fig. 22), "LR Increased" = optim.lr 0.002.
Table 2's "G-D Balance" is not given numerically ("updated to emphasize the discriminator").
"""

from __future__ import annotations

from gansweep.config.schema import deep_merge


def _merge(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        out = deep_merge(out, part)
    return out


# Radford et al.: Adam (0.5, 0.999) at 2e-4, BCE with a non-saturating G loss (the MNIST DCGAN report's
# "-log D(G(z))", Appendix 7.5), D:G 1:1, z of 100, batch norm in G and in D's inner layers.
RADFORD = {
    "model": {"arch": "radford", "z_dim": 100, "init": "normal_0.02",
              "g_batchnorm": True, "d_batchnorm": True},
    "loss": {"kind": "gan"},
    "optim": {"name": "adam", "lr_g": 2e-4, "lr_d": 2e-4, "beta1": 0.5, "beta2": 0.999},
    "train": {"n_critic": 1},
}

# The MNIST DCGAN report: batch 100, Adam 2e-4 (section 3's search chose both). FID is plotted per epoch
# (Figs. 2, 3), one epoch of MNIST at batch 100 being 600 iterations.
_MNIST = _merge(RADFORD, {
    "data": {"name": "mnist", "aux": "none"},
    "train": {"batch_size": 100},
    "eval": {"every": 600},
})

# Kang's DCGAN code leaves TensorFlow's default initialiser (Glorot uniform, zero bias);
# his CDCGAN draws from a (truncated) N(0, 0.02), our normal_0.02.
_DCGAN_MNIST = _merge(_MNIST, {
    "model": {"g_layers": 5, "d_layers": 5, "kernel": 4, "width": 128, "init": "glorot_uniform"},
    "data": {"image_size": 64},
    "train": {"epochs": 25},
})

# Appendix 7.11. The document trains its baseline ~50 epochs (Fig. 4 shows epoch 49) and
# the data-augmentation CDCGAN 30; we take 50. Kang's code decays the lr by 0.95 every 500
# steps; the document reports only "a learning rate of 0.0002", so it stays constant here.
_CDCGAN = _merge(_MNIST, {
    "model": {"g_layers": 3, "d_layers": 3, "kernel": 5, "width": 128,
              "g_cond": "concat", "d_cond": "channels"},
    "train": {"epochs": 50},
})


MNIST_DCGAN_PRESETS: dict[str, dict] = {
    "DCGAN-MNIST": _DCGAN_MNIST,
    # Section 2: the compact D keeps the reference's widths minus its 4th layer (the text
    # halves only G's channels); the document does not say otherwise.
    "DCGAN-MNIST-compact": _merge(_DCGAN_MNIST, {
        "model": {"g_layers": 4, "d_layers": 4, "g_fit": "valid"},
        "data": {"image_size": None},
    }),
    "CDCGAN": _CDCGAN,
    "CDCGAN-LS": _merge(_CDCGAN, {"loss": {"real_label": 0.9}}),
    # Section 6.2: the frozen LeNet's cross-entropy on G(z, y) added to G's loss, alpha = 1
    # (chosen from 0.5, 1, 2, 5, 10). The text compares it with "the regular CGAN" at FID 17,
    # IS 4.98, which are Table 2's one-sided-LS numbers, so it builds on CDCGAN-LS.
    "CDCGAN-LS-LeNet": _merge(_CDCGAN, {"loss": {"real_label": 0.9, "classifier_alpha": 1.0}}),
    "CDCGAN-extended": _merge(_CDCGAN, {"model": {"extra_layers": 2}}),
    "CDCGAN-newconcat": _merge(_CDCGAN, {"model": {"g_cond": "conv", "d_cond": "conv"}}),
    # Appendix 7.14: the dense CGAN peaks late ("recognisable after about epoch 70", best
    # accuracy at epoch 47 of the plotted ~100; Kang's cGAN trains 100 epochs). Three dense
    # layers as the CDCGAN's three conv layers, w = 256: G 256-512-784, D 512-256-1; Kang's
    # Glorot init (his cGAN sets it explicitly).
    "CGAN-dense": _merge(_MNIST, {
        "model": {"arch": "dense", "g_layers": 3, "d_layers": 3, "width": 256,
                  "g_cond": "concat", "d_cond": "concat", "init": "glorot_uniform"},
        "train": {"epochs": 100},
    }),
}
