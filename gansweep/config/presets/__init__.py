"""Named presets: every model of the source documents is a set of config values, never a
code path. One module per source document:

    thesis.py       the MTL-WGAN thesis (000): Tables 4.1-4.3, section 4.0.5, Appendix D, ch. 2
    depth_study.py  the depth study (001): residual GANs on R², MNIST and CIFAR-10
    mnist_dcgan.py  the MNIST DCGAN report (002): DCGAN / CDCGAN on MNIST
    ppgn.py         the PPGN-h report (003): latent discriminators on MNIST
    gan_vs_wgan.py  the GAN vs WGAN report (004): DCGAN, WGAN, WGAN-GP on CIFAR-10

A user's keys are merged over a preset's, so `{model: AC-WGAN.b, loss: {omega_d: 0.5}}` works.
"""

from __future__ import annotations

import copy

from gansweep.config.presets.depth_study import DEPTH_STUDY_PRESETS
from gansweep.config.presets.gan_vs_wgan import GAN_VS_WGAN_PRESETS
from gansweep.config.presets.mnist_dcgan import MNIST_DCGAN_PRESETS
from gansweep.config.presets.ppgn import PPGN_PRESETS
from gansweep.config.presets.thesis import THESIS_PRESETS

PRESETS: dict[str, dict] = {**THESIS_PRESETS, **MNIST_DCGAN_PRESETS, **GAN_VS_WGAN_PRESETS,
                            **DEPTH_STUDY_PRESETS}
# The phase trainer's models; PPGN-h's variants train as their own task (gansweep.ppgn).
GAN_PRESETS = [n for n in PRESETS if not n.endswith("classifier")]
PRESETS.update(PPGN_PRESETS)


def preset_values(name: str) -> dict:
    values = copy.deepcopy(PRESETS[name])
    values.setdefault("model", {})["preset"] = name
    return values
