"""The family table (gansweep/models/families.py) is the one place a model family is
declared: it cannot drift from config's `model.arch` values, the presets, or the smoke test."""

from __future__ import annotations

import typing

import pytest

from gansweep.config import ModelConfig, resolve
from gansweep.models.families import FAMILIES, SMOKE_COMMON, smoke_config
from gansweep.config.presets import PRESETS
from gansweep.task import TASKS


def test_the_table_has_exactly_configs_arch_values():
    allowed = typing.get_args(typing.get_type_hints(ModelConfig)["arch"])
    assert sorted(FAMILIES) == sorted(allowed)


def test_every_family_names_a_task_and_only_gans_have_a_builder():
    for arch, f in FAMILIES.items():
        assert f.task in TASKS, arch
        assert (f.build is not None) == (f.task == "gan"), arch
        assert f.doc and all(callable(c) for c in f.checks), arch


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_is_of_a_family(name):
    assert resolve({"model": {"preset": name}}).model.arch in FAMILIES


def test_smoke_config_is_the_tables():
    """A smoke test's sizes are the families' own, plus what all of them shrink alike."""
    assert set(SMOKE_COMMON) <= set(smoke_config())
    for f in FAMILIES.values():
        assert not set(f.smoke) & set(SMOKE_COMMON)  # a family adds keys, never overrides
