"""Ctrl-C on `gansweep run` (issue 15): the trials stop cleanly, the command prints the exact
`gansweep resume ...` line and exits 130, and that line finishes the experiment (exit 0).

The signal goes to the whole process group, as a terminal's Ctrl-C does: the driver and
every Ray process it started."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gansweep import exitcodes
from gansweep.sweep.storage import TRIALS_FILE

from .test_curves import read_scalars

REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def long_spec(tmp_path: Path) -> Path:
    spec = yaml.safe_load((REPO / "sweeps" / "quickstart.yaml").read_text())
    spec.update(name="interrupted", num_samples=1, replicates=1, iterations=600, eval_every=200)
    spec["config"].update({"model.width": 4, "model.z_dim": 8, "train.batch_size": 8,
                           "train.n_critic": 1, "eval.samples": 100, "eval.batch_size": 100})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def gansweep(*argv, **kw):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "gansweep.cli", *argv], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kw)


def test_ctrl_c_stops_cleanly_prints_resume_and_exits_130(tmp_path):
    where = tmp_path / "runs" / "interrupted"
    proc = gansweep("run", str(long_spec(tmp_path)), "--storage", str(tmp_path / "runs"),
                    "--progress-every", "600")
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:  # until a trial has reported an evaluation
            ledger = json.loads((where / TRIALS_FILE).read_text()) if (where / TRIALS_FILE).exists() else {}
            if any(e.get("iteration") for e in ledger.values()):
                break
            assert proc.poll() is None, proc.communicate()[0]
            time.sleep(0.2)
        else:
            pytest.fail("no trial reported within 240 s")
        os.killpg(proc.pid, signal.SIGINT)  # a terminal's Ctrl-C: the whole foreground group
        out, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == exitcodes.INTERRUPTED, out
    resume = f"gansweep resume {where}"
    assert resume in out, out
    ledger = json.loads((where / TRIALS_FILE).read_text())
    assert not any(e["state"] == "finished" for e in ledger.values())  # it really was cut short

    again = gansweep("resume", str(where))
    out2, _ = again.communicate(timeout=480)
    assert again.returncode == exitcodes.OK, out2
    ledger = json.loads((where / TRIALS_FILE).read_text())
    assert [e["state"] for e in ledger.values()] == ["finished"], out2
    assert all(e["iteration"] == 600 for e in ledger.values())
    for trial in ledger.values():  # live curves in each trial's directory, across the resume
        tags = read_scalars(where / trial["dir"])
        assert max(step for step, _ in tags["train/d_loss"]) == 600
        assert {step for step, _ in tags["eval/fid_digits"]} == {200, 400, 600}
