"""The MNIST DCGAN report section 4's augmentation grid on digits, with oracle generators, and its CLI."""

import csv
import json

import pytest
import torch

from gansweep import cli
from gansweep.metrics import augmentation as aug, domain, lenet
from gansweep.run import run_training
from tests.conftest import tiny_config


@pytest.fixture(scope="module")
def split():
    """100 real training images; the rest of digits' train split is the oracles' pool."""
    x, y, xt, yt = domain.training_data("digits")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))
    return {"real": (x[perm[:100]], y[perm[:100]]), "pool": (x[perm[100:]], y[perm[100:]]),
            "test": (xt, yt)}


def held_out_real(pool, wrong=False):
    """A fake generator: held-out real images of the requested class (or of a random one)."""
    images, labels = pool
    by_class = [images[labels == c] for c in range(10)]
    draw = torch.Generator().manual_seed(5)

    def generate(requested):
        if wrong:
            requested = torch.randint(10, requested.shape, generator=draw)
        used = [0] * 10
        out = []
        for c in requested.tolist():
            out.append(by_class[c][used[c] % len(by_class[c])])
            used[c] += 1
        return torch.stack(out)
    return generate


def test_paper_grid_is_the_mnist_dcgan_reports():
    assert aug.paper_sizes(60_000) == (0, 600, 6000, 12000, 30000, 60000)
    with pytest.raises(ValueError, match="unknown augmentation modes"):
        aug.Settings((0,), (0,), ("bogus",))


def test_right_labels_help_and_wrong_labels_hurt(split):
    recipe = aug.Recipe(epochs=8, batch_size=32, lr=2e-3)
    # The real-only baseline sees its 100 images 4 times per epoch: as many steps as the
    # 100 + 300 cells (with fixed epochs, any extra data would also mean extra training).
    x, y = split["real"]
    repeated = aug.run_grid((x.repeat(4, 1, 1, 1), y.repeat(4)), split["test"], None,
                            aug.Settings((400,), (0,), ("mixed",), recipe))
    right = aug.run_grid(split["real"], split["test"], held_out_real(split["pool"]),
                         aug.Settings((100,), (300,), ("mixed",), recipe))
    wrong = aug.run_grid(split["real"], split["test"], held_out_real(split["pool"], wrong=True),
                         aug.Settings((100,), (300,), ("mixed",), recipe))
    alone, helped = repeated[0]["test_accuracy"], right[0]["test_accuracy"]
    assert [(r["real"], r["generated"], r["generated_used"]) for r in right] == [(100, 300, 300)]
    assert helped > alone + 0.05
    assert wrong[0]["test_accuracy"] < alone - 0.1     # 90% of the labels are wrong


def test_finetune_trains_on_generated_then_real(split):
    """E epochs: floor(E/2) on generated, the rest on real; without generated data only the
    real phase runs, so it equals a mixed cell of E - floor(E/2) epochs on the same data."""
    no_data = held_out_real(split["pool"])
    finetune = aug.run_grid(split["real"], split["test"], no_data,
                            aug.Settings((100,), (0,), ("finetune",), aug.Recipe(5, 32, 2e-3)))
    mixed = aug.run_grid(split["real"], split["test"], no_data,
                         aug.Settings((100,), (0,), ("mixed",), aug.Recipe(3, 32, 2e-3)))
    assert finetune[0]["test_accuracy"] == mixed[0]["test_accuracy"]
    fooled = aug.run_grid(split["real"], split["test"], held_out_real(split["pool"], wrong=True),
                          aug.Settings((0,), (100,), ("finetune",), aug.Recipe(5, 32, 2e-3)))
    assert fooled[0]["test_accuracy"] < 0.3  # no real phase: what the wrong labels taught


def test_quality_filter_keeps_what_the_real_trained_lenet_accepts(split, shared_cache):
    judge = lenet.load_lenet("digits", shared_cache)
    right, wrong = held_out_real(split["pool"]), held_out_real(split["pool"], wrong=True)

    def half_wrong(requested):  # odd classes come out as random digits
        return torch.where((requested % 2 == 1)[:, None, None, None], wrong(requested), right(requested))

    images, labels = aug.generated_pool(half_wrong, 200, 10, judge, max_rounds=1)
    assert torch.equal(judge.run(images, 100)[1].argmax(1), labels)   # all accepted ...
    counts = torch.bincount(labels, minlength=10)
    assert counts[0::2].min() >= 17 and counts[1::2].max() <= 10      # ... few odd ones pass
    first = labels[:10 * int(counts.min())].view(-1, 10)
    assert (first == torch.arange(10)).all()  # round-robin: every prefix stays balanced


def test_cli_writes_the_table_beside_the_run(tmp_path, shared_cache, capsys):
    run = tmp_path / "run"
    cfg = tiny_config("cGAN.a", **{"eval.cache_dir": str(shared_cache)})
    assert run_training(cfg, run, 2).status == "finished"
    argv = ["augment", str(run), "--real-sizes", "0,40", "--generated-sizes", "0,40", "--epochs", "1"]
    assert cli.main(argv) == 0
    with (run / "augmentation.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [(r["mode"], r["real"], r["generated"]) for r in rows] == [
        (m, r, g) for m in aug.MODES for r in ("0", "40") for g in ("0", "40")]
    assert all(0 <= float(r["test_accuracy"]) <= 1 for r in rows)
    assert all(int(r["generated_used"]) <= int(r["generated"]) for r in rows)
    saved = json.loads((run / "augmentation.json").read_text())
    assert saved["iteration"] == 2 and len(saved["rows"]) == 12
    assert saved["settings"]["recipe"]["epochs"] == 1 and saved["judge_test_accuracy"] > 0.9
    assert "mixed: test accuracy %" in capsys.readouterr().out
    assert cli.main(argv[:2] + ["--real-sizes", "5000"]) == 2  # more than the 1500 there are
    assert "5000" in capsys.readouterr().err
