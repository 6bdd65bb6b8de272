"""The latent prior p(z), one function for training and for the evaluator's fixed z set.

    normal   z ~ N(0, I): the thesis (and the config default)
    uniform  z ~ U(-1, 1)^d: the depth study, chapter 4 ("G(z) where z ~ U(-1, 1)"), as in DCGAN
"""

from __future__ import annotations

import torch


def sample_latents(n: int, dim: int, dist: str = "normal", device: torch.device | str = "cpu",
                   generator: torch.Generator | None = None) -> torch.Tensor:
    if dist == "normal":
        return torch.randn(n, dim, device=device, generator=generator)
    if dist == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    raise ValueError(f"model.z_dist: unknown latent distribution {dist!r}")
