"""The chapter-2 multitask classifier (the thesis, section 2.0.1, Eq. 2.1).

Each task network is a four-layer CNN, widths [64, 128, 128, 128], 5x5 stride-1 'same'
convolutions, batch norm after every layer, dropout (keep-prob 0.5) on every layer, 2x2 max
pooling after the 1st, 2nd and 4th layers, no hidden fully connected layer, and one linear
softmax layer per task. Two tasks (main and auxiliary) share their first b layers:

- "soft": two full networks; λ‖W_main,b − W_aux,b‖₂ (Eq. 2.1) is added to both tasks' losses,
- "hard": the first b blocks are the same module objects (the networks bifurcate after b),
- "none": no coupling; with no auxiliary task this is the single-task (STL) baseline.

Where the thesis is silent we choose, and say so at the spot: ReLU after batch norm, the
block order, what "weights" Eq. 2.1 covers, how pooling behaves on tiny images, and what the
softmax layer reads.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gansweep.models.layers import init_weights

POOL_AFTER = (0, 1, 3)  # "after the first, second and fourth layers", 0-based


def conv_block(c_in: int, c_out: int, pool: bool, dropout: float) -> nn.Sequential:
    """conv 5x5 'same' -> BN -> ReLU -> [2x2 max pool] -> dropout.

    The thesis names BN "after each layer" and dropout "for all layers" but not the
    activation or the order; ReLU and pool-before-dropout are the usual TF-1.0-era choices.
    Dropout after pooling drops whole pooled units, as TF's tutorial CNNs did.
    """
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 5, stride=1, padding=2),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2, ceil_mode=True))
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def block_plan(widths, image_size: int) -> tuple[list[bool], int]:
    """Which blocks pool, and the spatial size of the last feature map.

    Pooling is skipped once the map is 1x1 (tiny inputs, e.g. 4x4): there is nothing left
    to pool, and MaxPool2d would fail. ceil_mode keeps odd sizes from losing a row (7 -> 4).
    8x8 digits go 8 -> 4 -> 2 -> 2 -> 1; 32x32 CIFAR goes 32 -> 16 -> 8 -> 8 -> 4.
    """
    pools, size = [], image_size
    for i in range(len(widths)):
        pool = i in POOL_AFTER and size > 1
        pools.append(pool)
        size = -(-size // 2) if pool else size
    return pools, size


def conv_params(blocks) -> list[torch.Tensor]:
    """The conv weights and biases of `blocks`: what Eq. 2.1 calls W_b.

    The thesis says "the weights of the first b layers"; we take the convolution kernels
    and biases (as the brief does) and leave out batch-norm's scale/shift, which are
    per-task normalisation rather than learned features.
    """
    out = []
    for block in blocks:
        conv = block[0]
        out += [conv.weight, conv.bias]
    return out


def soft_sharing_distance(params_a, params_b) -> torch.Tensor:
    """‖A − B‖₂ over the concatenation of every tensor pair (the L2 norm, not squared).

    Its gradient wrt A is (A − B)/‖A − B‖, and 0 where A == B (torch's subgradient).
    """
    diffs = [(a - b).flatten() for a, b in zip(params_a, params_b, strict=True)]
    if not diffs:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.cat(diffs))


class TaskNet(nn.Module):
    """A conv trunk (a list of blocks, possibly shared with another TaskNet) and a head.

    The head is the "standard softmax cross-entropy layer": one linear map from the
    flattened last feature map to the logits (softmax lives in the loss). We flatten rather
    than global-average because the thesis adds nothing between the convs and that layer
    and average pooling would be a fourth pooling it never mentions.
    """

    def __init__(self, blocks: list[nn.Module], features: int, num_classes: int):
        super().__init__()
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Linear(features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x.flatten(1))


class MTLClassifier(nn.Module):
    """Main task network plus (optionally) an auxiliary one, coupled over the first b layers.

    `forward(x, task)` gives task 0 (main) or task 1 (aux) logits. Weights are initialised
    from the global torch RNG (main network first, then the aux network's own layers), so the
    run loop's seed fixes them. Soft-shared networks start from independent draws: the thesis
    does not say they start equal, and Figure 2.5 plots a distance that λ has to pull down.
    """

    def __init__(self, in_channels: int, image_size: int, num_classes: int,
                 aux_classes: int | None, widths=(64, 128, 128, 128), dropout: float = 0.5,
                 sharing: str = "soft", shared_layers: int = 3, sharing_lambda: float = 0.1,
                 init: str = "glorot_uniform"):
        super().__init__()
        if sharing not in ("soft", "hard", "none"):
            raise ValueError(f"sharing must be soft, hard or none, got {sharing!r}")
        if not 0 <= shared_layers <= len(widths):
            raise ValueError(f"shared_layers must be in [0, {len(widths)}], got {shared_layers}")
        if aux_classes is None and sharing != "none":
            raise ValueError(f"sharing={sharing!r} needs an auxiliary task")
        self.sharing, self.b, self.lam = sharing, shared_layers, sharing_lambda
        pools, size = block_plan(widths, image_size)
        features = widths[-1] * size * size
        chans = [in_channels, *widths]

        def fresh_blocks(start: int) -> list[nn.Module]:
            return [conv_block(chans[i], chans[i + 1], pools[i], dropout)
                    for i in range(start, len(widths))]

        self.main = TaskNet(fresh_blocks(0), features, num_classes)
        init_weights(self.main, init)
        self.aux = None
        if aux_classes is not None:
            shared = list(self.main.blocks[:shared_layers]) if sharing == "hard" else []
            own = fresh_blocks(len(shared))
            self.aux = TaskNet(shared + own, features, aux_classes)
            for module in [*own, self.aux.head]:  # never re-draw the shared blocks
                init_weights(module, init)

    def forward(self, x: torch.Tensor, task: int = 0) -> torch.Tensor:
        return (self.main if task == 0 else self.aux)(x)

    def shared_params(self) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """(W_main,b, W_aux,b): the tensors Eq. 2.1 compares (the same objects when hard)."""
        if self.aux is None:
            return [], []
        return conv_params(self.main.blocks[:self.b]), conv_params(self.aux.blocks[:self.b])

    def weight_distance(self) -> torch.Tensor:
        """‖W_main,b − W_aux,b‖₂ (Figure 2.5); exactly 0 for hard sharing."""
        main, aux = self.shared_params()
        dist = soft_sharing_distance(main, aux)
        return dist.to(self.main.head.weight.device)

    def sharing_penalty(self, task: int) -> torch.Tensor | None:
        """λ‖W_main,b − W_aux,b‖₂ for the loss of `task` (None when there is no soft sharing).

        Eq. 2.1 is "added to the loss functions of both tasks"; each task's step updates its
        own network, so the other network's weights are held fixed here (detached). A main
        step then pulls W_main towards W_aux and an aux step pulls W_aux towards W_main.
        """
        if self.sharing != "soft" or self.b == 0 or self.lam == 0 or self.aux is None:
            return None
        main, aux = self.shared_params()
        if task == 0:
            aux = [p.detach() for p in aux]
        else:
            main = [p.detach() for p in main]
        return self.lam * soft_sharing_distance(main, aux)
