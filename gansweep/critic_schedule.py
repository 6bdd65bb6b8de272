"""n_D as a schedule: how many critic steps generator iteration k (0-based) gets.

    constant  train.n_critic every iteration (the thesis's n_D = 5).
    wgan      train.critic_burst (100) steps in the first train.critic_burst_first (25)
              iterations and in every train.critic_burst_every-th (500th), n_critic otherwise.
              Reference: Arjovsky et al.'s WGAN code (main.py: `if gen_iterations < 25 or
              gen_iterations % 500 == 0: Diters = 100`), which the PPGN-h report (section 4 and
              footnote 15) says its WGAN-GP implementation follows. Iteration 0 is a burst
              both ways; k = 500, 1000, ... are bursts.

A pure function of (config, k): nothing to checkpoint, so a resumed run gets the same steps.
"""

from __future__ import annotations

from gansweep.config import TrainConfig


def is_burst(t: TrainConfig, k: int) -> bool:
    """Whether iteration k is one of the wgan schedule's long critic iterations."""
    return t.critic_schedule == "wgan" and (k < t.critic_burst_first or k % t.critic_burst_every == 0)


def critic_steps(t: TrainConfig, k: int) -> int:
    return t.critic_burst if is_burst(t, k) else t.n_critic
