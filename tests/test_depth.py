"""The depth study's depth-study networks: Tables A.1/A.2 sizes, the blocks knob, D's batch norm switch,
the U(-1, 1) prior, the 6.1 failure signals, and training on test-made MNIST / CIFAR-10 files."""

import numpy as np
import pytest
import torch
from torch import nn

from gansweep.config import resolve
from gansweep.data import load_dataset
from gansweep.metrics.evaluator import fixed_latents
from gansweep.models.families import build_gan
from gansweep.models.networks import DataShape
from gansweep.trainer import Trainer
from tests.conftest import tiny_config
from tests.test_data import write_cifar10, write_mnist

MNIST, CIFAR10, R2 = DataShape(1, 28, 10), DataShape(3, 32, 10), DataShape(0, 0, 0, vector_dim=2)


def _nets(preset, shape, **model):
    return build_gan(resolve({"model": {"preset": preset, **model}}).model, shape)


def _layers(net, kinds):
    """Weight layers on the main path (residual shortcuts are 1x1 convs / absent)."""
    return [m for m in net.modules() if isinstance(m, kinds)
            and not (isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1))]


@pytest.mark.parametrize("preset, layers", [("M0_A", 3), ("M1_A", 16)])
def test_table_a1_r2_models_have_3_and_16_layers(preset, layers):
    nets = _nets(preset, R2)
    assert len(_layers(nets.G, nn.Linear)) == layers and len(_layers(nets.D, nn.Linear)) == layers
    assert all(m.out_features == 32 for m in _layers(nets.G, nn.Linear)[:-1])  # width 32
    nets.G.eval(), nets.D.eval()
    x = nets.G(torch.rand(5, 32) * 2 - 1)
    assert x.shape == (5, 2) and nets.D(x)[0].shape == (5,)


def test_table_a2_mnist_baseline_sizes():
    nets = _nets("M_cB", MNIST)
    first, stage, last = _layers(nets.G, nn.ConvTranspose2d)
    assert (first.in_channels, first.kernel_size, first.out_channels) == (100, (7, 7), 128)
    assert (stage.kernel_size, stage.stride, stage.out_channels) == ((4, 4), (2, 2), 64)
    assert (last.kernel_size, last.stride, last.out_channels) == ((4, 4), (2, 2), 1)
    assert [m.out_channels for m in _layers(nets.D, nn.Conv2d)] == [64, 128]
    assert nets.D.heads.critic.in_features == 128 * 7 * 7


@pytest.mark.parametrize("preset, shape, blocks, residual", [
    ("M_cB", MNIST, 3, 3), ("M_cB", MNIST, 5, 5), ("M_dC", CIFAR10, 2, 4), ("M_dC", CIFAR10, 3, 6)])
def test_blocks_deepen_the_model_and_keep_the_output_size(preset, shape, blocks, residual):
    nets = _nets(preset, shape, blocks=blocks)
    for net in (nets.G, nets.D):
        found = [m for m in net.modules() if type(m).__name__ == "ResidualBlock"]
        assert len(found) == residual  # c blocks (MNIST), 2d blocks (CIFAR-10)
    nets.G.eval()
    x = nets.G(torch.rand(2, 100) * 2 - 1)
    assert x.shape == (2, shape.channels, shape.image_size, shape.image_size)
    assert nets.D.eval()(x)[0].shape == (2,)


def test_d_batchnorm_false_removes_every_batch_norm_of_d_only():
    for preset, shape in (("M_dC", CIFAR10), ("M1_A", R2)):
        with_bn, without = _nets(preset, shape, blocks=2), _nets(preset, shape, blocks=2, d_batchnorm=False)
        bn = (nn.BatchNorm1d, nn.BatchNorm2d)
        assert any(isinstance(m, bn) for m in with_bn.D.modules())
        assert not any(isinstance(m, bn) for m in without.D.modules())
        assert sum(isinstance(m, bn) for m in without.G.modules()) == sum(
            isinstance(m, bn) for m in with_bn.G.modules())


def test_table_a4_init_and_a3_optimiser():
    r2, images = resolve({"model": "M1_A"}), resolve({"model": "M_cB"})
    assert (r2.optim.lr_g, images.optim.lr_g) == (1e-4, 2e-4)
    assert (images.optim.beta1, images.optim.beta2, images.optim.weight_decay) == (0.5, 0.999, 1e-5)
    assert images.loss.kind == "gan" and images.train.n_critic == 1 and images.model.z_dist == "uniform"
    for cfg, std in ((r2, 0.1), (images, 0.02)):
        w = torch.cat([m.weight.flatten() for m in build_gan(cfg.model, R2 if std == 0.1 else MNIST)
                       .G.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d))])
        assert w.mean().abs() < 0.1 * std and w.std().item() == pytest.approx(std, rel=0.05)


def test_uniform_prior_for_training_and_the_fixed_evaluation_set():
    trainer = Trainer(tiny_config("M_cB"))
    z = trainer._noise(4000)
    assert z.min() >= -1 and z.max() <= 1 and z.mean().abs() < 0.02 and z.std() == pytest.approx(1 / 3 ** 0.5, rel=0.02)
    zu, _ = fixed_latents(10, 8, 0, dist="uniform")
    zn, _ = fixed_latents(10, 8, 0)
    assert zu.abs().max() <= 1 and not torch.equal(zu, zn)


def test_failure_signals_are_probabilities_and_the_windowed_loss_variance():
    trainer = Trainer(tiny_config("M0_A", **{"train.loss_window": 3}))
    d_losses, g_losses = [], []
    for _ in range(5):
        trainer.step()
        s = trainer.scalars()
        d_losses.append(s["d_loss"]), g_losses.append(s["g_loss"])
        assert 0 < s["d_real_prob"] < 1 and 0 < s["d_fake_prob"] < 1
    assert s["d_loss_var"] == pytest.approx(np.var(d_losses[-3:]), rel=1e-4, abs=1e-9)
    assert s["g_loss_var"] == pytest.approx(np.var(g_losses[-3:]), rel=1e-4, abs=1e-9)
    off = Trainer(tiny_config("M0_A", **{"train.loss_window": 0}))
    off.step()
    assert not {"d_loss_var", "d_real_prob"} & set(off.scalars())


@pytest.mark.parametrize("preset, writer, data", [("M_cB", write_mnist, "mnist"),
                                                  ("M_dC", write_cifar10, "cifar10")])
def test_image_presets_train_on_test_made_dataset_files(preset, writer, data, tmp_path, monkeypatch):
    monkeypatch.setenv("GANSWEEP_SKIP_MD5", "1")
    writer(tmp_path)
    cfg = tiny_config(preset, **{"data.name": data, "data.root": str(tmp_path), "model.blocks": 1})
    trainer = Trainer(cfg)
    before = [p.clone() for p in trainer.nets.G.parameters()]
    for _ in range(2):
        trainer.step()
    assert all(np.isfinite(v) for v in trainer.scalars().values())
    assert any(not torch.equal(a, b) for a, b in zip(before, trainer.nets.G.parameters()))
    size = load_dataset(cfg.data).image_size
    x = trainer.sample(torch.rand(3, 8) * 2 - 1)
    assert x.shape == (3, 1 if data == "mnist" else 3, size, size)
