"""The config tree: presets, overrides, and every mistake reported at once with its path."""

import math

import pytest

from gansweep.config import ConfigError, from_dict, load_yaml, override, resolve
from gansweep.config.presets import PRESETS


def test_three_mistakes_are_reported_together(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: AC-WGAN.b\noptim: {lr_d: -1}\ntrain: {batch_size: two}\n"
                    "data: {name: digits, colour: red}\n")
    with pytest.raises(ConfigError) as err:
        load_yaml(path)
    assert sorted(err.value.problems) == [
        "data.colour: unknown key; known: aux, download, fraction, image_size, name, root, subset_seed",
        "optim.lr_d: must be > 0, got -1",
        "train.batch_size: expected an integer, got 'two'",
    ]
    assert len(err.value.problems) == 3


def test_smallest_config_and_defaults_are_the_thesis_table_4_2():
    cfg = resolve({"model": "WGAN", "data": {"name": "digits"}})
    assert (cfg.optim.lr_g, cfg.optim.beta1, cfg.optim.beta2) == (1e-4, 0.5, 0.9)
    assert (cfg.train.batch_size, cfg.train.n_critic, cfg.train.iterations) == (64, 5, 200_000)
    assert (cfg.loss.eta, cfg.loss.sharing_lambda, cfg.model.z_dim) == (10.0, 0.1, 128)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_resolves(name):
    assert resolve({"model": name}).model.preset == name


def test_user_overrides_apply_on_top_of_the_preset():
    cfg = resolve({"model": {"preset": "ResNet.b", "width": 16}, "loss": {"omega_d": 0.5},
                   "train.iterations": 10})
    assert cfg.model.arch == "resnet" and cfg.model.aux_heads == 2 and cfg.model.width == 16
    assert cfg.loss.omega_d == 0.5 and cfg.optim.beta1 == 0.0 and cfg.train.iterations == 10


def test_preset_semantics_follow_the_thesis():
    assert resolve({"model": "GAN"}).train.n_critic == 1            # 4.0.5 step 3
    assert resolve({"model": "GAN"}).model.d_batchnorm              # 4.0.5 step 5
    assert resolve({"model": "SC-WGAN.b"}).model.shared_layers == 2  # b = 2 (4.0.4)
    assert resolve({"model": "ResNet.a"}).train.batch_size_g == 128  # Appendix D
    assert resolve({"model": "MTL-classifier"}).optim.lr_c == 0.01   # 2.0.1


def test_unknown_preset_names_the_known_ones():
    with pytest.raises(ConfigError, match="unknown preset 'WGAN-XL'.*AC-WGAN.b"):
        resolve({"model": "WGAN-XL"})


def test_cross_field_checks():
    with pytest.raises(ConfigError, match="model.bifurcate_early: needs model.aux_heads"):
        resolve({"model": {"preset": "WGAN", "bifurcate_early": True}})
    with pytest.raises(ConfigError, match="data.image_size: must be a multiple of 8"):
        resolve({"model": "WGAN", "data": {"image_size": 28}})


def test_replace_round_trips_through_dict():
    cfg = resolve({"model": "AC-WGAN.c"})
    assert override(cfg, {"optim.lr_g": 3e-4}).optim.lr_g == 3e-4
    assert resolve(cfg.to_dict()) == cfg


def test_an_epoch_budget_becomes_iterations_over_the_official_split():
    # The GAN vs WGAN report: DCGAN 40 epochs at batch 128, 1:1; WGAN 100 epochs at batch 64, 5:1.
    gan = resolve({"model": "GAN", "data": {"name": "cifar10"}, "train": {"epochs": 40, "batch_size": 128}})
    wgan = resolve({"model": "WGAN", "data": {"name": "cifar10"}, "train": {"epochs": 100, "batch_size": 64}})
    assert gan.train.iterations == math.ceil(40 * 50_000 / 128) == 15_625
    assert wgan.train.iterations == math.ceil(100 * 50_000 / (64 * 5)) == 15_625
    half = resolve({"model": "GAN", "data": {"name": "mnist", "fraction": 0.5}, "train": {"epochs": 1, "batch_size": 100}})
    assert half.train.iterations == 300


def test_the_budget_the_user_gives_wins_over_a_presets(monkeypatch):
    monkeypatch.setitem(PRESETS, "E", {"model": {"arch": "dcgan"}, "train": {"epochs": 2, "n_critic": 1},
                                        "data": {"name": "digits"}})
    cfg = resolve({"model": "E", "train": {"batch_size": 100}})
    assert (cfg.train.epochs, cfg.train.iterations) == (2, 30)
    assert resolve({"model": "E", "train.iterations": 7}).train == cfg.train.__class__(
        **{**cfg.train.__dict__, "iterations": 7, "epochs": None, "batch_size": 64})
    assert override(cfg, {"train.batch_size": 50}).train.iterations == 60  # re-derived
    assert override(cfg, {"train.iterations": 9}).train.epochs is None
    assert from_dict(cfg.to_dict(), apply_preset=False) == cfg
    with pytest.raises(ConfigError, match="train.epochs: give the budget as train.epochs or train.iterations"):
        resolve({"model": "E", "train": {"iterations": 5, "epochs": 1}})


def test_deep_merge_shares_nothing_with_its_inputs():
    """A merged tree edited afterwards (as the smoke test edits `data`) leaves the spec's and
    the preset's dicts as they were: the inert-key check once turned mnist_cdcgan into digits."""
    from gansweep.config import deep_merge

    base, over = {"data": {"name": "mnist"}, "model": {"widths": [1, 2]}}, {"model": {"width": 4}}
    merged = deep_merge(base, over)
    merged["data"]["name"] = "digits"
    merged["model"]["widths"].append(3)
    assert base == {"data": {"name": "mnist"}, "model": {"widths": [1, 2]}}
    assert over == {"model": {"width": 4}}
