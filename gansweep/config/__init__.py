"""The config: one frozen dataclass tree (schema.py, the only place defaults live), its
bounds (constraints.py), the dataset facts it needs (datasets.py), the presets of every
source document (presets/), and resolution from user input (resolve.py) with the cross-field
checks (checks.py). The bottom of the import graph: it imports nothing of the project but
gansweep.errors and gansweep.strict_yaml.
"""

from gansweep.config.datasets import POINT_DATASETS, TRAIN_SIZES, train_size
from gansweep.config.resolve import (PER_NETWORK_LR, from_dict, load_yaml, override, resolve,
                                     steps_per_epoch)
from gansweep.config.schema import (Config, ConfigError, DataConfig, EvalConfig, LossConfig,
                                    ModelConfig, OptimConfig, PPGNConfig, TrainConfig,
                                    deep_merge, describe, nest)

__all__ = ["POINT_DATASETS", "PER_NETWORK_LR", "TRAIN_SIZES", "Config", "ConfigError",
           "DataConfig", "EvalConfig", "LossConfig", "ModelConfig", "OptimConfig", "PPGNConfig",
           "TrainConfig", "deep_merge", "describe", "from_dict", "load_yaml", "nest", "override",
           "resolve", "steps_per_epoch", "train_size"]
