"""The ResNet WGAN-GP of the thesis, Appendix D (Gulrajani et al.'s CIFAR-10 model).

Table D.1: G is FC 2048 (128 x 4 x 4), three residual blocks of (up-convolution 128, conv
128), and a final conv to the image channels; D is four residual blocks of two 128-wide
convs. All convolutions are 3x3 with biases. G is class-conditioned by conditional instance
norm (Appendix C) where Gulrajani et al. had batch norm; D has no normalisation (WGAN-GP)
and carries the auxiliary classifier head(s) on its globally mean-pooled features.

Choices where the text is silent: up-sampling is nearest-neighbour followed by the 3x3 conv
(Gulrajani et al. use depth-to-space, which has the same receptive field); the norm before
G's output conv is CIN too ("CIN in place of vanilla batchnorm"); D's first block is the
"optimized" block of Gulrajani et al. (conv, ReLU, conv, pool; shortcut pool then 1x1 conv).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gansweep.models.layers import ConditionalInstanceNorm2d, Heads


class _Norm(nn.Module):
    """CIN when the generator is conditioned, else batch norm; same call signature."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = (ConditionalInstanceNorm2d(channels, num_classes) if num_classes
                     else nn.BatchNorm2d(channels))

    def forward(self, x, y):
        return self.norm(x, y) if isinstance(self.norm, ConditionalInstanceNorm2d) else self.norm(x)


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, num_classes: int):
        super().__init__()
        self.norm1, self.norm2 = _Norm(cin, num_classes), _Norm(cout, num_classes)
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1)

    def forward(self, x, y):
        h = F.interpolate(F.relu(self.norm1(x, y)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.norm2(self.conv1(h), y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2, mode="nearest"))


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, downsample: bool, first: bool = False):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(cin, cout, 3, padding=1), nn.Conv2d(cout, cout, 3, padding=1)
        self.downsample, self.first = downsample, first
        self.shortcut = nn.Conv2d(cin, cout, 1) if (downsample or cin != cout) else nn.Identity()

    def forward(self, x):
        h = x if self.first else F.relu(x)  # the optimized first block starts with the conv
        h = self.conv2(F.relu(self.conv1(h)))
        if self.downsample:
            h = F.avg_pool2d(h, 2)
            # pool before the 1x1 conv in the first block, after it elsewhere (Gulrajani et al.)
            s = self.shortcut(F.avg_pool2d(x, 2)) if self.first else F.avg_pool2d(self.shortcut(x), 2)
        else:
            s = self.shortcut(x)
        return h + s


class ResNetGenerator(nn.Module):
    """Starts at 4x4 like Gulrajani et al.'s and doubles per block: three blocks at 32x32
    (Table D.1); smaller images get fewer blocks, since instance norm of a 1x1 map is void."""

    def __init__(self, z_dim: int, channels: int, image_size: int, width: int, num_classes: int = 0):
        super().__init__()
        self.s = 4
        blocks = (image_size // 4).bit_length() - 1
        if blocks < 1 or 4 * 2 ** blocks != image_size:
            raise ValueError(f"the ResNet generator needs a power-of-two image size >= 8, got {image_size}")
        self.fc = nn.Linear(z_dim, width * self.s ** 2)
        self.blocks = nn.ModuleList(UpBlock(width, width, num_classes) for _ in range(blocks))
        self.norm = _Norm(width, num_classes)
        self.out = nn.Conv2d(width, channels, 3, padding=1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(z).view(z.shape[0], -1, self.s, self.s)
        for block in self.blocks:
            h = block(h, y)
        return torch.tanh(self.out(F.relu(self.norm(h, y))))


class ResNetDiscriminator(nn.Module):
    def __init__(self, channels: int, width: int, aux_classes: list[int]):
        super().__init__()
        self.blocks = nn.Sequential(DownBlock(channels, width, True, first=True),
                                    DownBlock(width, width, True),
                                    DownBlock(width, width, False),
                                    DownBlock(width, width, False))
        self.heads = Heads(width, aux_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        h = F.relu(self.blocks(x)).mean(dim=(2, 3))
        return self.heads(h)
