"""A directory wherever it lives: a local path or a URI pyarrow understands (s3://, gs://,
file://). Experiments (gansweep.sweep.storage) and the shared metric cache
(gansweep.metrics.cache) both live in one, so a sweep on object storage reads and writes
them the same way as on a local or shared disk.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import threading
from pathlib import Path

import pyarrow.fs as pafs

from gansweep.errors import UnsafeNameError

# An experiment name becomes one directory, STORAGE/NAME, on every filesystem pyarrow and
# Ray write to: letters, digits, '.', '_', '-', starting with a letter or digit (so never
# '.', '..' or a hidden name), and short enough for any filesystem.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
FLAT_STORES = ("s3", "gcs")  # pyarrow's type_name of object stores without real directories


def name_problem(name) -> str | None:
    """Why `name` is not a safe experiment name, or None."""
    if isinstance(name, str) and SAFE_NAME.fullmatch(name):
        return None
    shown = repr(name) if len(repr(name)) <= 60 else repr(name)[:57] + "..."
    return (f"{shown} is not a safe experiment name: one path component of letters, digits, "
            "'.', '_' and '-', starting with a letter or digit, at most 128 characters")


def read_jsonl(text: str) -> list[dict]:
    """One JSON object per line (Ray's result.json, gansweep's metrics.jsonl); a line that does
    not parse (still being written, or torn by a kill) is skipped."""
    out = []
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


class Location:
    """A directory on a pyarrow filesystem: text and JSON reads and atomic-enough writes."""

    def __init__(self, uri: str | Path):
        uri = str(uri)
        if "://" in uri:
            self.fs, self.path = pafs.FileSystem.from_uri(uri)
            self.uri = uri.rstrip("/")
        else:
            local = Path(uri).expanduser().resolve()
            self.fs, self.path, self.uri = pafs.LocalFileSystem(), local.as_posix(), local.as_posix()

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    def join(self, *parts: str) -> str:
        return posixpath.join(self.path, *parts)

    def experiment(self, name: str) -> "Location":
        """STORAGE/NAME; a name that could leave STORAGE is refused here, whoever asks."""
        if name_problem(name):
            raise UnsafeNameError([f"name: {name_problem(name)}"], "invalid experiment name")
        return self.child(name)

    def child(self, name: str) -> "Location":
        loc = object.__new__(Location)
        loc.fs, loc.path = self.fs, self.join(name)
        loc.uri = f"{self.uri}/{name}"
        return loc

    def exists(self, name: str = "") -> bool:
        return self.fs.get_file_info(self.join(name) if name else self.path).type != pafs.FileType.NotFound

    def read_bytes(self, name: str) -> bytes:
        with self.fs.open_input_stream(self.join(name)) as f:
            return f.read()

    def read_text(self, name: str) -> str:
        return self.read_bytes(name).decode()

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode())

    def write_bytes(self, name: str, data: bytes) -> None:
        """Write to a temporary name, then move: readers never see half a file (object
        stores have no rename; their single PUT is atomic already). The temporary name is
        this process's own, so concurrent writers never share one."""
        target = self.join(name)
        # S3's and GCS's directories are their keys' prefixes: nothing to create first (a
        # request of its own, half the time of a small write). Other filesystems need them.
        if self.fs.type_name not in FLAT_STORES:
            self.fs.create_dir(posixpath.dirname(target), recursive=True)
        if not self.is_local:
            with self.fs.open_output_stream(target) as f:
                f.write(data)
            return
        tmp = f"{target}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with self.fs.open_output_stream(tmp) as f:
                f.write(data)
            self.fs.move(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                self.fs.delete_file(tmp)
            raise

    def delete(self, name: str) -> None:
        try:
            self.fs.delete_file(self.join(name))
        except FileNotFoundError:
            pass

    def read_json(self, name: str, default=None):
        return json.loads(self.read_text(name)) if self.exists(name) else default

    def write_json(self, name: str, value) -> None:
        self.write_text(name, json.dumps(value, indent=1, sort_keys=True, default=str))

    def listdir(self) -> list[str]:
        if not self.exists():
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(self.path))
        return sorted(posixpath.basename(i.path) for i in infos)

    def subdirs(self) -> list[str]:
        infos = self.fs.get_file_info(pafs.FileSelector(self.path)) if self.exists() else []
        return sorted(posixpath.basename(i.path) for i in infos if i.type == pafs.FileType.Directory)

    def download(self, name: str, local: Path) -> Path:
        """A file of this location on the local disk (itself when the location is local)."""
        if self.is_local:
            return Path(self.join(name))
        local.parent.mkdir(parents=True, exist_ok=True)
        pafs.copy_files(self.join(name), str(local), source_filesystem=self.fs,
                        destination_filesystem=pafs.LocalFileSystem())
        return local

    def __str__(self) -> str:
        return self.uri
