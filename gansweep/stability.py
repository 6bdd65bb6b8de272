"""The depth study's failure signals, logged as training scalars (sections 4.3, 5 and 6.1).

The thesis reads training health off two plots: D's outputs as probabilities on real and
generated data ("when the discriminator starts assigning values close to 0 or 1": D(G(z))
near 0 means D rejects the generator's samples with high confidence and, through the
non-saturating loss, pushes them around), and the losses, whose growing variance marks the
unstable deep models ("we clearly see that the variances of the losses are increased").

    d_real_prob, d_fake_prob   mean sigmoid(D(x)), sigmoid(D(G(z))) of the critic step's batch
    d_loss_var, g_loss_var     variance of d_loss / g_loss over the last `window` iterations

The thesis gives no window; train.loss_window chooses it (the depth presets use 100). The
variance is the population variance (0 after one iteration, never NaN) of what has been
seen so far while the window fills. The history lives on the device and in the checkpoint,
so updating it needs no host sync and a resumed run logs what a straight one does.
"""

from __future__ import annotations

import torch


def probabilities(d_real: torch.Tensor, d_fake: torch.Tensor) -> dict[str, torch.Tensor]:
    """D's outputs as the probabilities the thesis plots (its D ends in a sigmoid)."""
    return {"d_real_prob": torch.sigmoid(d_real.detach()).mean(),
            "d_fake_prob": torch.sigmoid(d_fake.detach()).mean()}


class LossWindow:
    """The last `size` values of d_loss and g_loss, and their variances."""

    NAMES = ("d_loss", "g_loss")

    def __init__(self, size: int, device: torch.device):
        self.size = size
        self.history = torch.zeros(len(self.NAMES), size, device=device)
        self.pos, self.filled = 0, 0

    def push(self, scalars: dict[str, torch.Tensor]) -> None:
        """Record this iteration's losses (every step; on the device, no sync)."""
        values = torch.stack([scalars[n].detach().float() for n in self.NAMES])
        self.history[:, self.pos] = values
        self.pos = (self.pos + 1) % self.size
        self.filled = min(self.filled + 1, self.size)

    def variances(self) -> dict[str, torch.Tensor]:
        """The window's variances: computed only when scalars are gathered (log_every)."""
        var = self.history[:, :self.filled].var(dim=1, correction=0)
        return {f"{n}_var": v for n, v in zip(self.NAMES, var)}

    def state_dict(self) -> dict:
        return {"history": self.history.clone(), "pos": self.pos, "filled": self.filled}

    def load_state_dict(self, state: dict) -> None:
        self.history.copy_(state["history"])
        self.pos, self.filled = state["pos"], state["filled"]
