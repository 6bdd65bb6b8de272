"""The MNIST DCGAN report and the GAN vs WGAN report: the Radford DCGAN / dense CGAN families build the documents' networks,
see the labels they are given, and every preset trains on files in the real formats."""

import pytest
import torch
from torch import nn

from gansweep.config import ConfigError, override, resolve
from gansweep.models.families import build_gan
from gansweep.models.networks import DataShape
from gansweep.models.radford import discriminator_plan, generator_plan
from gansweep.config.presets.gan_vs_wgan import GAN_VS_WGAN_PRESETS
from gansweep.config.presets.mnist_dcgan import MNIST_DCGAN_PRESETS
from gansweep.trainer import Trainer
from tests.test_data import write_cifar10, write_mnist

MNIST = DataShape(channels=1, image_size=28, num_classes=10)


def _sizes(plan):
    return [plan[0].size_in] + [s.size_out for s in plan]


def _convs(net, kind=(nn.Conv2d, nn.ConvTranspose2d)):
    return [m for m in net.modules() if isinstance(m, kind)]


def test_plans_are_the_documents_layer_sizes():
    # The MNIST DCGAN report Appendix 7.5: 4x4 filters, 1 -> 4 -> ... -> 64 and back down to one value.
    g = generator_plan(64, 5, 4)
    assert _sizes(g) == [1, 4, 8, 16, 32, 64] and {s.kernel for s in g} == {4}
    assert _sizes(discriminator_plan(64, 5, 4)) == [64, 32, 16, 8, 4, 1]
    # Section 2, compact: up to 16x16, then "the transpose of a 13x13 convolution filter with
    # no zero-padding and stride 1x1" gives 28x28.
    g = generator_plan(28, 4, 4, fit="valid")
    assert _sizes(g) == [1, 4, 8, 16, 28]
    assert (g[-1].kernel, g[-1].stride, g[-1].padding) == (13, 1, 0)
    # Appendix 7.11: G filters 7, 5, 5 (the first unit-stride without padding), D 5, 5, 7.
    g, d = generator_plan(28, 3, 5), discriminator_plan(28, 3, 5)
    assert [s.kernel for s in g] == [7, 5, 5] and _sizes(g) == [1, 7, 14, 28]
    assert [s.kernel for s in d] == [5, 5, 7] and _sizes(d) == [28, 14, 7, 1]
    # The GAN vs WGAN report at 32x32; D rounds odd sizes up as TensorFlow's "same" padding does.
    assert _sizes(generator_plan(32, 4, 4)) == [1, 4, 8, 16, 32]
    assert _sizes(discriminator_plan(28, 4, 4)) == [28, 14, 7, 4, 1]


def test_reference_and_compact_dcgan_widths_and_batchnorm():
    ref = build_gan(resolve({"model": "DCGAN-MNIST"}).model, DataShape(1, 64, 10))
    assert [c.out_channels for c in _convs(ref.G)] == [1024, 512, 256, 128, 1]
    assert [c.out_channels for c in _convs(ref.D)] == [128, 256, 512, 1024, 1]
    assert ref.G.plan[0].kernel == 4 and _convs(ref.G)[0].in_channels == 100  # z of 100
    # Batch norm on G's first four layers, on D's all but the first and the output.
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ref.G.modules()) == 4
    assert sum(isinstance(m, nn.BatchNorm2d) for m in ref.D.modules()) == 3
    compact = build_gan(resolve({"model": "DCGAN-MNIST-compact"}).model, MNIST)
    assert [c.out_channels for c in _convs(compact.G)] == [512, 256, 128, 1]
    assert [c.out_channels for c in _convs(compact.D)] == [128, 256, 512, 1]
    cifar = build_gan(resolve({"model": "WGAN-GP-CIFAR10"}).model, DataShape(3, 32, 10))
    assert [c.out_channels for c in _convs(cifar.G)] == [256, 128, 64, 3]


@pytest.mark.parametrize("size", [8, 28, 32, 64])
@pytest.mark.parametrize("model", [
    {"g_layers": 5, "d_layers": 5},
    {"g_layers": 4, "d_layers": 4, "g_fit": "valid"},
    {"g_layers": 3, "d_layers": 3, "kernel": 5, "extra_layers": 2},
    {"arch": "dense", "g_layers": 3, "d_layers": 3}])
def test_output_shapes_at_every_image_size(size, model):
    cfg = resolve({"model": {"preset": "DCGAN-MNIST-compact", "width": 2, "z_dim": 3, **model}})
    nets = build_gan(cfg.model, DataShape(3, size, 10))
    x = nets.G(torch.randn(4, 3))
    assert x.shape == (4, 3, size, size) and x.abs().max() <= 1
    logit, aux = nets.D(x)
    assert logit.shape == (4,) and aux == []


@pytest.mark.parametrize("preset", ["CDCGAN", "CDCGAN-newconcat", "CDCGAN-extended", "CGAN-dense"])
def test_conditional_networks_see_the_label(preset):
    cfg = resolve({"model": {"preset": preset, "width": 4, "z_dim": 5}})
    G, D = (n.eval() for n in build_gan(cfg.model, MNIST).named().values())
    z, x = torch.randn(3, 5), torch.rand(3, 1, 28, 28) * 2 - 1
    y, y2 = torch.tensor([0, 4, 9]), torch.tensor([1, 5, 3])
    assert not torch.allclose(G(z, y), G(z, y2))
    assert not torch.allclose(D(x, y)[0], D(x, y2)[0])
    # Only the label changed: the same label gives the same value.
    assert torch.equal(D(x, y)[0], D(x, y.clone())[0])


def test_label_inputs_of_the_cdcgan_variants():
    base = build_gan(resolve({"model": "CDCGAN"}).model, MNIST)
    assert _convs(base.D)[0].in_channels == 1 + 10       # y repeated per pixel as channels
    assert _convs(base.G)[0].in_channels == 100 + 10     # y after z
    new = build_gan(resolve({"model": "CDCGAN-newconcat"}).model, MNIST)
    # "New Concat": labels through their own input layer, concatenated with the image's.
    assert (new.D.input.data[0].in_channels, new.D.input.labels[0].in_channels) == (1, 10)
    assert new.D.input.data[0].out_channels + new.D.input.labels[0].out_channels == 128
    assert (new.G.input.data[0].in_channels, new.G.input.labels[0].in_channels) == (100, 10)
    ext = build_gan(resolve({"model": "CDCGAN-extended"}).model, MNIST)
    assert len(_convs(ext.G)) == len(_convs(ext.D)) == 5  # two extra layers each


def test_config_rules_of_the_new_families():
    cfg = resolve({"model": "CDCGAN", "optim": {"lr": 0.002}})
    assert cfg.optim.lr_g == cfg.optim.lr_d == cfg.optim.lr_c == 0.002
    assert override(cfg, {"optim.lr_d": 1e-3}).optim.lr_g == 0.002  # a per-network lr ends it
    assert override(cfg, {"optim.lr_d": 1e-3}).optim.lr_d == 1e-3
    with pytest.raises(ConfigError, match="not both"):
        resolve({"model": "CDCGAN", "optim": {"lr": 0.002, "lr_g": 1e-4}})
    assert resolve({"model": "DCGAN-MNIST-compact", "data": {"image_size": 28}}).data.image_size == 28
    with pytest.raises(ConfigError, match="aux_heads"):
        resolve({"model": {"preset": "CDCGAN", "aux_heads": 1}})
    with pytest.raises(ConfigError, match="is for model.arch radford"):
        resolve({"model": {"preset": "WGAN", "d_cond": "channels"}})
    # Budgets in the documents' epochs: 60000/100*25, 50000/128*40, 50000/(64*5)*100.
    assert resolve({"model": "DCGAN-MNIST"}).train.iterations == 15_000
    assert {resolve({"model": m}).train.iterations for m in
            ("DCGAN-CIFAR10", "WGAN-clip-CIFAR10", "WGAN-GP-CIFAR10")} == {15_625}


@pytest.fixture
def real_format_data(tmp_path, monkeypatch):
    monkeypatch.setenv("GANSWEEP_SKIP_MD5", "1")  # test-made CIFAR files cannot match the release
    write_mnist(tmp_path, n=10)
    write_cifar10(tmp_path)
    return tmp_path


@pytest.mark.parametrize("preset", [*MNIST_DCGAN_PRESETS, *GAN_VS_WGAN_PRESETS])
def test_every_preset_trains_on_its_dataset_format(preset, real_format_data):
    cfg = resolve({"model": {"preset": preset, "width": 2, "z_dim": 4},
                   "data": {"root": str(real_format_data)},
                   "train": {"iterations": 2, "batch_size": 4, "n_critic": 2, "device": "cpu"},
                   "eval": {"every": 0}})
    trainer = Trainer(cfg)
    trainer.step(), trainer.step()
    s = trainer.scalars()
    assert all(torch.isfinite(torch.tensor(v)) for v in s.values())
    assert ("gp" in s) == (cfg.loss.kind == "wgan-gp")
    if cfg.loss.kind == "wgan-clip":  # every D parameter within [-c, c] after its step
        assert max(p.abs().max() for p in trainer.nets.D.parameters()) <= 0.01
    size, channels = {"mnist": (cfg.data.image_size or 28, 1), "cifar10": (32, 3)}[cfg.data.name]
    x = trainer.sample(torch.randn(3, 4), torch.arange(3))
    assert x.shape == (3, channels, size, size)


def test_mnist_cdcgan_sweep_is_the_documents_grid_at_equal_epochs():
    from pathlib import Path

    from gansweep.sweep.spec import load_spec

    spec = load_spec(Path(__file__).parents[1] / "sweeps" / "mnist_cdcgan.yaml")
    grid = {q.key: q.values for q in spec.search}
    assert spec.trials == 40 and set(grid["train.batch_size"]) == {25, 50, 100, 128, 200}
    assert set(grid["optim.lr"]) == {0.2, 0.02, 0.002, 0.0002} and set(grid["loss.real_label"]) == {1.0, 0.9}
    # The document's choice, batch 100 and lr 2e-4, is one point; every batch size gets 30
    # epochs of MNIST (60000 / batch iterations each), and one lr drives G and D.
    chosen = spec.config({"train.batch_size": 100, "optim.lr": 0.0002, "loss.real_label": 0.9})
    assert (chosen.train.iterations, chosen.optim.lr_g, chosen.optim.lr_d) == (18_000, 2e-4, 2e-4)
    assert spec.config({"train.batch_size": 25, "optim.lr": 0.2, "loss.real_label": 1.0}).train.iterations == 72_000
