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
