"""Divergence teaches the searcher: TPE avoids a region whose configurations diverge.

A synthetic sweep over a learning rate: above THRESHOLD every configuration diverges (the
trainable's `diverged: True` report, objective +inf); below it the objective is a bowl with
its minimum at 3e-4, just under the edge, as learning-rate sweeps tend to be. The real
searcher is driven through Tune's Searcher API, once telling divergence the way it does
(infeasible, worst value) and once the way it used to (FAIL). With FAIL, TPE never sees the
diverged trials, and its model, built from COMPLETE trials near the edge alone, keeps
proposing the region above it: nearly every suggestion of the second half lands there.
"""

import math
import statistics

import optuna
import pytest
from optuna.trial import TrialState

from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
from gansweep.sweep.spec import parse_spec

THRESHOLD = 1e-3  # a third of the log-range [1e-5, 1e-2] diverges
TRIALS = 60       # TPE's first 10 are random; the last 30 are counted
SEEDS = range(5)


class FailOnDivergence(ReplicatedOptunaSearch):
    """The searcher as it was: a diverged configuration told FAIL."""

    def _tell_diverged(self, trial, fraction):
        self.study.tell(trial, state=TrialState.FAIL)


def searcher(cls, seed, kind="tpe", trials=TRIALS):
    return cls(parse_spec({
        "model": "WGAN", "data": {"name": "digits"}, "iterations": 10, "eval_every": 5,
        "metric": "fid_digits", "searcher": kind, "seed": seed, "num_samples": trials,
        "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]},
                   "loss.eta": {"uniform": [0.0, 30.0]}}}))


def sweep(s, trials=TRIALS) -> list[float]:
    """The learning rates suggested, in order."""
    lrs = []
    for i in range(trials):
        params = s.suggest(f"t{i}")["params"]
        lr = params["optim.lr_d"]
        lrs.append(lr)
        if lr > THRESHOLD:  # what trainables.gan reports when the losses go non-finite
            s.on_trial_result(f"t{i}", {OBJECTIVE: 3.0, "iteration": 5})
            s.on_trial_complete(f"t{i}", {OBJECTIVE: math.inf, "diverged": True, "iteration": 7})
        else:
            value = (math.log10(lr) + 3.5) ** 2 + ((params["loss.eta"] - 10) / 10) ** 2
            s.on_trial_complete(f"t{i}", {OBJECTIVE: value, "iteration": 10})
    return lrs


def late_fraction_diverging(lrs: list[float]) -> float:
    late = lrs[len(lrs) // 2:]
    return sum(lr > THRESHOLD for lr in late) / len(late)


def test_tpe_learns_to_avoid_a_diverging_region_that_fail_hides_from_it():
    new = [late_fraction_diverging(sweep(searcher(ReplicatedOptunaSearch, s))) for s in SEEDS]
    old = [late_fraction_diverging(sweep(searcher(FailOnDivergence, s))) for s in SEEDS]
    print(f"fraction of the last {TRIALS // 2} suggestions above {THRESHOLD:g}, per seed: "
          f"infeasible {new}, FAIL {old}")
    assert all(n <= o / 2 for n, o in zip(new, old)), (new, old)
    assert statistics.mean(new) < 0.3 < 0.8 < statistics.mean(old), (new, old)


@pytest.mark.parametrize("kind", ["tpe", "gp", "cmaes", "random"])
def test_every_sampler_takes_diverged_configurations_and_finds_a_feasible_best(kind):
    s = searcher(ReplicatedOptunaSearch, 0, kind, trials=14)
    lrs = sweep(s, trials=14)
    study = s.study
    assert len(study.trials) == 14 and all(t.state == TrialState.COMPLETE for t in study.trials)
    infeasible = [t for t in study.trials if t.constraints["diverged"] > 0]
    assert len(infeasible) == sum(lr > THRESHOLD for lr in lrs)
    assert all(t.value == math.inf and t.intermediate_values == {5: 3.0} for t in infeasible)
    assert study.best_trial.params["optim.lr_d"] <= THRESHOLD
    assert isinstance(study.best_trial, optuna.trial.FrozenTrial)
