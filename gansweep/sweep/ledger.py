"""Trial states beside Ray's files, and the compact progress table a sweep prints.

`Ledger` is a Ray Tune callback on the driver. It keeps EXPERIMENT/gansweep-trials.json (one
entry per trial: its sampled params, replicate, state, iteration, best and latest metrics,
failures and last error) so that `gansweep status` and `gansweep collect` can read a running
or interrupted experiment without Ray, and prints the trial table every `every_s` seconds.

States: pending, running, waiting (paused at a rung until its configuration's other
replicates arrive: gansweep.sweep.scheduler), retrying (crashed, will continue from its
checkpoint), finished (reached its budget), stopped (by the scheduler), diverged, errored
(out of retries). `rung` is the configuration's last rung decision, as the scheduler notes it.
"""

from __future__ import annotations

import json
import math
import sys
import time

from ray.tune import Callback

from gansweep.location import read_jsonl
from gansweep.metrics import registry
from gansweep.sweep.searcher import OBJECTIVE
from gansweep.sweep.storage import TRIALS_FILE, Location

MIN_WRITE_EVERY_S = 2.0  # how stale `gansweep status` may be
WRITE_SHARE = 0.01       # at most this share of the driver's CPU rewriting the ledger
ENDED = frozenset({"finished", "stopped", "diverged", "errored"})


class Ledger(Callback):
    def __init__(self, where: Location, metric: str, mode: str, iterations: int,
                 every_s: float = 30.0, expected: int = 0):
        self.where, self.metric, self.mode, self.iterations = where, metric, mode, iterations
        self.expected = expected  # trials the sweep will run, for counts and the ETA
        self.every_s = every_s  # (no stream attribute: Tune pickles its callbacks)
        self.trials: dict[str, dict] = {}
        self._printed = self._written = 0.0
        self._dirty = False
        self._write_every = MIN_WRITE_EVERY_S
        self._encoded: dict[str, str] = {}  # trial id -> '"id":{entry as JSON}', as last written
        self._changed: set[str] = set()     # trial ids whose entry changed since

    def __setstate__(self, state):
        # Tuner.restore unpickles the ledger pickled when the sweep started, perhaps by a
        # gansweep without the encoding cache; the scheduler may note restored trials
        # before Tune calls setup().
        self.__dict__.update({"_encoded": {}, "_changed": set(), **state})

    # --- Tune callback hooks -----------------------------------------------------------------

    def setup(self, **info):
        # Tuner.restore unpickles this callback as it was when the sweep started: the file
        # holds the trials since, including those finished before the interruption.
        self.trials = self.where.read_json(TRIALS_FILE, {}) or {}
        self._encoded, self._changed = {}, set()  # flush encodes every entry not in _encoded
        self._reconciled, self._resumed = False, bool(self.trials)
        # Before this driver tells anything: the configurations a forgotten trial may count for
        self._told_before = _told(self.where) if self._resumed else set()

    def _reconcile(self, trials) -> None:
        """Once, at the first step: trials Ray restored as ended while the file (written every
        few seconds) still shows them unfinished, because a killed driver's last write came
        before their end. Ray runs no hook for them, so they would stay "running". After a
        resume, also the trials Ray forgot altogether (_adopt_forgotten)."""
        self._reconciled = True
        for trial in trials:
            e = self.trials.get(trial.trial_id)
            if e is None or e["state"] in ENDED:
                continue
            if trial.status == "TERMINATED":
                self.on_trial_complete(0, trials, trial)
            elif trial.status == "ERROR":
                self._entry(trial)["state"] = "errored"
        if getattr(self, "_resumed", False):
            self._adopt_forgotten(trials)

    def _adopt_forgotten(self, trials) -> None:
        """The trials Ray forgot: a killed driver started them after Ray's last snapshot,
        and the directory or this file may know them. One whose configuration the study had
        told when this driver started (it ran to its end before the kill: fast trials, or a
        long snapshot period) is counted by the searcher and never run again
        (gansweep.sweep.searcher.suggest), so it is listed as its files show it. Any other
        is dropped: the searcher hands its configuration out again, and the new trials are
        the ones of record. Ray writes a trial's params.json and result.json on the driver
        and syncs them with its snapshots: a forgotten trial's reach the storage when the
        resumed driver syncs the same staging directory (same Ray session), so this runs
        again at the end."""
        known = {t.storage.trial_dir_name for t in trials}
        forgotten = {e.get("dir"): tid for tid, e in self.trials.items() if e.get("dir") not in known}
        forgotten.update({d: forgotten.get(d, d) for d in self.where.subdirs()
                          if d not in known and self.where.exists(f"{d}/params.json")})
        told = getattr(self, "_told_before", set())
        for d, tid in forgotten.items():
            self.trials.pop(tid, None)
            self._encoded.pop(tid, None)
            self._dirty = True
            config = self.where.read_json(f"{d}/params.json", {}) if d else {}
            if config.get("config_id") in told and self.where.exists(f"{d}/result.json"):
                self._from_files(tid, d, config)

    def _from_files(self, tid: str, d: str, config: dict) -> None:
        e = self.trials[tid] = _new_entry(tid, d, config)
        self._changed.add(tid)
        results = read_jsonl(self.where.read_text(f"{d}/result.json"))
        for r in results:
            self._record(e, r)
        times = [r["timestamp"] for r in results if isinstance(r.get("timestamp"), (int, float))]
        if times:  # Ray's wall clock of each report: for `status`'s elapsed time and ETA
            e["started_at"], e["updated_at"] = times[0], times[-1]
        if self.where.exists(f"{d}/error.txt"):
            e["state"], e["error"] = "errored", _last_line(self.where.read_text(f"{d}/error.txt"))
        else:
            self._end(e)

    def on_trial_start(self, iteration, trials, trial, **info):
        e = self._entry(trial)
        e["state"] = "running"
        e.setdefault("started_at", time.time())

    def on_trial_restore(self, iteration, trials, trial, **info):
        e = self._entry(trial)
        e["state"] = "running"
        self._catch_up(e, trial)

    def on_trial_result(self, iteration, trials, trial, result, **info):
        self._record(self._entry(trial), result)

    def _record(self, e: dict, result: dict) -> None:
        if e["state"] == "waiting":  # released from its rung (a reused actor: no start hook)
            e["state"] = "running"
        e["iteration"] = result.get("iteration", e["iteration"])
        e["node_id"] = result.get("node_id", e.get("node_id"))
        if isinstance(result.get("budget"), int):  # the trial's own budget (epochs differ)
            e["budget"] = result["budget"]
        e["metrics"] = {k: v for k, v in result.items() if _is_metric(k, v)}
        value = result.get(self.metric)
        if isinstance(value, (int, float)) and math.isfinite(value):
            better = min if self.mode == "min" else max
            e["best"] = value if e["best"] is None else better(e["best"], value)
            e["best_iteration"] = e["iteration"] if e["best"] == value else e["best_iteration"]
        if result.get("diverged"):
            e["state"], e["error"] = "diverged", result.get("reason", "diverged")

    def on_trial_complete(self, iteration, trials, trial, **info):
        e = self._entry(trial)
        self._catch_up(e, trial)
        self._end(e)

    def _end(self, e: dict) -> None:
        if e["state"] != "diverged":
            budget = e.get("budget") or self.iterations
            e["state"] = "finished" if (e["iteration"] or 0) >= budget else "stopped"

    def _catch_up(self, e: dict, trial) -> None:
        """Ray's last result of the trial, when the ledger file missed it. After a killed
        driver, setup() reads the file as last written (every few seconds), while Ray resumes
        from its own snapshot, which can be newer: a trial whose final report came in between
        is restored at its final checkpoint, reports nothing more, and was marked stopped
        short of its budget."""
        last = getattr(trial, "last_result", None) or {}
        if isinstance(last.get("iteration"), int) and last["iteration"] > (e["iteration"] or -1):
            self._record(e, last)

    def on_trial_recover(self, iteration, trials, trial, **info):
        e = self._entry(trial)
        e["state"], e["failures"] = "retrying", e["failures"] + 1
        e["error"] = _last_line(trial.get_error())

    def on_trial_error(self, iteration, trials, trial, **info):
        e = self._entry(trial)
        e["state"], e["failures"] = "errored", e["failures"] + 1
        e["error"] = _last_line(trial.get_error())

    def on_step_end(self, iteration, trials, **info):
        if not getattr(self, "_reconciled", True):
            self._reconcile(trials)
        now = time.monotonic()
        # getattr: Tuner.restore unpickles the callback of a sweep started before this field
        if self._dirty and now - self._written > getattr(self, "_write_every", MIN_WRITE_EVERY_S):
            self.flush()
        if now - self._printed > self.every_s:
            self._printed = now
            print(self.progress(), file=sys.stdout, flush=True)

    def on_experiment_end(self, trials, **info):
        if getattr(self, "_resumed", False):
            # Ray has just synced its staging directory, where the killed driver's files of
            # forgotten trials wait when the resumed one runs in the same Ray session.
            self._adopt_forgotten(trials)
        self.flush()
        print(self.progress(), file=sys.stdout, flush=True)

    def progress(self) -> str:
        from gansweep.sweep.progress import format_progress
        expected = max(getattr(self, "expected", 0), len(self.trials))
        return "\n" + format_progress(self.trials, self.metric, self.mode, expected, self.iterations)

    def note(self, trial, state: str | None = None, rung: str | None = None) -> None:
        """What the scheduler tells the table: a replicate waits at a rung; a rung decided."""
        e = self._entry(trial)
        if state is not None:
            e["state"] = state
        if rung is not None:
            e["rung"] = rung

    # --- bookkeeping -------------------------------------------------------------------------

    def _entry(self, trial) -> dict:
        self._dirty = True
        self._changed.add(trial.trial_id)
        if trial.trial_id not in self.trials:
            self.trials[trial.trial_id] = _new_entry(trial.trial_id, trial.storage.trial_dir_name,
                                                     trial.config)
        entry = self.trials[trial.trial_id]
        entry["updated_at"] = time.time()  # wall clock: `status` elapsed time and ETA
        return entry

    def flush(self) -> None:
        """Rewrite the file: json.dumps(self.trials, sort_keys=True), compact, byte for byte,
        but only the entries that changed since the last write are encoded again. Encoding
        every entry made each write cost O(trials) of CPU, 20-36 ms at 1,000 trials, and the
        ledger the second largest growth of the driver's CPU per trial from 100 to 1,000."""
        cpu = time.thread_time()
        for tid in self._changed | (self.trials.keys() - self._encoded.keys()):
            if tid in self.trials:
                self._encoded[tid] = f"{json.dumps(tid)}:{_compact(self.trials[tid])}"
        self._changed.clear()
        text = "{" + ",".join(self._encoded[tid] for tid in sorted(self.trials)) + "}"
        self.where.write_text(TRIALS_FILE, text)
        self._written, self._dirty = time.monotonic(), False
        # What is left grows with the sweep (joining and writing the whole file): spacing
        # writes by WRITE_SHARE of their cost keeps the ledger's share of the driver's CPU
        # flat. CPU time, not wall time: on object storage a write's wall time is mostly the
        # request's latency, which costs the driver nothing, and spacing by it left the file
        # (what `status` shows and a resumed driver starts from) tens of seconds behind.
        self._write_every = max(MIN_WRITE_EVERY_S, (time.thread_time() - cpu) / WRITE_SHARE)


def _told(where: Location) -> set[int]:
    """The configurations the experiment's study has finished."""
    from gansweep.sweep.study import load_study

    try:
        study = load_study(where)
    except FileNotFoundError:  # none yet
        return set()
    return {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}


def _new_entry(trial_id: str, directory: str, config: dict) -> dict:
    return {"trial_id": trial_id, "dir": directory, "config_id": config.get("config_id"),
            "replicate": config.get("replicate", 0), "params": config.get("params", {}),
            "state": "pending", "iteration": None, "best": None, "best_iteration": None,
            "metrics": {}, "failures": 0, "error": None}


def _compact(value) -> str:
    # The C encoder: json.dump and an indent run the pure-Python one, 5x slower.
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def _is_metric(key: str, value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and (key == OBJECTIVE or registry.shown(key) or key == "iteration"))


def _last_line(text: str | None) -> str | None:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1].strip()[:300] if lines else None
