"""The sweep's Ray Tune searcher: Optuna proposes configurations, each runs `replicates` times.

Ray's own Repeater averages whatever comes back; here a configuration is one Optuna trial
told once, when all its replicates are done. The value told is the mean over replicates at
one budget, the last iteration all of them reached; a configuration the scheduler stopped
before the full budget is told PRUNED (Optuna then takes its last intermediate value, and
TPE ranks it below complete ones), never COMPLETE beside configurations that ran the whole
budget. Every evaluation becomes an intermediate value (`trial.report(mean, iteration)`) as
soon as every replicate has passed it, so the study shows live learning curves.

How a configuration ends, for Optuna:

- **finished or stopped**: COMPLETE (its mean) or PRUNED, with the constraint `diverged` 0.
- **diverged** (a replicate's loss or objective went non-finite): COMPLETE, *infeasible*
  (`trial.set_constraint("diverged", fraction of its replicates that diverged)`), with the
  mode's worst value (+inf for min). Divergence is a property of the region of the search
  space (learning rates too high, too little penalty), so the samplers must learn from it.
  Told FAIL, as before, TPE ignored it (it models COMPLETE and PRUNED trials only) and kept
  proposing the diverging region; tests/sweep/test_divergence.py measures the difference.
  Infeasible rather than a finite penalty: TPE puts infeasible trials with the "bad" group
  whatever their value, GP models feasibility separately (a made-up penalty on an FID scale
  would bend its regression), `study.best_trial` skips infeasible trials, and the dashboard
  marks them. The infinite value makes samplers without constraint support (CMA-ES) rank
  it last as well, and says truthfully that the configuration has no score.
- **errored** (an exception, or no report at all): FAIL. It says nothing about the region.

The study lives in a JournalStorage file in the experiment directory (gansweep.sweep.study),
written at every report and tell. This object is pickled into Ray's experiment state
(Tuner.restore) without the open storage; restoring reattaches to the same file and study
and reconciles with it (`_reconcile`): a trial the journal has already finished is never
told again, and a configuration asked after Ray's last snapshot of this object is adopted,
not asked anew, so a resumed sweep neither loses nor duplicates a trial. Without an
experiment directory (unit tests) the study is in memory and pickled with this object.
"""

from __future__ import annotations

import contextlib
import math
import pickle
import warnings
from dataclasses import dataclass, field

import optuna
from optuna.trial import TrialState
from ray.tune.search import Searcher

from gansweep.location import Location
from gansweep.sweep.space import make_sampler, optuna_space
from gansweep.sweep.spec import SweepSpec
from gansweep.sweep.study import StudyFile

OBJECTIVE = "objective"  # the key every report carries: the value Optuna and ASHA see
DIVERGED = "diverged"    # the constraint: > 0 for a configuration with diverged replicates
OK, DIVERGED_END, ERRORED = "ok", "diverged", "errored"


@dataclass
class Group:
    """One Optuna trial: a configuration and the results of its replicates."""
    number: int
    params: dict
    trial_id: int = -1                              # Optuna's storage id of the trial
    results: dict = field(default_factory=dict)     # replicate -> {iteration: objective}
    ends: dict = field(default_factory=dict)        # replicate -> OK | DIVERGED_END | ERRORED
    reported: set = field(default_factory=set)      # steps told as intermediate values


class ReplicatedOptunaSearch(Searcher):
    def __init__(self, spec: SweepSpec, where: Location | None = None, study_name: str = "gansweep"):
        super().__init__(metric=OBJECTIVE, mode=spec.mode)
        self.replicates, self.iterations = spec.replicates, spec.iterations
        self.configs = spec.num_samples  # never more configurations than this (see suggest)
        self.space = optuna_space(spec)
        self.direction = "minimize" if spec.mode == "min" else "maximize"
        self.worst = math.inf if spec.mode == "min" else -math.inf
        self.sampler = make_sampler(spec)  # pickled with us: its RNG state survives a resume
        self.file = StudyFile(where) if where is not None else None
        self.study_name = self.file.name if self.file else study_name
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self._study: optuna.Study | None = None
        self.groups: dict[int, Group] = {}
        self.asked: set[int] = set()                   # groups not yet told
        self.trials: dict[str, tuple[int, int]] = {}  # Tune trial id -> (group, replicate)
        self.queue: list[tuple[int, int]] = []         # replicates waiting for a Tune trial
        self.curves: dict[str, dict[int, float]] = {}  # Tune trial id -> iteration -> objective
        # group -> its own budget, as its trials report it: an epoch budget (a chapter-2 STL
        # or data-fraction configuration) is shorter than spec.iterations and still complete
        self.budgets: dict[int, int] = {}

    @property
    def study(self) -> optuna.Study:
        """Opened on first use, so a pickled copy (Tune's tuner.pkl, a restore) reattaches."""
        if self._study is None:
            storage = self.file.storage() if self.file else None
            self._study = optuna.create_study(storage=storage, sampler=self.sampler,
                                              study_name=self.study_name,
                                              direction=self.direction, load_if_exists=True)
            if self.file:
                self._reconcile()
        return self._study

    # --- Searcher API ----------------------------------------------------------------------

    def set_search_properties(self, metric, mode, config, **spec) -> bool:
        return True  # the space, metric and mode come from the sweep spec

    def suggest(self, trial_id: str) -> dict | str | None:
        if not self.queue:
            if len(self.groups) >= getattr(self, "configs", math.inf):
                # Only after a resume: a configuration asked, run and told between Ray's
                # last snapshot and a killed driver is finished in the journal, but Ray
                # forgot its trials and asks for that many more. It counts (the study has
                # its value, and gansweep.sweep.ledger lists its trials from their files);
                # asking anew would run one configuration more than num_samples.
                return Searcher.FINISHED
            with _expected_warnings():
                trial = self.study.ask(self.space)
            self._adopt(Group(trial.number, dict(trial.params), trial._trial_id))
            self._sync()
        number, replicate = self.queue.pop(0)
        self.trials[trial_id] = (number, replicate)
        return {"params": dict(self.groups[number].params), "replicate": replicate,
                "config_id": number}

    def on_trial_result(self, trial_id: str, result: dict):
        # Every report, kept: a trial the scheduler stops while paused ends without a result.
        if self._note(trial_id, result):
            group = self.groups[self.trials[trial_id][0]]
            if group.number in self.asked and self._report(group):
                self._sync()

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False):
        if trial_id not in self.trials:
            return
        self._note(trial_id, result)
        number, replicate = self.trials[trial_id]
        group = self.groups[number]
        curve = self.curves.pop(trial_id, {})
        group.results[replicate] = curve
        group.ends[replicate] = (
            ERRORED if error or not curve else
            DIVERGED_END if (result and result.get("diverged"))
            or any(not math.isfinite(v) for v in curve.values()) else OK)
        if len(group.ends) == self.replicates and number in self.asked:
            self._tell(group)
            # the last configuration told: the stored journal is one whole file again
            self._sync(whole=not self.asked and len(self.groups) >= self.configs)

    # --- telling Optuna ----------------------------------------------------------------------

    def _note(self, trial_id: str, result: dict | None) -> bool:
        if trial_id in self.trials and result and "iteration" in result and OBJECTIVE in result:
            self.curves.setdefault(trial_id, {})[int(result["iteration"])] = float(result[OBJECTIVE])
            if isinstance(result.get("budget"), int):
                self.budgets[self.trials[trial_id][0]] = result["budget"]
            return True
        return False

    def _curves(self, group: Group) -> list[dict[int, float]] | None:
        """Each replicate's curve so far (ended or running), or None while one has none."""
        live = {rep: self.curves.get(tid, {}) for tid, (num, rep) in self.trials.items()
                if num == group.number and rep not in group.results}
        curves = [group.results.get(r, live.get(r)) for r in range(self.replicates)]
        return None if any(not c for c in curves) else curves

    def _report(self, group: Group, upto: float = math.inf) -> bool:
        """Intermediate values: the replicates' mean at every evaluation all of them have
        passed (and at most `upto`); a non-finite mean (a diverged replicate) is left out."""
        curves = self._curves(group)
        if curves is None:
            return False
        reach = min(upto, *(max(c) for c in curves))
        steps = sorted({i for c in curves for i in c if i <= reach} - group.reported)
        trial = optuna.trial.Trial(self.study, group.trial_id)
        for step in steps:
            mean = sum(_at(c, step) for c in curves) / len(curves)
            if math.isfinite(mean):
                trial.report(mean, step)
            group.reported.add(step)
        return bool(steps)

    def _tell(self, group: Group) -> None:
        self.asked.discard(group.number)
        trial = optuna.trial.Trial(self.study, group.trial_id)
        ends = [group.ends[r] for r in range(self.replicates)]
        if ERRORED in ends:
            self.study.tell(trial, state=TrialState.FAIL)
            return
        if DIVERGED_END in ends:
            self._report(group)
            self._tell_diverged(trial, ends.count(DIVERGED_END) / len(ends))
            return
        curves = [group.results[r] for r in range(self.replicates)]
        budget = min(max(c) for c in curves)  # the budget every replicate reached
        self._report(group, upto=budget)
        trial.set_constraint(DIVERGED, 0.0)  # feasible; every told trial carries the key (GP needs it)
        if budget >= self.budgets.get(group.number, self.iterations):
            self._told(trial, sum(_at(c, budget) for c in curves) / len(curves))
        else:  # stopped early: its value is the last intermediate one, at `budget`
            self._told(trial, state=TrialState.PRUNED)

    def _told(self, trial: optuna.trial.Trial, *args, **kwargs) -> None:
        with _expected_warnings():
            self.study.tell(trial, *args, **kwargs)

    def _tell_diverged(self, trial: optuna.trial.Trial, fraction: float) -> None:
        """Infeasible, worst value: see the module docstring for why not FAIL."""
        trial.set_constraint(DIVERGED, fraction)
        self._told(trial, self.worst)

    # --- persistence (Tuner.restore) ---------------------------------------------------------

    def _adopt(self, group: Group) -> None:
        self.groups[group.number] = group
        self.asked.add(group.number)
        self.queue += [(group.number, r) for r in range(self.replicates)]

    def _reconcile(self) -> None:
        """Make this (possibly older) state agree with the journal, which is written first:
        groups the journal has finished are not told again; trials asked after this state
        was saved are adopted: their replicates are handed out before anything new is asked
        (a finished one is kept as done: Ray forgot its trials, the study has its value, and it
        counts toward num_samples)."""
        adopted = False
        for t in self._study.get_trials(deepcopy=False):
            group = self.groups.get(t.number)
            if group is None:
                group = Group(t.number, dict(t.params), t._trial_id)
                if t.state == TrialState.RUNNING:
                    self._adopt(group)
                    adopted = True
                else:
                    self.groups[t.number] = group
            group.reported |= set(t.intermediate_values)
            if t.state != TrialState.RUNNING:
                self.asked.discard(t.number)
        if adopted:
            # The sampler's saved RNG is older than those asks: replayed, it would propose
            # the adopted configurations again.
            self.sampler.reseed_rng()

    def _sync(self, whole: bool = False) -> None:
        if self.file is not None:
            self.file.sync(whole)

    def __getstate__(self):
        # A journal-backed study is reopened from its file, never pickled; an in-memory one
        # (no experiment directory) can only travel inside this object.
        state = dict(self.__dict__)
        if self.file is not None:
            state["_study"] = None
        return state

    def save(self, checkpoint_path: str):
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__getstate__(), f)

    def restore(self, checkpoint_path: str):
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))
        if self.file is not None:
            self._study = None  # reattach (and reconcile) on next use
            _ = self.study


@contextlib.contextmanager
def _expected_warnings():
    """Not shown, since they are the design: CMA-ES ignores constraints (it ranks a diverged
    configuration's infinite value last instead) and GP clips infinite values to the worst
    finite one for its regression (it learns feasibility from the constraint)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Constraints have been set")
        warnings.filterwarnings("ignore", message="Clip non-finite values")
        yield


def _at(curve: dict[int, float], step: int) -> float:
    """The objective at `step`: the last report at or before it."""
    return curve[max(i for i in curve if i <= step)]
