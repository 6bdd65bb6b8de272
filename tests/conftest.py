"""Shared fixtures: tiny configs that train in milliseconds on the embedded digits."""

import pytest
import torch

from gansweep.config import POINT_DATASETS, deep_merge, nest, resolve
from gansweep.presets import PRESETS

# The tests' networks are tiny: splitting each op over threads costs more than the op, and
# on a busy 2-core machine a spinning second thread made a 30 ms step take 3 s. Ray's trial
# workers get OMP_NUM_THREADS=1 from Ray itself.
torch.set_num_threads(1)


def tiny_config(preset: str, **overrides):
    """`preset` at toy scale on digits (8x8, also for presets that resize, e.g. DCGAN-MNIST):
    widths 4, z 8, batch 8, n_D 2, no evaluation."""
    base = {
        "model": {"preset": preset, "width": 4, "z_dim": 8, "classifier_widths": [4, 8, 8, 8]},
        "data": {"name": "digits", "aux": "coarse", "image_size": None},  # native 8x8, whatever the preset
        "train": {"batch_size": 8, "n_critic": 2, "log_every": 1, "checkpoint_every": 1000,
                  "iterations": 4, "device": "cpu"},
        "eval": {"every": 0},
    }
    if preset == "ResNet.a" or preset == "ResNet.b":
        base["train"]["batch_size_g"] = 12
    preset_data = PRESETS.get(preset, {}).get("data", {}).get("name")
    if preset_data in POINT_DATASETS:  # seed 001's R^2 models train on their own tiny points
        base["data"] = {"name": preset_data}
    if preset.startswith("PPGN"):  # the wgan critic schedule's bursts at 3 steps, not 100
        base["train"]["critic_burst"] = 3
    return resolve(deep_merge(base, nest(overrides)))


@pytest.fixture
def tiny():
    return tiny_config
