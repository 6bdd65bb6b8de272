"""`gansweep fid` (against pytorch-fid on the same files) and `gansweep eval`."""

import json

import numpy as np
import pytest
import torch
from pytorch_fid.fid_score import calculate_frechet_distance

from gansweep.cli import main
from gansweep.metrics.base import save_image_folder
from gansweep.metrics.fid import statistics_numpy


def last_line_number(out: str) -> float:
    return float(out.strip().splitlines()[-1])


def write_folders(tmp_path):
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (5, 3, 8, 8), dtype=torch.uint8, generator=g)
    b = (a.float() * 0.5 + 60).to(torch.uint8)
    save_image_folder(a, tmp_path / "a")
    save_image_folder(b, tmp_path / "b")
    return tmp_path / "a", tmp_path / "b"


def test_fid_of_two_folders_and_of_saved_stats(tmp_path, inception_weights, pytorch_fid_with, capsys):
    a, b = write_folders(tmp_path)
    w = ["--inception-weights", str(inception_weights)]
    # Statistics as pytorch-fid's own module computes them from the same files.
    pfi = pytorch_fid_with(inception_weights)
    from pytorch_fid.fid_score import compute_statistics_of_path
    model = pfi.InceptionV3([3])
    for folder in (a, b):
        assert main(["fid", "--save-stats", str(folder), f"{folder}.npz", *w]) == 0
        ref_mu, ref_sigma = compute_statistics_of_path(str(folder), model, 5, 2048, "cpu", 0)
        with np.load(f"{folder}.npz") as ours:
            np.testing.assert_allclose(ours["mu"], ref_mu, rtol=1e-5, atol=1e-5 * np.abs(ref_mu).max())
            np.testing.assert_allclose(ours["sigma"], ref_sigma, rtol=1e-4,
                                       atol=1e-4 * np.abs(ref_sigma).max())
    capsys.readouterr()
    assert main(["fid", str(a), str(b), *w]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-2])["provenance"]["n_generated"] == 5
    # Folders and the .npz files pytorch-fid's --save-stats format holds: one number.
    assert main(["fid", f"{a}.npz", str(b), *w]) == 0
    assert last_line_number(capsys.readouterr().out) == pytest.approx(last_line_number(out), rel=1e-9)


@pytest.mark.filterwarnings("ignore:The `disp` argument:DeprecationWarning")  # pytorch-fid
def test_fid_of_two_npz_files_needs_no_weights(tmp_path, capsys):
    rng = np.random.default_rng(0)
    paths = []
    for i in range(2):
        mu, sigma = statistics_numpy(torch.from_numpy(rng.normal(size=(50, 5)) * (1 + i)))
        np.savez(tmp_path / f"s{i}.npz", mu=mu, sigma=sigma)
        paths.append(str(tmp_path / f"s{i}.npz"))
    for distance in ("torch", "scipy"):
        assert main(["fid", *paths, "--distance", distance]) == 0
        value = last_line_number(capsys.readouterr().out)
        with np.load(paths[0]) as s0, np.load(paths[1]) as s1:
            ref = calculate_frechet_distance(s0["mu"], s0["sigma"], s1["mu"], s1["sigma"])
        assert value == pytest.approx(ref, rel=1e-6, abs=1e-6)


def test_fid_without_weights_says_what_to_fetch(tmp_path, capsys):
    a, b = write_folders(tmp_path)
    assert main(["fid", str(a), str(b)]) == 2
    err = capsys.readouterr().err
    assert "pt_inception-2015-12-05-6726825d.pth" in err and "hub" in err


def test_eval_a_saved_run_on_fresh_samples(tmp_path, capsys):
    pytest.importorskip("gansweep.data")
    from gansweep.config import resolve
    from gansweep.run import run_training
    cfg = resolve({"model": {"preset": "AC-WGAN.a", "width": 4, "z_dim": 8}, "data": {"name": "digits"},
                   "train": {"batch_size": 8, "n_critic": 1, "iterations": 2, "device": "cpu",
                             "checkpoint_every": 2},
                   "eval": {"every": 0, "cache_dir": str(tmp_path / "cache")}})
    run_training(cfg, tmp_path / "run")
    args = ["eval", str(tmp_path / "run"), "--samples", "100", "--seed", "3",
            "--metrics", "fid_digits,cond_acc"]
    assert main(args) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(record["metrics"]) == {"fid_digits", "cond_acc"} and record["iteration"] == 2
    assert record["provenance"]["fid_digits"]["z_seed"] == 3
    assert record["provenance"]["fid_digits"]["n_generated"] == 100
