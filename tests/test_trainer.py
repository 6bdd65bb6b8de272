"""One trainer for every preset: it trains, resumes bit-for-bit, and follows Algorithms 2-4."""

import json

import pytest
import torch

from gansweep import checkpoint as ckpt
from gansweep import losses
from gansweep.config.presets import GAN_PRESETS, PRESETS
from gansweep.run import RunDir, run_training
from gansweep.trainer import Trainer
from tests.conftest import tiny_config


@pytest.mark.parametrize("name", GAN_PRESETS)
def test_every_gan_preset_trains_on_digits(name):
    cfg = tiny_config(name)
    trainer = Trainer(cfg)
    for _ in range(3):
        trainer.step()
    s = trainer.scalars()
    assert trainer.iteration == 3
    assert all(torch.isfinite(torch.tensor(v)) for v in s.values())
    assert ("gp" in s) == (cfg.loss.kind == "wgan-gp")
    assert ("d_cls_loss" in s) == (cfg.model.aux_heads > 0)
    assert ("c0_loss" in s or "c1_loss" in s) == (cfg.model.classifiers > 0)  # k = 2: a C step
    assert ("sharing_distance" in s) == (cfg.model.shared_layers > 0)
    x = trainer.sample(torch.randn(5, 8), torch.arange(5))
    if cfg.model.arch == "residual_mlp":  # the depth study's R^2 models emit points, unbounded
        assert x.shape == (5, 2)
    else:
        assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1


def _final_state(run_dir):
    return ckpt.load(RunDir(run_dir).latest_checkpoint())["task"]


def _metrics_without_time(run_dir):
    return [{k: v for k, v in r.items() if k != "time"} for r in RunDir(run_dir).read_metrics()]


def _assert_bit_identical(a, b, path="state"):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_bit_identical(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_bit_identical(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


@pytest.mark.parametrize("name", list(PRESETS))
def test_resume_is_bit_identical(name, tmp_path):
    cfg = tiny_config(name)
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert run_training(cfg, straight, 5).status == "finished"
    run_training(cfg, resumed, 2)   # stop after 2 iterations ...
    run_training(cfg, resumed, 5)   # ... and continue from the checkpoint in a new process state
    _assert_bit_identical(_final_state(straight), _final_state(resumed))
    assert _metrics_without_time(straight) == _metrics_without_time(resumed)
    assert [r["iteration"] for r in RunDir(resumed).read_metrics()] == [1, 2, 3, 4, 5]


def test_resume_refuses_a_different_config(tmp_path):
    run_training(tiny_config("WGAN"), tmp_path, 1)
    with pytest.raises(ValueError, match="different config"):
        run_training(tiny_config("WGAN", **{"optim.lr_d": 3e-4}), tmp_path, 2)


def test_separate_classifier_trains_only_every_s_th_iteration():
    trainer = Trainer(tiny_config("SC-WGAN.a", **{"train.classifier_every": 3}))
    C = trainer.nets.classifiers[0]
    changed = []
    for _ in range(7):
        before = [p.clone() for p in C.parameters()]
        trainer.step()
        changed.append(any(not torch.equal(a, b) for a, b in zip(before, C.parameters())))
    assert changed == [True, False, False, True, False, False, True]  # k mod s == 0


def test_sc_wgan_c_alternates_between_its_two_classifiers():
    trainer = Trainer(tiny_config("SC-WGAN.c", **{"train.classifier_every": 1}))
    picks = []
    for _ in range(40):
        before = [p.clone() for p in trainer.nets.classifiers[1].parameters()]
        trainer.step()
        picks.append(any(not torch.equal(a, b) for a, b in
                         zip(before, trainer.nets.classifiers[1].parameters())))
    assert 8 < sum(picks) < 32  # p = 1/2 each


def _first_step_scalars(preset, **overrides):
    trainer = Trainer(tiny_config(preset, **overrides))
    trainer.step()
    return trainer.scalars()


def test_omega_d_scales_the_classifier_term_of_d_and_nothing_else():
    a = _first_step_scalars("AC-WGAN.b", **{"loss.omega_d": 0.0, "train.n_critic": 1})
    b = _first_step_scalars("AC-WGAN.b", **{"loss.omega_d": 2.5, "train.n_critic": 1})
    for key in ("d_real", "d_fake", "gp", "wasserstein", "d_cls_loss"):
        assert a[key] == pytest.approx(b[key], rel=1e-6), key
    assert b["d_loss"] - a["d_loss"] == pytest.approx(2.5 * a["d_cls_loss"], rel=1e-5)


def test_omega_g_scales_the_classifier_term_of_g_and_nothing_else():
    a = _first_step_scalars("AC-WGAN.a", **{"loss.omega_g": 0.0, "train.n_critic": 1})
    b = _first_step_scalars("AC-WGAN.a", **{"loss.omega_g": 3.0, "train.n_critic": 1})
    assert a["d_loss"] == pytest.approx(b["d_loss"], rel=1e-6)  # D's step never sees omega_g
    assert a["g_cls_loss"] == pytest.approx(b["g_cls_loss"], rel=1e-6)
    assert b["g_loss"] - a["g_loss"] == pytest.approx(3.0 * a["g_cls_loss"], rel=1e-5)


def test_soft_sharing_pulls_d_and_c_together():
    near = Trainer(tiny_config("SC-WGAN.b", **{"loss.sharing_lambda": 10.0, "optim.lr_d": 1e-2,
                                               "optim.lr_c": 1e-2}))
    far = Trainer(tiny_config("SC-WGAN.b", **{"loss.sharing_lambda": 0.0, "optim.lr_d": 1e-2,
                                              "optim.lr_c": 1e-2}))
    for _ in range(20):
        near.step(), far.step()
    assert near.scalars()["sharing_distance"] < 0.8 * far.scalars()["sharing_distance"]


def test_non_finite_loss_stops_training_as_diverged(tmp_path, monkeypatch):
    monkeypatch.setattr(losses, "wgan_critic_loss", lambda r, f: (f.mean() - r.mean()) * float("nan"))
    result = run_training(tiny_config("WGAN"), tmp_path, 5)
    assert result.status == "diverged" and "d_loss" in result.reason and result.iteration == 1
    assert RunDir(tmp_path).latest_checkpoint() is None  # nothing non-finite was saved


def test_train_command_writes_config_metrics_and_checkpoints(tmp_path):
    from gansweep.cli import main
    config = tmp_path / "c.yaml"
    config.write_text("model: WGAN\ndata: {name: digits}\n")
    out = tmp_path / "run"
    args = ["train", str(config), "--out", str(out), "--iterations", "3",
            "--set", "model.width=4", "--set", "model.z_dim=8", "--set", "train.batch_size=8",
            "--set", "train.log_every=1", "--set", "eval.every=0"]
    assert main(args) == 0
    assert "preset: WGAN" in (out / "config.yaml").read_text()
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in lines] == [1, 2, 3] and "d_loss" in lines[0]
    assert RunDir(out).latest_checkpoint().name == "ckpt-000000003.pt"
    assert main(args[:5] + ["6"] + args[6:]) == 0  # same DIR, longer budget: resumes
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 6
