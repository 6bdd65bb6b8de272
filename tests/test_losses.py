"""Each loss against a hand computation on tiny inputs (sign convention: D high for real)."""

import math

import pytest
import torch

from gansweep import losses


def test_wgan_losses_by_hand():
    d_real, d_fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert losses.wgan_critic_loss(d_real, d_fake).item() == pytest.approx(-0.5 - 2.0)
    assert losses.wgan_generator_loss(d_fake).item() == pytest.approx(0.5)
    assert losses.wasserstein_estimate(d_real, d_fake).item() == pytest.approx(2.5)


def test_gradient_penalty_of_a_linear_critic_is_analytic():
    # D(x) = <w, x> + c has gradient w everywhere, so GP = (||w|| - 1)^2 for any x^.
    torch.manual_seed(0)
    w = torch.randn(3, 4, 4)
    critic = lambda x: (x * w).flatten(1).sum(1) + 0.7  # noqa: E731
    real, fake = torch.randn(5, 3, 4, 4), torch.randn(5, 3, 4, 4)
    gp = losses.gradient_penalty(critic, real, fake)
    assert gp.item() == pytest.approx((w.norm().item() - 1) ** 2, rel=1e-5)


def test_gradient_penalty_trains_the_critic():
    lin = torch.nn.Linear(4, 1)
    gp = losses.gradient_penalty(lambda x: lin(x).squeeze(1), torch.randn(8, 4), torch.randn(8, 4))
    gp.backward()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    w = lin.weight.detach()
    expected = 2 * (w.norm() - 1) * w / w.norm()
    assert torch.allclose(lin.weight.grad, expected, atol=1e-6)


def test_gan_losses_by_hand_with_label_smoothing():
    d_real, d_fake = torch.tensor([2.0]), torch.tensor([-1.0])
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    # BCE(p, t) = -(t log p + (1 - t) log(1 - p))
    bce = lambda p, t: -(t * math.log(p) + (1 - t) * math.log(1 - p))  # noqa: E731
    expected = bce(sig(2.0), 0.9) + bce(sig(-1.0), 0.0)
    assert losses.gan_discriminator_loss(d_real, d_fake, 0.9).item() == pytest.approx(expected, rel=1e-6)
    assert losses.gan_generator_loss(d_fake).item() == pytest.approx(-math.log(sig(-1.0)), rel=1e-6)


def _ce(logits, label):
    return -torch.log_softmax(logits, 0)[label].item()


def test_classifier_loss_averages_real_fake_and_heads():
    lr1, lf1 = torch.tensor([[2.0, 0.0, -1.0]]), torch.tensor([[0.0, 1.0, 0.0]])
    lr2, lf2 = torch.tensor([[0.5, -0.5]]), torch.tensor([[1.0, 3.0]])
    y1, y2 = torch.tensor([0]), torch.tensor([1])
    one = losses.classifier_loss([lr1], [lf1], [y1], [y1]).item()
    assert one == pytest.approx((_ce(lr1[0], 0) + _ce(lf1[0], 0)) / 2, rel=1e-6)
    two = losses.classifier_loss([lr1, lr2], [lf1, lf2], [y1, y2], [y1, y2]).item()
    expected = (_ce(lr1[0], 0) + _ce(lf1[0], 0) + _ce(lr2[0], 1) + _ce(lf2[0], 1)) / 4  # section 3.0.12
    assert two == pytest.approx(expected, rel=1e-6)
    # Without the real term (the generator's view), only L_CF / 2 remains.
    fake_only = losses.classifier_loss(None, [lf1], None, [y1]).item()
    assert fake_only == pytest.approx(_ce(lf1[0], 0) / 2, rel=1e-6)


def test_soft_sharing_distance_and_gradient():
    a = [torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([[0.0]], requires_grad=True)]
    b = [torch.tensor([1.0, 0.0]), torch.tensor([[-1.0]])]
    dist = losses.soft_sharing_distance(a, b)
    assert dist.item() == pytest.approx(math.sqrt(4 + 1), rel=1e-6)  # not squared
    (0.1 * dist).backward()
    # d/dW lambda ||W - V|| = lambda (W - V) / ||W - V||
    assert torch.allclose(a[0].grad, 0.1 * torch.tensor([0.0, 2.0]) / math.sqrt(5))
    assert torch.allclose(a[1].grad, 0.1 * torch.tensor([[1.0]]) / math.sqrt(5))


def test_weight_clipping():
    p = torch.nn.Parameter(torch.tensor([-1.0, 0.005, 0.5]))
    losses.clip_weights_([p], 0.01)
    assert p.tolist() == pytest.approx([-0.01, 0.005, 0.01])
