"""Every benchmark script runs in --smoke mode, so none of them rots between `make bench` runs."""

import json

import pytest
import torch

from benchmarks import memory, overhead, packing, plain_loop, run, scale, throughput
from benchmarks.common import NO_GPU, cifar_like


def test_throughput_smoke_measures_trainer_and_plain_loop():
    (r,) = throughput.run_all(torch.device("cpu"), smoke=True, presets=["AC-WGAN.b"])
    assert r["trainer_it_s"] > 0 and r["plain_it_s"] > 0 and r["ratio_trainer_over_plain"] > 0
    assert r["trainer_switches"] == {"amp": False, "channels_last": False, "optimizer": "foreach",
                                     "compile": False}


def test_plain_loop_trains_the_same_networks():
    loop = plain_loop.from_preset("WGAN", cifar_like(64), "cpu", throughput.SMOKE)
    before = [p.clone() for p in loop.G.parameters()]
    loop.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, loop.G.parameters()))
    assert plain_loop.main(["--smoke"]) == 0


def test_memory_smoke_reports_peak_rss():
    (r,) = memory.run_all("cpu", smoke=True, presets=["WGAN"])
    assert r["peak_rss_mb"] >= r["rss_after_imports_and_data_mb"] > 0
    assert r["cuda_max_allocated_mb"] == NO_GPU


def test_packing_is_recorded_as_not_measured_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: packing measures for real (see test_packing_smoke)")
    assert packing.measure() == {"measured": False, "reason": NO_GPU}


@pytest.mark.slow
def test_packing_smoke_runs_ray_actors():
    r = packing.measure((1, 2), seconds=1.0, smoke=True, device="cpu")
    assert [x["trials"] for x in r["results"]] == [1, 2]
    assert all(x["aggregate_it_s"] > 0 for x in r["results"])


@pytest.mark.slow
def test_overhead_smoke_reads_ray_and_gansweep_clocks():
    r = overhead.run_all(smoke=True)
    assert len(r["trials"]) == 2
    for t in r["trials"]:
        assert 0 < t["train_and_eval_s"] < t["ray_time_total_s"]
        assert 0 < t["overhead_share"] < 1


@pytest.mark.slow
def test_scale_smoke_runs_every_trial_exactly_once_through_node_churn():
    record = scale.run_all([8], smoke=True)
    (r,) = record["runs"]
    assert (record["lost"], record["duplicated"]) == (0, 0)
    assert r["entries"] == r["trial_dirs"] == 8 and r["configurations"] == 4
    assert r["replicate_counts_exact"] and r["not_finished"] == []
    assert r["churn"] == {"at_finished": r["churn"]["at_finished"], "removed": 2, "added": 1,
                          "nodes_after": scale.SMOKE_NODES - 1}
    assert r["searcher_ask"]["calls"] == 4 and r["searcher_tell"]["calls"] == 8
    assert r["ledger_write"]["calls"] >= 1 and r["driver_peak_rss_mb"] > 0
    assert r["status_s"] > 0 and r["collect_s"] > 0 and r["experiment_bytes"] > 0


def test_scale_check_counts_lost_and_duplicated_trials(tmp_path):
    def entry(config, replicate, state="finished"):
        return {"config_id": config, "replicate": replicate, "state": state}
    ledger = {"a": entry(0, 0), "b": entry(0, 1), "c": entry(1, 0), "d": entry(1, 0),
              "e": entry(2, 0, "errored")}
    (tmp_path / "gansweep-trials.json").write_text(json.dumps(ledger))
    r = scale.check_trials(tmp_path, trials=6)
    # (1, 1), (2, 0) (errored) and (2, 1) are missing; (1, 0) ran twice
    assert (r["lost"], r["duplicated"]) == (3, 1)
    assert not r["replicate_counts_exact"] and r["not_finished"] == ["errored"]


@pytest.mark.slow
def test_make_bench_smoke(capsys, monkeypatch):
    """run.py's wiring and table, with eval_speed's smoke run. Throughput, memory and the
    sweep overhead have their own smoke tests above, so their runs are replaced here by
    results of the same shape (they would add minutes to the suite and test nothing new)."""
    trial = {"trial": "t", "ray_time_total_s": 2.0, "train_and_eval_s": 1.0, "overhead_s": 1.0,
             "overhead_share": 0.5}
    monkeypatch.setattr(overhead, "run_all", lambda smoke: {
        "trials": [trial], "sweep_wall_s": 3.0, "parallel_trials": 2,
        "mean_trial_overhead_share": 0.5, "sweep_overhead_share": 0.6})
    monkeypatch.setattr(throughput, "run_all", lambda device, smoke: [{
        "preset": "WGAN", "width": 8, "batch_size": 8, "batch_size_g": 8, "n_critic": 2,
        "trainer_it_s": 2.0, "plain_it_s": 2.1, "ratio_trainer_over_plain": 0.95}])
    monkeypatch.setattr(memory, "run_all", lambda device, smoke: [{
        "preset": "WGAN", "peak_rss_mb": 900.0, "cuda_max_allocated_mb": NO_GPU}])
    monkeypatch.setattr(scale, "run_all", lambda counts, smoke: {"runs": [{
        "trials": 8, "nodes": 2, "wall_s_per_trial": 1.5, "lost": 0, "duplicated": 0,
        "status_s": 0.5, "collect_s": 2.5}]})
    assert run.main(["--smoke"]) == 0
    out = capsys.readouterr().out
    assert "| throughput WGAN" in out and "ratio **0.95**" in out
    assert "| FID eval, 20 samples: gansweep / pytorch-fid" in out
    assert "| scale: 8 trials on 2 simulated nodes" in out and "lost 0, duplicated 0" in out


def test_study_sync_smoke_counts_what_reaches_the_bucket():
    pytest.importorskip("moto.server", reason="moto[server] (the test extra) is not installed")
    from benchmarks import study_sync

    r = study_sync.measure(10, [5, 10])
    assert [m["configs"] for m in r["marks"]] == [5, 10] and r["marks"][-1]["syncs"] == 120
    # a few times the journal, not the journal once per change
    assert r["marks"][-1]["uploaded_mb"] < 6 * r["marks"][-1]["journal_mb"]
