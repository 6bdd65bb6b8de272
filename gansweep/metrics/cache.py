"""A content-keyed file cache shared by every trial and node that sees the same directory.

Used for real-data statistics and for the trained domain classifiers. An entry's file name
carries a readable stem and a digest of its full key (dataset, split, sample count, data
hash, feature extractor and its weights hash, METRICS_VERSION, ...), so changing anything in
the key means a different file, never a stale one; the key is also stored inside and checked
on load.

Concurrency: the file appears only by os.replace of a finished temp file in the same
directory, so a reader sees a whole entry or none (also across NFS clients). A POSIX lock
on `<entry>.lock` makes concurrent trials wait for the first one's computation instead of
repeating it; where locks are unsupported they all compute and the last rename wins, which
is harmless because every writer writes the same content.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

DEFAULT_DIR = "~/.cache/gansweep/stats"


def cache_dir(configured: str | None) -> Path:
    """eval.cache_dir, else $GANSWEEP_CACHE, else ~/.cache/gansweep/stats. A sweep on a
    shared local disk points it at STORAGE/.gansweep-cache so every trial shares one copy."""
    return Path(configured or os.environ.get("GANSWEEP_CACHE") or DEFAULT_DIR).expanduser()


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


def entry_path(directory: str | Path, stem: str, key: dict, suffix: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)
    return Path(directory) / f"{safe}-{key_digest(key)}{suffix}"


def cached_arrays(directory: str | Path, stem: str, key: dict,
                  compute: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Arrays from the .npz entry for `key`, computing and writing it once if absent."""
    path = entry_path(directory, stem, key, ".npz")
    return _cached(path, key, compute, _write_npz, _read_npz)


def cached_object(directory: str | Path, stem: str, key: dict, compute: Callable[[], dict]) -> dict:
    """A torch.save-able dict (e.g. a state_dict with metadata) from the .pt entry for `key`."""
    path = entry_path(directory, stem, key, ".pt")
    return _cached(path, key, compute, _write_pt, _read_pt)


def _cached(path: Path, key: dict, compute, write, read):
    found = _try_read(path, key, read)
    if found is not None:
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_name(path.name + ".lock")):
        found = _try_read(path, key, read)  # another trial may have finished while we waited
        if found is not None:
            return found
        value = compute()
        _atomic_write(path, lambda f: write(f, key, value))
        return value


def _try_read(path: Path, key: dict, read):
    if not path.exists():
        return None
    stored_key, value = read(path)
    if stored_key != json.loads(json.dumps(key)):
        # A digest collision or a hand-edited file: recompute rather than trust it.
        return None
    return value


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_npz(f, key: dict, arrays: dict[str, np.ndarray]) -> None:
    np.savez(f, __key__=np.array(json.dumps(key, sort_keys=True)), **arrays)


def _read_npz(path: Path):
    with np.load(path, allow_pickle=False) as z:
        key = json.loads(str(z["__key__"]))
        return key, {k: z[k] for k in z.files if k != "__key__"}


def _write_pt(f, key: dict, obj: dict) -> None:
    buf = io.BytesIO()
    torch.save({"key": json.dumps(key, sort_keys=True), "value": obj}, buf)
    f.write(buf.getvalue())


def _read_pt(path: Path):
    blob = torch.load(path, map_location="cpu", weights_only=True)
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
