"""Scale: a real sweep of N tiny trials on a simulated 16-node cluster, with node churn.

    python -m benchmarks.scale            # 100 trials (what `make bench` runs)
    python -m benchmarks.scale --full     # 100, 300 and 1,000 trials
    python -m benchmarks.scale --smoke    # 2 worker nodes, 8 trials, 2 at a time: tests/test_benchmarks.py
    python -m benchmarks.scale --trials 100 1000 --profile DIR   # the driver under cProfile

For each trial count N: a `ray.cluster_utils.Cluster` of a head (no CPUs, so no trial runs
there, as on cluster.yaml's CPU head) and 16 worker nodes, each declaring 1 CPU and 1 GPU
(Ray's own `num_gpus`: fake, nothing checks for a device). The sweep is the smallest real one:
AC-WGAN.a at smoke size (gansweep.models.families.smoke_config) on the embedded digits, two
iterations and one evaluation on 50 samples, N/2 TPE configurations x 2 replicates, each trial
requesting `resources: {cpu: 0.25, gpu: 0.25}` (fractional GPUs, as sweeps/mtl_lambda.yaml)
while training on the CPU (`train.device: cpu`). The driver is `gansweep run SPEC --address
<cluster>` in its own process, as a user starts it.

Why these sizes: the machine has 2 cores. 16 nodes x 1 CPU / 0.25 per trial would admit 64
trials at once, 30 times the cores; `max_concurrent_trials: 8` keeps 8 trial processes (each
with torch loaded, ~0.4 GB) busy enough that trials queue behind the driver, which is what
is measured, without swapping. One CPU per node keeps Ray's idle worker pool at one process
per node.

Partway (when 40 % of the trials have finished) two worker nodes are removed without a
graceful shutdown (their running trials die and are retried from their checkpoints, or from
the start) and one is added. Afterwards the ledger (gansweep-trials.json) must hold every
(config_id, replicate) pair exactly once, all `finished`, N/2 configurations x 2 replicates:
`lost` counts missing pairs, `duplicated` extra entries for a pair or trial directories
beyond N.

Figures per N:
- driver wall time per trial: the `gansweep run` process's wall time / N, and the steady
  part (first trial start to last trial end, from the ledger) / N; and its CPU time per
  trial (os.wait4's rusage of the driver process, less its CPU time when the first trial
  started: imports, the spec check, joining Ray), the cost the driver itself adds per trial;
- searcher and ledger: measured inside that very driver. It is started as
  `python -m benchmarks.scale --driver run ...`, which wraps ReplicatedOptunaSearch.suggest /
  on_trial_complete and Ledger.flush with a perf_counter and then calls gansweep.cli.main:
  ms per suggestion (mean, and mean over the last 10 % of asks, i.e. at the study's full
  size), ms per tell, ms per ledger write (mean and last), and the searcher's CPU time per
  trial (thread time of its suggest and on_trial_complete calls: Optuna's asks and tells),
  the part of the driver's CPU that TPE's model of the whole history makes grow;
- `gansweep status EXP` and `gansweep collect EXP -o TMP` wall time (fresh processes);
- the driver's peak RSS (rusage ru_maxrss of the driver process) and the experiment
  directory's size (before collect).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import RESULTS, ROOT

README = ROOT / "benchmarks" / "README.md"
BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
NODES, SMOKE_NODES = 16, 2
REPLICATES = 2
CHURN_AT = 0.4  # share of trials finished when two nodes go and one comes
TIMINGS_ENV = "GANSWEEP_BENCH_TIMINGS"
PROFILE_ENV = "GANSWEEP_BENCH_PROFILE"  # --profile: the driver's main thread under cProfile
# Every simulated node's raylet keeps idle Python workers ready (and starts more for a job's
# first driver and for queued work): on 16 machines that is free, here 16 nodes share 2
# cores and the ever-restarting idle workers (dozens at once, load average 40) made trials
# 10x slower than the driver. Off for the simulated nodes only; the driver is not changed.
NODE_ENV = {"RAY_enable_worker_prestart": "0", "RAY_prestart_worker_first_driver": "0"}


# smoke_config() shrinks every family at once; these keys do nothing to AC-WGAN.a, and the
# spec check would run the model twice for each to warn about it.
NOT_ACGAN = ("model.classifier_widths", "model.d_cond_units", "ppgn.", "train.critic_burst")


def spec_dict(trials: int, concurrent: int = 8) -> dict:
    from gansweep.models.families import smoke_config

    config = {k: v for k, v in smoke_config().items() if not k.startswith(NOT_ACGAN)}
    return {"name": "scale", "model": "AC-WGAN.a", "data": {"name": "digits"},
            "config": {**config, "train.device": "cpu", "train.log_every": 1},
            "iterations": 2, "eval_every": 2, "metric": "fid_digits", "searcher": "tpe",
            "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}},
            "num_samples": trials // REPLICATES, "replicates": REPLICATES, "max_failures": 3,
            "resources": {"cpu": 0.25, "gpu": 0.25}, "max_concurrent_trials": concurrent}


# --- the instrumented driver (runs in the `gansweep run` process) ----------------------------

def driver(argv: list[str]) -> int:
    """gansweep.cli.main(argv), with the searcher's and the ledger's calls timed; the
    timings go to $GANSWEEP_BENCH_TIMINGS when the process exits."""
    import atexit

    from gansweep import cli
    from gansweep.sweep.ledger import Ledger
    from gansweep.sweep.searcher import ReplicatedOptunaSearch

    times: dict[str, list[float]] = {"suggest": [], "ask": [], "tell": [], "flush": [],
                                      "searcher_cpu": [0.0]}

    def timed(cls, name, record):
        original = getattr(cls, name)

        def wrapper(self, *args, **kwargs):
            asks = name == "suggest" and not self.queue  # this call asks Optuna
            t, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(self, *args, **kwargs)
            finally:
                dt = time.perf_counter() - t
                for key in record(asks):
                    times[key].append(dt)
                if cls is ReplicatedOptunaSearch:
                    times["searcher_cpu"][0] += time.thread_time() - cpu
        setattr(cls, name, wrapper)

    timed(ReplicatedOptunaSearch, "suggest", lambda asks: ["suggest", "ask"] if asks else ["suggest"])
    timed(ReplicatedOptunaSearch, "on_trial_complete", lambda _: ["tell"])
    timed(Ledger, "flush", lambda _: ["flush"])
    out = os.environ.get(TIMINGS_ENV)
    if out:
        atexit.register(lambda: Path(out).write_text(json.dumps(times)))
    profile_file = os.environ.get(PROFILE_ENV)
    if not profile_file:
        return cli.main(argv)
    import cProfile
    with cProfile.Profile() as profile:  # Tune's control loop runs in this thread
        try:
            return cli.main(argv)
        finally:
            profile.dump_stats(profile_file)


# --- one run -----------------------------------------------------------------------------

def _ledger(exp: Path) -> dict:
    try:
        return json.loads((exp / "gansweep-trials.json").read_text())
    except (OSError, json.JSONDecodeError):  # not written yet, or being replaced
        return {}


def check_trials(exp: Path, trials: int, replicates: int = REPLICATES) -> dict:
    """Every (config_id, replicate) exactly once and finished: what was lost or duplicated."""
    entries = list(_ledger(exp).values())
    pairs = [(e["config_id"], e["replicate"]) for e in entries]
    configs = sorted({c for c, _ in pairs})
    per_config = {c: sorted(r for cc, r in pairs if cc == c) for c in configs}
    trial_dirs = [d for d in exp.iterdir() if (d / "params.json").exists()]
    duplicated = len(pairs) - len(set(pairs)) + max(0, len(trial_dirs) - len(entries))
    finished = {(e["config_id"], e["replicate"]) for e in entries if e["state"] == "finished"}
    return {"entries": len(entries), "configurations": len(configs), "trial_dirs": len(trial_dirs),
            "lost": trials - len(finished), "duplicated": duplicated,
            "replicate_counts_exact": all(v == list(range(replicates)) for v in per_config.values())
            and len(configs) == trials // replicates,
            "not_finished": sorted({e["state"] for e in entries} - {"finished"}),
            "retried": sum(1 for e in entries if e.get("failures"))}


class Churn:
    """When CHURN_AT of the trials have finished: remove two workers (those most trials
    reported from: likely busy) without a graceful shutdown, and add one. Called from the
    main thread: Ray's Node installs signal handlers, which only the main thread may."""

    def __init__(self, cluster, workers: list, exp: Path, trials: int):
        self.cluster, self.workers, self.exp, self.trials = cluster, workers, exp, trials
        self.log: dict = {}

    def __call__(self) -> None:
        if self.log:
            return
        entries = _ledger(self.exp).values()
        finished = sum(e["state"] == "finished" for e in entries)
        if finished < CHURN_AT * self.trials:
            return
        use: dict[str, int] = {}
        for e in entries:
            use[e.get("node_id")] = use.get(e.get("node_id"), 0) + 1
        victims = sorted(self.workers, key=lambda n: -use.get(n.node_id, 0))[:2]
        for node in victims:
            self.cluster.remove_node(node, allow_graceful=False)
            self.workers.remove(node)
        self.workers.append(self.cluster.add_node(num_cpus=1, num_gpus=1))
        self.log.update(at_finished=finished, removed=2, added=1, nodes_after=len(self.workers))


class StartupCpu:
    """The driver's CPU seconds when the first trial has started: its fixed start-up cost
    (imports, the spec check, joining Ray), kept apart from the cost per trial."""

    def __init__(self, pid: int, exp: Path):
        self.pid, self.exp, self.seconds = pid, exp, None

    def __call__(self) -> None:
        if self.seconds is None and _ledger(self.exp):
            self.seconds = _cpu_seconds(self.pid)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _timed_command(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gansweep.cli", *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _stats(values: list[float]) -> dict:
    ms = [1000 * v for v in values]
    tail = ms[-max(1, len(ms) // 10):] if ms else []
    return {"calls": len(ms), "mean_ms": sum(ms) / len(ms) if ms else None,
            "last_10pct_mean_ms": sum(tail) / len(tail) if tail else None,
            "max_ms": max(ms) if ms else None}


def run_one(trials: int, nodes: int = NODES, concurrent: int = 8, timeout: float = 7200,
            keep: bool = False, profile: Path | None = None) -> dict:
    import yaml
    from ray.cluster_utils import Cluster

    tmp = Path(tempfile.mkdtemp(prefix="gansweep-scale-"))
    spec_file, exp = tmp / "scale.yaml", tmp / "runs" / "scale"
    spec_file.write_text(yaml.safe_dump(spec_dict(trials, concurrent)))
    timings_file, log_file = tmp / "timings.json", tmp / "driver.log"
    saved = {k: os.environ.get(k) for k in NODE_ENV}
    os.environ.update(NODE_ENV)  # the nodes' raylets inherit it
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "include_dashboard": False})
    session = Path(cluster.head_node.get_session_dir_path())
    done = False  # a failed run keeps its experiment and driver log (tmp) to be looked at
    try:
        workers = [cluster.add_node(num_cpus=1, num_gpus=1) for _ in range(nodes)]
        env = {k: v for k, v in os.environ.items() if k not in NODE_ENV and k != "RAY_ADDRESS"}
        env.update({k: v for k, v in saved.items() if v is not None}, **{TIMINGS_ENV: str(timings_file)})
        if profile is not None:
            profile.mkdir(parents=True, exist_ok=True)
            env[PROFILE_ENV] = str(profile / f"driver-{trials}.prof")
        cmd = [sys.executable, "-m", "benchmarks.scale", "--driver", "run", str(spec_file),
               "--address", cluster.address, "--storage", str(tmp / "runs"), "--progress-every", "60"]
        churn = Churn(cluster, workers, exp, trials)
        with open(log_file, "w") as log:
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            startup = StartupCpu(proc.pid, exp)
            status, usage = _wait4(proc, timeout, lambda: (startup(), churn()))
            wall = time.perf_counter() - t0
        returncode = os.waitstatus_to_exitcode(status)
        if returncode != 0:
            raise RuntimeError(f"gansweep run exited {returncode}; its log ends:\n"
                               + log_file.read_text()[-4000:])
        check = check_trials(exp, trials)
        entries = _ledger(exp).values()
        steady = max(e["updated_at"] for e in entries) - min(e["started_at"] for e in entries)
        size = _du(exp)
        status_s = _timed_command(["status", str(exp)])
        collect_s = _timed_command(["collect", str(exp), "-o", str(tmp / "analysis")])
        t = json.loads(timings_file.read_text())
        done = True
        return {"trials": trials, "nodes": nodes, "concurrent": concurrent, "churn": churn.log, **check,
                "driver_wall_s": wall, "wall_s_per_trial": wall / trials,
                "steady_s_per_trial": steady / trials,
                "driver_cpu_s": usage.ru_utime + usage.ru_stime, "driver_startup_cpu_s": startup.seconds,
                "driver_cpu_s_per_trial": (usage.ru_utime + usage.ru_stime - (startup.seconds or 0)) / trials,
                "searcher_cpu_s_per_trial": t["searcher_cpu"][0] / trials,
                "driver_peak_rss_mb": usage.ru_maxrss / 1024,
                "searcher_suggest": _stats(t["suggest"]), "searcher_ask": _stats(t["ask"]),
                "searcher_tell": _stats(t["tell"]), "ledger_write": _stats(t["flush"]),
                "status_s": status_s, "collect_s": collect_s, "experiment_bytes": size}
    finally:
        cluster.shutdown()
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        if done and not keep:
            shutil.rmtree(tmp, ignore_errors=True)
        elif not done:
            print(f"scale: the {trials}-trial run failed; its experiment and driver.log are in {tmp}",
                  file=sys.stderr, flush=True)
        shutil.rmtree(session, ignore_errors=True)  # this cluster's own Ray session logs


def _wait4(proc: subprocess.Popen, timeout: float, tick):
    """os.wait4 on the driver, calling tick() meanwhile: its exit status and its own rusage
    (peak RSS, CPU time)."""
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
                return status, usage
            tick()
            time.sleep(0.5)
        raise TimeoutError(f"the sweep did not end within {timeout} s")
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait()


# --- the record ----------------------------------------------------------------------------

def run_all(counts: list[int], smoke: bool = False, profile: Path | None = None) -> dict:
    runs = []
    for n in counts:
        print(f"== scale: {n} trials", flush=True)
        r = run_one(n, nodes=SMOKE_NODES if smoke else NODES, concurrent=2 if smoke else 8,
                    timeout=600 if smoke else 7200, profile=profile)
        print(row(r), flush=True)
        runs.append(r)
    return {"trials": counts, "nodes": runs[0]["nodes"] if runs else None,
            "lost": sum(r["lost"] for r in runs), "duplicated": sum(r["duplicated"] for r in runs),
            "runs": runs}


HEAD = ("| trials | nodes | lost | duplicated | retried | wall s/trial (steady) | driver CPU s/trial after start-up "
        "(of it the searcher's) | "
        "ask ms (at full size) | tell ms | ledger write ms (last) | status s | collect s | "
        "driver peak RSS | experiment size |")


def row(r: dict) -> str:
    def ms(x):
        return "-" if x is None else f"{x:.1f}"
    return (f"| {r['trials']} | {r['nodes']} → {r['churn'].get('nodes_after', r['nodes'])} | {r['lost']} | "
            f"{r['duplicated']} | {r['retried']} | {r['wall_s_per_trial']:.2f} ({r['steady_s_per_trial']:.2f}) | "
            f"{r['driver_cpu_s_per_trial']:.3f} ({r.get('searcher_cpu_s_per_trial', math.nan):.3f}) | "
            f"{ms(r['searcher_ask']['mean_ms'])} "
            f"({ms(r['searcher_ask']['last_10pct_mean_ms'])}) | {ms(r['searcher_tell']['mean_ms'])} | "
            f"{ms(r['ledger_write']['mean_ms'])} ({ms(r['ledger_write']['last_10pct_mean_ms'])}) | "
            f"{r['status_s']:.2f} | {r['collect_s']:.2f} | {r['driver_peak_rss_mb']:.0f} MB | "
            f"{r['experiment_bytes'] / 2**20:.1f} MB |")


def table(record: dict, path: str) -> str:
    lines = [f"Recorded {record['date']} by `{record['command']}` (record: `{path}`), commit "
             f"`{record['machine']['git_commit'][:12]}`, {record['machine']['cpus']} cores.", "",
             HEAD, "|" + "---|" * (HEAD.count("|") - 1)]
    return "\n".join(lines + [row(r) for r in record["runs"]])


def update_readme(text: str) -> None:
    old = README.read_text()
    new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), f"{BEGIN}\n{text}\n{END}", old, flags=re.S)
    README.write_text(new)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--driver"]:
        return driver(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--full", action="store_true", help="100, 300 and 1,000 trials")
    p.add_argument("--smoke", action="store_true", help="2 worker nodes, 8 trials, 2 at a time; writes nothing")
    p.add_argument("--trials", type=int, nargs="+", help="these counts instead")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="profile the driver (cProfile, slower) into DIR/driver-N.prof; writes no record")
    args = p.parse_args(argv)
    counts = args.trials or ([8] if args.smoke else [100, 300, 1000] if args.full else [100])
    import torch

    from benchmarks.common import machine

    record = {"benchmark": "scale", "date": datetime.datetime.now().isoformat(timespec="seconds"),
              "command": "python -m benchmarks.scale " + " ".join(argv),
              "machine": machine(torch.device("cpu")), **run_all(counts, args.smoke, args.profile)}
    if args.smoke or args.profile:  # a profiled driver's figures are not the record's
        return 0
    path = RESULTS / f"scale-{datetime.date.today().isoformat()}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    update_readme(table(record, path.relative_to(ROOT).as_posix()))
    print(f"wrote {path} and the scale table in {README}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
