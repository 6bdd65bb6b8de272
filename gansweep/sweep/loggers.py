"""`loggers: [wandb, mlflow]` in a spec: Ray Tune's own logger callbacks, as optional extras.

Every trial's reports (its evaluations, the objective, the iteration) then also go to
Weights & Biases (`WandbLoggerCallback`, project = the experiment's name unless
$WANDB_PROJECT is set; `WANDB_MODE=offline` keeps runs on disk) and/or MLflow
(`MLflowLoggerCallback`, experiment = the experiment's name, tracking URI $MLFLOW_TRACKING_URI,
e.g. `file:/path/mlruns` or a tracking server). Both are configured the way their own tools
are: by their environment variables, which are read on the driver. The packages are extras:
`pip install gansweep[wandb]`, `gansweep[mlflow]`; a spec that asks for one that is not
installed is refused before anything starts (exit 2).
"""

from __future__ import annotations

import importlib.util
import os

from gansweep.errors import ProblemsError

LOGGERS = {"wandb": "wandb", "mlflow": "mlflow"}  # spec name -> the package it needs


def parse_loggers(value, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"loggers: expected a list of names ({', '.join(LOGGERS)}), got {value!r}")
        return ()
    for v in value:
        if v not in LOGGERS:
            problems.append(f"loggers: unknown logger {v!r}; known: {', '.join(LOGGERS)}")
    if len(set(value)) != len(value):
        problems.append("loggers: a logger is named twice")
    return tuple(dict.fromkeys(v for v in value if v in LOGGERS))


def check_installed(loggers: tuple[str, ...]) -> None:
    missing = [name for name in loggers if importlib.util.find_spec(LOGGERS[name]) is None]
    if missing:
        raise ProblemsError([f"loggers: {name!r} needs the {LOGGERS[name]} package: "
                             f"pip install 'gansweep[{name}]'" for name in missing],
                            "a logger the spec asks for is not installed")


def logger_callbacks(loggers: tuple[str, ...], experiment: str) -> list:
    check_installed(loggers)
    out = []
    if "wandb" in loggers:
        from ray.air.integrations.wandb import WandbLoggerCallback
        out.append(WandbLoggerCallback(project=os.environ.get("WANDB_PROJECT") or experiment,
                                       group=os.environ.get("WANDB_RUN_GROUP")))
    if "mlflow" in loggers:
        from ray.air.integrations.mlflow import MLflowLoggerCallback
        out.append(MLflowLoggerCallback(tracking_uri=os.environ.get("MLFLOW_TRACKING_URI"),
                                        experiment_name=experiment))
    return out
