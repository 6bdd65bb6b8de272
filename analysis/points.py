"""The depth study's R^2 figure (Figures 5.1/5.2): generated points drawn over the training data.

The thesis judged its R^2 models by eye from 10,000 samples of a fixed z set plotted on the
data; this is that plot for one checkpoint (the numbers are gansweep.metrics.points').
"""

from __future__ import annotations

from pathlib import Path

import torch
from matplotlib.figure import Figure

from analysis.plots import save
from gansweep.latent import sample_latents


def plot_points(task, real: torch.Tensor, path: Path, n: int = 10_000, seed: int = 0) -> dict:
    m = task.cfg.model
    z = sample_latents(n, m.z_dim, m.z_dist, generator=torch.Generator().manual_seed(seed))
    fake = task.sample(z).float().cpu().numpy()
    fig = Figure(figsize=(5, 5))
    ax = fig.add_subplot()
    ax.scatter(real[:, 0], real[:, 1], s=1, c="tab:blue", alpha=0.3, label="training data")
    ax.scatter(fake[:, 0], fake[:, 1], s=1, c="tab:orange", alpha=0.3, label="generated")
    ax.set_aspect("equal")
    ax.legend(fontsize=8, markerscale=8)
    save(fig, path)
    return {"points": fake}
