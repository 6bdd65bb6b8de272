"""Figures drawn from a generator: sample grids (Appendix A), a latent interpolation strip
(Figures 5.14-5.18) and nearest training neighbours (Figure 5.13) of the thesis.

The one place the analysis touches the trainer: `gansweep.run.load_trainer` restores a
checkpoint and `task.sample(z, y)` draws images in [-1, 1]. Latents come from seeded CPU
generators, so a figure is the same on every machine for the same checkpoint.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure

from analysis.plots import save
from gansweep import data
from gansweep.latent import sample_latents

GRID_CLASSES = 10  # Appendix A: "random generations of the first ten classes"
# 5.0.7: one latent dimension "shifted in 0.5 increments from -2.5 to 2.5": eleven values.
Z_VALUES = np.linspace(-2.5, 2.5, 11)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[-1, 1] floats (N, C, H, W) -> uint8 (N, H, W, C), rounded as torchvision's save_image."""
    return data.to_uint8(images.detach().cpu()).permute(0, 2, 3, 1).numpy()


def latents(task, n: int, seed: int) -> torch.Tensor:
    """From the prior G was trained on (model.z_dist: N(0, I), or the depth study's U(-1, 1))."""
    m = task.cfg.model
    return sample_latents(n, m.z_dim, m.z_dist, generator=torch.Generator().manual_seed(seed))


def sample(task, z: torch.Tensor, classes: list[int]) -> np.ndarray:
    y = torch.tensor(classes, dtype=torch.long) if task.conditional else None
    return to_uint8(task.sample(z, y))


def mosaic(images: np.ndarray, rows: int, cols: int, pad: int = 1) -> np.ndarray:
    """(rows*cols, H, W, C) uint8 -> one image with white gutters."""
    n, h, w, c = images.shape
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), 255, np.uint8)
    for i in range(min(n, rows * cols)):
        r, k = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, k * (w + pad):k * (w + pad) + w] = images[i]
    return out


def show(ax, image: np.ndarray) -> None:
    ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray", vmin=0, vmax=255,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_sample_grid(task, path: Path, cols: int = 10, seed: int = 0) -> dict:
    """Class k in row k for the first ten classes (random rows for an unconditional G)."""
    rows = min(GRID_CLASSES, task.num_classes) if task.conditional else GRID_CLASSES
    classes = [r for r in range(rows) for _ in range(cols)]
    images = sample(task, latents(task, rows * cols, seed), classes)
    fig = Figure(figsize=(6, 6 * rows / cols + 0.5))
    ax = fig.add_subplot()
    show(ax, mosaic(images, rows, cols))
    h = images.shape[1] + 1
    if task.conditional:
        ax.set_yticks([r * h + h / 2 - 1 for r in range(rows)], [f"class {r}" for r in range(rows)], fontsize=8)
    ax.set_title("one class per row" if task.conditional else "random samples (unconditional)", fontsize=9)
    save(fig, path)
    return {"images": images, "rows": rows, "cols": cols, "classes": classes}


def plot_interpolation(task, path: Path, rows: int = 3, seed: int = 1) -> dict:
    """Each row: one z and class fixed, one latent dimension swept over Z_VALUES.

    The thesis picked dimensions by eye; the rule here is written down: each row sweeps the
    dimension that changes its image most (mean absolute pixel change between neighbouring
    steps), never one an earlier row used.
    """
    zd, n = task.cfg.model.z_dim, len(Z_VALUES)
    z0 = latents(task, rows, seed)
    values = torch.as_tensor(Z_VALUES, dtype=z0.dtype)
    dims, strips, classes = [], [], []
    for r in range(rows):
        cls = r % max(task.num_classes, 1)
        z = z0[r].repeat(zd * n, 1)  # every dimension swept at once: zd strips of n images
        z[torch.arange(zd * n), torch.arange(zd).repeat_interleave(n)] = values.repeat(zd)
        imgs = sample(task, z, [cls] * len(z))
        imgs = imgs.reshape(zd, n, *imgs.shape[1:])
        movement = np.abs(np.diff(imgs.astype(float), axis=1)).reshape(zd, -1).mean(axis=1)
        movement[dims] = -1.0
        dims.append(int(np.argmax(movement)))
        classes.append(cls)
        strips.append(imgs[dims[-1]])
    images = np.stack(strips)
    fig = Figure(figsize=(0.9 * n, 1.0 * rows + 0.8))
    ax = fig.add_subplot()
    show(ax, mosaic(images.reshape(-1, *images.shape[2:]), rows, n))
    w, h = images.shape[3] + 1, images.shape[2] + 1
    ax.set_xticks([k * w + w / 2 - 1 for k in range(n)], [f"{v:+.1f}" for v in Z_VALUES], fontsize=7)
    ax.set_yticks([r * h + h / 2 - 1 for r in range(rows)],
                  [f"z[{d}]" + (f", class {c}" if task.conditional else "") for d, c in zip(dims, classes)],
                  fontsize=7)
    ax.set_title("one latent dimension from -2.5 to 2.5, all else fixed", fontsize=9)
    save(fig, path)
    return {"values": Z_VALUES, "dims": dims, "classes": classes, "images": images}


def nearest(queries: np.ndarray, train: np.ndarray, chunk: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Index of each query's nearest training image (L2 over pixels in [0, 1], all channels)
    and the distance; the training set is scanned a chunk at a time (CIFAR as float is large)."""
    q = torch.from_numpy(queries.reshape(len(queries), -1).astype(np.float32) / 255.0)
    best_i = np.zeros(len(q), dtype=np.int64)
    best_d = np.full(len(q), np.inf)
    for start in range(0, len(train), chunk):
        part = torch.from_numpy(train[start:start + chunk].reshape(-1, q.shape[1]).astype(np.float32) / 255.0)
        d = torch.cdist(q, part).numpy()
        i = d.argmin(axis=1)
        di = d[np.arange(len(q)), i]
        closer = di < best_d
        best_i[closer], best_d[closer] = i[closer] + start, di[closer]
    return best_i, best_d


def plot_nearest_neighbours(task, train_images: torch.Tensor, path: Path, n: int = 8, seed: int = 2) -> dict:
    """Samples (top row) over their nearest training images (bottom row). `train_images` is
    uint8 (N, C, H, W), as gansweep.data.load_dataset gives them."""
    samples = sample(task, latents(task, n, seed), [k % max(task.num_classes, 1) for k in range(n)])
    train = train_images.cpu().numpy().transpose(0, 2, 3, 1)
    index, distance = nearest(samples, train)
    fig = Figure(figsize=(1.1 * n, 2.8))
    for k in range(n):
        for row, image in enumerate((samples[k], train[index[k]])):
            ax = fig.add_subplot(2, n, row * n + k + 1)
            show(ax, image)
            if row:
                ax.set_xlabel(f"d={distance[k]:.2f}", fontsize=7)
    fig.axes[0].set_ylabel("sample", fontsize=8)
    fig.axes[1].set_ylabel("nearest\ntraining", fontsize=8)
    fig.suptitle("nearest training image of each sample (L2 over pixels in [0, 1])", fontsize=9)
    save(fig, path)
    return {"samples": samples, "neighbours": train[index], "index": index, "distance": distance}
