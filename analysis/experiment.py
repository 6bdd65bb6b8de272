"""Reading one experiment directory, as `gansweep run` leaves it, from any storage URI.

    EXP/gansweep-spec.yaml     {spec: as written, resolved: {name, metric, mode, optimize, search, ...}}
    EXP/gansweep-trials.json   the ledger: trial id -> {dir, config_id, replicate, params, state, error, ...}
    EXP/<trial dir>/           params.json, result.json (Ray: one line per report), config.yaml,
                               metrics.jsonl (gansweep: "train" and "eval" lines), error.txt,
                               provenance.json (each metric's protocol),
                               heldout.json (`gansweep eval EXP`: the best checkpoint's
                               scores on fresh latents),
                               checkpoint_*/ckpt-<iteration>.pt (+ copies of metrics.jsonl
                               and provenance.json)

The ledger's state is authoritative; without one (an experiment copied without it, or a
driver killed before its first write) the state is judged from the trial's files. Every read
tolerates what a running experiment has not written yet: a missing file, a half-written last
line. Paths go through `gansweep.sweep.storage.Location`, so s3://, gs:// and file:// URIs
read like local directories.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from gansweep.errors import ProblemsError
from gansweep.location import read_jsonl
from gansweep.sweep.storage import SPEC_FILE, TRIALS_FILE, Location

CKPT = re.compile(r"^ckpt-(\d+)\.pt$")
HELDOUT_FILE = "heldout.json"
# Keys of a Ray result line that are bookkeeping, not metrics (used only when metrics.jsonl is missing).
NOT_METRICS = {"iteration", "objective", "checkpoint_score", "diverged", "timestamp", "done", "training_iteration",
               "time_this_iter_s", "time_total_s", "time_since_restore", "iterations_since_restore",
               "pid", "should_checkpoint"}


@dataclass
class Eval:
    iteration: int
    time_s: float | None
    metrics: dict[str, float]
    epoch: float | None = None  # passes over the training set (metrics.jsonl only)


@dataclass
class Trial:
    trial_id: str
    dir: str | None                   # relative to the experiment; None while pending
    config_id: int | None
    replicate: int | None
    params: dict                      # the swept values, dotted keys
    state: str
    error: str | None = None
    failures: int = 0
    config: dict = field(default_factory=dict)      # config.yaml, flattened to dotted keys
    evals: list[Eval] = field(default_factory=list)
    last_iteration: int | None = None
    time_s: float | None = None       # wall-clock seconds of the last logged line
    checkpoints: dict[int, str] = field(default_factory=dict)  # iteration -> path in EXP
    provenance: dict = field(default_factory=dict)   # metric -> how it was computed (provenance.json)
    train: list[dict] = field(default_factory=list)  # the "train" lines of metrics.jsonl (train.parquet)
    # heldout.json: {iteration, checkpoint, seed, samples, metrics, provenance} of the best
    # checkpoint scored on fresh latents (thesis 5.0.8's test-set protocol); {} until then
    heldout: dict = field(default_factory=dict)


@dataclass
class Experiment:
    name: str
    where: Location
    spec_text: str | None             # the spec as the user wrote it (YAML)
    resolved: dict
    trials: list[Trial]

    @property
    def metric(self) -> str | None:
        return self.resolved.get("metric")

    @property
    def mode(self) -> str:
        return self.resolved.get("mode") or "min"

    @property
    def optimize(self) -> str | None:
        return self.resolved.get("optimize")


def flatten(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def _text(where: Location, name: str) -> str | None:
    return where.read_text(name) if where.exists(name) else None


def _parsed(where: Location, name: str, parse) -> dict:
    """A file of gansweep's own (empty mapping when absent); a damaged one is an input error
    naming the file, not a traceback."""
    try:
        value = parse(_text(where, name) or "{}")
    except (UnicodeDecodeError, ValueError, yaml.YAMLError) as err:  # JSONDecodeError: a ValueError
        raise ProblemsError([f"{where}/{name}: unreadable ({type(err).__name__}: "
                             f"{' '.join(str(err).split())[:200]})"], "unreadable experiment") from None
    if not isinstance(value, dict):
        raise ProblemsError([f"{where}/{name}: expected a mapping, got {type(value).__name__}"],
                            "unreadable experiment")
    return value


def read_experiment(uri: str, name: str | None = None) -> Experiment:
    where = Location(uri)
    if not where.exists():
        raise FileNotFoundError(f"{uri}: no such experiment directory")
    if not where.exists(SPEC_FILE) and not where.exists(TRIALS_FILE):
        raise FileNotFoundError(f"{uri}: no {SPEC_FILE} or {TRIALS_FILE}: not a gansweep experiment")
    spec_file = _parsed(where, SPEC_FILE, yaml.safe_load)
    resolved = spec_file.get("resolved") or {}
    spec_text = yaml.safe_dump(spec_file["spec"], sort_keys=False) if "spec" in spec_file else None
    entries = list(_parsed(where, TRIALS_FILE, json.loads).values())
    if not all(isinstance(e, dict) for e in entries):
        raise ProblemsError([f"{where}/{TRIALS_FILE}: expected a mapping of trial records"],
                            "unreadable experiment")
    dirs = set(where.subdirs())
    known = {e.get("dir") for e in entries}
    # Trials the ledger does not know yet (or no ledger at all): Ray's trial dirs, named by id.
    entries += [{"trial_id": d, "dir": d} for d in sorted(dirs - known) if where.exists(f"{d}/params.json")]
    trials = [read_trial(where, e, resolved, dirs) for e in entries]
    trials.sort(key=lambda t: (t.config_id is None, t.config_id or 0, t.replicate or 0, t.trial_id))
    return Experiment(name or resolved.get("name") or where.path.rsplit("/", 1)[-1],
                      where, spec_text, resolved, trials)


def read_trial(where: Location, entry: dict, resolved: dict, dirs: set[str]) -> Trial:
    d = entry.get("dir") if entry.get("dir") in dirs else None
    params_file = json.loads(_text(where, f"{d}/params.json") or "{}") if d else {}
    t = Trial(trial_id=entry["trial_id"], dir=d,
              config_id=entry.get("config_id", params_file.get("config_id")),
              replicate=entry.get("replicate", params_file.get("replicate")),
              params=entry.get("params") or params_file.get("params") or {},
              state=entry.get("state") or "", error=entry.get("error"),
              failures=entry.get("failures") or 0)
    if d is None:
        t.state = t.state or "pending"
        return t
    config = _text(where, f"{d}/config.yaml")
    t.config = flatten(yaml.safe_load(config) or {}) if config else {}
    if "model.preset" not in t.config and params_file.get("sweep", {}).get("model"):
        t.config["model.preset"] = params_file["sweep"]["model"]
    results = read_jsonl(_text(where, f"{d}/result.json") or "")
    log = read_log(where, d)
    t.evals = evals_from(log, results)
    t.train = [r for r in log if r.get("kind") == "train" and isinstance(r.get("iteration"), int)]
    logged = [r["iteration"] for r in log + results if isinstance(r.get("iteration"), int)]
    t.last_iteration = max(logged, default=None)
    times = [r["time"] for r in log if isinstance(r.get("time"), (int, float))]
    t.time_s = float(times[-1]) if times else (t.evals[-1].time_s if t.evals else None)
    t.checkpoints = checkpoints(where, d)
    t.provenance = read_provenance(where, d, t.checkpoints)
    t.heldout = _parsed(where, f"{d}/{HELDOUT_FILE}", json.loads)
    error_txt = _text(where, f"{d}/error.txt")
    diverged = bool(results) and bool(results[-1].get("diverged"))
    if diverged and not t.error:
        t.error = results[-1].get("reason") or "diverged"
    if error_txt and not t.error:
        lines = [line.strip() for line in error_txt.splitlines() if line.strip()]
        t.error = lines[-1] if lines else "error.txt is empty"
    if not t.state:  # no ledger entry: judge from the files
        budget = resolved.get("iterations")
        t.state = ("diverged" if diverged else "errored" if error_txt else
                   "finished" if budget and (t.last_iteration or 0) >= budget else "incomplete")
    return t


def read_log(where: Location, d: str) -> list[dict]:
    """metrics.jsonl of the trial, or the checkpoint copy that got furthest (a trial on
    another node may have synced its checkpoints but not its working directory yet)."""
    names = [f"{d}/metrics.jsonl"] + [f"{d}/{c}/metrics.jsonl" for c in
                                      where.child(d).subdirs() if c.startswith("checkpoint_")]
    best: list[dict] = []
    for name in names:
        log = read_jsonl(_text(where, name) or "")
        if _last(log) > _last(best):
            best = log
    return best


def read_provenance(where: Location, d: str, kept: dict[int, str]) -> dict:
    """provenance.json of the trial, else the copy in its newest checkpoint (a trial on
    another node may not have synced its working directory yet); {} for runs without one."""
    newest = [kept[i].rsplit("/", 1)[0] + "/provenance.json" for i in sorted(kept, reverse=True)]
    for name in [f"{d}/provenance.json", *newest]:
        text = _text(where, name)
        if text:
            try:
                value = json.loads(text)
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


def _last(log: list[dict]) -> int:
    return max((r["iteration"] for r in log if isinstance(r.get("iteration"), int)), default=-1)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def evals_from(log: list[dict], results: list[dict]) -> list[Eval]:
    """One Eval per iteration from the "eval" lines of metrics.jsonl, else from Ray's result
    lines; a repeated iteration (a report repeated after a retry) keeps its last copy."""
    source = [r for r in log if r.get("kind") == "eval"]
    time_key, skip = "time", {"kind", "iteration", "time", "epoch"}
    if not source:
        source = [r for r in results if not r.get("diverged")]
        time_key, skip = "time_total_s", NOT_METRICS
    out: dict[int, Eval] = {}
    for r in source:
        if not isinstance(r.get("iteration"), int):
            continue
        metrics = {k: float(v) for k, v in r.items() if k not in skip and _number(v)}
        time_s = float(r[time_key]) if _number(r.get(time_key)) else None
        epoch = float(r["epoch"]) if _number(r.get("epoch")) else None
        out[r["iteration"]] = Eval(r["iteration"], time_s, metrics, epoch)
    return [out[i] for i in sorted(out)]


def checkpoints(where: Location, d: str) -> dict[int, str]:
    found = {}
    for c in where.child(d).subdirs():
        if c.startswith("checkpoint_"):
            for f in where.child(f"{d}/{c}").listdir():
                m = CKPT.match(f)
                if m:
                    found[int(m.group(1))] = f"{d}/{c}/{f}"
    return dict(sorted(found.items()))
