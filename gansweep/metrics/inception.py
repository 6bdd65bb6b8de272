"""pytorch-fid's InceptionV3, read from a local weights file: pool3 features and IS logits.

The network is `pytorch_fid.inception.fid_inception_v3()` (torchvision's Inception v3 with
1008 classes and no aux head, its Mixed_5b..7c blocks swapped for pytorch-fid's patched
FIDInception* blocks, which reproduce the TF graph of inception-2015-12-05), built here
without its `load_state_dict_from_url` so nothing is ever downloaded behind the user's back.
The forward is pytorch-fid's `InceptionV3` with output block 3 (pool3, 2048-d): bilinear
resize to 299x299 (align_corners=False) of images in [0, 1], then 2x - 1, then the blocks.
The weights file (FID_WEIGHTS_URL's file) holds every layer including fc (1008x2048), so the
Inception Score's logits come from the same network: pool3 @ fc.weight^T, without the bias,
as OpenAI's reference IS code (see gansweep.metrics.inception_score).

Speed: batch norms are folded into their convolutions and activations kept channels-last.
Both change only float32 rounding (features agree with pytorch-fid's module to ~1e-6
relative, which the tests check) and make CPU inference ~1.6x faster.

Where the weights come from, first found wins: an explicit path (--inception-weights,
eval.inception_weights), $GANSWEEP_INCEPTION_WEIGHTS, then the file pytorch-fid caches its
download in (torch hub checkpoints dir / pt_inception-2015-12-05-6726825d.pth), so a machine
where pytorch-fid has run once needs no setup.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gansweep.errors import InputError
from gansweep.metrics.base import FeatureExtractor, to_rgb, to_unit

WEIGHTS_ENV = "GANSWEEP_INCEPTION_WEIGHTS"
NAME = "pytorch-fid-inception-v3-pool3"


def _fid_module():
    import pytorch_fid.inception as pfi  # imported late: `gansweep --help` stays fast
    return pfi


# pytorch_fid.inception.FID_WEIGHTS_URL (tests/metrics check they are equal), written out:
# looking for the weights file, which every trial's metric selection does, then imports
# neither pytorch-fid nor torchvision (0.4 s of each trial's start on 2 cores).
FID_WEIGHTS_URL = ("https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
                   "pt_inception-2015-12-05-6726825d.pth")


def weights_url() -> str:
    return FID_WEIGHTS_URL


def weights_filename() -> str:
    return weights_url().rsplit("/", 1)[-1]


def default_weights_path() -> Path:
    """Where pytorch-fid's torch.hub download lands: <hub dir>/checkpoints/<file name>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / weights_filename()


class InceptionWeightsMissing(InputError, FileNotFoundError):
    """The one error for absent Inception weights: which file, and where to put it."""

    def __init__(self, tried: list[Path]):
        self.tried = tried
        lines = "\n".join(f"  - {p}" for p in tried)
        super().__init__(
            f"Inception weights not found; looked at:\n{lines}\n"
            f"FID/IS need pytorch-fid's file {weights_filename()} ({weights_url()}). "
            f"Put it at {default_weights_path()} (where pytorch-fid caches it), or anywhere and "
            f"pass --inception-weights PATH / set eval.inception_weights / ${WEIGHTS_ENV}. "
            f"On a machine with a network: `gansweep fid --download-weights ...` or "
            f"`curl -L -o {default_weights_path()} {weights_url()}`.")


def resolve_weights(path: str | Path | None = None, download: bool = False) -> Path:
    """The weights file to use, or InceptionWeightsMissing. Downloads only if asked."""
    if path is not None:
        candidates = [Path(path).expanduser()]
    else:
        candidates = [Path(os.environ[WEIGHTS_ENV]).expanduser()] if os.environ.get(WEIGHTS_ENV) else []
        candidates.append(default_weights_path())
    for c in candidates:
        if c.is_file():
            return c
    if download:
        target = candidates[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(weights_url(), str(target), progress=True)
        return target
    raise InceptionWeightsMissing(candidates)


def weights_available(path: str | Path | None = None) -> bool:
    try:
        resolve_weights(path)
        return True
    except InceptionWeightsMissing:
        return False


_SHA_CACHE: dict[tuple, str] = {}


def file_sha256(path: str | Path) -> str:
    """sha256 of a file, memoised on (path, size, mtime): 95 MB is worth hashing once only."""
    path = Path(path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
        _SHA_CACHE[key] = h.hexdigest()
    return _SHA_CACHE[key]


def build_fid_inception() -> nn.Module:
    """pytorch_fid.inception.fid_inception_v3()'s module, uninitialised and not downloaded."""
    pfi = _fid_module()
    net = pfi._inception_v3(num_classes=1008, aux_logits=False, weights=None)
    net.Mixed_5b = pfi.FIDInceptionA(192, pool_features=32)
    net.Mixed_5c = pfi.FIDInceptionA(256, pool_features=64)
    net.Mixed_5d = pfi.FIDInceptionA(288, pool_features=64)
    net.Mixed_6b = pfi.FIDInceptionC(768, channels_7x7=128)
    net.Mixed_6c = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6d = pfi.FIDInceptionC(768, channels_7x7=160)
    net.Mixed_6e = pfi.FIDInceptionC(768, channels_7x7=192)
    net.Mixed_7b = pfi.FIDInceptionE_1(1280)
    net.Mixed_7c = pfi.FIDInceptionE_2(2048)
    return net


def load_state_dict(path: str | Path) -> dict:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or "fc.weight" not in state:
        raise ValueError(f"{path}: not a pytorch-fid Inception state dict (no fc.weight)")
    return state


class InceptionExtractor(FeatureExtractor):
    """uint8 images (N, 1|3, H, W) -> (pool3 features (N, 2048), unbiased logits (N, 1008))."""

    name = NAME
    suffix = ""
    feature_dim = 2048
    num_classes = 1008

    def __init__(self, weights: str | Path | None = None, device: torch.device | str = "cpu",
                 fold_bn: bool = True):
        super().__init__()
        path = resolve_weights(weights)
        net = build_fid_inception()
        net.load_state_dict(load_state_dict(path))
        net.eval()
        if fold_bn:
            _fold_batch_norms(net)
        self.weights_path = path
        self.weights_sha256 = file_sha256(path)
        # The order of pytorch_fid.inception.InceptionV3's blocks 0-3.
        self.blocks = nn.Sequential(
            net.Conv2d_1a_3x3, net.Conv2d_2a_3x3, net.Conv2d_2b_3x3, nn.MaxPool2d(3, stride=2),
            net.Conv2d_3b_1x1, net.Conv2d_4a_3x3, nn.MaxPool2d(3, stride=2),
            net.Mixed_5b, net.Mixed_5c, net.Mixed_5d, net.Mixed_6a, net.Mixed_6b, net.Mixed_6c,
            net.Mixed_6d, net.Mixed_6e, net.Mixed_7a, net.Mixed_7b, net.Mixed_7c,
            nn.AdaptiveAvgPool2d((1, 1)))
        self.fc_weight = nn.Parameter(net.fc.weight.detach().clone(), requires_grad=False)
        self.requires_grad_(False)
        self.to(device, memory_format=torch.channels_last)

    def forward(self, images_uint8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = to_rgb(to_unit(images_uint8))
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        x = (2 * x - 1).contiguous(memory_format=torch.channels_last)
        pool3 = self.blocks(x).flatten(1)
        return pool3, pool3 @ self.fc_weight.T


def _fold_batch_norms(net: nn.Module) -> None:
    """conv -> bn (eval) becomes one conv with a bias: w*g/sqrt(v+eps), b - m*g/sqrt(v+eps)."""
    from torchvision.models.inception import BasicConv2d

    for mod in net.modules():
        if isinstance(mod, BasicConv2d):
            conv, bn = mod.conv, mod.bn
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                              conv.padding, bias=True)
            with torch.no_grad():
                fused.weight.copy_(conv.weight * scale[:, None, None, None])
                fused.bias.copy_(bn.bias - bn.running_mean * scale)
            mod.conv, mod.bn = fused, nn.Identity()


def write_random_weights(path: str | Path, seed: int = 0) -> Path:
    """A randomly initialised network in pytorch-fid's weights format, for tests and speed
    benchmarks where the real file is absent (its features mean nothing; its cost is the same).

    Batch-norm running statistics are set from one forward pass over noise images, so every
    layer's activations are O(1) rather than shrinking ~0.4x per layer from the default init.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = build_fid_inception()
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.reset_running_stats()
                m.momentum = None  # cumulative average: the running stats become this batch's
        net.train()
        with torch.no_grad():
            net(torch.rand(4, 3, 299, 299) * 2 - 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.eval().state_dict(), path)
    return path
