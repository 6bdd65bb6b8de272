"""Live curves (issue 15): a trial's training scalars at every train.log_every and its
evaluations land in TensorBoard event files in its own directory."""

import struct
from pathlib import Path

from gansweep.run import run_training
from trainables.curves import TrialCurves


def read_scalars(directory: Path) -> dict[str, list[tuple[int, float]]]:
    """tag -> [(step, value)] from every event file under `directory` (the TFRecord framing:
    length, its CRC, the Event proto, its CRC), without TensorBoard."""
    from tensorboardX.proto import event_pb2

    out: dict[str, list[tuple[int, float]]] = {}
    for f in sorted(Path(directory).rglob("events.out.tfevents.*")):
        data, pos = f.read_bytes(), 0
        while pos + 12 <= len(data):
            (n,) = struct.unpack("<Q", data[pos:pos + 8])
            event = event_pb2.Event.FromString(data[pos + 12:pos + 12 + n])
            pos += 12 + n + 4
            for v in event.summary.value:
                out.setdefault(v.tag, []).append((event.step, v.simple_value))
    return out


def test_training_scalars_and_evaluations_reach_tensorboard(tiny, tmp_path):
    cfg = tiny("AC-WGAN.a", **{"train.iterations": 6, "train.log_every": 2, "eval.every": 3,
                              "eval.samples": 50, "eval.batch_size": 50,
                              "eval.metrics": ["fid_digits", "cond_acc"]})
    curves = TrialCurves(tmp_path)
    try:
        run_training(cfg, tmp_path, on_log=curves.train,
                     on_eval=lambda it, metrics, path: curves.eval(it, metrics))
    finally:
        curves.close()
    tags = read_scalars(tmp_path)
    for tag in ("train/d_loss", "train/g_loss", "train/wasserstein"):
        assert [step for step, _ in tags[tag]] == [2, 4, 6], tag
    assert [step for step, _ in tags["eval/fid_digits"]] == [3, 6]
    assert 0.0 <= tags["eval/cond_acc"][-1][1] <= 1.0


def test_a_restored_trial_replays_its_log_and_purges_the_old_attempt(tmp_path):
    import json

    from tensorboardX.proto import event_pb2

    log = tmp_path / "metrics.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in [
        {"kind": "train", "iteration": 2, "time": 0.1, "d_loss": -1.0},
        {"kind": "eval", "iteration": 2, "time": 0.2, "fid_digits": 9.0},
        {"kind": "train", "iteration": 4, "time": 0.3, "d_loss": -2.0}]) + '{"kind": "tr')
    curves = TrialCurves(tmp_path, replay=log)
    curves.train(6, {"d_loss": -3.0})
    curves.close()
    assert read_scalars(tmp_path) == {"train/d_loss": [(2, -1.0), (4, -2.0), (6, -3.0)],
                                      "eval/fid_digits": [(2, 9.0)]}
    (f,) = tmp_path.glob("events.out.tfevents.*")
    data, pos, starts = f.read_bytes(), 0, []
    while pos + 12 <= len(data):
        n = int.from_bytes(data[pos:pos + 8], "little")
        e = event_pb2.Event.FromString(data[pos + 12:pos + 12 + n])
        pos += 12 + n + 4
        if e.HasField("session_log"):
            starts.append((e.step, e.session_log.status))
    assert starts == [(0, event_pb2.SessionLog.START)]  # TensorBoard hides older events from step 0
