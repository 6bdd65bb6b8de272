"""Adversarial losses and penalties as pure functions of network outputs.

SIGN CONVENTION (the one used everywhere in gansweep): D outputs HIGH for REAL images.
Every loss here is MINIMISED by the network it trains.

    WGAN critic     L_D = E[D(fake)] - E[D(real)] (+ eta * GP)      Gulrajani et al. 2017
    WGAN generator  L_G = -E[D(fake)]
    GAN (4.0.5)     L_D = CE(D(real), 1) + CE(D(fake), 0),  L_G = CE(D(fake), 1)

The thesis's Algorithms 2-4 print L_D = D(x~) + D(x) + eta GP and L_G = log(1 - D(G(z)));
both are typesetting slips (the first has no minus sign, the second is the saturating GAN
loss, not a Wasserstein one). We implement the WGAN-GP losses of the paper the thesis forks
(its reference [3]), which its 4.0.1 sanity check (IS ~6 on CIFAR-10) reproduced.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F


def wgan_critic_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    return d_fake.mean() - d_real.mean()


def wgan_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    return -d_fake.mean()


def wasserstein_estimate(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The critic's estimate of W(p_data, p_G): E[D(real)] - E[D(fake)] (thesis eq. 3.7)."""
    return d_real.mean() - d_fake.mean()


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                     fake: torch.Tensor, eps: torch.Tensor | None = None) -> torch.Tensor:
    """E[(||grad_x^ D(x^)||_2 - 1)^2], x^ = eps x + (1 - eps) x~, eps ~ U[0,1] per sample
    (Algorithm 2 lines 8-10). The graph is kept so the penalty trains D.

    Always float32, even inside a bf16 autocast region: autocast is switched off here, so
    D(x^), its input gradient and the norm are fp32. A bf16 gradient (8 mantissa bits)
    would put ~1% noise on ||grad|| - 1, a term that is ~0 at the optimum and is then
    squared and scaled by eta = 10 (tests/test_fast_paths.py checks the value against fp32).
    """
    if eps is None:
        eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=torch.float32)
    with torch.autocast(real.device.type, enabled=False):
        x_hat = (eps * real.float() + (1 - eps) * fake.detach().float()).requires_grad_(True)
        out = critic(x_hat).float()
        (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
        return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()


def gan_discriminator_loss(d_real: torch.Tensor, d_fake: torch.Tensor,
                           real_label: float = 1.0) -> torch.Tensor:
    """Section 4.0.5 step 2 on logits (the sigmoid lives inside BCE-with-logits, which is
    the same function, computed stably). real_label < 1 is one-sided label smoothing
    (Salimans et al. 2016; the MNIST DCGAN report uses 0.9): only the real targets are softened."""
    real_t = torch.full_like(d_real, real_label)
    return (F.binary_cross_entropy_with_logits(d_real, real_t)
            + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))


def gan_generator_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Non-saturating: maximise log D(G(z)) (section 3.0.2, step 1 of 4.0.5)."""
    return F.binary_cross_entropy_with_logits(d_fake, torch.ones_like(d_fake))


def classifier_loss(logits_real: Sequence[torch.Tensor] | None, logits_fake: Sequence[torch.Tensor],
                    labels_real: Sequence[torch.Tensor], labels_fake: Sequence[torch.Tensor]) -> torch.Tensor:
    """L_C = (L_CR + L_CF) / 2, averaged over the classifier heads (Algorithm 3 lines 12-16;
    with two heads this is the (L_CRM + L_CFM + L_CRA + L_CFA) / 4 of section 3.0.12).

    `logits_real=None` drops L_CR, which has no gradient w.r.t. the generator: the G step
    then minimises L_CF / 2 per head, the same gradient as Algorithm 3 line 31 without a
    forward pass of D on real images.
    """
    terms = []
    for i, (lf, yf) in enumerate(zip(logits_fake, labels_fake)):
        cf = F.cross_entropy(lf, yf)
        cr = F.cross_entropy(logits_real[i], labels_real[i]) if logits_real is not None else 0.0
        terms.append((cr + cf) / 2)
    return torch.stack(terms).mean()


def soft_sharing_distance(params_a: Iterable[torch.Tensor], params_b: Iterable[torch.Tensor]) -> torch.Tensor:
    """||W_a,b - W_b,b||_2: the L2 norm (not squared) of the difference of the shared
    layers' parameters, all layers concatenated (thesis eq. 2.1). Multiply by lambda."""
    sq = [(a - b).pow(2).sum() for a, b in zip(params_a, params_b, strict=True)]
    # The tiny epsilon keeps the gradient finite when the weights coincide exactly.
    return torch.sqrt(torch.stack(sq).sum() + 1e-12)


@torch.no_grad()
def clip_weights_(params: Iterable[torch.Tensor], c: float) -> None:
    """Weight clipping to [-c, c] after each critic step (Arjovsky et al.; the GAN vs WGAN report)."""
    for p in params:
        p.clamp_(-c, c)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """On the device, no host sync."""
    return (logits.argmax(dim=1) == labels).float().mean()
