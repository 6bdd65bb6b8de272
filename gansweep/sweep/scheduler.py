"""Successive halving per configuration: ASHA's rungs, decided on the mean over replicates.

Ray's ASHAScheduler sees each replicate as an unrelated trial: it can stop one seed of a
configuration at a rung and promote the other, and the searcher then averages values taken
at different budgets. `ReplicatedASHA` keeps ASHA's machinery (its bracket: the same rungs,
the same cutoff) but enters one record per configuration into it: the mean of the
replicates' objective at the rung's iteration. The decision is the configuration's: all its
replicates continue, or all stop at that rung, so they end at equal iterations.

A replicate that reaches a rung before its siblings is PAUSED (Tune saves it and frees its
resources) until they arrive, or until `timeout_s`; then the rung is decided on the seeds
present, the trial table says so, and a late seed follows that decision when it arrives. A
replicate that ends without reaching the rung (errored, diverged earlier) is not waited for.
With one replicate a configuration is a trial, nobody waits, and every decision is ASHA's.

Tune restores searchers and callbacks after a driver dies, not schedulers; a replicate
waiting at a rung must not run past it then. So who waits where and what each rung decided
is written to EXPERIMENT/gansweep-rungs.jsonl on every change and read back on restore. (One
JSON line, and not `.json`: on restore Tune copies the experiment's .json and .pkl files to
its staging directory and later uploads them back, over whatever was written since.)
"""

from __future__ import annotations

import json
import time

from ray.tune.experiment import Trial
from ray.tune.schedulers import AsyncHyperBandScheduler, FIFOScheduler, TrialScheduler
from ray.tune.schedulers.async_hyperband import _Bracket

from gansweep.sweep.storage import Location

RUNGS_FILE = "gansweep-rungs.jsonl"
CONTINUE, STOP, PAUSE = TrialScheduler.CONTINUE, TrialScheduler.STOP, TrialScheduler.PAUSE


def rung_milestones(grace_period: int, max_t: int, reduction_factor: float) -> list[float]:
    """ASHA's rungs, ascending: exactly the milestones of Tune's own bracket."""
    return sorted(m for m, _ in _Bracket(grace_period, max_t, reduction_factor, 0)._rungs)


class _Config:
    """What the bracket records: it only reads `trial_id`."""

    def __init__(self, cid):
        self.trial_id = f"config-{cid}"


def first_queued(tune_controller, accept) -> Trial | None:
    """The first trial in Tune's queue order that `accept`s: Tune's FIFO choice, looked for
    among the live trials (pending, running, paused) instead of every trial. Tune asks the
    scheduler at every step of its loop, about 20 times per trial, and its own FIFO scan
    walks all trials each time: quadratic in the sweep's size, with the ledger's rewrites
    and Tune's snapshots the growth of the driver's CPU per trial from 100 to 1,000 trials.
    Only when two live trials qualify is the queue walked, for their order (a retried trial
    goes to its end)."""
    live = [t for t in tune_controller.get_live_trials() if accept(t)]
    if len(live) <= 1:
        return live[0] if live else None
    live = set(live)
    return next(t for t in tune_controller.get_trials() if t in live)


class FifoScheduler(FIFOScheduler):
    """Tune's default scheduler (first pending, else first paused trial), without its scan
    of every trial at every step (first_queued)."""

    def choose_trial_to_run(self, tune_controller) -> Trial | None:
        return (first_queued(tune_controller, lambda t: t.status == Trial.PENDING)
                or first_queued(tune_controller, lambda t: t.status == Trial.PAUSED))


class ReplicatedASHA(AsyncHyperBandScheduler):
    def __init__(self, *, max_t: int, grace_period: int, reduction_factor: float,
                 replicates: int, where: Location | None = None, timeout_s: float = 3600.0,
                 ledger=None, time_attr: str = "iteration"):
        super().__init__(time_attr=time_attr, max_t=max_t, grace_period=grace_period,
                         reduction_factor=reduction_factor, brackets=1)
        self.replicates, self.where, self.timeout_s, self.ledger = replicates, where, timeout_s, ledger
        self.milestones = rung_milestones(grace_period, max_t, reduction_factor)
        self._loaded = False
        self._trials: dict[str, Trial] = {}
        self.configs: dict[str, str] = {}  # trial id -> config id
        self.values: dict = {}     # config -> rung -> trial id -> [iteration, objective]
        self.decided: dict = {}    # config -> rung -> {action, mean, seeds, timeout, ...}
        self.waiting: dict = {}    # trial id -> {config, rung, since}, until it moves on
        self.ended: set[str] = set()  # trials that will report nothing more

    # --- Tune's scheduler hooks --------------------------------------------------------------

    def on_trial_add(self, tune_controller, trial: Trial):
        self._load()
        tid, cid = trial.trial_id, str(trial.config.get("config_id", trial.trial_id))
        self._trials[tid], self.configs[tid] = trial, cid
        if trial.status in (Trial.TERMINATED, Trial.ERROR):  # restored, and done
            self.ended.add(tid)
            self.waiting.pop(tid, None)
            return
        self.ended.discard(tid)  # a restored trial runs again
        w = self.waiting.get(tid)
        if w and trial.status == Trial.PENDING:
            # Restored after a driver died while it waited: Tune would start every PENDING
            # trial, so it is filed as PAUSED (Tune files it by status right after this hook)
            # and released, or stopped, by choose_trial_to_run once its rung is decided.
            w["since"] = time.time()  # siblings restart too: a fresh timeout
            if self._decision(w) is None or self._decision(w)["action"] == STOP:
                trial.set_status(Trial.PAUSED)

    def on_trial_result(self, tune_controller, trial: Trial, result: dict) -> str:
        if self._time_attr not in result or self._metric not in result:
            return CONTINUE
        t = result[self._time_attr]
        if t >= self._max_t and self._stop_last_trials:
            return STOP  # ASHA's end of the budget; the trainable ends there anyway
        tid, cid = trial.trial_id, self.configs[trial.trial_id]
        if tid in self.waiting and self._decision(self.waiting[tid]) is not None:
            del self.waiting[tid]  # released by its rung's decision: it has moved on
            self._save()
        rung = self._rung(cid, tid, t)
        if rung is None:
            return CONTINUE
        self._record(cid, rung, tid, t, result[self._metric])
        decision = self.decided.get(cid, {}).get(rung)
        if decision is None and self._missing(cid, rung) <= 0:
            decision = self._decide(tune_controller, cid, rung, timeout=False)
        if result.get("diverged"):
            return STOP  # it ends here anyway; its value counts at the rung, nobody waits on it
        if decision is None:
            self.waiting[tid] = {"config": cid, "rung": rung, "since": time.time()}
            self._note(tid, state="waiting")
            self._save()
            return PAUSE
        return decision["action"]

    def on_trial_complete(self, tune_controller, trial: Trial, result: dict):
        # The last result may sit at a rung this trial has not recorded (the budget's end
        # past the last rung): ASHA records it, and so does the configuration here.
        tid = trial.trial_id
        if result and self._time_attr in result and self._metric in result and tid in self.configs:
            cid, t = self.configs[tid], result[self._time_attr]
            rung = self._rung(cid, tid, t)
            if rung is not None:
                self._record(cid, rung, tid, t, result[self._metric])
        self._end(tune_controller, trial)

    def on_trial_remove(self, tune_controller, trial: Trial):
        self._end(tune_controller, trial)

    def on_trial_error(self, tune_controller, trial: Trial):
        self._end(tune_controller, trial)

    def choose_trial_to_run(self, tune_controller) -> Trial | None:
        """A replicate released by its rung's decision first, then PENDING trials (FIFO).
        A PAUSED replicate whose rung is undecided is never chosen. Rungs that waited past
        the timeout are decided here: this hook runs every step of Tune's loop."""
        now = time.time()
        for w in list(self.waiting.values()):
            if self._decision(w) is None and now - w["since"] > self.timeout_s:
                self._decide(tune_controller, w["config"], w["rung"], timeout=True)
        for tid, w in list(self.waiting.items()):
            trial, decision = self._trials.get(tid), self._decision(w)
            if trial is None or decision is None or trial.status != Trial.PAUSED:
                continue
            if decision["action"] == STOP:  # decided while the driver was down
                self.waiting.pop(tid)
                tune_controller.stop_trial(trial)
            else:
                return trial
        return (first_queued(tune_controller, lambda t: t.status == Trial.PENDING)
                or first_queued(tune_controller,  # paused, but waiting for nothing
                                lambda t: t.status == Trial.PAUSED and t.trial_id not in self.waiting))

    def debug_string(self) -> str:
        return (f"ReplicatedASHA: {len(self.waiting)} replicates waiting at a rung; "
                + super().debug_string())

    # --- rungs ----------------------------------------------------------------------------

    def _rung(self, cid, tid, t) -> str | None:
        """The rung a report at iteration t counts for, picked as ASHA's bracket picks it:
        the highest one at or below t that this replicate has not reached before (so a rung
        that evaluations skipped is filled by the next report, as in ASHA)."""
        mine = self.values.get(cid, {})
        for m in reversed(self.milestones):
            key = repr(float(m))
            if m <= t and tid not in mine.get(key, {}):
                return key
        return None

    def _record(self, cid, rung, tid, t, value) -> None:
        """A replicate's value at the rung: its first report at or past the milestone."""
        self.values.setdefault(cid, {}).setdefault(rung, {})[tid] = [t, float(value)]

    def _missing(self, cid, rung) -> int:
        """Replicates still expected at the rung: all of them, less those present and
        those that ended without reaching it (not yet started ones are expected)."""
        present = self.values.get(cid, {}).get(rung, {})
        gone = [t for t in self.ended if self.configs.get(t) == cid and t not in present]
        return self.replicates - len(present) - len(gone)

    def _decision(self, w: dict) -> dict | None:
        return self.decided.get(w["config"], {}).get(w["rung"])

    def _decide(self, tune_controller, cid, rung, timeout: bool) -> dict:
        seen = self.values[cid][rung]
        mean = sum(v for _, v in seen.values()) / len(seen)
        action = self._brackets[0].on_result(_Config(cid), float(rung), self._metric_op * mean)
        self._num_stopped += action == STOP
        decision = {"action": action, "mean": mean, "seeds": len(seen), "of": self.replicates,
                    "iteration": max(t for t, _ in seen.values()), "timeout": timeout}
        self.decided.setdefault(cid, {})[rung] = decision
        verdict = ("reached the budget" if float(rung) >= self._max_t  # recorded, not a choice
                   else "continue" if action == CONTINUE else "stop")
        note = (f"{decision['iteration']:g}: {verdict} on {len(seen)}/{self.replicates} seeds"
                + (f" (waited {self.timeout_s:g} s)" if timeout else ""))
        for tid, c in self.configs.items():
            if c == cid:
                self._note(tid, rung=note)
        stop = [t for t, w in self.waiting.items()
                if w["config"] == cid and w["rung"] == rung and action == STOP]
        for tid in stop:
            self.waiting.pop(tid)
        self._save()
        for tid in stop:  # after the state is consistent: stop_trial calls back into us
            trial = self._trials.get(tid)
            if trial is not None and trial.status not in (Trial.ERROR, Trial.TERMINATED):
                tune_controller.stop_trial(trial)
        return decision

    def _end(self, tune_controller, trial: Trial) -> None:
        """A replicate ended: its siblings stop waiting for it at rungs it never reached."""
        tid = trial.trial_id
        self.ended.add(tid)
        self.waiting.pop(tid, None)
        cid = self.configs.get(tid)
        # Rungs now complete: siblings waiting there are released (or stopped), and a rung
        # reached by the last reports of finished replicates enters the bracket, as in ASHA.
        for rung in sorted(self.values.get(cid, {}), key=float):
            if rung not in self.decided.get(cid, {}) and self._missing(cid, rung) <= 0:
                self._decide(tune_controller, cid, rung, timeout=False)
        self._save()

    # --- the trial table and the state file -----------------------------------------------

    def _note(self, tid: str, **fields) -> None:
        if self.ledger is not None and tid in self._trials:
            self.ledger.note(self._trials[tid], **fields)

    def _save(self) -> None:
        if self.where is not None:
            self.where.write_text(RUNGS_FILE, json.dumps({
                "values": self.values, "decided": self.decided, "waiting": self.waiting,
                "ended": sorted(self.ended),
                "bracket": [[m, rec] for m, rec in self._brackets[0]._rungs]}) + "\n")

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.where is None or not self.where.exists(RUNGS_FILE):
            return
        state = json.loads(self.where.read_text(RUNGS_FILE))
        self.values, self.decided, self.waiting = state["values"], state["decided"], state["waiting"]
        self.ended = set(state["ended"])
        for (_, recorded), (_, saved) in zip(self._brackets[0]._rungs, state["bracket"]):
            recorded.update(saved)
