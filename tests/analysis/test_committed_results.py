"""The committed study (docs/results/wgan_variants_digits) is self-consistent: its report's
held-out medians and verdicts are those of its Parquet files, recomputed here, so a reader
can check the table against the data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.verdicts import verdicts

RESULT = Path(__file__).resolve().parents[2] / "docs" / "results" / "wgan_variants_digits"


@pytest.fixture(scope="module")
def trials() -> pd.DataFrame:
    return pd.read_parquet(RESULT / "trials.parquet")


def test_every_trial_finished_and_was_scored_again(trials):
    assert len(trials) == 45 and set(trials["state"]) == {"finished"}
    assert trials.groupby("model").size().to_dict() == {m: 5 for m in trials["model"].unique()}
    assert trials["model"].nunique() == 9
    assert trials["heldout_fid_digits"].notna().all()
    # the held-out score is of the checkpoint at the trial's best training evaluation
    assert (trials["heldout_iteration"] == trials["best_fid_digits_iteration"]).all()
    evals = pd.read_parquet(RESULT / "evals.parquet")
    assert (evals.groupby("trial_id").size() >= 5).all()  # a learning curve per trial


def test_report_medians_and_verdicts_are_the_parquets(trials):
    report = (RESULT / "report.md").read_text()
    held = report[report.index("## Held-out scores"):]
    for model, g in trials.groupby("model"):
        q25, med, q75 = np.percentile(g["heldout_fid_digits"], [25, 50, 75])
        assert f"| {model} | 5 | {med:.4g} [{q25:.4g}, {q75:.4g}] |" in held, model
    found = verdicts({m: list(g["heldout_fid_digits"]) for m, g in trials.groupby("model")}, "WGAN", "min")
    table = report[report.index("## Verdicts against WGAN"):]
    for v in found:
        if v.diff is not None:
            assert f"| {v.model} | 5 | {v.median:.4g} [{v.low:.4g}, {v.high:.4g}] | {v.diff:+.4g}" in table
            assert f"| {v.verdict} |" in table.split(f"| {v.model} |", 1)[1].split("\n", 1)[0] + "|"
