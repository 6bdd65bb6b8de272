"""Config cross-checks for model.arch = ppgn (called from gansweep.config_checks.cross_checks)."""

from __future__ import annotations


def ppgn_checks(cfg) -> list[str]:
    p, g = [], cfg.ppgn
    if cfg.loss.kind != "wgan-gp":
        # Section 4: "a WGAN-GP architecture as a base" for every experiment (footnote 9).
        p.append(f"loss.kind: PPGN-h is trained as WGAN-GP (seed 003, section 4), got {cfg.loss.kind!r}")
    if g.lambda_image == 0 and g.lambda_fc1 == 0:
        p.append("ppgn.lambda_image: PPGN-h needs a discriminator: lambda_image or lambda_fc1 > 0")
    if g.random_discriminator and not (g.lambda_image and g.lambda_fc1):
        p.append("ppgn.random_discriminator: picks between D and D_fc1, so both "
                 "lambda_image and lambda_fc1 must be > 0")
    if g.beta_x == 0 and g.beta_h == 0 and g.beta_gan == 0:
        p.append("ppgn.beta_gan: G has no loss: beta_x, beta_h and beta_gan are all 0")
    if cfg.data.name in ("cifar10", "cifar100"):
        p.append(f"data.name: PPGN-h's networks are MNIST's (1 channel); got {cfg.data.name!r}")
    return p
