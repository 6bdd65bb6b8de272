"""The replicated Optuna searcher, driven through Ray's Searcher API without a cluster."""

import math
import statistics

import optuna
import pytest

from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
from gansweep.sweep.spec import parse_spec


def make(searcher="tpe", seed=0, replicates=1, num_samples=40, mode="min"):
    return ReplicatedOptunaSearch(parse_spec({
        "model": "WGAN", "data": {"name": "digits"}, "iterations": 10, "eval_every": 5,
        "metric": "fid_digits" if mode == "min" else "is_digits", "mode": mode, "searcher": searcher, "seed": seed,
        "num_samples": num_samples, "replicates": replicates,
        "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]},
                   "optim.lr_g": {"loguniform": [1e-5, 1e-2]},
                   "loss.eta": {"uniform": [0.0, 30.0]}}}))


def toy(params):
    """A smooth bowl with its minimum at lr_d = 3e-4, lr_g = 1e-4, eta = 10."""
    return ((math.log10(params["optim.lr_d"]) + 3.5) ** 2 + (math.log10(params["optim.lr_g"]) + 4) ** 2
            + ((params["loss.eta"] - 10) / 10) ** 2)


def best_of(searcher, n):
    values = []
    for i in range(n):
        config = searcher.suggest(f"t{i}")
        values.append(toy(config["params"]))
        searcher.on_trial_complete(f"t{i}", {OBJECTIVE: values[-1], "iteration": 10})
    return min(values)


def test_optuna_steers_better_than_random_search_on_the_same_budget():
    seeds = range(5)
    tpe = [best_of(make("tpe", s), 40) for s in seeds]
    rnd = [best_of(make("random", s), 40) for s in seeds]
    assert statistics.median(tpe) < statistics.median(rnd), (tpe, rnd)
    assert sum(t < r for t, r in zip(tpe, rnd)) >= 4, (tpe, rnd)


@pytest.mark.parametrize("kind", ["tpe", "random", "cmaes", "gp"])
def test_every_searcher_is_reproducible_from_its_seed(kind):
    first = [make(kind, 3).suggest(f"t{i}")["params"] for i in range(1)]
    again = [make(kind, 3).suggest(f"t{i}")["params"] for i in range(1)]
    other = [make(kind, 4).suggest(f"t{i}")["params"] for i in range(1)]
    assert first == again and first != other


def test_replicates_share_a_config_and_are_told_once_as_their_mean():
    s = make(replicates=3)
    configs = [s.suggest(f"t{i}") for i in range(4)]
    assert [c["replicate"] for c in configs] == [0, 1, 2, 0]
    assert configs[0]["params"] == configs[1]["params"] == configs[2]["params"] != configs[3]["params"]
    for i, value in enumerate([1.0, 2.0]):
        s.on_trial_complete(f"t{i}", {OBJECTIVE: value, "iteration": 10})
    assert len(s.study.get_trials(states=[optuna.trial.TrialState.COMPLETE])) == 0
    s.on_trial_complete("t2", {OBJECTIVE: 6.0, "iteration": 10})
    (done,) = s.study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
    assert done.value == pytest.approx(3.0) and done.params == configs[0]["params"]


def test_an_errored_replicate_fails_its_config():
    s = make(replicates=2)
    s.suggest("a"), s.suggest("b")
    s.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})
    s.on_trial_complete("b", error=True)
    (trial,) = s.study.trials
    assert trial.state == optuna.trial.TrialState.FAIL  # says nothing about the region


@pytest.mark.parametrize("mode", ["min", "max"])
@pytest.mark.parametrize("end", [{OBJECTIVE: math.inf, "diverged": True, "iteration": 10},
                                 {OBJECTIVE: float("nan"), "iteration": 10}])
def test_a_diverged_replicate_makes_its_config_infeasible_never_a_good_number(end, mode):
    s = make(replicates=2, mode=mode)
    s.suggest("a"), s.suggest("b")
    s.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})
    s.on_trial_complete("b", end)
    (trial,) = s.study.trials
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.constraints == {"diverged": 0.5}  # half its replicates diverged
    assert trial.value == (math.inf if mode == "min" else -math.inf)
    s.suggest("c"), s.suggest("d")
    for t in "cd":  # worse than the diverged config's feasible replicate, still the best
        s.on_trial_complete(t, {OBJECTIVE: 5.0 if mode == "min" else 0.5, "iteration": 10})
    assert s.study.best_trial.number == 1 and s.study.best_trial.constraints == {"diverged": 0.0}


def test_save_and_restore_keep_the_history_and_the_pending_replicates(tmp_path):
    s = make(replicates=2)
    first = s.suggest("a")
    s.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})
    s.save(str(tmp_path / "searcher.pkl"))
    restored = make(replicates=2, seed=99)
    restored.restore(str(tmp_path / "searcher.pkl"))
    nxt = restored.suggest("b")  # the second replicate of the same config, not a new one
    assert nxt["params"] == first["params"] and nxt["replicate"] == 1
    restored.on_trial_complete("b", {OBJECTIVE: 3.0, "iteration": 10})
    assert restored.study.best_value == pytest.approx(2.0)
    fresh = restored.suggest("c")
    assert fresh["replicate"] == 0 and fresh["params"] != first["params"]
    assert len(restored.study.trials) == 2  # nothing asked twice, nothing lost


def test_a_grid_is_enumerated_and_every_point_is_told():
    """The last grid point's tell used to raise (Optuna's study.stop outside optimize): Tune
    then retried a finished trial and the study lost that point's value."""
    s = ReplicatedOptunaSearch(parse_spec({
        "model": "WGAN", "data": {"name": "digits"}, "iterations": 10, "eval_every": 5,
        "metric": "fid_digits", "searcher": "grid",
        "search": {"loss.eta": {"grid": [1.0, 10.0]}, "train.n_critic": {"grid": [1, 5]}}}))
    points = []
    for i in range(4):
        points.append(tuple(s.suggest(f"t{i}")["params"].values()))
        s.on_trial_complete(f"t{i}", {OBJECTIVE: float(i), "iteration": 10})
    assert sorted(points) == [(1.0, 1), (1.0, 5), (10.0, 1), (10.0, 5)]
    done = s.study.get_trials(states=[optuna.trial.TrialState.COMPLETE])
    assert sorted(t.value for t in done) == [0.0, 1.0, 2.0, 3.0]


def scheduled(replicates=2):
    """Budget 40, evaluations every 5, rungs at 5, 10, 20 (grace 5, factor 2)."""
    return ReplicatedOptunaSearch(parse_spec({
        "model": "WGAN", "data": {"name": "digits"}, "iterations": 40, "eval_every": 5,
        "metric": "fid_digits", "searcher": "random", "num_samples": 4, "replicates": replicates,
        "scheduler": {"kind": "asha", "grace_period": 5, "reduction_factor": 2},
        "search": {"loss.eta": {"uniform": [0.0, 30.0]}}}))


def run(s, trial_id, values, end=None):
    """Reports at 5, 10, ... then the end: Tune's last result, or None for a paused trial
    the scheduler stopped (Tune then gives the searcher no result)."""
    for k, v in enumerate(values):
        s.on_trial_result(trial_id, {OBJECTIVE: v, "iteration": 5 * (k + 1)})
    s.on_trial_complete(trial_id, end)


def test_a_finished_config_is_told_its_mean_at_the_full_budget_with_rung_steps():
    s = scheduled()
    s.suggest("a"), s.suggest("b")
    run(s, "a", [9, 8, 7, 6, 5, 4, 3, 2], {OBJECTIVE: 2, "iteration": 40})
    run(s, "b", [7, 6, 5, 4, 3, 2, 1, 0])
    (t,) = s.study.trials
    assert t.state == optuna.trial.TrialState.COMPLETE and t.value == pytest.approx(1.0)
    # every evaluation is an intermediate value, the rungs (5, 10, 20) and the budget among them
    assert t.intermediate_values == {5 * (k + 1): 8.0 - k for k in range(8)}


def test_a_config_stopped_at_a_rung_is_pruned_at_that_rung_not_completed():
    s = scheduled()
    s.suggest("a"), s.suggest("b")
    run(s, "a", [9, 8], {OBJECTIVE: 8, "iteration": 10})  # stopped while running
    run(s, "b", [7, 6], None)  # stopped while paused at the rung: no result comes
    (t,) = s.study.trials
    assert t.state == optuna.trial.TrialState.PRUNED and t.value == pytest.approx(7.0)
    assert t.intermediate_values == {5: 8.0, 10: 7.0}


def test_replicates_at_different_budgets_are_told_at_the_one_all_reached():
    s = scheduled()
    s.suggest("a"), s.suggest("b")
    run(s, "a", [9, 8, 7, 6])  # a rung decided without it (timeout), then stopped
    run(s, "b", [7, 6])
    (t,) = s.study.trials
    assert t.state == optuna.trial.TrialState.PRUNED and t.value == pytest.approx(7.0)
    assert max(t.intermediate_values) == 10  # never the mean of 20 k and 10 k values


def test_a_config_with_a_shorter_epoch_budget_is_complete_at_its_own_budget():
    """A chapter-2 STL or data-fraction configuration trains fewer iterations for the same
    epochs: reaching its own budget (reported by its trials) is finishing, not being stopped."""
    s = scheduled()
    s.suggest("a"), s.suggest("b")
    for tid, values in (("a", [9, 8, 7, 6]), ("b", [7, 6, 5, 4])):
        for k, v in enumerate(values):
            s.on_trial_result(tid, {OBJECTIVE: v, "iteration": 5 * (k + 1), "budget": 20})
        s.on_trial_complete(tid, {OBJECTIVE: values[-1], "iteration": 20, "budget": 20})
    (t,) = s.study.trials
    assert t.state == optuna.trial.TrialState.COMPLETE and t.value == pytest.approx(5.0)
