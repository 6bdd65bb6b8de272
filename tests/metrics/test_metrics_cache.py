"""The shared statistics cache: written once, reused, recomputed when the key changes."""

import multiprocessing
import threading
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


class _AtomicPut:
    """The mock store shows a file while it is written; S3's and GCS's single PUT never
    does. Writing to a temporary key and renaming gives the mock that semantics."""

    def write_bytes(self, name, data):
        tmp = f"{name}.{threading.get_ident()}.part"  # racing writers each have their own
        with self.fs.open_output_stream(self.join(tmp)) as f:
            f.write(data)
        self.fs.move(self.join(tmp), self.join(name))


def AtomicPut(uri):
    from gansweep.location import Location

    return type("AtomicPutLocation", (_AtomicPut, Location), {})(uri)


def test_object_store_lease_lets_one_writer_compute(monkeypatch):
    """On a store without locks (here pyarrow's in-memory mock filesystem, shared by threads)
    concurrent trials still compute an entry once: the lease's winner computes, the others
    wait for its file."""
    import threading

    from gansweep.location import Location

    monkeypatch.setattr(cache, "LEASE_SETTLE_S", 0.05)
    monkeypatch.setattr(cache, "LEASE_POLL_S", 0.02)
    where = AtomicPut("mock:///bucket/exp/.gansweep-cache")
    assert not where.is_local
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return {"mu": np.arange(2.0)}

    threads = [threading.Thread(target=lambda: results.append(
        cache.cached_arrays(where, "judge", {"k": 1}, compute))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1 and len(results) == 4
    assert all(np.array_equal(r["mu"], np.arange(2.0)) for r in results)
    assert [n for n in where.listdir() if n.endswith(".lease")] == []  # released


def test_a_stale_lease_is_taken_over(monkeypatch):
    """A holder that died leaves its lease; once it lapses another trial computes."""
    from gansweep.location import Location

    monkeypatch.setattr(cache, "LEASE_SETTLE_S", 0.01)
    monkeypatch.setattr(cache, "LEASE_POLL_S", 0.01)
    where = Location("mock:///bucket/exp2/.gansweep-cache")
    name = cache.entry_name("judge", {"k": 2}, ".npz")
    where.write_json(name + ".lease", {"token": "dead-node", "time": time.time() - cache.LEASE_TTL_S - 1})
    out = cache.cached_arrays(where, "judge", {"k": 2}, lambda: {"mu": np.ones(1)})
    assert out["mu"].tolist() == [1.0]
