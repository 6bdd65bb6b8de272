"""The discriminator of Odena et al.'s AC-GAN, as reproduced in the thesis section 4.0.5
("AC-GAN.b"): six 3x3 convolutions, every other one of stride 1, dropout 0.5 (keep 0.5),
Gaussian activation noise, batch norm after all but the first (Odena et al., Appendix A),
no hidden fully connected layer: the critic/real-fake output and the auxiliary classifier
are linear layers on the flattened last feature map.

Widths follow Odena et al.'s CIFAR-10 discriminator (16, 32, 64, 128, 256, 512) scaled by
`width / 64` so that tests can run it tiny.
"""

from __future__ import annotations

import torch
from torch import nn

from gansweep.models.dcgan import conv_block
from gansweep.models.layers import Heads

_WIDTHS = (16, 32, 64, 128, 256, 512)
_STRIDES = (2, 1, 2, 1, 2, 1)


class ACGANDiscriminator(nn.Module):
    def __init__(self, channels: int, image_size: int, width: int, aux_classes: list[int],
                 dropout: float, noise: float):
        super().__init__()
        widths = [channels] + [max(1, w * width // 64) for w in _WIDTHS]
        self.body = nn.Sequential(*[
            conv_block(widths[i], widths[i + 1], batchnorm=i > 0, dropout=dropout, noise=noise,
                       kernel=3, stride=_STRIDES[i]) for i in range(6)])
        self.heads = Heads(widths[-1] * (image_size // 8) ** 2, aux_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        return self.heads(self.body(x).flatten(1))
