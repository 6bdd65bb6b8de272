"""Tables for a paper: Table 5.2 of the thesis with error bars, and the best configurations.

`Results` is what every table and plot reads: the two collected tables as pandas frames, and
what they say about the sweep (its metric and direction, the IS-like metric, the swept keys).
Table functions return numbers (what the tests check); `display_*` formats them for the
report as "median [25th, 75th percentile]" over the replicate seeds of one configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from analysis import stats
from analysis.collect import EVAL_FIXED, HELDOUT, TRIAL_FIXED


@dataclass
class Results:
    evals: pd.DataFrame
    trials: pd.DataFrame
    metric: str | None      # the sweep's metric (the most common one when merged)
    mode: str               # min or max
    optimize: str | None    # which value of each trial Optuna was told: best or last
    metrics: list[str]
    swept: list[str]

    @property
    def is_metric(self) -> str | None:
        return stats.is_like(self.metrics)

    @property
    def many(self) -> bool:
        return self.trials["experiment"].nunique() > 1

    def label(self, experiment: str, model) -> str:
        """A curve's name: the model, with its experiment when several are merged."""
        return f"{model} ({experiment})" if self.many else str(model)


def results(evals: pa.Table, trials: pa.Table) -> Results:
    e, t = evals.to_pandas(), trials.to_pandas()
    metrics = [c for c in e.columns if c not in EVAL_FIXED and f"best_{c}" in t.columns]
    swept = [c for c in t.columns if c not in TRIAL_FIXED
             and not c.startswith(("best_", "final_", HELDOUT))]
    metric = t["metric"].mode().iloc[0] if t["metric"].notna().any() else None
    rows = t[t["metric"] == metric]
    first = lambda col: rows[col].dropna().iloc[0] if rows[col].notna().any() else None  # noqa: E731
    return Results(e, t, protocol_column(metric, metrics, t), first("mode") or "min",
                   first("optimize"), metrics, swept)


def protocol_column(metric: str | None, metrics: list[str], trials: pd.DataFrame) -> str | None:
    """The sweep metric's column; where its scores were kept apart by protocol
    (`<metric>@<protocol>`, analysis/protocols.py), the one that scored the most trials:
    tables and curves then follow one protocol and never mix two."""
    if metric is None or metric in metrics:
        return metric
    split = [m for m in metrics if m.split("@", 1)[0] == metric]
    return max(split, key=lambda m: (trials[f"best_{m}"].notna().sum(), m), default=metric)


def table_metrics(res: Results) -> list[str]:
    """FID-like, its unbiased KID companion, IS-like, and conditioning success (cond_acc
    instead of judging by eye)."""
    kid = res.metric.replace("fid", "kid", 1) if res.metric and res.metric.startswith("fid") else None
    return list(dict.fromkeys(m for m in (res.metric, kid, res.is_metric, "cond_acc") if m in res.metrics))


def summarise(group: pd.DataFrame, metrics: list[str]) -> dict:
    """median/q25/q75 of best_<m> and final_<m> over the group's replicates."""
    row = {"seeds": len(group)}
    for m in metrics:
        for kind in ("best", "final"):
            med, q25, q75, _ = stats.median_iqr(group[f"{kind}_{m}"])
            row.update({f"{kind}_{m}_median": med, f"{kind}_{m}_q25": q25, f"{kind}_{m}_q75": q75})
    return row


def reached(group: pd.DataFrame) -> dict:
    """How far a configuration's replicates got: the iteration all of them reached, the
    budget, and whether the scheduler stopped it early (its values are from a smaller budget:
    not comparable as equals with those of configurations that ran the whole budget)."""
    its, budgets = group["iteration"].dropna(), group["budget"].dropna()
    return {"iterations": int(its.min()) if len(its) else None,
            "budget": int(budgets.max()) if len(budgets) else None,
            "stopped": bool((group["state"] == "stopped").any())}


def configurations(res: Results) -> pd.DataFrame:
    """One row per (experiment, model, config_id) with a value, sorted best first by the
    median over replicates of best_<metric>; ties go to more replicates. Configurations the
    scheduler stopped early come after all others, the furthest-reaching first: a value at
    20k iterations is never ranked against one at the full budget as if they were equal."""
    if res.metric not in res.metrics:
        return pd.DataFrame()
    scored = res.trials[res.trials[f"best_{res.metric}"].notna()]
    rows = []
    for (exp, model, cid), g in scored.groupby(["experiment", "model", "config_id"], sort=True):
        params = {p: g[p].iloc[0] for p in res.swept}
        rows.append({"experiment": exp, "model": model, "config_id": int(cid), **params,
                     "trials": ", ".join(g["trial_id"]), **reached(g),
                     **summarise(g, table_metrics(res))})
    if not rows:
        return pd.DataFrame()
    key = f"best_{res.metric}_median"
    df = pd.DataFrame(rows)
    df["_reach"] = np.where(df["stopped"], df["iterations"].fillna(0), np.inf)
    return (df.sort_values(["stopped", "_reach", key, "seeds", "experiment", "config_id"],
                           ascending=[True, False, res.mode == "min", False, True, True])
            .drop(columns="_reach").reset_index(drop=True))


def best_per_model(res: Results) -> pd.DataFrame:
    """Table 5.2: each model's best configuration, best model first."""
    configs = configurations(res)
    if configs.empty:
        return configs
    return configs.drop_duplicates(["experiment", "model"]).reset_index(drop=True)


def best_configurations(res: Results, top: int = 10) -> pd.DataFrame:
    return configurations(res).head(top)


# --- display --------------------------------------------------------------------------------

def fmt(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.4g}"
    return str(value)


def reach(row: pd.Series) -> str:
    """"20000 of 100000, stopped" for a configuration the scheduler stopped early."""
    if row.get("iterations") is None or pd.isna(row.get("iterations")):
        return "–"
    it = f"{int(row['iterations'])}"
    return f"{it} of {int(row['budget'])}, stopped" if row.get("stopped") else it


def cell(row: pd.Series, prefix: str) -> str:
    med, lo, hi = row[f"{prefix}_median"], row[f"{prefix}_q25"], row[f"{prefix}_q75"]
    if np.isnan(med):
        return "–"
    return f"{med:.4g}" if lo == hi else f"{med:.4g} [{lo:.4g}, {hi:.4g}]"


def display(df: pd.DataFrame, res: Results, params: bool) -> pd.DataFrame:
    """The report's view: model, config, seeds, best and final of each table metric."""
    out = []
    for _, r in df.iterrows():
        row = {"model": res.label(r["experiment"], r["model"]), "config": r["config_id"]}
        if params:
            row.update({p: fmt(r[p]) for p in res.swept})
        row["seeds"] = r["seeds"]
        row["iterations"] = reach(r)
        for m in table_metrics(res):
            row[f"{m} best"], row[f"{m} final"] = cell(r, f"best_{m}"), cell(r, f"final_{m}")
        out.append(row)
    return pd.DataFrame(out)


# --- held-out scores and verdicts -----------------------------------------------------------

def has_heldout(res: Results, metric: str | None = None) -> bool:
    return f"{HELDOUT}{metric or res.metric}" in res.trials


def seed_scores(res: Results, metric: str) -> dict[str, list[float]]:
    """Per model, one score per seed of its best configuration: the held-out score of each
    trial's best checkpoint where `gansweep eval EXPERIMENT` made one, else the best value
    seen in training. Models without a value of the metric are left out."""
    source = f"{HELDOUT}{metric}" if has_heldout(res) else f"best_{metric}"
    out = {}
    for _, best in best_per_model(res).iterrows():
        t = res.trials
        group = t[(t["experiment"] == best["experiment"]) & (t["config_id"] == best["config_id"])]
        if source in group and group[source].notna().any():
            out[res.label(best["experiment"], best["model"])] = [float(v) for v in group[source].dropna()]
    return out


def heldout_display(res: Results) -> pd.DataFrame:
    """Each model's best configuration: its held-out scores, median [25th, 75th percentile]
    over seeds, and the training best of the sweep's metric beside them."""
    rows = []
    for _, best in best_per_model(res).iterrows():
        t = res.trials
        g = t[(t["experiment"] == best["experiment"]) & (t["config_id"] == best["config_id"])]
        row = {"model": res.label(best["experiment"], best["model"]), "seeds": int(g[f"{HELDOUT}{res.metric}"].notna().sum())}
        for m in table_metrics(res):
            med, lo, hi, n = stats.median_iqr(g[f"{HELDOUT}{m}"]) if f"{HELDOUT}{m}" in g else (np.nan,) * 3 + (0,)
            row[f"{m} held-out"] = "–" if not n else f"{med:.4g}" if lo == hi else f"{med:.4g} [{lo:.4g}, {hi:.4g}]"
        med, lo, hi, _ = stats.median_iqr(g[f"best_{res.metric}"])
        row[f"{res.metric} best in training"] = fmt(med) if lo == hi else f"{med:.4g} [{lo:.4g}, {hi:.4g}]"
        rows.append(row)
    return pd.DataFrame(rows)
