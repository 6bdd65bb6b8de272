"""Sweep specs: every shipped spec is valid at full and toy scale; bad specs list every problem."""

import math
from pathlib import Path

import pytest
import yaml

from gansweep.cli import main as cli
from gansweep.sweep.spec import SpecError, load_spec, parse_spec, smoke_test

SWEEPS = sorted((Path(__file__).parents[2] / "sweeps").glob("*.yaml"))
MINIMAL = {"model": "SC-WGAN.b", "data": {"name": "digits"}, "iterations": 100, "eval_every": 10,
           "metric": "fid_digits"}


def spec(**changes):
    return parse_spec({k: v for k, v in {**MINIMAL, **changes}.items() if v is not None})


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_every_shipped_spec_is_valid_and_documented(path):
    s = load_spec(path)
    assert path.read_text().startswith("#"), "a spec opens with what it reproduces"
    small = smoke_test(s)
    assert small.trials <= 4 and small.iterations == 4 and small.gpu == 0
    cfg = small.config(dict(zip([q.key for q in small.search], [q.values[0] for q in small.search])))
    # image data become digits; the depth study's generated R^2 points are tiny already and stay
    assert cfg.data.name in ("digits", "swissroll", "gaussians8") and cfg.train.device == "cpu"
    assert (cfg.data.name == "digits") == (s.config().data.name not in ("swissroll", "gaussians8"))


def test_the_shipped_sweeps_cover_the_thesis_experiments():
    names = {p.stem for p in SWEEPS}
    assert {"quickstart", "mtl_lambda", "wgan_variants", "gan_vs_wgan", "resnet",
            "classifier_lambda_b", "classifier_aux", "classifier_fraction",
            "depth_mnist", "depth_cifar10", "depth_r2", "depth_r2_gaussians8"} <= names
    table = load_spec(Path(SWEEPS[0]).parent / "wgan_variants.yaml")
    assert table.searcher == "grid" and table.num_samples == 9 and table.replicates >= 2


def test_a_bad_spec_names_every_problem_by_key_path():
    with pytest.raises(SpecError) as err:
        parse_spec({**MINIMAL, "bogus": 1, "mode": "max", "config": {"optim.lr_d": -1},
                    "search": {"loss.sharing_lambda": {"loguniform": [0, 1]},
                               "model.shared_layers": {"int": [1, 5]},
                               "optim.lr_g": {"normal": [0, 1]}},
                    "resources": {"gpu": 1.5}, "scheduler": {"kind": "asha", "reduction_factor": 1}})
    problems = err.value.problems
    for expected in ("bogus: unknown key", "config: optim.lr_d: must be > 0, got -1",
                     "resources.gpu:", "search.loss.sharing_lambda.loguniform: low must be > 0",
                     "search.optim.lr_g: unknown distribution 'normal'", "scheduler.reduction_factor"):
        assert any(p.startswith(expected) for p in problems), (expected, problems)


def test_each_searched_value_is_checked_against_the_config():
    with pytest.raises(SpecError, match=r"search.model.shared_layers.int: value 5 gives"):
        spec(search={"model.shared_layers": {"int": [1, 5]}})
    with pytest.raises(SpecError, match=r"search.model.choice: value 'Nope' gives.*unknown preset"):
        spec(search={"model": {"choice": ["WGAN", "Nope"]}})


def test_metric_must_exist_and_mode_must_point_the_right_way():
    with pytest.raises(SpecError, match="metric: 'val_acc' is not measured"):
        spec(metric="val_acc")
    with pytest.raises(SpecError, match="mode: fid_digits is lower-is-better"):
        spec(mode="max")
    assert spec(metric="cond_acc", mode="max").metric == "cond_acc"


def test_grid_runs_once_and_needs_the_grid_searcher():
    g = spec(searcher="grid", search={"model": {"grid": ["WGAN", "SC-WGAN.a"]},
                                      "loss.eta": {"grid": [1.0, 10.0, 30.0]}})
    assert g.num_samples == 6
    with pytest.raises(SpecError, match="needs searcher: grid"):
        spec(search={"loss.eta": {"grid": [1.0, 10.0]}})
    with pytest.raises(SpecError, match="the grid has 2 points, got 5"):
        spec(searcher="grid", num_samples=5, search={"loss.eta": {"grid": [1.0, 10.0]}})


def test_trial_config_applies_preset_params_and_replicate_seed():
    s = spec(config={"train.seed": 10}, search={"model": {"choice": ["SC-WGAN.b", "AC-WGAN.a"]}})
    cfg = s.config({"model": "AC-WGAN.a", "loss.eta": 3.0}, replicate=2)
    assert cfg.model.preset == "AC-WGAN.a" and cfg.model.aux_heads == 1
    assert cfg.loss.eta == 3.0 and cfg.train.seed == 12 and cfg.train.iterations == 100


def test_budget_defaults_to_the_config():
    s = parse_spec({"model": "WGAN", "data": {"name": "digits"}, "metric": "fid_digits"})
    assert (s.iterations, s.eval_every) == (200_000, 2000)


def test_validate_and_a_bad_run_start_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**MINIMAL, "num_samples": 0, "searcher": "annealing"}))
    assert cli(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "num_samples: must be in [1, 100000]" in err and "searcher: must be one of" in err
    assert cli(["run", str(bad), "--storage", str(tmp_path / "runs")]) == 2
    assert not (tmp_path / "runs").exists()
    import ray
    assert not ray.is_initialized()


def test_dry_run_prints_the_plan(tmp_path, capsys):
    assert cli(["run", str(SWEEPS[0].parent / "quickstart.yaml"), "--dry-run",
                "--storage", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 configs x 2 replicates = 4 trials" in out and "best fid_digits (min)" in out
    assert f"curves      tensorboard --logdir {tmp_path / 'quickstart'}" in out
    assert not any(tmp_path.iterdir())


def test_a_budget_in_epochs():
    s = spec(iterations=None, epochs=2, config={"train.n_critic": 1})
    assert s.iterations == math.ceil(2 * 1500 / 64)  # digits' 1500 training images, batch 64
    assert s.config({}).train.epochs == 2
    with pytest.raises(SpecError, match="epochs: give the budget as iterations or epochs, not both"):
        spec(epochs=2)
    with pytest.raises(SpecError, match="scheduler: ASHA compares trials at equal iterations"):
        spec(iterations=None, epochs=2, scheduler={"kind": "asha"},
             search={"train.batch_size": {"choice": [32, 64]}})
    small = smoke_test(s)
    assert small.iterations == 4 and small.config({}).train.iterations == 4


def test_the_rung_timeout_is_validated_and_kept():
    ok = parse_spec({"model": "WGAN", "data": {"name": "digits"}, "iterations": 10, "eval_every": 5,
                     "scheduler": {"kind": "asha", "rung_timeout_s": 90}})
    assert ok.scheduler.rung_timeout_s == 90.0 and ok.to_dict()["resolved"]["scheduler"]["rung_timeout_s"] == 90.0
    for bad in (0, -1, float("inf"), "1h", True):
        with pytest.raises(SpecError, match="scheduler.rung_timeout_s"):
            parse_spec({"model": "WGAN", "data": {"name": "digits"}, "iterations": 10,
                        "eval_every": 5, "scheduler": {"kind": "asha", "rung_timeout_s": bad}})


def test_a_concurrency_limit_below_the_replicates_a_rung_waits_for_is_refused():
    """Measured before the check: mtl_lambda at toy scale with max_concurrent_trials 1 left
    replicate 0 paused at its first rung and replicate 1 never started (an hour's wait per
    rung, the driver at 100 % CPU)."""
    base = {"model": "WGAN", "data": {"name": "digits"}, "iterations": 10, "eval_every": 5,
            "scheduler": {"kind": "asha"}, "replicates": 3}
    with pytest.raises(SpecError, match=r"max_concurrent_trials: 2 is fewer than the 3 replicates"):
        parse_spec({**base, "max_concurrent_trials": 2})
    for ok in (0, 3, 8):  # 0: as many as the resources allow (a paused trial frees them)
        assert parse_spec({**base, "max_concurrent_trials": ok}).max_concurrent_trials == ok
    # without rungs nobody waits: one trial at a time is a valid sweep
    assert parse_spec({**base, "scheduler": None, "max_concurrent_trials": 1}).replicates == 3
