"""The trainable's module stays light: Tune unpickles it in every actor it starts, also in
those it discards when it reuses a finished trial's actor instead (one per trial)."""

import subprocess
import sys


def test_importing_the_trainable_loads_neither_torch_nor_the_training_code():
    code = ("import sys, trainables.gan; "
            "print(sorted(m for m in ('torch', 'gansweep.run', 'gansweep.trainer') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
