"""E's pre-training: a classifier on the run's own training data, trained once and cached.

Section 4: E "is pre-trained for classification on MNIST using cross entropy loss and its
parameters are held fixed throughout every experiment"; it uses SGD (the pytorch/examples
MNIST recipe it was taken from: lr 0.01, momentum 0.5, batch 64). The document does not give
the epochs; we take ppgn.encoder_epochs = 2 (MNIST reaches ~98% test accuracy).

Our call: pre-training is NOT a phase of the task but a content-keyed cache entry
(gansweep.metrics.cache, like the domain classifiers of gansweep.metrics.domain). "Held fixed
throughout every experiment" means one E for every variant and replicate: its seed is fixed
(ENCODER_SEED), not train.seed, so a sweep's trials all decode the same codes and the first
trial trains it while the others wait on the cache lock. The key holds the architecture, the
recipe, the data hash and the device type; training is deterministic (seeded; one thread on
CPU, deterministic cuDNN on CUDA). The run's checkpoints also hold E's weights, so a
checkpoint never depends on the cache to be read back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from gansweep import fit
from gansweep.data import to_float
from gansweep.metrics import cache
from gansweep.ppgn.models import Encoder, geometry

ENCODER_SEED = 0
ENCODER_VERSION = "ppgn-encoder-v1"


@dataclass(frozen=True)
class EncoderSpec:
    channels: int
    image_size: int
    width: int
    h_dim: int
    num_classes: int
    epochs: int
    batch_size: int
    lr: float
    momentum: float

    def build(self) -> Encoder:
        return Encoder(self.channels, self.image_size, self.width, self.h_dim, self.num_classes)


def encoder_spec(cfg, channels: int, image_size: int, num_classes: int) -> EncoderSpec:
    g = cfg.ppgn
    return EncoderSpec(channels, image_size, g.encoder_width, cfg.model.z_dim, num_classes,
                       g.encoder_epochs, g.encoder_batch_size, g.encoder_lr, g.encoder_momentum)


def train_encoder(spec: EncoderSpec, images: torch.Tensor, labels: torch.Tensor,
                  device: torch.device) -> Encoder:
    """SGD on cross-entropy of fc2, batches in a fixed order: same inputs -> same weights."""
    x, y = images.to(device), labels.to(device)
    with fit.deterministic(ENCODER_SEED, device):
        net = spec.build().to(device).train()
        opt = torch.optim.SGD(net.parameters(), lr=spec.lr, momentum=spec.momentum)
        fit.fit(net, opt, [(x, y, spec.epochs)], spec.batch_size,
                torch.Generator().manual_seed(ENCODER_SEED), device, prepare=to_float)
    return net.eval()


def test_accuracy(net: Encoder, images: torch.Tensor, labels: torch.Tensor, device) -> float:
    return fit.accuracy(net, images, labels, device=device, prepare=to_float)


def load_encoder(cfg, train, test, device: torch.device) -> tuple[Encoder, float]:
    """(frozen E on `device`, its test accuracy or NaN) from the cache, trained once if absent.
    `train`/`test` are ImageDatasets (test may be None: no accuracy)."""
    spec = encoder_spec(cfg, train.channels, train.image_size, train.num_classes)
    geometry(spec.image_size)  # the clear error for an unsupported size, before any training
    key = {"kind": "ppgn-encoder", "spec": asdict(spec), "seed": ENCODER_SEED,
           "train_sha256": cache.data_sha256(train.images, train.labels),
           "test_sha256": None if test is None else cache.data_sha256(test.images, test.labels),
           "device": device.type, "version": ENCODER_VERSION}

    def compute() -> dict:
        net = train_encoder(spec, train.images, train.labels, device)
        acc = float("nan") if test is None else test_accuracy(net, test.images, test.labels, device)
        return {"state_dict": {k: v.cpu() for k, v in net.state_dict().items()}, "test_accuracy": acc}

    stem = f"ppgn-encoder-{train.name}-w{spec.width}-h{spec.h_dim}"
    entry = cache.cached_object(cache.cache_dir(cfg.eval.cache_dir), stem, key, compute)
    with torch.random.fork_rng(devices=[]):  # building draws default inits: keep the caller's RNG
        net = spec.build()
    net.load_state_dict(entry["state_dict"])
    return net.to(device).eval().requires_grad_(False), float(entry["test_accuracy"])
