"""How a `run` or `resume` ended, as one summary and one exit status (gansweep.exitcodes).

Trial states come from the ledger (gansweep-trials.json), which knows what Ray's results do
not: a diverged trial ends "successfully" for Ray. The summary names every errored or
diverged trial with its last error; an interrupted sweep prints the exact command that
continues it.
"""

from __future__ import annotations

import shlex
import sys

from gansweep import exitcodes
from gansweep.sweep.progress import FAILED
from gansweep.sweep.storage import TRIALS_FILE, Location


def resume_command(where: Location, address: str | None = None) -> str:
    cmd = ["gansweep", "resume", where.uri]
    if address:
        cmd += ["--address", address]
    return shlex.join(cmd)


def conclude(where: Location, results, interrupted: bool, address: str | None = None,
             out=None) -> int:
    out = out or sys.stdout
    trials = where.read_json(TRIALS_FILE, {}) or {}
    failed = {tid: e for tid, e in trials.items() if e.get("state") in FAILED}
    # A trial Ray saw error before the ledger did. Not one the ledger saw reach its budget:
    # every evaluation and checkpoint of it is there, and an error Ray holds for it afterwards
    # (seen in a node-churn run: its actor lost with its node) does not undo that; counting
    # it as well made the summary add up to more trials than ran.
    for r in results or []:
        tid = (r.metrics or {}).get("trial_id") or getattr(r, "path", "").rsplit("/", 1)[-1]
        if r.error is not None and tid and tid not in failed and trials.get(tid, {}).get("state") != "finished":
            failed[tid] = {"state": "errored", "error": str(r.error).strip().splitlines()[-1][:300]}
    print(f"\n{len(trials)} trials in {where}: "
          f"{sum(e.get('state') == 'finished' for e in trials.values())} finished, "
          f"{sum(e.get('state') == 'stopped' for e in trials.values())} stopped by the scheduler, "
          f"{len(failed)} errored or diverged", file=out)
    for tid, e in sorted(failed.items()):
        print(f"  {tid} {e.get('state')}: {e.get('error')}", file=out)
    if interrupted:
        print(f"interrupted; the experiment is resumable. Continue it with:\n"
              f"  {resume_command(where, address)}", file=out, flush=True)
        return exitcodes.INTERRUPTED
    print(f"next: gansweep collect {where}  |  gansweep report {where}", file=out, flush=True)
    return exitcodes.TRIALS_FAILED if failed else exitcodes.OK
