"""loss.sc_g_update: the SC classifier's term in G's own step (joint) or in a separate Adam
step (separate, Algorithm 4 line 29, the default)."""

import pytest
import torch

from gansweep.config import resolve
from gansweep.trainer import Trainer
from tests.conftest import tiny_config


def _trainer(preset="SC-WGAN.a", **overrides):
    return Trainer(tiny_config(preset, **{"train.n_critic": 1, **overrides}))


def test_the_thesis_separate_update_is_the_default():
    for preset in ("SC-WGAN.a", "SC-WGAN.b", "SC-WGAN.c", "SC-GAN.a"):
        assert resolve({"model": preset}).loss.sc_g_update == "separate"
    assert "G_via_C" in _trainer().opts
    joint = _trainer(**{"loss.sc_g_update": "joint"})
    assert "G_via_C" not in joint.opts  # G has one optimizer: its own step carries omega L_C


def _stepped(**overrides):
    t = _trainer(**overrides)  # the latents come from the global RNG: build, then step
    t.step()
    return t


def test_joint_adds_omega_times_the_classifier_term_to_g_at_classifier_iterations():
    a, b = (_stepped(**{"loss.sc_g_update": "joint", "loss.omega_g": w}) for w in (0.0, 3.0))
    sa, sb = a.scalars(), b.scalars()
    assert sa["d_loss"] == pytest.approx(sb["d_loss"], rel=1e-6)  # D's step never sees omega
    assert sa["g_sc_loss"] == pytest.approx(sb["g_sc_loss"], rel=1e-6)
    assert sb["g_loss"] - sa["g_loss"] == pytest.approx(3.0 * sa["g_sc_loss"], rel=1e-5)
    assert "grad_norm_G_via_C" not in sb and "c0_loss" in sb
    b.step()  # k = 1, s = 2: no classifier phase, no classifier term in G's loss
    assert "g_sc_loss" not in b.scalars() and "c0_loss" not in b.scalars()


def test_omega_moves_g_in_the_joint_update_and_not_through_adam_in_the_separate_one():
    def g_after(update, omega, steps=5):
        t = _trainer(**{"loss.sc_g_update": update, "loss.omega_g": omega})
        g0 = torch.cat([p.detach().flatten() for p in t.nets.G.parameters()])
        for _ in range(steps):
            t.step()
        return g0, torch.cat([p.detach().flatten() for p in t.nets.G.parameters()])

    # mtl_lambda's range of omega. Measured: separate 3-6 % of G's update (Adam's eps: the
    # gradient's scale is normalised away, even for omega = 1 vs 1e4), joint 80-90 %.
    for update, acts in (("separate", False), ("joint", True)):
        g0, g1 = g_after(update, 0.05)
        _, g2 = g_after(update, 2.0)
        rel = float((g1 - g2).norm() / (g1 - g0).norm())
        assert (rel > 0.5 if acts else rel < 0.15), (update, rel)


def test_sc_wgan_c_joint_uses_one_classifier_per_iteration_in_both_phases():
    t = _trainer("SC-WGAN.c", **{"loss.sc_g_update": "joint", "train.classifier_every": 1})
    calls = [0, 0]
    for i, c in enumerate(t.nets.classifiers):
        c.register_forward_hook(lambda *_, i=i: calls.__setitem__(i, calls[i] + 1))
    seen = []
    for _ in range(12):
        calls[:] = [0, 0]
        t.step()
        seen.append(tuple(calls))
    # G's term (1 forward) and C's step (real + fake) go to the same classifier.
    assert set(seen) <= {(3, 0), (0, 3)} and len(set(seen)) == 2, seen
