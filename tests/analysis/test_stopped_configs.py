"""Configurations the scheduler stopped early are ranked and labelled by the budget they
reached, never against finished ones as if their values were equal."""

import pandas as pd

from analysis import plots, tables
from analysis.tables import Results


def results(rows) -> Results:
    """rows: (config, replicate, state, iteration, best fid_digits), budget 100."""
    trials = pd.DataFrame([{
        "experiment": "x", "model": "WGAN", "config_id": c, "replicate": r, "trial_id": f"{c}-{r}",
        "state": state, "iteration": it, "budget": 100, "best_fid_digits": v,
        "final_fid_digits": v, "loss.eta": float(c)} for c, r, state, it, v in rows])
    evals = pd.DataFrame([{"experiment": "x", "config_id": c, "trial_id": f"{c}-{r}",
                           "iteration": i, "fid_digits": v + 100 / i}
                          for c, r, _, it, v in rows for i in range(20, it + 1, 20)])
    return Results(evals, trials, "fid_digits", "min", "best", ["fid_digits"], ["loss.eta"])


RES = results([(0, 0, "finished", 100, 30.0), (0, 1, "finished", 100, 32.0),
               (1, 0, "stopped", 20, 25.0), (1, 1, "stopped", 20, 27.0),   # lower, at 20 it
               (2, 0, "stopped", 60, 40.0), (2, 1, "stopped", 60, 41.0)])


def test_a_stopped_configuration_ranks_after_finished_ones_whatever_its_value():
    configs = tables.best_configurations(RES)
    assert list(configs["config_id"]) == [0, 2, 1]  # finished; then furthest-reaching stopped
    assert list(configs["iterations"]) == [100, 60, 20] and list(configs["stopped"]) == [False, True, True]
    assert tables.best_per_model(RES).loc[0, "config_id"] == 0
    shown = tables.display(configs, RES, params=False)
    assert list(shown["iterations"]) == ["100", "60 of 100, stopped", "20 of 100, stopped"]


def test_curves_and_scatter_show_the_budget_reached(tmp_path):
    only_stopped = results([(1, 0, "stopped", 20, 25.0), (1, 1, "stopped", 20, 27.0)])
    c = plots.plot_curves(only_stopped, "fid_digits", tmp_path / "c.png")["WGAN"]
    assert c["stopped"] and c["iterations"] == 20
    data = plots.plot_params(RES, tmp_path / "p.png")["loss.eta"]
    assert list(data["stopped"]) == [False, False, True, True, True, True]
