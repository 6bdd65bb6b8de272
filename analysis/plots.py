"""Figures from the collected tables (the thesis, Figures 5.3-5.12 and 5.19, with error bands).

Every function draws one PNG at `path` and returns the numbers it drew (None when there is
nothing to draw), so tests check data, not pixels. Figures are `matplotlib.figure.Figure`
objects rendered by Agg, never pyplot: no global figure state, whatever backend the user has.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis import stats, tables
from analysis.tables import Results

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]


def colour(i: int) -> str:
    return COLOURS[i % len(COLOURS)]


PNG_DPI = 150
VECTOR = ".pdf"  # every figure also as a vector file beside its PNG, for a paper


def save(fig: Figure, path: Path) -> Path:
    """The PNG (the report shows it) and a PDF of the same figure beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
    # No creation date: the same figure gives the same bytes.
    fig.savefig(path.with_suffix(VECTOR), bbox_inches="tight",
                metadata={"Creator": None, "Producer": None, "CreationDate": None})
    return path


def finish(fig: Figure, ax, path: Path, **labels) -> None:
    """Labels, grid, legend, then the PNG: the common end of the single-axes figures."""
    ax.set(**labels)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, path)


X_LABELS = {"iteration": "generator iteration", "epoch": "epoch (passes over the training set)"}


def curve_data(res: Results, metric: str, x: str = "iteration") -> dict[str, dict]:
    """Per model, its best configuration's replicates: raw values per trial, each smoothed
    (window 10 for FID, 20 for IS), and the median and [min, max] band of the smoothed
    curves over replicates at each evaluated `x` (iteration, or epoch: models that consume
    data at different rates per iteration, the GAN vs WGAN report's 1:1 GAN and 5:1 WGANs, compare there)."""
    out = {}
    for _, best in tables.best_per_model(res).iterrows():
        e = res.evals[(res.evals["experiment"] == best["experiment"])
                      & (res.evals["config_id"] == best["config_id"]) & res.evals[metric].notna()]
        raw = {tid: (g[x].to_numpy(float if x == "epoch" else int), g[metric].to_numpy(float))
               for tid, g in e.sort_values("iteration").groupby("trial_id", sort=True)}
        if not raw:
            continue
        grid = np.unique(np.concatenate([it for it, _ in raw.values()]))
        table = np.full((len(raw), len(grid)), np.nan)
        smoothed = {}
        w = stats.window(metric, max(len(v) for _, v in raw.values()))
        for k, (tid, (it, v)) in enumerate(raw.items()):
            smoothed[tid] = stats.smooth(v, w)
            table[k, np.searchsorted(grid, it)] = smoothed[tid]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an iteration no replicate reached
            band = np.nanmedian(table, 0), np.nanmin(table, 0), np.nanmax(table, 0)
        out[res.label(best["experiment"], best["model"])] = {
            "config_id": best["config_id"], "raw": raw, "smoothed": smoothed, "x": grid,
            "window": w, "iterations": best["iterations"], "stopped": best["stopped"],
            "median": band[0], "low": band[1], "high": band[2]}
    return out


def plot_curves(res: Results, metric: str, path: Path, x: str = "iteration") -> dict | None:
    """`metric` against `x` per model: faint raw values, smoothed median, band over seeds."""
    data = curve_data(res, metric, x) if metric in res.metrics else {}
    if not data:
        return None
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    for i, (label, c) in enumerate(data.items()):
        for it, v in c["raw"].values():
            ax.plot(it, v, color=colour(i), alpha=0.25, lw=0.8, marker=".", ms=3)
        stopped = f", stopped at {c['iterations']}" if c["stopped"] else ""  # a smaller budget
        ax.plot(c["x"], c["median"], color=colour(i), lw=2,
                label=f"{label}, config {c['config_id']} ({len(c['raw'])} seeds{stopped})")
        ax.fill_between(c["x"], c["low"], c["high"], color=colour(i), alpha=0.2, lw=0)
    finish(fig, ax, path, xlabel=X_LABELS[x],
           ylabel=f"{metric} (moving average over {max(c['window'] for c in data.values())} evaluations)",
           title=f"{metric}: best configuration per model; band: min-max over seeds")
    return data


def plot_wallclock(res: Results, path: Path) -> dict | None:
    """The sweep's metric (smoothed) against wall-clock hours or minutes, every trial."""
    m = res.metric
    e = res.evals[res.evals[m].notna() & res.evals["time_s"].notna()] if m in res.metrics else []
    if len(e) == 0:
        return None
    scale, unit = (3600.0, "hours") if e["time_s"].max() > 3 * 3600 else (60.0, "minutes")
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    labels = sorted({res.label(x, mo) for x, mo in zip(e["experiment"], e["model"])})
    data, seen = {}, set()
    for (x, tid), g in e.sort_values("iteration").groupby(["experiment", "trial_id"], sort=True):
        label = res.label(x, g["model"].iloc[0])
        data[tid] = {"time_s": g["time_s"].to_numpy(float),
                     "value": stats.smooth(g[m].to_numpy(float), stats.window(m, len(g)))}
        ax.plot(data[tid]["time_s"] / scale, data[tid]["value"], alpha=0.7,
                color=colour(labels.index(label)), label=None if label in seen else label)
        seen.add(label)
    finish(fig, ax, path, xlabel=f"wall-clock time ({unit})", ylabel=f"{m} (moving average)",
           title=f"{m} against training time, every trial")
    return data


def plot_params(res: Results, path: Path, log: set[str] | frozenset = frozenset()) -> dict | None:
    """Each swept hyperparameter against every trial's best value of the sweep's metric;
    `log`: the parameters searched log-uniformly, drawn on a log axis (others only when
    their values span decades)."""
    col = f"best_{res.metric}"
    if col not in res.trials or not res.swept:
        return None
    t = res.trials[res.trials[col].notna()]
    n, cols = len(res.swept), min(len(res.swept), 3)
    rows = (n + cols - 1) // cols
    fig = Figure(figsize=(4.3 * cols, 3.5 * rows))
    data = {}
    for i, p in enumerate(res.swept):
        ax = fig.add_subplot(rows, cols, i + 1)
        s = t[t[p].notna()]
        x = s[p]
        numeric = pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x)
        if not numeric:  # categories at integer positions, labelled
            cats = sorted(x.astype(str).unique())
            ax.set_xticks(range(len(cats)), cats, rotation=30, fontsize=8)
            x = x.astype(str).map({c: k for k, c in enumerate(cats)})
        early = (s["state"] == "stopped").to_numpy()  # best values from a smaller budget
        data[p] = {"x": x.to_numpy(float), "y": s[col].to_numpy(float), "trial_id": s["trial_id"].tolist(),
                   "stopped": early}
        ax.scatter(data[p]["x"][~early], data[p]["y"][~early], s=20, alpha=0.8, color=colour(0))
        if early.any():
            ax.scatter(data[p]["x"][early], data[p]["y"][early], s=20, alpha=0.8,
                       facecolors="none", edgecolors=colour(0), label="stopped early by the scheduler")
            ax.legend(fontsize=7)
        if numeric and len(x) and x.min() > 0 and (p in log or x.max() / x.min() >= 20):
            ax.set_xscale("log")  # log-uniform: learning rates and lambda span decades
        ax.set(xlabel=p, ylabel=col)
        ax.grid(alpha=0.3)
    fig.suptitle(f"best {res.metric} of each trial against each swept hyperparameter")
    fig.tight_layout()
    save(fig, path)
    return data
