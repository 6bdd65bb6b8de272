"""Checkpoint files: atomic writes, a checksum each, every RNG state, newest-first discovery.

A checkpoint holds everything needed to continue bit-for-bit on the same device: the task's
networks, optimizers, schedulers, iteration and data position (task.state_dict()), every
global RNG (Python, NumPy, torch CPU and CUDA) and the resolved config.

Beside each `ckpt-N.pt` lies `ckpt-N.pt.sha256` (`sha256sum -c` reads it). Atomic renames
protect against our own crashes, not against a disk, a copy or a sync that cuts or flips a
file later; the digest catches those. `load_newest` skips an unreadable checkpoint or one
whose digest fails, logs its name, moves it aside (`.corrupt`) and takes the next-newest.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import random
import re
import tempfile
from pathlib import Path

import numpy as np
import torch

CKPT_RE = re.compile(r"ckpt-(\d+)\.pt$")
DIGEST_SUFFIX = ".sha256"
log = logging.getLogger(__name__)


class CorruptCheckpoint(Exception):
    """A checkpoint file that cannot be used: unreadable, cut short, or its digest fails."""


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(),
             "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def preserved_rng():
    """Run the block (an evaluation) without moving any global RNG: a run evaluated at
    iteration k continues exactly as one that was not."""
    state = rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def modules_state(named: dict) -> dict:
    """{name: state_dict()} of networks, optimizers or schedulers: a task's checkpoint part."""
    return {name: m.state_dict() for name, m in named.items()}


def load_modules_state(named: dict, states: dict) -> None:
    """The inverse of modules_state: every named module must have its entry."""
    for name, m in named.items():
        m.load_state_dict(states[name])


def _atomic_write(data: bytes, path: Path) -> None:
    """Write to a temp file in the same directory, then rename: never a torn file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest_path(path: str | Path) -> Path:
    return Path(str(path) + DIGEST_SUFFIX)


def atomic_save(obj, path: str | Path) -> Path:
    """torch.save `obj` atomically, with its sha256 beside it. The digest is written first,
    so a checkpoint never exists without one (a digest without its file is harmless)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    data = buffer.getvalue()
    _atomic_write(f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode(), digest_path(path))
    _atomic_write(data, path)
    return path


def load(path: str | Path, map_location="cpu") -> dict:
    """A checkpoint's state, after checking its digest; CorruptCheckpoint when unusable.
    A file without a digest (written before digests existed) is trusted if it loads."""
    path = Path(path)
    try:
        data = path.read_bytes()
        digest = digest_path(path)
        if digest.exists():
            expected = digest.read_text().split()[0] if digest.read_text().strip() else ""
            if hashlib.sha256(data).hexdigest() != expected:
                raise CorruptCheckpoint(f"{path}: sha256 does not match {digest.name}")
        # weights_only=False: checkpoints hold RNG states (numpy arrays, tuples); they are
        # our own files, never downloaded.
        state = torch.load(io.BytesIO(data), map_location=map_location, weights_only=False)
    except CorruptCheckpoint:
        raise
    except Exception as err:  # torch/zip/pickle raise many types for a cut or garbled file
        raise CorruptCheckpoint(f"{path}: unreadable ({type(err).__name__}: "
                                f"{str(err).splitlines()[0] if str(err) else ''})") from err
    if not isinstance(state, dict):
        raise CorruptCheckpoint(f"{path}: not a gansweep checkpoint")
    return state


def load_newest(directory: str | Path, map_location="cpu", required: tuple[str, ...] = ("task", "rng"),
                set_aside: bool = True) -> tuple[Path, dict] | None:
    """(path, state) of the newest usable checkpoint in `directory`, or None. Each unusable
    one is logged by name and moved aside to NAME.corrupt (kept for inspection; out of the
    way of pruning and of the next resume)."""
    for path in reversed(list_checkpoints(directory)):
        try:
            state = load(path, map_location)
            missing = [k for k in required if k not in state]
            if missing:
                raise CorruptCheckpoint(f"{path}: not a gansweep checkpoint (no {', '.join(missing)})")
            return path, state
        except CorruptCheckpoint as err:
            log.warning("skipping checkpoint %s: %s", path.name, err)
            if set_aside:
                quarantine(path)
    return None


def quarantine(path: Path) -> None:
    try:
        os.replace(path, path.with_name(path.name + ".corrupt"))
        digest_path(path).unlink(missing_ok=True)
    except OSError:
        pass  # a read-only copy: skipping it is enough


def checkpoint_path(directory: str | Path, iteration: int) -> Path:
    return Path(directory) / f"ckpt-{iteration:09d}.pt"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoints in `directory`, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := CKPT_RE.search(p.name))]
    return [p for _, p in sorted(found)]


def prune(directory: str | Path, keep: int) -> None:
    for old in list_checkpoints(directory)[:-keep]:
        old.unlink(missing_ok=True)
        digest_path(old).unlink(missing_ok=True)
