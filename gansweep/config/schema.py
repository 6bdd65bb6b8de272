"""The typed, frozen config tree: the only place defaults live. It imports nothing of the
project but its own bounds (config/constraints.py) and the error family (gansweep.errors);
resolution (presets, budgets, cross-checks) is config/resolve.py.

A config is built from a plain dict (or YAML) by `resolve()`: the model preset named in
`model` (a string, or `model.preset`) supplies values, the user's keys override them, and
the result is checked field by field. Unknown keys, wrong types and out-of-range values are
all collected and raised together as one `ConfigError` whose lines name the key path:

    optim.lr_d: must be > 0, got -1

Defaults are the thesis's (the thesis, Table 4.2 and 4.3): Adam 1e-4 (0.5, 0.9), batch 64,
n_D 5, eta 10, lambda 0.1, z-dim 128, 2e5 iterations, FID/IS every 2000 on 5000 samples.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional

import yaml

from gansweep.config.constraints import (MAX_BATCH, MAX_ITERATIONS, MAX_LAYERS, MAX_SAMPLES,
                                          MAX_SEED, MAX_WIDTH, device_name, each, ge, gt,
                                          opt, positive, within)
from gansweep.errors import ProblemsError


class ConfigError(ProblemsError):
    """Every problem found in a config, one `path: message` per line."""

    def __init__(self, problems: list[str]):
        super().__init__(problems, "invalid config")


# --- the tree --------------------------------------------------------------------------

@dataclass(frozen=True)
class DataConfig:
    name: Literal["digits", "mnist", "cifar10", "cifar100", "swissroll", "gaussians8"] = opt(
        "digits", doc="dataset; digits is embedded, swissroll/gaussians8 (points in R^2, the depth study) "
                      "are generated, the rest are read from `root`")
    root: Optional[str] = opt(None, doc="dataset root; default $GANSWEEP_DATA or ~/.cache/gansweep/data")
    download: bool = opt(False, doc="fetch a missing dataset (only when asked, and a network exists)")
    fraction: float = opt(1.0, within(0.0, 1.0), doc="fraction of the training set kept (ch. 2: 0.25..1)")
    subset_seed: int = opt(0, within(0, MAX_SEED), doc="seed of the random subset when fraction < 1")
    image_size: Optional[int] = opt(None, within(1, 1024), doc="resize to this size; None keeps the native size")
    aux: Literal["coarse", "cifar10", "none"] = opt(
        "coarse", doc="auxiliary labels: the dataset's coarse grouping, or CIFAR-10 as a second task (ch. 2)")


@dataclass(frozen=True)
class ModelConfig:
    preset: str = opt("WGAN", doc="the named preset these values started from")
    arch: Literal["dcgan", "resnet", "acgan", "mtl_classifier", "radford", "dense",
                  "residual_mlp", "residual_dcgan", "ppgn"] = opt(
        "dcgan", doc="radford: Radford et al.'s DCGAN family (the MNIST DCGAN report, the GAN vs WGAN report); dense: the MNIST DCGAN report's "
                     "dense CGAN; residual_mlp / residual_dcgan: the depth study's depth study; "
                     "ppgn: the PPGN-h report's PPGN-h, its own Task (gansweep.ppgn)")
    width: int = opt(64, within(1, MAX_WIDTH), doc="base width: D/C convs are w, 2w, 4w; G mirrors it")
    g_width: Optional[int] = opt(None, within(1, MAX_WIDTH), doc="generator base width when it differs from `width`")
    z_dim: int = opt(128, within(1, MAX_WIDTH))
    g_cond: Literal["none", "concat", "cin", "conv"] = opt(
        "none", doc="how G sees the class; conv: through its own input layer (radford, the MNIST DCGAN report New Concat)")
    d_cond: Literal["none", "concat", "dense", "channels", "conv"] = opt(
        "none", doc="how the critic sees the class; channels: one-hot per pixel as input channels, "
                    "conv: through its own input layer (radford only); dense arch: concat to the input")
    d_cond_units: int = opt(256, within(1, MAX_WIDTH), doc="units of the class-vector layer of cWGAN.b")
    aux_heads: int = opt(0, within(0, 2), doc="auxiliary classifier heads on D (AC-*)")
    bifurcate_early: bool = opt(False, doc="each head gets its own last conv layer (AC-WGAN.c)")
    classifiers: int = opt(0, within(0, 2), doc="separate classifier networks (SC-*)")
    shared_layers: int = opt(0, within(0, MAX_LAYERS), doc="b: layers soft-shared between D and C (or ch. 2 tasks)")
    d_batchnorm: bool = opt(False, doc="batch norm in every D layer (normal GANs, 4.0.5); "
                                       "radford/dense: in all but the first and last")
    d_dropout: float = opt(0.0, within(0.0, 1.0, hi_open=True), doc="dropout in D (AC-GAN.b)")
    activation_noise: float = opt(0.0, within(0.0, 100.0), doc="std of Gaussian noise after D activations")
    init: Literal["glorot_uniform", "normal_0.02", "normal_0.1", "torch_default"] = opt("glorot_uniform")
    # chapter-2 multitask classifier
    classifier_widths: tuple[int, ...] = opt((64, 128, 128, 128), each(within(1, MAX_WIDTH)))
    classifier_dropout: float = opt(0.5, within(0.0, 1.0, hi_open=True))
    sharing: Literal["soft", "hard", "none"] = opt("soft", doc="how the two chapter-2 tasks share layers")
    # the depth study (depth study): gansweep.models.depth
    blocks: int = opt(0, within(0, MAX_LAYERS), doc="residual blocks per stage of residual_mlp/residual_dcgan (the depth study: "
                                    "c of M_cB, d of M_dC, 7 for M1_A; 0 = the plain baseline)")
    stages: int = opt(1, within(1, 4), doc="residual_dcgan resolution stages between first and last "
                                            "layer: 1 = MNIST M_cB, 2 = CIFAR-10 M_dC (Table A.2)")
    z_dist: Literal["normal", "uniform"] = opt("normal", doc="latent prior: N(0, I) or U(-1, 1) (the depth study)")
    # Radford et al.'s DCGAN family and the dense CGAN (the MNIST DCGAN report, the GAN vs WGAN report; models/radford.py, dense.py)
    g_layers: int = opt(4, within(2, MAX_LAYERS), doc="radford/dense: G's layers, projection and output included")
    d_layers: int = opt(4, within(2, MAX_LAYERS), doc="radford/dense: D's layers, output included")
    kernel: int = opt(4, within(2, 64), doc="radford: filter size of the stride-2 (transposed) convolutions")
    g_fit: Literal["mirror", "valid"] = opt(
        "mirror", doc="radford: how G reaches the image size: D's plan backwards, or doublings and "
                      "a last stride-1 valid layer (the MNIST DCGAN report's compact DCGAN: 16 -> 28 by 13x13)")
    extra_layers: int = opt(0, within(0, MAX_LAYERS), doc="radford: size-keeping conv layers added to G and D "
                                          "(the MNIST DCGAN report's extended CDCGAN: 2)")
    g_batchnorm: bool = opt(True, doc="radford/dense: batch norm on G's hidden layers")


@dataclass(frozen=True)
class LossConfig:
    kind: Literal["wgan-gp", "wgan-clip", "gan"] = opt("wgan-gp")
    eta: float = opt(10.0, ge(0.0), doc="gradient-penalty weight")
    clip: float = opt(0.01, gt(0.0), doc="weight-clipping constant c (wgan-clip)")
    real_label: float = opt(1.0, within(0.0, 1.0), doc="target for real images (0.9 = one-sided smoothing)")
    omega_d: float = opt(1.0, ge(0.0), doc="weight of the classifier loss in D's loss")
    omega_g: float = opt(1.0, ge(0.0), doc="weight of the classifier loss in G's loss (AC heads; "
                                         "SC: see sc_g_update)")
    sc_g_update: Literal["separate", "joint"] = opt(
        "separate", doc="SC-*: how G learns from the separate classifier at its every-s iterations. "
                        "separate: its own Adam step on L_C (Algorithm 4 line 29; Adam ignores the "
                        "scale omega_g gives that step, so omega_g is inert); joint: G's step "
                        "minimises L_G + omega_g L_C (L_C's fake half, as the AC heads' term)")
    sharing_lambda: float = opt(0.1, ge(0.0), doc="lambda: soft-sharing weight")
    classifier_alpha: float = opt(
        0.0, ge(0.0), doc="alpha: weight of the frozen real-trained LeNet's cross-entropy on "
                          "G(z, y) in G's loss (the MNIST DCGAN report 6.2; conditional models, digits/mnist)")


@dataclass(frozen=True)
class OptimConfig:
    name: Literal["adam", "rmsprop", "sgd"] = opt("adam")
    lr_g: float = opt(1e-4, gt(0.0))
    lr_d: float = opt(1e-4, gt(0.0))
    lr_c: float = opt(1e-4, gt(0.0))
    beta1: float = opt(0.5, within(0.0, 1.0, hi_open=True))
    beta2: float = opt(0.9, within(0.0, 1.0, hi_open=True))
    momentum: float = opt(0.0, within(0.0, 1.0, hi_open=True), doc="SGD/RMSprop momentum")
    weight_decay: float = opt(0.0, ge(0.0))
    schedule: Literal["constant", "linear", "step"] = opt("constant")
    decay_iterations: Optional[int] = opt(None, within(1, MAX_ITERATIONS), doc="linear: reach 0 here (None = train.iterations)")
    milestones: tuple[float, ...] = opt((1 / 3, 2 / 3), each(within(0.0, 1.0)),
                                        doc="step: fractions of train.iterations where lr *= gamma")
    milestone_epochs: tuple[float, ...] = opt(
        (), each(within(0.0, 10_000.0)), doc="step: epochs where lr *= gamma (ch. 2: 66, 133), in "
        "iterations via steps_per_epoch (a data fraction's own epochs); when given, replaces milestones")
    gamma: float = opt(0.1, gt(0.0))
    fused: Literal["auto", "fused", "foreach", "off"] = opt(
        "auto", doc="optimizer kernel: auto = fused on CUDA, foreach elsewhere (bit-identical to "
                    "off on CPU); off = torch's per-parameter loop; rmsprop has no fused kernel")
    lr: Optional[float] = opt(None, gt(0.0), doc="one learning rate for G, D and C (the MNIST DCGAN report searched "
                                                 "one Adam lr); sets lr_g, lr_d, lr_c")


@dataclass(frozen=True)
class TrainConfig:
    iterations: int = opt(200_000, within(1, MAX_ITERATIONS), doc="generator iterations (or classifier steps)")
    epochs: Optional[float] = opt(
        None, positive(10_000), doc="budget in passes over the training set; when set, iterations is derived "
                  "from it (see steps_per_epoch) and a user's train.iterations clears it")
    batch_size: int = opt(64, within(1, MAX_BATCH))
    batch_size_g: Optional[int] = opt(None, within(1, MAX_BATCH), doc="generator batch when it differs (ResNet: 128)")
    n_critic: int = opt(5, within(1, 10_000), doc="n_D: critic steps per generator step")
    classifier_every: int = opt(2, within(1, MAX_ITERATIONS), doc="s: train separate classifiers every s-th iteration")
    seed: int = opt(0, within(0, MAX_SEED))
    device: str = opt("auto", device_name, doc="auto, cpu, cuda, cuda:N")
    log_every: int = opt(100, within(1, MAX_ITERATIONS), doc="gather scalars (one host sync) every N iterations")
    checkpoint_every: int = opt(2000, within(1, MAX_ITERATIONS))
    keep_checkpoints: int = opt(2, within(1, 1000))
    # Speed switches (gansweep.trainer). They change the numbers only on CUDA, so a CPU run
    # is bit-identical whatever they say unless fast_paths_on_cpu forces them on. The
    # defaults reproduce the thesis's fp32 numerics on every device: bf16 and TF32 are
    # opt-in (the top models of Table 5.2 lie within ~1 FID: a silent change of numerics
    # could reorder them). Every switch is in each score's provenance (numerics).
    amp: Literal["off", "bf16"] = opt(
        "off", doc="bf16: autocast G/D/C forwards on CUDA (the gradient penalty stays fp32)")
    tf32: bool = opt(False, doc="TF32 matmuls and convolutions on CUDA (off: true fp32, "
                                "cuDNN's TF32 default included)")
    channels_last: bool = opt(True, doc="NHWC memory format for networks and batches on CUDA")
    compile: bool = opt(False, doc="torch.compile G and D (the GP's double backward runs eagerly)")
    fast_paths_on_cpu: bool = opt(
        False, doc="apply amp and channels_last on CPU too: tests run the CUDA code path this way")
    loss_window: int = opt(0, within(0, 10**6), doc="> 0: also log the failure signals of the depth study (6.1): D(x), "
                                         "D(G(z)) as probabilities and the variance of d_loss/g_loss "
                                         "over the last N iterations")
    # n_D as a schedule (gansweep.critic_schedule): "wgan" is Arjovsky et al.'s reference code,
    # cited by the PPGN-h report section 4 and footnote 15.
    critic_schedule: Literal["constant", "wgan"] = opt(
        "constant", doc="constant: n_critic steps always; wgan: critic_burst steps in the first "
                        "critic_burst_first iterations and every critic_burst_every-th")
    critic_burst: int = opt(100, within(1, 10_000), doc="critic steps of a burst iteration (wgan schedule)")
    critic_burst_first: int = opt(25, within(0, MAX_ITERATIONS), doc="iterations 0..N-1 are burst iterations")
    critic_burst_every: int = opt(500, within(1, MAX_ITERATIONS), doc="and so is every iteration k with k % N == 0")


@dataclass(frozen=True)
class EvalConfig:
    every: int = opt(2000, within(0, MAX_ITERATIONS), doc="evaluate every N iterations (0 = never)")
    samples: int = opt(5000, within(1, MAX_SAMPLES), doc="generated samples per evaluation (fixed z set)")
    batch_size: int = opt(250, within(1, MAX_BATCH))
    metrics: tuple[str, ...] = opt((), doc="metric names; empty = every metric that applies")
    inception_weights: Optional[str] = opt(None, doc="pytorch-fid Inception weights file")
    real_samples: Optional[int] = opt(None, within(1, MAX_SAMPLES), doc="real images for reference statistics (None = all)")
    cache_dir: Optional[str] = opt(None, doc="metric cache: trained judges, real statistics; a path or "
                                          "URI (a sweep: STORAGE/NAME/.gansweep-cache; default "
                                          "$GANSWEEP_CACHE, else ~/.cache/gansweep/stats)")
    sample_bn: Literal["running", "batch"] = opt(
        "running", doc="batch norm in G when sampling for evaluation: running statistics "
                       "(eval mode) or each batch's own (train mode, buffers left untouched)")
    # KID (gansweep.metrics.kid): torch-fidelity's defaults; the subset size is capped at the
    # smaller of the generated and real samples.
    kid_subsets: int = opt(100, within(1, 10_000), doc="KID: random subsets averaged")
    kid_subset_size: int = opt(1000, within(2, MAX_SAMPLES), doc="KID: samples per side in a subset")
    # aug_gain (the MNIST DCGAN report section 4 at a size affordable during training; only when listed)
    aug_real: int = opt(600, within(1, MAX_SAMPLES), doc="aug_gain: real training images of its LeNets (MNIST 1%)")
    aug_generated: int = opt(600, within(1, MAX_SAMPLES), doc="aug_gain: generated images added (<= eval.samples)")
    aug_epochs: int = opt(30, within(1, 10_000), doc="aug_gain: LeNet training epochs (the MNIST DCGAN report: 30)")


@dataclass(frozen=True)
class PPGNConfig:
    """The PPGN-h report (PPGN-h with latent discriminators): loss weights, encoder recipe, sampler.
    Defaults are section 4.1's Vanilla PPGN-h; the variants are presets (gansweep.config.presets.ppgn).
    The code h (E's fc1, G's input) has model.z_dim units: 64 in the presets."""
    beta_x: float = opt(1.0, ge(0.0), doc="beta_1: weight of the image loss L_x")
    beta_h: float = opt(0.1, ge(0.0), doc="beta_2: weight of the code loss L_h")
    beta_gan: float = opt(2.0, ge(0.0), doc="beta_3: weight of the adversarial loss L_gan")
    lambda_image: float = opt(1.0, ge(0.0), doc="lambda_0: weight of D (image space); 0 = no D")
    lambda_fc1: float = opt(0.0, ge(0.0), doc="lambda_fc1: weight of D_fc1 (E's fc1); 0 = no D_fc1")
    alpha_fc1: float = opt(1.0, ge(0.0), doc="alpha_fc1: weight of ||E_fc1(G(h)) - h||^2 in L_h")
    random_discriminator: bool = opt(False, doc="PPGN-h-random: one discriminator per iteration, p=1/2")
    encoder_width: int = opt(64, within(1, MAX_WIDTH), doc="E's convs are w, 2w, 4w channels (section 4: 64)")
    encoder_epochs: int = opt(2, within(1, 10_000), doc="E's classification pre-training (cached)")
    encoder_batch_size: int = opt(64, within(1, MAX_BATCH))
    encoder_lr: float = opt(0.01, gt(0.0), doc="E is trained with SGD (section 4)")
    encoder_momentum: float = opt(0.5, within(0.0, 1.0, hi_open=True))
    mala_steps: int = opt(200, within(1, MAX_SAMPLES), doc="MALA-approx iterations per sample (section 4.1)")
    mala_eps1: float = opt(1e-2, ge(0.0), doc="epsilon_1: pull towards E(G(h))")
    mala_eps2: float = opt(1.0, ge(0.0), doc="epsilon_2: step along d log C_c(G(h)) / dh")
    mala_eps3: float = opt(1e-15, ge(0.0), doc="epsilon_3: std of the added Gaussian noise")


@dataclass(frozen=True)
class Config:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    ppgn: PPGNConfig = field(default_factory=PPGNConfig)

    def to_dict(self) -> dict:
        return _to_plain(dataclasses.asdict(self))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)




def _build(cls, raw: Any, path: str, problems: list[str]):
    if not isinstance(raw, dict):
        problems.append(f"{path or '<root>'}: expected a mapping, got {type(raw).__name__}")
        return cls()
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            problems.append(f"{_join(path, key)}: unknown key; known: {', '.join(sorted(names))}")
    values = {}
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        key = _join(path, f.name)
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            values[f.name] = _build(tp, raw[f.name], key, problems)
            continue
        value, msg = _coerce(raw[f.name], tp)
        if msg is None and value is not None and f.metadata.get("check"):
            msg = f.metadata["check"](value)
        if msg:
            problems.append(f"{key}: {msg}")
        else:
            values[f.name] = value
    return cls(**values)


def _coerce(value, tp):
    """(value converted to `tp`, None) or (None, message). bool is never an int here."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None, None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0])
    if origin is Literal:
        return (value, None) if value in args else (None, f"must be one of {list(args)}, got {value!r}")
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            return None, f"expected a list, got {value!r}"
        out = []
        for v in value:
            c, msg = _coerce(v, args[0])
            if msg:
                return None, msg
            out.append(c)
        return tuple(out), None
    if tp is bool:
        return (value, None) if isinstance(value, bool) else (None, f"expected true/false, got {value!r}")
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        return None, f"expected an integer, got {_short(value)}"
    if tp is float:
        number = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                number = float(value)
            except OverflowError:  # an int past float's range
                return None, f"must be a finite number, got {_short(value)}"
        elif isinstance(value, str):  # YAML reads 1e-4 as a string
            try:
                number = float(value)
            except ValueError:
                pass
        if number is None:
            return None, f"expected a number, got {_short(value)}"
        if not math.isfinite(number):  # NaN passes every comparison check
            return None, f"must be a finite number, got {_short(value)}"
        return number, None
    if tp is str:
        return (value, None) if isinstance(value, str) else (None, f"expected a string, got {_short(value)}")
    raise TypeError(f"unsupported config type {tp}")


def _join(path, key):
    return f"{path}.{key}" if path else str(key)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def nest(raw: dict) -> dict:
    """{'optim.lr_d': 1} -> {'optim': {'lr_d': 1}}; nested dicts pass through.

    A key given twice (`optim.lr_d` and `optim: {lr_d: ...}`), or a dotted key below a
    single value (`model: WGAN` with `model.width: 8`), is a ConfigError naming both: one of
    the two would otherwise be dropped without a word."""
    problems: list[str] = []
    out = _nest(raw, "", problems)
    if problems:
        raise ConfigError(problems)
    return out


def _nest(raw: dict, prefix: str, problems: list[str]) -> dict:
    out: dict = {}
    for key, value in raw.items():
        full = _join(prefix, key)
        if isinstance(value, dict):
            value = _nest(value, full, problems)
        parts = str(key).split(".")
        node, at = out, prefix
        for part in parts[:-1]:
            at = _join(at, part)
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                problems.append(_conflict(full, at, node))
                break
        else:
            _put(node, parts[-1], value, full, problems)
    return out


def _put(node: dict, key: str, value, full: str, problems: list[str]) -> None:
    old = node.get(key)
    if key not in node:
        node[key] = value
    elif isinstance(value, dict) and isinstance(old, dict):
        for k, v in value.items():  # two spellings of one section: merge, key by key
            _put(old, k, v, _join(full, k), problems)
    elif isinstance(value, dict):
        problems.append(_conflict(full, full, old))
    elif isinstance(old, dict):
        problems.append(_conflict(full, full, value))
    else:
        problems.append(f"{full}: given twice (as a dotted key and inside its section)")


def _conflict(full: str, at: str, scalar) -> str:
    hint = (f"; name the preset as {at}.preset, e.g. {at}: {{preset: {scalar}, ...}}"
            if at == "model" and isinstance(scalar, str) else "")
    if full == at:
        return f"{full}: given both as the single value {_short(scalar)} and as a section{hint}"
    return f"{full}: {at} is the single value {_short(scalar)}, not a section{hint}"


def deep_merge(base: dict, over: dict) -> dict:
    """`over`'s keys over `base`'s, recursively, as a new tree that shares nothing with either:
    a caller may change the result (the smoke test rewrites `data`) without touching a spec's
    or a preset's own dicts."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _to_plain(obj):
    if isinstance(obj, dict):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_to_plain(v) for v in obj]
    return obj


def describe() -> str:
    """Every key with its default and description (for `gansweep train --help-config`)."""
    lines = []
    for section in dataclasses.fields(Config):
        cls = section.default_factory
        for f in dataclasses.fields(cls):
            doc = f.metadata.get("doc", "")
            lines.append(f"{section.name}.{f.name} = {f.default!r}" + (f"  # {doc}" if doc else ""))
    return "\n".join(lines)
