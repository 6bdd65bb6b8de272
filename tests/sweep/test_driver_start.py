"""What the sweep driver does to reach its first trial sooner (gansweep.sweep.tuner.init_ray);
`python -m benchmarks.overhead --startup-only` measures the time it saves."""

import json
import os
import subprocess
import sys

from gansweep.sweep import tuner


def test_the_driver_imports_tune_while_ray_starts():
    """Starting Ray is mostly waiting for its processes: Tune, optuna, the searcher and the
    ledger are imported meanwhile, not after it. A local Ray prestarts no plain workers
    (Tune's trial actors never use them)."""
    code = """
import json, sys, time
import ray
from gansweep.sweep import tuner
seen = {}
def init(**kwargs):  # stands in for Ray's start, which mostly waits
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(m in sys.modules for m in tuner.DRIVER_MODULES):
        time.sleep(0.01)
    seen.update(imported=[m for m in tuner.DRIVER_MODULES if m in sys.modules], init=kwargs)
assert not any(m in sys.modules for m in tuner.DRIVER_MODULES)
ray.is_initialized, ray.init = (lambda: False), init
tuner.init_ray(None)
print(json.dumps(seen))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert {"ray.tune", "gansweep.sweep.ledger"} <= set(tuner.DRIVER_MODULES)
    assert seen["imported"] == list(tuner.DRIVER_MODULES)
    assert seen["init"]["address"] == "local"
    assert seen["init"]["_system_config"] == {"prestart_worker_first_driver": False}


def test_callbacks_are_counted_as_ray_counts_them_without_importing_its_integrations(monkeypatch):
    """Ray's usage tag of the callbacks a run is given, recorded without importing Ray's W&B,
    MLflow, Comet and Aim integrations (and wandb, mlflow) in the driver."""
    code = ("import sys; from gansweep.sweep import tuner; tuner._count_callbacks_by_name()\n"
            "from ray.air._internal import usage; from ray.tune import Callback\n"
            "usage.tag_callbacks([Callback()])\n"
            "print(sorted(m for m in sys.modules if m.startswith(('ray.air.integrations', "
            "'ray.tune.logger.aim', 'wandb', 'mlflow'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

    from ray.air._internal import usage
    from ray.tune import Callback
    from ray.tune.logger import JsonLoggerCallback, LoggerCallback

    class WandbLoggerCallback(LoggerCallback):  # Ray counts its own integrations by name
        pass

    class Mine(LoggerCallback):
        pass

    callbacks = [Callback(), Callback(), JsonLoggerCallback(), Mine(), WandbLoggerCallback(), "x"]
    expected = dict(usage._count_callbacks(callbacks))  # Ray's own count (it imports them)
    recorded = []
    monkeypatch.setattr(usage, "tag_callbacks", usage.tag_callbacks)  # undone after the test
    monkeypatch.setattr(usage, "record_extra_usage_tag", lambda key, value: recorded.append((key, value)))
    tuner._count_callbacks_by_name()
    usage.tag_callbacks(callbacks)
    usage.tag_callbacks([])
    assert [(key, json.loads(value)) for key, value in recorded] == [(usage.TagKey.AIR_CALLBACKS, expected)]
    assert expected == {"CustomCallback": 2, "JsonLoggerCallback": 1, "CustomLoggerCallback": 1,
                        "WandbLoggerCallback": 1}


def test_a_smoke_test_is_planned_without_torch():
    """The driver plans `run --smoke-test` from the family table's toy sizes; the table loads
    a family's networks (and torch, 2 s) only when it builds one."""
    code = ("import sys; from gansweep.strict_yaml import load_bytes\n"
            "from gansweep.sweep.spec import parse_spec, smoke_test\n"
            "raw = load_bytes(open('sweeps/quickstart.yaml', 'rb').read())\n"
            "spec = smoke_test(parse_spec(raw, source='quickstart', check_inert=False))\n"
            "print(spec.config().model.width, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tuner.__file__.rsplit("/gansweep/", 1)[0])
    assert out.stdout.split() == ["4", "False"]


def test_trial_actors_carry_no_runtime_env_unless_the_driver_has_variables_to_pass_on():
    """A runtime_env costs each trial process a runtime-env agent call and a second Python
    that imports Ray before the worker starts. Tune's (PL_DISABLE_FORK, for PyTorch
    Lightning) is dropped; where the driver has AWS credentials or Ray Train settings to
    pass on to its trials, Tune's registration stands and carries them."""
    code = """
import json, os
from ray.tune.execution.class_cache import ENV_VARS_TO_PROPAGATE, _ActorClassCache
from gansweep.sweep import tuner
class Plain: pass
class Passing: pass
tuner._trial_actors_without_runtime_env()
tuner._trial_actors_without_runtime_env()  # twice: once replaced
cache = _ActorClassCache()
plain = cache.get(Plain)
os.environ["AWS_ACCESS_KEY_ID"] = "id-of-the-driver"
passing = _ActorClassCache().get(Passing)
print(json.dumps([plain._default_options.get("runtime_env"), passing._default_options.get("runtime_env"),
                  cache.get(Plain) is plain]))
"""
    from ray.tune.execution.class_cache import ENV_VARS_TO_PROPAGATE

    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS_TO_PROPAGATE}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    plain, passing, cached = json.loads(out.stdout.strip().splitlines()[-1])
    assert not plain and cached
    assert passing["env_vars"]["AWS_ACCESS_KEY_ID"] == "id-of-the-driver"
