"""The one table of model families: `model.arch` -> how to build it, which task trains it,
which cross-checks guard it, and what it shrinks to in a smoke test.

Adding a family is its own network file plus one row here (and its name in config's
`model.arch` literal: config sits below models in the import graph, so it cannot read this
table; tests/test_families.py holds the two equal). Presets then name the new arch.

    task    which Task trains it (gansweep.task.TASKS): "gan" is gansweep.trainer's phases;
            "classifier" (chapter 2) and "ppgn" (the PPGN-h report) build their own networks, so
            their `build` is None.
    checks  the family's own cross-field checks (gansweep.config.checks).
            `cross_checks` runs them when a config is built, for every arch (each also
            refuses its options elsewhere) and config cannot import this table: listed here
            so a reader finds them from the family.
    smoke   dotted config overrides that make this family toy-sized (`smoke_config`);
            SMOKE_COMMON holds what every family shrinks alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Optional

from gansweep.config import ModelConfig
from gansweep.config.checks import _point_data_checks, _radford_checks, ppgn_checks

if TYPE_CHECKING:
    from gansweep.models.networks import DataShape, GANNetworks

# The table is read where torch is not wanted (the sweep driver reads the smoke sizes): each
# builder imports its network files, and with them torch, when it is called.
Builder = Callable[[ModelConfig, "DataShape"], "GANNetworks"]
Check = Callable[..., list]


@dataclass(frozen=True)
class Family:
    task: str                      # "gan" | "classifier" | "ppgn"
    doc: str
    build: Optional[Builder] = None
    checks: tuple[Check, ...] = ()
    smoke: dict = field(default_factory=dict)


# --- builders: the G / D / C of each family, before init_weights -----------------------------

def _thesis(m: ModelConfig, shape: DataShape) -> GANNetworks:
    """The thesis's networks: Table 4.3 (dcgan), Odena's D (acgan), Appendix D (resnet)."""
    from gansweep.models.acgan import ACGANDiscriminator
    from gansweep.models.dcgan import Classifier, Discriminator, Generator
    from gansweep.models.networks import GANNetworks, task_classes
    from gansweep.models.resnet import ResNetDiscriminator, ResNetGenerator

    size = shape.image_size
    if size < 8 or size % 8:
        raise ValueError(f"image size {size} is not a multiple of 8 >= 8; set data.image_size")
    g_width = m.g_width or m.width
    g_classes = shape.num_classes if m.g_cond != "none" else 0
    heads = task_classes(m.aux_heads, shape)
    if m.arch == "resnet":
        G = ResNetGenerator(m.z_dim, shape.channels, size, g_width, g_classes)
        D = ResNetDiscriminator(shape.channels, m.width, heads)
    else:
        G = Generator(m.z_dim, shape.channels, size, g_width, g_classes)
        if m.arch == "acgan":
            D = ACGANDiscriminator(shape.channels, size, m.width, heads, m.d_dropout, m.activation_noise)
        else:
            D = Discriminator(shape.channels, size, m.width, heads, shape.num_classes, m.d_cond,
                              m.d_cond_units, m.bifurcate_early, m.d_batchnorm, m.d_dropout)
    classifiers = [Classifier(shape.channels, size, m.width, k)
                   for k in task_classes(m.classifiers, shape)]
    return GANNetworks(G, D, classifiers)


def _radford(m: ModelConfig, shape: DataShape) -> GANNetworks:
    from gansweep.models import radford
    from gansweep.models.networks import GANNetworks
    return GANNetworks(*radford.build(m, shape))  # any image size: it plans its own layers


def _dense(m: ModelConfig, shape: DataShape) -> GANNetworks:
    from gansweep.models import dense
    from gansweep.models.networks import GANNetworks
    return GANNetworks(*dense.build(m, shape))


def _residual_mlp(m: ModelConfig, shape: DataShape) -> GANNetworks:
    from gansweep.models import depth
    from gansweep.models.networks import GANNetworks
    if not shape.vector_dim:
        raise ValueError("residual_mlp trains on points in R^2 (data.name swissroll or gaussians8)")
    return GANNetworks(depth.ResidualMLPGenerator(m.z_dim, shape.vector_dim, m.g_width or m.width, m.blocks),
                       depth.ResidualMLPDiscriminator(shape.vector_dim, m.width, m.blocks, m.d_batchnorm))


def _residual_dcgan(m: ModelConfig, shape: DataShape) -> GANNetworks:
    from gansweep.models import depth
    from gansweep.models.networks import GANNetworks
    G = depth.ResidualDCGANGenerator(m.z_dim, shape.channels, shape.image_size, m.g_width or m.width,
                                     m.stages, m.blocks)
    D = depth.ResidualDCGANDiscriminator(shape.channels, shape.image_size, m.width, m.stages, m.blocks,
                                         m.d_batchnorm)
    return GANNetworks(G, D)


# --- the table ---------------------------------------------------------------------------------

SMOKE_COMMON = {
    "model.width": 4, "model.g_width": 4, "model.z_dim": 8,
    "train.batch_size": 8, "train.batch_size_g": None, "train.n_critic": 2, "train.log_every": 1,
    "train.device": "cpu",
    "train.critic_burst": 2,  # the wgan critic schedule's 100-step bursts, at toy scale
    "eval.samples": 50, "eval.batch_size": 50, "eval.real_samples": 300,
}

FAMILIES: dict[str, Family] = {
    "dcgan": Family("gan", "the thesis Table 4.3 G, D, C and the conditionings of Table 4.1",
                    _thesis, smoke={"model.d_cond_units": 8}),
    "acgan": Family("gan", "Odena et al.'s discriminator (AC-GAN.b, section 4.0.5)",
                    _thesis),
    "resnet": Family("gan", "the Appendix D ResNet WGAN-GP with conditional instance norm",
                     _thesis),
    "radford": Family("gan", "Radford et al.'s DCGAN family of the MNIST DCGAN and GAN vs WGAN reports",
                      _radford, (_radford_checks,)),
    "dense": Family("gan", "the MNIST DCGAN report's dense (fully connected) CGAN", _dense, (_radford_checks,)),
    "residual_mlp": Family("gan", "the depth study's residual MLP on points in R^2", _residual_mlp,
                           (_point_data_checks,)),
    "residual_dcgan": Family("gan", "the depth study's residual DCGAN (MNIST, CIFAR-10)", _residual_dcgan,
                             (_point_data_checks,)),
    "mtl_classifier": Family("classifier", "the chapter-2 multitask classifier "
                             "(gansweep.models.mtl_classifier, built by ClassifierTrainer)",
                             smoke={"model.classifier_widths": [4, 8, 8, 8]}),
    "ppgn": Family("ppgn", "the PPGN-h report's PPGN-h (gansweep.ppgn, built by PPGNTrainer)",
                   checks=(ppgn_checks,),
                   smoke={"ppgn.encoder_width": 8, "ppgn.mala_steps": 10}),  # encoder, sampler
}


def family(arch: str) -> Family:
    try:
        return FAMILIES[arch]
    except KeyError:
        raise ValueError(f"model.arch: unknown {arch!r}; known: {', '.join(FAMILIES)}") from None


def build_gan(m: ModelConfig, shape: DataShape) -> GANNetworks:
    """G, D and any separate classifiers of a GAN family, initialised per model.init."""
    from gansweep.models.networks import initialised
    build = family(m.arch).build
    if build is None:
        raise ValueError(f"model.arch {m.arch} is not a GAN: its task "
                         f"({family(m.arch).task}) builds its own networks")
    return initialised(build(m, shape), m.init)


def smoke_config() -> dict:
    """The smoke test's overrides: SMOKE_COMMON and every family's own (a spec may search
    its preset, so one smoke config serves every family at once)."""
    out = dict(SMOKE_COMMON)
    for f in FAMILIES.values():
        out.update(f.smoke)
    return out

