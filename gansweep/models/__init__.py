"""Build a model preset's networks from the config: one builder, one family per file.

    dcgan.py   Table 4.3 G, D, C and the conditionings of Table 4.1 (seed 000)
    acgan.py   Odena et al.'s discriminator (AC-GAN.b, section 4.0.5)
    resnet.py  the Appendix D ResNet WGAN with conditional instance norm
    mtl_classifier.py  the chapter-2 multitask classifier (trained by ClassifierTrainer)
    depth.py   seed 001's residual MLP (R^2) and residual DCGAN (MNIST, CIFAR-10)
    radford.py Radford et al.'s DCGAN family of seeds 002 (MNIST, CDCGAN) and 004 (CIFAR-10)
    dense.py   seed 002's dense (fully connected) CGAN
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from gansweep.config import ModelConfig
from gansweep.models import dense, radford
from gansweep.models.acgan import ACGANDiscriminator
from gansweep.models import depth
from gansweep.models.dcgan import Classifier, Discriminator, Generator
from gansweep.models.layers import init_weights
from gansweep.models.resnet import ResNetDiscriminator, ResNetGenerator


@dataclass(frozen=True)
class DataShape:
    """What the networks need to know about the data."""
    channels: int
    image_size: int
    num_classes: int
    num_aux_classes: int = 0
    vector_dim: int = 0  # > 0: the data are points in R^vector_dim, not images (seed 001)


def data_shape(dataset) -> DataShape:
    """The shape of an ImageDataset, or of a PointDataset (no channels, size or classes)."""
    if hasattr(dataset, "points"):
        return DataShape(0, 0, 0, 0, vector_dim=dataset.dim)
    return DataShape(dataset.channels, dataset.image_size, dataset.num_classes, dataset.num_aux_classes)


@dataclass
class GANNetworks:
    G: nn.Module
    D: nn.Module
    classifiers: list[nn.Module] = field(default_factory=list)

    def named(self) -> dict[str, nn.Module]:
        nets = {"G": self.G, "D": self.D}
        nets.update({f"C{i}": c for i, c in enumerate(self.classifiers)})
        return nets


def task_classes(count: int, shape: DataShape) -> list[int]:
    """Class counts of `count` classification tasks: the fine labels, then the auxiliary."""
    if count >= 2 and not shape.num_aux_classes:
        raise ValueError("this model has a second (auxiliary) classifier but the dataset has no "
                         "auxiliary labels; set data.aux: coarse on a dataset that has them")
    return [shape.num_classes, shape.num_aux_classes][:count]


def build_gan(m: ModelConfig, shape: DataShape) -> GANNetworks:
    if m.arch in ("residual_mlp", "residual_dcgan"):
        return _init(_build_depth(m, shape), m.init)
    if m.arch in ("radford", "dense"):  # any image size: they plan their own layers
        G, D = {"radford": radford.build, "dense": dense.build}[m.arch](m, shape)
        nets = GANNetworks(G, D)
        for net in nets.named().values():
            init_weights(net, m.init)
        return nets
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
    return _init(GANNetworks(G, D, classifiers), m.init)


def _init(nets: GANNetworks, scheme: str) -> GANNetworks:
    for net in nets.named().values():
        init_weights(net, scheme)
    return nets


def _build_depth(m: ModelConfig, shape: DataShape) -> GANNetworks:
    g_width = m.g_width or m.width
    if m.arch == "residual_mlp":
        if not shape.vector_dim:
            raise ValueError("residual_mlp trains on points in R^2 (data.name swissroll or gaussians8)")
        return GANNetworks(depth.ResidualMLPGenerator(m.z_dim, shape.vector_dim, g_width, m.blocks),
                           depth.ResidualMLPDiscriminator(shape.vector_dim, m.width, m.blocks, m.d_batchnorm))
    G = depth.ResidualDCGANGenerator(m.z_dim, shape.channels, shape.image_size, g_width, m.stages, m.blocks)
    D = depth.ResidualDCGANDiscriminator(shape.channels, shape.image_size, m.width, m.stages, m.blocks,
                                         m.d_batchnorm)
    return GANNetworks(G, D)
