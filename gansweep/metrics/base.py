"""What every metric shares: image quantisation, folders of images, the feature-extractor seam.

Generated images are quantised to uint8 before any feature extractor sees them, exactly as
writing them to PNG would (torchvision.utils.save_image: x*255 + 0.5, clamped, truncated).
That is what makes the in-process numbers equal to pytorch-fid's on the same images saved as
files: pytorch-fid reads PNGs (uint8) and divides by 255, and so do we.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gansweep.data import to_uint8

METRICS_VERSION = "1"  # bump when any metric's definition changes: invalidates every cache key

# pytorch_fid.fid_score.IMAGE_EXTENSIONS, so `gansweep fid DIR` reads what `pytorch-fid DIR` reads.
IMAGE_EXTENSIONS = ("bmp", "jpg", "jpeg", "pgm", "png", "ppm", "tif", "tiff", "webp")


# Float images in [-1, 1] -> uint8 in [0, 255], rounding as torchvision's save_image does.
quantize = to_uint8


def to_unit(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 -> float32 in [0, 1], the same op as torchvision's ToTensor (float().div(255))."""
    return images_uint8.float().div(255)


def to_rgb(x: torch.Tensor) -> torch.Tensor:
    """Grey images get three equal channels, as PIL's convert('RGB') gives pytorch-fid."""
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def to_grey(images_uint8: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) uint8 -> (N, H*W) float64 luminance in [0, 1] (ITU-R 601, PIL's 'L')."""
    x = to_unit(images_uint8).double()
    if x.shape[1] == 3:
        w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype, device=x.device)
        x = (x * w[None, :, None, None]).sum(1, keepdim=True)
    return x.flatten(1)


def list_images(folder: str | Path) -> list[Path]:
    """The image files of `folder`, sorted, as pytorch-fid's compute_statistics_of_path."""
    folder = Path(folder)
    return sorted(f for ext in IMAGE_EXTENSIONS for f in folder.glob(f"*.{ext}"))


def load_image_folder(folder: str | Path) -> torch.Tensor:
    """Every image of `folder` as one (N, 3, H, W) uint8 tensor (RGB, like pytorch-fid)."""
    from PIL import Image

    files = list_images(folder)
    if not files:
        raise FileNotFoundError(f"{folder}: no images ({', '.join(IMAGE_EXTENSIONS)})")
    arrays = [np.asarray(Image.open(f).convert("RGB")) for f in files]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"{folder}: images of different sizes {sorted(shapes)}; resize them first")
    return torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()


def save_image_folder(images_uint8: torch.Tensor, folder: str | Path) -> list[Path]:
    """Write (N, C, H, W) uint8 images as PNGs (benchmarks and tests compare with pytorch-fid)."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    arr = images_uint8.cpu().permute(0, 2, 3, 1).numpy()
    for i, a in enumerate(arr):
        path = folder / f"{i:06d}.png"
        Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a).save(path)
        out.append(path)
    return out


class FeatureExtractor(nn.Module):
    """A frozen network: uint8 images -> (features for Fréchet distances, class logits).

    `name` and `weights_sha256` identify it in provenance and cache keys; `suffix` is appended
    to the names of the metrics it produces ("" for Inception: `fid`; "_digits": `fid_digits`)
    so scores from different feature spaces never share a name.
    """

    name: str = "?"
    suffix: str = "?"
    weights_sha256: str = "?"
    feature_dim: int = 0
    num_classes: int = 0

    def forward(self, images_uint8: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    @torch.inference_mode()
    def run(self, images_uint8: torch.Tensor, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Features (N, feature_dim) and logits (N, num_classes), float32, on the model's device."""
        device = next(self.parameters()).device
        feats, logits = [], []
        with exact_float32(device):
            for start in range(0, len(images_uint8), batch_size):
                f, lg = self(images_uint8[start:start + batch_size].to(device, non_blocking=True))
                feats.append(f.float())
                logits.append(lg.float())
        return torch.cat(feats), torch.cat(logits)


@contextlib.contextmanager
def exact_float32(device: torch.device):
    """TF32 off while extracting on CUDA: its 10-bit mantissa moves FID in the 3rd digit."""
    if device.type != "cuda":
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
