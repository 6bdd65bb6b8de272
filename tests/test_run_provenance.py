"""A run's metrics never change protocol mid-run: a judge retrained with other weights (a
deleted cache file, another node's rounding) is refused before anything is logged."""

import json

import pytest

from gansweep.metrics.provenance import IncomparableScores, Provenance
from gansweep.run import RunDir


def prov(weights: str) -> dict:
    return Provenance("fid_digits", "frechet", "digits-cnn-v1", weights, 500, 1500, "train",
                      "digits@1x8x8").to_dict()


def test_a_changed_judge_is_refused_and_new_metrics_are_added(tmp_path):
    run = RunDir(tmp_path)
    run.write_provenance({"fid_digits": prov("a")})
    run.write_provenance({"fid_digits": prov("a")})  # the same protocol: fine
    with pytest.raises(IncomparableScores, match="weights_sha256: 'a' vs 'b'"):
        run.write_provenance({"fid_digits": prov("b")})
    assert json.loads(run.provenance.read_text())["fid_digits"]["weights_sha256"] == "a"
    run.write_provenance({"fid_digits": prov("a"), "cond_acc": {**prov("a"), "metric": "cond_acc"}})
    assert set(json.loads(run.provenance.read_text())) == {"fid_digits", "cond_acc"}
