"""Shared fixtures: tiny configs that train in milliseconds on the embedded digits; and a
suite that never writes outside its temporary directories."""

import os
import shutil
import tempfile

import pytest
import torch

from gansweep.config import POINT_DATASETS, deep_merge, nest, resolve
from gansweep.config.presets import PRESETS

# The tests' networks are tiny: splitting each op over threads costs more than the op, and
# on a busy 2-core machine a spinning second thread made a 30 ms step take 3 s. Ray's trial
# workers get OMP_NUM_THREADS=1 from Ray itself.
torch.set_num_threads(1)


def pytest_configure(config):
    """Before any test (and any Ray worker, which inherits the environment): HOME, the
    metric cache, the datasets root, the torch hub, matplotlib's config and torch's inductor
    cache point into one temporary directory, so the suite never reads a user's caches nor
    writes beside them.

    So does TMPDIR for every process the tests start (CLI drivers, Ray's workers): what
    libraries leave in /tmp when a process is killed or never cleans up (wandb's media and
    service directories, Ray Tune's checkpoint downloads, multiprocessing's) goes with the
    suite. Not for this process, whose temporary directories are pytest's own (removed by
    pytest), nor for Ray's sessions (RAY_TMPDIR: /tmp as before), whose Unix socket paths
    must fit in 107 bytes.

    Under pytest-xdist (`make test` runs two workers) each worker is a process that inherits
    the controller's environment: it takes the temporary directory the controller started
    with, not the controller's TMPDIR, and isolates itself beside it."""
    outer = os.environ.setdefault("GANSWEEP_TESTS_OUTER_TMPDIR", tempfile.gettempdir())
    tempfile.tempdir = outer
    root = tempfile.mkdtemp(prefix="gansweep-tests-")
    config._gansweep_isolated = root
    os.environ.setdefault("RAY_TMPDIR", outer)
    for var, sub in (("HOME", "home"), ("GANSWEEP_CACHE", "cache"), ("GANSWEEP_DATA", "data"),
                     ("TORCH_HOME", "torch"), ("MPLCONFIGDIR", "matplotlib"),
                     ("XDG_CACHE_HOME", "xdg-cache"), ("TORCHINDUCTOR_CACHE_DIR", "inductor"),
                     ("TMPDIR", "tmp")):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
        os.environ[var] = os.path.join(root, sub)


def pytest_unconfigure(config):
    root = getattr(config, "_gansweep_isolated", None)
    if root:
        shutil.rmtree(root, ignore_errors=True)


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
    if preset_data in POINT_DATASETS:  # the depth study's R^2 models train on their own tiny points
        base["data"] = {"name": preset_data}
    if preset.startswith("PPGN"):  # the wgan critic schedule's bursts at 3 steps, not 100
        base["train"]["critic_burst"] = 3
    return resolve(deep_merge(base, nest(overrides)))


@pytest.fixture
def tiny():
    return tiny_config
