"""The depth study's R^2 data and the mode-coverage metrics that replace its visual check."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_swiss_roll

from gansweep import data_points as dp
from gansweep.config import ConfigError, DataConfig, resolve
from gansweep.data import load_dataset
from gansweep.metrics.points import PointEvaluator, gaussians8_coverage, swissroll_coverage
from gansweep.metrics import registry
from gansweep.sweep.spec import load_spec, smoke_test
from gansweep.trainer import Trainer
from tests.conftest import tiny_config


def test_r2_datasets_are_10000_deterministic_points_without_labels():
    for name in ("swissroll", "gaussians8"):
        a, b = load_dataset(DataConfig(name=name)), load_dataset(DataConfig(name=name))
        assert a.points.shape == (10_000, 2) and a.points.dtype == torch.float32
        assert torch.equal(a.points, b.points) and a.labels is None and a.num_classes == 0
        assert not torch.equal(a.points, load_dataset(DataConfig(name=name), "test").points)


def test_swiss_roll_is_sklearns_2d_roll_with_noise_0_2():
    ours = dp.swiss_roll(10_000, seed=3)
    ref = make_swiss_roll(10_000, noise=0.2, random_state=3)[0][:, [0, 2]]
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_gaussians8_ring_radius_2_std_0_02():
    x = dp.gaussians8(10_000, seed=0)
    centers = dp.gaussians8_centers()
    nearest = np.linalg.norm(x[:, None] - centers[None], axis=2).argmin(1)
    assert np.bincount(nearest).min() > 1100  # eight equal components
    assert (x - centers[nearest]).std() == pytest.approx(0.02, rel=0.03)
    assert np.linalg.norm(centers, axis=1) == pytest.approx(np.full(8, 2.0))


def test_mixture_itself_covers_all_modes_and_a_point_one():
    # 3 std in 2-D holds 1 - exp(-9/2) of a Gaussian's mass.
    modes, hq = gaussians8_coverage(dp.gaussians8(10_000, seed=5))
    assert modes == 8 and hq == pytest.approx(1 - np.exp(-4.5), abs=0.004)
    assert gaussians8_coverage(np.tile(dp.gaussians8_centers(), (100, 1))) == (8, 1.0)
    assert gaussians8_coverage(np.tile(dp.gaussians8_centers()[2], (500, 1))) == (1, 1.0)
    assert gaussians8_coverage(np.zeros((500, 2))) == (0, 0.0)  # the ring's centre is no mode


def test_swiss_roll_coverage_uses_the_distance_to_the_curve():
    modes, hq = swissroll_coverage(dp.swiss_roll(10_000, seed=5))
    assert modes == 10 and hq == pytest.approx(0.9973, abs=0.003)  # |1-D Gaussian| < 3 std
    curve = dp.swiss_roll_curve(1001)
    assert swissroll_coverage(curve) == (10, 1.0)
    assert swissroll_coverage(curve[:50]) == (1, 1.0)          # the innermost slice only
    off = curve + np.array([0.0, 0.7])                          # 0.7 > 3 x 0.2 off, mostly
    assert swissroll_coverage(curve + np.array([0.0, 0.5]))[1] > swissroll_coverage(off)[1]


@pytest.mark.parametrize("sample, modes", [("mixture", 8), ("point", 1)])
def test_point_evaluator_scores_generators_on_the_fixed_latents(sample, modes):
    cfg = tiny_config("M0_A", **{"data.name": "gaussians8", "eval.samples": 2000, "eval.batch_size": 500})
    evaluator = PointEvaluator(cfg, load_dataset(cfg.data), "cpu")
    centers = torch.tensor(dp.gaussians8_centers(), dtype=torch.float32)

    def mixture(z, y):  # a "generator" that samples the mixture itself
        return centers[torch.randint(8, (len(z),))] + 0.02 * torch.randn(len(z), 2)

    def point(z, y):
        return centers[:1].expand(len(z), 2)

    out = evaluator.evaluate(mixture if sample == "mixture" else point)
    assert out["modes_gaussians8"] == modes and out["hq_gaussians8"] > 0.97
    assert set(evaluator.provenance()) == {"modes_gaussians8", "hq_gaussians8"}


def test_trainer_evaluates_r2_models_with_mode_coverage():
    trainer = Trainer(tiny_config("M1_A", **{"eval.samples": 64, "eval.batch_size": 32}))
    trainer.step()
    assert set(trainer.evaluate()) == {"modes_swissroll", "hq_swissroll"}


def test_points_and_models_must_match_and_depth_models_are_unconditional():
    with pytest.raises(ConfigError, match="model.arch: residual_mlp cannot train on data.name digits"):
        resolve({"model": "M0_A", "data": {"name": "digits"}})
    with pytest.raises(ConfigError, match="model.arch: residual_dcgan cannot train on data.name swissroll"):
        resolve({"model": "M_cB", "data": {"name": "swissroll"}})
    with pytest.raises(ConfigError, match="model.g_cond: the depth-study models"):
        resolve({"model": {"preset": "M_cB", "g_cond": "concat"}})


def test_r2_sweep_smoke_test_stays_on_its_points():
    spec = smoke_test(load_spec("sweeps/depth_r2.yaml"))
    assert spec.config({}).data.name == "swissroll" and spec.metric == "hq_swissroll"
    assert smoke_test(load_spec("sweeps/depth_mnist.yaml")).metric == "is_digits"
    assert registry.direction("hq_gaussians8") == registry.direction("modes_swissroll") == "max"


def test_a_saved_r2_generator_gets_its_scatter_and_fresh_evaluation(tmp_path, capsys):
    import json

    from analysis.points import plot_points
    from gansweep.cli import main as cli
    from gansweep.run import load_trainer, run_training

    run_training(tiny_config("M0_A"), tmp_path / "run", 2)
    task = load_trainer(tmp_path / "run", device="cpu")
    out = plot_points(task, load_dataset(task.cfg.data).points, tmp_path / "points.png", n=500)
    assert out["points"].shape == (500, 2) and (tmp_path / "points.png").stat().st_size > 1000
    capsys.readouterr()
    assert cli(["eval", str(tmp_path / "run"), "--samples", "300", "--seed", "7"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["metrics"]) == {"modes_swissroll", "hq_swissroll"} and report["samples"] == 300
    assert report["provenance"]["hq_swissroll"]["z_seed"] == 7
