"""The Optuna study in the experiment directory (EXPERIMENT/optuna-study.log): what the
searcher tells is what `optuna.load_study` reads, live and after a resume."""

import json
import os
import pickle
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import optuna
import pytest
import ray
from optuna.trial import TrialState
from ray.cluster_utils import Cluster

from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
from gansweep.sweep.spec import parse_spec, smoke_test
from gansweep.sweep.storage import TRIALS_FILE, Location
from gansweep.sweep.study import STUDY_FILE, load_study
from gansweep.sweep.tuner import run_sweep

from . import synthetic
from .killed import KEEP_ALL

SPEC = {"name": "study", "model": "WGAN", "data": {"name": "digits"}, "iterations": 10,
        "eval_every": 5, "metric": "fid_digits", "searcher": "tpe", "num_samples": 4,
        "replicates": 2, "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]}}}


def states(study):
    return [(t.number, t.state, t.value, t.intermediate_values) for t in study.trials]


def test_the_journal_holds_every_report_and_tell_and_opens_with_optuna(tmp_path):
    where = Location(tmp_path).child("exp")
    s = ReplicatedOptunaSearch(parse_spec(SPEC), where)
    s.suggest("a"), s.suggest("b")
    s.on_trial_result("a", {OBJECTIVE: 2.0, "iteration": 5})
    assert load_study(where).trials[0].intermediate_values == {}  # b has not reached 5
    s.on_trial_result("b", {OBJECTIVE: 4.0, "iteration": 5})
    assert load_study(where).trials[0].intermediate_values == {5: 3.0}  # live, as the mean
    s.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})
    s.on_trial_complete("b", {OBJECTIVE: 3.0, "iteration": 10})
    # The exact commands the README gives.
    study = optuna.load_study(study_name="exp", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(tmp_path / "exp" / STUDY_FILE))))
    assert states(study) == [(0, TrialState.COMPLETE, 2.0, {5: 3.0, 10: 2.0})]
    assert study.trials[0].constraints == {"diverged": 0.0}


def test_a_journal_caught_before_its_study_is_written_reads_as_no_study_yet(tmp_path):
    """`status`, `report` or a script polling load_study while a sweep starts: the journal
    exists, empty or with its first record half written. That is "no study yet"
    (FileNotFoundError, which the report answers by rebuilding one), not optuna's KeyError."""
    where = Location(tmp_path).child("exp")
    ReplicatedOptunaSearch(parse_spec(SPEC), where).suggest("a")
    whole = where.read_bytes(STUDY_FILE)
    for cut in (0, whole.index(b"\n") - 1):
        where.write_bytes(STUDY_FILE, whole[:cut])
        with pytest.raises(FileNotFoundError, match="holds no study 'exp' yet"):
            load_study(where)
    where.write_bytes(STUDY_FILE, whole)
    assert [t.state for t in load_study(where).trials] == [TrialState.RUNNING]


def test_a_restored_searcher_reattaches_and_neither_repeats_nor_loses_a_trial(tmp_path):
    """Tune saves the searcher every few seconds; the journal is written at every tell. A
    driver killed in between resumes from an older searcher state than the journal."""
    where = Location(tmp_path).child("exp")
    s = ReplicatedOptunaSearch(parse_spec(SPEC), where)
    first = [s.suggest("a"), s.suggest("b")]
    s.on_trial_result("a", {OBJECTIVE: 2.0, "iteration": 5})
    s.on_trial_result("b", {OBJECTIVE: 4.0, "iteration": 5})
    s.save(str(tmp_path / "searcher.pkl"))  # Tune's last snapshot before the kill
    s.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})  # told in the journal ...
    s.on_trial_complete("b", {OBJECTIVE: 3.0, "iteration": 10})
    asked_late = s.suggest("c")  # ... and a configuration asked after the snapshot
    before = states(load_study(where))

    # Tuner.restore: the pickled initial searcher (tuner.pkl), then the saved state.
    r = pickle.loads(pickle.dumps(ReplicatedOptunaSearch(parse_spec(SPEC), where)))
    r.restore(str(tmp_path / "searcher.pkl"))
    assert states(load_study(where)) == before  # reattached; nothing re-added
    # Tune re-runs a and b from their checkpoints: their ends must not be told twice.
    r.on_trial_result("a", {OBJECTIVE: 1.0, "iteration": 10})
    r.on_trial_complete("a", {OBJECTIVE: 1.0, "iteration": 10})
    r.on_trial_complete("b", {OBJECTIVE: 3.0, "iteration": 10})
    # Ray forgot trial c; its configuration is handed out again, not asked anew.
    again = [r.suggest("c2"), r.suggest("d2")]
    assert [c["config_id"] for c in again] == [1, 1]
    assert again[0]["params"] == asked_late["params"] != first[0]["params"]
    for t in ("c2", "d2"):
        r.on_trial_complete(t, {OBJECTIVE: 5.0, "iteration": 10})
    study = load_study(where)
    assert [(t.number, t.state) for t in study.trials] == [(0, TrialState.COMPLETE),
                                                            (1, TrialState.COMPLETE)]
    assert [t.value for t in study.trials] == [2.0, 5.0]


def test_a_configuration_told_after_the_snapshot_counts_toward_num_samples(tmp_path):
    """A configuration asked, run and told between Tune's last snapshot and a kill: Ray
    forgets its trials and asks for that many more. The study has its value; asking anew
    would make num_samples + 1 configurations."""
    where = Location(tmp_path).child("exp")
    spec = parse_spec({**SPEC, "num_samples": 2})
    s = ReplicatedOptunaSearch(spec, where)
    s.suggest("a"), s.suggest("b")
    s.save(str(tmp_path / "searcher.pkl"))  # Tune's last snapshot before the kill
    for tid in ("a", "b", "c", "d"):  # a, b: known to Ray; c, d: asked and ended after
        if tid in ("c", "d"):
            s.suggest(tid)
        s.on_trial_complete(tid, {OBJECTIVE: 1.0, "iteration": 10})

    r = pickle.loads(pickle.dumps(ReplicatedOptunaSearch(spec, where)))
    r.restore(str(tmp_path / "searcher.pkl"))
    for tid in ("a", "b"):  # re-run by Ray from their checkpoints
        r.on_trial_complete(tid, {OBJECTIVE: 1.0, "iteration": 10})
    assert r.suggest("c2") == r.suggest("d2") == ReplicatedOptunaSearch.FINISHED
    assert [(t.number, t.state) for t in load_study(where).trials] == [
        (0, TrialState.COMPLETE), (1, TrialState.COMPLETE)]


SMOKE = {"model": "AC-WGAN.a", "data": {"name": "digits"}, "metric": "fid_digits",
         "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}}}


@pytest.mark.slow
def test_a_smoke_sweep_leaves_a_study_equal_to_what_the_searcher_told(tmp_path):
    spec = replace(smoke_test(parse_spec(SMOKE)), num_samples=2, replicates=2)  # evals at 2, 4
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        where = Location(tmp_path).child("smoke")
        grid = run_sweep(spec, where, progress_every_s=1e9)
    finally:
        ray.shutdown()
    assert not grid.errors
    study = load_study(where)
    runs = {}  # config -> replicate -> its reports
    for d in where.subdirs():
        if where.exists(f"{d}/result.json"):
            reports = [json.loads(x) for x in where.read_text(f"{d}/result.json").splitlines() if x]
            config = reports[0]["config"]
            runs.setdefault(config["config_id"], {})[config["replicate"]] = reports
    assert sorted(t.number for t in study.trials) == sorted(runs) and len(runs) == spec.num_samples
    for t in study.trials:
        reps = list(runs[t.number].values())
        assert t.state == TrialState.COMPLETE and t.constraints == {"diverged": 0.0}
        assert t.value == pytest.approx(sum(r[-1][OBJECTIVE] for r in reps) / len(reps))
        assert t.intermediate_values == pytest.approx({
            r["iteration"]: sum(q[i][OBJECTIVE] for q in reps) / len(reps)
            for i, r in enumerate(reps[0])})
        assert t.params == json.loads(json.dumps(reps[0][0]["config"]["params"]))


# Where the driver is killed. "running": while configuration 2 is slow to its first report,
# Ray snapshotting every second. "forgotten": once configuration 3 has run and been told
# while 2/1 is still slow, after Ray's last snapshot (one at the start, then every 10 min):
# Ray forgets every trial, the study has 0, 1 and 3 told, and 2 runs again.
KILLS = {
    "running": ({"2/0": 4.0, "2/1": 4.0}, "1",
                lambda logs, where: (logs / "2-0.jsonl").exists() or (logs / "2-1.jsonl").exists()),
    "forgotten": ({"2/1": 6.0}, "600",
                  lambda logs, where: any(t.number == 3 and t.state.is_finished() for t in study_so_far(where))),
}


def study_so_far(where: Location) -> list:
    """The study's trials as a reader sees them while the driver writes the journal."""
    try:
        return load_study(where).trials
    except FileNotFoundError:  # not written yet, or only partly: the driver has just opened it
        return []


@pytest.mark.slow
@pytest.mark.parametrize("kill", KILLS)
def test_a_killed_driver_resumes_to_a_study_without_duplicated_or_lost_trials(tmp_path, kill):
    slow, snapshot_s, killed_when = KILLS[kill]
    spec = {**SPEC, **KEEP_ALL, "name": "killed", "iterations": 18, "eval_every": 2, "num_samples": 4,
            "searcher": "random", "resources": {"cpu": 1}, "max_concurrent_trials": 2}
    where = Location(tmp_path / "runs").child("killed")
    logs = tmp_path / "log"
    logs.mkdir()
    extra = {"_iterations": 18, "_log_dir": str(logs), "_slow_start": slow}
    script = str(Path(synthetic.__file__))
    env = {**os.environ, "TUNE_GLOBAL_CHECKPOINT_S": snapshot_s}
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False})
    try:
        proc = subprocess.Popen([sys.executable, script, "run", cluster.address, where.uri,
                                 json.dumps(spec), json.dumps(extra)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            synthetic.wait(lambda: killed_when(logs, where), 180)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        killed = load_study(where)
        assert {t.state for t in killed.trials} >= {TrialState.COMPLETE, TrialState.RUNNING}
        resumed = subprocess.run([sys.executable, script, "resume", cluster.address, where.uri],
                                 env=env, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
    finally:
        ray.shutdown()
        cluster.shutdown()
    # Each (configuration, replicate) once. In "running" too, configuration 3's trials (which
    # take milliseconds) can run and be told between the trigger and the kill.
    study = load_study(where)
    entries = where.read_json(TRIALS_FILE).values()
    assert sorted(t.number for t in study.trials) == [0, 1, 2, 3]
    assert sorted((e["config_id"], e["replicate"]) for e in entries) == [
        (c, r) for c in range(4) for r in (0, 1)]
    assert {e["state"] for e in entries} == {"finished"}
    if kill == "forgotten":  # told before the kill: not run again
        assert [len((logs / f"3-{r}.jsonl").read_text().splitlines()) for r in (0, 1)] == [9, 9]
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    for t in study.trials:  # synthetic.value: each configuration's mean over its two seeds
        mean = lambda it: sum(synthetic.value(t.number, r, it) for r in (0, 1)) / 2  # noqa: E731
        assert t.value == pytest.approx(mean(18))
        assert t.intermediate_values == pytest.approx({i: mean(i) for i in range(2, 19, 2)})


