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

import contextlib
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

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


@contextlib.contextmanager
def _deterministic(device: torch.device, seed: int):
    """Seeded, reproducible training; the caller's RNG streams and settings are restored."""
    # One CPU thread makes the CPU kernels' reductions run in a fixed order (so the weights do
    # not depend on the core count); on CUDA, cuDNN is told to pick deterministic kernels.
    # (Not torch.use_deterministic_algorithms: its first call costs seconds per process.)
    cuda = device.type == "cuda"
    threads, cudnn_det = torch.get_num_threads(), torch.backends.cudnn.deterministic
    with torch.random.fork_rng(devices=[device] if cuda else []):
        torch.manual_seed(seed)
        if cuda:
            torch.backends.cudnn.deterministic = True
        else:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            torch.backends.cudnn.deterministic = cudnn_det


def train_encoder(spec: EncoderSpec, images: torch.Tensor, labels: torch.Tensor,
                  device: torch.device) -> Encoder:
    """SGD on cross-entropy of fc2, batches in a fixed order: same inputs -> same weights."""
    x, y = images.to(device), labels.to(device)
    with _deterministic(device, ENCODER_SEED):
        net = spec.build().to(device).train()
        opt = torch.optim.SGD(net.parameters(), lr=spec.lr, momentum=spec.momentum)
        order = torch.Generator().manual_seed(ENCODER_SEED)
        for _ in range(spec.epochs):
            perm = torch.randperm(len(x), generator=order).to(device)
            for start in range(0, len(x), spec.batch_size):
                idx = perm[start:start + spec.batch_size]
                loss = F.cross_entropy(net(to_float(x[idx])), y[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    return net.eval()


@torch.no_grad()
def test_accuracy(net: Encoder, images: torch.Tensor, labels: torch.Tensor, device) -> float:
    correct = sum(int((net(to_float(images[i:i + 500].to(device))).argmax(1) == labels[i:i + 500].to(device)).sum())
                  for i in range(0, len(images), 500))
    return correct / max(len(images), 1)


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
