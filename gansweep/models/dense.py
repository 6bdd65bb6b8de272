"""The dense ("classical") CGAN of the MNIST DCGAN report section 3 / Appendix 7.14: Mirza & Osindero's
conditional GAN with fully connected layers.

The document only says that "the convolutional layers were changed to dense layers" of its
three-layer CDCGAN, and that batch norm was on (it was removed "for both CGANs" as an
ablation). We therefore keep the CDCGAN's layout with dense layers: L layers in each network,
batch norm + ReLU on G's hidden layers, LeakyReLU(0.2) in D with batch norm on all but the
first and the output layer. Widths follow the usual MLP GAN shape (the code the document
adapted, H. Kang's tensorflow-MNIST-cGAN, widens G towards the image and narrows D towards
its output): G's hidden layers are w, 2w, ..., D's ..., 2w, w. With L = 2 and w = 128 this is
exactly Kang's network (one hidden layer of 128 units each, no batch norm in D).

Conditioning: one-hot y concatenated to z (g_cond concat) and to the flattened image
(d_cond concat).
"""

from __future__ import annotations

import torch
from torch import nn

from gansweep.models.layers import one_hot


def _dense(cin: int, cout: int, batchnorm: bool, act: nn.Module) -> nn.Sequential:
    return nn.Sequential(nn.Linear(cin, cout), *([nn.BatchNorm1d(cout)] if batchnorm else []), act)


class DenseGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int, image_size: int, width: int, layers: int,
                 num_classes: int = 0, batchnorm: bool = True):
        super().__init__()
        self.num_classes, self.shape = num_classes, (channels, image_size, image_size)
        widths = [z_dim + num_classes] + [width * 2 ** i for i in range(layers - 1)]
        hidden = [_dense(a, b, batchnorm, nn.ReLU()) for a, b in zip(widths, widths[1:])]
        self.body = nn.Sequential(*hidden, nn.Linear(widths[-1], channels * image_size ** 2), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            z = torch.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        return self.body(z).view(z.shape[0], *self.shape)


class DenseDiscriminator(nn.Module):
    """forward(x, y) -> (logit [B], [])."""

    def __init__(self, channels: int, image_size: int, width: int, layers: int,
                 num_classes: int = 0, batchnorm: bool = True):
        super().__init__()
        self.num_classes = num_classes
        widths = [channels * image_size ** 2 + num_classes] + [
            width * 2 ** (layers - 2 - i) for i in range(layers - 1)]
        hidden = [_dense(a, b, batchnorm and i > 0, nn.LeakyReLU(0.2))
                  for i, (a, b) in enumerate(zip(widths, widths[1:]))]
        self.body = nn.Sequential(*hidden, nn.Linear(widths[-1], 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        h = x.flatten(1)
        if self.num_classes:
            h = torch.cat([h, one_hot(y, self.num_classes, h.dtype)], dim=1)
        return self.body(h).squeeze(1), []


def build(m, shape) -> tuple[nn.Module, nn.Module]:
    """G and D of a `model.arch: dense` config (gansweep.config.ModelConfig)."""
    k = shape.num_classes
    G = DenseGenerator(m.z_dim, shape.channels, shape.image_size, m.g_width or m.width,
                       m.g_layers, k if m.g_cond != "none" else 0, m.g_batchnorm)
    D = DenseDiscriminator(shape.channels, shape.image_size, m.width, m.d_layers,
                           k if m.d_cond != "none" else 0, m.d_batchnorm)
    return G, D
