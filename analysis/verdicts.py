"""Verdicts over seeds: is a model better than the baseline, and which models can be ranked.

Each model contributes one score per seed (its best configuration's replicates; the held-out
score of each trial's best checkpoint where `gansweep eval EXPERIMENT` made one). Two
statements are made, both with percentile-bootstrap intervals whose seeds are resampled
within each model, independently, with a fixed generator (the report reads the same twice):

- against the baseline: the difference of medians (model - baseline) with a (1 - alpha/k)
  interval, k the number of models compared with it (Bonferroni, so all k intervals hold
  together with probability >= 1 - alpha). Its sign is the verdict: better or worse in the
  metric's direction when the interval excludes 0, otherwise no difference shown.
- ranks: each model's median with a (1 - alpha/m) interval, m the number of models. A model
  is ranked above another only when their intervals do not overlap, so a rank is a range:
  1 + the models certainly better, to m - the models certainly worse.

Why a bootstrap and not a rank test: with n seeds per model, a two-sided Mann-Whitney test
cannot give p below 2 / C(2n, n) (0.0079 at n = 5), which is above Holm's or Bonferroni's
first threshold alpha / k once k >= 7 (0.05 / 8 = 0.0063): with the thesis's eight
comparisons and five seeds it could never reject. The bootstrap interval also speaks in the
metric's own units (FID points), as Table 5.2 does. It is not conservative at small n:
with five seeds, the extreme quantiles of a resampled median are the smallest and largest
seed, so a verdict amounts to the two models' seed ranges not overlapping, shifted by the
medians' spread; `min_rank_test_p` says what a rank test could have done.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

RESAMPLES = 10_000
ALPHA = 0.05


@dataclass
class Verdict:
    model: str
    seeds: int
    median: float
    low: float           # the median's interval (rank level)
    high: float
    rank: tuple[int, int]  # best and worst rank the intervals allow
    diff: float | None = None        # median - baseline's median (None for the baseline)
    diff_low: float | None = None    # its interval (comparison level)
    diff_high: float | None = None
    verdict: str = "baseline"        # better, worse, no difference shown, baseline


def min_rank_test_p(n: int, m: int) -> float:
    """The smallest two-sided p a Mann-Whitney test of n vs m values can give."""
    return 2 / comb(n + m, n)


def _median_draws(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, len(x), size=(RESAMPLES, len(x)))
    return np.median(x[idx], axis=1)


def verdicts(scores: dict[str, list[float]], baseline: str, mode: str, alpha: float = ALPHA,
             seed: int = 0) -> list[Verdict]:
    """One Verdict per model with at least two finite scores, best median first. `mode`
    "min" or "max" says which way is better; `baseline` must be among the models."""
    data = {m: np.asarray([v for v in vs if v is not None and np.isfinite(v)], dtype=float)
            for m, vs in scores.items()}
    data = {m: x for m, x in data.items() if len(x) >= 2}
    if baseline not in data:
        raise ValueError(f"baseline {baseline!r} has fewer than two finite scores")
    rng = np.random.default_rng(seed)
    draws = {m: _median_draws(data[m], rng) for m in sorted(data)}
    sign = 1.0 if mode == "min" else -1.0  # sign * value: smaller is better
    k, n_models = len(data) - 1, len(data)
    tail = 100 * alpha / (2 * n_models)
    bounds = {m: tuple(np.percentile(draws[m], [tail, 100 - tail])) for m in data}
    out = []
    for m, x in data.items():
        lo, hi = bounds[m]
        better = sum(1 for o in data if o != m and _entirely(bounds[o], bounds[m], sign))
        worse = sum(1 for o in data if o != m and _entirely(bounds[m], bounds[o], sign))
        v = Verdict(m, len(x), float(np.median(x)), float(lo), float(hi), (1 + better, n_models - worse))
        if m != baseline and k:
            d = draws[m] - draws[baseline]
            t = 100 * alpha / (2 * k)
            v.diff = float(np.median(x) - np.median(data[baseline]))
            v.diff_low, v.diff_high = (float(q) for q in np.percentile(d, [t, 100 - t]))
            # the improvement over the baseline, positive when better in the metric's direction
            gain_low, gain_high = sorted((-sign * v.diff_low, -sign * v.diff_high))
            v.verdict = ("better" if gain_low > 0 else "worse" if gain_high < 0 else
                         "no difference shown")
        out.append(v)
    return sorted(out, key=lambda v: (sign * v.median, v.model))


def _entirely(a: tuple[float, float], b: tuple[float, float], sign: float) -> bool:
    """Interval a lies entirely on the better side of interval b (no overlap)."""
    return (a[1] < b[0]) if sign > 0 else (a[0] > b[1])


def rank_text(rank: tuple[int, int]) -> str:
    return str(rank[0]) if rank[0] == rank[1] else f"{rank[0]}–{rank[1]}"
