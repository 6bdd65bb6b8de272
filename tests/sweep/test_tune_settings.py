"""Tune's settings that only environment variables reach (gansweep.sweep.tuner.tune_settings)."""

import os

import pytest

from gansweep.sweep import tuner
from gansweep.sweep.spec import parse_spec

SPEC = {"model": "WGAN", "data": {"name": "digits"}, "metric": "fid_digits",
        "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]}}}


@pytest.fixture
def env(monkeypatch):
    for key in ("TUNE_MAX_PENDING_TRIALS_PG", "TUNE_GLOBAL_CHECKPOINT_S"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(tuner, "_SET_HERE", {})
    return monkeypatch


@pytest.mark.parametrize("configs, replicates, snapshot_s, pending", [
    (50, 2, "auto", "2"),    # 100 trials: Tune's own period (10 s, or longer on slow storage)
    (150, 2, "auto", "2"),   # 300
    (500, 2, "30", "2"),     # 1,000 trials: a snapshot's O(trials) cost spaced by O(trials)
    (1000, 5, "150", "5")])  # a configuration's replicates start together
def test_the_snapshot_period_grows_with_the_sweep(env, configs, replicates, snapshot_s, pending):
    tuner.tune_settings(parse_spec({**SPEC, "num_samples": configs, "replicates": replicates}))
    assert os.environ["TUNE_GLOBAL_CHECKPOINT_S"] == snapshot_s
    assert os.environ["TUNE_MAX_PENDING_TRIALS_PG"] == pending


def test_the_users_own_settings_win(env):
    big, small = (parse_spec({**SPEC, "num_samples": n, "replicates": 2}) for n in (500, 50))
    tuner.tune_settings(big)  # one sweep, then another of a different size: ours follow it
    tuner.tune_settings(small)
    assert os.environ["TUNE_GLOBAL_CHECKPOINT_S"] == "auto"
    env.setenv("TUNE_GLOBAL_CHECKPOINT_S", "1")  # set by the user, before or after the import
    env.setenv("TUNE_MAX_PENDING_TRIALS_PG", "7")
    tuner.tune_settings(big)
    assert (os.environ["TUNE_GLOBAL_CHECKPOINT_S"], os.environ["TUNE_MAX_PENDING_TRIALS_PG"]) == ("1", "7")

