"""A sweep spec: what to train, what to search, how to run it. Parsed once, checked fully.

    name: mtl_lambda                 # experiment directory: STORAGE/NAME
    model: SC-WGAN.b                 # a preset (gansweep presets)
    data: {name: cifar100}           # merged into the config's data section
    config: {train.batch_size: 64}   # any fixed config values (dotted or nested)
    search:                          # config key (or `model`, a preset) -> one distribution
      loss.sharing_lambda: {loguniform: [0.001, 10]}
      model.shared_layers: {int: [1, 3]}
      optim.lr_d:          {loguniform: [3.0e-5, 3.0e-4]}
      train.batch_size:    {choice: [32, 64]}
    searcher: tpe                    # tpe | random | cmaes | gp | grid
    seed: 0                          # the searcher's seed
    num_samples: 16                  # sampled configurations ...
    replicates: 2                    # ... each trained with seeds train.seed + 0..replicates-1
    iterations: 100000               # budget per trial (default: the config's train.iterations)
    epochs: 40                       # ... or in passes over the training set (not both)
    eval_every: 5000                 # (default: the config's eval.every)
    metric: fid                      # what Optuna and the scheduler optimise
    mode: min
    optimize: best                   # best (best so far) | last (the last evaluation)
    scheduler: {kind: asha, grace_period: 20000, reduction_factor: 3}   # optional; with
                                     # replicates a configuration is halved as a whole, on
                                     # the mean of its seeds at each rung; a seed there
                                     # first waits (paused) for the others, at most
                                     # rung_timeout_s (default 3600) seconds
    resources: {cpu: 2, gpu: 0.25}   # per trial; fractional GPUs share a device
    max_concurrent_trials: 8         # 0 = as the resources allow; with a scheduler at least
                                     # replicates (a seed paused at a rung keeps its place)
    max_failures: 3                  # retries of a crashed trial, from its last checkpoint
    keep_checkpoints: 2              # the newest 2 checkpoints; each also holds the best
                                     # evaluation's (what `gansweep eval` scores)
    storage: runs                    # a directory or a pyarrow URI (s3://bucket/path, gs://...)
    loggers: [wandb, mlflow]         # optional: also log to W&B / MLflow (gansweep.sweep.loggers)

`grid` values enumerate with `searcher: grid` (num_samples = the grid's size) and are an error
with a sampling searcher, which would silently treat them as `choice`.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gansweep.config import (POINT_DATASETS, Config, ConfigError, deep_merge, nest, override,
                             resolve)
from gansweep.config.constraints import MAX_ITERATIONS, MAX_SEED
from gansweep.errors import ProblemsError
from gansweep.metrics import registry
from gansweep.sweep.loggers import parse_loggers
from gansweep.sweep.storage import name_problem

SEARCHERS = ("tpe", "random", "cmaes", "gp", "grid")
DISTRIBUTIONS = ("loguniform", "uniform", "int", "choice", "grid")
TOP_KEYS = {"name", "model", "data", "config", "search", "searcher", "seed", "num_samples",
            "replicates", "iterations", "epochs", "eval_every", "metric", "mode", "optimize", "scheduler",
            "resources", "max_concurrent_trials", "max_failures", "keep_checkpoints", "storage", "loggers"}


# Upper bounds of a spec's counts: far past any real sweep, short of a typo's 1e26.
MAX_TRIALS = 100_000
MAX_VALUES = 1_000       # options of one searched parameter
MAX_FAILURES = 1_000
MAX_CPUS, MAX_GPUS = 1_024, 64
MAX_RUNG_TIMEOUT_S = 7 * 24 * 3600  # a week: past any sibling's reasonable delay


class SpecError(ProblemsError):
    def __init__(self, source: str, problems: list[str]):
        super().__init__(problems, f"{source}: invalid sweep spec")


@dataclass(frozen=True)
class Param:
    key: str      # dotted config path
    kind: str     # one of DISTRIBUTIONS
    values: tuple  # (low, high) for ranges, the options for choice/grid


@dataclass(frozen=True)
class Scheduler:
    kind: str = "asha"
    grace_period: int = 1    # iterations a trial runs before it can be stopped
    reduction_factor: float = 3.0
    rung_timeout_s: float = 3600.0  # a replicate's longest wait at a rung for its siblings


@dataclass(frozen=True)
class SweepSpec:
    name: str
    model: str                       # the preset of every trial (unless `model` is searched)
    layers: dict                     # the spec's fixed config values, nested, presets not applied
    search: tuple[Param, ...]
    searcher: str = "tpe"
    seed: int = 0
    num_samples: int = 1
    replicates: int = 1
    iterations: int = 1000
    eval_every: int = 100
    metric: str = "fid"
    mode: str = "min"
    optimize: str = "best"
    scheduler: Scheduler | None = None
    cpu: float = 1.0
    gpu: float = 0.0
    max_concurrent_trials: int = 0   # 0 = as many as the resources allow
    max_failures: int = 2
    keep_checkpoints: int = 2
    storage: str = "runs"
    raw: dict = field(default_factory=dict, compare=False)  # the spec as written
    loggers: tuple[str, ...] = ()    # wandb, mlflow: Ray's logger callbacks (extras)
    smoke_test: bool = False
    warnings: tuple[str, ...] = field(default=(), compare=False)  # config keys set but unused

    @property
    def trials(self) -> int:
        return self.num_samples * self.replicates

    def config(self, params: dict | None = None, replicate: int = 0) -> Config:
        return trial_config(self.model, self.layers, params or {}, replicate)

    def trial_space(self) -> dict:
        """What every Ray trial gets besides its params: enough to build its config."""
        return {"sweep": {"model": self.model, "layers": self.layers, "metric": self.metric,
                          "mode": self.mode, "optimize": self.optimize}}


    def to_dict(self) -> dict:
        """What the experiment directory keeps: the spec as written plus what was resolved."""
        return {"spec": self.raw, "resolved": {
            "name": self.name, "searcher": self.searcher, "seed": self.seed,
            "num_samples": self.num_samples, "replicates": self.replicates,
            "iterations": self.iterations, "eval_every": self.eval_every, "metric": self.metric,
            "mode": self.mode, "optimize": self.optimize, "smoke_test": self.smoke_test,
            "scheduler": None if self.scheduler is None else vars(self.scheduler),
            "resources": {"cpu": self.cpu, "gpu": self.gpu},
            "search": [{"key": p.key, "kind": p.kind, "values": list(p.values)} for p in self.search],
            "model": self.model, "config": self.layers}}


def trial_config(model: str, layers: dict, params: dict, replicate: int) -> Config:
    """A trial's config: the preset (`model`, unless searched), the spec's fixed values, the
    sampled params, and the replicate's seed (train.seed + replicate)."""
    params = dict(params)
    preset = params.pop("model", model)
    cfg = resolve(deep_merge(layers, {"model": {"preset": preset}}))
    if params:
        cfg = override(cfg, params)
    return override(cfg, {"train.seed": cfg.train.seed + replicate})


def load_spec(path: str | Path) -> SweepSpec:
    from gansweep.strict_yaml import YamlError, load_bytes

    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), ["no such file"])
    try:
        raw = load_bytes(path.read_bytes())
    except YamlError as err:
        raise SpecError(str(path), err.problems) from None
    return parse_spec(raw, source=str(path), default_name=path.stem)


def parse_spec(raw: Any, source: str = "<spec>", default_name: str = "sweep",
               check_inert: bool = True) -> SweepSpec:
    """Every problem at once, each named by its key path; nothing here starts Ray.

    A valid spec is then run at smoke size (gansweep.sweep.inert, a few seconds): a searched
    key that cannot change the training of its model(s) is a problem, a `config:` key set
    to a value that changes nothing a warning (SweepSpec.warnings)."""
    if not isinstance(raw, dict):
        raise SpecError(source, ["<root>: expected a mapping"])
    p: list[str] = [f"{k}: unknown key; known: {', '.join(sorted(TOP_KEYS))}"
                    for k in raw if k not in TOP_KEYS]
    get = _Reader(raw, p)
    name = get.str("name", default_name)
    if name_problem(name):  # STORAGE/NAME: one safe path component, never a way out of STORAGE
        p.append(f"name: {name_problem(name)}" if "name" in raw else
                 f"name: the file name gives {name_problem(name)}; set `name:` in the spec")
    searcher = get.choice("searcher", SEARCHERS, "tpe")
    seed = get.int("seed", 0, lo=0, hi=MAX_SEED)
    replicates = get.int("replicates", 1, lo=1, hi=1_000)
    mode = get.choice("mode", ("min", "max"), "min")
    optimize = get.choice("optimize", ("best", "last"), "best")
    max_concurrent = get.int("max_concurrent_trials", 0, lo=0, hi=MAX_TRIALS)
    max_failures = get.int("max_failures", 2, lo=-1, hi=MAX_FAILURES)
    keep = get.int("keep_checkpoints", 2, lo=1, hi=1_000)
    storage = get.str("storage", "runs")
    loggers = parse_loggers(raw.get("loggers"), p)
    cpu, gpu = _resources(raw.get("resources", {}), p)
    # The budget defaults to the config's (the preset's train.iterations and eval.every).
    budget = {k: get.int(k, 1, lo=1, hi=MAX_ITERATIONS) for k in ("iterations", "eval_every")
              if k in raw}
    if "epochs" in raw:
        budget["epochs"] = get.positive("epochs")
        if "iterations" in raw:
            p.append("epochs: give the budget as iterations or epochs, not both")
    layers = _layers(raw, budget, keep, p)
    base = _resolve(raw.get("model"), layers, "config", p) if layers is not None else None
    iterations = base["train"]["iterations"] if base else 1
    eval_every = base["eval"]["every"] if base else 1
    if base and not 1 <= eval_every <= iterations:
        p.append(f"eval_every: a sweep evaluates; must be in [1, iterations = {iterations}], "
                 f"got {eval_every}")
    params = _search(raw.get("search", {}), raw.get("model"), layers if base else None, p)
    metric = get.str("metric", "val_acc" if _is_classifier(base) else "fid")
    if base is not None:
        _check_metric(metric, mode, base, p)
        _check_conditioning(metric, params, raw.get("model"), layers, p)
    scheduler = _scheduler(raw.get("scheduler"), iterations, eval_every, p)
    if scheduler and replicates > 1 and 0 < max_concurrent < replicates:
        # ReplicatedASHA pauses a replicate at a rung until its siblings arrive; Tune's
        # concurrency limit counts a paused trial as live, so a sibling that has not started
        # never gets a slot: every rung would wait rung_timeout_s (the driver spinning).
        p.append(f"max_concurrent_trials: {max_concurrent} is fewer than the {replicates} "
                 "replicates a rung waits for (a replicate paused at a rung keeps its slot); "
                 f"set it to at least {replicates}, or 0 for as many as the resources allow")
    per_epoch = {"train.batch_size", "train.n_critic", "data.fraction"} & {q.key for q in params}
    if scheduler and base and base["train"]["epochs"] is not None and per_epoch:
        p.append(f"scheduler: ASHA compares trials at equal iterations, but with an epoch budget "
                 f"the searched {', '.join(sorted(per_epoch))} gives each trial its own; give "
                 "the budget in iterations")

    grid_size = math.prod(len(q.values) for q in params) if params else 1
    if searcher == "grid":
        sampled = [q.key for q in params if q.kind not in ("grid", "choice")]
        if sampled:
            p.append(f"searcher: grid enumerates grid/choice values only; {', '.join(sampled)} "
                     "are sampled distributions")
    else:
        gridded = [q.key for q in params if q.kind == "grid"]
        if gridded:
            p.append(f"search: {', '.join(gridded)} use grid, which needs searcher: grid "
                     "(use choice to let the searcher pick)")
    num_samples = get.int("num_samples", grid_size if searcher == "grid" else 1, lo=1,
                          hi=MAX_TRIALS)
    if num_samples * replicates > MAX_TRIALS:
        p.append(f"num_samples: {num_samples} configs x {replicates} replicates is more than "
                 f"{MAX_TRIALS} trials")
    elif searcher == "grid" and num_samples != grid_size:
        p.append(f"num_samples: the grid has {grid_size} points, got {num_samples} "
                 "(leave it out to run the grid once)")
    warnings: list[str] = []
    if not p and check_inert:
        warnings = _inert(raw, layers, params, p)
    if p:
        raise SpecError(source, p)
    return SweepSpec(name=name, model=raw["model"], layers=layers, search=tuple(params), searcher=searcher, seed=seed,
                     num_samples=num_samples, replicates=replicates, iterations=iterations,
                     eval_every=eval_every, metric=metric, mode=mode, optimize=optimize,
                     scheduler=scheduler, cpu=cpu, gpu=gpu, max_concurrent_trials=max_concurrent,
                     max_failures=max_failures, keep_checkpoints=keep,
                     storage=storage, raw=copy.deepcopy(raw), warnings=tuple(warnings),
                     loggers=loggers)


# --- sections ------------------------------------------------------------------------------

class _Reader:
    """Typed reads of top-level keys that record problems instead of raising."""

    def __init__(self, raw: dict, problems: list[str]):
        self.raw, self.p = raw, problems

    def str(self, key, default):
        v = self.raw.get(key, default)
        if not isinstance(v, str) or not v:
            self.p.append(f"{key}: expected a non-empty string, got {_short(v)}")
            return default
        return v

    def int(self, key, default, lo, hi):
        v = self.raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            self.p.append(f"{key}: expected an integer, got {_short(v)}")
            return default
        if not lo <= v <= hi:
            self.p.append(f"{key}: must be in [{lo}, {hi}], got {v}")
            return default
        return v

    def positive(self, key):
        v = self.raw.get(key)
        if not _finite(v) or v <= 0:
            self.p.append(f"{key}: expected a finite number > 0, got {_short(v)}")
            return 1
        return v

    def choice(self, key, options, default):
        v = self.raw.get(key, default)
        if not isinstance(v, str) or v not in options:
            self.p.append(f"{key}: must be one of {', '.join(options)}, got {v!r}")
            return default
        return v


def _resources(raw: Any, p: list[str]) -> tuple[float, float]:
    if not isinstance(raw, dict):
        p.append(f"resources: expected a mapping like {{cpu: 1, gpu: 0.5}}, got {raw!r}")
        return 1.0, 0.0
    for k in raw:
        if k not in ("cpu", "gpu"):
            p.append(f"resources.{k}: unknown key; known: cpu, gpu")
    cpu, gpu = raw.get("cpu", 1), raw.get("gpu", 0)
    for key, v, hi in (("cpu", cpu, MAX_CPUS), ("gpu", gpu, MAX_GPUS)):
        if not _finite(v) or not 0 <= v <= hi or (key == "cpu" and v == 0):
            p.append(f"resources.{key}: expected a number in {'(0' if key == 'cpu' else '[0'}, "
                     f"{hi}], got {_short(v)}")
            return 1.0, 0.0
    if gpu > 1 and gpu != int(gpu):
        p.append(f"resources.gpu: more than one GPU must be a whole number, got {gpu}")
    return float(cpu), float(gpu)


def _is_classifier(base: dict | None) -> bool:
    return base is not None and base["model"]["arch"] == "mtl_classifier"


def _layers(raw: dict, budget: dict, keep: int, p: list[str]) -> dict | None:
    """The spec's fixed values as one nested config dict (the preset is applied per trial)."""
    data, fixed = raw.get("data", {}), raw.get("config", {})
    for key, v in (("data", data), ("config", fixed)):
        if not isinstance(v, dict):
            p.append(f"{key}: expected a mapping, got {_short(v)}")
            return None
    try:
        layers = deep_merge(nest(fixed), {"data": nest(data)} if data else {})
    except ConfigError as err:
        p.extend(f"config.{q}" for q in err.problems)
        return None
    sections = [k for k, v in layers.items() if not isinstance(v, dict)]
    if sections:  # the merge below would replace such a value without a word
        p.extend(f"config.{k}: expected a mapping of {k}'s keys, got {_short(layers[k])}"
                 for k in sections)
        return None
    if "preset" in layers.get("model", {}):
        p.append("config.model.preset: name the preset in the top-level `model` key")
        return None
    train = {"keep_checkpoints": keep}
    for key in ("iterations", "epochs"):
        if key in budget:
            train[key] = budget[key]
    layers = deep_merge(layers, {"train": train})
    if "eval_every" in budget:
        layers = deep_merge(layers, {"eval": {"every": budget["eval_every"]}})
    return layers


def _resolve(preset: Any, layers: dict, where: str, p: list[str], params: dict | None = None) -> dict | None:
    """The resolved config for `preset` (+ params) as a dict, or None with the problems noted."""
    if not isinstance(preset, str):
        p.append(f"model: expected a preset name (see `gansweep presets`), got {preset!r}")
        return None
    try:
        cfg = resolve(deep_merge(layers, {"model": {"preset": preset}}))
        return (override(cfg, params) if params else cfg).to_dict()
    except ConfigError as err:
        p.extend(f"{where}: {q}" for q in err.problems)
        return None


def _search(raw: Any, preset: Any, layers: dict | None, p: list[str]) -> list[Param]:
    if not isinstance(raw, dict):
        p.append(f"search: expected a mapping of config keys to distributions, got {raw!r}")
        return []
    params = []
    for key, dist in raw.items():
        where = f"search.{key}"
        if not isinstance(dist, dict) or len(dist) != 1:
            p.append(f"{where}: expected one of {{{', '.join(DISTRIBUTIONS)}: ...}}, got {dist!r}")
            continue
        (kind, values), = dist.items()
        if kind not in DISTRIBUTIONS:
            p.append(f"{where}: unknown distribution {kind!r}; known: {', '.join(DISTRIBUTIONS)}")
            continue
        problem = _check_values(kind, values)
        if key == "model" and not problem and kind not in ("choice", "grid"):
            problem = "a preset is chosen with choice or grid"
        if problem:
            p.append(f"{where}.{kind}: {problem}")
            continue
        params.append(Param(key, kind, tuple(values)))
    if layers is None:
        return params
    # Every bound and option must make a valid config, with every preset the sweep may use.
    from gansweep.config.presets import PRESETS
    presets = [v for v in next((q.values for q in params if q.key == "model"), (preset,))
               if isinstance(v, str) and v in PRESETS]  # an unknown preset is reported once, by its own entry
    for q in params:
        for v in q.values:
            for name in ([v] if q.key == "model" else presets):
                n = len(p)
                _resolve(name, layers, f"search.{q.key}.{q.kind}: value {v!r} gives", p,
                         None if q.key == "model" else {q.key: v})
                if len(p) > n:
                    break
    return params


def _inert(raw: dict, layers: dict, params: list[Param], p: list[str]) -> list[str]:
    """Searched keys that act in none of the sweep's models are problems (appended to p);
    returns the warnings for `config:` keys set but unused. Loads torch: only here."""
    from gansweep.config.presets import PRESETS
    from gansweep.sweep import inert

    presets = list(next((q.values for q in params if q.key == "model"), (raw["model"],)))
    smoke = [(q.key, _smoke_param(q).values) for q in params]
    p.extend(inert.inert_search(presets, layers, smoke))
    fixed = _dotted(nest(raw.get("config", {})))

    def preset_value(preset, key):
        node = resolve({"model": {"preset": preset}}).to_dict() if preset in PRESETS else {}
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    return inert.unused_config(presets, layers, fixed, preset_value)


def _dotted(nested: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in nested.items():
        key = f"{prefix}{k}"
        out.update(_dotted(v, key + ".") if isinstance(v, dict) else {key: v})
    return out


def _check_values(kind: str, values: Any) -> str | None:
    if not isinstance(values, (list, tuple)) or not values:
        return f"expected a list, got {_short(values)}"
    if len(values) > MAX_VALUES:
        return f"{len(values)} values; at most {MAX_VALUES}"
    if kind in ("choice", "grid"):
        return None if len(set(map(repr, values))) == len(values) else "values repeat"
    if len(values) != 2:
        return f"expected [low, high], got {values!r}"
    lo, hi = values
    number = int if kind == "int" else (int, float)
    if any(isinstance(v, bool) or not isinstance(v, number) for v in values):
        return f"expected {'integers' if kind == 'int' else 'numbers'}, got {_short(values)}"
    if not all(_finite(v) for v in values):
        return f"expected finite numbers, got {_short(values)}"
    if not lo < hi:
        return f"low must be < high, got {values!r}"
    if kind == "loguniform" and lo <= 0:
        return f"low must be > 0 on a log scale, got {lo}"
    return None


def _check_metric(metric: str, mode: str, base: dict, p: list[str]) -> None:
    task = {"mtl_classifier": "classifier", "ppgn": "ppgn"}.get(base["model"]["arch"], "gan")
    known = registry.reported(base["data"]["name"], task)
    if metric not in known:
        p.append(f"metric: {metric!r} is not measured for this model and dataset; "
                 f"known: {', '.join(known)}")
        return
    better = registry.direction(metric)
    if better and better != mode:
        p.append(f"mode: {metric} is {'lower' if better == 'min' else 'higher'}-is-better; "
                 f"mode {mode} would search for the worst configurations")


def _check_conditioning(metric: str, params: list[Param], preset: Any, layers: dict,
                        p: list[str]) -> None:
    """Metrics that score samples against the class asked for (cond_acc, intra_fid_D, ...)
    need a class-conditional generator in every model the sweep trains; otherwise that
    model's trials would fail at their first evaluation, after training up to it."""
    presets = next((q.values for q in params if q.key == "model"), (preset,))
    for name in presets:
        cfg = _resolve(name, layers, "", [])  # a preset that does not resolve is reported elsewhere
        if cfg is None or cfg["model"]["arch"] in ("ppgn", "mtl_classifier") or cfg["model"]["g_cond"] != "none":
            continue
        wanted = dict.fromkeys([*cfg["eval"]["metrics"], metric])
        labelled = [m for m in wanted if "labels" in getattr(registry.lookup(m), "needs", ())]
        if labelled:
            where = "metric" if labelled == [metric] else "config.eval.metrics"
            p.append(f"{where}: {', '.join(labelled)} need a class-conditional generator, and "
                     f"{name} has none (model.g_cond: none); leave eval.metrics empty to score "
                     "each model with the metrics that apply to it")


def _scheduler(raw: Any, iterations: int, eval_every: int, p: list[str]) -> Scheduler | None:
    if raw is None or raw == "none":
        return None
    if raw == "asha":
        raw = {"kind": "asha"}
    if not isinstance(raw, dict) or raw.get("kind") != "asha":
        p.append(f"scheduler: expected {{kind: asha, grace_period: N, reduction_factor: F}} or none, got {raw!r}")
        return None
    known = ("grace_period", "kind", "reduction_factor", "rung_timeout_s")
    p.extend(f"scheduler.{k}: unknown key; known: {', '.join(known)}"
             for k in sorted(set(raw) - set(known)))
    grace = raw.get("grace_period", eval_every)
    factor = raw.get("reduction_factor", 3)
    if isinstance(grace, bool) or not isinstance(grace, int) or not eval_every <= grace <= iterations:
        p.append(f"scheduler.grace_period: iterations between eval_every ({eval_every}) and "
                 f"iterations ({iterations}), got {grace!r}")
    if not _finite(factor) or not 1 < factor <= 1000:
        p.append(f"scheduler.reduction_factor: must be in (1, 1000], got {_short(factor)}")
        factor = 3
    timeout = raw.get("rung_timeout_s", Scheduler.rung_timeout_s)
    if not _finite(timeout) or not 0 < timeout <= MAX_RUNG_TIMEOUT_S:
        p.append(f"scheduler.rung_timeout_s: seconds in (0, {MAX_RUNG_TIMEOUT_S}], got {_short(timeout)}")
        timeout = Scheduler.rung_timeout_s
    return Scheduler("asha", grace, float(factor), float(timeout))


def _finite(v) -> bool:
    """A real number (not a bool) that is neither NaN nor infinite nor past float's range."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- smoke test ------------------------------------------------------------------------------

def smoke_test(spec: SweepSpec, iterations: int = 4) -> SweepSpec:
    """The same sweep at toy scale: tiny networks on the embedded digits, a few iterations,
    CPU only, two trials (two sampled configs, or one config twice when the spec has
    replicates; a grid keeps its first two points). Inception metrics become their
    digits-classifier counterparts, so no weights file is needed."""
    from gansweep.models.families import smoke_config  # each family's toy size

    eval_every = max(1, iterations // 2)
    layers = deep_merge(spec.layers, nest(smoke_config()))
    data = layers.setdefault("data", {})
    # The depth study's R^2 points are generated and tiny already: a smoke test keeps them.
    if data.get("name", "digits") not in ("digits", *POINT_DATASETS):
        data.update(name="digits", root=None, image_size=None)
        if data.get("aux") == "cifar10":  # a second dataset; digits has coarse groups instead
            data["aux"] = "coarse"
    layers["train"].pop("epochs", None)
    layers["train"].update(iterations=iterations)
    layers["eval"].update(every=eval_every, metrics=[], inception_weights=None)
    metric = {"fid": "fid_digits", "is": "is_digits"}.get(spec.metric, spec.metric)
    for name in ("cifar100", "cifar10", "mnist"):
        metric = metric.replace(name, "digits")
    search, grid = _smoke_search(spec)
    replicates = 1 if grid else min(spec.replicates, 2)
    num_samples = grid or (1 if replicates > 1 else min(spec.num_samples, 2))
    scheduler = spec.scheduler and replace(spec.scheduler, grace_period=eval_every)
    return replace(spec, layers=layers, search=search, num_samples=num_samples,
                   replicates=replicates, iterations=iterations, eval_every=eval_every,
                   metric=metric, scheduler=scheduler, cpu=1.0, gpu=0.0,
                   max_concurrent_trials=0, smoke_test=True)


def _smoke_search(spec: SweepSpec) -> tuple[tuple[Param, ...], int | None]:
    """A grid keeps the first two points of its first parameter and the first of the rest."""
    search = tuple(_smoke_param(q) for q in spec.search)
    if spec.searcher != "grid" or not search:
        return search, None
    search = (replace(search[0], values=search[0].values[:2]),
              *(replace(q, values=q.values[:1]) for q in search[1:]))
    return search, len(search[0].values)


def _smoke_param(q: Param) -> Param:
    """Batch sizes shrink to what a toy run uses and dataset choices to digits; every other
    range stays as written (each value was checked against the full config)."""
    if q.key == "train.batch_size":
        if q.kind == "int":
            return replace(q, values=(4, 16))
        if q.kind in ("choice", "grid"):
            return replace(q, values=tuple(dict.fromkeys(min(v, 16) for v in q.values)))
    if q.key == "data.aux":  # CIFAR-10 as a second dataset becomes digits' coarse groups
        return replace(q, values=tuple(dict.fromkeys("coarse" if v == "cifar10" else v
                                                     for v in q.values)))
    return q


def default_storage(spec: SweepSpec, override: str | None = None) -> str:
    storage = override or os.environ.get("GANSWEEP_STORAGE") or spec.storage
    return storage if "://" in storage else str(Path(storage).expanduser().resolve())
