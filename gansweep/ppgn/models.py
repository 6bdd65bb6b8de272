"""The PPGN-h report's four networks (section 4; footnote 12: conv (in, out, kernel), stride 1, no
padding; max pools 2x2), every width scaled by model.width so tests run tiny versions.

At model.width = 256 (the presets) the MNIST (28x28) geometry is the document's exactly:
    E      conv1(1,64,7) conv2(64,128,7) pool conv3(128,256,7) pool fc1(256,64) fc2(64,10)
    G      gen-fc1(64,1600) deconv2(64,512,5) deconv3(512,256,5) deconv4(256,256,7) deconv5(256,1,10)
    D      conv1(1,256,3) conv2(256,256,3) pool conv3(256,256,3) pool conv4(256,512,3) pool disc-fc1(512,1)
    D_fc1  conv1(1,256,2) conv2(256,256,2) pool conv3(256,512,2) pool disc-fc1(512,1)
ReLU after every layer except E's fc2, G's deconv5 and the critics' disc-fc1 (no activation:
G's output is unbounded, as the document says; the evaluator clamps to [-1, 1]).

Width rule (ours): E's convs are ppgn.encoder_width x (1, 2, 4) (64 is the document's; E is
not scaled by model.width: a toy E of 1-2-4 channels has dead ReLUs and passes no gradient
from its taps back to G); G's deconvs are 2 g_width, g_width, g_width
and its gen-fc1 has width/4 maps of 5x5 (the document's 1600 = 64 x 5 x 5; we read the 64
as a channel count that scales with the nets, not as h's size); the critics' convs are
width, width, (width,) 2 width. model.width = 256 gives the document's G and critics.

Other image sizes: the document's kernels fit 28x28 only. The embedded 8x8 digits (tests,
smoke sweeps) get the same layer sequence with smaller kernels (GEOMETRY[8], our choice);
any other size is refused with a message. D_fc1 reads h (model.z_dim = 64 units) as a 1x8x8
image, the only way its 2x2 convolutions can apply to a vector (the document does not say
how); a code of another size is zero-padded to the next square of side >= 8 (toy sizes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

Layer = tuple[float, int, bool]  # (channels as a multiple of the width, kernel, max-pool after)


@dataclass(frozen=True)
class Geometry:
    encoder: tuple[Layer, ...]
    generator_start: int              # gen-fc1 output is (width/4, start, start)
    generator: tuple[tuple[float, int], ...]  # deconvs (channels x g_width, kernel); last -> image
    critic: tuple[Layer, ...]


GEOMETRY: dict[int, Geometry] = {
    28: Geometry(encoder=((1, 7, False), (2, 7, True), (4, 7, True)),
                 generator_start=5, generator=((2, 5), (1, 5), (1, 7), (0, 10)),
                 critic=((1, 3, False), (1, 3, True), (1, 3, True), (2, 3, True))),
    # digits 8x8 (ours): E 8-6-4-2-2-1, G 2-4-6-7-8, D 8-6-4-2-2-1-1.
    8: Geometry(encoder=((1, 3, False), (2, 3, True), (4, 1, True)),
                generator_start=2, generator=((2, 3), (1, 3), (1, 2), (0, 2)),
                critic=((1, 3, False), (1, 3, True), (1, 1, True), (2, 1, False))),
}
LATENT_CRITIC: tuple[Layer, ...] = ((1, 2, False), (1, 2, True), (2, 2, True))


def geometry(image_size: int) -> Geometry:
    if image_size not in GEOMETRY:
        raise ValueError(f"PPGN-h networks are defined for {sorted(GEOMETRY)} pixel images (MNIST "
                         f"28x28 as in the PPGN-h report, digits 8x8), got {image_size}; set data.image_size")
    return GEOMETRY[image_size]


def _channels(mult: float, width: int) -> int:
    return max(1, int(mult * width))


def conv_stack(in_channels: int, layers: tuple[Layer, ...], width: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for mult, kernel, pool in layers:
        out = _channels(mult, width)
        mods += [nn.Conv2d(in_channels, out, kernel), nn.ReLU()]
        if pool:
            mods.append(nn.MaxPool2d(2))
        in_channels = out
    return nn.Sequential(*mods, nn.Flatten())


def flat_size(body: nn.Module, shape: tuple[int, ...]) -> int:
    """Flattened output size of `body` on one input of `shape` (no RNG is used)."""
    with torch.no_grad():
        return body(torch.zeros(1, *shape)).shape[1]


class Encoder(nn.Module):
    """E: a classifier whose layers are tapped. `taps(x)` -> {"fc1": h, "fc2": logits};
    C(x) = softmax(fc2) is the sampler's classifier (section 4)."""

    def __init__(self, channels: int, image_size: int, width: int, h_dim: int, num_classes: int):
        super().__init__()
        self.body = conv_stack(channels, geometry(image_size).encoder, width)
        self.fc1 = nn.Linear(flat_size(self.body, (channels, image_size, image_size)), h_dim)
        self.fc2 = nn.Linear(h_dim, num_classes)

    def taps(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = torch.relu(self.fc1(self.body(x)))
        return {"fc1": h, "fc2": self.fc2(h)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.taps(x)["fc2"]


class Generator(nn.Module):
    """G(h): the code h (E's fc1) to an image; no output activation (section 4)."""

    def __init__(self, channels: int, image_size: int, width: int, g_width: int, h_dim: int):
        super().__init__()
        g = geometry(image_size)
        self.start, self.maps = g.generator_start, _channels(0.25, width)
        self.fc = nn.Linear(h_dim, self.maps * self.start ** 2)
        mods: list[nn.Module] = []
        cin = self.maps
        for i, (mult, kernel) in enumerate(g.generator):
            last = i == len(g.generator) - 1
            cout = channels if last else _channels(mult, g_width)
            mods.append(nn.ConvTranspose2d(cin, cout, kernel))
            if not last:
                mods.append(nn.ReLU())
            cin = cout
        self.deconvs = nn.Sequential(*mods)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc(h)).view(-1, self.maps, self.start, self.start)
        return self.deconvs(x)


class Critic(nn.Module):
    """A WGAN critic: conv stack, then disc-fc1 to one unbounded score per sample. A flat
    input (a code h, D_fc1) is zero-padded to `pad_to` units and read as a `shape` image."""

    def __init__(self, shape: tuple[int, int, int], layers: tuple[Layer, ...], width: int,
                 pad_to: int = 0):
        super().__init__()
        self.shape, self.pad_to = shape, pad_to
        self.body = conv_stack(shape[0], layers, width)
        self.fc = nn.Linear(flat_size(self.body, shape), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad_to:
            x = nn.functional.pad(x.flatten(1), (0, self.pad_to - x[0].numel()))
        return self.fc(self.body(x.reshape(-1, *self.shape))).squeeze(1)


def image_critic(channels: int, image_size: int, width: int) -> Critic:
    return Critic((channels, image_size, image_size), geometry(image_size).critic, width)


def latent_critic(h_dim: int, width: int) -> Critic:
    side = max(8, math.isqrt(h_dim - 1) + 1)  # ceil(sqrt(h_dim)), at least the document's 8
    return Critic((1, side, side), LATENT_CRITIC, width, pad_to=side * side)
