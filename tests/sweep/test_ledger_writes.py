"""The ledger rewrites gansweep-trials.json whole, so a write costs more the more trials a sweep
has; writes are spaced by their CPU cost so that their share of the driver's CPU stays bounded,
while a slow store's latency (object storage) does not make the file stale."""

import json

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
