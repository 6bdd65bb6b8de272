"""The sweep's Ray Tune searcher: Optuna proposes configurations, each runs `replicates` times.

Ray's own Repeater averages whatever comes back; here a configuration is one Optuna trial
told once, when all its replicates are done, and a configuration any of whose replicates
diverged or errored is told FAILED: a NaN-free average over the survivors would reward
instability. The value told is the mean over replicates at one budget, the last iteration
all of them reached, and each scheduler rung below it is an intermediate value
(`trial.report`); a configuration the scheduler stopped before the full budget is told
PRUNED (Optuna then takes its last rung value, and TPE ranks it below complete ones), never
COMPLETE beside configurations that ran the whole budget. Optuna's study lives inside this object and is pickled with it into the
experiment directory (Tuner.restore), so a resumed sweep keeps its history: configurations
already proposed are neither lost nor proposed again.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field

import optuna
from ray.tune.search import Searcher

from gansweep.sweep.scheduler import rung_milestones
from gansweep.sweep.space import make_sampler, optuna_space
from gansweep.sweep.spec import SweepSpec

OBJECTIVE = "objective"  # the key every report carries: the value Optuna and ASHA see


@dataclass
class Group:
    """One Optuna trial: a configuration and the results of its replicates."""
    number: int
    params: dict
    results: dict = field(default_factory=dict)  # replicate -> {iteration: objective}, or None if failed


class ReplicatedOptunaSearch(Searcher):
    def __init__(self, spec: SweepSpec, study_name: str = "gansweep"):
        super().__init__(metric=OBJECTIVE, mode=spec.mode)
        self.replicates, self.iterations = spec.replicates, spec.iterations
        self.rungs = [] if spec.scheduler is None else rung_milestones(
            spec.scheduler.grace_period, spec.iterations, spec.scheduler.reduction_factor)
        self.space = optuna_space(spec)
        direction = "minimize" if spec.mode == "min" else "maximize"
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(sampler=make_sampler(spec), direction=direction,
                                         study_name=study_name)
        self.groups: dict[int, Group] = {}
        self.asked: dict[int, optuna.trial.Trial] = {}
        self.trials: dict[str, tuple[int, int]] = {}  # Tune trial id -> (group, replicate)
        self.queue: list[tuple[int, int]] = []         # replicates waiting for a Tune trial
        self.curves: dict[str, dict[int, float]] = {}  # Tune trial id -> iteration -> objective

    # --- Searcher API ----------------------------------------------------------------------

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # the space, metric and mode come from the sweep spec

    def suggest(self, trial_id: str) -> dict | None:
        if not self.queue:
            trial = self.study.ask(self.space)
            group = Group(trial.number, dict(trial.params))
            self.groups[group.number], self.asked[group.number] = group, trial
            self.queue = [(group.number, r) for r in range(self.replicates)]
        number, replicate = self.queue.pop(0)
        self.trials[trial_id] = (number, replicate)
        return {"params": dict(self.groups[number].params), "replicate": replicate,
                "config_id": number}

    def on_trial_result(self, trial_id: str, result: dict):
        # Every report, kept: a trial the scheduler stops while paused ends without a result.
        self._note(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        if trial_id not in self.trials:
            return
        self._note(trial_id, result)
        number, replicate = self.trials[trial_id]
        group = self.groups[number]
        curve = self.curves.pop(trial_id, {})
        failed = error or bool(result and result.get("diverged")) or not curve or any(
            not math.isfinite(v) for v in curve.values())
        group.results[replicate] = None if failed else curve
        if len(group.results) == self.replicates and number in self.asked:
            self._tell(group)

    def _note(self, trial_id: str, result: dict | None) -> None:
        if trial_id in self.trials and result and "iteration" in result and OBJECTIVE in result:
            self.curves.setdefault(trial_id, {})[int(result["iteration"])] = float(result[OBJECTIVE])

    def _tell(self, group: Group) -> None:
        trial = self.asked.pop(group.number)
        curves = list(group.results.values())
        if any(c is None for c in curves):
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
            return
        budget = min(max(c) for c in curves)  # the budget every replicate reached
        steps = {min(i for i in curves[0] if i >= m) for m in self.rungs
                 if any(i >= m for i in curves[0])}
        for step in sorted(s for s in steps | {budget} if s <= budget):
            trial.report(sum(_at(c, step) for c in curves) / len(curves), step)
        if budget >= self.iterations:
            self.study.tell(trial, sum(_at(c, budget) for c in curves) / len(curves))
        else:  # stopped early: its value is the last intermediate one, at `budget`
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)

    # --- persistence (Tuner.restore) ---------------------------------------------------------

    def save(self, checkpoint_path: str):
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))


def _at(curve: dict[int, float], step: int) -> float:
    """The objective at `step`: the last report at or before it."""
    return curve[max(i for i in curve if i <= step)]
