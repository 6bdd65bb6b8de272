"""Paper-ready output (issue 15): LaTeX tables with booktabs rules, a PDF beside every PNG,
log axes for log-uniform parameters, train.parquet, pandas' rolling-mean smoothing."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from analysis import plots, stats, tables
from analysis.collect import build_tables, collect
from analysis.experiment import read_experiment
from analysis.latex import to_latex
from analysis.report import report


def test_report_writes_latex_tables_and_vector_figures(fx):
    out = Path(report(str(fx), with_samples=False))
    tex = sorted((out / "tables").glob("*.tex"))
    assert {p.stem for p in tex} >= {"best-sampled-configurations", "all-trials", "failed-trials-2"}
    for p in tex:
        text = p.read_text()
        assert "\\toprule" in text and "\\midrule" in text and "\\bottomrule" in text
        assert "\\begin{table}" in text and "\\label{tab:" in text and "\\caption{" in text
    assert "loss.sharing\\_lambda" in (out / "tables" / "all-trials.tex").read_text()  # escaped
    pngs = sorted((out / "images").glob("*.png"))
    assert pngs and all(p.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-" for p in pngs)
    assert "tables/" in (out / "report.md").read_text()


def test_latex_escapes_cells():
    df = pd.DataFrame({"a_b": ["50% & more", None], "c": ["x^2", "#1"]})
    text = to_latex(df, "a `caption`", "t")
    assert "50\\% \\& more" in text and "a\\_b" in text and "\\#1" in text and "--" in text


def test_log_uniform_parameters_on_log_axes(fx, tmp_path, monkeypatch):
    res = tables.results(*build_tables([read_experiment(str(fx))]))
    scales = {}
    real_savefig = plots.Figure.savefig

    def spy(fig, path, *a, **k):
        scales.update({ax.get_xlabel(): ax.get_xscale() for ax in fig.axes})
        return real_savefig(fig, path, *a, **k)

    monkeypatch.setattr(plots.Figure, "savefig", spy)
    plots.plot_params(res, tmp_path / "p.png", log={"loss.sharing_lambda"})
    assert scales["loss.sharing_lambda"] == "log" and scales["model.shared_layers"] == "linear"


def test_collect_writes_every_training_scalar(fx, tmp_path):
    out, evals, trials = collect([str(fx)], str(tmp_path / "a"))
    train = pq.read_table(tmp_path / "a" / "train.parquet").to_pandas()
    assert {"trial_id", "config_id", "iteration", "time_s", "d_loss"} <= set(train.columns)
    assert len(train) > 0 and set(train["trial_id"]) <= set(trials.column("trial_id").to_pylist())
    # the diverged trial's NaN loss is written as null, as NaN metrics are in evals.parquet
    assert (train["d_loss"].dropna() == -1.0).all() and train["d_loss"].isna().sum() == 1
    collect([str(fx)], str(tmp_path / "b"))  # collecting again gives the same bytes
    assert (tmp_path / "a" / "train.parquet").read_bytes() == (tmp_path / "b" / "train.parquet").read_bytes()


@pytest.mark.parametrize("window", [1, 2, 3, 4, 10])
def test_smoothing_is_a_centred_rolling_mean(window):
    x = np.array([5.0, 3.0, np.nan, 4.0, 1.0, 2.0, 8.0, 7.0])
    lo, hi = window // 2, (window - 1) // 2 + 1
    parts = [p[~np.isnan(p)] for p in (x[max(0, i - lo):i + hi] for i in range(len(x)))]
    ref = [p.mean() if p.size else np.nan for p in parts]  # window 1 at the NaN: nothing to average
    np.testing.assert_allclose(stats.smooth(x, window), ref)
