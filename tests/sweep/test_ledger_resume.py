"""After a killed driver the ledger starts from its file, which is written every few seconds,
while Ray resumes from its own, possibly newer, snapshot. A trial whose final report fell in
between is restored at its final checkpoint and reports nothing more, or is not run again at
all: the ledger takes its end from Ray's trial instead of calling it stopped short of its
budget or leaving it running."""

import json
from types import SimpleNamespace

from gansweep.sweep.ledger import Ledger
from gansweep.sweep.storage import TRIALS_FILE, Location


def stale_ledger(tmp_path) -> Ledger:
    entry = {"trial_id": "t1", "dir": "t1", "config_id": 0, "replicate": 0, "params": {},
             "state": "running", "iteration": 54, "budget": 60, "best": 3.0,
             "best_iteration": 54, "metrics": {"fid": 3.0}, "failures": 0, "error": None}
    (tmp_path / TRIALS_FILE).write_text(json.dumps({"t1": entry}))
    ledger = Ledger(Location(tmp_path), "fid", "min", 60, every_s=1e9)
    ledger.setup()
    return ledger


def trial(last_result: dict, status: str = "RUNNING"):
    return SimpleNamespace(trial_id="t1", config={}, last_result=last_result, status=status,
                           storage=SimpleNamespace(trial_dir_name="t1"))


def test_a_final_report_the_file_missed_is_taken_from_ray(tmp_path):
    ledger = stale_ledger(tmp_path)
    t = trial({"iteration": 60, "fid": 2.5, "budget": 60})
    ledger.on_trial_restore(0, [], t)
    ledger.on_trial_complete(0, [], t)
    e = ledger.trials["t1"]
    assert (e["state"], e["iteration"], e["best"], e["best_iteration"]) == ("finished", 60, 2.5, 60)


def test_a_trial_really_stopped_early_stays_stopped(tmp_path):
    ledger = stale_ledger(tmp_path)
    ledger.on_trial_complete(0, [], trial({"iteration": 54, "fid": 3.0}))
    assert ledger.trials["t1"]["state"] == "stopped"
    ledger = stale_ledger(tmp_path)  # an older last result never rolls the entry back
    ledger.on_trial_complete(0, [], trial({"iteration": 48, "fid": 1.0}))
    assert (ledger.trials["t1"]["iteration"], ledger.trials["t1"]["best"]) == (54, 3.0)


def test_a_trial_ray_restored_as_ended_is_ended_in_the_ledger(tmp_path):
    ledger = stale_ledger(tmp_path)
    ledger.on_step_end(0, [trial({"iteration": 60, "fid": 2.5}, status="TERMINATED")])
    assert (ledger.trials["t1"]["state"], ledger.trials["t1"]["iteration"]) == ("finished", 60)
    assert json.loads((tmp_path / TRIALS_FILE).read_text())["t1"]["state"] == "finished"
    ledger = stale_ledger(tmp_path)
    ledger.on_step_end(0, [trial({"iteration": 54}, status="ERROR")])
    assert ledger.trials["t1"]["state"] == "errored"
    ledger = stale_ledger(tmp_path)  # still to run: left to Ray's hooks
    ledger.on_step_end(0, [trial({"iteration": 54}, status="PENDING")])
    assert ledger.trials["t1"]["state"] == "running"


def test_trials_ray_forgot_are_listed_when_the_study_told_their_configuration(tmp_path):
    """A killed driver ran configuration 0 to its end after Ray's last snapshot: the searcher
    counts it and never runs it again, so the ledger lists its trial as its files show it.
    Configuration 1's trial is dropped: the study has not told it, so the searcher hands it
    out again and its new trial is the one of record."""
    from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
    from gansweep.sweep.spec import parse_spec

    spec = parse_spec({"name": "exp", "model": "WGAN", "data": {"name": "digits"},
                       "iterations": 60, "eval_every": 30, "metric": "fid_digits",
                       "num_samples": 2, "replicates": 1,
                       "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]}}})
    where = Location(tmp_path)
    searcher = ReplicatedOptunaSearch(spec, where)
    told, untold = searcher.suggest("t2"), searcher.suggest("t3")
    searcher.on_trial_complete("t2", {OBJECTIVE: 2.5, "iteration": 60})
    for tid, config, reached in (("t2", told, 60), ("t3", untold, 30)):
        (tmp_path / tid).mkdir()
        (tmp_path / tid / "params.json").write_text(json.dumps(config))
        reports = [{"iteration": i, "fid": 3.0 - i / 60, "trial_id": tid,
                    "timestamp": 1000 + i} for i in range(30, reached + 1, 30)]
        (tmp_path / tid / "result.json").write_text(
            "".join(json.dumps(r) + "\n" for r in reports) + '{"iteration": 9')  # torn by the kill

    ledger = stale_ledger(tmp_path)
    # The file was last written while both ran (setup read it so).
    for tid, config in (("t2", told), ("t3", untold)):
        ledger.trials[tid] = {**ledger.trials["t1"], "trial_id": tid, "dir": tid, "iteration": 30,
                              "config_id": config["config_id"], "params": config["params"]}
    ledger.on_step_end(0, [trial({"iteration": 54})])
    assert set(ledger.trials) == {"t1", "t2"}
    e = ledger.trials["t2"]
    assert (e["config_id"], e["replicate"], e["params"]) == (0, 0, told["params"])
    assert (e["state"], e["iteration"], e["best"], e["best_iteration"]) == ("finished", 60, 2.0, 60)
    assert (e["started_at"], e["updated_at"]) == (1030, 1060)
    assert json.loads((tmp_path / TRIALS_FILE).read_text())["t2"]["state"] == "finished"
