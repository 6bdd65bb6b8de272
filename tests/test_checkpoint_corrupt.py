"""A damaged checkpoint is logged, set aside and skipped; the run resumes from the next-newest
one and ends bit-identical to an uninterrupted run (issue 12)."""

import logging

from gansweep import checkpoint as ckpt
from gansweep.run import RunDir, run_training
from tests.conftest import tiny_config
from tests.test_trainer import _assert_bit_identical, _final_state, _metrics_without_time


def _cfg():
    return tiny_config("WGAN", **{"train.checkpoint_every": 2, "train.keep_checkpoints": 3})


def _damage(path, how):
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # one flipped byte: torch may still read it; the digest does not match
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1:])


def test_resume_skips_a_damaged_newest_checkpoint(tmp_path, caplog):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run_training(_cfg(), straight, 6)
    run_training(_cfg(), resumed, 4)  # checkpoints at 2 and 4
    for how in ("truncate", "flip"):
        newest = RunDir(resumed).latest_checkpoint()
        assert newest.name == "ckpt-000000004.pt"
        _damage(newest, how)
        with caplog.at_level(logging.WARNING):
            run_training(_cfg(), resumed, 6)
        assert "skipping checkpoint ckpt-000000004.pt" in caplog.text
        assert "resuming from ckpt-000000002.pt" in caplog.text
        assert (newest.parent / (newest.name + ".corrupt")).exists()
        _assert_bit_identical(_final_state(straight), _final_state(resumed))
        assert _metrics_without_time(straight) == _metrics_without_time(resumed)
        caplog.clear()
        # back to the interrupted state for the second kind of damage
        for p in newest.parent.glob("*.corrupt"):
            p.unlink()
        for it in (6,):
            ckpt.checkpoint_path(newest.parent, it).unlink()
            ckpt.digest_path(ckpt.checkpoint_path(newest.parent, it)).unlink()
        RunDir(resumed).truncate_metrics(4)


def test_no_usable_checkpoint_starts_over(tmp_path, caplog):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    run_training(_cfg(), straight, 4)
    run_training(_cfg(), resumed, 4)
    for p in ckpt.list_checkpoints(RunDir(resumed).checkpoints):
        _damage(p, "truncate")
    with caplog.at_level(logging.WARNING):
        run_training(_cfg(), resumed, 4)
    assert "no usable checkpoint left" in caplog.text
    _assert_bit_identical(_final_state(straight), _final_state(resumed))
    assert _metrics_without_time(straight) == _metrics_without_time(resumed)


def test_every_checkpoint_has_a_matching_digest(tmp_path):
    run_training(_cfg(), tmp_path, 4)
    for p in ckpt.list_checkpoints(RunDir(tmp_path).checkpoints):
        import hashlib
        digest, name = ckpt.digest_path(p).read_text().split()
        assert name == p.name and digest == hashlib.sha256(p.read_bytes()).hexdigest()
