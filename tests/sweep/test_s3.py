"""The cloud path (issue 16): a sweep whose only storage is an S3 bucket.

moto's S3 server runs on 127.0.0.1 on a free port for this module and is stopped at its end;
pyarrow (gansweep's Location, Ray Tune's storage) reaches it through AWS_ENDPOINT_URL, set
before any Ray process starts so that every worker inherits it. Against s3://BUCKET/exp the
CLI runs a sweep, is killed, resumes, and then status, collect, report and eval read the
experiment from the bucket. Nothing is written outside tmp_path and the bucket.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gansweep.models.families import smoke_config
from gansweep.sweep.storage import CACHE_DIR, TRIALS_FILE, Location

pytest.importorskip("moto.server", reason="moto[server] (the test extra) is not installed")
pytestmark = pytest.mark.slow
REPO = Path(__file__).parents[2]
BUCKET = "gansweep-test"
TINY = {"name": "tiny", "model": "AC-WGAN.a", "data": {"name": "digits"},
        "config": {**smoke_config(), "train.log_every": 2}, "iterations": 60, "eval_every": 6,
        "metric": "fid_digits", "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}},
        "num_samples": 1, "replicates": 2, "max_failures": 3, "resources": {"cpu": 1}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    """s3://BUCKET on a moto server on 127.0.0.1; the AWS variables point every process at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    with pytest.MonkeyPatch.context() as mp:
        for var, value in {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                           # never ask a cloud metadata service for credentials or a region
                           "AWS_EC2_METADATA_DISABLED": "true"}.items():
            mp.setenv(var, value)
        import pyarrow.fs as pafs
        pafs.S3FileSystem(endpoint_override=f"http://127.0.0.1:{port}", region="us-east-1",
                          access_key="testing", secret_key="testing",
                          allow_bucket_creation=True).create_dir(BUCKET)
        try:
            yield f"s3://{BUCKET}"
        finally:
            server.stop()


def gansweep(*argv, timeout=600, **kw):
    return subprocess.run([sys.executable, "-m", "gansweep.cli", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, **kw)


def ledger(where: Location) -> dict:
    try:
        return where.read_json(TRIALS_FILE, {}) or {}
    except (json.JSONDecodeError, OSError):  # being replaced right now
        return {}


def checkpoints(where: Location, trial_dir: str) -> list[str]:
    trial = where.child(trial_dir)
    return [d for d in trial.subdirs() if d.startswith("checkpoint_")]


def test_location_round_trip_on_s3(s3):
    where = Location(f"{s3}/roundtrip").child("a")
    where.write_json("x/y.json", {"k": 1})
    assert where.read_json("x/y.json") == {"k": 1}
    assert where.listdir() == ["x"] and where.subdirs() == ["x"]
    assert not where.is_local
