"""Sweep overhead: what a trial spends outside training and evaluation, and the start-up time.

    python -m benchmarks.overhead            # trials of about a minute, and the start-up time
    python -m benchmarks.overhead --smoke    # the quickstart's smoke sweep only (seconds)

(1) In-process: `run_sweep(spec, ...)` where spec is sweeps/quickstart.yaml with a budget of
REALISTIC_ITERATIONS (about a minute per trial on 2 cores, two trials at a time, an
evaluation every 100 iterations); with --smoke its smoke test (trials of a second or two). For each
trial, Ray's `time_total_s` (last line of <trial>/result.json: the trainable's own clock,
from its start to its last report) against the `time` of the last line of
<trial>/metrics.jsonl (gansweep.run's clock: training + evaluation, started after the
Trainer is built). Their difference is the trial's overhead: building the config, the
Trainer and its dataset, Ray's checkpoint persistence per report. The sweep's wall time
(Ray start-up included) is compared with the sum over trials of training + evaluation,
divided by the trials that can run at once.
(2) As a user starts it: `python -m gansweep.cli run sweeps/quickstart.yaml --smoke-test` in
a subprocess, and the seconds until the first line of any trial's metrics.jsonl exists
(the first training step has finished; smoke runs log every step). Cold: the first start of
the spec, with an empty HOME (no searched-key verdicts kept in ~/.cache/gansweep/inert:
the check trains); warm: the median of the starts after it (`validate`, `run --smoke-test`
and `run` of one spec: the verdicts are read).
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT

SPEC = ROOT / "sweeps" / "quickstart.yaml"
REALISTIC_ITERATIONS = 700  # ~60 s per trial on 2 idle cores, two at a time (400: ~35 s)


def realistic_spec(iterations: int = REALISTIC_ITERATIONS):
    """The quickstart with a budget of `iterations`: trials of about a minute."""
    from gansweep.strict_yaml import load_bytes
    from gansweep.sweep.spec import parse_spec

    raw = {**load_bytes(SPEC.read_bytes()), "iterations": iterations}
    return parse_spec(raw, source=f"{SPEC} (iterations: {iterations})", check_inert=False)


def _last_json_line(path: Path) -> dict:
    lines = [x for x in path.read_text().splitlines() if x.strip()]
    return json.loads(lines[-1])


def trial_overheads(experiment: Path) -> list[dict]:
    out = []
    for result in sorted(experiment.glob("*/result.json")):
        trial = result.parent
        if not (trial / "metrics.jsonl").exists() or not result.read_text().strip():
            continue
        ray_total = _last_json_line(result)["time_total_s"]
        work = _last_json_line(trial / "metrics.jsonl")["time"]
        out.append({"trial": trial.name, "ray_time_total_s": ray_total, "train_and_eval_s": work,
                    "overhead_s": ray_total - work, "overhead_share": 1 - work / ray_total})
    return out


def in_process(tmp: Path, smoke: bool = False) -> dict:
    from gansweep.sweep.spec import load_spec, smoke_test
    from gansweep.sweep.storage import Location
    from gansweep.sweep.tuner import run_sweep

    import ray

    spec = smoke_test(load_spec(SPEC)) if smoke else realistic_spec()
    started = not ray.is_initialized()  # run_sweep starts a local Ray: stop what it started
    t = time.perf_counter()
    try:
        run_sweep(spec, Location(tmp).child("bench"), progress_every_s=3600)
        wall = time.perf_counter() - t
    finally:
        if started:
            ray.shutdown()
    trials = trial_overheads(tmp / "bench")
    parallel = min(spec.trials, os.cpu_count() or 1)
    work = sum(r["train_and_eval_s"] for r in trials)
    name = "smoke_test(sweeps/quickstart.yaml)" if smoke else f"sweeps/quickstart.yaml, {spec.iterations} iterations"
    return {"spec": name, "iterations": spec.iterations, "trials": trials, "sweep_wall_s": wall,
            "parallel_trials": parallel,
            "mean_trial_overhead_share": sum(r["overhead_share"] for r in trials) / max(len(trials), 1),
            "sweep_overhead_share": 1 - work / (wall * parallel)}


MILESTONES = ("spec checked", "Ray started", "trial started", "task built", "first step")


def time_to_first_step(tmp: Path, home: Path, timeout: float = 300.0) -> dict:
    """Seconds from launching `gansweep run` to the first metrics.jsonl line of any trial,
    and to the milestones on the way: the spec checked (the plan is printed), Ray started
    (Ray's log line), a trial's working directory made (its actor runs the trainable), its
    config.yaml written (the task is built), the first training step logged."""
    name = f"first-step-{os.getpid()}-{time.monotonic_ns()}"  # unique: Ray keeps old sessions
    cmd = [sys.executable, "-m", "gansweep.cli", "run", str(SPEC), "--smoke-test",
           "--storage", str(tmp), "--name", name]
    # Trials write into Ray's per-trial working dir (made when the actor starts the trial);
    # with local storage it is synced to tmp/name/<trial>, so look in both places. Only in
    # the Ray sessions started since the launch: a pattern over every session (hundreds on a
    # machine that runs the tests) cost 16 ms of CPU per look, a quarter of a core taken
    # from the start-up it measures.
    ray_tmp = "/tmp/ray"
    old_sessions = set(os.listdir(ray_tmp)) if os.path.isdir(ray_tmp) else set()

    def trial_dirs() -> list[tuple[bool, str]]:
        new = set(os.listdir(ray_tmp)) - old_sessions if os.path.isdir(ray_tmp) else set()
        return ([(True, d) for s in new for d in glob.glob(f"{ray_tmp}/{s}/artifacts/*/{name}/working_dirs/*")]
                + [(False, d) for d in glob.glob(str(tmp / name / "*"))])

    seen: dict[str, float] = {}
    t0 = time.perf_counter()

    def mark(what: str) -> None:
        seen.setdefault(what, round(time.perf_counter() - t0, 2))

    def read(stream) -> None:
        for line in stream:
            if line.startswith("experiment "):
                mark("spec checked")
            elif "Started a local Ray instance" in line:
                mark("Ray started")

    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1", "HOME": str(home)})
    reader = threading.Thread(target=read, args=(proc.stdout,), daemon=True)
    reader.start()
    try:
        while "first step" not in seen and time.perf_counter() - t0 < timeout and proc.poll() is None:
            for working, d in trial_dirs():
                if working:
                    mark("trial started")
                if os.path.exists(os.path.join(d, "config.yaml")):
                    mark("task built")
                log = os.path.join(d, "metrics.jsonl")
                if os.path.exists(log) and os.path.getsize(log) > 0:
                    mark("first step")
            time.sleep(0.05)
        rc = proc.wait(timeout=max(1.0, timeout - (time.perf_counter() - t0)))
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=5)
    return {"command": "python -m gansweep.cli run sweeps/quickstart.yaml --smoke-test",
            "seconds_to_first_training_step": seen.get("first step"),
            "milestones_s": {m: seen.get(m) for m in MILESTONES},
            "total_s": time.perf_counter() - t0, "returncode": rc}


def startup(tmp: Path, repeat: int = 1) -> dict:
    """time_to_first_step from an empty HOME (cold), then `repeat` times more in that HOME
    (warm; it moves by seconds with the machine's load): the cold run, the median warm run
    and every run's time."""
    home = tmp / "home"
    home.mkdir()
    cold = time_to_first_step(tmp, home)
    runs = [time_to_first_step(tmp, home) for _ in range(repeat)]
    ok = sorted((r for r in runs if r["seconds_to_first_training_step"] is not None),
                key=lambda r: r["seconds_to_first_training_step"])
    median = ok[len(ok) // 2] if ok else runs[0]
    return {**median, "runs_s": [r["seconds_to_first_training_step"] for r in runs],
            "cold": cold}


def run_all(smoke: bool = False, repeat: int = 1, trials: bool = True) -> dict:
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="gansweep-bench-") as tmp:
        if trials:
            out = in_process(Path(tmp), smoke)
        if not smoke:
            out["startup"] = startup(Path(tmp), repeat)
    for r in out.get("trials", []):
        print(f"trial {r['trial']}: Ray {r['ray_time_total_s']:.1f} s, train+eval {r['train_and_eval_s']:.1f} s, "
              f"overhead {100 * r['overhead_share']:.1f}%", flush=True)
    if trials:
        print(f"mean per-trial overhead {100 * out['mean_trial_overhead_share']:.1f}%, sweep "
              f"{100 * out['sweep_overhead_share']:.1f}% ({out['spec']})", flush=True)
    if "startup" in out:
        cold = out["startup"]["cold"]
        print(f"gansweep run -> first training step, cold: {cold['seconds_to_first_training_step']} s "
              f"(milestones {cold['milestones_s']})")
        print(f"gansweep run -> first training step, warm: {out['startup']['seconds_to_first_training_step']} s "
              f"(runs {out['startup']['runs_s']}; milestones of the median run: "
              f"{out['startup']['milestones_s']})")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--startup-only", action="store_true", help="only the time to the first step")
    p.add_argument("--repeat", type=int, default=3, help="start-up measurements (median; default 3)")
    args = p.parse_args(argv)
    out = run_all(args.smoke, args.repeat, trials=not args.startup_only)
    if not args.smoke:
        import datetime

        import torch

        from benchmarks.common import machine, write_record
        record = {"benchmark": "overhead", "date": datetime.datetime.now().isoformat(timespec="seconds"),
                  "command": "python -m benchmarks.overhead " + " ".join(argv or sys.argv[1:]),
                  "machine": machine(torch.device("cpu")), **out}
        name = "overhead-startup" if args.startup_only else "overhead"
        print(f"wrote {write_record(name, torch.device('cpu'), record)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
