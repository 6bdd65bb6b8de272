"""Verdicts against a baseline model over seeds, from held-out scores: the bootstrap
intervals, the rank ranges that never order overlapping models, and the report's tables,
whose numbers are recomputed here from the values written into the experiment."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from analysis_fixtures import trial_id, write_experiment

from analysis.collect import collect
from analysis.report import report
from analysis.verdicts import min_rank_test_p, rank_text, verdicts
from gansweep.cli import main as cli
from gansweep.metrics.provenance import IncomparableScores, Provenance

# Three models, three seeds each: one clearly better than the baseline, one that overlaps it.
MODELS = {0: "WGAN", 1: "AC-WGAN.a", 3: "SC-WGAN.c"}
HELDOUT = {"WGAN": [20.0, 22.0, 21.0], "AC-WGAN.a": [10.0, 11.5, 10.5], "SC-WGAN.c": [19.0, 23.5, 21.5]}
IS = {"WGAN": [2.0, 2.2, 2.1], "AC-WGAN.a": [2.1, 1.9, 2.3], "SC-WGAN.c": [1.0, 1.1, 1.2]}


def test_bootstrap_verdicts_and_rank_ranges():
    scores = {"base": [10, 11, 12, 10.5, 11.5], "good": [5, 6, 5.5, 6.2, 5.8],
              "same": [10, 12, 11, 13, 9], "bad": [20, 21, 19, 22, 20]}
    out = {v.model: v for v in verdicts(scores, "base", "min")}
    assert [v.model for v in verdicts(scores, "base", "min")][0] == "good"
    assert (out["good"].verdict, out["same"].verdict, out["bad"].verdict) == (
        "better", "no difference shown", "worse")
    assert out["base"].verdict == "baseline" and out["base"].diff is None
    assert out["good"].diff == pytest.approx(np.median(scores["good"]) - np.median(scores["base"]))
    assert out["good"].diff_low <= out["good"].diff <= out["good"].diff_high < 0
    # five seeds: a resampled median's extreme quantiles are the extreme seeds
    assert (out["good"].low, out["good"].high) == (5.0, 6.2)
    # base and same overlap: neither is ranked above the other
    assert rank_text(out["good"].rank) == "1" and rank_text(out["bad"].rank) == "4"
    assert out["base"].rank == out["same"].rank == (2, 3)
    # the same numbers where larger is better: the verdicts flip
    flipped = {v.model: v.verdict for v in verdicts(scores, "base", "max")}
    assert (flipped["good"], flipped["same"], flipped["bad"]) == ("worse", "no difference shown", "better")
    # a fixed generator: the same intervals every time
    again = {v.model: v for v in verdicts(scores, "base", "min")}
    assert (again["same"].diff_low, again["same"].diff_high) == (out["same"].diff_low, out["same"].diff_high)
    with pytest.raises(ValueError, match="baseline 'nope'"):
        verdicts(scores, "nope", "min")


def test_a_rank_test_could_not_reject_with_five_seeds_and_eight_comparisons():
    assert min_rank_test_p(5, 5) == pytest.approx(2 / 252)
    assert min_rank_test_p(5, 5) > 0.05 / 8 > min_rank_test_p(6, 6)


def provenance(seed: int) -> dict:
    return {m: Provenance(m, "frechet", "digits-cnn-v1", "judge", 100, 1500, "train",
                          "digits@1x8x8", seed, "data").to_dict()
            for m in ("fid_digits", "is_digits", "cond_acc")}


def model_experiment(root, seed_of=lambda c, r: 1):
    """fx's layout with a model per configuration and a heldout.json per trial."""
    trials = [(c, r, "finished", 100) for c in MODELS for r in range(3)]
    exp = write_experiment(root, model="WGAN", trials=trials)
    for c, model in MODELS.items():
        for r in range(3):
            d = exp / trial_id(c, r)
            config = yaml.safe_load((d / "config.yaml").read_text())
            config["model"]["preset"] = model
            (d / "config.yaml").write_text(yaml.safe_dump(config))
            metrics = {"fid_digits": HELDOUT[model][r], "is_digits": IS[model][r], "cond_acc": 0.5}
            (d / "heldout.json").write_text(json.dumps({
                "iteration": 90, "seed": seed_of(c, r), "samples": 100, "metrics": metrics,
                "provenance": provenance(seed_of(c, r)), "checkpoint": f"{d.name}/checkpoint_000008/ckpt-90.pt"}))
    return exp


def test_collect_and_report_use_the_held_out_scores(tmp_path, capsys):
    exp = model_experiment(tmp_path / "models")
    collect([str(exp)])
    t = pq.read_table(exp / "analysis" / "trials.parquet").to_pandas()
    for c, model in MODELS.items():
        rows = t[t["config_id"] == c].sort_values("replicate")
        assert list(rows["model"]) == [model] * 3
        assert list(rows["heldout_fid_digits"]) == HELDOUT[model]
        assert list(rows["heldout_iteration"]) == [90] * 3 and list(rows["heldout_seed"]) == [1] * 3
    assert "heldout_fid_digits" not in {c for c in t.columns if c.startswith("best_")}

    report(str(exp), str(tmp_path / "rep"), with_samples=False)
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "## Held-out scores" in text and "## Verdicts against WGAN" in text
    assert "## Best sampled configurations" not in text  # one configuration per model: no repeat
    held = section(text, "## Held-out scores")
    for model, values in HELDOUT.items():  # the report's medians are the Parquet's
        q25, med, q75 = np.percentile(values, [25, 50, 75])
        assert f"| {model} | 3 | {med:.4g} [{q25:.4g}, {q75:.4g}] |" in held
    rows = table_rows(section(text, "## Verdicts against WGAN"))
    assert rows["AC-WGAN.a"]["verdict"] == "better" and rows["AC-WGAN.a"]["rank"] == "1"
    assert rows["SC-WGAN.c"]["verdict"] == "no difference shown"
    assert rows["WGAN"]["rank"] == rows["SC-WGAN.c"]["rank"] == "2–3"  # overlapping: not ordered
    diff = np.median(HELDOUT["AC-WGAN.a"]) - np.median(HELDOUT["WGAN"])
    assert rows["AC-WGAN.a"]["difference from WGAN"].startswith(f"{diff:+.4g} [")
    # is_digits (larger is better): SC-WGAN.c's seeds all lie below WGAN's
    assert "is_digits (max is better)" in text
    assert "worse" in table_rows(section(text, "The same comparison"))["SC-WGAN.c"]["is_digits (max is better)"]
    assert "a rank test could not reject anything here" in text  # 3 seeds, 2 comparisons

    assert cli(["report", str(exp), "-o", str(tmp_path / "r2"), "--no-samples",
                "--baseline", "AC-WGAN.a"]) == 0
    assert "## Verdicts against AC-WGAN.a" in (tmp_path / "r2" / "report.md").read_text()
    assert cli(["report", str(exp), "-o", str(tmp_path / "r3"), "--no-samples",
                "--baseline", "GAN"]) == 2
    assert "baseline 'GAN' is not a model of this experiment" in capsys.readouterr().err


def test_held_out_scores_of_two_latent_seeds_are_not_merged(tmp_path):
    exp = model_experiment(tmp_path / "mixed", seed_of=lambda c, r: 1 if c else 2)
    with pytest.raises(IncomparableScores, match="held-out fid_digits") as err:
        collect([str(exp)])
    assert "gansweep eval EXPERIMENT" in str(err.value)


def test_without_held_out_scores_the_verdicts_say_what_they_use(tmp_path):
    exp = model_experiment(tmp_path / "plain")
    for f in exp.glob("*/heldout.json"):
        f.unlink()
    report(str(exp), str(tmp_path / "rep"), with_samples=False)
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "## Held-out scores" not in text
    assert "the best `fid_digits` seen in training (no held-out scores" in text


def section(text: str, start: str) -> str:
    body = text[text.index(start):]
    end = body.find("\n## ", 1)
    return body if end < 0 else body[:end]


def table_rows(text: str) -> dict[str, dict[str, str]]:
    """The first Markdown table in `text`, by its `model` column."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [dict(zip(head, (c.strip() for c in line.strip("|").split("|")))) for line in lines[2:]]
    return {r["model"]: r for r in rows}
