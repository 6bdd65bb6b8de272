"""cluster.yaml is a valid Ray cluster-launcher config with the shape the README promises."""

from pathlib import Path

import yaml

CLUSTER = Path(__file__).parents[1] / "cluster.yaml"


def test_cluster_yaml_passes_rays_own_schema():
    import pytest
    from ray.autoscaler._private.util import prepare_config, validate_config

    config = yaml.safe_load(CLUSTER.read_text())
    validate_config(prepare_config(config))  # what `ray up` runs; raises on a violation
    with pytest.raises(Exception, match="max_wokers"):  # the check does bite
        validate_config(prepare_config({**config, "max_wokers": 8}))
    nodes = config["available_node_types"]
    head = nodes[config["head_node_type"]]
    workers = [n for name, n in nodes.items() if name != config["head_node_type"]]
    assert head["resources"] == {"CPU": 0}  # the head schedules, it does not train
    assert any(w["min_workers"] == 0 and w["max_workers"] > 0 for w in workers)
    assert any("gansweep" in c for c in config["setup_commands"])
    assert any("GANSWEEP_STORAGE=s3://" in c for c in config["setup_commands"])
    assert "--dashboard-host=127.0.0.1" in " ".join(config["head_start_ray_commands"])


def pinned_ray(text: str) -> str:
    import re
    found = set(re.findall(r"ray\[([a-z,]+)\]==([0-9][0-9.]*)", text))
    assert len(found) == 1, found
    (extras, version), = found
    assert set(extras.split(",")) >= {"default", "tune"}, extras  # the dashboard and job server
    return version


def test_every_node_installs_the_drivers_ray():
    """Workers running another Ray than the head fail in obscure ways: cluster.yaml pins the
    Makefile's Ray (what the driver's .venv and CI have), with the dashboard's extra."""
    import ray

    config = yaml.safe_load(CLUSTER.read_text())
    setup = "\n".join(config["setup_commands"])
    makefile = (CLUSTER.parent / "Makefile").read_text()
    pins = next(line for line in makefile.splitlines() if line.startswith("PINS"))
    assert pinned_ray(setup) == pinned_ray(pins) == ray.__version__
    assert "ray[tune]" not in setup.replace("ray[default,tune]", "")  # no unpinned install left
