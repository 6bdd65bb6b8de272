"""What the run loop needs from anything it trains: the Task protocol, and GenerativeTask
for the tasks that sample.

    Task            gansweep.trainer.Trainer (the GAN phases), gansweep.classifier_trainer.
                    ClassifierTrainer (chapter 2), gansweep.ppgn.trainer.PPGNTrainer (the PPGN-h report)
    GenerativeTask  Trainer and PPGNTrainer: they draw images (or points) from latents

The loop (gansweep.run) owns logging, evaluation cadence, checkpoints and stopping; a task
owns one training step, its scalars and its state. Which task trains a config is the model
family's (gansweep.models.families). Callers that need samples (`gansweep eval`, `augment`,
the report's figures) ask `isinstance(task, GenerativeTask)`: the protocol is the declared
capability, never a probe for one attribute. Nothing here knows about Ray.

The pieces every task shares live once, beside what they belong to: freezing a critic for
the generator's step (gansweep.models.layers.frozen), evaluating without moving training's
RNG streams (gansweep.checkpoint.preserved_rng), state dicts of named networks and
optimizers (gansweep.checkpoint.modules_state), [-1, 1] -> uint8 (gansweep.data.to_uint8).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from gansweep.classifier_trainer import ClassifierTrainer
from gansweep.config import Config
from gansweep.errors import InputError
from gansweep.models.families import family
from gansweep.ppgn.trainer import PPGNTrainer
from gansweep.trainer import Trainer


@runtime_checkable
class Task(Protocol):
    cfg: Config
    device: torch.device
    iteration: int  # completed steps

    def step(self) -> None:
        """One iteration (a generator iteration with its n_D critic steps, or one batch)."""

    def scalars(self) -> dict[str, float]:
        """The last step's scalars as floats: the one host sync, called every log_every."""

    def evaluate(self) -> dict[str, float]:
        """Evaluation metrics (called every eval.every iterations); moves no global RNG."""

    def provenance(self) -> dict:
        """Metric name -> how it was computed (gansweep.metrics.provenance); {} when the
        metrics need no judge or sample set (the classifier's validation accuracy)."""

    def state_dict(self) -> dict:
        """Networks, optimizers, schedulers, iteration, data position (not global RNGs)."""

    def load_state_dict(self, state: dict) -> None: ...


@runtime_checkable
class GenerativeTask(Task, Protocol):
    """A task with a generator: samples of class y from latents z of the config's prior
    (model.z_dim, model.z_dist; gansweep.latent.sample_latents)."""

    dataset: object  # the training split: ImageDataset or PointDataset (`.is_points`)
    num_classes: int  # 0 for points
    conditional: bool  # whether sample() uses y

    def sample(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Images in [-1, 1] (or points) for latents z and, when conditional, classes y."""

    def make_evaluator(self, cfg: Config | None = None, **kwargs):
        """The evaluator of this task's samples under `cfg` (default the run's); kwargs
        z_seed, samples, inception_weights as gansweep.metrics.evaluator.Evaluator takes."""


# model family's task (gansweep.models.families.Family.task) -> the class that trains it
TASKS: dict[str, type] = {"gan": Trainer, "classifier": ClassifierTrainer, "ppgn": PPGNTrainer}


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
    return TASKS[family(cfg.model.arch).task](cfg, device)
