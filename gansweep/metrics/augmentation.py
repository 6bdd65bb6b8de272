"""The MNIST DCGAN report section 4: does a conditional generator's output help a LeNet learn real digits?

The grid experiment (`run_grid`): a LeNet (gansweep.metrics.lenet) is trained from scratch on
every combination of n_real real training images and n_gen generated ones with known labels,
and its accuracy on the real test split is reported per cell. The MNIST DCGAN report's grid is
{0, 600, 6000, 12000, 30000, 60000} for both, i.e. {0, 1, 10, 20, 50, 100}% of MNIST's 60,000
training images (`paper_sizes`), 30 epochs per cell. Its three variants are the modes:

    mixed     real and generated subsets "combined and shuffled", trained together
    quality   only generated digits that the real-trained LeNet classifies as their label
              ("previously correctly classified by the Inception network")
    finetune  "the first 15 epochs only on the generated data", then "fine tune the
              parameters in the following 15 epochs with the original samples"

`AugmentationGain` is the same measurement at one small cell, as the `aug_gain` metric:
accuracy with real + generated minus accuracy with real only (the second computed once).

A confound of the grid as the MNIST DCGAN report runs it: epochs are fixed, so a cell with more images
also takes more optimisation steps, and a small undertrained real-only cell gains from any
extra data (on digits, 150 real images: 54% alone, 77% with 150 samples of a barely trained
generator). The grid keeps the MNIST DCGAN report's protocol; `aug_gain` removes the confound by training
its real-only LeNet on the real subset repeated to the augmented set's size (same steps).

Where the MNIST DCGAN report is silent we choose, and say so here:
- Subsets are nested: a fixed random permutation of the real training set (seed
  `Settings.seed`) and its prefixes; generated samples carry labels 0, 1, ..., K-1, 0, ...
  so every prefix is class-balanced ("balanced classes" of the brief), also after filtering.
- Every cell starts from the same LeNet initialisation and batch-order seed, so cells differ
  by their data alone. Optimiser: Adam 1e-3, batch 64 (no recipe is given).
- finetune splits the epochs as floor(E/2) generated, the rest real; a phase with no data is
  skipped (so the (n_real, 0) column trains E - floor(E/2) epochs on real only), and the
  (0, 0) cell reports the untrained LeNet (chance level, the surface's corner).
- quality draws up to `max_rounds` candidate batches; a class the judge never accepts leaves
  the cell short, and `generated_used` reports how many samples the cell really used.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import torch

from gansweep.metrics.base import quantize
from gansweep import fit
from gansweep.metrics.domain import DomainExtractor, Recipe, _normalize
from gansweep.metrics.lenet import LeNet

MODES = ("mixed", "quality", "finetune")
PAPER_FRACTIONS = (0.0, 0.01, 0.1, 0.2, 0.5, 1.0)
DEFAULT_RECIPE = Recipe(epochs=30, batch_size=64, lr=1e-3)

# A generator for the experiment: requested labels (N,) int64 -> images (N, C, H, W) uint8.
GenerateFn = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Settings:
    real_sizes: tuple[int, ...]
    generated_sizes: tuple[int, ...]
    modes: tuple[str, ...] = ("mixed",)
    recipe: Recipe = field(default=DEFAULT_RECIPE)
    seed: int = 0
    max_rounds: int = 20
    num_classes: int = 10

    def __post_init__(self):
        bad = [m for m in self.modes if m not in MODES]
        if bad:
            raise ValueError(f"unknown augmentation modes {bad}; known: {', '.join(MODES)}")
        if any(n < 0 for n in self.real_sizes + self.generated_sizes):
            raise ValueError("subset sizes must be >= 0")


def paper_sizes(n_train: int) -> tuple[int, ...]:
    """The MNIST DCGAN report's {0, 1, 10, 20, 50, 100}% of the training set (MNIST: 0 ... 60000)."""
    return tuple(int(round(f * n_train)) for f in PAPER_FRACTIONS)


def balanced_labels(n: int, num_classes: int) -> torch.Tensor:
    return torch.arange(n) % num_classes


# --- training one LeNet ------------------------------------------------------------------

def fit_lenet(phases: list[tuple[torch.Tensor, torch.Tensor, int]], recipe: Recipe,
              device: torch.device | str = "cpu", num_classes: int = 10) -> LeNet:
    """A LeNet trained on (float images at 28x28, labels, epochs) phases in turn.

    The initialisation and every batch order come from recipe.seed, never the global RNG
    (which is left as it was): same inputs on the same device, same network.
    """
    device = torch.device(device)
    with fit.deterministic(recipe.seed, device):
        net = LeNet(num_classes).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
        net.train()
        fit.fit(net, opt, [(x.to(device), y.to(device), epochs) for x, y, epochs in phases],
                recipe.batch_size, torch.Generator().manual_seed(recipe.seed), device)
    return net.eval()


def test_accuracy(net: LeNet, x: torch.Tensor, y: torch.Tensor, batch: int = 1000) -> float:
    return fit.accuracy(net, x, y, batch, device=next(net.parameters()).device)


def lenet_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 images -> LeNet's float 28x28 input (the domain nets' scaling and resize)."""
    return _normalize(images_uint8.cpu(), 28)


# --- the grid ----------------------------------------------------------------------------

def generated_pool(generate: GenerateFn, n: int, num_classes: int,
                   judge: DomainExtractor | None = None, max_rounds: int = 20):
    """(images uint8, labels) of up to n samples, labels 0, 1, ..., K-1, 0, ... in order.

    With a judge (quality mode), only samples it classifies as their requested label are
    kept; candidates are drawn in rounds of n until every class has its share or
    `max_rounds` rounds are spent.
    """
    labels = balanced_labels(n, num_classes)
    if judge is None or n == 0:
        return (generate(labels) if n else torch.empty(0, dtype=torch.uint8)), labels
    quota = torch.bincount(labels, minlength=num_classes)
    kept: list[list[torch.Tensor]] = [[] for _ in range(num_classes)]
    for _ in range(max_rounds):
        images = generate(labels)
        _, logits = judge.run(images, 1000)
        ok = (logits.argmax(1).cpu() == labels)
        for c in range(num_classes):
            missing = int(quota[c]) - sum(len(k) for k in kept[c])
            if missing > 0:
                kept[c].append(images[ok & (labels == c)][:missing])
        if all(sum(len(k) for k in kept[c]) >= int(quota[c]) for c in range(num_classes)):
            break
    return _interleave([torch.cat(k) if k else images[:0] for k in kept])


def _interleave(per_class: list[torch.Tensor]):
    """Round-robin over the classes that still have samples: every prefix stays balanced."""
    out, labels, depth = [], [], 0
    while any(len(k) > depth for k in per_class):
        for c, k in enumerate(per_class):
            if len(k) > depth:
                out.append(k[depth])
                labels.append(c)
        depth += 1
    if not out:
        return torch.empty(0, dtype=torch.uint8), torch.empty(0, dtype=torch.long)
    return torch.stack(out), torch.tensor(labels)


def run_grid(real: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
             generate: GenerateFn, settings: Settings, judge: DomainExtractor | None = None,
             device: torch.device | str = "cpu", progress: Callable[[dict], None] | None = None
             ) -> list[dict]:
    """One row per (mode, n_real, n_generated): test accuracy of a LeNet trained on that cell.

    real, test: (uint8 images, labels) at the dataset's size. `judge` (the real-trained LeNet)
    is needed for the quality mode.
    """
    if "quality" in settings.modes and judge is None:
        raise ValueError("the quality mode needs a judge: the LeNet trained on real data")
    k, n_gen = settings.num_classes, max(settings.generated_sizes, default=0)
    perm = torch.randperm(len(real[0]), generator=torch.Generator().manual_seed(settings.seed))
    too_big = max(settings.real_sizes, default=0) - len(perm)
    if too_big > 0:
        raise ValueError(f"real subset sizes go up to {len(perm) + too_big}; the set has {len(perm)}")
    real_x, real_y = lenet_input(real[0][perm]), real[1][perm].long()
    test_x, test_y = lenet_input(test[0]).to(device), test[1].long()
    rows = []
    for mode in settings.modes:
        pool_x, pool_y = generated_pool(generate, n_gen, k, judge if mode == "quality" else None,
                                        settings.max_rounds)
        pool_x = lenet_input(pool_x) if len(pool_x) else torch.empty(0, 1, 28, 28)
        for n_real in settings.real_sizes:
            for n in settings.generated_sizes:
                t0 = time.perf_counter()
                rx, ry, gx, gy = real_x[:n_real], real_y[:n_real], pool_x[:n], pool_y[:n]
                net = fit_lenet(_phases(mode, rx, ry, gx, gy, settings.recipe.epochs),
                                settings.recipe, device, k)
                row = {"mode": mode, "real": n_real, "generated": n, "generated_used": len(gx),
                       "test_accuracy": test_accuracy(net, test_x, test_y),
                       "seconds": time.perf_counter() - t0}
                rows.append(row)
                if progress:
                    progress(row)
    return rows


def _phases(mode, rx, ry, gx, gy, epochs):
    if mode == "finetune":
        first = epochs // 2
        return [(gx, gy, first), (rx, ry, epochs - first)]
    return [(torch.cat([rx, gx]), torch.cat([ry, gy]), epochs)]


def settings_dict(settings: Settings) -> dict:
    out = asdict(settings)
    out["recipe"] = asdict(settings.recipe)
    return out


def trainer_generate_fn(trainer, seed: int, batch_size: int = 500) -> GenerateFn:
    """Fresh latents from a seeded CPU generator: each call continues the stream."""
    g = torch.Generator().manual_seed(seed)

    def generate(labels: torch.Tensor) -> torch.Tensor:
        out = []
        for chunk in labels.split(batch_size):
            z = torch.randn(len(chunk), trainer.cfg.model.z_dim, generator=g)
            out.append(quantize(trainer.sample(z, chunk)).cpu())
        return torch.cat(out)

    return generate


# --- the metric ----------------------------------------------------------------------------

class AugmentationGain:
    """`aug_gain`: LeNet test accuracy with real + generated minus with real only (the MNIST DCGAN report
    section 4, one cell: eval.aug_real real images, eval.aug_generated generated ones).

    The real subset and the LeNet's seed are fixed, so the real-only accuracy (`aug_acc_real`)
    is trained once and successive evaluations differ by the generated images alone. The
    real-only LeNet sees its subset repeated to the augmented set's size: both take the same
    number of steps, so the gain is the generated images' content, not extra training.
    """

    def __init__(self, real: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor],
                 n_real: int, epochs: int, device: torch.device | str = "cpu", seed: int = 0):
        perm = torch.randperm(len(real[0]), generator=torch.Generator().manual_seed(seed))[:n_real]
        self.real_x, self.real_y = lenet_input(real[0][perm]), real[1][perm].cpu().long()
        self.test_x, self.test_y = lenet_input(test[0]), test[1].cpu().long()
        self.recipe = Recipe(epochs, DEFAULT_RECIPE.batch_size, DEFAULT_RECIPE.lr, seed=seed)
        self.device = device
        self.baseline: float | None = None

    def _accuracy(self, x, y) -> float:
        net = fit_lenet([(x, y, self.recipe.epochs)], self.recipe, self.device)
        return test_accuracy(net, self.test_x, self.test_y)

    def __call__(self, generated_uint8: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        if self.baseline is None:
            repeat = torch.arange(len(self.real_x) + len(labels)) % len(self.real_x)
            self.baseline = self._accuracy(self.real_x[repeat], self.real_y[repeat])
        x = torch.cat([self.real_x, lenet_input(generated_uint8)])
        y = torch.cat([self.real_y, labels.cpu().long()])
        acc = self._accuracy(x, y)
        return {"aug_gain": acc - self.baseline, "aug_acc": acc, "aug_acc_real": self.baseline}
