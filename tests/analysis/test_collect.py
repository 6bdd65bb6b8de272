"""collect: Parquet rows, columns and types, idempotence, URIs, merging, failed trials."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from analysis_fixtures import BUDGET, CONFIGS, ERROR, REASON, TRIALS, metrics_at, seconds, trial_id, write_experiment

from analysis import protocols
from analysis.collect import EVAL_FIXED, TRIAL_FIXED, collect
from analysis.experiment import read_jsonl
from gansweep.cli import main as cli

README = Path(__file__).resolve().parents[2] / "README.md"


def documented() -> dict[str, str]:
    """column -> type from the README's "Analysis tables" section (both tables)."""
    text = README.read_text().split("## Analysis tables", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([^`]+)`", cells[0]):
                out[name] = cells[1]
    return out


def read_both(path: Path) -> tuple[pa.Table, pd.DataFrame]:
    return pq.read_table(path), pd.read_parquet(path)


def assert_same_through_pandas(path: Path) -> None:
    """pandas reads the file to the same values and (nullable) integer types as pyarrow."""
    table, df = read_both(path)
    assert list(df.columns) == table.column_names
    for name in table.column_names:
        arrow = table.column(name).to_pylist()
        pandas = [None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
                  for v in df[name].tolist()]
        assert pandas == arrow, name
        if pa.types.is_integer(table.schema.field(name).type):
            assert str(df[name].dtype) == "Int64", name


@pytest.mark.slow
def test_real_sweep_tables(real_sweep, tmp_path):
    # collect writes EXPERIMENT/analysis: into a copy, the session's sweep is read by others
    real_sweep = Path(shutil.copytree(real_sweep, tmp_path / real_sweep.name,
                                      ignore=shutil.ignore_patterns("analysis")))
    out, _, _ = collect([str(real_sweep)])
    assert out == f"{real_sweep}/analysis"
    evals, trials = (pq.read_table(real_sweep / "analysis" / f) for f in ("evals.parquet", "trials.parquet"))
    ledger = json.loads((real_sweep / "gansweep-trials.json").read_text())
    # one row per evaluation: the "eval" lines of each trial's metrics.jsonl
    expected = {(tid, r["iteration"]): r for tid in ledger
                for r in read_jsonl((real_sweep / tid / "metrics.jsonl").read_text()) if r["kind"] == "eval"}
    assert evals.num_rows == len(expected) == 2 * len(ledger)  # evaluated at 2 and 4
    assert trials.num_rows == len(ledger) >= 2
    for row in evals.to_pylist():
        rec = expected[(row["trial_id"], row["iteration"])]
        assert row["fid_digits"] == rec["fid_digits"] and row["time_s"] == rec["time"]
        assert row["epoch"] == rec["epoch"] == pytest.approx(row["iteration"] * 8 * 2 / 1500, abs=1e-4)
        assert row["model"] == "AC-WGAN.a" and row["dataset"] == "digits"
        assert row["seed"] == row["replicate"] == ledger[row["trial_id"]]["replicate"]
        for key, value in ledger[row["trial_id"]]["params"].items():
            assert row[key] == value
    # documented columns and types
    doc = documented()
    for schema, fixed in ((evals.schema, EVAL_FIXED), (trials.schema, TRIAL_FIXED)):
        for name, dtype in fixed.items():
            assert schema.field(name).type == dtype, name
            assert doc[name] in ({"double": "float64"}.get(str(dtype), str(dtype)), "as above"), name
    metrics = [n for n in evals.column_names
               if n not in EVAL_FIXED and "." not in n and not n.startswith(protocols.PREFIX)]
    assert {"fid_digits", "is_digits", "cond_acc"} <= set(metrics)
    fields = protocols.protocols_of(evals)
    for m in metrics:
        assert evals.schema.field(m).type == pa.float64()
        # every score names its protocol, one per metric here, and its fields are in the file
        [pid] = set(evals.column(protocols.column(m)).to_pylist())
        assert fields[pid]["n_generated"] > 0 and fields[pid]["implementation"]
        for col, t in ((f"best_{m}", pa.float64()), (f"best_{m}_iteration", pa.int64()),
                       (f"final_{m}", pa.float64()), (f"final_{m}_iteration", pa.int64())):
            assert trials.schema.field(col).type == t
    for key in ("optim.lr_d", "optim.lr_g", "loss.omega_d", "loss.eta"):
        assert evals.schema.field(key).type == trials.schema.field(key).type == pa.float64()
    t = trials.to_pandas()
    assert (t["state"] == "finished").all() and t["error"].isna().all()
    assert (t["optimize"] == "best").all() and np.allclose(t["objective"], t["best_fid_digits"])
    for name in ("evals.parquet", "trials.parquet"):
        assert_same_through_pandas(real_sweep / "analysis" / name)
    # again, and through a file:// URI: the same bytes
    first = {n: (real_sweep / "analysis" / n).read_bytes() for n in ("evals.parquet", "trials.parquet")}
    collect([str(real_sweep)])
    collect([f"file://{real_sweep}"], f"file://{tmp_path}/uri")
    for name, data in first.items():
        assert (real_sweep / "analysis" / name).read_bytes() == data
        assert (tmp_path / "uri" / name).read_bytes() == data


def test_failed_running_and_pending_trials(fx):
    _, evals, trials = collect([str(fx)])
    t = trials.to_pandas().set_index("trial_id")
    assert len(t) == len(TRIALS)
    for c, r, state, last in TRIALS:
        row = t.loc[trial_id(c, r)]
        assert row["state"] == state and row["config_id"] == c and row["replicate"] == r
        assert row["loss.sharing_lambda"] == CONFIGS[c][0] and row["model.shared_layers"] == CONFIGS[c][1]
        if state == "pending":
            assert row["evaluations"] == 0 and pd.isna(row["iteration"]) and pd.isna(row["seed"])
            continue
        n = last // 10 - (state == "diverged")  # the diverged line is not an evaluation
        assert row["evaluations"] == n and row["iteration"] == last and row["seed"] == r
    assert t.loc[trial_id(2, 1), "error"] == "RuntimeError: CUDA out of memory"
    assert t.loc[trial_id(3, 1), "error"] == REASON
    assert t["error"].notna().sum() == 2
    assert evals.num_rows == sum(t["evaluations"])


def test_best_and_final_values(fx):
    _, _, trials = collect([str(fx)])
    t = trials.to_pandas().set_index("trial_id")
    for c, r, state, last in TRIALS:
        if state == "pending":
            continue
        its = list(range(10, last + 1 - 10 * (state == "diverged"), 10))
        fids = [metrics_at(c, r, i)["fid_digits"] for i in its]
        iss = [metrics_at(c, r, i)["is_digits"] for i in its]
        row = t.loc[trial_id(c, r)]
        k = int(np.argmin(fids))
        assert row["best_fid_digits"] == fids[k] and row["best_fid_digits_iteration"] == its[k]
        assert row["best_is_digits"] == max(iss) and row["best_is_digits_iteration"] == its[int(np.argmax(iss))]
        assert row["final_fid_digits"] == fids[-1] and row["final_fid_digits_iteration"] == its[-1]
        # no direction of its own: its value at the best FID evaluation
        assert row["best_is_digits_std_iteration"] == its[k]
        assert row["objective"] == fids[k] and row["time_s"] == seconds(c, last) - 0.1 * (state == "diverged")


def test_states_without_ledger(tmp_path):
    root = write_experiment(tmp_path / "fx", ledger=False)
    _, _, trials = collect([str(root)])
    states = dict(zip(trials.column("trial_id").to_pylist(), trials.column("state").to_pylist()))
    expected = {trial_id(c, r): {"running": "incomplete"}.get(s, s) for c, r, s, _ in TRIALS if s != "pending"}
    assert states == expected
    errors = dict(zip(trials.column("trial_id").to_pylist(), trials.column("error").to_pylist()))
    assert errors[trial_id(2, 1)] == ERROR.strip().splitlines()[-1] and errors[trial_id(3, 1)] == REASON


def test_merge_experiments(tmp_path):
    a = write_experiment(tmp_path / "a" / "sweep")
    b = write_experiment(tmp_path / "b" / "sweep", model="WGAN", trials=TRIALS[:3])
    out, evals, trials = collect([str(a), str(b)], str(tmp_path / "merged"))
    exps = trials.column("experiment").to_pylist()
    assert set(exps) == {str(a), str(b)}  # equal directory names: full locations
    assert exps.count(str(b)) == 3 and trials.num_rows == len(TRIALS) + 3
    models = pd.read_parquet(Path(out) / "evals.parquet").groupby("experiment")["model"].unique()
    assert list(models[str(b)]) == ["WGAN"] and list(models[str(a)]) == ["SC-WGAN.b"]


def test_cli(fx, tmp_path, capsys):
    assert cli(["collect", str(fx), "-o", str(tmp_path / "out")]) == 0
    assert "11 trials" in capsys.readouterr().out
    assert (tmp_path / "out" / "evals.parquet").stat().st_size > 0
    assert cli(["collect", str(tmp_path / "missing")]) == 2
    assert BUDGET == pq.read_table(tmp_path / "out" / "trials.parquet").column("budget").to_pylist()[0]
