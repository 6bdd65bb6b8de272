"""Generated input for the config and spec loaders (issue 12): whatever the mapping, scalar
or bytes, the result is a valid config / spec or a ConfigError / SpecError with a message,
never another exception and never a hang (hypothesis's deadline bounds each example)."""

import dataclasses
import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gansweep.config import Config, ConfigError, resolve  # noqa: E402
from gansweep.strict_yaml import YamlError, load_bytes  # noqa: E402
from gansweep.sweep.spec import TOP_KEYS, SpecError, SweepSpec, parse_spec  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=2000,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

# Real key paths (so the checks behind them run), their sections and junk keys.
PATHS = [f"{s.name}.{f.name}" for s in dataclasses.fields(Config)
         for f in dataclasses.fields(s.default_factory)]
KEYS = st.one_of(st.sampled_from(PATHS), st.sampled_from([s.name for s in dataclasses.fields(Config)]),
                 st.text(max_size=12), st.sampled_from(["model.width.x", ".", "", "a..b"]))
SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-10**30, max_value=10**30),
    st.sampled_from([0, 1, 2, 64, 10**23, -1, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["WGAN", "GAN", "AC-WGAN.b", "digits", "mnist", "auto", "cpu", "1e-4", "nan", "inf", ""]),
    st.text(max_size=16))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


def _message_ok(err):
    assert err.problems and all(isinstance(p, str) and p for p in err.problems)
    assert str(err)


@SETTINGS
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_resolve_gives_a_config_or_a_config_error(raw):
    try:
        cfg = resolve(raw)
    except ConfigError as err:
        _message_ok(err)
        return
    assert isinstance(cfg, Config)
    assert all(math.isfinite(v) for s in dataclasses.fields(cfg) for v in
               dataclasses.asdict(getattr(cfg, s.name)).values() if isinstance(v, float))


@SETTINGS
@given(VALUES)
def test_resolve_of_any_value(raw):
    try:
        resolve(raw)
    except ConfigError as err:
        _message_ok(err)


SPEC_KEYS = st.one_of(st.sampled_from(sorted(TOP_KEYS)), st.text(max_size=8))
SPEC_BASE = {"model": "WGAN", "data": {"name": "digits"}, "iterations": 20, "eval_every": 10,
             "metric": "fid_digits"}


@SETTINGS
@given(st.dictionaries(SPEC_KEYS, VALUES, max_size=6), st.booleans())
def test_parse_spec_gives_a_spec_or_a_spec_error(changes, on_base):
    raw = {**SPEC_BASE, **changes} if on_base else changes
    try:
        spec = parse_spec(raw)
    except SpecError as err:
        _message_ok(err)
        return
    assert isinstance(spec, SweepSpec)


@SETTINGS
@given(st.dictionaries(st.sampled_from(PATHS), SCALARS, max_size=3))
def test_search_values_are_checked(params):
    raw = {**SPEC_BASE, "search": {k: {"choice": [v]} for k, v in params.items()}}
    try:
        parse_spec(raw)
    except SpecError as err:
        _message_ok(err)


YAML_SNIPPETS = st.sampled_from([b"model: WGAN\n", b"model: ", b"!!python/object:x {}", b"&a [*a]", b"{",
                                 b"\xff", b"\x00", b"- ", b"? ", b"key: .nan\n", b"\t", b"'", b"\"\\x\"",
                                 b"%YAML 1.1\n---\n", b"<<: {}\n", b"a: 1\na: 2\n", b"\xef\xbb\xbf"])


@SETTINGS
@given(st.one_of(st.binary(max_size=300), st.lists(YAML_SNIPPETS, max_size=6).map(b"".join),
                 st.text(max_size=200).map(str.encode)))
def test_loaders_of_any_bytes(tmp_path_factory, data):
    try:
        load_bytes(data)
    except YamlError as err:
        _message_ok(err)
    path = tmp_path_factory.mktemp("f") / "x.yaml"
    path.write_bytes(data)
    from gansweep.config import load_yaml
    from gansweep.sweep.spec import load_spec
    for load, error in ((load_yaml, ConfigError), (load_spec, SpecError)):
        try:
            load(path)
        except error as err:
            _message_ok(err)
