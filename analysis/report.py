"""`report(EXPERIMENT)`: the tables, figures, samples, failures and spec of one experiment, as
DIR/report.md (figures in DIR/images/) and a self-contained DIR/report.html.

The tables are collected afresh in memory (cheap, and right for a running experiment);
only the sample figures read checkpoints: each model's best trial, at the kept checkpoint
nearest its best evaluation.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analysis import optuna_plots, plots, render, samples, stats, tables, verdicts
from analysis.collect import build_tables
from analysis.experiment import Experiment, read_experiment
from analysis.tables import Results, fmt
from gansweep.metrics import registry
from gansweep.sweep.storage import Location


def report(experiment: str, out: str | None = None, with_samples: bool = True,
           baseline: str | None = None) -> str:
    """Write the report; returns where it went (OUT, default EXPERIMENT/report). `baseline`:
    the model the others are judged against (default: the spec's `model` when the sweep
    compares several models)."""
    exp = read_experiment(experiment)
    # One column per protocol: a metric whose trials were scored under different protocols
    # (analysis/protocols.py) is shown as separate <metric>@<protocol> columns, never mixed.
    res = tables.results(*build_tables([exp], split_protocols=True))
    where = Location(out) if out else exp.where.child("report")
    work = Path(where.path) if where.is_local else Path(tempfile.mkdtemp(prefix="gansweep-report-"))
    try:
        shutil.rmtree(work / "images", ignore_errors=True)  # no figure of an earlier report lingers
        blocks = build(res, exp, work / "images", with_samples, baseline)
        work.mkdir(parents=True, exist_ok=True)
        from analysis.latex import write_tables
        tex = write_tables(blocks, work / "tables")
        blocks.insert(2, ("p", f"For a paper: every table below is also LaTeX (booktabs) in "
                               f"`tables/` ({len(tex)} files), every figure also a PDF beside its "
                               "PNG in `images/`."))
        (work / "report.md").write_text(render.to_markdown(blocks, work))
        (work / "report.html").write_text(render.to_html(blocks, f"gansweep report: {exp.name}"))
        if not where.is_local:
            for f in sorted(p for p in work.rglob("*") if p.is_file()):
                where.fs.create_dir(where.join(f.parent.relative_to(work).as_posix()), recursive=True)
                with where.fs.open_output_stream(where.join(f.relative_to(work).as_posix())) as dst:
                    dst.write(f.read_bytes())
    finally:
        if not where.is_local:
            shutil.rmtree(work, ignore_errors=True)
    return str(where)


def build(res: Results, exp: Experiment, images: Path, with_samples: bool,
          baseline: str | None = None) -> list[tuple]:
    blocks = (header(res, exp) + table_section(res) + comparison_section(res, exp, baseline)
              + figure_section(res, exp, images))
    if with_samples:
        blocks += sample_section(res, exp, images)
    return blocks + failure_section(res) + trials_section(res) + [
        ("h2", "Spec"), ("pre", exp.spec_text or "(no gansweep-spec.yaml: the experiment has not started)")]


def header(res: Results, exp: Experiment) -> list[tuple]:
    states = ", ".join(f"{n} {s}" for s, n in sorted(res.trials["state"].value_counts().items()))
    told = (f"Optuna was told, per configuration, the mean over its replicates of each trial's "
            f"**{exp.optimize}** `{exp.metric}` (`optimize: {exp.optimize}`); a configuration with a "
            "diverged or errored replicate was told it failed")
    return [("h1", f"Sweep report: {exp.name}"),
            ("list", [f"experiment: `{exp.where}`",
                      f"{len(res.trials)} trials ({states or 'none yet'}); {len(res.evals)} evaluations",
                      f"model: {', '.join(sorted(res.trials['model'].dropna().unique())) or '–'}",
                      f"metric: `{exp.metric}` ({exp.mode} is better)", told,
                      "swept: " + (", ".join(f"`{p}`" for p in res.swept) or "nothing")]
             + protocol_notes(res))]


def protocol_notes(res: Results) -> list[str]:
    """Metrics whose trials were scored under different protocols (another judge, sample
    count, ...): each protocol is its own column; say so, and which one the tables follow."""
    split: dict[str, list[str]] = {}
    for m in res.metrics:
        if "@" in m:
            split.setdefault(m.split("@", 1)[0], []).append(m)
    return [f"`{base}` was scored under {len(cols)} different protocols, never compared: "
            + ", ".join(f"`{c}`" for c in cols)
            + (f"; tables and curves follow `{res.metric}` (most trials)" if res.metric in cols else "")
            for base, cols in sorted(split.items())]


def table_section(res: Results) -> list[tuple]:
    best = tables.best_per_model(res)
    if best.empty:
        return [("p", "No evaluation has been recorded yet: no tables or figures.")]
    metrics = ", ".join(f"`{m}`" for m in tables.table_metrics(res))
    return [("h2", "Best configuration per model (Table 5.2 of the thesis, with error bars)"),
            ("p", f"{metrics}: median [25th, 75th percentile] over the replicate seeds of each model's "
                  "best configuration (by median best value). **best** is the best evaluation during "
                  "training (the thesis's maxima); **final** is the last, a less optimistic estimate "
                  "(thesis 5.0.8). Conditioning success is `cond_acc`: the fraction of samples a "
                  "classifier assigns to the class asked for."),
            ("table", tables.display(best, res, params=True))] + (
        [] if len(tables.configurations(res)) == len(best) else  # a grid of one configuration per model
        [("h2", "Best sampled configurations"),
         ("table", tables.display(tables.best_configurations(res), res, params=True))])


def comparison_section(res: Results, exp: Experiment, baseline: str | None) -> list[tuple]:
    """Held-out scores and the verdicts against a baseline model (analysis/verdicts.py)."""
    models = set(res.trials["model"].dropna())
    baseline = baseline or (exp.resolved.get("model") if len(models) > 1 else None)
    if res.metric not in res.metrics or baseline is None:
        return []
    if baseline not in models:
        raise ValueError(f"baseline {baseline!r} is not a model of this experiment "
                         f"({', '.join(sorted(models))})")
    out: list[tuple] = []
    if tables.has_heldout(res):
        t = res.trials
        seeds = ", ".join(fmt(v) for v in sorted(t["heldout_seed"].dropna().unique()))
        samples = ", ".join(fmt(v) for v in sorted(t["heldout_samples"].dropna().unique()))
        source = (f"the held-out scores of each trial's checkpoint at its best `{res.metric}` "
                  f"evaluation, scored again on {samples} samples from fresh latents (seed {seeds}; "
                  "`gansweep eval EXPERIMENT`)")
        out += [("h2", "Held-out scores (thesis 5.0.8: a test set, not the maxima seen in training)"),
                ("p", f"{source[0].upper()}{source[1:]}. Median [25th, 75th percentile] over the seeds "
                      "of each model's best configuration; the last column is the training best the "
                      "checkpoint was chosen by, for comparison."),
                ("table", tables.heldout_display(res))]
    else:
        source = (f"the best `{res.metric}` seen in training (no held-out scores: run "
                  "`gansweep eval EXPERIMENT --seed 1` first for the thesis's test-set protocol)")
    scores = {m: tables.seed_scores(res, m) for m in tables.table_metrics(res)}
    primary = scores.get(res.metric, {})
    if len(primary.get(baseline, [])) < 2 or len(primary) < 2:
        return out + [("p", f"No verdicts against {baseline}: they need at least two seeds of it "
                            "and of another model.")]
    found = verdicts.verdicts(primary, baseline, res.mode)
    k, n = len(found) - 1, min(len(v) for v in primary.values())
    p_min = verdicts.min_rank_test_p(n, n)
    out += [("h2", f"Verdicts against {baseline}"),
            ("p", f"Scores: {source}. For each model, the difference of its median `{res.metric}` "
                  f"from {baseline}'s, with a {100 * (1 - verdicts.ALPHA / k):.3g} % percentile-bootstrap "
                  f"interval ({verdicts.RESAMPLES:,} resamples of each model's seeds, independently): "
                  f"a {100 * verdicts.ALPHA:g} % family-wise error split by Bonferroni over the {k} "
                  "comparisons. **better** / **worse**: the interval excludes 0; otherwise no "
                  "difference is shown. **rank**: each model's median has a "
                  f"{100 * (1 - verdicts.ALPHA / len(found)):.3g} % interval; a model ranks above "
                  "another only where their intervals do not overlap, so a rank is a range."),
            ("p", f"Why a bootstrap and not a rank test: with {n} seeds per model the smallest "
                  f"two-sided Mann-Whitney p is {p_min:.2g}, "
                  + (f"above the first Holm/Bonferroni threshold {verdicts.ALPHA / k:.2g}: a rank "
                     "test could not reject anything here. " if p_min > verdicts.ALPHA / k else
                     f"below the first Holm/Bonferroni threshold {verdicts.ALPHA / k:.2g}. ")
                  + "The bootstrap also gives the effect in the metric's units, as Table 5.2 does. "
                  "With few seeds its extreme quantiles are the extreme seeds, so a verdict means "
                  "the seed ranges are clearly apart."),
            ("table", pd.DataFrame([{
                "rank": verdicts.rank_text(v.rank), "model": v.model, "seeds": v.seeds,
                f"median {res.metric}": f"{v.median:.4g} [{v.low:.4g}, {v.high:.4g}]",
                f"difference from {baseline}": ("–" if v.diff is None else
                                                f"{v.diff:+.4g} [{v.diff_low:+.4g}, {v.diff_high:+.4g}]"),
                "verdict": v.verdict} for v in found]))]
    others = {m: s for m, s in scores.items() if m != res.metric and len(s.get(baseline, [])) >= 2
              and len(s) > 1 and registry.direction(m)}
    if others:
        cols: dict[str, dict[str, str]] = {}
        for m, s in others.items():
            for v in verdicts.verdicts(s, baseline, registry.direction(m)):
                if v.diff is not None:
                    cols.setdefault(v.model, {})[f"{m} ({registry.direction(m)} is better)"] = (
                        f"{v.diff:+.4g} [{v.diff_low:+.4g}, {v.diff_high:+.4g}] {v.verdict}")
        order = [v.model for v in found if v.model in cols]
        out += [("p", f"The same comparison for the other metrics (difference of medians from {baseline}, "
                      "its interval, the verdict):"),
                ("table", pd.DataFrame([{"model": m, **cols[m]} for m in order]).fillna("–"))]
    return out


def _file_safe(name) -> str:
    """A file name made from an experiment's contents (metric, trial id): one component of
    safe characters, so no file lands outside the report's images directory."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(name)).lstrip(".") or "_"


def figure_section(res: Results, exp: Experiment, images: Path) -> list[tuple]:
    out = [("h2", "Figures")]

    def figure(name: str, data, caption: str) -> None:
        if data:
            out.append(("img", str(images / name), caption))

    # A budget in epochs (the GAN vs WGAN report: 40 GAN epochs vs 100 WGAN epochs) is compared in epochs.
    by_epoch = (any(t.config.get("train.epochs") is not None for t in exp.trials)
                and "epoch" in res.evals and res.evals["epoch"].notna().all())
    x = "epoch" if by_epoch else "iteration"
    for m in dict.fromkeys(m for m in (res.metric, res.is_metric) if m):
        figure(f"curve-{_file_safe(m)}.png",
               plots.plot_curves(res, m, images / f"curve-{_file_safe(m)}.png", x),
               f"`{m}` against {x}, each model's best configuration: raw values faint, moving "
               f"average (the thesis's window of 10 evaluations for FID and 20 for IS, at most a fifth "
               "of a run's evaluations), "
               "median over seeds, band from the lowest to the highest seed")
    log = {q["key"] for q in exp.resolved.get("search", []) if q.get("kind") == "loguniform"}
    figure("params.png", plots.plot_params(res, images / "params.png", log),
           f"best `{res.metric}` of every trial against each swept hyperparameter")
    study, source = optuna_plots.study_of(exp, res)
    captions = {"history": "optimisation history: the value each configuration was told, best so far",
                "slice": "slice: the told value against each searched hyperparameter",
                "importance": "hyperparameter importance (fANOVA, seeded)",
                "contour": "contour of the told value over pairs of hyperparameters"}
    drawn = optuna_plots.figures(study, images) if study is not None else []
    for name, path in drawn:
        figure(path.name, path, f"{captions[name]}; Optuna's plot of {source}")
    if not drawn:
        out.append(("p", f"Optuna's search figures: none ({source})."))
    figure("wallclock.png", plots.plot_wallclock(res, images / "wallclock.png"),
           f"`{res.metric}` against wall-clock training time, every trial")
    return out


def sample_section(res: Results, exp: Experiment, images: Path) -> list[tuple]:
    out = [("h2", "Samples, latent interpolation, nearest neighbours"),
           ("p", "From each model's best trial, at the kept checkpoint nearest its best evaluation. "
                 "Grids show the first ten classes, one per row (thesis Appendix A); strips sweep one "
                 "latent dimension from -2.5 to 2.5 (Figures 5.14-5.18); the last figure pairs samples "
                 "with their nearest training images (Figure 5.13).")]
    col = f"best_{res.metric}"
    for _, best in tables.best_per_model(res).iterrows():
        group = res.trials[(res.trials["experiment"] == best["experiment"]) & (res.trials["config_id"] == best["config_id"])]
        top = group.sort_values([col, "trial_id"], ascending=[res.mode == "min", True]).iloc[0]
        trial = next(t for t in exp.trials if t.trial_id == top["trial_id"])
        out.append(("h3", f"{top['model']}, trial {trial.trial_id}"))
        if not trial.checkpoints:
            out.append(("p", "No checkpoint of this trial was kept: no samples."))
            continue
        it = min(trial.checkpoints, key=lambda i: (abs(i - int(top[f"{col}_iteration"])), -i))
        out += generator_figures(exp, trial.checkpoints[it], it, images / f"{_file_safe(trial.trial_id)}-")
    return out


def generator_figures(exp: Experiment, ckpt: str, iteration: int, prefix: Path) -> list[tuple]:
    from gansweep.data import load_dataset
    from gansweep.run import load_trainer  # the one use of the trainer (DESIGN.md)
    from gansweep.task import GenerativeTask

    scratch = Path(tempfile.mkdtemp(prefix="gansweep-ckpt-"))
    try:
        task = load_trainer(exp.where.download(ckpt, scratch / "ckpt.pt"), device="cpu")
        real = load_dataset(task.cfg.data, "train")
    except Exception as err:  # noqa: BLE001 - any reason is reported; the report goes on
        return [("p", f"Checkpoint `{ckpt}` could not be used: {type(err).__name__}: {err}")]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not isinstance(task, GenerativeTask):  # the chapter-2 classifier: nothing to draw
        return [("p", f"`{task.cfg.model.preset}` is a classifier (model.arch "
                      f"{task.cfg.model.arch}): it has no generator, so no samples; its "
                      "validation accuracy and loss are in the tables and curves above.")]
    if real.is_points:  # the depth study's R^2 data: the thesis's scatter (Figure 5.1)
        from analysis.points import plot_points
        plot_points(task, real.points, Path(f"{prefix}points.png"))
        return [("img", f"{prefix}points.png", f"10,000 samples at iteration {iteration} over the data")]
    real = real.images
    grid, interp, nn = (Path(f"{prefix}{n}.png") for n in ("grid", "interpolation", "neighbours"))
    samples.plot_sample_grid(task, grid)
    dims = ", ".join(map(str, samples.plot_interpolation(task, interp)["dims"]))
    near = samples.plot_nearest_neighbours(task, real, nn)
    return [("img", str(grid), f"samples at iteration {iteration}, one class per row"),
            ("img", str(interp), f"latent dimensions {dims} swept from -2.5 to 2.5, one per row"),
            ("img", str(nn), f"nearest training images (median L2 distance {pd.Series(near['distance']).median():.3g})")]


def failure_section(res: Results) -> list[tuple]:
    failed = res.trials[res.trials["state"].isin(stats.FAILED) | res.trials["error"].notna()]
    if failed.empty:
        return [("h2", "Failed trials"), ("p", "No trial errored or diverged.")]
    rows = pd.DataFrame({"trial": failed["trial_id"], "config": failed["config_id"], "seed": failed["seed"],
                         "state": failed["state"], "iteration": failed["iteration"],
                         "failures": failed["failures"], "why": failed["error"]}).map(fmt)
    return [("h2", f"Failed trials ({len(failed)})"),
            ("p", "Errored: the trial raised and Ray gave up retrying (last line of its traceback). "
                  "Diverged: a loss became non-finite; it is not retried. A trial Ray retried to its "
                  "budget counts as finished and keeps its last error here."),
            ("table", rows)]


def trials_section(res: Results) -> list[tuple]:
    t = res.trials
    cols = {"trial": t["trial_id"], "config": t["config_id"], "seed": t["seed"], "state": t["state"],
            "iterations": [f"{fmt(i)}/{fmt(b)}" for i, b in zip(t["iteration"], t["budget"])]}
    cols.update({p: t[p] for p in res.swept})
    if f"best_{res.metric}" in t:
        cols[f"best {res.metric}"] = [f"{fmt(v)} @{fmt(i)}" for v, i in
                                      zip(t[f"best_{res.metric}"], t[f"best_{res.metric}_iteration"])]
        cols[f"final {res.metric}"] = t[f"final_{res.metric}"]
    return [("h2", "All trials"), ("table", pd.DataFrame(cols).map(fmt))]
