"""The live progress view of a sweep: short enough to read at hundreds of trials.

`format_progress` is what `gansweep run` / `resume` print every `--progress-every` seconds and
what `gansweep status` shows: counts by state, elapsed time and an ETA, the best value so far,
the N best trials and the running ones (the full per-trial table is `status --all`).
`progress_json` is the same view as data (`status --json`). Both read only the ledger's
entries (gansweep-trials.json), so they need no Ray.

The ETA is the remaining share of the iteration budget at the rate seen so far: a trial that
is finished, stopped, diverged or errored counts as its whole budget (it will not run again),
a pending or running one as the iterations it has done.
"""

from __future__ import annotations

import math
import time

from gansweep.metrics import registry

STATES = ("pending", "running", "retrying", "finished", "stopped", "diverged", "errored")
DONE = ("finished", "stopped", "diverged", "errored")
FAILED = ("diverged", "errored")
MAX_RUNNING_SHOWN = 20  # rows; `status --json` / `--all` list them all


def progress_json(trials: dict, metric: str, mode: str, expected: int, iterations: int,
                  now: float | None = None, top: int = 5) -> dict:
    now = time.time() if now is None else now
    entries = list(trials.values())
    counts = {s: 0 for s in STATES}
    for e in entries:
        counts[e.get("state", "pending")] = counts.get(e.get("state", "pending"), 0) + 1
    counts["not started"] = max(0, expected - len(entries))
    starts = [e["started_at"] for e in entries if e.get("started_at")]
    ends = [e["updated_at"] for e in entries if e.get("updated_at")]
    running = counts["running"] + counts["retrying"] + counts["pending"]
    elapsed = None
    if starts:
        end = now if running or counts["not started"] else max(ends or [now])
        elapsed = max(0.0, end - min(starts))
    done_iters = sum(iterations if e.get("state") in DONE else (e.get("iteration") or 0)
                     for e in entries)
    total = expected * iterations
    eta = None
    if elapsed and done_iters and total > done_iters:
        eta = elapsed * (total - done_iters) / done_iters
    elif total and done_iters >= total:
        eta = 0.0
    ranked = sorted((e for e in entries if _finite(e.get("best"))),
                    key=lambda e: e["best"], reverse=(mode == "max"))
    return {
        "metric": metric, "mode": mode, "expected_trials": expected,
        "budget_iterations": iterations, "counts": counts,
        "elapsed_s": elapsed, "eta_s": eta,
        "progress": (done_iters / total) if total else None,
        "best": _brief(ranked[0]) if ranked else None,
        "top": [_brief(e) for e in ranked[:top]],
        "running": [_brief(e) for e in entries if e.get("state") in ("running", "retrying")],
        "failed": [_brief(e) for e in entries if e.get("state") in FAILED],
        "trials": trials,
    }


def format_progress(trials: dict, metric: str, mode: str, expected: int, iterations: int,
                    now: float | None = None, top: int = 5) -> str:
    p = progress_json(trials, metric, mode, expected, iterations, now=now, top=top)
    counts = ", ".join(f"{n} {s}" for s, n in p["counts"].items() if n)
    pct = "" if p["progress"] is None else f" ({100 * p['progress']:.0f}% of the budget)"
    lines = [f"{counts}{pct} | elapsed {_dur(p['elapsed_s'])}, ETA {_dur(p['eta_s'])}"]
    if p["best"]:
        b = p["best"]
        lines.append(f"best {metric} ({mode}) so far: {_fmt(b['best'])} "
                     f"(trial {b['trial_id']}, cfg {b['config_id']}/{b['replicate']}, "
                     f"iteration {_fmt(b['best_iteration'])})")
    if p["top"]:
        lines += [f"top {len(p['top'])}:", _table(p["top"], trials, metric)]
    if p["running"]:
        shown = p["running"][:MAX_RUNNING_SHOWN]
        lines += [f"running ({len(p['running'])}):", _table(shown, trials, metric)]
        if len(p["running"]) > len(shown):
            lines.append(f"  ... and {len(p['running']) - len(shown)} more running (status --all)")
    if p["failed"]:
        lines.append(f"failed ({len(p['failed'])}):")
        lines += [f"  {f['trial_id']} {f['state']}: {f['error']}" for f in p["failed"]]
    return "\n".join(lines)


def _table(briefs: list[dict], trials: dict, metric: str) -> str:
    rows = {b["trial_id"]: trials[b["trial_id"]] for b in briefs}
    table = format_table(rows, metric).splitlines()
    # format_table's own state counts (last line) and error list are not wanted here.
    cut = next((i for i, line in enumerate(table) if line == "last errors:"), len(table))
    return "\n".join("  " + line for line in table[:cut - 1])


def _brief(e: dict) -> dict:
    return {k: e.get(k) for k in ("trial_id", "config_id", "replicate", "state", "iteration",
                                  "best", "best_iteration", "error", "params")}


def format_table(trials: dict, metric: str) -> str:
    """One line per trial: id, config/replicate, state, iteration, best metric, the latest
    FID/IS-like values, the sampled params (short), and the last error."""
    if not trials:
        return "(no trials yet)"
    entries = sorted(trials.values(), key=lambda e: (e["config_id"] is None, e["config_id"] or 0,
                                                      e["replicate"], e["trial_id"]))
    shown = sorted({k for e in entries for k in e["metrics"]
                    if registry.shown(k) and k != metric})[:4]
    rungs = any(e.get("rung") for e in entries)
    head = ["trial", "cfg/rep", "state", "iter", f"best {metric}", *shown, "params",
            *(["last rung"] if rungs else [])]
    rows = [head]
    for e in entries:
        params = " ".join(f"{k.split('.')[-1]}={_fmt(v)}" for k, v in sorted(e["params"].items()))
        row = [e["trial_id"], f"{e['config_id']}/{e['replicate']}", e["state"],
               _fmt(e["iteration"]), _fmt(e["best"]), *(_fmt(e["metrics"].get(k)) for k in shown),
               params, *([e.get("rung") or "-"] if rungs else [])]
        rows.append(row)
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["state"]] = counts.get(e["state"], 0) + 1
    lines.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    errors = [f"  {e['trial_id']}: {e['error']}" for e in entries
              if e["error"] and e["state"] in ("errored", "retrying", "diverged")]
    return "\n".join(lines + (["last errors:"] + errors if errors else []))


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fmt(v) -> str:
    return "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s % 60:02d}s"
