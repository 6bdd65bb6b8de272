"""G's loss of the PPGN-h report in its WGAN form, as pure functions (sign convention of
gansweep.losses: critics output HIGH for REAL; every loss is minimised).

    L_G   = beta_1 L_x + beta_2 L_h + beta_3 L_gan                               (eq. 3)
    L_x   = ||G(h) - x||^2                                                         image loss
    L_h   = sum_j alpha_j ||E^j(G(h)) - E^j(x)||^2                                (eq. 10)
    L_gan = -lambda_0 D(G(h)) - sum_j lambda_j D_j(E^j(G(h)))                      (eq. 9)

Eq. 9 is printed with -log D (the original GAN); footnote 9 says the experiments use its
Wasserstein form, which is -D (gansweep.losses.wgan_generator_loss) with the critics trained
by wgan_critic_loss + eta * gradient_penalty. ||.||^2 is read as the mean squared error over
elements (the document's betas were chosen "such that every partial loss has the same order
of magnitude", which a per-element mean gives whatever the layer size; our choice).

A weight of 0 removes its term: it is neither computed nor in the graph (so e.g. the
D_fc1-adversarial-only variant's G gets no gradient from L_x or L_h).
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
import torch.nn.functional as F

from gansweep import losses


def squared_error(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(fake, real)


def adversarial_loss(scores: Mapping[str, torch.Tensor], lambdas: Mapping[str, float]) -> torch.Tensor:
    """L_gan = sum_j lambda_j * (-E[D_j(fake_j)]) over the discriminators in `scores`."""
    return sum(lambdas[name] * losses.wgan_generator_loss(s) for name, s in scores.items())


def generator_loss(terms: Mapping[str, Callable[[], torch.Tensor]],
                   betas: Mapping[str, float]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """sum_k beta_k * term_k(); a term whose beta is 0 is never evaluated.
    Returns (L_G, {name: unweighted value}) for logging."""
    values = {name: make() for name, make in terms.items() if betas[name] != 0}
    if not values:
        raise ValueError("every term of L_G has weight 0")
    total = sum(betas[name] * v for name, v in values.items())
    return total, values


def critic_loss(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                fake: torch.Tensor, eta: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """WGAN-GP critic loss on one space (images for D, codes for D_fc1)."""
    d_real, d_fake = critic(real), critic(fake)
    gp = losses.gradient_penalty(critic, real, fake)
    loss = losses.wgan_critic_loss(d_real, d_fake) + eta * gp
    return loss, {"wasserstein": losses.wasserstein_estimate(d_real, d_fake), "gp": gp, "loss": loss}
