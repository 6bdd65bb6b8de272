"""Deterministic supervised training of the small in-project classifiers: the domain
feature nets (metrics/domain.py), the MNIST DCGAN report's LeNet grid (metrics/augmentation.py) and
PPGN-h's encoder (ppgn/encoder.py) all train here, so they share one notion of "same
inputs -> same weights" and leave the caller's RNG streams and torch settings as they were.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

Forward = Callable[[torch.Tensor], torch.Tensor]


@contextlib.contextmanager
def deterministic(seed: int, device: torch.device | str = "cpu"):
    """Seeded and reproducible: on the CPU one thread (the reductions then run in a fixed
    order, whatever the core count) and deterministic algorithms; on CUDA deterministic
    cuDNN kernels. The global RNG streams and every setting are restored afterwards."""
    device = torch.device(device)
    cuda = device.type == "cuda"
    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    cudnn_det = torch.backends.cudnn.deterministic
    with torch.random.fork_rng(devices=[device] if cuda else []):
        torch.manual_seed(seed)
        if cuda:
            torch.backends.cudnn.deterministic = True
        else:
            torch.set_num_threads(1)
            torch.use_deterministic_algorithms(True)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            torch.use_deterministic_algorithms(det)
            torch.backends.cudnn.deterministic = cudnn_det


def fit(forward: Forward, opt: torch.optim.Optimizer,
        phases: Iterable[tuple[torch.Tensor, torch.Tensor, int]], batch_size: int,
        order: torch.Generator, device: torch.device | str = "cpu",
        prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x,
        label_smoothing: float = 0.0, after_step: Callable[[], None] = lambda: None) -> None:
    """Cross-entropy minibatch training over (inputs, labels, epochs) phases in turn; each
    epoch's batch order is a permutation drawn from `order` (a phase without data is skipped
    and draws nothing). `prepare` maps a batch of stored inputs to what `forward` takes (and
    may augment it); `after_step` runs after every optimizer step (schedules, averaging)."""
    for x, y, epochs in phases:
        for _ in range(epochs if len(x) else 0):
            perm = torch.randperm(len(x), generator=order).to(device)
            for start in range(0, len(x), batch_size):
                idx = perm[start:start + batch_size]
                loss = F.cross_entropy(forward(prepare(x[idx])), y[idx],
                                       label_smoothing=label_smoothing)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                after_step()


@torch.no_grad()
def accuracy(forward: Forward, x: torch.Tensor, y: torch.Tensor, batch: int = 500,
             device: torch.device | str = "cpu",
             prepare: Callable[[torch.Tensor], torch.Tensor] = lambda x: x) -> float:
    """Fraction of `x` whose argmax class is `y`, in batches (inputs moved to `device`)."""
    correct = sum(int((forward(prepare(x[i:i + batch].to(device))).argmax(1) == y[i:i + batch].to(device)).sum())
                  for i in range(0, len(x), batch))
    return correct / max(len(x), 1)
