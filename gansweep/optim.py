"""Optimizers and learning-rate schedules from `OptimConfig`.

The schedule is a pure function of the iteration, applied before every step: nothing to
checkpoint beyond the iteration itself, and resuming cannot drift.
"""

from __future__ import annotations

import math
from typing import Iterable

import torch

from gansweep.config import OptimConfig


def kernel_flags(cfg: OptimConfig, device: torch.device | str = "cpu") -> dict:
    """torch's `fused` / `foreach` keyword arguments for `optim.fused` on `device`.

    auto = fused on CUDA (one kernel for all parameters instead of a few per parameter),
    foreach elsewhere: on CPU torch's foreach Adam/SGD/RMSprop give bit-identical results to
    the per-parameter loop (checked in tests/test_fast_paths.py), so CPU runs do not change.
    RMSprop has no fused kernel in torch and falls back to foreach under auto.
    """
    mode = cfg.fused
    if mode == "auto":
        mode = "fused" if torch.device(device).type == "cuda" and cfg.name != "rmsprop" else "foreach"
    if mode == "fused":
        return {"fused": True}
    return {"foreach": mode == "foreach"}


def make_optimizer(params: Iterable[torch.nn.Parameter], lr: float, cfg: OptimConfig,
                   device: torch.device | str = "cpu") -> torch.optim.Optimizer:
    params = list(params)
    flags = kernel_flags(cfg, device)
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), weight_decay=cfg.weight_decay,
                                **flags)
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                                   **flags)
    return torch.optim.SGD(params, lr=lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, **flags)


def lr_factor(cfg: OptimConfig, iterations: int, iteration: int,
              per_epoch: float | None = None) -> float:
    """Multiplier of every base learning rate at `iteration` (0-based). `per_epoch` is
    gansweep.config.steps_per_epoch of the run, needed by optim.milestone_epochs."""
    if cfg.schedule == "linear":  # Appendix D: decayed linearly to 0 over 1e5 iterations
        horizon = cfg.decay_iterations or iterations
        return max(0.0, 1.0 - iteration / horizon)
    if cfg.schedule == "step":  # ch. 2: 0.01 -> 0.001 -> 0.0001 at epochs 66 and 133
        passed = sum(iteration >= m for m in milestone_iterations(cfg, iterations, per_epoch))
        return cfg.gamma ** passed
    return 1.0


def milestone_iterations(cfg: OptimConfig, iterations: int, per_epoch: float | None) -> list[float]:
    """Where the step schedule drops: epoch e starts at iteration ceil(e x per_epoch), the
    same rounding as an epoch budget (config.resolve); else fractions of `iterations`."""
    if not cfg.milestone_epochs:
        return [m * iterations for m in cfg.milestones]
    if per_epoch is None:
        raise ValueError("optim.milestone_epochs needs the run's steps per epoch")
    return [math.ceil(e * per_epoch - 1e-9) for e in cfg.milestone_epochs]


def set_lr(optimizer: torch.optim.Optimizer, base_lr: float, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = base_lr * factor
