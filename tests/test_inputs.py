"""Every malformed input is one clear message and exit status 2: no traceback, nothing
trained, started or written (issue 12). Hand-picked cases here; generated ones in
test_inputs_property.py."""

import os

import pytest
import yaml

from gansweep.cli import main as cli

TINY = {"model": {"preset": "WGAN", "width": 4, "z_dim": 8},
        "data": {"name": "digits"},
        "train": {"batch_size": 8, "n_critic": 1, "iterations": 2, "log_every": 1, "device": "cpu"},
        "eval": {"every": 0}}
SPEC = {"model": "WGAN", "data": {"name": "digits"}, "iterations": 100, "eval_every": 10,
        "metric": "fid_digits"}


@pytest.fixture(autouse=True)
def sandbox(tmp_path, monkeypatch):
    """Every path a command could default to lies under tmp_path."""
    for var, sub in (("HOME", "home"), ("GANSWEEP_CACHE", "cache"), ("GANSWEEP_DATA", "data"),
                     ("GANSWEEP_STORAGE", "storage"), ("MPLCONFIGDIR", "mpl")):
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.chdir(tmp_path)


def files_under(root):
    """Every file under root but matplotlib's font cache (written when report is imported)."""
    return sorted(p for p in (os.path.relpath(os.path.join(d, f), root)
                              for d, _, fs in os.walk(root) for f in fs)
                  if not p.startswith("mpl" + os.sep))


def run_cli(tmp_path, capsys, args):
    before = files_under(tmp_path)
    try:
        code = cli(args)
    except SystemExit as stop:  # argparse's own usage errors exit 2 with a message
        code = stop.code
    err = capsys.readouterr().err
    assert files_under(tmp_path) == before, "a refused input wrote something"
    assert "Traceback" not in err
    return code, err


CONFIG_CASES = {
    "non_utf8": (b"model: WGAN\ndata: {name: d\xe9gits}\n", "not UTF-8 text"),
    "binary": (bytes(range(256)) * 4, "binary file"),
    "python_tag": (b"model: !!python/object/apply:os.system ['true']\n", "YAML tag"),
    "custom_tag": (b"model: !preset WGAN\n", "model: YAML tag"),
    "duplicate_key": (b"model: WGAN\ndata: {name: digits}\nmodel: GAN\n", "model: duplicate key"),
    "nested_duplicate": (b"model: WGAN\ntrain: {seed: 1, seed: 2}\n", "train.seed: duplicate key"),
    "dotted_below_preset": (b"model: WGAN\nmodel.width: 8\n", "model.width: model is the single value 'WGAN'"),
    "dotted_below_scalar": (b"model: WGAN\ntrain: 5\ntrain.seed: 1\n", "train.seed: train is the single value 5"),
    "given_twice": (b"model: WGAN\noptim.lr_d: 1.0e-4\noptim: {lr_d: 2.0e-4}\n", "optim.lr_d: given twice"),
    "nan": (b"model: WGAN\noptim: {lr_d: .nan}\n", "optim.lr_d: must be a finite number"),
    "inf": (b"model: WGAN\nloss: {eta: .inf}\n", "loss.eta: must be a finite number"),
    "nan_string": (b"model: WGAN\noptim: {lr_g: 'nan'}\n", "optim.lr_g: must be a finite number"),
    "huge_batch": (b"model: WGAN\ntrain: {batch_size: 100000000000000000000000}\n",
                   "train.batch_size: must be in [1, 65536]"),
    "huge_iterations": (b"model: WGAN\ntrain.iterations: 1.0e+30\n", "train.iterations: must be in"),
    "huge_epochs": (b"model: WGAN\ntrain.epochs: 1.0e+300\n", "train.epochs: must be in (0, 10000]"),
    "wrong_types": (b"model: {preset: WGAN, width: [4]}\ntrain: {batch_size: lots, amp: yes please}\n",
                    "train.batch_size: expected an integer"),
    "bad_device": (b"model: WGAN\ntrain.device: gpu0\n", "train.device: must be auto, cpu"),
    "empty": (b"", "empty file"),
    "comment_only": (b"# nothing\n", "empty file"),
    "list_root": (b"- model\n", "expected a mapping at the top level"),
    "alias": (b"model: &m WGAN\ndata: {name: *m}\n", "aliases"),
    "deep": (b"a: " + b"[" * 200 + b"]" * 200 + b"\n", "nested deeper"),
    "unknown_preset_and_key": (b"model: WGAN-X\nmodle: 1\n", "model.preset: unknown preset"),
}


@pytest.mark.parametrize("case", CONFIG_CASES, ids=str)
def test_train_refuses_malformed_config(case, tmp_path, capsys):
    content, message = CONFIG_CASES[case]
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run")])
    assert code == 2 and message in err, err


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text("model: WGAN\ntrain: {batch_size: 0, seed: -1}\noptim.lr_d: .nan\n")
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run")])
    assert code == 2
    assert all(k in err for k in ("train.batch_size", "train.seed", "optim.lr_d"))


def test_bad_set_values(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(TINY))
    args = ["train", str(path), "--out", str(tmp_path / "run"), "--set", "optim.lr_d=!!python/none x",
            "--set", "noequals", "--set", "train.seed=[1, 2"]
    code, err = run_cli(tmp_path, capsys, args)
    assert code == 2 and "optim.lr_d: " in err and "--set noequals" in err and "train.seed:" in err


def test_debug_shows_the_traceback(tmp_path):
    from gansweep.config import ConfigError
    path = tmp_path / "config.yaml"
    path.write_bytes(b"model: WGAN\nmodel: GAN\n")
    with pytest.raises(ConfigError):
        cli(["train", str(path), "--out", str(tmp_path / "run"), "--debug"])
    with pytest.raises(ConfigError):
        cli(["--debug", "train", str(path), "--out", str(tmp_path / "run")])


def test_missing_dataset_is_a_message(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**TINY, "data": {"name": "mnist", "root": str(tmp_path / "nope")}}))
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run")])
    assert code == 2 and "MNIST" in err


def test_missing_inception_weights_is_a_message(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    cfg = {**TINY, "eval": {"every": 1, "metrics": ["fid"], "inception_weights": str(tmp_path / "w.pth")}}
    path.write_text(yaml.safe_dump(cfg))
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run")])
    assert code == 2 and "Inception weights not found" in err


def test_label_metrics_of_an_unconditional_model_fail_before_training(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**TINY, "eval": {"every": 1, "metrics": ["cond_acc"]}}))
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run")])
    assert code == 2 and "eval.metrics: cond_acc need a class-conditional generator" in err


def test_resume_with_another_config_is_a_message(tmp_path, capsys):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(TINY))
    assert cli(["train", str(path), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    code, err = run_cli(tmp_path, capsys, ["train", str(path), "--out", str(tmp_path / "run"),
                                           "--set", "optim.lr_d=3e-4"])
    assert code == 2 and "different config (optim.lr_d differ)" in err


SPEC_CASES = {
    "escape_name": ({**SPEC, "name": "../../../../escape-gansweep"}, "not a safe experiment name"),
    "hidden_name": ({**SPEC, "name": ".."}, "not a safe experiment name"),
    "slash_name": ({**SPEC, "name": "a/b"}, "not a safe experiment name"),
    "huge_num_samples": ({**SPEC, "num_samples": 99999999999999999999999999}, "num_samples: must be in"),
    "huge_replicates": ({**SPEC, "replicates": 10**9}, "replicates: must be in"),
    "nan_cpu": ({**SPEC, "resources": {"cpu": float("nan")}}, "resources.cpu"),
    "inf_range": ({**SPEC, "search": {"loss.eta": {"uniform": [0, float("inf")]}}}, "finite"),
    "nan_epochs": ({k: v for k, v in {**SPEC, "epochs": float("nan")}.items() if k != "iterations"},
                   "epochs: expected a finite number"),
    "nan_factor": ({**SPEC, "scheduler": {"kind": "asha", "reduction_factor": float("nan")}},
                   "scheduler.reduction_factor"),
    "config_scalar_section": ({**SPEC, "config": {"train": 5}}, "config.train: expected a mapping"),
    "config_conflict": ({**SPEC, "config": {"model": "GAN", "model.width": 4}}, "config.model"),
    "unhashable_preset": ({**SPEC, "search": {"model": {"choice": [["WGAN"]]}}}, "expected a preset name"),
    # Label metrics for a grid with an unconditional model: its trials would have failed at
    # their first evaluation (the WGAN-variants sweep, issue 18).
    "label_metric_unconditional": ({**SPEC, "search": {"model": {"grid": ["WGAN", "AC-WGAN.a"]}},
                                    "searcher": "grid", "config": {"eval.metrics": ["fid_digits", "cond_acc"]}},
                                   "config.eval.metrics: cond_acc need a class-conditional generator, "
                                   "and WGAN has none"),
    "label_objective_unconditional": ({**SPEC, "metric": "intra_fid_digits"},
                                      "metric: intra_fid_digits need a class-conditional generator"),
}


@pytest.mark.parametrize("case", SPEC_CASES, ids=str)
def test_validate_and_run_refuse_malformed_spec(case, tmp_path, capsys):
    raw, message = SPEC_CASES[case]
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(raw))
    code, err = run_cli(tmp_path, capsys, ["validate", str(path)])
    assert code == 2 and message in err, err
    code, err = run_cli(tmp_path, capsys, ["run", str(path), "--storage", str(tmp_path / "st")])
    assert code == 2 and message in err, err


@pytest.mark.parametrize("content", [b"\xff\xfe\x00n\x00a", b"name: a\nname: b\n", b"", b"x: !!binary AAAA\n"])
def test_validate_refuses_malformed_spec_files(content, tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_bytes(content)
    code, err = run_cli(tmp_path, capsys, ["validate", str(path)])
    assert code == 2 and "invalid sweep spec" in err


def test_run_name_option_must_be_safe(tmp_path, capsys):
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC))
    for name in ("../escape", "/abs", "a/b", ".hidden", "a\x00b"):
        code, err = run_cli(tmp_path, capsys, ["run", str(path), "--storage", str(tmp_path / "st"),
                                               "--name", name, "--dry-run"])
        assert code == 2 and "not a safe experiment name" in err
    import ray
    assert not ray.is_initialized()


def test_other_commands_report_bad_paths(tmp_path, capsys):
    missing = str(tmp_path / "missing")
    for args in (["eval", missing], ["augment", missing], ["fid", missing, missing],
                 ["collect", missing], ["report", missing], ["resume", missing],
                 ["eval", missing, "--samples", "1e99"], ["fid", "a", "b", "--batch-size", "-1"]):
        code, err = run_cli(tmp_path, capsys, args)
        assert code == 2, (args, err)


def test_damaged_experiment_and_stats_files(tmp_path, capsys):
    exp = tmp_path / "exp"
    exp.mkdir()
    (exp / "gansweep-spec.yaml").write_bytes(b"\x00\x01binary")
    (exp / "gansweep-trials.json").write_text("{not json")
    bad_npz = tmp_path / "s.npz"
    bad_npz.write_bytes(b"PK\x03\x04 cut")
    for args in (["collect", str(exp), "-o", str(tmp_path / "out")], ["report", str(exp), "-o", str(tmp_path / "r")],
                 ["resume", str(exp)], ["status", str(exp)], ["fid", str(bad_npz), str(bad_npz)]):
        before = files_under(tmp_path)
        code = cli(args)
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err, (args, err)
        assert files_under(tmp_path) == before
