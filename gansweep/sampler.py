"""Endless shuffled mini-batches whose position is part of the checkpoint.

Each epoch's order is a permutation drawn from its own generator seeded by (seed, epoch), so
the state is two integers and resuming needs no saved permutation. Batches run across epoch
boundaries (the tail of one epoch, then the head of the next): every image is seen once per
epoch and no batch is ever short.
"""

from __future__ import annotations

import torch


class BatchSampler:
    def __init__(self, n: int, seed: int, device: torch.device | str = "cpu"):
        if n <= 0:
            raise ValueError(f"cannot sample batches from an empty dataset (n={n})")
        self.n, self.seed, self.device = n, seed, torch.device(device)
        self.epoch, self.pos = 0, 0
        self._perm = self._permutation()

    def _permutation(self) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(self.n, generator=gen).to(self.device)

    def next(self, batch_size: int) -> torch.Tensor:
        parts, need = [], batch_size
        while need:
            take = min(need, self.n - self.pos)
            parts.append(self._perm[self.pos:self.pos + take])
            self.pos += take
            need -= take
            if self.pos == self.n:
                self.epoch, self.pos = self.epoch + 1, 0
                self._perm = self._permutation()
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def state_dict(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch, "pos": self.pos, "n": self.n}

    def load_state_dict(self, state: dict) -> None:
        if state["n"] != self.n:
            raise ValueError(f"checkpoint was made on {state['n']} images, this dataset has {self.n}")
        self.seed, self.epoch, self.pos = state["seed"], state["epoch"], state["pos"]
        self._perm = self._permutation()
