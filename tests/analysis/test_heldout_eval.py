"""`gansweep eval EXPERIMENT`: every trial's best checkpoint scored on fresh latents, kept as
its heldout.json, continued rather than redone, and collected as heldout_<metric>."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq

from analysis.collect import collect
from analysis.experiment import read_experiment
from analysis.stats import best_of
from gansweep.cli import main as cli


def test_each_trial_best_checkpoint_is_scored_and_kept(real_sweep, tmp_path, capsys):
    exp = tmp_path / "quickstart"
    shutil.copytree(real_sweep, exp, ignore=shutil.ignore_patterns("analysis", "report"))
    before = read_experiment(str(exp))
    assert cli(["eval", str(exp), "--seed", "1", "--samples", "100"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert {x["trial_id"] for x in lines} == {t.trial_id for t in before.trials}
    for t in before.trials:
        it, value = best_of([(e.iteration, e.metrics["fid_digits"]) for e in t.evals], "min")
        kept = json.loads((exp / t.dir / "heldout.json").read_text())
        assert kept["iteration"] == it and kept["checkpoint"] == t.checkpoints[it]
        assert kept["training_fid_digits"] == value and (kept["seed"], kept["samples"]) == (1, 100)
        assert kept["provenance"]["fid_digits"]["z_seed"] == 1
        # the same numbers as scoring that checkpoint file by hand
        assert cli(["eval", str(exp / t.checkpoints[it]), "--seed", "1", "--samples", "100"]) == 0
        alone = json.loads(capsys.readouterr().out)
        assert alone["metrics"] == kept["metrics"]

    # a second pass scores nothing again; another seed does
    stamps = {f: f.stat().st_mtime_ns for f in exp.glob("*/heldout.json")}
    assert cli(["eval", str(exp), "--seed", "1", "--samples", "100"]) == 0
    assert "already scored with seed 1" in capsys.readouterr().err
    assert {f: f.stat().st_mtime_ns for f in exp.glob("*/heldout.json")} == stamps

    _, _, trials = collect([str(exp)])
    rows = trials.to_pylist()
    for r in rows:
        t = next(t for t in before.trials if t.trial_id == r["trial_id"])
        kept = json.loads((exp / t.dir / "heldout.json").read_text())
        assert r["heldout_fid_digits"] == kept["metrics"]["fid_digits"]
        assert r["heldout_iteration"] == kept["iteration"]
    assert "heldout_cond_acc" in pq.read_table(exp / "analysis" / "trials.parquet").column_names


def test_a_trial_whose_best_checkpoint_is_gone_is_named(real_sweep, tmp_path, capsys):
    exp = tmp_path / "quickstart"
    shutil.copytree(real_sweep, exp, ignore=shutil.ignore_patterns("analysis", "report"))
    t = read_experiment(str(exp)).trials[0]
    it, _ = best_of([(e.iteration, e.metrics["fid_digits"]) for e in t.evals], "min")
    shutil.rmtree(exp / t.checkpoints[it].rsplit("/", 1)[0])
    assert cli(["eval", str(exp), "--seed", "1", "--samples", "100"]) == 1
    err = capsys.readouterr().err
    assert f"{t.trial_id}: the checkpoint of its best evaluation (iteration {it}) was not kept" in err
    assert "1 of 2 trials not scored" in err
    assert not (exp / t.dir / "heldout.json").exists()
    assert cli(["eval", str(exp), "--seed", "20170905"]) == 2  # the training latents: refused
    (exp / "gansweep-spec.yaml").unlink()  # the ledger alone: an experiment, but no metric
    capsys.readouterr()
    assert cli(["eval", str(exp), "--seed", "1"]) == 2
    assert "the spec names no metric" in capsys.readouterr().err
