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
in a local temporary directory and, after every change (`sync`), uploads what the change
appended as its own object, EXPERIMENT/optuna-study.log.d/<offset> (named by the byte offset
it starts at); a reader (a resumed driver, `load_study`) takes optuna-study.log and appends
the pieces past its end. Every PIECES_MAX changes, or once the pieces add up to the file's
own size, and when the last configuration is told, the whole journal is written to
optuna-study.log and the pieces removed: a reader fetches at most PIECES_MAX small objects,
and a finished sweep's optuna-study.log is complete on its own. A driver killed mid-rewrite
leaves pieces the file already holds; readers skip them. Uploading the whole file after each
change, as before, cost O(journal) per change; now the whole file's upload is shared by
PIECES_MAX changes (benchmarks/study_sync.py, 300 configurations of 12 changes: 1831 MB ->
30 MB uploaded, 36 -> 20 ms per change at the end, flat). The study's name is the
experiment's name.
"""

from __future__ import annotations

import os
import shutil
import weakref
from dataclasses import dataclass

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

from gansweep.location import Location
from gansweep.tmpdirs import owned_tempdir

STUDY_FILE = "optuna-study.log"
PIECES_DIR = STUDY_FILE + ".d"  # on an object store: the changes since STUDY_FILE was written
PIECES_MAX = 64                 # a reader fetches at most this many of them


class JournalGapError(RuntimeError):
    """The stored journal misses bytes between two of its pieces: nothing after the gap can
    be replayed in order."""


class StudyFile:
    """Where the journal lives and how it reaches the experiment directory. Picklable (it
    travels inside the searcher's state): the open storage is never pickled, only `where`."""

    def __init__(self, where: Location):
        self.where = where
        self.name = os.path.basename(where.path)
        self._local: str | None = None   # the journal this process appends to
        self._storage: JournalStorage | None = None
        self._discard: weakref.finalize | None = None  # removes a remote working copy
        self._stored = Stored()  # on an object store: how much of the working copy is there

    def __getstate__(self):
        return {"where": self.where, "name": self.name}

    def __setstate__(self, state):
        self.__dict__.update(state, _local=None, _storage=None, _discard=None, _stored=Stored())

    @property
    def path(self) -> str:
        """The journal file this process writes: the experiment's own on a local disk."""
        if self._local is None:
            if self.where.is_local:
                os.makedirs(self.where.path, exist_ok=True)
                self._local = self.where.join(STUDY_FILE)
            else:  # a local working copy, seeded from the stored one (a resumed driver)
                # Gone when this object is, or at exit: every change is uploaded already; and
                # when this process is killed (a killed driver's copy was left in /tmp).
                copy = str(owned_tempdir("study"))
                self._discard = weakref.finalize(self, shutil.rmtree, copy, True)
                self._local = os.path.join(copy, STUDY_FILE)
                journal, self._stored = read_stored(self.where)
                with open(self._local, "wb") as f:
                    f.write(journal)
        return self._local

    def storage(self) -> JournalStorage:
        if self._storage is None:
            # The open(O_EXCL) lock: it works on local disks and NFSv3+, and a lock left by a
            # killed driver expires after the grace period instead of blocking a resume.
            path = self.path
            self._storage = JournalStorage(JournalFileBackend(path, JournalFileOpenLock(path)))
        return self._storage

    def sync(self, whole: bool = False) -> None:
        """Store what was appended since the last sync where the experiment lives (nothing to
        do on a local disk): as one more piece, or, when due or `whole`, as the whole file."""
        if self.where.is_local or self._local is None or not os.path.exists(self._local):
            return
        size, stored = os.path.getsize(self._local), self._stored
        if size == stored.size and not (whole and stored.pieces):
            return
        with open(self._local, "rb") as f:
            if whole or stored.pieces >= PIECES_MAX or size - stored.base >= stored.base:
                self.where.write_bytes(STUDY_FILE, f.read(size))
                # Then the pieces: a kill in between leaves pieces the file holds (skipped).
                if stored.pieces:
                    self.where.fs.delete_dir_contents(self.where.join(PIECES_DIR), missing_dir_ok=True)
                self._stored = Stored(size=size, base=size)
            else:
                f.seek(stored.size)
                self.where.write_bytes(piece_name(stored.size), f.read(size - stored.size))
                self._stored = Stored(size=size, base=stored.base, pieces=stored.pieces + 1)

    def close(self) -> None:
        """Forget the open storage; a remote working copy is stored whole and removed."""
        self.sync(whole=True)
        self.discard()

    def discard(self) -> None:
        """Forget the open storage; a remote working copy is removed, not uploaded."""
        if getattr(self, "_discard", None) is not None:
            self._discard()
        self._local, self._storage, self._discard = None, None, None


def load_study(where: Location | str) -> optuna.Study:
    """The experiment's study, read-only use (a copy is fetched from an object store).
    FileNotFoundError when there is none yet: no journal, or one that does not hold the
    study's creation (a sweep that is starting has just opened it)."""
    where = where if isinstance(where, Location) else Location(where)
    f = StudyFile(where)
    if not where.exists(STUDY_FILE):
        raise FileNotFoundError(f"{where.uri}/{STUDY_FILE} does not exist")
    try:
        study = optuna.load_study(study_name=f.name, storage=f.storage())
    except KeyError:  # optuna's "Record does not exist.": no study of that name in the journal
        f.discard()
        raise FileNotFoundError(f"{where.uri}/{STUDY_FILE} holds no study {f.name!r} yet") from None
    weakref.finalize(study, f.discard)  # the fetched copy lives as long as the study
    return study


@dataclass(frozen=True)
class Stored:
    """What an object store holds of a journal: `size` bytes in all, the first `base` of them
    in STUDY_FILE, the rest in `pieces` objects under PIECES_DIR."""
    size: int = 0
    base: int = 0
    pieces: int = 0


def piece_name(offset: int) -> str:
    return f"{PIECES_DIR}/{offset:016d}"  # zero-padded: names sort as offsets do


def read_stored(where: Location, attempts: int = 3) -> tuple[bytes, Stored]:
    """The journal as stored: STUDY_FILE, then each piece's bytes past what is read so far.
    Read while the driver folds the pieces into STUDY_FILE, a piece can vanish between the
    listing and its read, or the listing can show only pieces newer than the STUDY_FILE read
    (a gap): read again; a gap that stays is real."""
    for attempt in range(1, attempts + 1):
        try:
            return _assemble(where)
        except (FileNotFoundError, JournalGapError):
            if attempt == attempts:
                raise


def _assemble(where: Location) -> tuple[bytes, Stored]:
    journal = where.read_bytes(STUDY_FILE) if where.exists(STUDY_FILE) else b""
    base, pieces = len(journal), 0
    for name in where.child(PIECES_DIR).listdir():
        if not name.isdigit():
            continue  # not a piece (an object store's directory marker)
        offset = int(name)
        if offset > len(journal):
            raise JournalGapError(
                f"{where.uri}/{STUDY_FILE}: bytes {len(journal)}-{offset} of the Optuna journal "
                f"are missing (no piece in {PIECES_DIR} starts there); the study can be read up "
                "to the gap by removing the pieces after it")
        piece = where.read_bytes(f"{PIECES_DIR}/{name}")
        if offset + len(piece) > len(journal):
            journal += piece[len(journal) - offset:]
            pieces += 1
    return journal, Stored(size=len(journal), base=base, pieces=pieces)
