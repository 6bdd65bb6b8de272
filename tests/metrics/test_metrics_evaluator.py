"""The Evaluator: metric choice, fixed latents, cond_acc / diversity / memorisation wired up."""

import pytest
import torch

from gansweep.config import resolve
from gansweep.metrics import evaluator as ev
from gansweep.metrics.inception import InceptionWeightsMissing
from gansweep.metrics.provenance import IncomparableScores, check_comparable

# Trained judges: `make test` runs these again under other ATEN_CPU_CAPABILITY values.
pytestmark = pytest.mark.judge


def config(**eval_overrides):
    return resolve({"model": {"preset": "WGAN", "z_dim": 8}, "data": {"name": "digits"},
                    "eval": {"samples": 500, "batch_size": 128, **eval_overrides}})


@pytest.fixture
def digits_evaluator(digits, shared_cache, make_dataset):
    def make(conditional=True, **eval_overrides):
        data = make_dataset(digits.train, digits.train_labels)
        eval_overrides.setdefault("cache_dir", str(shared_cache))
        # The judge: the shipped one of the embedded digits (domain_data defaults to its splits)
        return ev.Evaluator(config(**eval_overrides), data, "cpu", 10, conditional, 8,
                            test_images=digits.test)
    return make


def generators(digits):
    """sample_fn's over the training images: copy the class asked for, ignore it, or collapse."""
    by_class = [digits.train[digits.train_labels == c] for c in range(10)]

    def pick(z, y, collapse=False):
        idx = (z[:, 0].abs() * 1e4).long()  # a deterministic function of z
        out = []
        for i, c in zip(idx.tolist(), y.tolist()):
            members = by_class[c]
            out.append(members[0 if collapse else i % len(members)])
        return torch.stack(out).float() / 127.5 - 1

    def ignores(z, y):
        return pick(z, (z[:, 1].abs() * 1e4).long() % 10)

    return {"copies": pick, "ignores": ignores,
            "collapsed": lambda z, y: pick(z, y, collapse=True)}


def test_cond_acc_diversity_and_memorisation(digits_evaluator, digits):
    evaluator = digits_evaluator(conditional=True)
    assert set(evaluator.metrics) == {"fid_digits", "kid_digits", "is_digits", "cond_acc", "intra_fid_digits",
                                      "diversity_digits", "nn_ratio"}
    g = generators(digits)
    copies = evaluator.evaluate(g["copies"])
    ignores = evaluator.evaluate(g["ignores"])
    collapsed = evaluator.evaluate(g["collapsed"])
    assert copies["cond_acc"] > 0.95
    assert ignores["cond_acc"] < 0.2  # chance is 0.1
    assert collapsed["cond_acc"] > 0.9
    assert copies["diversity_digits"] == pytest.approx(1.0, abs=0.1)
    assert collapsed["diversity_digits"] < 0.05
    assert copies["nn_ratio"] < 0.01 and copies["nn_dist_test"] > 0
    assert copies["fid_digits"] < collapsed["fid_digits"]
    assert copies["intra_fid_digits"] < ignores["intra_fid_digits"]
    assert copies["is_digits"] > 5 and collapsed["is_digits_std"] >= 0  # real train digits: ~7.4
    assert set(evaluator.provenance()) == set(copies)
    assert set(evaluator.last_timings) == {"generate_s", "features_s", "distance_s"}


def test_fixed_latents_same_everywhere(digits_evaluator, digits):
    a, b = digits_evaluator(), digits_evaluator()
    assert torch.equal(a.z, b.z) and a.z.shape == (500, 8)
    assert torch.equal(a.y[:12], torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]))
    sample = generators(digits)["copies"]
    assert a.evaluate(sample) == b.evaluate(sample)
    fresh = ev.fixed_latents(500, 8, 10, seed=1)[0]
    assert not torch.equal(fresh, a.z)


def test_metric_choice(digits_evaluator, inception_weights, monkeypatch):
    assert ev.default_metrics("digits", False, False) == ["fid_digits", "kid_digits", "is_digits",
                                                          "diversity_digits", "nn_ratio"]
    assert ev.default_metrics("cifar100", False, True) == ["fid", "kid", "is", "nn_ratio"]
    assert "cond_acc" in ev.default_metrics("cifar100", True, False)
    with pytest.raises(InceptionWeightsMissing):
        digits_evaluator(metrics=["fid"])
    with pytest.raises(ValueError, match="class-conditional"):
        digits_evaluator(conditional=False, metrics=["cond_acc"])
    with pytest.raises(ValueError, match="unknown.*fid_mnist"):
        digits_evaluator(metrics=["fid_mnist"])
    monkeypatch.setenv("GANSWEEP_INCEPTION_WEIGHTS", str(inception_weights))
    assert ev.default_metrics("digits", True, True)[:3] == ["fid", "kid", "is"]


def test_inception_metrics_on_a_few_samples(digits_evaluator, digits, inception_weights, tmp_path):
    evaluator = digits_evaluator(metrics=["fid", "is"], samples=10, real_samples=20,
                                 inception_weights=str(inception_weights), cache_dir=str(tmp_path))
    out = evaluator.evaluate(generators(digits)["copies"])
    assert set(out) == {"fid", "is", "is_std"} and out["fid"] >= 0 and out["is"] >= 1
    [stats] = tmp_path.glob("digits-train-n20-pytorch-fid-inception-v3-pool3-*.npz")
    prov = evaluator.provenance()["fid"]
    assert prov["n_generated"] == 10 and prov["n_real"] == 20 and prov["real_split"] == "train"
    assert prov["weights_sha256"] == evaluator.extractors["inception"].weights_sha256
    with pytest.raises(IncomparableScores, match="n_generated"):
        check_comparable(prov, {**prov, "n_generated": 5000})
    with pytest.raises(IncomparableScores, match="metric"):
        check_comparable(prov, evaluator.provenance()["is"])


def test_trainer_evaluates_through_the_evaluator(tmp_path):
    from gansweep.trainer import Trainer
    cfg = resolve({"model": {"preset": "AC-WGAN.a", "width": 4, "z_dim": 8},
                   "data": {"name": "digits"}, "train": {"batch_size": 8, "device": "cpu"},
                   "eval": {"samples": 100, "cache_dir": str(tmp_path), "metrics": ["cond_acc", "fid_digits"]}})
    trainer = Trainer(cfg, "cpu")
    out = trainer.evaluate()
    assert set(out) == {"cond_acc", "fid_digits"}
    assert set(trainer.provenance()) == set(out)


def test_building_and_evaluating_leave_the_global_rng_alone(digits_evaluator, digits):
    before = torch.get_rng_state()
    evaluator = digits_evaluator()
    evaluator.evaluate(generators(digits)["copies"])
    assert torch.equal(torch.get_rng_state(), before)


def test_a_run_records_the_provenance_of_its_scores(tmp_path):
    import json
    from gansweep.run import RunDir, run_training
    cfg = resolve({"model": {"preset": "AC-WGAN.a", "width": 4, "z_dim": 8},
                   "data": {"name": "digits"}, "train": {"batch_size": 8, "device": "cpu"},
                   "eval": {"every": 2, "samples": 50, "cache_dir": str(tmp_path / "cache"),
                            "metrics": ["cond_acc", "fid_digits"]}})
    run_training(cfg, tmp_path / "run", 2)
    prov = json.loads(RunDir(tmp_path / "run").provenance.read_text())
    assert set(prov) == {"cond_acc", "fid_digits"}
    assert prov["fid_digits"]["n_generated"] == 50 and prov["fid_digits"]["extractor"].startswith("digits")
