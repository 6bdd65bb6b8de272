"""Datasets as whole uint8 tensors: the embedded digits, and MNIST / CIFAR-10 / CIFAR-100 from disk.

    digits    scikit-learn's handwritten digits (1797 images, 8x8, 17 grey levels), shipped
              inside scikit-learn: no download, ever. Train = the first 1500 images, test =
              the last 297 (the collection is ordered by writer, so this keeps writers apart).
    mnist     torchvision's MNIST files under ROOT/MNIST/raw (28x28x1)
    cifar10   ROOT/cifar-10-batches-py (32x32x3)
    cifar100  ROOT/cifar-100-python (32x32x3), with fine AND coarse labels from its own files

ROOT is `data.root`, else $GANSWEEP_DATA, else ~/.cache/gansweep/data. Nothing is fetched
unless the config says `download: true`; a missing dataset raises `DatasetMissingError`
naming the directory and files to put there.

Auxiliary ("coarse") labels give the two-classifier models (AC-WGAN.b/c, SC-WGAN.c,
ResNet.b) a second task on every dataset:
    digits, mnist  5 groups of look-alike digits: {0,6} {1,7} {2,3} {4,9} {5,8}
    cifar10        2 groups: vehicles {airplane, automobile, ship, truck} and animals
    cifar100       its own 20 superclasses (`coarse_labels` in the pickles)

CIFAR integrity: torchvision verifies the md5 sums of the CIFAR pickles against the official
release. We read the pickles ourselves (the format is a dict with b'data' (N, 3072) uint8 in
RGB planes and the label lists), so that CIFAR-100's coarse labels are available, and keep
the md5 check for users' copies: a file whose sum differs from the release is rejected
unless GANSWEEP_SKIP_MD5=1 says it is a deliberately different file (the tests' fixtures).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import os
import pickle
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from gansweep.config import POINT_DATASETS, DataConfig
from gansweep.errors import InputError

DIGIT_GROUPS = ((0, 6), (1, 7), (2, 3), (4, 9), (5, 8))
DIGIT_COARSE = [next(g for g, members in enumerate(DIGIT_GROUPS) if d in members) for d in range(10)]
CIFAR10_VEHICLES = (0, 1, 8, 9)


class DatasetMissingError(InputError, FileNotFoundError):
    """A dataset that is not on disk: the message says what to fetch and where to put it."""


@dataclass
class ImageDataset:
    name: str
    images: torch.Tensor  # uint8 (N, C, H, W)
    labels: torch.Tensor  # int64 (N,)
    aux_labels: Optional[torch.Tensor]
    num_classes: int
    num_aux_classes: int
    class_names: list[str]
    aux_class_names: list[str]

    # Images, not points in R^2 (gansweep.data_points.PointDataset says True): the one
    # test of which kind of data a model, an evaluator or a figure has in hand.
    is_points = False

    @property
    def channels(self) -> int:
        return self.images.shape[1]

    @property
    def image_size(self) -> int:
        return self.images.shape[2]

    def __len__(self) -> int:
        return self.labels.shape[0]

    def to(self, device) -> "ImageDataset":
        aux = None if self.aux_labels is None else self.aux_labels.to(device)
        return replace(self, images=self.images.to(device), labels=self.labels.to(device), aux_labels=aux)

    def subset(self, index: torch.Tensor) -> "ImageDataset":
        aux = None if self.aux_labels is None else self.aux_labels[index]
        return replace(self, images=self.images[index], labels=self.labels[index], aux_labels=aux)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1] (G's tanh range)."""
    return images.float() / 127.5 - 1.0


def to_uint8(images: torch.Tensor, rounding: str = "half_up") -> torch.Tensor:
    """Float images in [-1, 1] -> uint8 [0, 255]: the one conversion (metrics, figures, resize).

    "half_up" rounds as torchvision's save_image does (add 0.5, truncate): what every metric
    and figure sees of a generated image. "half_even" is torch.round, which `resize` has
    always used for the datasets it resizes; kept so resized data stay bit-identical.
    """
    if rounding == "half_even":
        return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    if rounding != "half_up":
        raise ValueError(f"rounding: 'half_up' or 'half_even', got {rounding!r}")
    x = (images.detach().float() + 1.0) * 127.5 + 0.5
    return x.clamp_(0, 255).to(torch.uint8)


def default_root() -> Path:
    return Path(os.environ.get("GANSWEEP_DATA", Path.home() / ".cache" / "gansweep" / "data"))


# --- readers: (root, split, download) -> (images uint8 NCHW, labels, coarse or None, names, coarse names)

@functools.lru_cache(maxsize=1)
def _digits_table() -> np.ndarray:
    """scikit-learn's digits.csv.gz (1797 rows: 64 pixels in 0..16, then the label), read
    from its package data without importing scikit-learn (1-3 s of start-up in every
    process that builds a digits task); sklearn.datasets.load_digits parses the same file
    the same way (tests/test_data.py compares the two)."""
    spec = importlib.util.find_spec("sklearn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz" if spec and spec.origin else None
    if path is None or not path.is_file():  # an unusual install: let scikit-learn find it
        from sklearn.datasets import load_digits

        data, target = load_digits(return_X_y=True)
        return np.column_stack([data, target])
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return np.loadtxt(f, delimiter=",")


def _digits(root: Path, split: str, download: bool):
    table = _digits_table()
    images = torch.from_numpy(np.round(table[:, :-1].reshape(-1, 8, 8) * 255 / 16).astype(np.uint8))[:, None]
    labels = torch.from_numpy(table[:, -1].astype(np.int64))
    part = slice(0, 1500) if split == "train" else slice(1500, None)
    return (images[part].contiguous(), labels[part], torch.tensor(DIGIT_COARSE)[labels[part]],
            [str(i) for i in range(10)], [f"{a}/{b}" for a, b in DIGIT_GROUPS])


def _mnist(root: Path, split: str, download: bool):
    from torchvision.datasets import MNIST

    try:
        ds = MNIST(str(root), train=split == "train", download=download)
    except RuntimeError as err:  # torchvision: "Dataset not found. You can use download=True"
        raise DatasetMissingError(_missing("mnist", root / "MNIST" / "raw", [
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
            "https://ossci-datasets.s3.amazonaws.com/mnist/")) from err
    labels = ds.targets.long()
    return (ds.data[:, None].contiguous(), labels, torch.tensor(DIGIT_COARSE)[labels],
            [str(i) for i in range(10)], [f"{a}/{b}" for a, b in DIGIT_GROUPS])


def _cifar(name: str) -> Callable:
    def read(root: Path, split: str, download: bool):
        from torchvision.datasets import CIFAR10, CIFAR100

        cls = CIFAR10 if name == "cifar10" else CIFAR100
        folder = root / cls.base_folder
        files = cls.train_list if split == "train" else cls.test_list
        wanted = [f for f, _ in files] + [cls.meta["filename"]]
        if download and not all((folder / f).exists() for f in wanted):
            cls(str(root), train=split == "train", download=True)
        missing = [f for f in wanted if not (folder / f).exists()]
        if missing:
            raise DatasetMissingError(_missing(name, folder, wanted, cls.url))
        for fname, md5 in files + [(cls.meta["filename"], cls.meta["md5"])]:
            _check_md5(folder / fname, md5)
        batches = [_unpickle(folder / f) for f, _ in files]
        data = np.concatenate([b["data"] for b in batches]).reshape(-1, 3, 32, 32)
        meta = _unpickle(folder / cls.meta["filename"])
        if name == "cifar10":
            labels = torch.tensor(np.concatenate([b["labels"] for b in batches]), dtype=torch.int64)
            coarse = torch.tensor([0 if c in CIFAR10_VEHICLES else 1 for c in range(10)])[labels]
            return torch.from_numpy(data), labels, coarse, list(meta["label_names"]), ["vehicle", "animal"]
        labels = torch.tensor(np.concatenate([b["fine_labels"] for b in batches]), dtype=torch.int64)
        coarse = torch.tensor(np.concatenate([b["coarse_labels"] for b in batches]), dtype=torch.int64)
        return (torch.from_numpy(data), labels, coarse, list(meta["fine_label_names"]),
                list(meta["coarse_label_names"]))
    return read


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as f:
        raw = pickle.load(f, encoding="bytes")
    return {(k.decode() if isinstance(k, bytes) else k): _decode(v) for k, v in raw.items()}


def _decode(value):
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode() for v in value]
    return value


def _check_md5(path: Path, expected: str) -> None:
    if os.environ.get("GANSWEEP_SKIP_MD5") == "1":
        return
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    if digest != expected:
        raise ValueError(f"{path}: md5 {digest} is not the official release's {expected}; the file "
                         "is corrupt or not the official CIFAR. Re-download it, or set "
                         "GANSWEEP_SKIP_MD5=1 if it is a deliberately different file.")


def _missing(name: str, folder: Path, files: list[str], url: str) -> str:
    return (f"dataset {name!r} not found: expected {', '.join(files)} in {folder}. "
            f"Download the official files from {url} and unpack them there, set data.root to "
            f"where they are, or set data.download: true to fetch them (needs a network).")


DATASETS: dict[str, Callable] = {"digits": _digits, "mnist": _mnist,
                                 "cifar10": _cifar("cifar10"), "cifar100": _cifar("cifar100")}


def load_dataset(cfg: DataConfig, split: str = "train") -> ImageDataset:
    """The dataset `cfg` names, as tensors. `fraction` subsamples the train split only
    (uniformly at random with `subset_seed`, no class balancing, as thesis section 2.0.6);
    `image_size` resizes (bilinear, antialiased); `aux: none` drops the auxiliary labels.
    `aux: cifar10` (chapter 2's second dataset) is loaded by the classifier trainer itself;
    here it keeps the dataset's own coarse labels."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if cfg.name in POINT_DATASETS:  # the depth study's points in R^2: generated, not images
        from gansweep.data_points import load_points
        return load_points(cfg.name, split, cfg.fraction, cfg.subset_seed)
    root = Path(cfg.root).expanduser() if cfg.root else default_root()
    images, labels, coarse, names, coarse_names = DATASETS[cfg.name](root, split, cfg.download)
    if cfg.aux == "none":
        coarse, coarse_names = None, []
    ds = ImageDataset(cfg.name, images, labels, coarse, len(names),
                      len(coarse_names) if coarse is not None else 0, names, coarse_names)
    if split == "train" and cfg.fraction < 1.0:
        gen = torch.Generator().manual_seed(cfg.subset_seed)
        keep = torch.randperm(len(ds), generator=gen)[:max(1, round(cfg.fraction * len(ds)))]
        ds = ds.subset(keep.sort().values)
    if cfg.image_size and cfg.image_size != ds.image_size:
        ds = replace(ds, images=resize(ds.images, cfg.image_size))
    return ds


def resize(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    out = [to_uint8(F.interpolate(to_float(part), size=(size, size), mode="bilinear",
                                  antialias=True, align_corners=False), rounding="half_even")
           for part in images.split(chunk)]
    return torch.cat(out)
