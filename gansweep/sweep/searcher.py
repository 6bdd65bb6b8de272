"""The sweep's Ray Tune searcher: Optuna proposes configurations, each runs `replicates` times.

Ray's own Repeater averages whatever comes back; here a configuration is one Optuna trial
told once, when all its replicates are done, and a configuration any of whose replicates
diverged or errored is told FAILED: a NaN-free average over the survivors would reward
instability. Optuna's study lives inside this object and is pickled with it into the
experiment directory (Tuner.restore), so a resumed sweep keeps its history: configurations
already proposed are neither lost nor proposed again.
"""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, field

import optuna
from ray.tune.search import Searcher

from gansweep.sweep.space import make_sampler, optuna_space
from gansweep.sweep.spec import SweepSpec

OBJECTIVE = "objective"  # the key every report carries: the value Optuna and ASHA see


@dataclass
class Group:
    """One Optuna trial: a configuration and the results of its replicates."""
    number: int
    params: dict
    results: dict = field(default_factory=dict)  # replicate -> objective, or None if failed


class ReplicatedOptunaSearch(Searcher):
    def __init__(self, spec: SweepSpec, study_name: str = "gansweep"):
        super().__init__(metric=OBJECTIVE, mode=spec.mode)
        self.replicates = spec.replicates
        self.space = optuna_space(spec)
        direction = "minimize" if spec.mode == "min" else "maximize"
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.study = optuna.create_study(sampler=make_sampler(spec), direction=direction,
                                         study_name=study_name)
        self.groups: dict[int, Group] = {}
        self.asked: dict[int, optuna.trial.Trial] = {}
        self.trials: dict[str, tuple[int, int]] = {}  # Tune trial id -> (group, replicate)
        self.queue: list[tuple[int, int]] = []         # replicates waiting for a Tune trial

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

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        if trial_id not in self.trials:
            return
        number, replicate = self.trials[trial_id]
        group = self.groups[number]
        value = None if error or not result else result.get(OBJECTIVE)
        if result and result.get("diverged"):
            value = None
        group.results[replicate] = value if value is not None and math.isfinite(value) else None
        if len(group.results) == self.replicates and number in self.asked:
            self._tell(group)

    def _tell(self, group: Group) -> None:
        trial = self.asked.pop(group.number)
        values = list(group.results.values())
        if any(v is None for v in values):
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            self.study.tell(trial, sum(values) / len(values))

    # --- persistence (Tuner.restore) ---------------------------------------------------------

    def save(self, checkpoint_path: str):
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))
