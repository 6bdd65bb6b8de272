"""The MNIST DCGAN report's LeNet: the classifier behind its Inception score, "Inception accuracy" and
data-augmentation experiment, trained in-project on the real training set.

The MNIST DCGAN report (section 3) names "the LeNet architecture introduced in the second Lab session,
consisting of two convolutional and three fully connected layers, trained on the MNIST
training set"; section 6.1 calls its penultimate layer "the 84 dimensional activation
vector" and Appendix 7.19 feeds it "32x32x1" arrays. That is LeNet-5 (LeCun et al. 1998,
"Gradient-based learning applied to document recognition") in the form of PyTorch's
"Neural Networks" tutorial, the usual lab version:

    pad 28x28 -> 32x32, conv5x5 6, ReLU, maxpool 2, conv5x5 16, ReLU, maxpool 2,
    fc 400 -> 120, ReLU, fc 120 -> 84, ReLU, fc 84 -> 10            (61,706 parameters)

The document does not give activations, pooling or the padding value: we take ReLU and max
pooling (the tutorial's) and pad with the background value (-1 after scaling to [-1, 1]),
as LeNet-5's 32x32 input frames a 28x28 digit with blank border. Images at another size
(digits: 8x8) are resized to 28x28 first (bilinear, antialiased, as every domain net here).

Metric names carry "lenet", never "inception" or the dataset: `is_lenet` (the IS of
gansweep.metrics.inception_score over the LeNet's softmax, Salimans et al. 2016 as
openai/improved-gan) and `acc_lenet` (the MNIST DCGAN report's "Inception accuracy": the share of samples
generated for class c that the LeNet assigns to c, as Odena et al. 2017's accuracy).
Training is domain.train_classifier's: deterministic, CPU, one thread, cached by key.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gansweep.metrics.domain import (DIGITS_RECIPE, DomainExtractor, DomainSpec, Recipe,
                                     load_domain_extractor)

ARCH = "lenet5-v1"
METRICS = ("is_lenet", "acc_lenet")
BACKGROUND = -1.0  # black in [-1, 1]: the padding LeNet-5 puts around a 28x28 digit


class LeNet(nn.Module):
    """LeNet-5 on 28x28x1 inputs in [-1, 1] (padded to 32x32 inside)."""

    feature_dim = 84

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.ConstantPad2d(2, BACKGROUND),
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),        # 32 -> 28 -> 14
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),       # 14 -> 10 -> 5
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, self.feature_dim), nn.ReLU())
        self.head = nn.Linear(self.feature_dim, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


# The MNIST DCGAN report gives no training recipe for its LeNet (only its test accuracy on MNIST, 94.7%).
# Ours: Adam, as every domain net here; MNIST 2 epochs at batch 128 (~98-99%: a better judge
# than the document's, which makes our acc_lenet comparable to its numbers in ranking, not
# in value); digits the robust recipe of the digits judges (domain.DIGITS_RECIPE, augmented
# at 28x28), shipped trained with the package (metrics/judges.py).
LENET: dict[str, DomainSpec] = {
    "digits": DomainSpec("digits", ARCH, LeNet, 28, 1, 10, DIGITS_RECIPE, False, suffix="_lenet"),
    "mnist": DomainSpec("mnist", ARCH, LeNet, 28, 1, 10,
                        Recipe(epochs=2, batch_size=128, lr=1e-3), False, suffix="_lenet"),
}


def lenet_spec(dataset: str) -> DomainSpec:
    if dataset not in LENET:
        raise KeyError(f"the MNIST DCGAN report's LeNet is defined for {', '.join(LENET)} (grey 10-class digits), "
                       f"not {dataset!r}")
    return LENET[dataset]


def load_lenet(dataset: str, cache_directory, device: torch.device | str = "cpu", data=None,
               root: str | None = None) -> DomainExtractor:
    """The LeNet trained on `dataset`'s real training set, from the cache (trained once).

    The global RNG is left untouched (building a network draws from it), so a trainer that
    loads the LeNet continues exactly as one that does not.
    """
    with torch.random.fork_rng(devices=[]):
        return load_domain_extractor(dataset, cache_directory, device, data=data, root=root,
                                     spec=lenet_spec(dataset))


def to_lenet_input(images: torch.Tensor) -> torch.Tensor:
    """Float images in [-1, 1] at any size -> 28x28, differentiably (G's output feeds it)."""
    if images.shape[-1] != 28 or images.shape[-2] != 28:
        images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False,
                               antialias=True)
    return images


class LeNetClassLoss(nn.Module):
    """Cross-entropy of the frozen LeNet on G(z, y) against y: the MNIST DCGAN report section 6.2's term.

    Float images in [-1, 1] go in, so the gradient reaches G; the LeNet's own weights never
    change (requires_grad off, eval mode).
    """

    def __init__(self, extractor: DomainExtractor):
        super().__init__()
        self.net = extractor.net.eval().requires_grad_(False)

    def train(self, mode: bool = True):  # the frozen judge stays in eval mode
        return super().train(False)

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        logits = self.net(to_lenet_input(images.float()))
        return F.cross_entropy(logits.float(), labels)
