"""Every thesis preset builds the networks Table 4.1/4.3 and Appendix D describe."""

import pytest
import torch

from gansweep.config import resolve
from gansweep.models.families import build_gan
from gansweep.models.networks import DataShape
from gansweep.config.presets import GAN_PRESETS

CIFAR100 = DataShape(channels=3, image_size=32, num_classes=100, num_aux_classes=20)

# preset -> (aux heads on D, separate classifiers, G conditioned, critic sees y)
EXPECTED = {
    "WGAN": ([], [], False, False), "GAN": ([], [], False, False),
    "cWGAN.a": ([], [], True, True), "cWGAN.b": ([], [], True, True), "cGAN.a": ([], [], True, True),
    "AC-WGAN.a": ([100], [], True, False), "AC-GAN.a": ([100], [], True, False),
    "AC-GAN.b": ([100], [], True, False),
    "AC-WGAN.b": ([100, 20], [], True, False), "AC-WGAN.c": ([100, 20], [], True, False),
    "SC-WGAN.a": ([], [100], True, False), "SC-WGAN.b": ([], [100], True, False),
    "SC-GAN.a": ([], [100], True, False), "SC-WGAN.c": ([], [100, 20], True, False),
    "ResNet.a": ([100], [], True, False), "ResNet.b": ([100, 20], [], True, False),
    "M_cB": ([], [], False, False), "M_dC": ([], [], False, False),     # the depth study, unconditional
    "M0_A": ([], [], False, False), "M1_A": ([], [], False, False),     # (R^2: tests/test_depth.py)
    # the MNIST DCGAN report and the GAN vs WGAN report (gansweep.presets_dcgan)
    "DCGAN-MNIST": ([], [], False, False), "DCGAN-MNIST-compact": ([], [], False, False),
    "CDCGAN": ([], [], True, True), "CDCGAN-LS": ([], [], True, True),
    "CDCGAN-LS-LeNet": ([], [], True, True),
    "CDCGAN-extended": ([], [], True, True), "CDCGAN-newconcat": ([], [], True, True),
    "CGAN-dense": ([], [], True, True), "DCGAN-CIFAR10": ([], [], False, False),
    "WGAN-clip-CIFAR10": ([], [], False, False), "WGAN-GP-CIFAR10": ([], [], False, False),
}
IMAGE_GAN_PRESETS = [n for n in GAN_PRESETS if resolve({"model": n}).model.arch != "residual_mlp"]


def test_expected_covers_every_gan_preset():
    assert sorted(EXPECTED) == sorted(GAN_PRESETS)


@pytest.mark.parametrize("name", IMAGE_GAN_PRESETS)
def test_preset_heads_and_shapes_on_cifar100(name):
    heads, classifiers, g_cond, d_cond = EXPECTED[name]
    cfg = resolve({"model": {"preset": name, "width": 8, "z_dim": 16}})
    nets = build_gan(cfg.model, CIFAR100)
    z, y = torch.randn(3, 16), torch.tensor([0, 57, 99])
    x = nets.G(z, y)
    assert x.shape == (3, 3, 32, 32) and x.abs().max() <= 1
    critic, aux = nets.D(x, y)
    assert critic.shape == (3,)
    assert [a.shape[1] for a in aux] == heads
    assert [c(x).shape[1] for c in nets.classifiers] == classifiers
    # Conditioning: changing only the class changes G's output / the critic's value.
    # (CIN starts class-independent at gamma = 1, beta = 0, so give it random class params;
    # eval mode removes dropout and activation noise.)
    for emb in [m for m in nets.G.modules() if isinstance(m, torch.nn.Embedding)]:
        torch.nn.init.normal_(emb.weight)
    G, D, y2 = nets.G.eval(), nets.D.eval(), torch.tensor([1, 2, 3])
    assert (not torch.equal(G(z, y), G(z, y2))) == g_cond
    assert (not torch.equal(D(x, y)[0], D(x, y2)[0])) == d_cond


def test_table_4_3_sizes_at_thesis_scale():
    nets = build_gan(resolve({"model": "WGAN"}).model, CIFAR100)
    assert nets.G.fc[0].out_features == 4096                          # FC 4096
    assert [m.out_channels for m in nets.D.conv_layers()] == [64, 128, 256]
    assert nets.D.heads.critic.in_features == 4096                     # FC 4096 -> 1


def test_cwgan_b_passes_y_through_256_units():
    nets = build_gan(resolve({"model": "cWGAN.b"}).model, CIFAR100)
    assert nets.D.cond_fc[0].out_features == 256
    assert nets.D.heads.critic.in_features == 4096 + 256


def test_ac_wgan_c_bifurcates_a_layer_earlier():
    nets = build_gan(resolve({"model": {"preset": "AC-WGAN.c", "width": 8}}).model, CIFAR100)
    assert len(nets.D.branches) == 3  # critic, fine and coarse each own a third conv layer
    shared = {id(p) for p in nets.D.trunk.parameters()}
    branch_params = [{id(p) for p in b.parameters()} for b in nets.D.branches]
    assert all(not (b & shared) for b in branch_params)
    assert not (branch_params[0] & branch_params[1])


def test_sc_wgan_b_shared_layers_match_in_shape():
    nets = build_gan(resolve({"model": {"preset": "SC-WGAN.b", "width": 8}}).model, CIFAR100)
    for d, c in zip(nets.D.conv_layers()[:2], nets.classifiers[0].conv_layers()[:2]):
        assert d.weight.shape == c.weight.shape and d.bias.shape == c.bias.shape


def test_normal_gan_discriminator_has_batchnorm_in_every_layer():
    nets = build_gan(resolve({"model": "GAN"}).model, CIFAR100)
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in nets.D.modules()) == 3
    wgan = build_gan(resolve({"model": "WGAN"}).model, CIFAR100)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in wgan.D.modules())


def test_resnet_generator_uses_conditional_instance_norm():
    from gansweep.models.layers import ConditionalInstanceNorm2d
    nets = build_gan(resolve({"model": {"preset": "ResNet.a", "width": 8}}).model, CIFAR100)
    cins = [m for m in nets.G.modules() if isinstance(m, ConditionalInstanceNorm2d)]
    assert len(cins) == 7 and cins[0].gamma.num_embeddings == 100  # 2 per block + output
    assert nets.G.fc.out_features == 8 * 4 * 4  # "FC 2048" at width 128


def test_glorot_uniform_init_bounds():
    nets = build_gan(resolve({"model": "WGAN"}).model, CIFAR100)
    w = nets.D.heads.critic.weight
    k = (6 / (w.shape[0] + w.shape[1])) ** 0.5
    assert w.abs().max() <= k and w.abs().max() > 0.9 * k
    assert torch.count_nonzero(nets.D.heads.critic.bias) == 0


def test_two_classifier_model_needs_auxiliary_labels():
    with pytest.raises(ValueError, match="auxiliary labels"):
        build_gan(resolve({"model": "AC-WGAN.b"}).model, DataShape(1, 8, 10, 0))
