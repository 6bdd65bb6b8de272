"""From user input to a checked Config: strict YAML, the preset's values under the user's
keys, the budget and learning-rate rules, the field checks (config/schema.py) and the
cross-field checks (config/checks.py), all problems at once.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from gansweep.config.checks import cross_checks
from gansweep.config.constraints import MAX_ITERATIONS
from gansweep.config.datasets import train_size
from gansweep.config.presets import PRESETS, preset_values
from gansweep.config.schema import Config, ConfigError, _build, deep_merge, nest
from gansweep.strict_yaml import YamlError, load_bytes

PER_NETWORK_LR = ("lr_g", "lr_d", "lr_c")  # optim.lr, when given, sets all three


def load_yaml(path: str | Path) -> Config:
    """A config file: strict YAML (gansweep.strict_yaml), then `resolve`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError([f"{path}: no such file"])
    try:
        raw = load_bytes(path.read_bytes())
    except YamlError as err:
        raise ConfigError([f"{path}: {p}" for p in err.problems]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{path}: expected a mapping at the top level, got {type(raw).__name__}"])
    return resolve(raw)


def resolve(raw: dict) -> Config:
    """Preset values, then the user's overrides, then checks; all problems at once."""
    return from_dict(raw, apply_preset=True)


def from_dict(raw: dict, apply_preset: bool = True) -> Config:
    if not isinstance(raw, dict):
        raise ConfigError([f"<root>: expected a mapping, got {type(raw).__name__}"])
    raw = nest(raw)
    problems: list[str] = []
    model = raw.get("model", {})
    if isinstance(model, str):
        model = {"preset": model}
        raw = {**raw, "model": model}
    if apply_preset:  # user input; a resolved dict carries epochs and the iterations derived
        raw = _budget_rule(raw, problems)
        raw = _lr_rule(raw, problems)
    if apply_preset and isinstance(model, dict):
        name = model.get("preset", "WGAN")
        if not isinstance(name, str):
            pass  # _build reports the type
        elif name in PRESETS:
            raw = deep_merge(preset_values(name), raw)
        else:
            problems.append(f"model.preset: unknown preset {name!r}; known: {', '.join(PRESETS)}")
    cfg = _build(Config, raw, "", problems)
    if not problems:
        problems += cross_checks(cfg)
    if problems:
        raise ConfigError(problems)
    if cfg.train.epochs is not None:
        iterations = max(1, math.ceil(cfg.train.epochs * steps_per_epoch(cfg) - 1e-9))
        if iterations > MAX_ITERATIONS:
            raise ConfigError([f"train.epochs: {cfg.train.epochs:g} epochs are {iterations} "
                               f"iterations; at most {MAX_ITERATIONS}"])
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, iterations=iterations))
    if cfg.optim.lr is not None:
        shared = {k: cfg.optim.lr for k in PER_NETWORK_LR}
        cfg = dataclasses.replace(cfg, optim=dataclasses.replace(cfg.optim, **shared))
    return cfg


def _lr_rule(raw: dict, problems: list[str]) -> dict:
    """optim.lr or per-network learning rates, as the budget rule: the user's per-network
    keys clear a preset's shared lr; the user giving both is an error."""
    optim = raw.get("optim")
    given = [k for k in PER_NETWORK_LR if isinstance(optim, dict) and k in optim]
    if not given:
        return raw
    if optim.get("lr") is not None:
        problems.append(f"optim.lr: give one learning rate (optim.lr) or per-network ones "
                        f"({', '.join(given)}), not both")
        return raw
    return {**raw, "optim": {**optim, "lr": None}}


def _budget_rule(raw: dict, problems: list[str]) -> dict:
    """A budget is given in iterations or in epochs. The keys given here win over a preset's
    (and over the derived value a resolved config carries): train.iterations alone clears a
    preset's epochs; both at once is an error."""
    train = raw.get("train")
    if not isinstance(train, dict) or "iterations" not in train:
        return raw
    if train.get("epochs") is not None:
        problems.append("train.epochs: give the budget as train.epochs or train.iterations, "
                        "not both")
        return raw
    return {**raw, "train": {**train, "epochs": None}}


def steps_per_epoch(cfg: Config) -> float:
    """Iterations that make one pass over the training set.

    A GAN iteration feeds the critic n_critic real batches (the generator's step draws only
    labels), so an epoch is N / (batch_size * n_critic) iterations: the count of the
    documents' loops, which run D over the data loader and G every n_critic batches (seed
    004's 1:1 DCGAN and 5:1 WGANs). A chapter-2 classifier step is one batch of one task,
    and its epoch passes once through each task's data (section 2.0.1: "each epoch took
    twice as long to run as an epoch for an equivalent STL model"): ceil(N_task / batch)
    steps per task, exactly classifier_trainer.TaskOrder's epoch, so an MTL epoch is twice
    an STL one. N is the official training split's size times data.fraction
    (config/datasets.py), so a config resolves without reading the data, and a fraction run
    counts epochs of its own data. A critic schedule with extra early critic steps is not
    counted: its first iterations consume more than one epoch's share.
    """
    n = train_size(cfg.data)
    t = cfg.train
    if cfg.model.arch == "mtl_classifier":
        sizes = [n]
        if cfg.data.aux != "none":  # an auxiliary task trains (shared or not): classifier_trainer.load_tasks
            aux = dataclasses.replace(cfg.data, name="cifar10") if cfg.data.aux == "cifar10" else cfg.data
            sizes.append(train_size(aux))
        return sum(math.ceil(size / t.batch_size) for size in sizes)
    return n / (t.batch_size * t.n_critic)


def override(cfg: Config, overrides: dict) -> Config:
    """A new config with dotted or nested overrides applied (checked like any config)."""
    base = cfg.to_dict()
    over = nest(overrides)
    if "iterations" in over.get("train", {}):  # the derived value must not clash
        base["train"]["epochs"] = None
    if set(PER_NETWORK_LR) & set(over.get("optim", {})) and "lr" not in over["optim"]:
        base["optim"]["lr"] = None  # a per-network lr given now ends the shared one
    return from_dict(deep_merge(base, over), apply_preset=False)
