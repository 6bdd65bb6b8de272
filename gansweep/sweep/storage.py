"""The experiment directory wherever it lives: a local path or a URI pyarrow understands.

A multi-node cluster needs storage every node reaches (s3://, gs://, or a shared mount):
Ray Tune writes trial results and checkpoints there, and gansweep keeps its own files
beside them:

    EXPERIMENT/gansweep-spec.yaml    the spec as written and as resolved
    EXPERIMENT/gansweep-trials.json  every trial's state, iteration, best metric, last error
    EXPERIMENT/optuna-study.log      the Optuna study, a JournalStorage file (sweep.study)
    EXPERIMENT/.gansweep-cache/      the judges trained for this experiment (datasets read
                                     from disk) and the real-data statistics, shared by
                                     every trial on every node (gansweep.metrics.cache)
"""

from __future__ import annotations

from gansweep.location import SAFE_NAME, Location, name_problem

SPEC_FILE = "gansweep-spec.yaml"
TRIALS_FILE = "gansweep-trials.json"
CACHE_DIR = ".gansweep-cache"

__all__ = ["CACHE_DIR", "SAFE_NAME", "SPEC_FILE", "TRIALS_FILE", "Location", "name_problem"]
