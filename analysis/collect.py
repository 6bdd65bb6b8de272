"""Experiment directories -> evals.parquet (one row per evaluation) and trials.parquet (one
row per trial). Columns and types are documented in the README ("Analysis tables").

The tables are derived from the per-trial records and can be rebuilt at any time, so
collecting is a pure function of the files: rows in a fixed order, columns in a fixed order,
nothing about the moment of collection written down, so a second run gives the same bytes.
Several experiments merge into one pair of tables; a metric or hyperparameter an experiment
lacks is null there, except that a hyperparameter another experiment swept is filled from the
trial's resolved config (its fixed value).
"""

from __future__ import annotations

import io
import math
from collections import Counter

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis import protocols, stats
from analysis.experiment import Eval, Experiment, Trial, read_experiment
from gansweep.metrics import registry
from gansweep.metrics.provenance import IncomparableScores, protocol_id
from gansweep.sweep.storage import Location

EVALS_FILE, TRIALS_FILE, TRAIN_FILE = "evals.parquet", "trials.parquet", "train.parquet"
HELDOUT = "heldout_"  # trials.parquet: heldout_<metric>, the best checkpoint on fresh latents
TRAIN_FIXED = ("kind", "iteration", "time", "epoch")  # metrics.jsonl keys that are no scalar

IDENTITY = {"experiment": pa.string(), "trial_id": pa.string(), "config_id": pa.int64(),
            "replicate": pa.int64(), "seed": pa.int64(), "model": pa.string(), "dataset": pa.string()}
EVAL_FIXED = {**IDENTITY, "iteration": pa.int64(), "epoch": pa.float64(), "time_s": pa.float64()}
TRIAL_FIXED = {**IDENTITY, "state": pa.string(), "error": pa.string(), "failures": pa.int64(),
               "iteration": pa.int64(), "budget": pa.int64(), "evaluations": pa.int64(),
               "time_s": pa.float64(), "metric": pa.string(), "mode": pa.string(),
               "optimize": pa.string(), "objective": pa.float64()}
HELDOUT_FIXED = {f"{HELDOUT}iteration": pa.int64(), f"{HELDOUT}seed": pa.int64(),
                 f"{HELDOUT}samples": pa.int64()}


def collect(experiments: list[str], out: str | None = None,
            split_protocols: bool = False) -> tuple[str, pa.Table, pa.Table]:
    """Read every experiment, write OUT/evals.parquet and OUT/trials.parquet; returns
    (OUT, evals, trials). OUT defaults to the first experiment's analysis/ directory.
    Evaluations of one metric under different protocols are refused (IncomparableScores),
    or with `split_protocols` kept apart as one labelled metric per protocol."""

    exps = read_all(experiments)
    evals, trials = build_tables(exps, split_protocols)
    where = Location(out) if out else Location(experiments[0]).child("analysis")
    write_parquet(evals, where, EVALS_FILE)
    write_parquet(trials, where, TRIALS_FILE)
    write_parquet(build_train_table(exps), where, TRAIN_FILE)  # every training scalar
    return str(where), evals, trials


def read_all(experiments: list[str]) -> list[Experiment]:
    """Named by directory; where two share a name (merged copies), by their full URI."""
    names = [str(Location(e)).rstrip("/").rsplit("/", 1)[-1] for e in experiments]
    counts = Counter(names)
    return [read_experiment(e, n if counts[n] == 1 else str(Location(e)))
            for e, n in zip(experiments, names)]


def build_tables(exps: list[Experiment], split_protocols: bool = False) -> tuple[pa.Table, pa.Table]:
    """(evals, trials). Each metric column holds one protocol (evals' `protocol:<metric>`
    names it; the schema metadata and protocols_of() give its fields)."""
    names = protocols.Names(exps, split_protocols)
    metrics = sorted({names.column(t, m) for x in exps for t in x.trials for e in t.evals
                      for m in e.metrics})
    swept = sorted({q["key"] for x in exps for q in x.resolved.get("search", [])}
                   | {k for x in exps for t in x.trials for k in t.params})
    heldout = heldout_metrics(exps)
    eval_rows, trial_rows = [], []
    for x in exps:
        for t in x.trials:
            ident, hp = identity(x, t), {k: t.params.get(k, t.config.get(k)) for k in swept}
            evals = names.relabelled(t)
            for e in evals:
                eval_rows.append({**ident, "iteration": e.iteration, "epoch": e.epoch, "time_s": e.time_s,
                                  **e.metrics, **names.ids(t, e.metrics), **hp})
            summary = trial_summary(x, t, metrics, evals, names.column(t, x.metric))
            trial_rows.append({**ident, **summary, **heldout_row(t, heldout), **hp})
    eval_types = {**EVAL_FIXED, **{m: pa.float64() for m in metrics},
                  **{protocols.column(m): pa.string() for m in metrics}}
    trial_types = dict(TRIAL_FIXED)
    for m in metrics:
        trial_types.update({f"best_{m}": pa.float64(), f"best_{m}_iteration": pa.int64(),
                            f"final_{m}": pa.float64(), f"final_{m}_iteration": pa.int64()})
    if heldout:
        trial_types.update({**HELDOUT_FIXED, **{HELDOUT + m: pa.float64() for m in heldout}})
    evals = table(eval_rows, eval_types, swept)
    return protocols.with_metadata(evals, names.fields), table(trial_rows, trial_types, swept)


def heldout_metrics(exps: list[Experiment]) -> list[str]:
    """The metrics of the trials' held-out scores (`gansweep eval EXPERIMENT`). One column
    holds one protocol: scores made with another latent seed, sample count or judge are
    refused, as evaluations are (there is no split for them: score them again alike)."""
    seen: dict[str, dict[str, list[str]]] = {}
    for x in exps:
        for t in x.trials:
            for m, v in (t.heldout.get("metrics") or {}).items():
                prov = (t.heldout.get("provenance") or {}).get(m)
                if _number(v) and registry.direction(m):
                    pid = protocol_id(prov) if isinstance(prov, dict) else "-"
                    seen.setdefault(m, {}).setdefault(pid, []).append(f"{x.name}/{t.trial_id}")
    mixed = [f"held-out {m}: protocols {', '.join(f'{p} ({len(ts)} trials, e.g. {ts[0]})' for p, ts in by.items())}"
             for m, by in sorted(seen.items()) if len(by) > 1]
    if mixed:
        raise IncomparableScores(mixed + ["score every trial again with one `gansweep eval EXPERIMENT "
                                          "--seed S --samples N`"],
                                 "held-out scores of one metric were made under different protocols")
    return sorted(seen)


def heldout_row(t: Trial, metrics: list[str]) -> dict:
    if not metrics or not t.heldout:
        return {}
    scores = t.heldout.get("metrics") or {}
    return {f"{HELDOUT}iteration": t.heldout.get("iteration"), f"{HELDOUT}seed": t.heldout.get("seed"),
            f"{HELDOUT}samples": t.heldout.get("samples"),
            **{HELDOUT + m: scores.get(m) for m in metrics if _number(scores.get(m))}}


def identity(x: Experiment, t: Trial) -> dict:
    layers = x.resolved.get("config") or {}
    return {"experiment": x.name, "trial_id": t.trial_id, "config_id": t.config_id,
            "replicate": t.replicate, "seed": t.config.get("train.seed"),
            "model": t.config.get("model.preset") or x.resolved.get("model"),
            "dataset": t.config.get("data.name") or layers.get("data", {}).get("name")}


def trial_summary(x: Experiment, t: Trial, metrics: list[str], evals: list[Eval] | None = None,
                  objective: str | None = None) -> dict:
    """`evals` and `objective`: the trial's evaluations and the column of the sweep's metric
    as collected (labelled by protocol when collect keeps protocols apart)."""
    evals, objective = t.evals if evals is None else evals, objective or x.metric
    row = {"state": t.state, "error": t.error, "failures": t.failures, "iteration": t.last_iteration,
           "budget": t.config.get("train.iterations") or x.resolved.get("iterations"),
           "evaluations": len(t.evals), "time_s": t.time_s, "metric": x.metric, "mode": x.mode,
           "optimize": x.optimize}
    series = {m: [(e.iteration, e.metrics[m]) for e in evals
                  if m in e.metrics and not math.isnan(e.metrics[m])] for m in metrics}
    anchor = None  # the best evaluation by the sweep's metric pairs the metrics without a direction
    if objective in series:
        anchor = stats.best_of(series[objective], x.mode)
    for m in metrics:
        way = x.mode if m == objective else registry.direction(m)
        best = (stats.best_of(series[m], way) if way else
                next(((i, v) for i, v in series[m] if anchor and i == anchor[0]), None))
        final = series[m][-1] if series[m] else None
        row.update({f"best_{m}": best and best[1], f"best_{m}_iteration": best and best[0],
                    f"final_{m}": final and final[1], f"final_{m}_iteration": final and final[0]})
    if objective in metrics:
        row["objective"] = row[f"{'final' if x.optimize == 'last' else 'best'}_{objective}"]
    return row


def table(rows: list[dict], types: dict[str, pa.DataType], params: list[str]) -> pa.Table:
    """The typed columns in order, then one column per hyperparameter (narrowest type that
    holds all its values; lists and mappings as JSON text). NaN is written as null."""
    types = {**types, **{p: infer_type([r.get(p) for r in rows]) for p in params if p not in types}}
    columns = {name: pa.array([cell(r.get(name), t) for r in rows], type=t) for name, t in types.items()}
    return with_pandas_metadata(pa.table(columns, schema=pa.schema(list(types.items()))))


def infer_type(values: list) -> pa.DataType:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.bool_()
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.int64()
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.float64()
    return pa.string()


def cell(value, dtype: pa.DataType):
    if value is None:
        return None
    if pa.types.is_string(dtype):
        return value if isinstance(value, str) else stats.json_text(value)
    if pa.types.is_floating(dtype):
        return None if math.isnan(value) else float(value)
    return value


def with_pandas_metadata(t: pa.Table) -> pa.Table:
    """pandas metadata asking for nullable Int64/boolean columns, so that pandas reads an
    integer column with nulls as integers (not floats); pyarrow readers ignore it."""
    mapping = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    empty = t.slice(0, 0).to_pandas(types_mapper=mapping.get)
    meta = pa.Table.from_pandas(empty, schema=t.schema, preserve_index=False).schema.metadata
    return t.replace_schema_metadata(meta)


def write_parquet(t: pa.Table, where: Location, name: str) -> None:
    buf = io.BytesIO()
    pq.write_table(t, buf, compression="zstd")
    where.fs.create_dir(where.path, recursive=True)
    with where.fs.open_output_stream(where.join(name)) as f:
        f.write(buf.getvalue())


def read_parquet(where: Location, name: str) -> pd.DataFrame:
    with where.fs.open_input_file(where.join(name)) as f:
        return pq.read_table(f).to_pandas()


def build_train_table(exps: list[Experiment]) -> pa.Table:
    """train.parquet: every training scalar of every trial (losses, the Wasserstein estimate,
    gradient norms, D's outputs, the depth study's failure signals), one row per logged
    iteration, identity columns as in evals.parquet, then `iteration`, `time_s`, `epoch`
    and one float64 column per scalar (null where a trial did not log it)."""
    scalars = sorted({k for x in exps for t in x.trials for r in t.train
                      for k, v in r.items() if k not in TRAIN_FIXED and _number(v)})
    rows = []
    for x in exps:
        for t in sorted(x.trials, key=lambda t: (t.config_id is None, t.config_id or 0,
                                                  t.replicate or 0, t.trial_id)):
            ident = identity(x, t)
            last: dict[int, dict] = {}  # a line repeated after a resume keeps its last copy
            for r in t.train:
                last[r["iteration"]] = r
            for it in sorted(last):
                r = last[it]
                rows.append({**ident, "iteration": it, "time_s": _float(r.get("time")),
                             "epoch": _float(r.get("epoch")),
                             **{k: _float(r.get(k)) for k in scalars}})
    types = {**EVAL_FIXED, **{k: pa.float64() for k in scalars}}
    return table(rows, types, [])


def _float(v):  # NaN and infinities as null, as every table here
    return float(v) if _number(v) and math.isfinite(v) else None


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
