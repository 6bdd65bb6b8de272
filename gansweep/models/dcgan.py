"""The thesis's networks (the thesis, Table 4.3) and every conditioning of Table 4.1.

Table 4.3 lists, per layer, G: FC 4096 (BN), DeConv 256 (BN), DeConv 128 (BN), DeConv 64,
Tanh; D: Conv 64, Conv 128, Conv 256, FC 4096, no activation; C like D with BN on layers 2-3
and a softmax. We read each number as the width *entering* the next layer, which is the
DCGAN-style network of Gulrajani et al. that the thesis forked (its "FC 4096" is 256x4x4 for
32x32 images): G maps z to 4w x s x s, then three 5x5 stride-2 up-convolutions 4w -> 2w -> w
-> channels; D and C are three 5x5 stride-2 convolutions w -> 2w -> 4w and one linear layer
on the 4w x s x s = 4096 flattened features. With w = 64 and 32x32 images these are exactly
the table's sizes; s = image_size / 8, so 8x8 digits run the same network at s = 1.
LeakyReLU slope 0.2 (Table 4.2).
"""

from __future__ import annotations

import torch
from torch import nn

from gansweep.models.layers import GaussianNoise, Heads, one_hot


def conv_block(cin: int, cout: int, batchnorm: bool, dropout: float = 0.0, noise: float = 0.0,
               kernel: int = 5, stride: int = 2) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2)]
    if batchnorm:
        layers.append(nn.BatchNorm2d(cout))
    layers.append(nn.LeakyReLU(0.2))
    if noise:
        layers.append(GaussianNoise(noise))
    if dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def up_block(cin: int, cout: int, last: bool = False) -> nn.Sequential:
    # kernel 5, stride 2, padding 2, output_padding 1: exactly doubles the size ("same").
    conv = nn.ConvTranspose2d(cin, cout, 5, 2, padding=2, output_padding=1)
    return nn.Sequential(conv, nn.Tanh()) if last else nn.Sequential(conv, nn.BatchNorm2d(cout), nn.ReLU())


class Generator(nn.Module):
    """G(z, y): y (one-hot) concatenated to z before the first layer when conditioned
    (cGAN / cWGAN.a, section 4.0.2)."""

    def __init__(self, z_dim: int, channels: int, image_size: int, width: int, num_classes: int = 0):
        super().__init__()
        self.num_classes, self.s = num_classes, image_size // 8
        self.fc = nn.Sequential(nn.Linear(z_dim + num_classes, 4 * width * self.s ** 2),
                                nn.BatchNorm1d(4 * width * self.s ** 2), nn.ReLU())
        self.up = nn.Sequential(up_block(4 * width, 2 * width), up_block(2 * width, width),
                                up_block(width, channels, last=True))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.num_classes:
            z = torch.cat([z, one_hot(y, self.num_classes, z.dtype)], dim=1)
        h = self.fc(z)
        return self.up(h.view(h.shape[0], -1, self.s, self.s))


class Discriminator(nn.Module):
    """The critic with the conditionings of Table 4.1.

    d_cond: "concat" appends one-hot y to the flattened features before the critic output
    (cWGAN.a); "dense" first passes y through a 256-unit layer (cWGAN.b; the thesis does not
    name its activation, we use D's LeakyReLU). aux_classes: one linear head per auxiliary
    task on the same features (AC-WGAN.a/b); with bifurcate_early each output (critic and
    every head) gets its own last conv layer (AC-WGAN.c). forward -> (critic [B], [logits]).
    """

    def __init__(self, channels: int, image_size: int, width: int, aux_classes: list[int],
                 num_classes: int = 0, d_cond: str = "none", d_cond_units: int = 256,
                 bifurcate_early: bool = False, batchnorm: bool = False, dropout: float = 0.0):
        super().__init__()
        widths = [channels, width, 2 * width, 4 * width]
        blocks = [conv_block(widths[i], widths[i + 1], batchnorm, dropout) for i in range(3)]
        features = 4 * width * (image_size // 8) ** 2
        self.trunk = nn.Sequential(*blocks[:2] if bifurcate_early else blocks)
        self.branches = None
        if bifurcate_early:  # the shared third layer becomes one third layer per output
            self.branches = nn.ModuleList([blocks[2]] + [
                conv_block(2 * width, 4 * width, batchnorm, dropout) for _ in aux_classes])
        self.d_cond, self.num_classes = d_cond, num_classes
        cond_features = {"none": 0, "concat": num_classes, "dense": d_cond_units}[d_cond]
        if d_cond == "dense":
            self.cond_fc = nn.Sequential(nn.Linear(num_classes, d_cond_units), nn.LeakyReLU(0.2))
        self.heads = Heads(features, aux_classes, cond_features)

    def conv_layers(self) -> list[nn.Conv2d]:
        """The conv layers in input order (for soft sharing of the first b with C)."""
        convs = [m for m in self.trunk.modules() if isinstance(m, nn.Conv2d)]
        if self.branches is not None:
            convs.append(self.branches[0][0])  # the critic's own third layer
        return convs

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        h = self.trunk(x)
        h = [b(h).flatten(1) for b in self.branches] if self.branches is not None else h.flatten(1)
        cond = None
        if self.d_cond != "none":
            cond = one_hot(y, self.num_classes, x.dtype)
            if self.d_cond == "dense":
                cond = self.cond_fc(cond)
        return self.heads(h, cond)


class Classifier(nn.Module):
    """The separate classifier C of SC-WGAN (Table 4.3): D's layout with batch norm on the
    2nd and 3rd layers and a softmax output (logits here; the loss applies the softmax)."""

    def __init__(self, channels: int, image_size: int, width: int, num_classes: int):
        super().__init__()
        self.body = nn.Sequential(conv_block(channels, width, False),
                                  conv_block(width, 2 * width, True),
                                  conv_block(2 * width, 4 * width, True))
        self.out = nn.Linear(4 * width * (image_size // 8) ** 2, num_classes)

    def conv_layers(self) -> list[nn.Conv2d]:
        return [m for m in self.body.modules() if isinstance(m, nn.Conv2d)]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x).flatten(1))
