"""Radford et al.'s DCGAN as one family: the networks of the MNIST DCGAN report (MNIST) and the GAN vs WGAN report (CIFAR-10).

    G  z (+ one-hot y) as a 1x1 map -> a transposed convolution without padding (the
       "projection") -> stride-2 transposed convolutions -> tanh. Batch norm + ReLU after
       every layer but the last.
    D  image (+ y) -> stride-2 convolutions with LeakyReLU(0.2), batch norm on all but the
       first and the last layer -> a convolution without padding whose kernel covers what is
       left, giving one logit. The sigmoid lives in BCE-with-logits (losses.py); the WGANs of
       the GAN vs WGAN report take the logit as it is ("we simply remove the sigmoid output layer").

Activations: the MNIST DCGAN report's text says ReLU in both networks (Appendix 7.5, 7.11); the code it
adapted (H. Kang's) uses LeakyReLU(0.2) in both. We take Radford et al.'s split, which seed
004 states: ReLU in G as the text, LeakyReLU(0.2) in D as the code.

With L layers and base width w, G's hidden layers have w*2^(L-2), ..., 2w, w channels and D's
w, 2w, ..., w*2^(L-2): the MNIST DCGAN report's reference DCGAN (Appendix 7.5, L = 5, w = 128) is
1024-512-256-128 / 128-256-512-1024, its compact DCGAN (section 2, L = 4) 512-256-128 /
128-256-512, its CDCGAN (Appendix 7.11, L = 3) 256-128 / 128-256, the GAN vs WGAN report's DCGAN (L = 4,
w = 64) 256-128-64 / 64-128-256.

Spatial plan (`discriminator_plan`, `generator_plan`): D halves the size with TensorFlow's
"same" rule (ceil(s/2): 28 -> 14 -> 7 -> 4), then its last kernel covers the rest. G is D's
plan run backwards ("mirror"): 1 -> 4 -> 8 -> 16 -> 32 -> 64 for the reference DCGAN (4x4
filters, Appendix 7.5), 1 -> 7 -> 14 -> 28 with filters 7, 5, 5 for the CDCGAN (Appendix
7.11, whose D has 5, 5, 7). The compact DCGAN reaches 28x28 its own way (g_fit "valid",
section 2): a k x k projection, doublings to 16x16 and "the transpose of a 13x13 convolution
filter with no zero-padding and stride 1x1". Where an image is too small for that (the 8x8
digits of smoke tests) it falls back to the mirror plan.

Conditioning (Appendix 7.11 and section 3 of the MNIST DCGAN report):
    g_cond concat    one-hot y concatenated to z (G's input)
    g_cond conv      "New Concat": z and y each through their own projection (half the
                     width each), the two maps concatenated
    d_cond channels  one-hot y "repeated per pixel" as extra input channels of D
    d_cond conv      "New Concat": image and label maps each through their own first
                     convolution (half the width each), concatenated
`extra_layers` adds stride-1 convolutions that keep the size: the MNIST DCGAN report's extended CDCGAN
("two extra convolutional layers appended both to the generator and to the discriminator").
The document does not say where; we put them where the maps are smallest (after G's
projection, before D's output layer), at that layer's width, so they cost least.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gansweep.models.layers import one_hot


@dataclass(frozen=True)
class ConvSpec:
    kernel: int
    stride: int
    padding: int
    size_in: int
    size_out: int
    output_padding: int = 0  # transposed convolutions only


# --- spatial plans ---------------------------------------------------------------------

def halving_chain(size: int, halvings: int) -> list[int]:
    sizes = [size]
    for _ in range(halvings):
        sizes.append(-(-sizes[-1] // 2))
    return sizes


def down_spec(size_in: int, kernel: int) -> ConvSpec:
    """Stride 2, output ceil(size/2) as TensorFlow's "same" padding, with symmetric padding."""
    out = -(-size_in // 2)
    pad = next(p for p in range(kernel + 1) if (size_in + 2 * p - kernel) // 2 + 1 == out)
    return ConvSpec(kernel, 2, pad, size_in, out)


def up_spec(size_in: int, size_out: int, kernel: int) -> ConvSpec:
    """The stride-2 transposed convolution from size_in to size_out (2s or 2s - 1)."""
    for pad in range(kernel + 1):
        extra = size_out - ((size_in - 1) * 2 - 2 * pad + kernel)
        if extra in (0, 1):
            return ConvSpec(kernel, 2, pad, size_in, size_out, output_padding=extra)
    raise ValueError(f"no stride-2 {kernel}x{kernel} transposed conv maps {size_in} to {size_out}")


def keep_spec(size: int, kernel: int) -> ConvSpec:
    """Stride 1, same size: odd kernels only, so the nearest odd one (4 -> 3)."""
    k = kernel if kernel % 2 else kernel - 1
    return ConvSpec(k, 1, k // 2, size, size)


def discriminator_plan(size: int, layers: int, kernel: int, extra: int = 0) -> list[ConvSpec]:
    sizes = halving_chain(size, layers - 1)
    specs = [down_spec(s, kernel) for s in sizes[:-1]]
    specs += [keep_spec(sizes[-1], kernel)] * extra
    return specs + [ConvSpec(sizes[-1], 1, 0, sizes[-1], 1)]  # the output: one logit


def generator_plan(size: int, layers: int, kernel: int, fit: str = "mirror",
                   extra: int = 0) -> list[ConvSpec]:
    """Projection (1x1 -> s0, no padding), `extra` size-keeping layers, then up to `size`."""
    if fit == "valid" and kernel * 2 ** (layers - 2) < size:
        sizes = [kernel * 2 ** i for i in range(layers - 1)]
        last = ConvSpec(size - sizes[-1] + 1, 1, 0, sizes[-1], size)
        ups = [up_spec(a, b, kernel) for a, b in zip(sizes, sizes[1:])] + [last]
    else:
        sizes = halving_chain(size, layers - 1)[::-1]
        ups = [up_spec(a, b, kernel) for a, b in zip(sizes, sizes[1:])]
    projection = ConvSpec(sizes[0], 1, 0, 1, sizes[0])
    return [projection] + [keep_spec(sizes[0], kernel)] * extra + ups


# --- networks --------------------------------------------------------------------------

def _conv(cin: int, cout: int, s: ConvSpec, transposed: bool) -> nn.Module:
    if transposed:
        return nn.ConvTranspose2d(cin, cout, s.kernel, s.stride, s.padding, s.output_padding)
    return nn.Conv2d(cin, cout, s.kernel, s.stride, s.padding)


def _block(cin: int, cout: int, s: ConvSpec, transposed: bool, batchnorm: bool) -> nn.Sequential:
    act = nn.ReLU() if transposed else nn.LeakyReLU(0.2)
    norm = [nn.BatchNorm2d(cout)] if batchnorm else []
    return nn.Sequential(_conv(cin, cout, s, transposed), *norm, act)


def label_maps(y: torch.Tensor, num_classes: int, size: int, dtype: torch.dtype) -> torch.Tensor:
    """One-hot y repeated per pixel: (B, K, size, size)."""
    return one_hot(y, num_classes, dtype)[:, :, None, None].expand(-1, -1, size, size)


class _Split(nn.Module):
    """The MNIST DCGAN report's "New Concat" input layer: data and labels each through their own layer,
    the outputs concatenated along the channels (half the width each)."""

    def __init__(self, data_in: int, labels_in: int, cout: int, s: ConvSpec, transposed: bool,
                 batchnorm: bool):
        super().__init__()
        self.data = _block(data_in, cout // 2, s, transposed, batchnorm)
        self.labels = _block(labels_in, cout - cout // 2, s, transposed, batchnorm)

    def forward(self, h: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.data(h), self.labels(labels)], dim=1)


class RadfordGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int, image_size: int, width: int, layers: int,
                 kernel: int, fit: str = "mirror", extra: int = 0, num_classes: int = 0,
                 cond: str = "none", batchnorm: bool = True):
        super().__init__()
        self.num_classes, self.cond = num_classes, cond
        self.plan = generator_plan(image_size, layers, kernel, fit, extra)
        hidden = [width * 2 ** (layers - 2 - i) for i in range(layers - 1)]
        outs = hidden[:1] * (1 + extra) + hidden[1:] + [channels]
        proj = self.plan[0]
        if cond == "conv":
            self.input = _Split(z_dim, num_classes, outs[0], proj, True, batchnorm)
        else:
            cin = z_dim + (num_classes if cond == "concat" else 0)
            self.input = _block(cin, outs[0], proj, True, batchnorm)
        body = [_block(a, b, s, True, batchnorm)
                for a, b, s in zip(outs[:-2], outs[1:-1], self.plan[1:-1])]
        self.body = nn.Sequential(*body, _conv(outs[-2], channels, self.plan[-1], True), nn.Tanh())

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = z[:, :, None, None]
        if self.cond == "conv":
            h = self.input(h, one_hot(y, self.num_classes, z.dtype)[:, :, None, None])
        else:
            if self.cond == "concat":
                h = torch.cat([h, one_hot(y, self.num_classes, z.dtype)[:, :, None, None]], dim=1)
            h = self.input(h)
        return self.body(h)


class RadfordDiscriminator(nn.Module):
    """forward(x, y) -> (logit [B], []): the critic interface of gansweep.models.layers.Heads
    with no auxiliary heads."""

    def __init__(self, channels: int, image_size: int, width: int, layers: int, kernel: int,
                 extra: int = 0, num_classes: int = 0, cond: str = "none", batchnorm: bool = True):
        super().__init__()
        self.num_classes, self.cond = num_classes, cond
        self.plan = discriminator_plan(image_size, layers, kernel, extra)
        hidden = [width * 2 ** i for i in range(layers - 1)]
        outs = hidden + hidden[-1:] * extra
        first = self.plan[0]
        # Radford et al.: no batch norm on D's first layer (nor on its output).
        if cond == "conv":
            self.input = _Split(channels, num_classes, outs[0], first, False, batchnorm=False)
        else:
            cin = channels + (num_classes if cond == "channels" else 0)
            self.input = _block(cin, outs[0], first, False, batchnorm=False)
        body = [_block(a, b, s, False, batchnorm) for a, b, s in zip(outs, outs[1:], self.plan[1:-1])]
        self.body = nn.Sequential(*body, _conv(outs[-1], 1, self.plan[-1], False))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None):
        if self.cond == "conv":
            h = self.input(x, label_maps(y, self.num_classes, x.shape[-1], x.dtype))
        elif self.cond == "channels":
            h = self.input(torch.cat([x, label_maps(y, self.num_classes, x.shape[-1], x.dtype)], 1))
        else:
            h = self.input(x)
        return self.body(h).flatten(1).squeeze(1), []


def build(m, shape) -> tuple[nn.Module, nn.Module]:
    """G and D of a `model.arch: radford` config (gansweep.config.ModelConfig)."""
    k = shape.num_classes
    G = RadfordGenerator(m.z_dim, shape.channels, shape.image_size, m.g_width or m.width,
                         m.g_layers, m.kernel, m.g_fit, m.extra_layers,
                         k if m.g_cond != "none" else 0, m.g_cond, m.g_batchnorm)
    D = RadfordDiscriminator(shape.channels, shape.image_size, m.width, m.d_layers, m.kernel,
                             m.extra_layers, k if m.d_cond != "none" else 0, m.d_cond,
                             m.d_batchnorm)
    return G, D
