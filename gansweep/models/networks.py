"""What every family's builder shares: the data's shape, the built networks, the class counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from gansweep.models.layers import init_weights


@dataclass(frozen=True)
class DataShape:
    """What the networks need to know about the data."""
    channels: int
    image_size: int
    num_classes: int
    num_aux_classes: int = 0
    vector_dim: int = 0  # > 0: the data are points in R^vector_dim, not images (the depth study)


def data_shape(dataset) -> DataShape:
    """The shape of an ImageDataset, or of a PointDataset (no channels, size or classes)."""
    if dataset.is_points:
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


def initialised(nets: GANNetworks, scheme: str) -> GANNetworks:
    for net in nets.named().values():
        init_weights(net, scheme)
    return nets
