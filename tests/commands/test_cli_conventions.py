"""CLI conventions (issue 15): --version, help with examples and exit codes, one exit status
per outcome in every command, the progress view at hundreds of trials, status --json/--watch."""

import json
import time
from pathlib import Path

import pytest

from gansweep import exitcodes
from gansweep.cli import main as cli
from gansweep.sweep.outcome import conclude
from gansweep.sweep.progress import format_progress, progress_json
from gansweep.sweep.spec import load_spec
from gansweep.sweep.storage import TRIALS_FILE, Location
from gansweep.sweep.tuner import save_spec

QUICKSTART = Path(__file__).parents[2] / "sweeps" / "quickstart.yaml"


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        cli(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("gansweep ")
    with pytest.raises(SystemExit) as e:
        cli(["--help"])
    out = capsys.readouterr().out
    assert e.value.code == 0 and "examples:" in out
    for code in ("0 ", "1 ", "2 ", "130"):
        assert f"\n  {code}" in out


def test_bad_input_is_2_everywhere(tmp_path, capsys):
    missing = str(tmp_path / "nope")
    for argv in (["run", missing + ".yaml"], ["resume", missing], ["status", missing],
                 ["validate", missing + ".yaml"], ["collect", missing], ["report", missing]):
        assert cli(argv) == exitcodes.INPUT_ERROR, argv
    assert not any(tmp_path.iterdir())


def entry(i, state, best=None, it=0, error=None, now=1000.0):
    return {"trial_id": f"t{i:03d}", "dir": f"t{i:03d}", "config_id": i // 2, "replicate": i % 2,
            "params": {"optim.lr_d": 1e-4}, "state": state, "iteration": it, "best": best,
            "best_iteration": it if best is not None else None, "metrics": {}, "failures": 0,
            "error": error, "started_at": now - 100 + i * 0.1, "updated_at": now}


def many_trials(n=300):
    states = ["finished"] * 200 + ["running"] * 40 + ["errored"] * 3 + ["diverged"] * 2
    trials = {}
    for i, state in enumerate(states[:n]):
        done = state != "running"
        trials[f"t{i:03d}"] = entry(i, state, best=float(100 + (i * 37) % 97), it=300 if done else 150,
                                    error="RuntimeError: boom" if state in ("errored", "diverged") else None)
    return trials


def test_progress_view_stays_short_for_hundreds_of_trials():
    trials = many_trials()
    text = format_progress(trials, "fid_digits", "min", expected=300, iterations=300, now=1000.0, top=5)
    lines = text.splitlines()
    assert len(lines) < 50  # counts, best, top 5, 20 of the 40 running, the 5 failed; not 300 rows
    assert "... and 20 more running" in text
    assert lines[0].startswith("40 running, 200 finished, 2 diverged, 3 errored, 55 not started")
    assert "elapsed 1m40s" in lines[0] and "ETA" in lines[0] and "ETA -" not in lines[0]
    assert lines[1].startswith("best fid_digits (min) so far: 100")
    data = progress_json(trials, "fid_digits", "min", 300, 300, now=1000.0)
    assert [t["best"] for t in data["top"]] == sorted(t["best"] for t in data["top"])
    assert len(data["running"]) == 40 and len(data["failed"]) == 5
    # budget: the 205 ended trials count fully, the 40 running half
    assert data["progress"] == pytest.approx((205 * 300 + 40 * 150) / (300 * 300))
    assert data["eta_s"] == pytest.approx(100 * (1 - data["progress"]) / data["progress"])
    mx = progress_json(trials, "is", "max", 300, 300, now=1000.0)
    assert mx["best"]["best"] == max(e["best"] for e in trials.values())


def fake_experiment(tmp_path, trials) -> Location:
    where = Location(tmp_path).experiment("quickstart")
    save_spec(load_spec(QUICKSTART), where)
    where.write_json(TRIALS_FILE, trials)
    return where


def test_status_json_and_watch(tmp_path, capsys):
    trials = {f"t{i:03d}": entry(i, "finished", best=float(10 - i), it=300, now=time.time())
              for i in range(6)}
    where = fake_experiment(tmp_path, trials)
    assert cli(["status", where.uri, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["done"] and data["counts"]["finished"] == 6 and data["eta_s"] == 0.0
    assert data["best"]["trial_id"] == "t005" and set(data["trials"]) == set(trials)
    # --watch returns by itself once no trial is left to run
    assert cli(["status", where.uri, "--watch", "0.5", "--all"]) == 0
    out = capsys.readouterr().out
    assert "6 finished" in out and "top 5:" in out and "t000" in out


def test_conclude_exit_status_names_failed_trials(tmp_path, capsys):
    trials = {"a": entry(0, "finished", 3.0, 300), "b": entry(1, "diverged", None, 120, "NaN loss"),
              "c": entry(2, "errored", None, 50, "RuntimeError: boom")}
    where = fake_experiment(tmp_path, trials)
    assert conclude(where, [], interrupted=False) == exitcodes.TRIALS_FAILED
    out = capsys.readouterr().out
    assert "2 errored or diverged" in out and "b diverged: NaN loss" in out and "c errored: RuntimeError: boom" in out
    assert conclude(where, [], interrupted=True, address="auto") == exitcodes.INTERRUPTED
    assert f"gansweep resume {where.uri} --address auto" in capsys.readouterr().out
    where.write_json(TRIALS_FILE, {"a": trials["a"]})
    assert conclude(where, [], interrupted=False) == exitcodes.OK

    # Ray's results: an error the ledger has not seen counts; one Ray holds for a trial the
    # ledger saw reach its budget does not (the sums stay those of the trials that ran).
    class Result:
        def __init__(self, tid, error):
            self.metrics, self.error, self.path = {"trial_id": tid}, error, f"/x/{tid}"
    where.write_json(TRIALS_FILE, {"a": trials["a"], "d": entry(3, "running", None, 40)})
    capsys.readouterr()
    lost = RuntimeError("The actor is unavailable: RpcError")
    assert conclude(where, [Result("a", lost)], interrupted=False) == exitcodes.OK
    assert "2 trials in" in capsys.readouterr().out
    assert conclude(where, [Result("a", lost), Result("d", lost)], interrupted=False) == exitcodes.TRIALS_FAILED
    out = capsys.readouterr().out
    assert "1 finished" in out and "1 errored or diverged" in out and "d errored: The actor" in out
    assert "a errored" not in out


def test_run_into_an_existing_experiment_is_bad_input(tmp_path, capsys):
    where = fake_experiment(tmp_path, {})
    assert cli(["run", str(QUICKSTART), "--storage", str(tmp_path)]) == exitcodes.INPUT_ERROR
    assert f"gansweep resume {where.uri}" in capsys.readouterr().err
