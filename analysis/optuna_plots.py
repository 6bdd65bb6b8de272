"""Optuna's own figures of an experiment's search: optimisation history, slice, parameter
importances (fANOVA, seeded) and contour, drawn by optuna.visualization.matplotlib from the
study the searcher kept (EXPERIMENT/optuna-study.log, gansweep.sweep.study). Infeasible
(diverged) and pruned configurations appear as Optuna shows them.

An experiment older than the stored study gets the same figures from a study rebuilt from
its tables (analysis.importance.build_study: one trial per configuration with the value the
searcher told it); the caption says which.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib
import numpy as np
import optuna

from analysis.importance import build_study
from analysis.plots import save
from analysis.tables import Results
from gansweep.sweep.study import STUDY_FILE, load_study

matplotlib.use("Agg")  # pyplot below, without a display
import matplotlib.pyplot as plt  # noqa: E402


def study_of(exp, res: Results) -> tuple[optuna.Study | None, str]:
    """(study, where it came from) or (None, why there is none)."""
    try:
        return load_study(exp.where), f"the experiment's stored Optuna study ({STUDY_FILE})"
    except FileNotFoundError:  # none, or a sweep starting right now has not written it yet
        pass
    study, why = build_study(res, exp.resolved.get("search", []))
    return (study, "a study rebuilt from the collected tables") if study else (None, why)


def figures(study: optuna.Study, images: Path) -> list[tuple[str, Path]]:
    """(name, PNG path) of every figure the study supports; PDFs beside them."""
    vis = optuna.visualization.matplotlib
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    params = sorted({p for t in done for p in t.params})
    plots = [("history", lambda: vis.plot_optimization_history(study))]
    if params:
        plots.append(("slice", lambda: vis.plot_slice(study, params=params)))
    if len(params) >= 2 and len(done) >= 2:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        plots.append(("importance", lambda: vis.plot_param_importances(study, evaluator=evaluator)))
        plots.append(("contour", lambda: vis.plot_contour(study, params=params[:4])))
    out = []
    # Optuna's matplotlib functions call plt.style.use("ggplot"), which changes the global
    # rcParams: every later figure (the sample grids) got grid lines through its images.
    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore")  # optuna marks its matplotlib backend experimental
        for name, draw in plots:
            try:
                axes = draw()
            except (ValueError, RuntimeError):  # e.g. every value equal: no importance
                continue
            fig = (axes.flat[0] if isinstance(axes, np.ndarray) else axes).figure  # slice: a grid
            path = save(fig, images / f"optuna-{name}.png")
            plt.close(fig)
            out.append((name, path))
    return out
