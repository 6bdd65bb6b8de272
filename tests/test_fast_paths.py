"""The trainer's speed switches: the same numbers as the plain fp32 path, within stated tolerances.

The switches act on CUDA only; `train.fast_paths_on_cpu` forces bf16 autocast and
channels-last on here, so these CPU tests run the code a GPU run takes.

Tolerances (relative, |a - b| / (1 + |b|), per logged loss over 4 generator iterations):
    bf16 autocast      2e-2   bf16 keeps 8 mantissa bits (relative rounding 2^-8 = 3.9e-3);
                              measured <= 8e-4 on the toy models
    channels-last      1e-5   same arithmetic, other summation order (measured <= 1e-7)
    fused Adam         1e-5   one kernel, other rounding (measured <= 2e-8)
    foreach / off      0      bit-identical on CPU (the default, `auto`, is foreach on CPU)
    compile            1e-4   inductor reorders and fuses fp32 arithmetic
"""

import functools
import shutil

import pytest
import torch

from gansweep import losses
from gansweep.config import ConfigError, resolve
from gansweep.models.families import build_gan
from gansweep.models.networks import DataShape
from gansweep.optim import kernel_flags
from gansweep.trainer import Trainer
from tests.conftest import tiny_config

LOGGED = ("d_loss", "g_loss", "gp", "wasserstein", "d_cls_loss", "g_cls_loss", "c0_loss")
PRESETS = ["WGAN", "AC-WGAN.b", "ResNet.b", "SC-WGAN.b"]


def losses_over_steps(name, steps=4, **overrides):
    trainer = Trainer(tiny_config(name, **overrides))
    out = []
    for _ in range(steps):
        trainer.step()
        out.append({k: v for k, v in trainer.scalars().items() if k in LOGGED})
    return trainer, out


def worst_relative_difference(a, b):
    assert [s.keys() for s in a] == [s.keys() for s in b]
    return max(abs(x[k] - y[k]) / (1 + abs(y[k])) for x, y in zip(a, b) for k in x)


CASES = {  # switch -> (overrides, tolerance)
    "bf16": ({"train.fast_paths_on_cpu": True, "train.amp": "bf16", "train.channels_last": False}, 2e-2),
    "channels_last": ({"train.fast_paths_on_cpu": True, "train.amp": "off", "train.channels_last": True}, 1e-5),
    "bf16+channels_last": ({"train.fast_paths_on_cpu": True, "train.amp": "bf16"}, 2e-2),
    "fused": ({"optim.fused": "fused"}, 1e-5),
    "foreach": ({"optim.fused": "foreach"}, 0.0),
}


@functools.cache
def plain_losses(name):
    return losses_over_steps(name, **{"optim.fused": "off"})[1]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("name", PRESETS)
def test_fast_path_losses_match_the_plain_fp32_path(name, case):
    overrides, tol = CASES[case]
    plain = plain_losses(name)
    trainer, fast = losses_over_steps(name, **overrides)
    assert trainer.amp == ("bf16" in case) and trainer.channels_last == ("channels_last" in case)
    assert worst_relative_difference(fast, plain) <= tol


def test_cpu_runs_ignore_the_cuda_switches():
    """The defaults are fp32 (amp and TF32 are opt-in); channels-last and bf16 asked for
    explicitly still leave a CPU run the plain fp32 one, bit for bit."""
    cfg = tiny_config("WGAN")
    assert cfg.train.amp == "off" and not cfg.train.tf32 and cfg.train.channels_last
    assert cfg.optim.fused == "auto"
    trainer, default = losses_over_steps("WGAN", **{"train.amp": "bf16"})
    assert not trainer.amp and not trainer.channels_last
    _, plain = losses_over_steps("WGAN", **{"train.amp": "off", "train.channels_last": False,
                                            "optim.fused": "off"})
    assert default == plain


def test_optimizer_kernels_follow_the_device():
    adam = resolve({}).optim
    assert kernel_flags(adam, "cpu") == {"foreach": True}
    assert kernel_flags(adam, "cuda") == {"fused": True}
    rmsprop = resolve({"optim": {"name": "rmsprop"}}).optim
    assert kernel_flags(rmsprop, "cuda") == {"foreach": True}  # torch has no fused RMSprop
    off = resolve({"optim": {"fused": "off"}}).optim
    assert kernel_flags(off, "cuda") == {"foreach": False}
    with pytest.raises(ConfigError, match="optim.fused: torch has no fused RMSprop"):
        resolve({"optim": {"name": "rmsprop", "fused": "fused"}})


def _critic_32():
    torch.manual_seed(0)
    nets = build_gan(resolve({"model": {"preset": "WGAN", "width": 16}}).model, DataShape(3, 32, 10))
    g = torch.Generator().manual_seed(1)
    real = torch.rand(16, 3, 32, 32, generator=g) * 2 - 1
    fake = torch.rand(16, 3, 32, 32, generator=g) * 2 - 1
    eps = torch.rand(16, 1, 1, 1, generator=g)
    return nets.D, real, fake, eps


def test_gradient_penalty_under_bf16_autocast_matches_fp32():
    """The GP at 32x32x3 inside a bf16 autocast region equals the fp32 one within 1e-6
    (relative), value and gradients w.r.t. D; a naive bf16 GP is off by ~1e-2."""
    D, real, fake, eps = _critic_32()

    def gp_and_grads(autocast):
        D.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            gp = losses.gradient_penalty(lambda x: D(x, None)[0], real, fake, eps)
        gp.backward()
        return gp.detach(), [p.grad.clone() for p in D.parameters() if p.grad is not None]

    gp32, grads32 = gp_and_grads(False)
    gp16, grads16 = gp_and_grads(True)
    assert gp16.dtype == torch.float32
    assert abs(gp16 - gp32) <= 1e-6 * abs(gp32)
    for a, b in zip(grads16, grads32):
        assert torch.allclose(a, b, rtol=1e-5, atol=1e-8)


@pytest.mark.slow
def test_compiled_g_and_d_match_eager():
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        pytest.skip("torch.compile (inductor) needs a C compiler on CPU; none found")
    _, eager = losses_over_steps("WGAN", steps=2)
    trainer, compiled = losses_over_steps("WGAN", steps=2, **{"train.compile": True})
    assert trainer.G is not trainer.nets.G  # really compiled
    assert worst_relative_difference(compiled, eager) <= 1e-4


def test_numerics_are_recorded_and_batch_stats_sampling_leaves_g_alone():
    """Every numerics switch reaches each score's provenance; sampling with batch statistics
    uses them but leaves G's running buffers as they were."""
    from gansweep.trainer import Trainer

    t = Trainer(tiny_config("WGAN", **{"train.amp": "bf16", "eval.sample_bn": "batch"}))
    assert t.numerics() == "amp=off tf32=off channels_last=off compile=off sample_bn=batch"  # CPU
    before = {k: v.clone() for k, v in t.nets.G.state_dict().items()}
    z = torch.randn(16, t.cfg.model.z_dim)
    batch = t.sample(z)
    assert all(torch.equal(before[k], v) for k, v in t.nets.G.state_dict().items())
    running = Trainer(tiny_config("WGAN")).sample(z)
    assert not torch.allclose(batch, running)  # the BN mode changes the samples: it is recorded
    ev = t.make_evaluator(samples=20)
    assert {p["numerics"] for p in ev.provenance().values()} == {t.numerics()}
