"""The cloud path (issue 16): a sweep whose only storage is an S3 bucket.

moto's S3 server runs on 127.0.0.1 on a free port for this module and is stopped at its end;
pyarrow (gansweep's Location, Ray Tune's storage) reaches it through AWS_ENDPOINT_URL, set
before any Ray process starts so that every worker inherits it. Against s3://BUCKET/exp the
CLI runs a sweep, is killed, resumes, and then status, collect, report and eval read the
experiment from the bucket. Nothing is written outside tmp_path and the bucket.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

from gansweep.cli import main as cli
from gansweep.models.families import smoke_config
from gansweep.sweep.storage import CACHE_DIR, TRIALS_FILE, Location

from .killed import KEEP_ALL

pytest.importorskip("moto.server", reason="moto[server] (the test extra) is not installed")
pytestmark = pytest.mark.slow
REPO = Path(__file__).parents[2]
BUCKET = "gansweep-test"
TINY = {"name": "tiny", "model": "AC-WGAN.a", "data": {"name": "digits"},
        "config": {**smoke_config(), "train.log_every": 2}, "iterations": 12, "eval_every": 6,
        "metric": "fid_digits", "search": {"optim.lr_d": {"loguniform": [1e-4, 1e-3]}},
        "num_samples": 1, "replicates": 2, "max_failures": 3, "resources": {"cpu": 1}}


@pytest.fixture(scope="module")
def s3():
    """s3://BUCKET on a moto server on 127.0.0.1; the AWS variables point every process at it."""
    from benchmarks.study_sync import moto_bucket

    with moto_bucket(BUCKET) as uri:
        yield uri


def gansweep(*argv, timeout=600, **kw):
    return subprocess.run([sys.executable, "-m", "gansweep.cli", *argv], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, **kw)


def ledger(where: Location) -> dict:
    try:
        return where.read_json(TRIALS_FILE, {}) or {}
    except (json.JSONDecodeError, OSError):  # being replaced right now
        return {}


def checkpoints(where: Location, trial_dir: str) -> list[str]:
    trial = where.child(trial_dir)
    return [d for d in trial.subdirs() if d.startswith("checkpoint_")]


def results(where: Location, trial_dir: str) -> list[dict]:
    """A trial's reports as Ray's result.json in the bucket holds them."""
    if not where.exists(f"{trial_dir}/result.json"):
        return []
    return [json.loads(line) for line in where.read_text(f"{trial_dir}/result.json").splitlines()
            if line.strip()]


def test_location_round_trip_on_s3(s3):
    where = Location(f"{s3}/roundtrip").child("a")
    where.write_json("x/y.json", {"k": 1})
    assert where.read_json("x/y.json") == {"k": 1}
    assert where.listdir() == ["x"] and where.subdirs() == ["x"]
    assert not where.is_local


def test_a_study_read_from_the_bucket_leaves_no_local_copy_behind(s3, tmp_path, monkeypatch):
    """A journal on an object store is read through a local copy (gansweep.sweep.study):
    the copy goes when the study object goes, and the driver's working copy at exit."""
    import gc

    from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
    from gansweep.sweep.spec import parse_spec
    from gansweep.sweep.study import load_study

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    where = Location(f"{s3}/studies").child("exp")
    searcher = ReplicatedOptunaSearch(parse_spec({
        "name": "exp", "model": "WGAN", "data": {"name": "digits"}, "metric": "fid_digits",
        "replicates": 1, "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]}}}), where)
    searcher.suggest("a")
    searcher.on_trial_complete("a", {OBJECTIVE: 2.0, "iteration": 10})
    copies = lambda: sorted(tmp_path.glob("gansweep-study-*"))  # noqa: E731
    assert len(copies()) == 1  # the searcher's working copy, uploaded after every change
    study = load_study(where)
    assert [t.value for t in study.trials] == [2.0] and len(copies()) == 2
    del study
    gc.collect()
    assert len(copies()) == 1
    searcher.file.close()
    assert copies() == [] and [t.value for t in load_study(where).trials] == [2.0]


def test_the_journal_goes_to_the_bucket_in_pieces_and_is_read_back_whole(s3, monkeypatch):
    """Each change is uploaded as a piece of its own, not as the whole journal again: the
    bytes uploaded grow with the journal, not with its square; a reader (a resumed driver)
    sees exactly the driver's journal whenever it looks, pieces pending or not."""
    import optuna

    from gansweep.sweep.study import PIECES_DIR, PIECES_MAX, JournalGapError, StudyFile, load_study, read_stored

    uploaded = []
    write = Location.write_bytes
    monkeypatch.setattr(Location, "write_bytes",
                        lambda self, name, data: (uploaded.append(len(data)), write(self, name, data))[1])
    where = Location(f"{s3}/studies").child("pieces")
    driver = StudyFile(where)
    study = optuna.create_study(storage=driver.storage(), study_name=driver.name,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    space = {"lr": optuna.distributions.FloatDistribution(1e-5, 1e-2, log=True)}
    sizes = []  # the journal at each sync: what uploading it whole each time would cost

    def change(fn):
        out = fn()
        driver.sync()
        sizes.append(os.path.getsize(driver.path))
        return out

    for n in range(30):  # 150 changes, as the searcher makes them: ask, reports, tell
        trial = change(lambda: study.ask(space))
        for step in range(3):
            change(lambda: trial.report(float(n + step), step))
        change(lambda: study.tell(trial, float(n)))
        if n % 7 == 3:  # a reader now: exactly the driver's journal, from at most PIECES_MAX pieces
            journal, stored = read_stored(where)
            assert journal == open(driver.path, "rb").read() and stored.pieces <= PIECES_MAX
    assert len(sizes) == 150 and sum(uploaded) <= 6 * sizes[-1] < sum(sizes) / 10, (sum(uploaded), sizes[-1])
    assert [t.value for t in load_study(where).trials] == [float(n) for n in range(30)]

    # A driver killed with pieces pending: the next one reads them and goes on after them.
    assert where.child(PIECES_DIR).listdir()
    resumed = StudyFile(where)
    study = optuna.load_study(study_name=resumed.name, storage=resumed.storage())
    assert len(study.trials) == 30
    study.tell(study.ask(space), 30.0)
    resumed.sync()
    assert [t.value for t in load_study(where).trials] == [float(n) for n in range(31)]

    # Stored whole (the searcher's last tell, close()): the file alone is the journal.
    resumed.close()
    assert where.child(PIECES_DIR).listdir() == []
    whole = where.read_bytes("optuna-study.log")
    assert whole == read_stored(where)[0] and len(load_study(where).trials) == 31

    # Killed between writing the file and removing the pieces: pieces it holds are skipped.
    where.write_bytes(f"{PIECES_DIR}/{len(whole) - 10:016d}", whole[-10:])
    assert read_stored(where)[0] == whole
    # Read while the driver folds: STUDY_FILE read before the fold, the listing after it
    # (only newer pieces): read again, not a gap.
    where.delete(f"{PIECES_DIR}/{len(whole) - 10:016d}")
    where.write_bytes(f"{PIECES_DIR}/{len(whole):016d}", b"")
    reads = []
    read = Location.read_bytes
    monkeypatch.setattr(Location, "read_bytes", lambda self, name: (
        reads.append(name), read(self, name)[:-10] if len(reads) == 1 else read(self, name))[1])
    assert read_stored(where)[0] == whole and reads.count("optuna-study.log") == 2
    monkeypatch.setattr(Location, "read_bytes", read)
    # A piece lost from the middle: nothing past the gap is replayed out of order.
    where.write_bytes(f"{PIECES_DIR}/{len(whole) + 5:016d}", b"x")
    with pytest.raises(JournalGapError, match=f"bytes {len(whole)}-{len(whole) + 5}"):
        load_study(where)


def test_the_last_configuration_told_leaves_the_journal_whole_in_the_bucket(s3):
    """What `aws s3 cp .../optuna-study.log` fetches of a finished sweep is its whole study."""
    from gansweep.sweep.searcher import OBJECTIVE, ReplicatedOptunaSearch
    from gansweep.sweep.spec import parse_spec
    from gansweep.sweep.study import PIECES_DIR

    where = Location(f"{s3}/studies").child("finished")
    searcher = ReplicatedOptunaSearch(parse_spec({
        "name": "finished", "model": "WGAN", "data": {"name": "digits"}, "metric": "fid_digits",
        "num_samples": 3, "replicates": 1, "search": {"optim.lr_d": {"loguniform": [1e-5, 1e-2]}}}), where)
    pending = []
    for n, trial_id in enumerate("abc"):
        searcher.suggest(trial_id)
        for step in (10, 20):
            searcher.on_trial_result(trial_id, {OBJECTIVE: 2.0 + n, "iteration": step})
            pending.append(bool(where.child(PIECES_DIR).listdir()))
        searcher.on_trial_complete(trial_id, {OBJECTIVE: 2.0 + n, "iteration": 20})
    assert any(pending) and where.child(PIECES_DIR).listdir() == [], pending
    assert where.read_bytes("optuna-study.log") == open(searcher.file.path, "rb").read()


def test_sweep_on_s3_killed_resumed_and_read_back(s3, tmp_path, capsys):
    spec_file = tmp_path / "tiny.yaml"
    # One trial: its run, its resumed run and `eval` are the processes that share the bucket's
    # cache here (two trials at once on a cold cache: the two-node test below). Long enough
    # that the kill, a few seconds after the second evaluation is seen, comes before its end
    # on a fast core (~15 iterations/s here); few evaluations, so the rest is quick.
    spec = {**TINY, **KEEP_ALL, "replicates": 1, "iterations": 240, "eval_every": 12}
    spec_file.write_text(yaml.safe_dump(spec))
    storage = f"{s3}/exp"
    where = Location(storage).child("tiny")
    env = {**os.environ, "TUNE_GLOBAL_CHECKPOINT_S": "1", "PYTHONUNBUFFERED": "1"}
    tmp = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())  # the driver's (conftest)
    copies_before = set(tmp.glob("gansweep-study-*"))
    log = (tmp_path / "run.log").open("w")
    driver = subprocess.Popen([sys.executable, "-m", "gansweep.cli", "run", str(spec_file),
                               "--storage", storage, "--progress-every", "2"], cwd=REPO, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    # Kill the driver once the trial is two checkpoints in (Ray's experiment state, which
    # names the checkpoint to restore, is synced to the bucket every second) and none has
    # finished.
    at_kill = {}
    try:
        end = time.monotonic() + 300
        while time.monotonic() < end:
            assert driver.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            entries = ledger(where)
            if (entries and all(e["state"] != "finished" for e in entries.values())
                    and any((e.get("iteration") or 0) >= 2 * spec["eval_every"] for e in entries.values())):
                time.sleep(2)
                at_kill = {d: checkpoints(where, d) for d in where.subdirs()
                           if d != CACHE_DIR and where.exists(f"{d}/params.json")}
                if any(at_kill.values()):
                    break
            time.sleep(1)
        else:
            pytest.fail("no checkpoint in the bucket within 300 s:\n"
                        + (tmp_path / "run.log").read_text()[-3000:])
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
        log.close()
    assert not any(e["state"] == "finished" for e in ledger(where).values())

    resumed = gansweep("resume", where.uri, env=env)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    # the killed driver's working copy of the journal went with it (gansweep.tmpdirs)
    assert set(tmp.glob("gansweep-study-*")) <= copies_before
    entries = list(ledger(where).values())
    assert [e["state"] for e in entries] == ["finished"] and entries[0]["iteration"] == spec["iterations"]
    (tmp_path / "resume.log").write_text(resumed.stdout + resumed.stderr)

    # Checkpoints restored from the bucket: the driver that wrote them is gone, with its
    # Ray session; an unfinished trial that had one continued from it, not from iteration 0.
    had = {d for d, c in at_kill.items() if c}
    restarts = {d: [r for r in results(where, d) if r.get("iterations_since_restore") == 1]
                for d in had}
    assert had and all(any(r["iteration"] > spec["eval_every"] for r in rs)
                       for rs in restarts.values()), (at_kill, {
        d: [(r["iteration"], r.get("iterations_since_restore")) for r in results(where, d)] for d in had})
    assert "from checkpoint: Checkpoint(filesystem=s3" in resumed.stdout + resumed.stderr

    # The readers run in this process (the AWS variables are in its environment): a fresh
    # interpreter each would add seconds of imports and test nothing more.
    capsys.readouterr()
    assert cli(["status", where.uri]) == 0
    assert "finished" in capsys.readouterr().out

    # The metric cache is the bucket's: real statistics written once, read by every trial.
    cache = where.child(CACHE_DIR)
    entries = cache.listdir()
    stats = [n for n in entries if n.startswith("digits-train-") and n.endswith(".npz")]
    assert stats, entries
    assert not [n for n in entries if n.endswith((".lease", ".lock", ".tmp"))], entries
    judges = {}
    for d in at_kill:
        for metric, prov in where.read_json(f"{d}/provenance.json").items():
            judges.setdefault(metric, set()).add(prov["weights_sha256"])
    assert judges and all(len(h) == 1 for h in judges.values()), judges

    assert cli(["collect", where.uri]) == 0
    import pyarrow.parquet as pq
    trials = pq.read_table(where.join("analysis/trials.parquet"), filesystem=where.fs)
    assert trials.num_rows == 1 and set(trials.column("state").to_pylist()) == {"finished"}
    assert where.exists("analysis/evals.parquet") and where.exists("analysis/train.parquet")

    assert cli(["report", where.uri]) == 0
    assert where.exists("report/report.html") and where.exists("report/report.md")

    # eval of a checkpoint in the bucket scores with the statistics cached there.
    before = {n: cache.fs.get_file_info(cache.join(n)).mtime for n in stats}
    trial = sorted(at_kill)[0]
    newest = checkpoints(where, trial)[-1]
    capsys.readouterr()
    assert cli(["eval", f"{where.uri}/{trial}/{newest}", "--seed", "1"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["iteration"] == spec["iterations"] and "fid_digits" in line["metrics"]
    assert {m: {p["weights_sha256"]} for m, p in line["provenance"].items() if m in judges} == \
        {m: h for m, h in judges.items() if m in line["provenance"]}
    assert cache.listdir() == entries  # nothing recomputed, nothing new
    assert {n: cache.fs.get_file_info(cache.join(n)).mtime for n in stats} == before


JUDGE_SCRIPT = """
import dataclasses, hashlib, sys
from gansweep.metrics import domain
spec = dataclasses.replace(domain.DOMAINS["digits"], recipe=domain.Recipe(epochs=1, batch_size=32, lr=1e-3))
xtr, ytr, xte, yte = domain.training_data("digits")
ext = domain.load_domain_extractor("digits", sys.argv[1], data=(xtr[:256], ytr[:256], xte[:64], yte[:64]), spec=spec)
print(ext.weights_sha256)
"""


def test_a_judge_trained_by_one_process_is_read_by_another_from_the_bucket(s3, monkeypatch):
    """A judge that ships with no package (here: trained on a subset, a recipe of one epoch)
    is trained by the first process and written to the bucket's cache; another process finds
    it there and never trains."""
    import dataclasses

    from gansweep.metrics import domain

    uri = f"{s3}/judge/.gansweep-cache"
    first = subprocess.run([sys.executable, "-c", JUDGE_SCRIPT, uri], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    names = Location(uri).listdir()
    assert [n for n in names if n.endswith(".pt")] == names and len(names) == 1, names

    def never(*a, **k):
        raise AssertionError("trained again: the bucket's judge was not found")

    monkeypatch.setattr(domain, "train_classifier", never)
    spec = dataclasses.replace(domain.DOMAINS["digits"],
                               recipe=domain.Recipe(epochs=1, batch_size=32, lr=1e-3))
    xtr, ytr, xte, yte = domain.training_data("digits")
    ext = domain.load_domain_extractor("digits", uri, data=(xtr[:256], ytr[:256], xte[:64], yte[:64]),
                                       spec=spec)
    assert ext.weights_sha256 == first.stdout.strip().splitlines()[-1]


def test_a_two_node_cluster_shares_only_the_bucket(s3, tmp_path):
    """Two Ray nodes (ray.cluster_utils) and no shared disk: trials on both nodes write
    results, checkpoints and the metric cache to the bucket, and score with one judge."""
    import ray
    from ray.cluster_utils import Cluster

    spec_file = tmp_path / "tiny.yaml"
    spec_file.write_text(yaml.safe_dump({**TINY, "name": "two-nodes"}))
    where = Location(f"{s3}/cluster").child("two-nodes")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        done = gansweep("run", str(spec_file), "--address", cluster.address,
                        "--storage", f"{s3}/cluster", "--progress-every", "600")
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    finally:
        ray.shutdown()
        cluster.shutdown()
    entries = list(ledger(where).values())
    assert [e["state"] for e in entries] == ["finished", "finished"]
    trial_dirs = [d for d in where.subdirs() if where.exists(f"{d}/params.json")]
    nodes = {r["node_id"] for d in trial_dirs for r in results(where, d)}
    assert len(nodes) == 2  # 1 CPU per node, 2 trials at once: one on each
    assert all(checkpoints(where, d) for d in trial_dirs)
    assert [n for n in where.child(CACHE_DIR).listdir() if n.startswith("digits-train-")]
    judges = {}
    for d in trial_dirs:
        for metric, prov in where.read_json(f"{d}/provenance.json").items():
            judges.setdefault(metric, set()).add(prov["weights_sha256"])
    assert judges and all(len(h) == 1 for h in judges.values()), judges
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.yaml"]  # nothing on a local disk
