"""train.parquet: every training scalar of every trial, one row per logged iteration.

The trainer logs its scalars (losses, the Wasserstein estimate, gradient norms, D's outputs,
the seed-001 failure signals) every `train.log_every` iterations into metrics.jsonl; this is
that record as a table, beside evals.parquet. Identity columns as in evals.parquet, then
`iteration`, `time_s`, `epoch` (when logged) and one float64 column per scalar (null where a
trial did not log it), sorted like evals.parquet; collecting again gives the same bytes.
"""

from __future__ import annotations

import math

import pyarrow as pa

from analysis.experiment import Experiment

TRAIN_FILE = "train.parquet"
FIXED = ("kind", "iteration", "time", "epoch")


def build_train_table(exps: list[Experiment]) -> pa.Table:
    from analysis.collect import EVAL_FIXED, identity, table

    scalars = sorted({k for x in exps for t in x.trials for r in t.train
                      for k, v in r.items() if k not in FIXED and _number(v)})
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


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _float(v):
    return float(v) if _number(v) and math.isfinite(v) else None
