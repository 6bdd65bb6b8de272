"""Fixtures for the metric tests: a random Inception weights file, sklearn's digits, fakes.

Nothing here downloads: the Inception file is a randomly initialised network in pytorch-fid's
format, and pytorch-fid's own loader is pointed at it (its download function replaced).
"""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from gansweep.metrics.inception import write_random_weights


@pytest.fixture(scope="session")
def inception_weights(tmp_path_factory):
    return write_random_weights(tmp_path_factory.mktemp("inception") / "random_inception.pth", seed=0)


@pytest.fixture
def pytorch_fid_with(monkeypatch):
    """pytorch-fid's InceptionV3 loading a given weights file instead of downloading."""
    import pytorch_fid.inception as pfi

    def use(path):
        state = torch.load(path, map_location="cpu", weights_only=True)
        monkeypatch.setattr(pfi, "load_state_dict_from_url", lambda *a, **k: state)
        return pfi

    return use


@pytest.fixture(autouse=True)
def no_inception_from_environment(monkeypatch, tmp_path):
    """Tests see no real weights: an empty torch hub dir and no $GANSWEEP_INCEPTION_WEIGHTS."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))
    monkeypatch.delenv("GANSWEEP_INCEPTION_WEIGHTS", raising=False)


@pytest.fixture(scope="session")
def digits():
    """sklearn's 8x8 digits as uint8 (N, 1, 8, 8) in a fixed shuffled train/test split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    images = torch.from_numpy(np.round(d.images * 255 / 16).astype(np.uint8))[:, None]
    labels = torch.from_numpy(d.target).long()
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    images, labels = images[perm], labels[perm]
    return SimpleNamespace(train=images[:1500], train_labels=labels[:1500],
                           test=images[1500:], test_labels=labels[1500:])


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory):
    """One cache directory for the session: the digits classifier is trained once."""
    return tmp_path_factory.mktemp("stats_cache")


@pytest.fixture
def make_dataset():
    """An ImageDataset stand-in: what the Evaluator reads of gansweep.data's datasets."""
    def make(images, labels, name="digits", num_classes=10):
        return SimpleNamespace(images=images, labels=labels, aux_labels=None,
                               num_classes=num_classes, channels=images.shape[1],
                               image_size=images.shape[-1], name=name)
    return make
