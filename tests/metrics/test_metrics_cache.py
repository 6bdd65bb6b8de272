"""The shared statistics cache: written once, reused, recomputed when the key changes."""

import multiprocessing
import time

import numpy as np

from gansweep.metrics import cache


def test_writes_once_and_reuses(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"mu": np.arange(3.0), "sigma": np.eye(3)}

    key = {"dataset": "digits", "split": "train", "n": 10, "extractor": "x", "weights_sha256": "ab"}
    first = cache.cached_arrays(tmp_path, "digits-train", key, compute)
    [entry] = list(tmp_path.glob("*.npz"))
    mtime = entry.stat().st_mtime_ns
    second = cache.cached_arrays(tmp_path, "digits-train", dict(key), compute)
    assert len(calls) == 1 and entry.stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(first["sigma"], second["sigma"])
    assert not list(tmp_path.glob("*.tmp"))  # atomic write left no temp file


def test_changed_key_recomputes(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"mu": np.full(2, float(len(calls)))}

    key = {"dataset": "digits", "n": 10, "weights_sha256": "ab"}
    cache.cached_arrays(tmp_path, "s", key, compute)
    for change in ({"n": 11}, {"weights_sha256": "cd"}, {"dataset": "mnist"}):
        cache.cached_arrays(tmp_path, "s", {**key, **change}, compute)
    assert len(calls) == 4 and len(list(tmp_path.glob("*.npz"))) == 4


def test_objects_round_trip(tmp_path):
    import torch
    value = {"state_dict": {"w": torch.arange(4.0)}, "test_accuracy": 0.5}
    out = cache.cached_object(tmp_path, "net", {"k": 1}, lambda: value)
    again = cache.cached_object(tmp_path, "net", {"k": 1}, lambda: 1 / 0)
    assert torch.equal(again["state_dict"]["w"], out["state_dict"]["w"])
    assert again["test_accuracy"] == 0.5


def _concurrent_worker(directory, log):
    def compute():
        with open(log, "a") as f:
            f.write("computed\n")
        time.sleep(0.3)  # long enough for the other process to arrive meanwhile
        return {"mu": np.ones(2)}
    cache.cached_arrays(directory, "shared", {"k": "same"}, compute)


def test_concurrent_trials_compute_once(tmp_path):
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_concurrent_worker, args=(tmp_path / "c", log)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    assert log.read_text().count("computed") == 1
    assert len(list((tmp_path / "c").glob("*.npz"))) == 1


def test_data_hash_sees_content_shape_and_dtype():
    a = np.zeros((2, 3), np.uint8)
    b = a.copy()
    b[1, 2] = 1
    hashes = {cache.data_sha256(a), cache.data_sha256(b), cache.data_sha256(a.reshape(3, 2)),
              cache.data_sha256(a.astype(np.int64))}
    assert len(hashes) == 4
