"""`gansweep validate` refuses searched keys that cannot change training, by running them."""

import time

import pytest
import torch

from gansweep.sweep import inert
from gansweep.sweep.spec import SpecError, parse_spec

BASE = {"data": {"name": "digits"}, "iterations": 100, "eval_every": 10, "metric": "fid_digits"}


def spec(model, search, **extra):
    return parse_spec({**BASE, "model": model, "search": search, **extra})


@pytest.mark.parametrize("model, key, values", [
    ("SC-WGAN.b", "loss.omega_d", [0.05, 2.0]),          # no auxiliary heads on D
    ("SC-WGAN.b", "loss.omega_g", [0.05, 2.0]),          # separate update: Adam ignores the scale
    ("WGAN", "loss.sharing_lambda", [0.001, 10.0]),      # nothing is shared
    ("AC-WGAN.a", "train.classifier_every", [1, 5]),     # no separate classifier
    ("WGAN", "loss.clip", [0.01, 0.1]),                  # a gradient penalty, no clipping
])
def test_the_issues_inert_keys_are_refused_naming_key_model_and_why(model, key, values):
    kind = "int" if isinstance(values[0], int) else "loguniform"
    with pytest.raises(SpecError) as err:
        spec(model, {key: {kind: values}})
    (problem,) = err.value.problems
    assert problem.startswith(f"search.{key}: cannot change the training of {model}: ")
    assert "smoke-size iterations" in problem and "same losses" in problem


def test_keys_that_act_pass_and_omega_acts_in_the_joint_update():
    s = spec("SC-WGAN.b", {"loss.sharing_lambda": {"loguniform": [1e-3, 10.0]},
                           "model.shared_layers": {"int": [1, 3]},
                           "train.classifier_every": {"int": [1, 5]},
                           "loss.omega_g": {"loguniform": [0.05, 2.0]},
                           "optim.lr_c": {"loguniform": [3e-5, 3e-4]}},
             config={"loss.sc_g_update": "joint"})
    assert len(s.search) == 5 and s.warnings == ()
    # the same scale sweep on the AC heads of D (Algorithm 3), and lambda of the ch.-2 classifier (SGD)
    spec("AC-WGAN.a", {"loss.omega_d": {"uniform": [0.1, 2.0]}})
    parse_spec({"model": "MTL-classifier", "data": {"name": "digits"}, "iterations": 100,
                "eval_every": 10, "search": {"loss.sharing_lambda": {"grid": [0.001, 0.01]}},
                "searcher": "grid", "mode": "max"})


def test_adam_scale_invariance_is_inert_even_at_omega_1e4():
    v = inert.key_acts("SC-WGAN.b", {}, "loss.omega_g", (1.0, 1e4))
    assert not v.acts and "Adam's eps" in v.why
    assert inert.key_acts("SC-WGAN.b", {"loss": {"sc_g_update": "joint"}}, "loss.omega_g", (1.0, 1e4)).acts


def test_with_a_searched_preset_a_key_must_act_in_one_model():
    spec("WGAN", {"model": {"grid": ["WGAN", "SC-WGAN.b"]},
                  "loss.sharing_lambda": {"grid": [0.01, 1.0]}}, searcher="grid")
    with pytest.raises(SpecError, match=r"search.loss.sharing_lambda: cannot change the training "
                                        r"of WGAN, AC-WGAN.a"):
        spec("WGAN", {"model": {"grid": ["WGAN", "AC-WGAN.a"]},
                      "loss.sharing_lambda": {"grid": [0.01, 1.0]}}, searcher="grid")


def test_a_config_key_set_but_unused_is_a_warning_not_an_error():
    s = spec("WGAN", {"optim.lr_d": {"loguniform": [1e-5, 1e-3]}},
             config={"loss.clip": 0.05, "loss.eta": 5.0, "train.log_every": 7})
    assert len(s.warnings) == 1 and s.warnings[0].startswith(
        "config.loss.clip: set to 0.05 but changes nothing in the training of WGAN")


def test_the_check_leaves_the_global_rng_alone_and_caches_its_answers():
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    search = {"loss.eta": {"loguniform": [1.0, 30.0]}, "optim.lr_g": {"loguniform": [3e-5, 3e-4]}}
    spec("SC-WGAN.a", search)
    assert torch.equal(torch.rand(3), expected)
    started = time.perf_counter()
    spec("SC-WGAN.a", search)
    assert time.perf_counter() - started < 0.5  # per (model, key, values, fixed config)


def test_a_verdict_is_kept_on_disk_for_the_next_process_under_the_codes_version(monkeypatch):
    """A second driver (validate, then run) reads the verdict instead of training; a verdict
    decided by other code is not read."""
    search = {"loss.eta": {"loguniform": [2.0, 20.0]}}
    spec("WGAN", search)
    assert list(inert.verdicts_dir().glob("*.json"))
    trainings, train = [], inert._train
    monkeypatch.setattr(inert, "_train", lambda *a: trainings.append(a) or train(*a))
    inert._CACHE.clear()  # as in a new process
    spec("WGAN", search)
    assert trainings == []
    inert._CACHE.clear()
    monkeypatch.setattr(inert, "code_version", lambda: "another version of the code")
    spec("WGAN", search)
    assert len(trainings) == 2


def test_the_code_version_names_torch_without_its_package_metadata(monkeypatch):
    import importlib.metadata

    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)
    with_metadata = inert.code_version()
    inert.code_version.cache_clear()
    monkeypatch.setattr(importlib.metadata, "version", missing)
    try:
        assert inert.code_version() == with_metadata  # torch.__version__ is the same version
    finally:
        inert.code_version.cache_clear()
