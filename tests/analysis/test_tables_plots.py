"""Smoothing, median/IQR, Table 5.2 and every plot's numbers against hand computations on the
closed-form experiment `fx` (analysis_fixtures.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import CONFIGS, TRIALS, fid, metrics_at, seconds, trial_id

from analysis import importance, plots, stats, tables
from analysis.collect import build_tables, read_all

SEARCH = [{"key": "loss.sharing_lambda", "kind": "loguniform", "values": [0.01, 1.0]},
          {"key": "model.shared_layers", "kind": "choice", "values": [1, 2]}]
SEARCH_KEYS = [q["key"] for q in SEARCH]


@pytest.fixture
def res(fx) -> tables.Results:
    return tables.results(*build_tables(read_all([str(fx)])))


def its(c: int, r: int) -> list[int]:
    state, last = next((s, last) for cc, rr, s, last in TRIALS if (cc, rr) == (c, r))
    return list(range(10, last + 1 - 10 * (state == "diverged"), 10))


def png(path) -> bool:
    return path.exists() and path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"


def test_smooth_by_hand():
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert stats.smooth(x, 3).tolist() == [1.5, 2.0, 3.0, 4.0, 4.5]
    assert stats.smooth(x, 4).tolist() == [1.5, 2.0, 2.5, 3.5, 4.0]  # x[i-2 : i+2]
    assert stats.smooth([1.0, np.nan, 3.0], 3).tolist() == [1.0, 2.0, 3.0]
    assert stats.smooth(x, 1).tolist() == x
    y = np.sin(np.arange(40) / 3.0)
    for w in (10, 20):  # the same as a centred window, shrunk at the ends
        assert np.allclose(stats.smooth(y, w), pd.Series(y).rolling(w, center=True, min_periods=1).mean())
    assert (stats.FID_WINDOW, stats.IS_WINDOW) == (10, 20)
    assert stats.window("fid_digits") == 10 and stats.window("is_digits") == 20
    assert stats.window("is_digits", 100) == 20 and stats.window("fid", 100) == 10
    assert stats.window("fid", 12) == 2 and stats.window("fid", 3) == 1


def test_median_iqr_by_hand():
    assert stats.median_iqr([4.0, 1.0, 3.0, 2.0]) == (2.5, 1.75, 3.25, 4)
    assert stats.median_iqr([1.0, None, np.nan, 3.0, 2.0]) == (2.0, 1.5, 2.5, 3)
    assert stats.median_iqr([7.0]) == (7.0, 7.0, 7.0, 1)
    assert np.isnan(stats.median_iqr([])[0])


def test_is_like_column():
    assert stats.is_like(["fid_digits", "is_digits_std", "is_digits"]) == "is_digits"


def test_best_per_model_is_table_5_2(res):
    assert (res.metric, res.mode, res.optimize, res.is_metric) == ("fid_digits", "min", "best", "is_digits")
    assert res.swept == ["loss.sharing_lambda", "model.shared_layers"]
    best = tables.best_per_model(res)
    assert len(best) == 1 and best.loc[0, "config_id"] == 0 and best.loc[0, "seeds"] == 3
    a, b, c = sorted(min(fid(0, r, i) for i in its(0, r)) for r in range(3))
    row = best.iloc[0]
    assert np.isclose(row["best_fid_digits_median"], b)
    assert np.isclose(row["best_fid_digits_q25"], (a + b) / 2) and np.isclose(row["best_fid_digits_q75"], (b + c) / 2)
    finals = sorted(fid(0, r, 100) for r in range(3))
    assert np.isclose(row["final_fid_digits_median"], finals[1])
    assert np.isclose(row["best_cond_acc_median"], max(metrics_at(0, 0, i)["cond_acc"] for i in its(0, 0)))
    shown = tables.display(best, res, params=True)
    assert list(shown.columns)[:5] == ["model", "config", "loss.sharing_lambda", "model.shared_layers", "seeds"]
    assert shown.loc[0, "fid_digits best"] == f"{b:.4g} [{(a + b) / 2:.4g}, {(b + c) / 2:.4g}]"


def test_best_configurations_order(res):
    configs = tables.best_configurations(res)
    medians = [np.median([min(fid(c, r, i) for i in its(c, r)) for cc, r, s, _ in TRIALS
                          if cc == c and s != "pending"]) for c in configs["config_id"]]
    assert list(configs["config_id"]) == [0, 1, 2, 3, 4] and np.allclose(configs["best_fid_digits_median"], medians)
    assert configs.loc[4, "seeds"] == 1  # the pending replicate has no value


def test_curves(res, tmp_path):
    for metric in ("fid_digits", "is_digits"):
        data = plots.plot_curves(res, metric, tmp_path / f"{metric}.png")
        assert png(tmp_path / f"{metric}.png")
        c = data["SC-WGAN.b"]
        assert c["config_id"] == 0 and sorted(c["raw"]) == [trial_id(0, r) for r in range(3)]
        raw = np.array([[metrics_at(0, r, i)[metric] for i in range(10, 101, 10)] for r in range(3)])
        w = 2  # 10 evaluations: the thesis's window shrinks to a fifth of the series
        assert c["window"] == w == stats.window(metric, 10)
        smoothed = np.array([[raw[r, max(0, i - w // 2):i + (w - 1) // 2 + 1].mean()
                              for i in range(10)] for r in range(3)])
        assert np.allclose(c["raw"][trial_id(0, 1)][1], raw[1])
        assert np.allclose(c["median"], np.median(smoothed, 0))
        assert np.allclose(c["low"], smoothed.min(0)) and np.allclose(c["high"], smoothed.max(0))
    assert plots.plot_curves(res, "no_such_metric", tmp_path / "none.png") is None


def test_curves_against_epochs(res, tmp_path):
    evals = res.evals.assign(epoch=res.evals["iteration"] / 25)  # 25 iterations per epoch
    data = plots.plot_curves(replace(res, evals=evals), "fid_digits", tmp_path / "e.png", x="epoch")
    c = data["SC-WGAN.b"]
    assert np.allclose(c["x"], np.arange(10, 101, 10) / 25)
    assert np.allclose(c["raw"][trial_id(0, 1)][0], np.arange(10, 101, 10) / 25)


def test_params(res, tmp_path):
    data = plots.plot_params(res, tmp_path / "params.png")
    assert png(tmp_path / "params.png") and list(data) == res.swept
    scored = [(c, r) for c, r, s, _ in TRIALS if s != "pending"]
    assert data["loss.sharing_lambda"]["x"].tolist() == [CONFIGS[c][0] for c, _ in scored]
    assert np.allclose(data["model.shared_layers"]["y"], [min(fid(c, r, i) for i in its(c, r)) for c, r in scored])


def test_optuna_figures_from_a_rebuilt_study(res, tmp_path):
    """Without a stored study the figures come from one rebuilt from the tables: one trial per
    configuration with a told value (configs 2 and 3 failed, 4 is still running)."""
    from analysis import optuna_plots

    study, _ = importance.build_study(res, SEARCH)
    told = [np.mean([min(fid(c, r, i) for i in its(c, r)) for r in rs]) for c, rs in ((0, range(3)), (1, range(2)))]
    assert np.allclose(sorted(t.value for t in study.trials), sorted(told))
    drawn = dict(optuna_plots.figures(study, tmp_path))
    assert {"history", "slice"} <= set(drawn) and all(png(p) and p.with_suffix(".pdf").exists()
                                                      for p in drawn.values())


def test_wallclock(res, tmp_path):
    data = plots.plot_wallclock(res, tmp_path / "wallclock.png")
    assert png(tmp_path / "wallclock.png") and len(data) == 10  # every trial with an evaluation
    d = data[trial_id(1, 0)]
    assert np.allclose(d["time_s"], [seconds(1, i) for i in range(10, 101, 10)])
    assert np.allclose(d["value"], stats.smooth([fid(1, 0, i) for i in range(10, 101, 10)], 2))


def test_importance_finds_the_parameter_that_matters(tmp_path):
    rng = np.random.default_rng(0)
    lam, b = 10 ** rng.uniform(-2, 0, 16), rng.choice([1, 2], 16)
    trials = pd.DataFrame({"experiment": "x", "config_id": range(16), "state": "finished",
                           "loss.sharing_lambda": lam, "model.shared_layers": b,
                           "objective": 20 + 5 * np.log10(lam) + 0.01 * b})
    res = tables.Results(pd.DataFrame(), trials, "fid", "min", "best", ["fid"], list(SEARCH_KEYS))
    data = importance.importances(res, SEARCH)
    assert data["configurations"] == 16
    imp = data["importances"]
    assert imp["loss.sharing_lambda"] > 0.9 > imp["model.shared_layers"]
    assert importance.importances(res, SEARCH) == data  # seeded


def test_importance_on_fx_or_why_not(res):
    data = importance.importances(res, SEARCH)
    assert data["configurations"] == 2 and set(data["importances"]) <= set(res.swept)
    one = tables.Results(res.evals, res.trials[res.trials["config_id"] == 0], *list(vars(res).values())[2:])
    assert importance.importances(one, SEARCH)["reason"].startswith("1 configuration")

