"""What the killed-driver tests share.

Every checkpoint kept (keep_checkpoints): Ray resumes a trial from the newest checkpoint its
last experiment snapshot names, deletes old checkpoints as new ones arrive, and forces a
snapshot only every keep_checkpoints of them, uploaded a moment later. These toy trials
checkpoint every second or faster, so a kill can fall in between and the resumed trial fails
with "does not exist on storage anymore" (seen in each of these tests, on a local disk and on
the moto bucket). Real trials checkpoint at evaluations minutes apart. Retention has its own
test (test_checkpoint_retention.py); the killed-driver tests are about resuming.
"""

KEEP_ALL = {"keep_checkpoints": 1000}
