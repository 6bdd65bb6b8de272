"""The shipped digits judges: the files are the manifest's, each is accurate on the held-out
writers, they are used without training anything, and one generator gets the same scores on
CPUs with different instruction sets (AVX-512, AVX2, none)."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
import torch

from gansweep.metrics import domain, judges, lenet
from gansweep.metrics.judges import JudgeIntegrityError
from gansweep.run import run_training
from tests.conftest import tiny_config

SHIPPED = (domain.DOMAINS["digits"], lenet.LENET["digits"])
CAPABILITIES = ("avx512", "avx2", "default")
pytestmark = pytest.mark.judge
SCORES = ("fid_digits", "is_digits", "cond_acc", "is_lenet", "acc_lenet")


@pytest.mark.parametrize("spec", SHIPPED, ids=judges.shipped_name)
def test_shipped_judge_is_the_manifests_and_accurate(spec, tmp_path, monkeypatch):
    entry = judges.manifest()[judges.shipped_name(spec)]
    blob = (judges.WEIGHTS / entry["file"]).read_bytes()
    assert hashlib.sha256(blob).hexdigest() == entry["sha256"]
    assert len(blob) < 1_000_000  # a few hundred KB of package data
    monkeypatch.setattr(domain, "train_classifier", lambda *a: pytest.fail("a shipped judge was retrained"))
    ext = domain.load_domain_extractor("digits", tmp_path / "cache", spec=spec)
    assert not (tmp_path / "cache").exists()  # nothing trained, nothing cached
    assert ext.weights_sha256 == entry["state_sha256"]
    # recomputed here, on this CPU's kernels, from the held-out writers
    _, _, xte, yte = domain.training_data("digits")
    acc = domain.accuracy(ext.net, spec, xte, yte)
    assert acc >= 0.97 and acc == pytest.approx(entry["test_accuracy"], abs=2 / len(yte))


def test_a_damaged_weights_file_is_refused(tmp_path, monkeypatch):
    for name in os.listdir(judges.WEIGHTS):
        (tmp_path / name).write_bytes((judges.WEIGHTS / name).read_bytes())
    spec = domain.DOMAINS["digits"]
    victim = tmp_path / judges.manifest()[judges.shipped_name(spec)]["file"]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 1
    victim.write_bytes(bytes(data))
    monkeypatch.setattr(judges, "WEIGHTS", tmp_path)
    with pytest.raises(JudgeIntegrityError, match="sha256"):
        domain.load_domain_extractor("digits", tmp_path / "cache", spec=spec)


def test_other_data_trains_its_own_judge(digits, tmp_path):
    """A shipped judge is only used for the data it was trained on."""
    spec = domain.DOMAINS["digits"]
    short = domain.DomainSpec(**{**spec.__dict__, "recipe": domain.Recipe(1, 64, 1e-3)})
    data = (digits.train[:200], digits.train_labels[:200], digits.test, digits.test_labels)
    ext = domain.load_domain_extractor("digits", tmp_path, data=data, spec=short)
    assert ext.weights_sha256 != judges.manifest()[judges.shipped_name(spec)]["state_sha256"]
    assert list(tmp_path.glob("*.pt"))


@pytest.fixture(scope="module")
def generator_run(tmp_path_factory):
    """A small conditional GAN trained a little on digits: its checkpoint is the generator."""
    out = tmp_path_factory.mktemp("judged") / "run"
    cfg = tiny_config("cGAN.a", **{"model.width": 8, "train.iterations": 60,
                                   "train.checkpoint_every": 60})
    run_training(cfg, out)
    return out


def capabilities_of_this_cpu() -> tuple[str, ...]:
    """The kernel families this CPU can run, best first. torch takes ATEN_CPU_CAPABILITY on
    trust (it reports "AVX512" when asked on an AVX2-only EPYC, and its AVX-512 kernels then
    die of SIGILL), so ask a torch that is not told what to use."""
    env = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"}
    best = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.backends.cpu.get_cpu_capability())"],
        env=env, capture_output=True, text=True, check=True).stdout.strip().lower()
    return CAPABILITIES[CAPABILITIES.index(best):] if best in CAPABILITIES else ("default",)


@pytest.mark.slow
def test_scores_are_the_same_on_every_instruction_set(generator_run, tmp_path):
    """`gansweep eval` of one checkpoint under each ATEN_CPU_CAPABILITY this CPU has (AVX-512,
    AVX2, portable): the same judges (hashes in provenance) and the same scores to 1e-3
    relative."""
    capabilities = capabilities_of_this_cpu()
    if len(capabilities) < 2:
        pytest.skip(f"this CPU runs only {capabilities[0]!r} kernels: nothing to compare")
    results = {}
    for cap in capabilities:
        env = {**os.environ, "ATEN_CPU_CAPABILITY": cap, "GANSWEEP_CACHE": str(tmp_path / cap)}
        out = subprocess.run(
            [sys.executable, "-m", "gansweep.cli", "eval", str(generator_run), "--samples", "2000",
             "--seed", "1", "--metrics", ",".join(SCORES)],
            env=env, capture_output=True, text=True, timeout=300, check=True)
        results[cap] = json.loads(out.stdout.strip().splitlines()[-1])
    ref = results[capabilities[0]]
    for cap, got in results.items():
        for m in SCORES:
            assert got["metrics"][m] == pytest.approx(ref["metrics"][m], rel=1e-3), (cap, m)
            assert got["provenance"][m]["weights_sha256"] == ref["provenance"][m]["weights_sha256"]
    assert 0 < ref["metrics"]["cond_acc"] <= 1 and ref["metrics"]["fid_digits"] > 0
