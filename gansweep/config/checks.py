"""Cross-field checks of a built config: each returns `path: message` lines, all reported
together with the per-field problems (gansweep.config.from_dict calls `cross_checks`)."""

from __future__ import annotations

from gansweep.config.datasets import POINT_DATASETS
from gansweep.config.schema import Config, ModelConfig


def cross_checks(cfg: Config) -> list[str]:
    """Checks that involve more than one field."""
    p = []
    m = cfg.model
    if m.bifurcate_early and m.aux_heads == 0:
        p.append("model.bifurcate_early: needs model.aux_heads >= 1")
    if m.arch == "mtl_classifier":
        if m.shared_layers > len(m.classifier_widths):
            p.append(f"model.shared_layers: must be <= {len(m.classifier_widths)} "
                     f"(the classifier's conv layers), got {m.shared_layers}")
    elif m.shared_layers > 3:
        p.append(f"model.shared_layers: D and C have 3 conv layers to share, got {m.shared_layers}")
    if m.arch != "mtl_classifier" and m.shared_layers and m.classifiers == 0:
        p.append("model.shared_layers: soft sharing between D and C needs model.classifiers >= 1")
    if m.arch == "resnet" and m.d_cond != "none":
        p.append("model.d_cond: the ResNet critic is conditioned through aux heads only")
    if cfg.loss.kind == "gan" and m.arch == "resnet":
        p.append("loss.kind: the ResNet models are WGAN-GP only")
    if cfg.optim.fused == "fused" and cfg.optim.name == "rmsprop":
        p.append("optim.fused: torch has no fused RMSprop; use auto or foreach")
    p += _point_data_checks(cfg)
    if m.arch == "ppgn":
        p += ppgn_checks(cfg)
    if cfg.loss.classifier_alpha and m.g_cond == "none":
        p.append("loss.classifier_alpha: the LeNet's loss needs a class-conditional generator "
                 "(model.g_cond)")
    size = cfg.data.image_size
    # The radford/dense families take any size (the MNIST DCGAN report trains at MNIST's 28x28).
    if size is not None and m.arch not in RADFORD_ARCHS and (size < 8 or size % 8):
        p.append(f"data.image_size: must be a multiple of 8 and >= 8, got {size}")
    return p + _radford_checks(m)


RADFORD_ARCHS = ("radford", "dense")
_RADFORD_COND = {"radford": (("none", "concat", "conv"), ("none", "channels", "conv")),
                 "dense": (("none", "concat"), ("none", "concat"))}


def _radford_checks(m: ModelConfig) -> list[str]:
    """The MNIST DCGAN report/004 families have one critic output and their own label inputs; the
    thesis's heads, classifiers and sharing do not apply to them, nor their label inputs
    to the thesis's networks."""
    if m.arch not in RADFORD_ARCHS:
        return [f"model.{k}: {v} is for model.arch radford" for k, v in
                (("g_cond", m.g_cond), ("d_cond", m.d_cond)) if v in ("conv", "channels")]
    p = []
    g_ok, d_ok = _RADFORD_COND[m.arch]
    if m.g_cond not in g_ok:
        p.append(f"model.g_cond: {m.arch} supports {', '.join(g_ok)}; got {m.g_cond}")
    if m.d_cond not in d_ok:
        p.append(f"model.d_cond: {m.arch} supports {', '.join(d_ok)}; got {m.d_cond}")
    for key in ("aux_heads", "classifiers", "shared_layers", "bifurcate_early", "d_dropout",
                "activation_noise"):
        if getattr(m, key):
            p.append(f"model.{key}: not available with model.arch {m.arch}")
    return p


def _point_data_checks(cfg: Config) -> list[str]:
    """Points in R^2 go with the residual MLP only, and have no classes to condition on."""
    m, points = cfg.model, cfg.data.name in POINT_DATASETS
    if points != (m.arch == "residual_mlp"):
        return [f"model.arch: {m.arch} cannot train on data.name {cfg.data.name}; points in R^2 "
                "(swissroll, gaussians8) need residual_mlp and residual_mlp needs them"]
    if m.arch in ("residual_mlp", "residual_dcgan"):
        used = [k for k, v in (("g_cond", m.g_cond != "none"), ("d_cond", m.d_cond != "none"),
                               ("aux_heads", m.aux_heads), ("classifiers", m.classifiers)) if v]
        if used:
            return [f"model.{used[0]}: the depth-study models ({m.arch}) are unconditional"]
    return []


def ppgn_checks(cfg: Config) -> list[str]:
    """model.arch = ppgn: the PPGN-h report's fixed choices (source document 003)."""
    p, g = [], cfg.ppgn
    if cfg.loss.kind != "wgan-gp":
        # Section 4: "a WGAN-GP architecture as a base" for every experiment (footnote 9).
        p.append(f"loss.kind: PPGN-h is trained as WGAN-GP (the PPGN-h report, section 4), got {cfg.loss.kind!r}")
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
