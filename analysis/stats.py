"""The numbers behind the tables and plots: smoothing, median and IQR (metric directions
come from gansweep.metrics.registry),
and what Optuna was told per configuration.

Replicates are the trials of one configuration (`config_id`, one Optuna trial) that differ
only in their seed. The thesis (5.0.8) reports single runs and maxima; here every summary is
a median with its interquartile range over replicates, of both the best and the final value.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from gansweep.metrics.registry import direction  # the one place a metric's direction is decided

# The thesis, section 5.0, footnote 1: "The moving window size was 10 for FID and 20 for IS."
FID_WINDOW, IS_WINDOW = 10, 20
FAILED = ("diverged", "errored")
ENDED = ("finished", "stopped", "diverged", "errored")


def is_like(metrics: list[str]) -> str | None:
    """The Inception-Score column: `is`, else the first `is_<domain>`."""
    return next((m for m in sorted(metrics, key=lambda m: m != "is") if direction(m) == "max"
                 and (m == "is" or m.startswith("is_"))), None)


def window(metric: str, n: int | None = None) -> int:
    """The thesis's window (10 evaluations for FID, 20 for IS; it had 100 evaluations per
    run), shrunk to at most a fifth of a series of `n` evaluations: a centred window as long
    as a short run would flatten its curve into one mean."""
    w = IS_WINDOW if metric == "is" or metric.startswith("is_") else FID_WINDOW
    return w if n is None else max(1, min(w, n // 5))


def best_of(series: list[tuple[int, float]], way: str) -> tuple[int, float] | None:
    """The (iteration, value) with the best value; ties keep the earliest."""
    best = None
    for it, v in series:
        if best is None or (v < best[1] if way == "min" else v > best[1]):
            best = (it, v)
    return best


def smooth(values, window: int) -> np.ndarray:
    """Centred moving average over `window` evaluations, the thesis's "simple convolution":
    pandas' rolling mean, centred, over the values present (NaNs left out).

    Point i averages x[i - window//2 : i + (window - 1)//2 + 1], clipped to the series: a
    plain np.convolve would pad with zeros and pull both ends towards zero.
    """
    x = pd.Series(np.asarray(values, dtype=float))
    return x.rolling(window, center=True, min_periods=1).mean().to_numpy(float)


def median_iqr(values) -> tuple[float, float, float, int]:
    """(median, 25th percentile, 75th percentile, n), NaN/None left out; numpy's linear
    interpolation between order statistics."""
    x = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=float)
    if x.size == 0:
        return (np.nan, np.nan, np.nan, 0)
    q25, med, q75 = np.percentile(x, [25, 50, 75])
    return float(med), float(q25), float(q75), int(x.size)


def told(trials: pd.DataFrame) -> pd.DataFrame:
    """Per (experiment, config_id): the value the searcher told Optuna, as gansweep's searcher
    does it: the mean objective of the replicates once all have ended, None ("failed") when
    one diverged or errored; configurations with a replicate still running are left out."""
    rows = []
    for (exp, cid), g in trials.groupby(["experiment", "config_id"], sort=True):
        if not g["state"].isin(ENDED).all():
            continue
        failed = g["state"].isin(FAILED).any() or g["objective"].isna().any()
        rows.append({"experiment": exp, "config_id": int(cid),
                     "value": np.nan if failed else float(g["objective"].mean()),
                     "replicates": len(g)})
    return pd.DataFrame(rows, columns=["experiment", "config_id", "value", "replicates"])


def json_text(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)
