"""`loggers: [wandb, mlflow]` (issue 15): the spec key, the install check, and both callbacks
for real on a smoke sweep: MLflow into a local `file:` store, read back with MLflow's client;
W&B in offline mode, its run files on disk."""

from dataclasses import replace
from pathlib import Path

import pytest

from gansweep.errors import InputError
from gansweep.sweep.loggers import check_installed
from gansweep.sweep.spec import SpecError, load_spec, parse_spec, smoke_test
from gansweep.sweep.storage import Location

QUICKSTART = Path(__file__).parents[2] / "sweeps" / "quickstart.yaml"


def raw_quickstart() -> dict:
    return dict(load_spec(QUICKSTART).raw)


def test_loggers_key_is_checked():
    assert parse_spec({**raw_quickstart(), "loggers": ["mlflow", "wandb"]}).loggers == ("mlflow", "wandb")
    assert parse_spec(raw_quickstart()).loggers == ()
    with pytest.raises(SpecError) as e:
        parse_spec({**raw_quickstart(), "loggers": ["tensorboard", "mlflow", "mlflow"]})
    assert "loggers: unknown logger 'tensorboard'" in str(e.value) and "named twice" in str(e.value)
    with pytest.raises(SpecError):
        parse_spec({**raw_quickstart(), "loggers": "wandb"})


def test_a_missing_logger_package_is_bad_input(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "wandb" else real(n, *a))
    with pytest.raises(InputError, match=r"pip install 'gansweep\[wandb\]'"):
        check_installed(("wandb",))


@pytest.mark.slow
def test_mlflow_file_store_and_wandb_offline(tmp_path, monkeypatch):
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra is not installed")
    pytest.importorskip("wandb", reason="the wandb extra is not installed")
    import ray

    from gansweep.sweep.tuner import run_sweep

    store = f"file:{tmp_path / 'mlruns'}"
    for var, value in {"MLFLOW_TRACKING_URI": store, "WANDB_MODE": "offline",
                       "WANDB_DIR": str(tmp_path / "wandb"), "WANDB_SILENT": "true",
                       "WANDB_DISABLE_GIT": "true",
                       "MLFLOW_ALLOW_FILE_STORE": "true"}.items():  # MLflow 3: file stores opt in
        monkeypatch.setenv(var, value)
    (tmp_path / "wandb").mkdir()
    spec = smoke_test(parse_spec({**raw_quickstart(), "loggers": ["mlflow", "wandb"]}))
    spec = replace(spec, max_concurrent_trials=1)  # one reused trial process: half the imports
    where = Location(tmp_path / "runs").experiment("logged")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        grid = run_sweep(spec, where, progress_every_s=1e9)
    finally:
        ray.shutdown()
    assert len(grid) == spec.trials and not grid.errors

    client = mlflow.tracking.MlflowClient(tracking_uri=store)
    experiment = client.get_experiment_by_name("logged")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == spec.trials
    for run in runs:
        assert spec.metric in run.data.metrics and "objective" in run.data.metrics
        history = client.get_metric_history(run.info.run_id, "iteration")
        assert [m.value for m in history] == [2, 4]  # both evaluations of the smoke sweep

    offline = sorted((tmp_path / "wandb").rglob("offline-run-*"))
    assert len([d for d in offline if d.is_dir()]) == spec.trials
    assert all(list(d.glob("*.wandb")) for d in offline if d.is_dir())
