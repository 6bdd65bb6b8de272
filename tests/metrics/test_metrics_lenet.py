"""The MNIST DCGAN report's LeNet: its layer list, deterministic training, is_lenet / acc_lenet / aug_gain
in the evaluator, and its cross-entropy in G's loss (loss.classifier_alpha, section 6.2)."""

import dataclasses

import pytest
import torch

from gansweep.config import ConfigError, override, resolve
from gansweep.metrics import domain, evaluator as ev, lenet
from gansweep.metrics.inception_score import inception_score
from gansweep.metrics import registry
from gansweep.trainer import Trainer
from tests.conftest import tiny_config

# Trained judges: `make test` runs these again under other ATEN_CPU_CAPABILITY values.
pytestmark = pytest.mark.judge


def training_images(images, labels, ignore_class: bool):
    """A sample_fn returning training images of the requested class (or of a z-drawn one)."""
    by_class = [images[labels == c] for c in range(10)]

    def sample(z, y):
        idx = (z[:, 0].abs() * 1e4).long()
        if ignore_class:
            y = (z[:, 1].abs() * 1e4).long() % 10
        return torch.stack([by_class[c][i % len(by_class[c])]
                            for i, c in zip(idx.tolist(), y.tolist())]).float() / 127.5 - 1
    return sample


@pytest.fixture(scope="module")
def digits_lenet(shared_cache):
    """The LeNet of digits' own train/test splits, as the trainer and CLI load it (cached)."""
    return lenet.load_lenet("digits", shared_cache)


def test_lenet_is_lenet5_two_convs_three_fcs():
    net = lenet.LeNet()
    convs = [(c.in_channels, c.out_channels, c.kernel_size) for c in net.modules()
             if isinstance(c, torch.nn.Conv2d)]
    fcs = [(f.in_features, f.out_features) for f in net.modules() if isinstance(f, torch.nn.Linear)]
    assert convs == [(1, 6, (5, 5)), (6, 16, (5, 5))]
    assert fcs == [(16 * 5 * 5, 120), (120, 84), (84, 10)]   # 84-d penultimate layer (6.1)
    # conv 1*6*25+6 = 156, conv 6*16*25+16 = 2416, fc 400*120+120 = 48120,
    # fc 120*84+84 = 10164, fc 84*10+10 = 850: 61,706 in all.
    assert sum(p.numel() for p in net.parameters()) == 61_706
    pad = net.body[0]
    assert pad.padding == (2, 2, 2, 2) and pad.value == -1.0  # 28x28 framed to 32x32 (7.19)
    feats, logits = domain.DomainExtractor(lenet.LENET["mnist"], net).run(
        torch.zeros(3, 1, 28, 28, dtype=torch.uint8), batch_size=2)
    assert feats.shape == (3, 84) and logits.shape == (3, 10)


def test_lenet_training_is_deterministic(digits):
    spec = dataclasses.replace(lenet.LENET["digits"], recipe=domain.Recipe(1, 32, 2e-3))
    a = domain.train_classifier(spec, digits.train[:300], digits.train_labels[:300])
    b = domain.train_classifier(spec, digits.train[:300], digits.train_labels[:300])
    assert domain.state_sha256(a.state_dict()) == domain.state_sha256(b.state_dict())


def test_lenet_is_accurate_and_its_is_separates_digits_from_noise(digits_lenet):
    _, _, test_x, _ = domain.training_data("digits")
    assert digits_lenet.test_accuracy >= 0.97  # held-out writers: the shipped judge
    assert digits_lenet.suffix == "_lenet" and digits_lenet.name == "lenet5-v1"
    noise = torch.randint(0, 256, test_x.shape, generator=torch.Generator().manual_seed(0),
                          dtype=torch.uint8)
    is_real = inception_score(digits_lenet.run(test_x, 100)[1])[0]
    is_noise = inception_score(digits_lenet.run(noise, 100)[1])[0]
    # Real held-out digits ~5.0 (of 10: the recipe's label smoothing keeps the judge from
    # over-confidence), noise ~1.3: the judge is not fooled into confident classes by noise.
    assert is_real > 4 and is_noise < 2.5 and is_real > is_noise + 2


def test_evaluator_reports_lenet_metrics(digits_lenet, digits, shared_cache, make_dataset):
    assert {"is_lenet", "acc_lenet", "aug_gain"} <= set(registry.requestable("mnist"))
    assert "aug_gain" not in ev.default_metrics("mnist", True, True)  # costly: only on request
    assert {"is_lenet", "acc_lenet"} <= set(ev.default_metrics("mnist", True, False))
    assert "acc_lenet" not in ev.default_metrics("mnist", False, False)
    assert "is_lenet" not in registry.requestable("cifar10")
    assert registry.direction("acc_lenet") == registry.direction("aug_gain") == "max"  # sweep targets
    xtr, ytr, _, _ = domain.training_data("digits")
    cfg = resolve({"model": {"preset": "cGAN.a", "z_dim": 8}, "data": {"name": "digits"},
                   "eval": {"samples": 300, "batch_size": 150, "cache_dir": str(shared_cache),
                            "metrics": ["is_lenet", "acc_lenet", "aug_gain"],
                            "aug_real": 100, "aug_generated": 200, "aug_epochs": 5}})
    evaluator = ev.Evaluator(cfg, make_dataset(xtr, ytr), "cpu", 10, True, 8)
    assert evaluator.extractors["lenet"].weights_sha256 == digits_lenet.weights_sha256
    copies = evaluator.evaluate(training_images(xtr, ytr, ignore_class=False))
    ignores = evaluator.evaluate(training_images(xtr, ytr, ignore_class=True))
    assert copies["acc_lenet"] > 0.95 and ignores["acc_lenet"] < 0.2
    assert copies["is_lenet"] > 4 and "is_lenet_std" in copies
    assert copies["aug_gain"] > 0 > ignores["aug_gain"]  # right labels help, wrong ones hurt
    assert copies["aug_acc_real"] == ignores["aug_acc_real"]  # the baseline is trained once
    assert copies["aug_gain"] == pytest.approx(copies["aug_acc"] - copies["aug_acc_real"])
    assert set(evaluator.provenance()) == set(copies)
    with pytest.raises(ValueError, match="class-conditional"):
        ev.Evaluator(cfg, make_dataset(xtr, ytr), "cpu", 10, False, 8)
    with pytest.raises(ValueError, match="aug_generated"):
        ev.Evaluator(override(cfg, {"eval.aug_generated": 301}), make_dataset(xtr, ytr), "cpu", 10, True, 8)


# --- loss.classifier_alpha ------------------------------------------------------------------

def alpha_config(alpha, cache):
    return tiny_config("cGAN.a", **{"loss.classifier_alpha": alpha, "eval.cache_dir": str(cache)})


def test_classifier_alpha_adds_the_lenet_loss_to_g_only(digits_lenet, shared_cache):
    plain = Trainer(alpha_config(0.0, shared_cache))  # each trainer seeds the global RNG
    plain.step()
    fed = Trainer(alpha_config(2.0, shared_cache))
    frozen = {k: v.clone() for k, v in fed.lenet_loss.state_dict().items()}
    fed.step()
    assert plain.lenet_loss is None
    s0, s1 = plain.scalars(), fed.scalars()
    assert "g_lenet_loss" not in s0 and s1["g_lenet_loss"] > 0
    # Same D step, same fakes: G's loss is the plain one plus alpha times the LeNet's CE ...
    assert s1["d_loss"] == s0["d_loss"]
    assert s1["g_loss"] == pytest.approx(s0["g_loss"] + 2.0 * s1["g_lenet_loss"], rel=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(plain.nets.D.parameters(), fed.nets.D.parameters()))
    # ... which changes G's gradient and so G, while the LeNet itself never trains.
    assert s1["grad_norm_G"] != s0["grad_norm_G"]
    assert any(not torch.equal(a, b) for a, b in zip(plain.nets.G.parameters(), fed.nets.G.parameters()))
    assert all(torch.equal(v, fed.lenet_loss.state_dict()[k]) for k, v in frozen.items())
    assert not any(k.startswith("lenet") for k in fed.state_dict()["nets"])


def test_classifier_alpha_needs_a_conditional_generator():
    with pytest.raises(ConfigError, match="loss.classifier_alpha"):
        tiny_config("GAN", **{"loss.classifier_alpha": 1.0})
