"""`gansweep run` checks its spec's searched keys while Ray starts, and a key it refuses stops
that Ray again with nothing written. Ray itself is replaced by stand-ins here: what is tested
is the order of things, not Ray."""

import threading
from pathlib import Path

import pytest
import ray
import yaml

from gansweep import exitcodes
from gansweep.cli import main as cli
from gansweep.commands import run as run_command
from gansweep.sweep import outcome, tuner

QUICKSTART = Path(__file__).parents[2] / "sweeps" / "quickstart.yaml"


@pytest.fixture
def ray_calls(monkeypatch):
    """What `run` asks of Ray, in order; the sweep itself is not run."""
    calls = []
    monkeypatch.setattr(tuner, "init_ray", lambda address: calls.append("init"))
    monkeypatch.setattr(ray, "shutdown", lambda: calls.append("shutdown"))
    monkeypatch.setattr(tuner, "run_sweep", lambda *a, **k: calls.append("sweep") or [])
    monkeypatch.setattr(outcome, "conclude", lambda *a, **k: exitcodes.OK)
    return calls


def test_the_spec_check_runs_while_ray_starts(ray_calls, monkeypatch, tmp_path):
    checking, starting = threading.Event(), threading.Event()
    check = run_command.check_inert_keys

    def init(address):  # Ray's start waits for the check to be under way, and vice versa
        starting.set()
        assert checking.wait(60), "the spec check did not start while Ray was starting"
        ray_calls.append("init")

    def checked(spec, source):
        checking.set()
        assert starting.wait(60), "Ray did not start while the spec was being checked"
        return check(spec, source)

    monkeypatch.setattr(tuner, "init_ray", init)
    monkeypatch.setattr(run_command, "check_inert_keys", checked)
    assert cli(["run", str(QUICKSTART), "--smoke-test", "--storage", str(tmp_path)]) == exitcodes.OK
    assert ray_calls == ["init", "sweep"]


def test_a_refused_key_stops_the_ray_it_started_and_writes_nothing(ray_calls, tmp_path, capsys):
    spec = tmp_path / "inert.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "inert", "model": "WGAN", "data": {"name": "digits"}, "iterations": 10,
        "eval_every": 5, "metric": "fid_digits",
        "search": {"loss.sharing_lambda": {"loguniform": [0.001, 10.0]}}}))  # nothing is shared
    assert cli(["run", str(spec), "--storage", str(tmp_path / "runs")]) == exitcodes.INPUT_ERROR
    assert "search.loss.sharing_lambda: cannot change the training of WGAN" in capsys.readouterr().err
    assert ray_calls == ["init", "shutdown"]
    assert not (tmp_path / "runs").exists()


def test_dry_run_checks_the_spec_and_starts_no_ray(ray_calls, tmp_path, capsys):
    assert cli(["run", str(QUICKSTART), "--dry-run", "--storage", str(tmp_path)]) == exitcodes.OK
    assert ray_calls == [] and "searcher    tpe" in capsys.readouterr().out
    assert not (tmp_path / "quickstart").exists()


def test_an_existing_experiment_is_refused_before_ray_starts(ray_calls, tmp_path, capsys):
    (tmp_path / "quickstart").mkdir()
    (tmp_path / "quickstart" / "gansweep-spec.yaml").write_text("spec: {}\n")
    assert cli(["run", str(QUICKSTART), "--storage", str(tmp_path)]) == exitcodes.INPUT_ERROR
    assert "already holds an experiment" in capsys.readouterr().err and ray_calls == []
