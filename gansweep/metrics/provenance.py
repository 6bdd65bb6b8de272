"""Where a score came from, and a refusal to compare scores from different protocols.

An FID of 20 on 5000 samples against CIFAR-100 train through pytorch-fid's Inception weights
is not comparable with an FID of 20 on 1000 samples, another split, another feature network
or another weights file. Every score the evaluator returns has a `Provenance` beside it
(Evaluator.provenance(): metric name -> dict), and `check_comparable` raises with the fields
that differ instead of letting two such numbers meet in a table or a plot silently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Iterable, Optional

from gansweep.errors import ProblemsError
from gansweep.metrics.base import METRICS_VERSION


class IncomparableScores(ProblemsError):
    """Scores of one metric made under different protocols, about to be compared."""


def _pytorch_fid_version() -> str:
    try:
        import pytorch_fid
        return pytorch_fid.__version__
    except ImportError:  # the distance and IS do not need it; only the Inception network does
        return "absent"


@dataclass(frozen=True)
class Provenance:
    metric: str                    # the reported name: "fid", "fid_digits", "cond_acc", ...
    implementation: str            # function that computed it and the reference it follows
    extractor: str                 # feature network ("pixels-grey" for pixel-space metrics)
    weights_sha256: Optional[str]  # the extractor's weights file / state-dict hash
    n_generated: int
    n_real: int
    real_split: str                # the reference data: "train", "test", a file
    dataset: str                   # name@HxW as the generator sees it
    z_seed: Optional[int] = None   # the latent set (fixed per protocol; None for folders)
    real_sha256: Optional[str] = None  # hash of the real images (and labels) compared against
    numerics: Optional[str] = None     # how G was trained and sampled: amp, TF32, channels-last,
                                       # compile, batch-norm mode when sampling (Trainer.numerics)
    version: str = METRICS_VERSION
    pytorch_fid: str = dataclasses.field(default_factory=_pytorch_fid_version)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def check_comparable(a: dict | Provenance, b: dict | Provenance, ignore: Iterable[str] = ()) -> None:
    """Raise IncomparableScores naming every field in which two provenances differ."""
    a = a.to_dict() if isinstance(a, Provenance) else dict(a)
    b = b.to_dict() if isinstance(b, Provenance) else dict(b)
    skip = set(ignore)
    diffs = [f"{k}: {a.get(k)!r} vs {b.get(k)!r}"
             for k in sorted(set(a) | set(b)) if k not in skip and a.get(k) != b.get(k)]
    if diffs:
        raise IncomparableScores(diffs, f"scores {a.get('metric')!r} and {b.get('metric')!r} come "
                                        "from different protocols")


def differences(a: dict, b: dict, ignore: Iterable[str] = ()) -> list[str]:
    """'field: a vs b' for every field in which two provenance dicts differ."""
    try:
        check_comparable(a, b, ignore)
    except IncomparableScores as err:
        return err.problems
    return []


def protocol_id(provenance: dict) -> str:
    """A short name for a protocol: the digest of everything but the metric's own name."""
    fields = {k: v for k, v in provenance.items() if k != "metric"}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()[:10]


def comparable(a, b, ignore: Iterable[str] = ()) -> bool:
    try:
        check_comparable(a, b, ignore)
        return True
    except IncomparableScores:
        return False
