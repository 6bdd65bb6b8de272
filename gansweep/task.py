"""What the run loop needs from anything it trains: the GAN trainer and the ch.-2 classifier.

The loop (gansweep.run) owns logging, evaluation cadence, checkpoints and stopping; a task
owns one training step, its scalars and its state. Nothing here knows about Ray.
"""

from __future__ import annotations

from typing import Protocol

import torch

from gansweep.config import Config
from gansweep.errors import InputError


class Task(Protocol):
    cfg: Config
    iteration: int  # completed steps

    def step(self) -> None:
        """One iteration (a generator iteration with its n_D critic steps, or one batch)."""

    def scalars(self) -> dict[str, float]:
        """The last step's scalars as floats: the one host sync, called every log_every."""

    def evaluate(self) -> dict[str, float]:
        """Evaluation metrics (called every eval.every iterations)."""

    def state_dict(self) -> dict:
        """Networks, optimizers, schedulers, iteration, data position (not global RNGs)."""

    def load_state_dict(self, state: dict) -> None: ...


class DeviceUnavailable(InputError, RuntimeError):
    """The config or --device names a device this machine does not have."""


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable(f"train.device is {name!r} but no CUDA device is available")
    return device


def build_task(cfg: Config, device: torch.device | None = None) -> Task:
    device = device or resolve_device(cfg.train.device)
    if cfg.model.arch == "ppgn":
        from gansweep.ppgn.trainer import PPGNTrainer
        return PPGNTrainer(cfg, device)
    if cfg.model.arch == "mtl_classifier":
        from gansweep.classifier_trainer import ClassifierTrainer
        return ClassifierTrainer(cfg, device)
    from gansweep.trainer import Trainer
    return Trainer(cfg, device)
