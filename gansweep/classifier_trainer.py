"""Training of the chapter-2 multitask classifier (the thesis, section 2.0.1): a Task.

One step is one SGD step on one batch of ONE task. Section 2.0.1: "the tasks train on batches
in random ordering till each dataset had been passed through exactly once. At this point the
data was shuffled, reset and a new epoch commenced." `TaskOrder` draws that interleaving per
epoch from (seed, epoch), so its state is two integers, like `BatchSampler`'s.

The optimizer is SGD at optim.lr_c with weight decay and the step schedule
0.01 -> 0.001 -> 0.0001 at optim.milestone_epochs (the thesis: "Training ran for 200 epochs.
[...] The learning rate started at 0.01 then was annealed to 0.001 and 0.0001 at epochs 66 and
133 respectively"), stepped once per iteration. An epoch passes once through each task's
data (config.steps_per_epoch), so STL, MTL and data-fraction runs each get 200 of their own. Nothing in `step()` waits on the device: scalars
stay device tensors until `scalars()`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gansweep.checkpoint import load_modules_state, modules_state, seed_everything
from gansweep.config import Config, steps_per_epoch
from gansweep.data import load_dataset, to_float
from gansweep.models.mtl_classifier import MTLClassifier
from gansweep.optim import lr_factor, make_optimizer
from gansweep.sampler import BatchSampler

TASK_NAMES = ("main", "aux")


@dataclass
class TaskData:
    """One task's images and labels on the device (uint8 images; converted per batch)."""

    images: torch.Tensor
    labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    num_classes: int


class TaskOrder:
    """Which task trains at each step: every epoch holds each task's batches for one pass
    through its dataset, in a random order drawn from (seed, epoch).

    A pass is ceil(n / batch) batches; the samplers run batches across their own epoch
    boundaries, so the last batch of a pass is topped up from the next shuffle (the thesis
    does not say how it treated the remainder).
    """

    def __init__(self, counts: list[int], seed: int):
        self.counts, self.seed = list(counts), seed
        self.epoch, self.pos = 0, 0
        self._order = self._draw()

    def _draw(self) -> list[int]:
        tasks = torch.repeat_interleave(torch.arange(len(self.counts)), torch.tensor(self.counts))
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return tasks[torch.randperm(len(tasks), generator=gen)].tolist()

    def next(self) -> int:
        task = self._order[self.pos]
        self.pos += 1
        if self.pos == len(self._order):
            self.epoch, self.pos = self.epoch + 1, 0
            self._order = self._draw()
        return task

    def state_dict(self) -> dict:
        return {"counts": self.counts, "seed": self.seed, "epoch": self.epoch, "pos": self.pos}

    def load_state_dict(self, state: dict) -> None:
        if list(state["counts"]) != self.counts:
            raise ValueError(f"checkpoint's task order has {state['counts']} batches per epoch, "
                             f"this run has {self.counts}")
        self.seed, self.epoch, self.pos = state["seed"], state["epoch"], state["pos"]
        self._order = self._draw()


def load_tasks(cfg: Config, device: torch.device) -> list[TaskData]:
    """[main] or [main, aux]. Validation data is the test split: the thesis's models
    "were all trained on 50,000 images from CIFAR-100", i.e. the whole train split, so the
    validation set it plots can only have been CIFAR-100's 10,000 held-out test images."""
    train, test = load_dataset(cfg.data, "train").to(device), load_dataset(cfg.data, "test").to(device)
    tasks = [TaskData(train.images, train.labels, test.images, test.labels, train.num_classes)]
    if cfg.data.aux == "coarse":
        if train.aux_labels is None or test.aux_labels is None:
            raise ValueError(f"data.aux: dataset {cfg.data.name!r} has no coarse labels")
        tasks.append(TaskData(train.images, train.aux_labels, test.images, test.aux_labels,
                              train.num_aux_classes))
    elif cfg.data.aux == "cifar10":  # section 2.0.2's AUX=10: a second dataset
        aux_cfg = dataclasses.replace(cfg.data, name="cifar10", aux="none")
        a_train, a_test = load_dataset(aux_cfg, "train").to(device), load_dataset(aux_cfg, "test").to(device)
        if (a_train.channels, a_train.image_size) != (train.channels, train.image_size):
            raise ValueError(f"data.aux: cifar10 images ({a_train.channels}x{a_train.image_size}) "
                             f"differ from {cfg.data.name}'s ({train.channels}x{train.image_size})")
        tasks.append(TaskData(a_train.images, a_train.labels, a_test.images, a_test.labels,
                              a_train.num_classes))
    return tasks


def build_scheduler(cfg: Config, opt: torch.optim.Optimizer):
    """A torch scheduler stepped once per iteration over gansweep.optim's schedule rule
    (one definition for every trainer): "step" multiplies lr_c by gamma at each of
    optim.milestone_epochs (0.01 -> 0.001 -> 0.0001 at epochs 66 and 133 with the preset),
    counted in this run's own epochs (config.steps_per_epoch)."""
    o, iterations, per_epoch = cfg.optim, cfg.train.iterations, steps_per_epoch(cfg)
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda i: lr_factor(o, iterations, i, per_epoch))


def check_sharing(cfg: Config) -> None:
    if cfg.data.aux == "none" and cfg.model.sharing != "none":
        raise ValueError(f"model.sharing: {cfg.model.sharing!r} needs an auxiliary task, but "
                         "data.aux is 'none' (use model.sharing: none for the STL baseline)")


class ClassifierTrainer:
    """Task protocol (gansweep.task) for the ch.-2 MTL / STL classifier."""

    def __init__(self, cfg: Config, device: torch.device):
        check_sharing(cfg)
        seed_everything(cfg.train.seed)  # weight init and dropout masks follow the seed
        self.cfg, self.device, self.iteration = cfg, torch.device(device), 0
        self.tasks = load_tasks(cfg, self.device)
        self.model = self._build_model().to(self.device)
        # SGD per the thesis (momentum 0 unless set). "Weight decay at 5e-5" is read as the TF
        # l2_loss convention (gradient wd * w), i.e. torch's weight_decay, on every parameter:
        # the thesis does not exempt biases or batch norm.
        self.opt = make_optimizer(self.model.parameters(), cfg.optim.lr_c, cfg.optim, self.device)
        self.sched = build_scheduler(cfg, self.opt)
        bs, seed = cfg.train.batch_size, cfg.train.seed
        # Distinct streams per task and for the order: seed*4 + k never collides across seeds.
        self.samplers = [BatchSampler(len(t.labels), seed * 4 + k, self.device)
                         for k, t in enumerate(self.tasks)]
        self.order = TaskOrder([math.ceil(len(t.labels) / bs) for t in self.tasks], seed * 4 + 3)
        self._last: dict[str, torch.Tensor] = {}

    def _build_model(self) -> MTLClassifier:
        m, main = self.cfg.model, self.tasks[0]
        _, channels, size, _ = main.images.shape
        aux = self.tasks[1].num_classes if len(self.tasks) > 1 else None
        return MTLClassifier(channels, size, main.num_classes, aux, m.classifier_widths,
                             m.classifier_dropout, m.sharing, m.shared_layers,
                             self.cfg.loss.sharing_lambda, m.init)

    def step(self) -> None:
        k = self.order.next()
        task, prefix = self.tasks[k], ("", "aux_")[k]
        idx = self.samplers[k].next(self.cfg.train.batch_size)
        x, y = to_float(task.images[idx]), task.labels[idx]
        logits = self.model(x, k)
        ce = F.cross_entropy(logits, y)
        penalty = self.model.sharing_penalty(k)
        loss = ce if penalty is None else ce + penalty
        self.opt.zero_grad(set_to_none=True)  # the other task's own layers get no update
        loss.backward()
        self.opt.step()
        self.sched.step()
        self.iteration += 1
        self._last[prefix + "train_loss"] = ce.detach()
        self._last[prefix + "train_acc"] = (logits.argmax(1) == y).float().mean().detach()
        if penalty is not None:
            self._last["sharing_penalty"] = penalty.detach()

    def _distance(self) -> dict[str, torch.Tensor]:
        if self.model.aux is None:
            return {}
        with torch.no_grad():
            return {"weight_distance": self.model.weight_distance()}

    def scalars(self) -> dict[str, float]:
        """Last main and aux step's loss/accuracy, λ-penalty, ‖W_main,b − W_aux,b‖, lr."""
        named = {**self._last, **self._distance()}
        values = torch.stack([v.float() for v in named.values()]).tolist() if named else []
        out = dict(zip(named, values))  # the one host sync
        out["lr"] = float(self.sched.get_last_lr()[0])
        return out

    @torch.no_grad()
    def _validate(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        task, bs = self.tasks[k], self.cfg.eval.batch_size
        loss = torch.zeros((), device=self.device)
        correct = torch.zeros((), device=self.device)
        for i in range(0, len(task.test_labels), bs):
            x, y = to_float(task.test_images[i:i + bs]), task.test_labels[i:i + bs]
            logits = self.model(x, k)
            loss += F.cross_entropy(logits, y, reduction="sum")
            correct += (logits.argmax(1) == y).sum()
        n = len(task.test_labels)
        return loss / n, correct / n

    def evaluate(self) -> dict[str, float]:
        """Validation (test-split) accuracy and cross-entropy of each task (Figures 2.2-2.6,
        Table 2.2) and the shared-weight distance (Figure 2.5); dropout off, BN running stats."""
        self.model.eval()
        try:
            named = {}
            for k in range(len(self.tasks)):
                prefix = ("", "aux_")[k]
                named[prefix + "val_loss"], named[prefix + "val_acc"] = self._validate(k)
            named.update(self._distance())
        finally:
            self.model.train()
        return dict(zip(named, torch.stack(list(named.values())).tolist()))

    def provenance(self) -> dict:
        """Validation loss and accuracy on the test split need no judge nor sample set."""
        return {}

    def _modules(self) -> dict:
        return {"model": self.model, "optimizer": self.opt, "scheduler": self.sched}

    def state_dict(self) -> dict:
        return {**modules_state(self._modules()), "iteration": self.iteration,
                "samplers": [s.state_dict() for s in self.samplers],
                "order": self.order.state_dict(),
                # Each task's latest step scalars, so the first log line after a resume
                # carries both tasks' values as an uninterrupted run's does.
                "last_scalars": dict(self._last)}

    def load_state_dict(self, state: dict) -> None:
        load_modules_state(self._modules(), state)
        self.iteration = state["iteration"]
        for sampler, s in zip(self.samplers, state["samplers"], strict=True):
            sampler.load_state_dict(s)
        self.order.load_state_dict(state["order"])
        self._last = {k: v.to(self.device) for k, v in state.get("last_scalars", {}).items()}
