"""MALA-approx (the PPGN-h report eq. 8; Nguyen et al. 2016, "Plug & Play Generative Networks", eq. 11
and their sampling code): class-conditional samples by iterating in h-space,

    h_{t+1} = h_t + eps1 (R_h(h_t) - h_t) + eps2 d log C_c(G(h_t)) / dh_t + N(0, eps3^2)

with R_h(h) = E_fc1(G(h)) (the noiseless autoencoder's reconstruction; 1/sigma^2 folded into
eps1) and C = softmax(E's fc2). Section 4.1: (eps1, eps2, eps3) = (1e-2, 1, 1e-15), 200 steps.

Choices where the document is silent (ours, after PPGN's code): h_0 = relu(z), z ~ N(0, I)
(fc1 is a ReLU output, so codes live in the non-negative orthant, and PPGN clips its codes to
it), and every h_t is clamped at 0 for the same reason. There is no Metropolis rejection step
(footnote 5). The sample is G(h_T).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

# decode: h -> x;  encode: x -> (R_h code, class logits)
Decode = Callable[[torch.Tensor], torch.Tensor]
Encode = Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def mala_approx(decode: Decode, encode: Encode, h0: torch.Tensor, y: torch.Tensor, steps: int,
                eps1: float, eps2: float, eps3: float, clamp_min: float | None = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """The final codes h_T (detached). Each sample's chain is independent of the others."""
    h = h0.detach()
    for _ in range(steps):
        h = h.detach().requires_grad_(True)
        with torch.enable_grad():
            code, logits = encode(decode(h))
            log_p = F.log_softmax(logits.float(), dim=1).gather(1, y[:, None]).sum()
            (grad,) = torch.autograd.grad(log_p, h)
        with torch.no_grad():
            noise = torch.randn(h.shape, generator=generator, device=h.device, dtype=h.dtype)
            h = h + eps1 * (code.detach() - h) + eps2 * grad + eps3 * noise
            if clamp_min is not None:
                h = h.clamp_min(clamp_min)
    return h.detach()
