"""Temporary directories that do not outlive their process, even a killed one.

A Ray trial keeps its checkpoints in a temporary directory (trainables.gan): a `finally`
removes it, but a trial that is killed (SIGKILL, SIGTERM, a lost node, an OOM kill) runs no
`finally`. So each directory carries its owner in its name,

    gansweep-<kind>-<host>-<pid>-<start>-<random>     (host: a hash of the host name,
                                                       start: the pid's start time)

and two things remove it once the owner is gone:

- a watcher: a small detached process, started with the directory, that waits for the
  owner to exit and then deletes the directory (`watch=True`);
- a sweep: every new directory first removes the `gansweep-*` directories on this host whose
  owner is provably dead: no such pid, or a pid with another start time (a reused pid).
  Directories of other hosts (a shared /tmp) and of live owners are never touched.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

NAME_RE = re.compile(r"gansweep-(?P<kind>[a-z]+)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-.+")


def host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone;
    0 where /proc does not exist (then only the pid is compared)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None if Path("/proc/self/stat").exists() else (0 if _alive(pid) else None)
    except OSError:
        return 0
    # Field 3 is the state (Z: exited, not yet reaped) and field 22 the start time; the
    # command name (field 2) may hold spaces, so count after its ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else int(fields[19])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def owner_is_dead(name: str, host: str | None = None) -> bool:
    """True only when `name` is one of ours, of this host, and its owner has certainly exited."""
    m = NAME_RE.fullmatch(name)
    if not m or m["host"] != (host or host_tag()):
        return False
    now = start_time(int(m["pid"]))
    return now is None or (now != 0 and int(m["start"]) != 0 and now != int(m["start"]))


def sweep_orphans(root: str | Path | None = None) -> list[Path]:
    """Remove this host's gansweep temporary directories whose owner is dead; returns them."""
    removed = []
    host = host_tag()
    for d in Path(root or tempfile.gettempdir()).glob("gansweep-*"):
        if d.is_dir() and owner_is_dead(d.name, host):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


def owned_tempdir(kind: str, root: str | Path | None = None, watch: bool = True) -> Path:
    """A new temporary directory named after this process; orphans are swept first."""
    sweep_orphans(root)
    pid = os.getpid()
    path = Path(tempfile.mkdtemp(prefix=f"gansweep-{kind}-{host_tag()}-{pid}-{start_time(pid) or 0}-",
                                 dir=root))
    if watch:
        start_watcher(pid, path)
    return path


# The watcher polls rather than waits: a process cannot wait() for one that is not its child.
_WATCHER = """
import os, shutil, sys, time
pid, path = int(sys.argv[1]), sys.argv[2]
def gone():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # exited, not yet reaped
    except FileNotFoundError:
        return os.path.exists("/proc/self/stat")
    except OSError:
        return False
while os.path.isdir(path):
    if gone():
        shutil.rmtree(path, ignore_errors=True)
        break
    time.sleep(2)
"""


def start_watcher(pid: int, path: Path) -> None:
    # A session of its own: killing the trial's process group does not kill the watcher.
    # It exits by itself once the directory is gone (the owner's own cleanup included).
    subprocess.Popen([sys.executable, "-c", _WATCHER, str(pid), str(path)],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
