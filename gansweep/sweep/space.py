"""A spec's search space as Optuna distributions, and the Optuna sampler it names.

Parameter names are the dotted config keys ("loss.sharing_lambda"), so a trial's params
apply to its config as they are and read the same in the Optuna study and the Parquet tables.
"""

from __future__ import annotations

import optuna
from optuna.distributions import (BaseDistribution, CategoricalDistribution,
                                  FloatDistribution, IntDistribution)

from gansweep.sweep.spec import Param, SweepSpec


def distribution(q: Param) -> BaseDistribution:
    if q.kind == "loguniform":
        return FloatDistribution(float(q.values[0]), float(q.values[1]), log=True)
    if q.kind == "uniform":
        return FloatDistribution(float(q.values[0]), float(q.values[1]))
    if q.kind == "int":
        return IntDistribution(int(q.values[0]), int(q.values[1]))
    return CategoricalDistribution(list(q.values))  # choice, grid


def optuna_space(spec: SweepSpec) -> dict[str, BaseDistribution]:
    return {q.key: distribution(q) for q in spec.search}


def make_sampler(spec: SweepSpec) -> optuna.samplers.BaseSampler:
    """The spec's searcher, seeded. CMA-ES and GP sample the numeric parameters jointly and
    fall back to independent random sampling for categorical ones (Optuna's behaviour)."""
    seed = spec.seed
    if spec.searcher == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if spec.searcher == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.searcher == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)
    if spec.searcher == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if spec.searcher == "grid":
        return TunedGridSampler({q.key: list(q.values) for q in spec.search}, seed=seed)
    raise ValueError(f"searcher: unknown {spec.searcher!r}")


class TunedGridSampler(optuna.samplers.GridSampler):
    """Optuna's grid, without its end-of-grid `study.stop()`.

    GridSampler.after_trial stops the study once every grid point is told, but study.stop()
    raises outside study.optimize, and here the study is driven by ask/tell from Tune: the
    last point's tell raised inside Tune's stop_trial, so Optuna never recorded its value and
    Tune retried a finished trial. Tune ends the sweep itself (num_samples = the grid's size).
    """

    def after_trial(self, study, trial, state, values) -> None:
        pass
