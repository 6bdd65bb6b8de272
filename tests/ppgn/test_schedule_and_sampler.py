"""The critic schedule (a pure function, used by both trainers) and MALA-approx on a toy."""

import pytest
import torch

from gansweep.config import TrainConfig
from gansweep.critic_schedule import critic_steps
from gansweep.ppgn.sampler import mala_approx
from gansweep.trainer import Trainer
from tests.conftest import tiny_config


def test_wgan_schedule_is_arjovskys_100_steps_for_25_iterations_and_every_500th():
    t = TrainConfig(critic_schedule="wgan")
    steps = [critic_steps(t, k) for k in range(1001)]
    assert steps[:25] == [100] * 25
    assert steps[25:500] == [5] * 475
    assert steps[500] == 100 and steps[501] == 5 and steps[1000] == 100
    assert sum(s == 100 for s in steps) == 25 + 2


def test_constant_schedule_is_n_critic_always():
    t = TrainConfig(n_critic=3)
    assert {critic_steps(t, k) for k in range(600)} == {3}


def test_the_phase_trainer_follows_the_schedule(monkeypatch):
    cfg = tiny_config("WGAN", **{"train.critic_schedule": "wgan", "train.critic_burst": 4,
                                 "train.critic_burst_first": 2, "train.critic_burst_every": 5})
    trainer = Trainer(cfg)
    calls = []
    monkeypatch.setattr(trainer.phases[0], "update", lambda k: calls.append(k))
    for _ in range(6):
        trainer.step()
    per_iteration = [calls.count(k) for k in range(6)]
    assert per_iteration == [4, 4, 2, 2, 2, 4]  # n_critic = 2 (tiny); bursts at 0, 1 and 5


def _linear_toy(d=6, k=4):
    """x = h (identity decoder); C(x) = softmax(W x) with a fixed W; R_h(h) = h."""
    W = torch.randn(k, d, generator=torch.Generator().manual_seed(1))
    return (lambda h: h), (lambda x: (x, x @ W.T)), W


def test_mala_moves_codes_towards_the_requested_class():
    decode, encode, W = _linear_toy()
    h0 = torch.randn(200, 6, generator=torch.Generator().manual_seed(2))
    y = torch.arange(200) % 4
    before = ((h0 @ W.T).argmax(1) == y).float().mean()
    h = mala_approx(decode, encode, h0, y, steps=50, eps1=0.0, eps2=0.1, eps3=0.0, clamp_min=None)
    after = ((h @ W.T).argmax(1) == y).float().mean()
    assert before < 0.4 and after > 0.95
    assert torch.equal(mala_approx(decode, encode, h0, y, 50, 0.0, 0.0, 0.0, clamp_min=None), h0)


def test_mala_eps1_pulls_towards_the_reconstruction_and_eps3_adds_seeded_noise():
    target = torch.full((3, 5), 2.0)
    encode = lambda x: (target, 0.0 * x[:, :4])  # constant R_h, a classifier with no gradient
    h0 = torch.zeros(3, 5)
    y = torch.zeros(3, dtype=torch.long)
    h = mala_approx(lambda h: h, encode, h0, y, steps=10, eps1=0.1, eps2=1.0, eps3=0.0)
    assert torch.allclose(h, target - 2.0 * 0.9 ** 10)  # h_T - c = (1 - eps1)^T (h_0 - c)
    noisy = [mala_approx(lambda h: h, encode, h0, y, 1, 0.0, 0.0, 0.5, clamp_min=None,
                         generator=torch.Generator().manual_seed(s)) for s in (0, 0, 1)]
    assert torch.equal(noisy[0], noisy[1]) and not torch.equal(noisy[0], noisy[2])
    assert noisy[0].std() == pytest.approx(0.5, rel=0.5)
