"""The plain WGAN-GP loop a user would write by hand, for gansweep's own networks.

This is the baseline of the throughput benchmark: the same G and D (built by
`gansweep.models.build_gan` from the resolved preset), the same data on the same device,
trained by straight PyTorch (Gulrajani et al. 2017, Algorithm 1): n_D critic steps with the
gradient penalty, then one generator step, Adam with torch's default kernel choice. Models
with auxiliary classifier heads (AC-WGAN, ResNet) add the heads' cross-entropy, weighted by
omega, as any user reproducing them would. No logging, no scalars, no schedules.

    python -m benchmarks.plain_loop --preset WGAN --iterations 5   # prints iterations/s
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F

from gansweep.config import Config, deep_merge, resolve
from gansweep.data import ImageDataset
from gansweep.models.families import build_gan
from gansweep.models.networks import DataShape


class PlainWGANGP:
    def __init__(self, cfg: Config, data: ImageDataset, device: torch.device | str = "cpu",
                 lr: float = 1e-4, betas=(0.5, 0.9), n_critic: int = 5, eta: float = 10.0,
                 batch_size: int = 64, batch_size_g: int | None = None):
        torch.manual_seed(cfg.train.seed)
        self.device = torch.device(device)
        shape = DataShape(data.channels, data.image_size, data.num_classes, data.num_aux_classes)
        nets = build_gan(cfg.model, shape)
        self.G, self.D = nets.G.to(self.device), nets.D.to(self.device)
        self.images = data.images.to(self.device)
        self.labels = data.labels.to(self.device)
        self.aux = data.aux_labels.to(self.device) if data.aux_labels is not None else None
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=lr, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr, betas=betas)
        self.n_critic, self.eta, self.z_dim = n_critic, eta, cfg.model.z_dim
        self.batch_size, self.batch_size_g = batch_size, batch_size_g or batch_size
        self.omega_d, self.omega_g = cfg.loss.omega_d, cfg.loss.omega_g

    def batch(self, n):
        idx = torch.randint(0, self.images.shape[0], (n,), device=self.device)
        targets = [self.labels[idx]] + ([self.aux[idx]] if self.aux is not None else [])
        return self.images[idx].float() / 127.5 - 1, self.labels[idx], targets

    def step(self):
        for _ in range(self.n_critic):
            x, y, targets = self.batch(self.batch_size)
            with torch.no_grad():
                fake = self.G(torch.randn(x.shape[0], self.z_dim, device=self.device), y)
            d_real, heads_real = self.D(x, y)
            d_fake, heads_fake = self.D(fake, y)
            eps = torch.rand(x.shape[0], 1, 1, 1, device=self.device)
            x_hat = (eps * x + (1 - eps) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(self.D(x_hat, y)[0].sum(), x_hat, create_graph=True)
            gp = ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
            loss = d_fake.mean() - d_real.mean() + self.eta * gp
            if heads_real:
                cls = sum(F.cross_entropy(r, t) + F.cross_entropy(f, t)
                          for r, f, t in zip(heads_real, heads_fake, targets)) / (2 * len(heads_real))
                loss = loss + self.omega_d * cls
            self.opt_d.zero_grad()
            loss.backward()
            self.opt_d.step()
        _, y, targets = self.batch(self.batch_size_g)
        fake = self.G(torch.randn(y.shape[0], self.z_dim, device=self.device), y)
        d_fake, heads_fake = self.D(fake, y)
        loss = -d_fake.mean()
        if heads_fake:
            loss = loss + self.omega_g * sum(F.cross_entropy(f, t) for f, t in zip(heads_fake, targets)) / (
                2 * len(heads_fake))
        self.opt_g.zero_grad()
        loss.backward()  # D's gradients are filled too and cleared by its next zero_grad
        self.opt_g.step()


def from_preset(preset: str, data: ImageDataset, device="cpu", overrides: dict | None = None) -> PlainWGANGP:
    """The plain loop with the preset's networks and its optimiser/batch settings."""
    cfg = resolve(deep_merge({"model": {"preset": preset}}, overrides or {}))
    o, t = cfg.optim, cfg.train
    return PlainWGANGP(cfg, data, device, lr=o.lr_d, betas=(o.beta1, o.beta2), n_critic=t.n_critic,
                       eta=cfg.loss.eta, batch_size=t.batch_size, batch_size_g=t.batch_size_g)


def main(argv=None) -> int:
    from benchmarks.common import cifar_like, timed_rate

    p = argparse.ArgumentParser(description="iterations/s of the plain WGAN-GP loop")
    p.add_argument("--preset", default="WGAN")
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--smoke", action="store_true", help="toy widths, 1 iteration")
    args = p.parse_args(argv)
    overrides = {"model": {"width": 4, "g_width": 4, "z_dim": 8}, "train": {"batch_size": 8}} if args.smoke else {}
    loop = from_preset(args.preset, cifar_like(256 if args.smoke else 2048), args.device, overrides)
    loop.step()  # warmup
    rate = timed_rate(loop.step, 1 if args.smoke else args.iterations, torch.device(args.device))
    print(f"{args.preset}: plain loop {rate:.3f} it/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
