"""Sweeps on a local Ray (2 CPUs): every shipped spec runs at toy scale, and a trial that
crashes resumes from its checkpoint to the numbers an uninterrupted trial reaches."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import ray

from gansweep.cli import main as cli
from gansweep.sweep.spec import load_spec, parse_spec, smoke_test
from gansweep.sweep.storage import SPEC_FILE, TRIALS_FILE, Location
from gansweep.sweep.tuner import run_sweep

SWEEPS = sorted((Path(__file__).parents[2] / "sweeps").glob("*.yaml"))
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)  # never a running cluster
    yield tmp_path_factory.mktemp("sweeps")  # one storage: trials share the stats cache
    ray.shutdown()


def results(where: Location) -> dict[str, list[dict]]:
    """Trial id -> its reports (Ray's result.json), in order."""
    out = {}
    for d in where.subdirs():
        if where.exists(f"{d}/result.json"):
            lines = where.read_text(f"{d}/result.json").splitlines()
            out[d] = [json.loads(line) for line in lines if line.strip()]
    return out


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_every_shipped_spec_runs_at_toy_scale(path, storage):
    # One trial at a time (as many as a rung waits for under a scheduler): Tune reuses the
    # trial process, so a spec pays one process's imports (torch, Ray Tune: ~8 s of CPU on a
    # slow core) instead of two; trials running side by side are the other sweep tests' job.
    spec = smoke_test(load_spec(path))
    spec = replace(spec, max_concurrent_trials=spec.replicates if spec.scheduler else 1)
    where = Location(storage).child(path.stem)
    grid = run_sweep(spec, where, progress_every_s=1e9)
    assert len(grid) == spec.trials and not grid.errors
    ledger = where.read_json(TRIALS_FILE)
    states = [e["state"] for e in ledger.values()]
    assert "finished" in states and set(states) <= ({"finished", "stopped"} if spec.scheduler
                                                    else {"finished"})  # ASHA may stop some
    pairs = {(e["config_id"], e["replicate"]) for e in ledger.values()}
    assert len(pairs) == spec.trials  # every config x replicate exactly once
    assert [e["failures"] for e in ledger.values()] == [0] * spec.trials  # no hidden retry
    for reports in results(where).values():
        assert [r["iteration"] for r in reports] in ([2, 4], [2])
        assert all(spec.metric in r and r["objective"] == pytest.approx(
            min(q[spec.metric] for q in reports[:i + 1]) if spec.mode == "min" else
            max(q[spec.metric] for q in reports[:i + 1])) for i, r in enumerate(reports))
    assert where.exists(SPEC_FILE)
    # nothing outside STORAGE/NAME: the judges and statistics are the experiment's own,
    # and every trial scored each metric with the same judge
    assert not (storage / ".gansweep-cache").exists()
    judges = {}
    for d in where.subdirs():
        if where.exists(f"{d}/provenance.json"):
            for metric, prov in where.read_json(f"{d}/provenance.json").items():
                judges.setdefault(metric, set()).add(prov["weights_sha256"])
    assert all(len(hashes) == 1 for hashes in judges.values()), judges


def crash_spec():
    return smoke_test(parse_spec({
        "model": "AC-WGAN.a", "data": {"name": "digits"}, "metric": "fid_digits",
        "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}}}), iterations=6)


def test_a_trial_that_crashes_resumes_to_the_uninterrupted_numbers(storage, capsys):
    spec = replace(crash_spec(), num_samples=1, replicates=1, max_failures=1)  # evals at 3, 6
    straight, crashed = Location(storage).child("straight"), Location(storage).child("crashed")
    run_sweep(spec, straight, progress_every_s=1e9)
    marker = Path(storage) / "crashed-once"
    grid = run_sweep(spec, crashed, progress_every_s=1e9,
                     extra_config={"_fault": {"iteration": 3, "marker": str(marker)}})
    assert marker.exists() and not grid.errors
    (ledger,) = crashed.read_json(TRIALS_FILE).values()
    assert ledger["state"] == "finished" and ledger["failures"] == 1
    capsys.readouterr()
    assert cli(["status", crashed.uri]) == 0
    table = capsys.readouterr().out
    assert "1 trials of 6 iterations" in table and "finished  6" in table and "1 finished" in table
    # Ray starts a retried trial's result.json afresh; gansweep's metrics.jsonl (restored
    # with the checkpoint and cut back to it) is the complete record.
    logs = [log(where) for where in (straight, crashed)]
    assert logs[0] == logs[1]
    assert [r["iteration"] for r in logs[1] if r["kind"] == "eval"] == [3, 6]
    (a,), (b,) = results(straight).values(), results(crashed).values()
    assert a[-1]["fid_digits"] == b[-1]["fid_digits"] and a[-1]["iteration"] == 6


def log(where: Location) -> list[dict]:
    (trial,) = [d for d in where.subdirs() if not d.startswith(".")]  # not .gansweep-cache
    lines = where.read_text(f"{trial}/metrics.jsonl").splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "time"} for line in lines]
