"""Sweeps: a YAML spec becomes a Ray Tune experiment searched by Optuna.

    spec.py      the spec: parse, validate (every problem by key path), smoke-test scaling
    space.py     search space -> Optuna distributions and sampler
    searcher.py  replicates of each sampled config; divergence is infeasible for Optuna
    study.py     the Optuna study as a journal file in the experiment directory
    storage.py   the experiment directory on a local disk or a pyarrow URI (s3://, gs://)
    ledger.py    trial states and a compact progress table, written beside Ray's files
    scheduler.py ASHA that halves configurations on their replicates' mean (waits paused)
    tuner.py     spec -> ray.tune.Tuner (run), Tuner.restore (resume)

The trainable itself is `trainables.gan.train_trial`: config dict in, tune.report out.
Nothing else in gansweep imports Ray.
"""
