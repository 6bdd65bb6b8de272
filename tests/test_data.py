"""Dataset loaders on files the tests write in the official on-disk formats."""

import pickle
import struct

import numpy as np
import pytest
import torch

from gansweep.config import DataConfig
from gansweep.data import (DIGIT_COARSE, DatasetMissingError, load_dataset, to_float, to_uint8)


def _image(i: int) -> np.ndarray:
    """A 32x32 RGB image whose three planes differ, identifiable by i."""
    img = np.zeros((3, 32, 32), np.uint8)
    img[0], img[1], img[2] = i, 100 + i, 200 - i
    img[0, 0, 1] = 7  # one off-diagonal pixel pins down row-major order
    return img


def _write_pickle(path, obj):
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def write_cifar10(root, per_batch=2):
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for b, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        ids = [b * per_batch + j for j in range(per_batch)]
        _write_pickle(folder / name, {b"batch_label": name.encode(), b"labels": [i % 10 for i in ids],
                                      b"data": np.stack([_image(i).reshape(-1) for i in ids])})
    _write_pickle(folder / "batches.meta", {b"label_names": [b"airplane", b"automobile", b"bird", b"cat",
                                                             b"deer", b"dog", b"frog", b"horse", b"ship", b"truck"]})


def write_cifar100(root, n=6):
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    for split, offset in (("train", 0), ("test", 50)):
        ids = [offset + j for j in range(n)]
        _write_pickle(folder / split, {b"fine_labels": [i * 7 % 100 for i in ids],
                                       b"coarse_labels": [i % 20 for i in ids],
                                       b"data": np.stack([_image(i).reshape(-1) for i in ids])})
    _write_pickle(folder / "meta", {b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
                                    b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)]})


def write_mnist(root, n=5):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.arange(n * 28 * 28, dtype=np.int64).reshape(n, 28, 28) % 251
    for prefix in ("train", "t10k"):
        # IDX: big-endian magic (0x0803 = unsigned byte, 3 dims), then the sizes, then the bytes.
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 0x0803, n, 28, 28) + images.astype(np.uint8).tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 0x0801, n) + np.arange(n, dtype=np.uint8).tobytes())
    return images


@pytest.fixture
def fixture_files(monkeypatch):
    monkeypatch.setenv("GANSWEEP_SKIP_MD5", "1")  # test-made files cannot match the release


def test_cifar100_fine_and_coarse_labels_and_pixel_layout(tmp_path, fixture_files):
    write_cifar100(tmp_path)
    ds = load_dataset(DataConfig(name="cifar100", root=str(tmp_path)))
    assert ds.images.shape == (6, 3, 32, 32) and ds.images.dtype == torch.uint8
    assert ds.labels.tolist() == [i * 7 % 100 for i in range(6)]
    assert ds.aux_labels.tolist() == [i % 20 for i in range(6)]
    assert (ds.num_classes, ds.num_aux_classes) == (100, 20)
    assert ds.class_names[3] == "fine3" and ds.aux_class_names[19] == "coarse19"
    assert torch.equal(ds.images[4], torch.from_numpy(_image(4)))  # CHW planes, row-major
    test = load_dataset(DataConfig(name="cifar100", root=str(tmp_path)), "test")
    assert test.labels.tolist() == [i * 7 % 100 for i in range(50, 56)]


def test_cifar10_reads_all_batches_with_vehicle_animal_grouping(tmp_path, fixture_files):
    write_cifar10(tmp_path)
    ds = load_dataset(DataConfig(name="cifar10", root=str(tmp_path)))
    assert len(ds) == 10 and ds.labels.tolist() == list(range(10))
    assert ds.aux_labels.tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 0, 0]  # vehicles are group 0
    assert ds.class_names[8] == "ship" and torch.equal(ds.images[7], torch.from_numpy(_image(7)))
    assert load_dataset(DataConfig(name="cifar10", root=str(tmp_path)), "test").labels.tolist() == [0, 1]


def test_md5_is_checked_for_users_copies(tmp_path):
    write_cifar10(tmp_path)
    with pytest.raises(ValueError, match="md5 .* not the official release"):
        load_dataset(DataConfig(name="cifar10", root=str(tmp_path)))


def test_mnist_idx_files(tmp_path):
    images = write_mnist(tmp_path)
    ds = load_dataset(DataConfig(name="mnist", root=str(tmp_path)))
    assert ds.images.shape == (5, 1, 28, 28)
    assert torch.equal(ds.images[:, 0], torch.from_numpy(images.astype(np.uint8)))
    assert ds.labels.tolist() == [0, 1, 2, 3, 4]
    assert ds.aux_labels.tolist() == [DIGIT_COARSE[i] for i in range(5)]
    assert load_dataset(DataConfig(name="mnist", root=str(tmp_path), image_size=32)).image_size == 32


@pytest.mark.parametrize("name,folder", [("cifar100", "cifar-100-python"),
                                         ("cifar10", "cifar-10-batches-py"), ("mnist", "MNIST")])
def test_missing_dataset_says_where_to_put_it(tmp_path, name, folder):
    with pytest.raises(DatasetMissingError, match=f"{name}.*{folder}.*download: true"):
        load_dataset(DataConfig(name=name, root=str(tmp_path)))


def test_digits_is_embedded_with_a_documented_split_and_grouping():
    train, test = load_dataset(DataConfig()), load_dataset(DataConfig(), "test")
    assert (len(train), len(test)) == (1500, 297)
    assert train.images.shape[1:] == (1, 8, 8) and train.images.max() == 255
    assert sorted(train.labels.unique().tolist()) == list(range(10))
    assert train.aux_labels.tolist() == [DIGIT_COARSE[y] for y in train.labels.tolist()]
    assert [DIGIT_COARSE[d] for d in (0, 6, 1, 7, 2, 3, 4, 9, 5, 8)] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_digits_are_sklearns_digits_read_without_importing_sklearn():
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    d = load_digits()
    train, test = load_dataset(DataConfig()), load_dataset(DataConfig(), "test")
    images = np.round(d.images * 255 / 16).astype(np.uint8)[:, None]
    assert np.array_equal(torch.cat([train.images, test.images]).numpy(), images)
    assert torch.cat([train.labels, test.labels]).tolist() == d.target.tolist()
    # the reader itself leaves scikit-learn unimported (its import is seconds of start-up)
    code = ("import sys; from gansweep.config import DataConfig; from gansweep.data import load_dataset; "
            "load_dataset(DataConfig()); print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fraction_is_a_deterministic_subset_of_the_train_split():
    a = load_dataset(DataConfig(fraction=0.25))
    b = load_dataset(DataConfig(fraction=0.25))
    c = load_dataset(DataConfig(fraction=0.25, subset_seed=1))
    assert len(a) == 375 and torch.equal(a.images, b.images) and not torch.equal(a.labels, c.labels)
    assert len(load_dataset(DataConfig(fraction=0.25), "test")) == 297  # test split untouched


def test_resize_and_aux_none():
    ds = load_dataset(DataConfig(image_size=16, aux="none"))
    assert ds.images.shape == (1500, 1, 16, 16) and ds.aux_labels is None and ds.num_aux_classes == 0


def test_float_round_trip():
    x = torch.arange(256, dtype=torch.uint8)
    assert to_float(x).min() == -1 and to_float(x).max() == 1
    assert torch.equal(to_uint8(to_float(x)), x)


def test_every_dataset_states_its_epoch_size():
    from gansweep.config.datasets import TRAIN_SIZES, train_size
    from gansweep.data import DATASETS
    from gansweep.config import POINT_DATASETS
    from gansweep.data_points import POINTS
    assert set(TRAIN_SIZES) == set(DATASETS) | set(POINT_DATASETS)  # points: data_points.py
    assert all(TRAIN_SIZES[name] == POINTS for name in POINT_DATASETS)
    assert train_size(DataConfig(name="digits")) == len(load_dataset(DataConfig(name="digits")))
    assert train_size(DataConfig(name="digits", fraction=0.1)) == len(
        load_dataset(DataConfig(name="digits", fraction=0.1)))
