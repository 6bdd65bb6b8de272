"""Sweeps on a local Ray (2 CPUs): every shipped spec's trials train through the trainable
in Ray Tune, each way of driving a sweep runs a shipped spec end to end, and a trial that
crashes resumes from its checkpoint to the numbers an uninterrupted trial reaches."""

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import ray

from gansweep.cli import main as cli
from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
from gansweep.sweep.spec import load_spec, parse_spec, smoke_test
from gansweep.strict_yaml import load_bytes
from gansweep.sweep.storage import SPEC_FILE, TRIALS_FILE, Location
from gansweep.sweep.tuner import _result_loggers, _trainable, prepare, run_sweep

SWEEPS = sorted((Path(__file__).parents[2] / "sweeps").glob("*.yaml"))
# Each way gansweep drives a sweep, on a shipped spec: TPE under the replicated ASHA
# scheduler, TPE alone, a grid whose objective is the last evaluation.
DRIVEN = [p for p in SWEEPS if p.stem in ("mtl_lambda", "quickstart", "depth_r2")]
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


def judges(where: Location, trial_dirs) -> dict[str, set]:
    """Metric -> the judges (their weights' sha256) the trials in `trial_dirs` scored it with."""
    seen = {}
    for d in trial_dirs:
        if where.exists(f"{d}/provenance.json"):
            for metric, prov in where.read_json(f"{d}/provenance.json").items():
                seen.setdefault(metric, set()).add(prov["weights_sha256"])
    return seen


def assert_reports(reports: list[dict], metric: str, mode: str, optimize: str) -> None:
    """Evaluations at 2 and 4 (or at 2 only: stopped at the rung), each with the metric and
    the objective the searcher saw: the best value so far, or the last, as the spec says."""
    assert [r["iteration"] for r in reports] in ([2, 4], [2])
    pick = min if mode == "min" else max
    for i, r in enumerate(reports):
        value = pick(q[metric] for q in reports[:i + 1]) if optimize == "best" else r[metric]
        assert math.isfinite(r[metric]) and r[OBJECTIVE] == pytest.approx(value), (i, reports)


def test_every_shipped_spec_trains_through_the_trainable_in_ray_tune(storage):
    """The trials each shipped spec's searcher proposes at toy scale, all in one Tune run of
    gansweep's trainable: every spec's models build, train, evaluate, checkpoint and report
    in Ray's trial processes. One run reuses one trial process per CPU for all of them; a
    sweep per spec paid a process's imports each (torch, Ray Tune: ~8 s of CPU on a slow
    core) for under a second of training. The driver's side (searchers, schedulers, ledger)
    is the next test's."""
    from ray import tune

    trials, specs = [], {}
    for path in SWEEPS:
        where = Location(storage).child(f"trials-{path.stem}")  # its metric cache (prepare)
        # Not checked for searched keys that do nothing (test_spec's job): that trains.
        raw = load_bytes(path.read_bytes())
        spec = parse_spec(raw, source=str(path), default_name=path.stem, check_inert=False)
        spec = specs[path.stem] = prepare(smoke_test(spec), where)
        searcher = ReplicatedOptunaSearch(spec, where)
        trials += [{"spec": path.stem, **spec.trial_space(), **searcher.suggest(f"{path.stem}-{n}")}
                   for n in range(spec.trials)]
    # Tune hands trial `case` the config the spec's own sweep would have handed it.
    space = {"case": tune.grid_search(list(range(len(trials))))}
    space.update({key: tune.sample_from(lambda s, key=key: trials[s.config.case][key]) for key in trials[0]})
    tuner = tune.Tuner(
        _trainable(specs["quickstart"]), param_space=space,  # 1 CPU per trial, as smoke_test sets
        tune_config=tune.TuneConfig(max_concurrent_trials=2, reuse_actors=True),
        run_config=tune.RunConfig(name="every-spec", storage_path=str(storage), verbose=0,
                                  sync_config=tune.SyncConfig(sync_artifacts=True),
                                  callbacks=_result_loggers()))
    grid = tuner.fit()
    assert not grid.errors and len(grid) == len(trials) == sum(s.trials for s in specs.values())
    where = Location(storage).child("every-spec")
    by_spec = {}
    for result in grid:
        by_spec.setdefault(result.config["spec"], []).append(Path(result.path).name)
    assert sorted(by_spec) == sorted(specs)
    reports = results(where)
    for name, trial_dirs in by_spec.items():
        spec = specs[name]
        for d in trial_dirs:
            assert_reports(reports[d], spec.metric, spec.mode, spec.optimize)
        # every trial of a spec scored each metric with the same judge
        assert all(len(h) == 1 for h in judges(where, trial_dirs).values()), name


@pytest.mark.parametrize("path", DRIVEN, ids=lambda p: p.stem)
def test_each_way_of_driving_a_sweep_runs_a_shipped_spec_at_toy_scale(path, storage):
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
        assert_reports(reports, spec.metric, spec.mode, spec.optimize)
    assert where.exists(SPEC_FILE)
    # nothing outside STORAGE/NAME: the judges and statistics are the experiment's own,
    # and every trial scored each metric with the same judge
    assert not (storage / ".gansweep-cache").exists()
    assert all(len(h) == 1 for h in judges(where, where.subdirs()).values())


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
