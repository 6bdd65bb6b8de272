"""The README's cluster recipe, locally (issue 15): a Ray head on 127.0.0.1 (`ray start
--head`), and the driver submitted as a Ray job (`ray job submit -- gansweep run ...`), so it
outlives the terminal that submitted it. The head is this test's own process group, stopped
by its id: never `ray stop`, which would stop every Ray on the machine."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from gansweep.sweep.storage import TRIALS_FILE

REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ray_cli() -> str:
    return str(Path(sys.executable).with_name("ray"))


def head_output(proc: subprocess.Popen) -> str:
    """What `ray start` printed, once it has exited (while it runs, reading its pipe would block)."""
    return proc.stdout.read()[-3000:] if proc.poll() is not None else "(still running)"


@pytest.fixture
def head():
    pytest.importorskip("ray.dashboard.modules.job.sdk", reason="ray[default] (the job server) is not installed")
    try:
        import aiohttp  # noqa: F401  the dashboard's own dependency, ray[default]
    except ImportError:
        pytest.skip("ray[default] (the dashboard and job server) is not installed")
    # Short, in the outer temporary directory (tests/conftest.py), not under pytest's basetemp
    # (one level deeper per xdist worker): Ray's socket paths must fit in 107 bytes.
    temp = Path(tempfile.mkdtemp(prefix="gs-ray-"))
    # Ray >= 2.5x turns token auth on for a head that finds ~/.ray/auth_token, which an
    # earlier test's local ray.init() leaves in the suite's HOME; this process's client
    # would then be refused. The head, its job and the client run without tokens here.
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    # Every port free, the job agent's too: its default, 52365, is the one every other Ray on
    # the machine binds (a local ray.init in a test on the other xdist worker), and an agent
    # that cannot bind it leaves the head without a job agent ("No available agent to submit
    # job" for minutes).
    gcs, dash, agent = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [ray_cli(), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
         f"--port={gcs}", "--dashboard-host=127.0.0.1", f"--dashboard-port={dash}",
         f"--dashboard-agent-listen-port={agent}",
         "--include-dashboard=true", "--num-cpus=2", "--num-gpus=0", f"--temp-dir={temp}",
         "--disable-usage-stats"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, env=env)
    address = f"http://127.0.0.1:{dash}"
    try:
        from ray.job_submission import JobSubmissionClient
        deadline, client = time.monotonic() + 180, None
        while client is None:  # the dashboard starts a while after the head
            try:
                client = JobSubmissionClient(address)
            except (ConnectionError, RuntimeError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"no Ray head at {address}:\n{head_output(proc)}")
                time.sleep(2)
        yield client, address
    finally:
        # SIGTERM to `ray start --block` alone: it stops what it started, in order, in ~2 s;
        # the same signal to its whole process group made that shutdown take ~30 s.
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(temp, ignore_errors=True)


def test_sweep_submitted_as_a_ray_job(head, tmp_path):
    client, address = head
    storage = tmp_path / "runs"
    entry = [ray_cli(), "job", "submit", "--address", address, "--no-wait",
             "--submission-id", "gansweep-smoke", "--",
             sys.executable, "-m", "gansweep.cli", "run", str(REPO / "sweeps" / "quickstart.yaml"),
             "--smoke-test", "--storage", str(storage), "--progress-every", "600"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RAY_AUTH_MODE": "disabled"}
    deadline = time.monotonic() + 180
    while True:  # the head's job agent comes up a while after its dashboard answers
        submitted = subprocess.run(entry, env=env, capture_output=True, text=True, timeout=120)
        output = submitted.stdout + submitted.stderr
        if submitted.returncode == 0 or "No available agent" not in output or time.monotonic() > deadline:
            break
        time.sleep(3)
    assert submitted.returncode == 0, output
    deadline = time.monotonic() + 420
    while str(client.get_job_status("gansweep-smoke")) not in ("SUCCEEDED", "FAILED", "STOPPED"):
        assert time.monotonic() < deadline, client.get_job_logs("gansweep-smoke")
        time.sleep(3)
    logs = client.get_job_logs("gansweep-smoke")
    assert str(client.get_job_status("gansweep-smoke")) == "SUCCEEDED", logs
    assert "gansweep collect" in logs  # the run's own summary, from inside the job
    ledger = json.loads((storage / "quickstart" / TRIALS_FILE).read_text())
    assert len(ledger) == 2 and all(e["state"] == "finished" for e in ledger.values())
