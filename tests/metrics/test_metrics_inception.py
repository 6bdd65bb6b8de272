"""The Inception extractor against pytorch-fid's own module and files, and its weights lookup.

The weights are random (no download): a pytorch-fid-format state dict written by the session
fixture, which pytorch-fid's InceptionV3 is made to load through its own code path.
"""

import numpy as np
import pytest
import torch

from gansweep.metrics import inception
from gansweep.metrics.base import save_image_folder
from gansweep.metrics.inception import InceptionExtractor, InceptionWeightsMissing, resolve_weights


def images(n, channels, size=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, channels, size, size), dtype=torch.uint8, generator=g)


def test_features_equal_pytorch_fid_reading_pngs(inception_weights, pytorch_fid_with, tmp_path):
    """Same file, same images: our pool3 == pytorch-fid's get_activations on the PNGs."""
    pfi = pytorch_fid_with(inception_weights)
    from pytorch_fid.fid_score import get_activations

    ref_model = pfi.InceptionV3([pfi.InceptionV3.BLOCK_INDEX_BY_DIM[2048]])
    rgb, grey = images(3, 3, seed=1), images(2, 1, seed=2)
    files = save_image_folder(rgb, tmp_path / "rgb") + save_image_folder(grey, tmp_path / "grey")
    ref = get_activations([str(f) for f in files], ref_model, batch_size=5, num_workers=0)

    ours = InceptionExtractor(inception_weights)
    f_rgb, logits = ours.run(rgb, batch_size=2)
    f_grey, _ = ours.run(grey, batch_size=2)
    feats = torch.cat([f_rgb, f_grey]).double().numpy()
    np.testing.assert_allclose(feats, ref, rtol=1e-4, atol=1e-4 * np.abs(ref).max())
    # IS logits: pool3 @ fc.weight^T of the same file, no bias (OpenAI's IS graph).
    fc = torch.load(inception_weights, weights_only=True)["fc.weight"].double().numpy()
    np.testing.assert_allclose(logits.double().numpy(), ref[:3] @ fc.T, rtol=1e-4,
                               atol=1e-4 * np.abs(ref[:3] @ fc.T).max())
    assert ours.weights_sha256 == inception.file_sha256(inception_weights)


def test_missing_weights_error_names_the_file_and_where(tmp_path):
    with pytest.raises(InceptionWeightsMissing) as err:
        resolve_weights()
    msg = str(err.value)
    assert "pt_inception-2015-12-05-6726825d.pth" in msg
    assert str(tmp_path / "torch_home" / "hub" / "checkpoints") in msg  # pytorch-fid's cache
    assert "--inception-weights" in msg and "GANSWEEP_INCEPTION_WEIGHTS" in msg
    with pytest.raises(InceptionWeightsMissing, match="nope.pth"):
        resolve_weights(tmp_path / "nope.pth")


def test_the_weights_file_is_the_one_pytorch_fid_downloads():
    import pytorch_fid.inception

    assert inception.weights_url() == pytorch_fid.inception.FID_WEIGHTS_URL


def test_weights_found_in_env_then_pytorch_fid_cache(tmp_path, monkeypatch, inception_weights):
    cached = inception.default_weights_path()
    cached.parent.mkdir(parents=True)
    cached.symlink_to(inception_weights)
    assert resolve_weights() == cached
    monkeypatch.setenv("GANSWEEP_INCEPTION_WEIGHTS", str(inception_weights))
    assert resolve_weights() == inception_weights
    assert resolve_weights(inception_weights) == inception_weights


def test_rejects_a_file_that_is_not_pytorch_fid_weights(tmp_path):
    bad = tmp_path / "bad.pth"
    torch.save({"conv.weight": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="not a pytorch-fid Inception state dict"):
        InceptionExtractor(bad)
