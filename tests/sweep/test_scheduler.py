"""ReplicatedASHA driven through Tune's scheduler API by a fake controller (no Ray cluster):
rung decisions per configuration, waits, timeouts, the state file, and plain ASHA with one
replicate."""

import random

import pytest
from ray.tune.experiment import Trial
from ray.tune.schedulers import ASHAScheduler, FIFOScheduler

from gansweep.sweep.scheduler import CONTINUE, PAUSE, RUNGS_FILE, STOP, FifoScheduler, ReplicatedASHA
from gansweep.sweep.storage import Location


class FakeTrial:
    def __init__(self, config_id, replicate):
        self.trial_id = f"c{config_id}r{replicate}"
        self.config = {"config_id": config_id, "replicate": replicate}
        self.status = Trial.PENDING
        self.is_saving = False

    def set_status(self, status):
        self.status = status


class FakeController:
    """What Tune does with a scheduler's trials: start, pause, stop (and call back)."""

    def __init__(self, scheduler):
        self.scheduler, self.trials = scheduler, []

    def add(self, trial):
        self.trials.append(trial)
        self.scheduler.on_trial_add(self, trial)
        return trial

    def get_trials(self):
        return self.trials

    def get_live_trials(self):  # Tune's: every trial not yet ended
        return {t for t in self.trials if t.status not in (Trial.TERMINATED, Trial.ERROR)}

    def report(self, trial, iteration, value, **extra):
        trial.status = Trial.RUNNING
        action = self.scheduler.on_trial_result(
            self, trial, {"iteration": iteration, "objective": value, **extra})
        trial.status = {PAUSE: Trial.PAUSED, STOP: Trial.TERMINATED}.get(action, Trial.RUNNING)
        return action

    def stop_trial(self, trial):
        if trial.status in (Trial.PAUSED, Trial.PENDING):
            self.scheduler.on_trial_remove(self, trial)
        trial.status = Trial.TERMINATED


def make(replicates=2, tmp_path=None, timeout_s=3600.0, ledger=None):
    s = ReplicatedASHA(max_t=18, grace_period=2, reduction_factor=3, replicates=replicates,
                       where=Location(tmp_path) if tmp_path else None, timeout_s=timeout_s,
                       ledger=ledger)
    s.set_search_properties("objective", "min")
    return s, FakeController(s)


def test_a_config_whose_seed_starts_badly_survives_on_its_mean():
    """Three middling configurations, then one whose seed 0 starts badly (3.0) while seed 1
    is the best (0.5): their mean 1.75 beats the others, so both seeds go on."""
    s, c = make()
    for cid, value in enumerate([2.0, 2.2, 2.4]):
        a, b = c.add(FakeTrial(cid, 0)), c.add(FakeTrial(cid, 1))
        assert c.report(a, 2, value) == PAUSE  # waits for its sibling, holding no resources
        assert c.report(b, 2, value) == (CONTINUE if cid == 0 else STOP)
        assert a.status == (Trial.PAUSED if cid == 0 else Trial.TERMINATED)  # with its sibling
    a, b = c.add(FakeTrial(3, 0)), c.add(FakeTrial(3, 1))
    assert c.report(a, 2, 3.0) == PAUSE
    assert c.report(b, 2, 0.5) == CONTINUE
    assert a.status == Trial.PAUSED and s._decision(s.waiting[a.trial_id])["action"] == CONTINUE
    c.trials[0].status = Trial.RUNNING  # config 0's released seed has been resumed
    assert c.scheduler.choose_trial_to_run(c) is a  # released, ahead of any pending trial
    assert s.decided["3"][repr(2.0)]["mean"] == pytest.approx(1.75)


def test_the_same_results_under_per_trial_asha_stop_the_unlucky_seed():
    asha = ASHAScheduler(time_attr="iteration", max_t=18, grace_period=2, reduction_factor=3)
    asha.set_search_properties("objective", "min")
    trials = [FakeTrial(cid, r) for cid in range(4) for r in range(2)]
    for t in trials:
        asha.on_trial_add(None, t)
    values = [2.0, 2.0, 2.2, 2.2, 2.4, 2.4, 3.0, 0.5]
    actions = [asha.on_trial_result(None, t, {"iteration": 2, "objective": v})
               for t, v in zip(trials, values)]
    assert actions[6:] == [STOP, CONTINUE]  # config 3 split: one seed stopped, one promoted


def test_one_replicate_decides_exactly_as_asha():
    rng = random.Random(0)
    asha = ASHAScheduler(time_attr="iteration", max_t=18, grace_period=2, reduction_factor=3)
    asha.set_search_properties("objective", "min")
    s, c = make(replicates=1)
    ours = [c.add(FakeTrial(i, 0)) for i in range(30)]
    for t in ours:
        asha.on_trial_add(None, t)
    live = list(ours)
    for iteration in range(2, 17, 2):  # interleaved, as trials report asynchronously
        rng.shuffle(live)
        for t in list(live):
            v = rng.gauss(2.0, 1.0)
            expected = asha.on_trial_result(None, t, {"iteration": iteration, "objective": v})
            assert c.report(t, iteration, v) == expected
            if expected == STOP:
                live.remove(t)
    assert 0 < len(live) < 30  # some stopped at each rung, some ran the whole budget


def test_a_rung_waits_at_most_the_timeout_then_decides_on_the_seeds_present(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("gansweep.sweep.scheduler.time.time", lambda: clock[0])
    notes = {}

    class Ledger:
        def note(self, trial, **fields):
            notes.setdefault(trial.trial_id, {}).update(fields)

    s, c = make(timeout_s=60, ledger=Ledger())
    a, b = c.add(FakeTrial(0, 0)), c.add(FakeTrial(0, 1))
    assert c.report(a, 2, 1.0) == PAUSE and notes["c0r0"]["state"] == "waiting"
    clock[0] += 30
    assert c.scheduler.choose_trial_to_run(c) is b  # still waiting; the sibling may start
    clock[0] += 31
    b.status = Trial.RUNNING
    assert c.scheduler.choose_trial_to_run(c) is a  # released on 1 of 2 seeds
    assert "on 1/2 seeds (waited 60 s)" in notes["c0r1"]["rung"]
    assert c.report(b, 2, 5.0) == CONTINUE  # the late seed follows the decision
    assert s.values["0"][repr(2.0)]["c0r1"] == [2, 5.0]


def test_a_replicate_that_ends_before_the_rung_is_not_waited_for():
    s, c = make()
    a, b = c.add(FakeTrial(0, 0)), c.add(FakeTrial(0, 1))
    assert c.report(a, 2, 1.0) == PAUSE
    b.status = Trial.ERROR
    s.on_trial_error(c, b)  # out of retries
    assert c.scheduler.choose_trial_to_run(c) is a
    assert s.decided["0"][repr(2.0)]["seeds"] == 1


def test_both_replicates_stop_at_the_same_rung():
    s, c = make()
    for cid, value in enumerate([1.0, 5.0]):
        a, b = c.add(FakeTrial(cid, 0)), c.add(FakeTrial(cid, 1))
        c.report(a, 2, value)
        c.report(b, 2, value)
    assert [t.status for t in c.trials[2:]] == [Trial.TERMINATED] * 2
    assert [t.status for t in c.trials[:2]] == [Trial.PAUSED, Trial.RUNNING]


def test_a_restored_scheduler_holds_a_waiting_replicate_until_its_rung_is_decided(tmp_path):
    s, c = make(tmp_path=tmp_path)
    a, b = c.add(FakeTrial(0, 0)), c.add(FakeTrial(0, 1))
    assert c.report(a, 2, 1.0) == PAUSE
    assert (tmp_path / RUNGS_FILE).exists()
    # The driver dies. Tune restores both unfinished trials as PENDING, and this scheduler
    # as it was pickled when the sweep started: empty, except for the state file.
    s2, c2 = make(tmp_path=tmp_path)
    a2, b2 = FakeTrial(0, 0), FakeTrial(0, 1)
    c2.add(a2), c2.add(b2)
    assert a2.status == Trial.PAUSED and b2.status == Trial.PENDING
    assert c2.scheduler.choose_trial_to_run(c2) is b2
    b2.status = Trial.RUNNING
    assert c2.report(b2, 2, 3.0) == CONTINUE
    assert c2.scheduler.choose_trial_to_run(c2) is a2
    assert s2.decided["0"][repr(2.0)]["mean"] == pytest.approx(2.0)
    assert c2.report(a2, 4, 1.0) == CONTINUE and "c0r0" not in s2.waiting


def test_fifo_picks_what_tunes_fifo_picks_looking_only_at_live_trials():
    """FifoScheduler is Tune's FIFOScheduler (first pending in queue order, else first
    paused) on random queues, including a retried trial moved to the queue's end; and with
    no live trial waiting it never walks the queue (Tune asks at every step of its loop)."""
    rng = random.Random(0)
    ours, tunes = FifoScheduler(), FIFOScheduler()
    states = [Trial.PENDING, Trial.PAUSED, Trial.RUNNING, Trial.TERMINATED, Trial.ERROR]
    for _ in range(500):
        c = FakeController(ours)
        c.trials = [FakeTrial(i, 0) for i in range(rng.randint(0, 12))]
        for t in c.trials:
            t.status = rng.choices(states, weights=[1, 1, 2, 6, 1])[0]
        if c.trials and rng.random() < 0.3:
            c.trials.append(c.trials.pop(rng.randrange(len(c.trials))))  # requeued at the end
        assert ours.choose_trial_to_run(c) is tunes.choose_trial_to_run(c)

    class Counting(FakeController):
        walked = 0

        def get_trials(self):
            self.walked += 1
            return self.trials

    c = Counting(ours)
    c.trials = [FakeTrial(i, 0) for i in range(1000)]
    for t in c.trials:
        t.status = Trial.TERMINATED
    c.trials[-1].status = Trial.RUNNING
    assert ours.choose_trial_to_run(c) is None and c.walked == 0
    c.trials[500].status = Trial.PENDING
    assert ours.choose_trial_to_run(c) is c.trials[500] and c.walked == 0
