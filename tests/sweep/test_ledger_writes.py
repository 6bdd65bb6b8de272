"""The ledger rewrites gansweep-trials.json whole, so a write costs more the more trials a sweep
has: only changed entries are encoded again, and writes are spaced by their CPU cost so that
their share of the driver's CPU stays bounded, while a slow store's latency (object storage)
does not make the file stale."""

import json
import random
from types import SimpleNamespace

from gansweep.sweep import ledger as ledger_module
from gansweep.sweep.ledger import MIN_WRITE_EVERY_S, WRITE_SHARE, Ledger
from gansweep.sweep.storage import TRIALS_FILE, Location


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_costly_write_spaces_the_next_ones_and_the_file_stays_plain_json(tmp_path, monkeypatch):
    clock, cpu = Clock(), Clock()
    monkeypatch.setattr(ledger_module.time, "monotonic", clock)
    monkeypatch.setattr(ledger_module.time, "thread_time", cpu)
    where = Location(tmp_path)
    written = []

    class SlowDisk(Location):
        def write_text(self, name, text):
            clock.now += 0.5  # this write took half a second of the driver's CPU
            cpu.now += 0.5
            written.append(clock.now)
            super().write_text(name, text)

    ledger = Ledger(SlowDisk(str(tmp_path)), "fid", "min", 10, every_s=1e9)
    ledger.trials = {"t1": {"trial_id": "t1", "state": "running", "iteration": 3}}
    ledger.flush()
    assert json.loads(where.read_text(TRIALS_FILE)) == ledger.trials
    gap = 0.5 / WRITE_SHARE
    ledger._dirty = True
    clock.now += gap - 1  # sooner than the write's cost allows: not written
    ledger.on_step_end(0, [])
    assert len(written) == 1
    clock.now += 2
    ledger.on_step_end(0, [])
    assert len(written) == 2


def test_cheap_writes_keep_the_minimum_interval(tmp_path, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ledger_module.time, "monotonic", clock)
    ledger = Ledger(Location(tmp_path), "fid", "min", 10, every_s=1e9)
    ledger.trials = {"t1": {"trial_id": "t1", "state": "running"}}
    ledger.flush()
    ledger._dirty = True
    clock.now += MIN_WRITE_EVERY_S / 2
    ledger.on_step_end(0, [])
    assert ledger._dirty  # not yet
    clock.now += MIN_WRITE_EVERY_S
    ledger.on_step_end(0, [])
    assert not ledger._dirty


def test_a_write_slow_only_by_latency_keeps_the_minimum_interval(tmp_path, monkeypatch):
    clock, cpu = Clock(), Clock()
    monkeypatch.setattr(ledger_module.time, "monotonic", clock)
    monkeypatch.setattr(ledger_module.time, "thread_time", cpu)

    class RemoteStore(Location):  # object storage: the request waits, the CPU does not work
        def write_text(self, name, text):
            clock.now += 0.5
            cpu.now += 0.001
            super().write_text(name, text)

    ledger = Ledger(RemoteStore(str(tmp_path)), "fid", "min", 10, every_s=1e9)
    ledger.trials = {"t1": {"trial_id": "t1", "state": "running"}}
    ledger.flush()
    assert ledger._write_every == MIN_WRITE_EVERY_S


def test_the_file_is_the_whole_table_while_only_changed_entries_are_encoded(tmp_path, monkeypatch):
    """Byte for byte json.dumps(trials, sort_keys=True) (compact) after any sequence of hooks,
    with each write encoding only the trials touched since the one before."""
    where, rng = Location(tmp_path), random.Random(0)
    ledger = Ledger(where, "fid", "min", 10, every_s=1e9)
    ledger.setup()
    encoded = []
    real = ledger_module._compact
    monkeypatch.setattr(ledger_module, "_compact", lambda v: encoded.append(v["trial_id"]) or real(v))
    trials = [SimpleNamespace(trial_id=f"t{i:04d}", config={"config_id": i // 2, "replicate": i % 2},
                              storage=SimpleNamespace(trial_dir_name=f"t{i:04d}"), last_result={})
              for i in range(60)]
    for _ in range(40):
        touched = set()
        for t in rng.sample(trials, rng.randint(0, 8)):
            touched.add(t.trial_id)
            if rng.random() < 0.5:
                ledger.on_trial_start(0, trials, t)
            else:
                ledger.on_trial_result(0, trials, t, {"iteration": rng.randint(1, 10),
                                                      "fid": rng.random(), "budget": 10})
        encoded.clear()
        ledger.flush()
        assert set(encoded) == touched
        assert where.read_text(TRIALS_FILE) == json.dumps(ledger.trials, sort_keys=True, default=str,
                                                          separators=(",", ":"))


def test_a_ledger_pickled_before_the_encoding_cache_still_notes_and_writes(tmp_path):
    import pickle

    ledger = Ledger(Location(tmp_path), "fid", "min", 10, every_s=1e9)
    old = pickle.loads(pickle.dumps(ledger))
    for name in ("_encoded", "_changed"):
        del old.__dict__[name]
    old = pickle.loads(pickle.dumps(old))  # what Tuner.restore gets from an older sweep
    trial = SimpleNamespace(trial_id="t1", config={"config_id": 0}, last_result={},
                            storage=SimpleNamespace(trial_dir_name="t1"))
    old.note(trial, state="waiting")  # before setup(), as the scheduler does on restore
    old.flush()
    assert json.loads(Location(tmp_path).read_text(TRIALS_FILE))["t1"]["state"] == "waiting"
