"""A content-keyed file cache shared by every trial and node that sees the same directory.

Used for real-data statistics, for the judges trained in-project (datasets read from disk:
the shipped digits judges need no cache) and for PPGN-h's encoder. An entry's file name
carries a readable stem and a digest of its full key (dataset, split, sample count, data
hash, feature extractor and its weights hash, METRICS_VERSION, ...), so changing anything in
the key means a different file, never a stale one; the key is also stored inside and checked
on load.

The directory is a local path or a URI pyarrow understands (s3://, gs://). A sweep puts it
inside its experiment (STORAGE/NAME/.gansweep-cache, gansweep.sweep.tuner.prepare), so the
first trial that needs a judge trains it and every trial on every node reads that one file:
a judge is never trained twice, with different rounding, inside one experiment.

Concurrency: a reader sees a whole entry or none: a local file appears by os.replace of a
finished temp file (also across NFS clients); an object store's single PUT is atomic. The
first trial computes under a lock while the others wait for its file instead of repeating
the work: on a disk a POSIX lock on `<entry>.lock` (where locks are unsupported they all
compute, and the last rename wins); on an object store, which has no locks, a lease object
`<entry>.lease` (see `_lease`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from gansweep.location import Location

DEFAULT_DIR = "~/.cache/gansweep/stats"


def cache_dir(configured: str | None) -> str | Path:
    """eval.cache_dir, else $GANSWEEP_CACHE, else ~/.cache/gansweep/stats; a URI stays one.
    A sweep points it at its experiment's .gansweep-cache, wherever the experiment lives."""
    chosen = configured or os.environ.get("GANSWEEP_CACHE") or DEFAULT_DIR
    return chosen if "://" in chosen else Path(chosen).expanduser()


def key_digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def data_sha256(*arrays) -> str:
    """Hash of array contents (uint8 images, int64 labels): the real data a key refers to."""
    h = hashlib.sha256()
    for a in arrays:
        a = a.detach().cpu().contiguous().numpy() if torch.is_tensor(a) else np.ascontiguousarray(a)
        h.update(f"{a.dtype}{a.shape}".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def entry_name(stem: str, key: dict, suffix: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    return f"{safe}-{key_digest(key)}{suffix}"


def entry_path(directory: str | Path, stem: str, key: dict, suffix: str) -> str:
    return Location(directory).join(entry_name(stem, key, suffix))


def cached_arrays(directory: str | Path | Location, stem: str, key: dict,
                  compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays from the .npz entry for `key`, computing and writing it once if absent."""
    return _cached(_location(directory), entry_name(stem, key, ".npz"), key, compute,
                   _write_npz, _read_npz)


def cached_object(directory: str | Path | Location, stem: str, key: dict,
                  compute: Callable[[], dict]) -> dict:
    """A torch.save-able dict (e.g. a state_dict with metadata) from the .pt entry for `key`."""
    return _cached(_location(directory), entry_name(stem, key, ".pt"), key, compute,
                   _write_pt, _read_pt)


def _location(directory) -> Location:
    return directory if isinstance(directory, Location) else Location(directory)


def _cached(where: Location, name: str, key: dict, compute, write, read):
    found = _try_read(where, name, key, read)
    if found is not None:
        return found
    where.fs.create_dir(where.path, recursive=True)
    lock = _locked(Path(where.join(name + ".lock"))) if where.is_local else _lease(where, name)
    with lock:
        found = _try_read(where, name, key, read)  # another trial may have finished while we waited
        if found is not None:
            return found
        value = compute()
        where.write_bytes(name, write(key, value))
        return value


def _try_read(where: Location, name: str, key: dict, read):
    if not where.exists(name):
        return None
    stored_key, value = read(where.read_bytes(name))
    if stored_key != json.loads(json.dumps(key)):
        # A digest collision or a hand-edited file: recompute rather than trust it.
        return None
    return value


def _write_npz(key: dict, arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, __key__=np.array(json.dumps(key, sort_keys=True)), **arrays)
    return buf.getvalue()


def _read_npz(blob: bytes):
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        key = json.loads(str(z["__key__"]))
        return key, {k: z[k] for k in z.files if k != "__key__"}


def _write_pt(key: dict, obj: dict) -> bytes:
    buf = io.BytesIO()
    torch.save({"key": json.dumps(key, sort_keys=True), "value": obj}, buf)
    return buf.getvalue()


def _read_pt(data: bytes):
    blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    return json.loads(blob["key"]), blob["value"]


@contextlib.contextmanager
def _locked(lock_path: Path):
    try:
        import fcntl
    except ImportError:  # not POSIX: rely on atomic renames alone
        yield
        return
    with open(lock_path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX)
        except OSError:  # filesystems without locks
            yield
            return
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# A lease not renewed for this long is taken over: its holder died. Renewed every quarter of
# it, so a slow store or a busy node does not lose a live lease. Compared across nodes by
# wall clocks: assumes their skew is far below a minute (NTP).
LEASE_TTL_S = 120.0
LEASE_SETTLE_S = 1.0   # between writing a lease and reading it back (a racing writer's PUT lands)
LEASE_POLL_S = 2.0


@contextlib.contextmanager
def _lease(where: Location, name: str):
    """Exclusive, best effort, on a store without locks: write `<name>.lease` with our token
    when none is live, wait, read it back; of writers racing, all read the last one's token
    and only that one proceeds. The others poll until the entry exists or the lease lapses.
    The holder renews the lease from a thread while it computes and deletes it at the end."""
    lease = name + ".lease"
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"

    def holder():
        held = where.read_json(lease) if where.exists(lease) else None
        return held if isinstance(held, dict) and time.time() - held.get("time", 0) < LEASE_TTL_S else None

    while not where.exists(name):
        if holder() is None:
            where.write_json(lease, {"token": token, "time": time.time()})
            time.sleep(LEASE_SETTLE_S)
            if (holder() or {}).get("token") == token:
                break
        time.sleep(LEASE_POLL_S)
    else:  # the entry appeared while we waited: the caller reads it
        yield
        return
    stop = threading.Event()

    def renew():
        while not stop.wait(LEASE_TTL_S / 4):
            where.write_json(lease, {"token": token, "time": time.time()})

    thread = threading.Thread(target=renew, name=f"lease {name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        where.delete(lease)
