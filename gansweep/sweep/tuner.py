"""A validated spec -> a Ray Tune experiment (run), and an interrupted one -> continued (resume).

The experiment directory is STORAGE/NAME. `run` writes the spec there first (so `resume` and
`report` know what produced it), then drives ray.tune.Tuner with the replicated Optuna
searcher, the spec's scheduler, FailureConfig(max_failures) and a CheckpointConfig that
keeps the best and the latest checkpoint of each trial. `resume` rebuilds the same trainable
from the saved spec and calls Tuner.restore: finished trials stay finished, unfinished ones
continue from their checkpoints, and the searcher reattaches to the Optuna study in
EXPERIMENT/optuna-study.log, so it keeps its history.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import threading
from dataclasses import replace

import yaml

from gansweep.config import deep_merge
from gansweep.sweep.spec import SpecError, SweepSpec, parse_spec, smoke_test
from gansweep.sweep.storage import CACHE_DIR, SPEC_FILE, Location


def experiment_location(spec: SweepSpec, storage: str, name: str | None) -> Location:
    return Location(storage).experiment(name or spec.name)


def prepare(spec: SweepSpec, where: Location) -> SweepSpec:
    """Settings that depend on where the sweep runs. The metric cache (judges trained for
    datasets read from disk, real-data statistics) lives inside the experiment, on a disk or
    an object store alike: every trial on every node then scores with the one judge the
    first trial trained, `gansweep eval` of its checkpoints finds that judge through the
    resolved config, and nothing is written outside STORAGE/NAME. A user's eval.cache_dir
    is used as given."""
    if spec.config().eval.cache_dir is None:
        cache = where.child(CACHE_DIR).uri
        spec = replace(spec, layers=deep_merge(spec.layers, {"eval": {"cache_dir": cache}}))
    return spec


class _PlainDumper(yaml.SafeDumper):
    """Values written out in full: `resume` reads this file back with strict_yaml, which
    refuses aliases, and a value shared inside the spec would otherwise become one."""

    def ignore_aliases(self, data):
        return True


def save_spec(spec: SweepSpec, where: Location) -> None:
    where.write_text(SPEC_FILE, yaml.dump(spec.to_dict(), Dumper=_PlainDumper, sort_keys=False))


def load_saved_spec(where: Location) -> SweepSpec:
    saved = read_saved_spec(where)
    # Checked when it started; the inert-key check is not rerun, so a resume never waits on it.
    spec = parse_spec(saved["spec"], source=f"{where}/{SPEC_FILE}", check_inert=False)
    resolved = saved["resolved"]
    if resolved.get("smoke_test"):
        spec = smoke_test(spec)
    return replace(spec, name=resolved["name"], layers=resolved["config"])


def read_saved_spec(where: Location) -> dict:
    """EXPERIMENT/gansweep-spec.yaml as written by `run`, or a SpecError saying what is wrong."""
    from gansweep.strict_yaml import YamlError, load_bytes

    source = f"{where}/{SPEC_FILE}"
    if not where.exists(SPEC_FILE):
        raise SpecError(source, [f"no {SPEC_FILE}; is {where} a gansweep experiment directory?"])
    try:
        saved = load_bytes(where.read_bytes(SPEC_FILE))
    except YamlError as err:
        raise SpecError(source, err.problems) from None
    if (not isinstance(saved, dict) or not isinstance(saved.get("spec"), dict)
            or not isinstance(saved.get("resolved"), dict)):
        raise SpecError(source, ["not a saved gansweep spec (expected `spec` and `resolved` mappings)"])
    return saved


def init_ray(address: str | None) -> None:
    """Join `address` (or $RAY_ADDRESS) when given, else start a local Ray."""
    import ray

    # Ray warns when checkpoints come faster than experiment snapshots; with small trials
    # that is every report, and it is not actionable.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    # Each trial writes its own TensorBoard curves (trainables.curves); Ray's TBX logger saw
    # only evaluations and its banner pointed into Ray's session directory. Ray's JSON logger
    # (result.json) is passed explicitly (build_tuner).
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        with _imported_meanwhile(*DRIVER_MODULES):
            if address:
                ray.init(address=address, log_to_driver=True)
            else:
                # Ray prestarts a plain worker per CPU for a new driver; Tune's trial actors
                # carry their own runtime_env, so they never use one, and the prestarted ones
                # start (and are stopped again as surplus) just when the trials' processes
                # start: ~1 s of CPU at the worst moment on 2 cores.
                ray.init(address="local", include_dashboard=False, log_to_driver=True,
                         _system_config={"prestart_worker_first_driver": False})
    _count_callbacks_by_name()
    _trial_actors_without_runtime_env()


# What the driver imports after Ray has started and before the first trial can: Ray Tune,
# optuna, the searcher, the ledger, the schedulers (~1 s of CPU on 2 cores).
DRIVER_MODULES = ("ray.tune", "ray.tune.logger", "gansweep.sweep.ledger", "gansweep.sweep.scheduler")


@contextlib.contextmanager
def _imported_meanwhile(*modules: str):
    """Import `modules` in a thread while the body runs. Starting Ray is mostly waiting for
    its processes (the driver's thread sleeps or blocks in Ray's C++ client, without the
    GIL), so the imports overlap it instead of following it. Leaves once both are done; a
    module that failed to import here is imported again, and fails where it is used."""
    def load():
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the import at the point of use reports it
                return
    thread = threading.Thread(target=load, name="gansweep-imports", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


# Ray's built-in logger callbacks that its usage statistics count by name, besides Tune's
# DEFAULT_CALLBACK_CLASSES (ray.air._internal.usage._count_callbacks).
_RAY_LOGGER_CALLBACKS = ("WandbLoggerCallback", "MLflowLoggerCallback", "CometLoggerCallback",
                         "AimLoggerCallback")


def _count_callbacks_by_name() -> None:
    """Ray Tune's usage statistics count the callbacks a run is given by class name, and to
    learn four of those names Ray imports its W&B, MLflow, Comet and Aim integrations, and
    with them wandb and mlflow where they are installed: 1.8 s of the driver's start-up on
    2 cores, before any trial could start. This records the same tag with the names written
    out; where a Ray version lacks the function it stays as it is."""
    from ray.air._internal import usage

    if getattr(usage.tag_callbacks, "__module__", None) != "ray.air._internal.usage":
        return  # already replaced, or not Ray's function of this shape

    def tag_callbacks(callbacks) -> bool:
        from ray.tune import Callback
        from ray.tune.logger import LoggerCallback
        from ray.tune.utils.callback import DEFAULT_CALLBACK_CLASSES

        if not callbacks:
            return False
        built_in = {*_RAY_LOGGER_CALLBACKS, *(c.__name__ for c in DEFAULT_CALLBACK_CLASSES)}
        counts: dict[str, int] = {}
        for callback in callbacks:
            if not isinstance(callback, Callback):
                continue
            name = type(callback).__name__
            key = (name if name in built_in else
                   "CustomLoggerCallback" if isinstance(callback, LoggerCallback) else "CustomCallback")
            counts[key] = counts.get(key, 0) + 1
        if counts:
            usage.record_extra_usage_tag(usage.TagKey.AIR_CALLBACKS, json.dumps(counts))
        return bool(counts)

    usage.tag_callbacks = tag_callbacks


def _trial_actors_without_runtime_env() -> None:
    """Ray Tune registers every trainable's actor class with a runtime_env of environment
    variables: PL_DISABLE_FORK=1 for PyTorch Lightning (which gansweep's trainable does not
    use), and the driver's AWS credentials and Ray Train settings where those are set. A
    runtime_env makes Ray start each trial process through its runtime-env agent and a
    setup process (a second Python that imports Ray, ~0.5 s of CPU), and only then the
    worker: ~0.4 s later to the first training step of a sweep on 2 cores. Where the driver
    has none of the variables to pass on, the class is registered plain here, and the
    trials inherit the job's own runtime_env as any Ray actor does; otherwise Tune's
    registration stands. Where a Ray version's class cache differs, nothing changes."""
    try:
        from ray.tune.execution import class_cache
    except ImportError:
        return
    cache = getattr(class_cache, "_ActorClassCache", None)
    propagated = getattr(class_cache, "ENV_VARS_TO_PROPAGATE", None)
    if cache is None or propagated is None or getattr(cache.get, "_gansweep", False):
        return
    tunes_own = cache.get

    def get(self, trainable_cls):
        passing_on = any(name in os.environ for name in propagated)
        if passing_on or not isinstance(getattr(self, "_cache", None), dict):
            return tunes_own(self, trainable_cls)
        if trainable_cls not in self._cache:
            import ray
            self._cache[trainable_cls] = ray.remote(trainable_cls)
        return self._cache[trainable_cls]

    get._gansweep = True
    cache.get = get


def _trainable(spec: SweepSpec):
    from ray import tune

    from trainables.gan import train_trial
    return tune.with_resources(train_trial, {"cpu": spec.cpu, "gpu": spec.gpu})


SNAPSHOT_S_PER_TRIAL = 0.03  # the experiment snapshot's period per trial in the sweep (below)
_SET_HERE: dict[str, str] = {}  # what tune_settings last set: any other value is the user's


def tune_settings(spec: SweepSpec) -> None:
    """Tune's settings that only environment variables reach, for a run and a resume alike;
    the user's own setting wins.

    Pending trials: Tune keeps one trial pending at a time for an adaptive searcher, so each
    trial waited for the one before it to start running (a worker start and imports, seconds
    each): a configuration's replicates, which the searcher hands out together, started one
    by one. Let them start together.

    Snapshot period: Tune snapshots the experiment every max(10 s, 19 x the snapshot's own
    time) ("auto"), and a snapshot costs O(trials) of the driver's CPU: every trial's state
    (~30 KB of JSON each) and, in a background thread, a copy of every trial's driver-side
    files (params.json, result.json) from Ray's staging directory to the storage: ~0.05 s
    of CPU at 100 trials, ~0.4 s at 1,000 on this machine. At a fixed period the cost per trial
    grew with the sweep. Spaced by SNAPSHOT_S_PER_TRIAL x trials (30 s at 1,000 trials, "auto"
    below 334), its cost per trial stays flat. What a longer period costs: a killed driver's
    resume re-runs the trials started since the last snapshot (from their checkpoints Ray
    knew, or from the start); the study and the ledger stay exact (gansweep.sweep.searcher,
    .ledger), and Tune still forces a snapshot every keep_checkpoints checkpoints of a trial."""
    period = SNAPSHOT_S_PER_TRIAL * spec.trials
    for key, value in (("TUNE_MAX_PENDING_TRIALS_PG", str(max(2, spec.replicates))),
                       ("TUNE_GLOBAL_CHECKPOINT_S", f"{period:g}" if period > 10 else "auto")):
        if os.environ.get(key, _SET_HERE.get(key)) == _SET_HERE.get(key):  # unset, or ours
            os.environ[key] = _SET_HERE[key] = value


def trial_dirname(trial) -> str:
    return trial.trial_id


def build_tuner(spec: SweepSpec, where: Location, extra_config: dict | None = None,
                progress_every_s: float = 30.0):
    from ray import tune

    from gansweep.sweep.ledger import Ledger
    from gansweep.sweep.loggers import logger_callbacks
    from gansweep.sweep.scheduler import FifoScheduler, ReplicatedASHA
    from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch

    ledger = Ledger(where, spec.metric, spec.mode, spec.iterations, every_s=progress_every_s,
                    expected=spec.trials)
    scheduler = FifoScheduler()
    if spec.scheduler is not None:
        # ASHA whose rungs judge a configuration on its replicates' mean (one replicate:
        # plain ASHA). It notes waits and rung decisions in the ledger's trial table.
        scheduler = ReplicatedASHA(max_t=spec.iterations, grace_period=spec.scheduler.grace_period,
                                   reduction_factor=spec.scheduler.reduction_factor,
                                   replicates=spec.replicates, where=where, ledger=ledger,
                                   timeout_s=spec.scheduler.rung_timeout_s)
    tune_settings(spec)
    storage_path = os.path.dirname(where.path) if where.is_local else where.uri.rsplit("/", 1)[0]
    return tune.Tuner(
        _trainable(spec),
        param_space={**spec.trial_space(), **(extra_config or {})},
        tune_config=tune.TuneConfig(
            search_alg=ReplicatedOptunaSearch(spec, where), scheduler=scheduler,
            metric=OBJECTIVE, mode=spec.mode, num_samples=spec.trials,
            max_concurrent_trials=spec.max_concurrent_trials or None,
            trial_dirname_creator=trial_dirname, reuse_actors=True),
        run_config=tune.RunConfig(
            name=os.path.basename(where.path), storage_path=storage_path,
            failure_config=tune.FailureConfig(max_failures=spec.max_failures),
            # The newest keep_checkpoints, by recency (what Ray's resume after a killed driver
            # relies on); each carries the best evaluation's file too (trainables.gan.BestCheckpoint).
            checkpoint_config=tune.CheckpointConfig(num_to_keep=spec.keep_checkpoints),
            sync_config=tune.SyncConfig(sync_artifacts=True),
            callbacks=[ledger, *_result_loggers(),
                       *logger_callbacks(spec.loggers, os.path.basename(where.path))],
            verbose=0),
    )


def _result_loggers() -> list:
    # Ray's result.json and params.json, which collect reads. Not Ray's progress.csv (the same
    # results again, read by nothing here): one file less per trial for every snapshot to copy.
    from ray.tune.logger import JsonLoggerCallback
    return [JsonLoggerCallback()]


def run_sweep(spec: SweepSpec, where: Location, address: str | None = None,
              extra_config: dict | None = None, progress_every_s: float = 30.0):
    """Start the experiment at `where` (which must not hold one already)."""
    if where.exists(SPEC_FILE):
        raise FileExistsError(f"{where} already holds an experiment; continue it with "
                              f"`gansweep resume {where}` or pick another --name")
    spec = prepare(spec, where)
    save_spec(spec, where)
    init_ray(address)
    tuner = build_tuner(spec, where, extra_config, progress_every_s)
    return tuner.fit()


def resume_sweep(where: Location, restart_errored: bool = False, address: str | None = None):
    from ray import tune

    spec = load_saved_spec(where)
    init_ray(address)
    tune_settings(spec)
    tuner = tune.Tuner.restore(where.uri, trainable=_trainable(spec), resume_unfinished=True,
                               resume_errored=not restart_errored, restart_errored=restart_errored)
    return tuner.fit()


def print_summary(spec: SweepSpec, where: Location, out=None) -> None:
    out = out or sys.stdout
    params = ", ".join(f"{q.key} ~ {q.kind}{list(q.values)}" for q in spec.search) or "(none)"
    sched = ("none" if spec.scheduler is None else
             f"asha(grace {spec.scheduler.grace_period}, factor {spec.scheduler.reduction_factor:g}"
             + (f", per configuration on the mean of {spec.replicates} seeds, rung wait <= "
                f"{spec.scheduler.rung_timeout_s:g} s)" if spec.replicates > 1 else ")"))
    print(f"experiment  {where}\n"
          f"model       {spec.model} on {spec.config().data.name}"
          f"{' (smoke test)' if spec.smoke_test else ''}\n"
          f"search      {params}\n"
          f"searcher    {spec.searcher} (seed {spec.seed}), {spec.num_samples} configs x "
          f"{spec.replicates} replicates = {spec.trials} trials\n"
          f"budget      {spec.iterations} iterations, evaluated every {spec.eval_every}\n"
          f"objective   {spec.optimize} {spec.metric} ({spec.mode})\n"
          f"scheduler   {sched}\n"
          f"resources   {spec.cpu:g} CPU, {spec.gpu:g} GPU per trial; "
          f"max {spec.max_concurrent_trials or 'unlimited'} concurrent; "
          f"{spec.max_failures} retries\n"
          f"curves      tensorboard --logdir {where.uri}", file=out)
