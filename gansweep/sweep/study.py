"""The sweep's Optuna study, stored in the experiment directory: EXPERIMENT/optuna-study.log.

A JournalStorage file (optuna.storages.journal.JournalFileBackend): an append-only log of
every ask, report and tell, which `optuna.load_study` and `optuna-dashboard` open as it is:

    optuna-dashboard EXPERIMENT/optuna-study.log
    optuna.load_study(study_name=NAME, storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend("EXPERIMENT/optuna-study.log")))

A journal rather than SQLite: only the driver writes it, appends are cheap, and a driver
killed mid-write leaves at most a torn last line, which the journal reader skips (a SQLite
file on a shared or network disk is the classic way to corrupt one).

On an object store (s3://, gs://) a file cannot be appended to: the driver keeps the journal
in a local temporary directory and uploads the whole file after every change (`sync`); a
resumed driver downloads it first. The study's name is the experiment's name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from gansweep.location import Location

STUDY_FILE = "optuna-study.log"


class StudyFile:
    """Where the journal lives and how it reaches the experiment directory. Picklable (it
    travels inside the searcher's state): the open storage is never pickled, only `where`."""

    def __init__(self, where: Location):
        self.where = where
        self.name = os.path.basename(where.path)
        self._local: str | None = None   # the journal this process appends to
        self._storage: JournalStorage | None = None
        self._discard: weakref.finalize | None = None  # removes a remote working copy

    def __getstate__(self):
        return {"where": self.where, "name": self.name}

    def __setstate__(self, state):
        self.__dict__.update(state, _local=None, _storage=None, _discard=None)

    @property
    def path(self) -> str:
        """The journal file this process writes: the experiment's own on a local disk."""
        if self._local is None:
            if self.where.is_local:
                os.makedirs(self.where.path, exist_ok=True)
                self._local = self.where.join(STUDY_FILE)
            else:  # a local working copy, seeded from the stored one (a resumed driver)
                copy = tempfile.mkdtemp(prefix="gansweep-study-")
                # Gone when this object is, or at exit: every change is uploaded already.
                self._discard = weakref.finalize(self, shutil.rmtree, copy, True)
                self._local = os.path.join(copy, STUDY_FILE)
                if self.where.exists(STUDY_FILE):
                    with open(self._local, "wb") as f:
                        f.write(self.where.read_bytes(STUDY_FILE))
        return self._local

    def storage(self) -> JournalStorage:
        if self._storage is None:
            # The open(O_EXCL) lock: it works on local disks and NFSv3+, and a lock left by a
            # killed driver expires after the grace period instead of blocking a resume.
            path = self.path
            self._storage = JournalStorage(JournalFileBackend(path, JournalFileOpenLock(path)))
        return self._storage

    def sync(self) -> None:
        """Upload the journal where the experiment lives (nothing to do on a local disk)."""
        if not self.where.is_local and self._local is not None and os.path.exists(self._local):
            with open(self._local, "rb") as f:
                self.where.write_bytes(STUDY_FILE, f.read())

    def close(self) -> None:
        """Forget the open storage; a remote working copy is synced and removed."""
        self.sync()
        self.discard()

    def discard(self) -> None:
        """Forget the open storage; a remote working copy is removed, not uploaded."""
        if getattr(self, "_discard", None) is not None:
            self._discard()
        self._local, self._storage, self._discard = None, None, None


def load_study(where: Location | str) -> optuna.Study:
    """The experiment's study, read-only use (a copy is fetched from an object store)."""
    where = where if isinstance(where, Location) else Location(where)
    f = StudyFile(where)
    if not where.exists(STUDY_FILE):
        raise FileNotFoundError(f"{where.uri}/{STUDY_FILE} does not exist")
    study = optuna.load_study(study_name=f.name, storage=f.storage())
    weakref.finalize(study, f.discard)  # the fetched copy lives as long as the study
    return study
