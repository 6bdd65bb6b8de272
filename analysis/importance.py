"""Hyperparameter importance: fANOVA on an Optuna study rebuilt from trials.parquet, for
experiments without a stored study (analysis/optuna_plots.py draws from the stored one).

What importance needs is in the tables: one Optuna trial per configuration, with
the value the searcher told it (the mean objective over its replicates, stats.told) and the
distributions of the spec's search space (resolved.search), rebuilt here as
gansweep.sweep.space does. Seeded, so the same tables give the same importances.
"""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from analysis import stats
from analysis.tables import Results


def distribution(kind: str, values: list):
    if kind == "loguniform":
        return FloatDistribution(float(values[0]), float(values[1]), log=True)
    if kind == "uniform":
        return FloatDistribution(float(values[0]), float(values[1]))
    if kind == "int":
        return IntDistribution(int(values[0]), int(values[1]))
    return CategoricalDistribution(list(values))


def build_study(res: Results, search: list[dict]) -> tuple[optuna.Study | None, str]:
    """(study, "") or (None, why not). `search` is resolved.search of the experiment."""
    dists = {q["key"]: distribution(q["kind"], q["values"]) for q in search if q["key"] in res.swept}
    told = stats.told(res.trials)
    told = told[told["value"].notna()]
    if len(told) < 2 or not dists:
        return None, f"{len(told)} configuration(s) with a value and {len(dists)} swept key(s)"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize" if res.mode == "min" else "maximize")
    first = res.trials.drop_duplicates(["experiment", "config_id"]).set_index(["experiment", "config_id"])
    for row in told.itertuples():
        params = {k: first.loc[(row.experiment, row.config_id), k] for k in dists}
        params = {k: v.item() if hasattr(v, "item") else v for k, v in params.items()}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=row.value))
    return study, ""


def importances(res: Results, search: list[dict]) -> dict:
    """{"importances": {key: share of variance}, "configurations": n, "reason": why empty}."""
    study, reason = build_study(res, search)
    if study is None:
        return {"importances": {}, "configurations": 0, "reason": reason}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
    try:
        imp = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError) as err:  # e.g. every value equal
        return {"importances": {}, "configurations": len(study.trials), "reason": str(err)}
    return {"importances": dict(imp), "configurations": len(study.trials), "reason": ""}
