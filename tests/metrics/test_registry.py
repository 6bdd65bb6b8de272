"""The metric registry is the one source of a metric's direction and meaning: every name an
evaluator can emit, for every preset, is registered, and the tables it mirrors agree."""

import pytest

from gansweep.metrics import registry
from gansweep.metrics.domain import DOMAINS
from gansweep.metrics.lenet import LENET
from gansweep.config.presets import PRESETS
from gansweep.task import build_task
from tests.conftest import tiny_config


def test_directions_decided_once():
    expect = {"fid": "min", "fid_digits": "min", "intra_fid_digits": "min", "is": "max",
              "is_digits": "max", "is_digits_std": None, "is_std": None, "cond_acc": "max",
              "nn_ratio": None, "nn_dist": None, "diversity_digits": None,
              # the names on which spec validation and the analysis used to disagree
              "acc_lenet": "max", "aug_gain": "max", "aug_acc": "max", "aug_acc_real": "max",
              "val_loss": "min", "aux_val_loss": "min", "val_acc": "max", "weight_distance": None,
              "modes_swissroll": "max", "hq_gaussians8": "max",
              "fid_digits@1a2b3c4d5e": "min", "time_s": None}
    assert {m: registry.direction(m) for m in expect} == expect


def test_dataset_tables_agree():
    assert set(registry.JUDGED_DATASETS) == set(DOMAINS)
    assert set(registry.LENET_DATASETS) == set(LENET)


def test_every_family_says_what_it_is():
    for m in registry.METRICS:
        assert m.direction in ("min", "max", None) and m.meaning and m.reference and m.feature_net
        assert m.needs <= {"inception", "judge", "lenet", "labels", "points", "test", "classifier",
                           "encoder"}


def emitted(cfg) -> set[str]:
    task = build_task(cfg)
    task.step()
    return set(task.evaluate())


@pytest.mark.slow
def test_every_metric_every_preset_emits_is_registered(inception_weights):
    """Each preset at toy scale with its default metrics, and the digits GAN with every
    metric there is: whatever the evaluator reports is registered for that dataset."""
    seen = set()
    configs = [tiny_config(p, **{"eval.every": 1, "eval.samples": 20}) for p in sorted(PRESETS)]
    everything = [m for m in registry.requestable("digits")]
    configs.append(tiny_config("cGAN.a", **{
        "eval.every": 1, "eval.samples": 20, "eval.metrics": everything,
        "eval.inception_weights": str(inception_weights), "eval.real_samples": 60,  # Inception: few
        "eval.aug_real": 40,
        "eval.aug_generated": 20, "eval.aug_epochs": 1}))
    for cfg in configs:
        task = {"mtl_classifier": "classifier", "ppgn": "ppgn"}.get(cfg.model.arch, "gan")
        names = emitted(cfg)
        unregistered = names - set(registry.reported(cfg.data.name, task))
        assert not unregistered, (cfg.model.preset, unregistered)
        seen |= names
    assert {"fid", "is_std", "aug_acc_real", "nn_dist_test", "modes_swissroll",
            "val_acc"} <= seen
