"""Trial temporary directories are removed when their process dies, even by SIGKILL, and a
later run sweeps up those whose owner is provably dead (issue 12)."""

import os
import subprocess
import sys
import time

from gansweep import tmpdirs


def test_sweep_removes_only_dead_owners_on_this_host(tmp_path):
    me, host = os.getpid(), tmpdirs.host_tag()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    names = {
        "dead": f"gansweep-ckpt-{host}-{dead.pid}-1-abc",
        "reused_pid": f"gansweep-ckpt-{host}-{me}-1-abc",  # my pid, another start time
        "alive": f"gansweep-ckpt-{host}-{me}-{tmpdirs.start_time(me)}-abc",
        "other_host": f"gansweep-ckpt-00000000-{dead.pid}-1-abc",
        "not_ours": "gansweep-something-else",
    }
    for n in names.values():
        (tmp_path / n).mkdir()
    removed = {p.name for p in tmpdirs.sweep_orphans(tmp_path)}
    assert removed == {names["dead"], names["reused_pid"]}
    assert all((tmp_path / names[k]).exists() for k in ("alive", "other_host", "not_ours"))


def test_a_killed_owner_s_directory_is_removed_by_its_watcher(tmp_path):
    code = ("import sys, time; from gansweep.tmpdirs import owned_tempdir; "
            f"d = owned_tempdir('ckpt', root={str(tmp_path)!r}); (d / 'ckpt-1.pt').write_bytes(b'x'); "
            "print(d, flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            cwd=os.getcwd())
    d = proc.stdout.readline().strip()
    assert os.path.isdir(d)
    proc.kill()
    proc.wait()
    deadline = time.time() + 15
    while os.path.isdir(d) and time.time() < deadline:
        time.sleep(0.2)
    assert not os.path.isdir(d)
