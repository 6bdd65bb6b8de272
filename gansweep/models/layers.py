"""Building blocks shared by the model families: init, CIN, activation noise, heads."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn


@contextlib.contextmanager
def frozen(*nets: nn.Module):
    """No parameter gradients for `nets` inside the block: a generator step backpropagates
    through its critics without filling their .grad (nor paying for it)."""
    params = [p for net in nets for p in net.parameters() if p.requires_grad]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


def init_weights(module: nn.Module, scheme: str) -> None:
    """Thesis ch. 4: Glorot uniform U[-k, k], k = sqrt(6 / (fan_in + fan_out)); biases 0.

    `normal_0.02` is the DCGAN scheme of the depth study's images and the MNIST DCGAN report,
    `normal_0.1` the depth study's R^2 models (Table A.4); `torch_default` leaves PyTorch's.
    Norm layers keep their (1, 0) affine init.
    """
    if scheme == "torch_default":
        return
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            if scheme == "glorot_uniform":
                nn.init.xavier_uniform_(m.weight)
            else:
                nn.init.normal_(m.weight, 0.0, float(scheme.split("_")[1]))
            if m.bias is not None:
                nn.init.zeros_(m.bias)


class ConditionalInstanceNorm2d(nn.Module):
    """CIN (Dumoulin et al. 2016; thesis Appendix C, Eq. C.4): instance norm whose affine
    scale and shift are looked up per class."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.InstanceNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(num_classes, channels)
        self.beta = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.gamma(y)[:, :, None, None] * self.norm(x) + self.beta(y)[:, :, None, None]


class GaussianNoise(nn.Module):
    """Activation noise (Salimans et al. 2016, used by Odena's AC-GAN): x + N(0, std^2),
    only in training mode."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            return x + self.std * torch.randn_like(x)
        return x


def one_hot(y: torch.Tensor | None, num_classes: int, dtype: torch.dtype) -> torch.Tensor | None:
    return None if y is None else F.one_hot(y, num_classes).to(dtype)


class Heads(nn.Module):
    """The critic output plus one linear classifier head per auxiliary task.

    `forward(features) -> (critic [B], [logits_head_1, ...])`. The critic may also see the
    class (cWGAN): `cond` is concatenated to the features before the critic layer only.
    """

    def __init__(self, features: int, aux_classes: list[int], cond_features: int = 0):
        super().__init__()
        self.critic = nn.Linear(features + cond_features, 1)
        self.aux = nn.ModuleList(nn.Linear(features, k) for k in aux_classes)

    def forward(self, h, cond: torch.Tensor | None = None):
        """`h` is one feature tensor, or one per output (critic first) when D bifurcates early."""
        hs = h if isinstance(h, list) else [h] * (1 + len(self.aux))
        hc = hs[0] if cond is None else torch.cat([hs[0], cond], dim=1)
        return self.critic(hc).squeeze(1), [head(f) for head, f in zip(self.aux, hs[1:])]
