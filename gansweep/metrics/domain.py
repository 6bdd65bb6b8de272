"""Domain classifiers: feature extractors trained in-project where Inception does not fit.

Inception sees an 8x8 digit or a 28x28 MNIST digit upsampled to 299x299, far from ImageNet;
the depth study (4.5.3, Appendix B) therefore scores MNIST with an MNIST classifier, and the MNIST DCGAN report
judges conditioning by a LeNet's "Inception accuracy". These are those networks:

    digits    8x8x1, 10 classes: conv3x3 32, conv3x3 64, maxpool 2, fc 128, dropout 0.5, fc 10
    mnist     28x28x1: the depth study Table B.1 exactly: conv5x5 32 (pad 2), maxpool 2, conv5x5 64
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
import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn

from gansweep import fit
from gansweep.metrics import cache, judges
from gansweep.metrics.base import METRICS_VERSION, FeatureExtractor


@dataclass(frozen=True)
class Recipe:
    """How a judge is trained. The defaults are the plain recipe (Adam at a constant rate,
    no augmentation); the shipped digits judges (metrics/judges.py) use the robust one:
    AdamW under a one-cycle schedule, label smoothing, random affine augmentation at the
    network's input size, and an exponential average of the weights as the judge."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float = 0.0
    seed: int = 0
    augment: float = 0.0           # random affine strength: 1 = +-15 deg, +-10 % scale, +-1/8 shift
    label_smoothing: float = 0.0
    one_cycle: bool = False        # AdamW, lr rising to `lr` and annealing to ~0 (else Adam, constant)
    ema: Optional[float] = None    # decay of the weight average that becomes the judge


class DigitsNet(nn.Module):
    feature_dim = 128

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 4 * 4, self.feature_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.5), nn.Linear(self.feature_dim, num_classes))


class MnistNet(nn.Module):
    """The depth study, Appendix B, Table B.1."""

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


# The digits judges' recipe (this net and the MNIST DCGAN report's LeNet on digits). The plain one (Adam,
# 15 epochs) reached 0.89-0.96 on the held-out writers depending on the CPU's SIMD kernels
# and the seed; this one 0.973-0.990 over seeds 0-4 (`python -m gansweep.metrics.judges
# --seeds 0 1 2 3 4`). Both judges are shipped trained (metrics/judges.py), never retrained.
DIGITS_RECIPE = Recipe(epochs=60, batch_size=64, lr=3e-3, weight_decay=1e-4, augment=1.0,
                       label_smoothing=0.1, one_cycle=True, ema=0.99)

DOMAINS: dict[str, DomainSpec] = {
    "digits": DomainSpec("digits", "digits-cnn-v1", DigitsNet, 8, 1, 10, DIGITS_RECIPE, True),
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


def random_affine(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Each image of x (in [-1, 1]) rotated, scaled and shifted at random, the border filled
    with background (-1). Digit writers differ exactly so: slant, size, position."""
    n = len(x)

    def uniform(*shape):
        return (torch.rand(*shape, generator=generator) * 2 - 1) * strength

    angle, scale = uniform(n) * math.pi / 12, 1 + uniform(n) * 0.1
    shift = uniform(n, 2) / 4  # affine_grid's coordinates span 2: 1/4 of them is 1/8 of the image
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x + 1, grid, align_corners=False, padding_mode="zeros") - 1


def train_classifier(spec: DomainSpec, images: torch.Tensor, labels: torch.Tensor) -> nn.Module:
    """The recipe's training on (N, C, H, W) uint8 images: same inputs -> same weights (on
    one kind of CPU: the SIMD kernels change the rounding, hence the shipped judges)."""
    r = spec.recipe
    x = _normalize(images.cpu(), spec.image_size)
    with fit.deterministic(r.seed):
        net = spec.build(spec.num_classes)
        if r.one_cycle:
            opt = torch.optim.AdamW(net.parameters(), lr=r.lr, weight_decay=r.weight_decay)
            steps = r.epochs * math.ceil(len(x) / r.batch_size)
            schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=r.lr, total_steps=steps)
        else:
            opt = torch.optim.Adam(net.parameters(), lr=r.lr, weight_decay=r.weight_decay)
            schedule = None
        average = None if r.ema is None else torch.optim.swa_utils.AveragedModel(
            net, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(r.ema))
        jitter = torch.Generator().manual_seed(r.seed + 1)  # its own stream: the order's stays as before

        def after_step():
            if schedule is not None:
                schedule.step()
            if average is not None:
                average.update_parameters(net)

        net.train()
        fit.fit(lambda b: net.head(net.body(b)), opt, [(x, labels.cpu().long(), r.epochs)],
                r.batch_size, torch.Generator().manual_seed(r.seed),
                prepare=(lambda b: random_affine(b, r.augment, jitter)) if r.augment else (lambda b: b),
                label_smoothing=r.label_smoothing, after_step=after_step)
        if average is not None:
            net.load_state_dict(average.module.state_dict())
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
    """The dataset's classifier: the shipped one (metrics/judges.py) where one ships for
    this data, else from the cache, trained (once per cache directory) if absent.

    `data` = (train images, train labels, test images, test labels); default: the dataset's
    own splits through gansweep.data.load_dataset at the native size. `spec`: another
    classifier for the dataset than DOMAINS[dataset] (the MNIST DCGAN report's LeNet, metrics/lenet.py).
    `cache_directory`: a local path or a URI (s3://, gs://): a sweep's experiment cache,
    shared by every trial on every node.
    """
    if spec is None and dataset not in DOMAINS:
        raise KeyError(f"no domain classifier for dataset {dataset!r}; known: {', '.join(DOMAINS)}")
    spec = spec or DOMAINS[dataset]
    xtr, ytr, xte, yte = data if data is not None else training_data(dataset, root)
    train_sha, test_sha = cache.data_sha256(xtr, ytr), cache.data_sha256(xte, yte)
    shipped = judges.load_shipped(spec, train_sha, test_sha)
    if shipped is not None:
        state, test_accuracy = shipped
    else:
        key = {"kind": "domain-classifier", "arch": spec.arch, "recipe": asdict(spec.recipe),
               "num_classes": spec.num_classes, "image_size": spec.image_size,
               "train_sha256": train_sha, "test_sha256": test_sha, "version": METRICS_VERSION}

        def compute() -> dict:
            net = train_classifier(spec, xtr, ytr)
            return {"state_dict": net.state_dict(), "test_accuracy": accuracy(net, spec, xte, yte)}

        entry = cache.cached_object(cache_directory, f"{spec.arch}-{dataset}", key, compute)
        state, test_accuracy = entry["state_dict"], entry["test_accuracy"]
    with torch.random.fork_rng(devices=[]):  # building draws default inits: keep the caller's RNG
        net = spec.build(spec.num_classes)
    net.load_state_dict(state)
    return DomainExtractor(spec, net, float(test_accuracy), device)
