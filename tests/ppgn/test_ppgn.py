"""PPGN-h (the PPGN-h report): section 4's networks, the variants as presets, the loss weights,
training on digits and a test-made MNIST, and evaluation through the MALA-approx sampler."""

import copy

import pytest
import torch

from gansweep.config import ConfigError, resolve
from gansweep.ppgn import losses as ppgn_losses
from gansweep.ppgn.models import Encoder, Generator, image_critic, latent_critic
from gansweep.config.presets.ppgn import PPGN_PRESETS
from gansweep.ppgn.trainer import PPGNTrainer
from gansweep.config.presets import GAN_PRESETS
from gansweep.task import build_task
from tests.conftest import tiny_config
from tests.test_data import write_mnist

# preset -> (discriminators, terms of L_G)
VARIANTS = {
    "PPGN-h": (["D"], {"l_x", "l_h", "l_gan"}),
    "PPGN-h-D_fc1.adv": (["D_fc1"], {"l_gan"}),
    "PPGN-h-D_fc1": (["D_fc1"], {"l_x", "l_h", "l_gan"}),
    "PPGN-h-D_fc1.noGAN": (["D_fc1"], {"l_x", "l_h"}),
    "PPGN-h-combined": (["D", "D_fc1"], {"l_x", "l_h", "l_gan"}),
    "PPGN-h-random": (["D", "D_fc1"], {"l_x", "l_h", "l_gan"}),
}


def test_every_variant_of_the_document_is_a_preset_outside_the_phase_trainer():
    assert sorted(VARIANTS) == sorted(PPGN_PRESETS)
    assert not set(PPGN_PRESETS) & set(GAN_PRESETS)
    cfg = resolve({"model": "PPGN-h"})
    p = cfg.ppgn
    assert (p.beta_x, p.beta_h, p.beta_gan) == (1.0, 0.1, 2.0)               # 4.1
    assert (p.mala_eps1, p.mala_eps2, p.mala_eps3, p.mala_steps) == (1e-2, 1.0, 1e-15, 200)
    assert cfg.train.batch_size == 32 and cfg.train.critic_schedule == "wgan"
    assert cfg.loss.kind == "wgan-gp" and cfg.data.name == "mnist" and cfg.model.z_dim == 64


def test_section_4_layer_sizes_at_paper_scale_on_mnist():
    E = Encoder(1, 28, 64, 64, 10)  # ppgn.encoder_width 64
    convs = [m for m in E.body if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in convs] == [
        (1, 64, 7), (64, 128, 7), (128, 256, 7)]
    assert (E.fc1.in_features, E.fc1.out_features, E.fc2.out_features) == (256, 64, 10)
    G = Generator(1, 28, 256, 256, 64)
    deconvs = [m for m in G.deconvs if isinstance(m, torch.nn.ConvTranspose2d)]
    assert G.fc.out_features == 1600
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in deconvs] == [
        (64, 512, 5), (512, 256, 5), (256, 256, 7), (256, 1, 10)]
    D, D_fc1 = image_critic(1, 28, 256), latent_critic(64, 256)
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in D.body if isinstance(c, torch.nn.Conv2d)] == [
        (1, 256, 3), (256, 256, 3), (256, 256, 3), (256, 512, 3)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in D_fc1.body
            if isinstance(c, torch.nn.Conv2d)] == [(1, 256, 2), (256, 256, 2), (256, 512, 2)]
    assert D.fc.in_features == 512 and D_fc1.fc.in_features == 512  # both pool down to 1x1
    with torch.no_grad():
        x = G(torch.rand(2, 64))
        assert x.shape == (2, 1, 28, 28)
        assert E.taps(x)["fc1"].shape == (2, 64) and E(x).shape == (2, 10)
        assert D(x).shape == (2,) and D_fc1(E.taps(x)["fc1"]).shape == (2,)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_variant_builds_its_discriminators_and_loss_terms(name):
    critics, terms = VARIANTS[name]
    task = build_task(tiny_config(name, **{"ppgn.mala_steps": 5}))
    assert isinstance(task, PPGNTrainer)
    assert [d.name for d in task.discriminators] == critics
    frozen = {k: v.clone() for k, v in task.E.state_dict().items()}
    for _ in range(3):
        task.step()
    assert all(torch.equal(v, task.E.state_dict()[k]) for k, v in frozen.items())  # E is fixed
    s = task.scalars()
    assert {k for k in s if k.startswith("l_")} == terms
    assert all(f"wasserstein_{c}" in s for c in critics) or name == "PPGN-h-random"
    p = task.cfg.ppgn
    expected = sum(w * s.get(k, 0.0) for k, w in (("l_x", p.beta_x), ("l_h", p.beta_h), ("l_gan", p.beta_gan)))
    assert s["g_loss"] == pytest.approx(expected, rel=1e-5, abs=1e-6)
    x = task.sample(torch.randn(4, 8), torch.arange(4))
    assert x.shape == (4, 1, 8, 8) and torch.isfinite(x).all()


def test_zero_weight_removes_a_term_without_evaluating_it():
    def boom():
        raise AssertionError("evaluated a term of weight 0")
    total, values = ppgn_losses.generator_loss(
        {"l_x": lambda: torch.tensor(2.0), "l_gan": boom}, {"l_x": 0.5, "l_gan": 0.0})
    assert float(total) == 1.0 and set(values) == {"l_x"}


def _g_gradient(task, perturb_critic: bool):
    """G's gradient in one generator step (Adam's first update is ~lr * sign: compare grads)."""
    task = copy.deepcopy(task)
    if perturb_critic:
        with torch.no_grad():
            for p in task.discriminators[0].net.parameters():
                p.add_(torch.randn_like(p))
    task._generator_step(task.discriminators)
    return [p.grad.clone() for p in task.G.parameters()]


@pytest.mark.parametrize("beta_gan,critic_matters", [(2.0, True), (0.0, False)])
def test_beta_gan_decides_whether_g_learns_from_d_fc1(beta_gan, critic_matters):
    task = build_task(tiny_config("PPGN-h-D_fc1", **{"ppgn.beta_gan": beta_gan}))
    a = _g_gradient(task, perturb_critic=False)
    b = _g_gradient(task, perturb_critic=True)
    same = all(torch.equal(x, y) for x, y in zip(a, b))
    assert same != critic_matters


def test_lambda_scales_the_adversarial_term_of_its_discriminator():
    def first_l_gan(lam):
        task = build_task(tiny_config("PPGN-h-combined", **{"ppgn.lambda_fc1": lam}))
        task.step()
        return task.scalars()["l_gan"]
    one, three = first_l_gan(1.0), first_l_gan(3.0)
    task = build_task(tiny_config("PPGN-h"))  # the same D, G, data: lambda_fc1 = 0 has no D_fc1
    task.step()
    only_d = task.scalars()["l_gan"]
    assert three - only_d == pytest.approx(3 * (one - only_d), rel=1e-4)


def test_random_variant_trains_one_critic_per_iteration_except_in_bursts():
    task = build_task(tiny_config("PPGN-h-random", **{"train.critic_burst_first": 2,
                                                      "train.critic_burst_every": 10}))
    trained = []
    for _ in range(12):
        before = {d.name: [p.clone() for p in d.net.parameters()] for d in task.discriminators}
        task.step()
        trained.append({d.name for d in task.discriminators
                        if any(not torch.equal(a, b) for a, b in zip(before[d.name], d.net.parameters()))})
    assert [len(t) for t in trained] == [2, 2] + [1] * 8 + [2, 1]  # bursts at 0, 1, 10
    assert {n for t in trained[2:10] for n in t} == {"D", "D_fc1"}  # p = 1/2 each


def test_config_checks_for_ppgn():
    with pytest.raises(ConfigError, match="loss.kind: PPGN-h is trained as WGAN-GP"):
        resolve({"model": "PPGN-h", "loss": {"kind": "gan"}})
    with pytest.raises(ConfigError, match="random_discriminator: picks between D and D_fc1"):
        resolve({"model": "PPGN-h-random", "ppgn": {"lambda_fc1": 0.0}})
    with pytest.raises(ConfigError, match="needs a discriminator"):
        resolve({"model": "PPGN-h", "ppgn": {"lambda_image": 0.0}})
    with pytest.raises(ValueError, match="defined for \\[8, 28\\] pixel images"):
        build_task(tiny_config("PPGN-h", **{"data.image_size": 16}))


def test_trains_on_a_test_made_mnist_and_evaluates_class_conditional_samples(tmp_path, monkeypatch):
    write_mnist(tmp_path, n=10)
    cfg = tiny_config("PPGN-h-combined", **{
        "data.name": "mnist", "data.root": str(tmp_path), "data.aux": "none",
        "eval.samples": 20, "eval.batch_size": 20, "eval.metrics": ["cond_acc", "fid_mnist"],
        "eval.cache_dir": str(tmp_path / "cache"), "ppgn.mala_steps": 5, "ppgn.encoder_width": 8})
    import gansweep.metrics.domain as domain  # the Table B.1 net for one epoch on 10 images
    monkeypatch.setitem(domain.DOMAINS, "mnist", domain.DOMAINS["mnist"].__class__(
        **{**domain.DOMAINS["mnist"].__dict__, "recipe": domain.Recipe(1, 10, 1e-3)}))
    task = build_task(cfg)
    for _ in range(2):
        task.step()
    assert task.sample(torch.randn(3, 8), torch.arange(3)).shape == (3, 1, 28, 28)
    rng = torch.get_rng_state()
    out = task.evaluate()
    assert torch.equal(rng, torch.get_rng_state())  # evaluation leaves training's RNG alone
    assert set(out) == {"cond_acc", "fid_mnist", "encoder_test_acc"}
    assert 0.0 <= out["cond_acc"] <= 1.0 and out["fid_mnist"] >= 0
    assert task.evaluate() == out  # the fixed z set and the seeded MALA noise
    assert task.provenance()["cond_acc"]["n_generated"] == 20


def test_encoder_is_trained_once_deterministically_and_then_read_from_the_cache(tmp_path, monkeypatch):
    from gansweep.data import load_dataset
    from gansweep.ppgn import encoder
    cfg = tiny_config("PPGN-h", **{"ppgn.encoder_width": 4, "ppgn.encoder_epochs": 1,
                                   "eval.cache_dir": str(tmp_path)})
    train, test = load_dataset(cfg.data, "train"), load_dataset(cfg.data, "test")
    fresh = encoder.train_encoder(encoder.encoder_spec(cfg, 1, 8, 10), train.images, train.labels,
                                  torch.device("cpu"))
    E, acc = encoder.load_encoder(cfg, train, test, torch.device("cpu"))
    assert all(torch.equal(v, E.state_dict()[k]) for k, v in fresh.state_dict().items())
    monkeypatch.setattr(encoder, "train_encoder", lambda *a: pytest.fail("trained twice"))
    again, acc2 = encoder.load_encoder(cfg, train, test, torch.device("cpu"))
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in E.state_dict().items())
    assert acc == acc2 and 0.0 <= acc <= 1.0
    assert not any(p.requires_grad for p in again.parameters())
