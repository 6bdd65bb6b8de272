"""The driver's cost of keeping the Optuna journal in a bucket (gansweep.sweep.study).

    python -m benchmarks.study_sync            # 300 configurations, figures at 100/200/300
    python -m benchmarks.study_sync --smoke    # 10 configurations; no record written

Against moto's S3 server on 127.0.0.1 (moto[server], the test extra), a study goes through
the changes the searcher makes for each configuration (an ask, 10 intermediate values, a
tell: 12), each followed by `StudyFile.sync()` as in the driver. Records the bytes uploaded,
the time per sync at each mark and the time to read the study back (a resumed driver's
first step). Target: time per sync flat as the journal grows, bytes uploaded linear in it.
Writes benchmarks/results/study-sync-<date>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import logging
import os
import socket
import time

from benchmarks.common import ROOT, git_commit

CHANGES_PER_CONFIG = 12  # ask, 10 evaluations, tell
PARAMS = ("lr_d", "lr_g", "sharing_lambda", "omega_d", "eta", "classifier_every")  # mtl_lambda's


@contextlib.contextmanager
def moto_bucket(bucket: str = "gansweep-bench"):
    """s3://BUCKET on a moto server on a free port of 127.0.0.1; the AWS variables point this
    process, and every process it starts meanwhile, at it (tests/sweep/test_s3.py too)."""
    import pyarrow.fs as pafs
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "bench",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1",
           # never ask a cloud metadata service for credentials or a region
           "AWS_EC2_METADATA_DISABLED": "true"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        pafs.S3FileSystem(endpoint_override=f"http://127.0.0.1:{port}", region="us-east-1",
                          access_key="bench", secret_key="bench",
                          allow_bucket_creation=True).create_dir(bucket)
        yield f"s3://{bucket}"
    finally:
        server.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def measure(configs: int, marks: list[int]) -> dict:
    import optuna

    from gansweep.location import Location
    from gansweep.sweep.study import StudyFile, load_study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    uploaded = [0]
    write = Location.write_bytes

    def counted(self, name, data):
        uploaded[0] += len(data)
        return write(self, name, data)

    Location.write_bytes = counted
    try:
        with moto_bucket() as bucket:
            where = Location(f"{bucket}/exp").child("study-sync")
            driver = StudyFile(where)
            study = optuna.create_study(storage=driver.storage(), study_name=driver.name,
                                        sampler=optuna.samplers.RandomSampler(seed=0))
            space = {k: optuna.distributions.FloatDistribution(1e-5, 1.0, log=True) for k in PARAMS}
            rows, sync_s, syncs, since = [], 0.0, 0, (0, 0.0)

            def synced():
                nonlocal sync_s, syncs
                t = time.perf_counter()
                driver.sync()
                sync_s += time.perf_counter() - t
                syncs += 1

            for n in range(1, configs + 1):
                trial = study.ask(space)
                synced()
                for step in range(CHANGES_PER_CONFIG - 2):
                    trial.report(float(step), step)
                    synced()
                study.tell(trial, float(n))
                synced()
                if n in marks:
                    rows.append({"configs": n, "journal_mb": os.path.getsize(driver.path) / 1e6,
                                 "uploaded_mb": uploaded[0] / 1e6, "syncs": syncs,
                                 "ms_per_sync": 1e3 * (sync_s - since[1]) / (syncs - since[0])})
                    since = (syncs, sync_s)
                    print(f"{n} configurations: journal {rows[-1]['journal_mb']:.2f} MB, uploaded "
                          f"{rows[-1]['uploaded_mb']:.1f} MB in {syncs} syncs, "
                          f"{rows[-1]['ms_per_sync']:.1f} ms per sync since the last mark", flush=True)
            t = time.perf_counter()
            assert len(load_study(where).trials) == configs
            read_s = time.perf_counter() - t
            print(f"read back: {read_s:.2f} s", flush=True)
    finally:
        Location.write_bytes = write
    return {"changes_per_config": CHANGES_PER_CONFIG, "marks": rows, "read_back_s": read_s}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="10 configurations, no record")
    args = p.parse_args(argv)
    configs, marks = (10, [5, 10]) if args.smoke else (300, [100, 200, 300])
    result = measure(configs, marks)
    if not args.smoke:
        date = datetime.date.today().isoformat()
        out = ROOT / "benchmarks" / "results" / f"study-sync-{date}.json"
        out.write_text(json.dumps({"date": date, "git_commit": git_commit(),
                                   "command": "python -m benchmarks.study_sync", **result}, indent=1))
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
