"""The depth study's depth study: DCGAN-style G and D whose hidden layers become residual blocks.

Every network here is   first layer -> S stages -> last layer.   A stage is one plain layer
(blocks = 0, the baseline) or `blocks` residual blocks of two layers each (section 4.1: "each
residual block consists of two non-linear transformations"; no residual block in the first
or last layer). The depth is one config value, model.blocks, so a sweep can search it.

    residual_mlp (Table A.1, R^2)   width w = 32, z in R^32, one stage (S = 1):
        G  Linear z->w BN ReLU | stage | Linear w->2          (M0_A: blocks 0, 3 layers;
        D  Linear 2->w LReLU   | stage | Linear w->1 (logit)   M1_A: blocks 7, 16 layers)
    residual_dcgan (Table A.2, images)   base width w = 64, z in R^100:
        G  Deconv z -> (w 2^S, k0 x k0) from 1x1, kernel k0 | S stages, width halving, each
           doubling the size | Deconv 4x4 stride 2 -> channels, tanh
        D  Conv 4x4 s2 -> w, LReLU (no BN) | S stages, width doubling, each halving the size |
           Linear -> 1 (logit)
        S = 1 is MNIST's M_cB (G 128 -> 64, D 64 -> 128, k0 = 28/4 = 7: the table's 7x7 deconv),
        S = 2 is CIFAR-10's M_dC (G 256 -> 128 -> 64, D 64 -> 128 -> 256, k0 = 32/8 = 4) with
        d blocks in each of its two stages: the "2d residual blocks" of section 4.5.2.

Where the table is ambiguous, our reading (commented where it is used):
  * A stage's blocks are listed as (4x4 stride 2, 3x3 stride 1) "repeated c times"; taken
    literally every block would double the size and the output would not be 28x28. We keep
    the output size: only the FIRST block of a stage resamples (4x4, stride 2, the layer it
    replaces in the baseline); the others are (3x3 stride 1, 3x3 stride 1).
  * The block form is He et al. 2016's [12]: y = act(BN(f2(act(BN(f1 x)))) + shortcut(x)),
    batch norm before each non-linearity (section 4.1). The shortcut is the identity, or a
    1x1 (de)convolution when the block resamples or changes width (He et al.'s projection,
    without BN); G's projection up-samples by nearest-neighbour before its 1x1 conv.
  * "BN: G" (Table 5.1) removes every batch norm of D (model.d_batchnorm: false); D's first
    layer never has one, G's always do except the output layer.
  * The sigmoid of D's last layer lives in the loss (BCE with logits, losses.py).
LeakyReLU slope 0.2 (DCGAN, and Chainer's default).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gansweep.models.layers import Heads


def _norm(kind: str, channels: int, on: bool) -> nn.Module:
    if not on:
        return nn.Identity()
    return nn.BatchNorm1d(channels) if kind == "linear" else nn.BatchNorm2d(channels)


def _act(generator: bool) -> nn.Module:
    return nn.ReLU() if generator else nn.LeakyReLU(0.2)


def _layer(kind: str, cin: int, cout: int, resample: bool, generator: bool) -> nn.Module:
    """One layer of a stage: linear, or the table's 4x4 stride-2 / 3x3 stride-1 (de)conv."""
    if kind == "linear":
        return nn.Linear(cin, cout)
    conv = nn.ConvTranspose2d if generator else nn.Conv2d
    return conv(cin, cout, 4, 2, 1) if resample else conv(cin, cout, 3, 1, 1)


class _Upsample(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2, mode="nearest")


def _shortcut(kind: str, cin: int, cout: int, resample: bool, generator: bool) -> nn.Module:
    if not resample and cin == cout:
        return nn.Identity()
    if kind == "linear":
        return nn.Linear(cin, cout)
    if generator:
        return nn.Sequential(_Upsample(), nn.Conv2d(cin, cout, 1)) if resample else nn.Conv2d(cin, cout, 1)
    return nn.Conv2d(cin, cout, 1, stride=2 if resample else 1)


class ResidualBlock(nn.Module):
    """act(norm2(f2(act(norm1(f1(x))))) + shortcut(x)): two non-linear transformations."""

    def __init__(self, kind: str, cin: int, cout: int, resample: bool, generator: bool, batchnorm: bool):
        super().__init__()
        self.f1 = _layer(kind, cin, cout, resample, generator)
        self.f2 = _layer(kind, cout, cout, False, generator)
        self.norm1, self.norm2 = _norm(kind, cout, batchnorm), _norm(kind, cout, batchnorm)
        self.act = _act(generator)
        self.shortcut = _shortcut(kind, cin, cout, resample, generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.norm1(self.f1(x)))
        return self.act(self.norm2(self.f2(h)) + self.shortcut(x))


def stage(kind: str, cin: int, cout: int, blocks: int, resample: bool, generator: bool,
          batchnorm: bool) -> nn.Sequential:
    """The baseline's plain layer (blocks = 0) or `blocks` residual blocks in its place."""
    if blocks == 0:
        return nn.Sequential(_layer(kind, cin, cout, resample, generator),
                             _norm(kind, cout, batchnorm), _act(generator))
    # Only the first block resamples: the table's stride 2 in every repetition would change
    # the output size (see the module docstring).
    return nn.Sequential(*[ResidualBlock(kind, cin if i == 0 else cout, cout, resample and i == 0,
                                         generator, batchnorm) for i in range(blocks)])


# --- R^2: Table A.1 ---------------------------------------------------------------------------

class ResidualMLPGenerator(nn.Module):
    def __init__(self, z_dim: int, out_dim: int, width: int, blocks: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, width), nn.BatchNorm1d(width), nn.ReLU(),
                                 stage("linear", width, width, blocks, False, True, True),
                                 nn.Linear(width, out_dim))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)


class ResidualMLPDiscriminator(nn.Module):
    def __init__(self, in_dim: int, width: int, blocks: int, batchnorm: bool):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(in_dim, width), nn.LeakyReLU(0.2),
                                  stage("linear", width, width, blocks, False, False, batchnorm))
        self.heads = Heads(width, [])

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        return self.heads(self.body(x))


# --- images: Table A.2 ------------------------------------------------------------------------

def first_size(image_size: int, stages: int) -> int:
    """k0: the size G's first deconvolution makes from 1x1, and D's last feature map's."""
    factor = 2 ** (stages + 1)
    if image_size % factor or image_size < factor:
        raise ValueError(f"residual_dcgan with {stages} stage(s) halves the size {stages + 1} "
                         f"times: the image size must be a multiple of {factor}, got {image_size}")
    return image_size // factor


class ResidualDCGANGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int, image_size: int, width: int, stages: int, blocks: int):
        super().__init__()
        k0 = first_size(image_size, stages)
        widths = [width * 2 ** (stages - i) for i in range(stages + 1)]  # e.g. 256, 128, 64
        self.first = nn.Sequential(nn.ConvTranspose2d(z_dim, widths[0], k0, 1, 0),
                                   nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.stages = nn.Sequential(*[stage("conv", widths[i], widths[i + 1], blocks, True, True, True)
                                      for i in range(stages)])
        self.last = nn.ConvTranspose2d(widths[-1], channels, 4, 2, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.first(z[:, :, None, None])
        return torch.tanh(self.last(self.stages(h)))


class ResidualDCGANDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, width: int, stages: int, blocks: int,
                 batchnorm: bool):
        super().__init__()
        k0 = first_size(image_size, stages)
        widths = [width * 2 ** i for i in range(stages + 1)]  # e.g. 64, 128, 256
        self.first = nn.Sequential(nn.Conv2d(channels, widths[0], 4, 2, 1), nn.LeakyReLU(0.2))
        self.stages = nn.Sequential(*[stage("conv", widths[i], widths[i + 1], blocks, True, False, batchnorm)
                                      for i in range(stages)])
        self.heads = Heads(widths[-1] * k0 * k0, [])

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        return self.heads(self.stages(self.first(x)).flatten(1))
