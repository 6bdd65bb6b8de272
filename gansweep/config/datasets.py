"""Dataset facts a config needs without reading any data (and without torch): the point
sets' names and the training-split sizes an epoch budget is counted in. gansweep.data loads
the datasets themselves and checks these facts against them (tests/test_data.py)."""

from __future__ import annotations

POINT_DATASETS = ("swissroll", "gaussians8")  # the depth study's R² data (gansweep.data_points)

# Training-split sizes of the official releases (digits: our fixed 1500-image train split).
TRAIN_SIZES = {"digits": 1500, "mnist": 60_000, "cifar10": 50_000, "cifar100": 50_000,
               "swissroll": 10_000, "gaussians8": 10_000}  # the depth study's points (4.4.1)


def train_size(data) -> int:
    """Images per epoch of a DataConfig: the training split, subsampled by `fraction` as
    gansweep.data.load_dataset does."""
    n = TRAIN_SIZES[data.name]
    return n if data.fraction >= 1.0 else max(1, round(data.fraction * n))
