"""Optimizers and learning-rate schedules from `OptimConfig`.

The schedule is a pure function of the iteration, applied before every step: nothing to
checkpoint beyond the iteration itself, and resuming cannot drift.
"""

from __future__ import annotations

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


def lr_factor(cfg: OptimConfig, iterations: int, iteration: int) -> float:
    """Multiplier of every base learning rate at `iteration` (0-based)."""
    if cfg.schedule == "linear":  # Appendix D: decayed linearly to 0 over 1e5 iterations
        horizon = cfg.decay_iterations or iterations
        return max(0.0, 1.0 - iteration / horizon)
    if cfg.schedule == "step":  # ch. 2: 0.01 -> 0.001 -> 0.0001 at 1/3 and 2/3 of training
        passed = sum(iteration >= m * iterations for m in cfg.milestones)
        return cfg.gamma ** passed
    return 1.0


def set_lr(optimizer: torch.optim.Optimizer, base_lr: float, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = base_lr * factor
