"""Every metric gansweep reports, one entry per family: its name or pattern, which way is
better, what it needs, its feature network, its meaning and the reference it follows.

The evaluators (metrics/evaluator.py, metrics/points.py, the classifier task), spec
validation, the live trial table, collect, the analysis statistics and the report all read
this table; nothing else decides a metric's direction. `D` in a pattern is a dataset:
`fid_D` is `fid_digits`, `fid_mnist`, ... for the datasets with a judge. A family's
`companions` are the extra names it reports (`is` -> `is_std`), each with its own direction.
Torch-free: the CLI, the spec checks and the analysis import it without loading networks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from gansweep.config import POINT_DATASETS

# Datasets with a domain judge (metrics/domain.DOMAINS) and with the MNIST DCGAN report's LeNet
# (metrics/lenet.LENET); tests/metrics/test_registry.py keeps them equal to those tables.
JUDGED_DATASETS = ("digits", "mnist", "cifar10", "cifar100")
LENET_DATASETS = ("digits", "mnist")

FID = "gansweep.metrics.fid.frechet_distance_torch: Heusel et al. 2017 as pytorch-fid"
KID = ("gansweep.metrics.kid.kid: Bińkowski et al. 2018 as torch-fidelity 0.4 "
       "(unbiased MMD², (x.y/d + 1)^3)")
IS = "gansweep.metrics.inception_score: Salimans et al. 2016 as openai/improved-gan, 10 splits"
# The references are part of every score's recorded protocol (provenance): kept verbatim,
# older wording included ("seed 002" is the MNIST DCGAN report), so old and new runs compare.
AUG = ("gansweep.metrics.augmentation.AugmentationGain: seed 002 section 4, LeNet test accuracy "
       "on the test split")
NN = "gansweep.metrics.conditional.Memorisation: nearest neighbour, grey pixels, RMS per pixel"


@dataclass(frozen=True)
class Metric:
    pattern: str                   # a name, or one with D for the dataset
    direction: Optional[str]       # "min", "max", or None for diagnostics (not a quality target)
    needs: frozenset               # "inception", "judge", "lenet", "labels" (a conditional G),
                                   # "points" (R^2 data), "test" (the test split), "classifier"
                                   # (the chapter-2 task), "encoder" (PPGN-h's)
    feature_net: str               # "inception", "domain", "lenet", "pixels", "none", ...
    meaning: str
    reference: str                 # the implementation and the reference it matches
    companions: tuple = ()         # (name suffix or name, direction, reference) reported with it
    shown: bool = False            # a column of the live trial table when present

    def names(self, dataset: str) -> list[str]:
        """The reported names for `dataset`: the metric's own, then its companions."""
        own = self.pattern[:-1] + dataset if self.pattern.endswith("_D") else self.pattern
        return [own] + [_companion(own, c[0]) for c in self.companions]

    def applies_to(self, dataset: str, task: str = "gan") -> bool:
        """`task`: "gan", "ppgn" (a GAN with PPGN-h's encoder) or "classifier"."""
        if ("classifier" in self.needs) != (task == "classifier"):
            return False
        if "encoder" in self.needs and task != "ppgn":
            return False
        if "points" in self.needs:
            return dataset in POINT_DATASETS
        if dataset in POINT_DATASETS:
            return False
        if "lenet" in self.needs:
            return dataset in LENET_DATASETS
        return "judge" not in self.needs or dataset in JUDGED_DATASETS


def _companion(name: str, suffix: str) -> str:
    return name + suffix if suffix.startswith("_") else suffix


def _m(pattern, direction, needs, net, meaning, reference, companions=(), shown=False) -> Metric:
    return Metric(pattern, direction, frozenset(needs.split()), net, meaning, reference,
                  companions, shown)


METRICS: tuple[Metric, ...] = (
    _m("fid", "min", "inception", "inception", "Fréchet Inception Distance to the real training split",
       FID, shown=True),
    _m("kid", "min", "inception", "inception",
       "Kernel Inception Distance (unbiased MMD², cubic kernel) to the real training split", KID,
       (("_std", None, KID + " (std over subsets)"),), shown=True),
    _m("is", "max", "inception", "inception", "Inception Score of the samples", IS,
       (("_std", None, IS + " (std over splits)"),), shown=True),
    _m("fid_D", "min", "judge", "domain", "FID in the feature space of the dataset's judge", FID,
       shown=True),
    _m("kid_D", "min", "judge", "domain", "KID in the feature space of the dataset's judge", KID,
       (("_std", None, KID + " (std over subsets)"),)),
    _m("is_D", "max", "judge", "domain", "IS over the dataset judge's classes", IS,
       (("_std", None, IS + " (std over splits)"),), shown=True),
    _m("cond_acc", "max", "judge labels", "domain",
       "share of samples the judge assigns to the class they were generated for",
       "gansweep.metrics.conditional.conditional_accuracy: Odena et al. 2017 Inception accuracy, "
       "domain classifier trained on real train data", shown=True),
    _m("intra_fid_D", "min", "judge labels", "domain", "mean over classes of the per-class FID",
       "gansweep.metrics.conditional.intra_fid: Miyato & Koyama 2018, " + FID),
    _m("diversity_D", None, "judge", "domain",
       "within-class diversity of samples relative to real data (below 1: a class collapsing)",
       "gansweep.metrics.conditional.diversity_ratio: within-class mean pairwise feature "
       "distance, generated / real"),
    _m("nn_ratio", None, "test", "pixels",
       "nearest training image of samples vs of real test images (memorisation below 1)", NN,
       (("nn_dist", None, NN), ("nn_dist_test", None, NN))),
    _m("is_lenet", "max", "lenet", "lenet", "IS over the MNIST DCGAN report's LeNet-5's classes", IS,
       (("_std", None, IS + " (std over splits)"),), shown=True),
    _m("acc_lenet", "max", "lenet labels", "lenet", "the MNIST DCGAN report's Inception accuracy: the LeNet's "
       "accuracy on the requested classes",
       "gansweep.metrics.conditional.conditional_accuracy: seed 002's Inception accuracy, "
       "LeNet-5 (metrics/lenet.py) trained on real train data", shown=True),
    _m("aug_gain", "max", "lenet labels test", "trained-lenet",
       "test accuracy of a LeNet on real + generated images minus on real only",
       AUG + ", real+generated minus real only",
       (("aug_acc", "max", AUG + ", real+generated"), ("aug_acc_real", "max", AUG + ", real only"))),
    _m("modes_D", "max", "points", "none", "R² modes hit by >= 1 % of samples within 3 std",
       "gansweep.metrics.points: VEEGAN's 2D-ring protocol (Srivastava et al. 2017)", shown=True),
    _m("hq_D", "max", "points", "none", "share of R² samples within 3 std of a mode / the curve",
       "gansweep.metrics.points: VEEGAN's 2D-ring protocol (Srivastava et al. 2017)", shown=True),
    _m("encoder_test_acc", None, "encoder", "none",
       "test accuracy of PPGN-h's frozen pre-trained encoder E (a check of E, not of G)",
       "gansweep.ppgn.encoder.test_accuracy: the encoder's classification accuracy on the test split"),
    _m("val_acc", "max", "classifier", "none", "validation accuracy of the main task (Table 2.2)",
       "gansweep.classifier_trainer: test-split accuracy", shown=True),
    _m("val_loss", "min", "classifier", "none", "validation cross-entropy of the main task",
       "gansweep.classifier_trainer: test-split cross-entropy"),
    _m("aux_val_acc", "max", "classifier", "none", "validation accuracy of the auxiliary task",
       "gansweep.classifier_trainer: test-split accuracy", shown=True),
    _m("aux_val_loss", "min", "classifier", "none", "validation cross-entropy of the auxiliary task",
       "gansweep.classifier_trainer: test-split cross-entropy"),
    _m("weight_distance", None, "classifier", "none",
       "distance between the soft-shared layers of the two tasks (Figure 2.5)",
       "gansweep.classifier_trainer: ||W_a,b - W_b,b||_2 over the first b layers"),
)


def _base(name: str) -> str:
    return name.split("@", 1)[0]  # a name labelled with its protocol (analysis/protocols.py)


def _match(name: str) -> tuple[Metric, Optional[int]] | None:
    """(family, companion index or None) of a reported name, any dataset."""
    name = _base(name)
    for m in METRICS:
        datasets = JUDGED_DATASETS + POINT_DATASETS if m.pattern.endswith("_D") else ("",)
        for d in datasets:
            names = m.names(d)
            if name in names:
                i = names.index(name)
                return m, (None if i == 0 else i - 1)
    return None


def lookup(name: str) -> Metric | None:
    """The family of a reported name (`fid_digits`, `is_mnist_std`, `fid@1a2b...`), or None."""
    found = _match(name)
    return found[0] if found else None


def direction(name: str) -> Optional[str]:
    """"min", "max", or None for diagnostics and names that are no metric."""
    found = _match(name)
    if found is None:
        return None
    m, companion = found
    return m.direction if companion is None else m.companions[companion][1]


def reference(name: str) -> str:
    m, companion = _match(name)
    return m.reference if companion is None else m.companions[companion][2]


def shown(name: str) -> bool:
    """Worth a column of the live trial table (the metric itself, not its companions)."""
    found = _match(name)
    return bool(found) and found[1] is None and found[0].shown


def needs_inception(names) -> bool:
    """Whether any of these metric names is computed with pytorch-fid's Inception network."""
    return any("inception" in (lookup(n).needs if lookup(n) else ()) for n in names)


def requestable(dataset: str, task: str = "gan") -> list[str]:
    """What eval.metrics (and a spec's metric) may name for a task on a dataset."""
    return [m.names(dataset)[0] for m in METRICS if m.applies_to(dataset, task)]


def reported(dataset: str, task: str = "gan") -> list[str]:
    """Every name an evaluation of that task on that dataset can report."""
    return [n for m in METRICS if m.applies_to(dataset, task) for n in m.names(dataset)]


def companions(name: str, dataset: str) -> list[str]:
    """The names a requested metric reports: itself and its companions."""
    m = lookup(name)
    return m.names(dataset) if m else [name]
