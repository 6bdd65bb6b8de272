"""Scores made under different protocols are never merged silently: collect refuses and says
what differs, or keeps them apart on request; the report never puts them in one column."""

import json

import pyarrow.parquet as pq
import pytest
from analysis_fixtures import TRIALS, write_experiment

from analysis import protocols
from analysis.collect import collect
from analysis.report import report
from gansweep.cli import main as cli
from gansweep.metrics.provenance import IncomparableScores, Provenance, protocol_id


def provenance(weights: str, n: int = 5000) -> dict:
    def prov(metric):
        return Provenance(metric, "frechet", "digits-cnn-v1", weights, n, 1500, "train",
                          "digits@1x8x8", 20170905, "data").to_dict()
    return {m: prov(m) for m in ("fid_digits", "is_digits", "is_digits_std", "cond_acc")}


def with_provenance(root, weights_of) -> None:
    """provenance.json in every started trial; weights_of(config_id) names its judge."""
    for c, r, state, _ in TRIALS:
        d = root / f"{c:04x}{r:04x}"
        if d.exists():
            (d / "provenance.json").write_text(json.dumps(provenance(weights_of(c))))


def test_one_protocol_collects_with_its_id(tmp_path):
    exp = write_experiment(tmp_path / "a")
    with_provenance(exp, lambda c: "judge-1")
    _, evals, _ = collect([str(exp)])
    table = pq.read_table(exp / "analysis" / "evals.parquet")
    pid = protocol_id(provenance("judge-1")["fid_digits"])
    assert set(table.column("protocol:fid_digits").to_pylist()) == {pid}
    assert protocols.protocols_of(table)[pid]["weights_sha256"] == "judge-1"


def test_two_judges_are_refused_then_kept_apart(tmp_path, capsys):
    a, b = write_experiment(tmp_path / "a"), write_experiment(tmp_path / "b", name="b")
    with_provenance(a, lambda c: "judge-on-avx512")
    with_provenance(b, lambda c: "judge-on-avx2")
    with pytest.raises(IncomparableScores) as err:
        collect([str(a), str(b)])
    text = str(err.value)
    assert "fid_digits" in text and "weights_sha256: 'judge-on-avx512' vs 'judge-on-avx2'" in text
    assert "--split-protocols" in text
    assert not (a / "analysis").exists()  # nothing written
    assert cli(["collect", str(a), str(b)]) == 2
    assert "weights_sha256" in capsys.readouterr().err

    _, evals, trials = collect([str(a), str(b)], split_protocols=True)
    ids = {protocol_id(provenance(w)["fid_digits"]) for w in ("judge-on-avx512", "judge-on-avx2")}
    fid_columns = {c for c in evals.column_names if c.startswith("fid_digits")}
    assert fid_columns == {f"fid_digits@{i}" for i in ids}
    rows = evals.to_pylist()
    for row in rows:  # each row has a score in exactly its own protocol's column
        filled = [c for c in fid_columns if row[c] is not None]
        assert len(filled) == 1 and row["experiment"] == ("a" if "avx512" in json.dumps(
            protocols.protocols_of(evals)[filled[0].split("@")[1]]) else "b")
    t = trials.to_pandas()
    assert t["objective"].notna().sum() == t[[f"best_{c}" for c in fid_columns]].notna().any(axis=1).sum()


def test_report_keeps_protocols_apart_within_one_experiment(tmp_path):
    exp = write_experiment(tmp_path / "mixed")
    with_provenance(exp, lambda c: f"judge-{c % 2}")
    out = report(str(exp), str(tmp_path / "report"), with_samples=False)
    md = (tmp_path / "report" / "report.md").read_text()
    assert out and "scored under 2 different protocols, never compared" in md
    assert "tables and curves follow `fid_digits@" in md
    assert "No evaluation has been recorded" not in md  # the tables are there, for one protocol
