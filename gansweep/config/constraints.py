"""Field constraints of the config tree: each check returns a message or None.

Split from gansweep.config (which imports these) to keep that file about the tree itself.
"""

from __future__ import annotations

import re
from dataclasses import field

# Every size, count and budget has an upper bound as well: a typo such as a batch of 1e23
# must be refused here, not found by a process that allocates or loops for ever.

MAX_ITERATIONS = 10**9     # any budget or period counted in iterations
MAX_BATCH = 1 << 16
MAX_WIDTH = 1 << 13        # channels or units of one layer
MAX_LAYERS = 256
MAX_SAMPLES = 10**7
MAX_SEED = 2**32 - 1       # NumPy's seed range


def _num(v) -> str:
    return str(v) if isinstance(v, int) else f"{v:g}"


def gt(bound):
    return lambda v: None if v > bound else f"must be > {_num(bound)}, got {_num(v)}"


def ge(bound):
    return lambda v: None if v >= bound else f"must be >= {_num(bound)}, got {_num(v)}"


def within(lo, hi, hi_open=False):
    def check(v):
        ok = lo <= v < hi if hi_open else lo <= v <= hi
        return None if ok else (f"must be in [{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}, "
                                f"got {_num(v)}")
    return check


def positive(hi):
    """(0, hi]: a positive amount with a sensible ceiling."""
    return lambda v: None if 0 < v <= hi else f"must be in (0, {_num(hi)}], got {_num(v)}"


def device_name(v):
    if re.fullmatch(r"auto|cpu|mps|cuda(:\d{1,3})?", v):
        return None
    return f"must be auto, cpu, cuda or cuda:N, got {v!r}"


def each(check):
    def check_all(values):
        for v in values:
            msg = check(v)
            if msg:
                return msg
        return None
    return check_all


def opt(default, check=None, doc=""):
    """A dataclass field with a constraint and a one-line description."""
    return field(default=default, metadata={"check": check, "doc": doc})
