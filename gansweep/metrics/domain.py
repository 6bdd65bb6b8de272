"""Domain classifiers: feature extractors trained in-project where Inception does not fit.

Inception sees an 8x8 digit or a 28x28 MNIST digit upsampled to 299x299, far from ImageNet;
seed 001 (4.5.3, Appendix B) therefore scores MNIST with an MNIST classifier, and seed 002
judges conditioning by a LeNet's "Inception accuracy". These are those networks:

    digits    8x8x1, 10 classes: conv3x3 32, conv3x3 64, maxpool 2, fc 128, dropout 0.5, fc 10
    mnist     28x28x1: seed 001 Table B.1 exactly: conv5x5 32 (pad 2), maxpool 2, conv5x5 64
              (pad 2), maxpool 2, fc 1024, dropout 0.5, fc 10 (ReLU after every conv and fc)
    cifar10/  32x32x3: conv3x3 32-32, pool, 64-64, pool, 128, pool (batch norm, ReLU),
    cifar100  fc 256, dropout 0.5, fc K; the Inception-free classifier behind cond_acc

Features for Fréchet distances are the last hidden layer (128 / 1024 / 256-d, after ReLU);
class probabilities are the softmax of the logits. Metrics from them carry the dataset's
name (`fid_digits`, `is_mnist`, ...) so they are never mistaken for Inception's `fid`/`is`.

Training is deterministic: fixed seed, fixed batch order from a dedicated generator, on the
CPU with one thread (so the core count of the machine does not change the rounding) and
torch.use_deterministic_algorithms; two trainings give bitwise identical weights (more threads
would change the rounding of the batch reductions; single-threaded, one CPU costs about
3 s for digits, 3 min for MNIST, 20 min for CIFAR, once per cache directory). The result
is cached (gansweep.metrics.cache) under a key of architecture, recipe and data hash, so all
trials sharing a cache directory use one file. Inputs at another size than the classifier's
native one are resized (bilinear, antialiased) before it sees them.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gansweep import fit
from gansweep.metrics import cache
from gansweep.metrics.base import METRICS_VERSION, FeatureExtractor


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    seed: int = 0


class DigitsNet(nn.Module):
    feature_dim = 128

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 4 * 4, self.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(self.feature_dim, num_classes))


class MnistNet(nn.Module):
    """Seed 001, Appendix B, Table B.1."""

    feature_dim = 1024

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, self.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(self.feature_dim, num_classes))


class CifarNet(nn.Module):
    feature_dim = 256

    def __init__(self, num_classes: int = 10):
        super().__init__()

        def conv(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.body = nn.Sequential(
            *conv(3, 32), *conv(32, 32), nn.MaxPool2d(2), *conv(32, 64), *conv(64, 64),
            nn.MaxPool2d(2), *conv(64, 128), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(128 * 4 * 4, self.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(self.feature_dim, num_classes))


@dataclass(frozen=True)
class DomainSpec:
    dataset: str
    arch: str                  # names the architecture in cache keys and provenance
    build: Callable[[int], nn.Module]
    image_size: int
    channels: int
    num_classes: int
    recipe: Recipe
    reports_fid_is: bool       # fid_<dataset>/is_<dataset> among the default metrics
    suffix: str | None = None  # metric-name suffix; None = "_<dataset>" (the LeNet: "_lenet")


DOMAINS: dict[str, DomainSpec] = {
    "digits": DomainSpec("digits", "digits-cnn-v1", DigitsNet, 8, 1, 10,
                         Recipe(epochs=15, batch_size=64, lr=2e-3), True),
    "mnist": DomainSpec("mnist", "mnist-tableB1-v1", MnistNet, 28, 1, 10,
                        Recipe(epochs=2, batch_size=128, lr=1e-3), True),
    "cifar10": DomainSpec("cifar10", "cifar-cnn-v1", CifarNet, 32, 3, 10,
                          Recipe(epochs=8, batch_size=128, lr=1e-3, weight_decay=5e-4), False),
    "cifar100": DomainSpec("cifar100", "cifar-cnn-v1", CifarNet, 32, 3, 100,
                           Recipe(epochs=8, batch_size=128, lr=1e-3, weight_decay=5e-4), False),
}


def _normalize(images_uint8: torch.Tensor, size: int) -> torch.Tensor:
    x = images_uint8.float() / 127.5 - 1.0
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return x


def train_classifier(spec: DomainSpec, images: torch.Tensor, labels: torch.Tensor) -> nn.Module:
    """The recipe's training on (N, C, H, W) uint8 images: same inputs -> same weights."""
    r = spec.recipe
    x = _normalize(images.cpu(), spec.image_size)
    with fit.deterministic(r.seed):
        net = spec.build(spec.num_classes)
        opt = torch.optim.Adam(net.parameters(), lr=r.lr, weight_decay=r.weight_decay)
        net.train()
        fit.fit(lambda b: net.head(net.body(b)), opt, [(x, labels.cpu().long(), r.epochs)],
                r.batch_size, torch.Generator().manual_seed(r.seed))
    return net.eval()


def accuracy(net: nn.Module, spec: DomainSpec, images: torch.Tensor, labels: torch.Tensor) -> float:
    net.eval()
    return fit.accuracy(lambda b: net.head(net.body(b)), images.cpu(), labels.cpu(),
                        prepare=lambda b: _normalize(b, spec.image_size))


def state_sha256(state: dict) -> str:
    """Content hash of a state dict (torch.save's zip bytes are not a stable identity)."""
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].detach().cpu().contiguous()
        h.update(f"{k}{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def training_data(dataset: str, root: str | None = None):
    """(train images, train labels, test images, test labels) at the native size, all of them."""
    from gansweep.config import DataConfig
    from gansweep.data import load_dataset

    cfg = DataConfig(name=dataset, root=root)
    train, test = load_dataset(cfg, "train"), load_dataset(cfg, "test")
    return train.images, train.labels, test.images, test.labels


class DomainExtractor(FeatureExtractor):
    """uint8 images -> (last hidden layer, class logits) of a trained domain classifier."""

    def __init__(self, spec: DomainSpec, net: nn.Module, test_accuracy: float | None = None,
                 device: torch.device | str = "cpu"):
        super().__init__()
        self.spec, self.net = spec, net.eval().requires_grad_(False)
        self.name = spec.arch
        self.suffix = spec.suffix or f"_{spec.dataset}"
        self.feature_dim, self.num_classes = net.feature_dim, spec.num_classes
        self.weights_sha256 = state_sha256(net.state_dict())
        self.test_accuracy = test_accuracy
        self.to(device)

    def forward(self, images_uint8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.net.body(_normalize(images_uint8, self.spec.image_size))
        return h, self.net.head(h)


def load_domain_extractor(dataset: str, cache_directory, device: torch.device | str = "cpu",
                          data=None, root: str | None = None,
                          spec: DomainSpec | None = None) -> DomainExtractor:
    """The dataset's classifier from the cache, trained (once) if absent.

    `data` = (train images, train labels, test images, test labels); default: the dataset's
    own splits through gansweep.data.load_dataset at the native size. `spec`: another
    classifier for the dataset than DOMAINS[dataset] (seed 002's LeNet, metrics/lenet.py).
    """
    if spec is None and dataset not in DOMAINS:
        raise KeyError(f"no domain classifier for dataset {dataset!r}; known: {', '.join(DOMAINS)}")
    spec = spec or DOMAINS[dataset]
    xtr, ytr, xte, yte = data if data is not None else training_data(dataset, root)
    key = {"kind": "domain-classifier", "arch": spec.arch, "recipe": asdict(spec.recipe),
           "num_classes": spec.num_classes, "image_size": spec.image_size,
           "train_sha256": cache.data_sha256(xtr, ytr), "test_sha256": cache.data_sha256(xte, yte),
           "version": METRICS_VERSION}

    def compute() -> dict:
        net = train_classifier(spec, xtr, ytr)
        return {"state_dict": net.state_dict(), "test_accuracy": accuracy(net, spec, xte, yte)}

    entry = cache.cached_object(cache_directory, f"{spec.arch}-{dataset}", key, compute)
    net = spec.build(spec.num_classes)
    net.load_state_dict(entry["state_dict"])
    return DomainExtractor(spec, net, float(entry["test_accuracy"]), device)
