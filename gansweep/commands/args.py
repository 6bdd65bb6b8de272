"""argparse types the commands share: bounded integers and device names, so a bad option
is argparse's usage error (exit 2) before anything runs."""

from __future__ import annotations

import argparse


def bounded_int(lo: int, hi: int):
    """An argparse type: an integer in [lo, hi], else argparse's usage error (exit 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be in [{lo}, {hi}], got {value}")
        return value
    return parse


def device_arg(text: str) -> str:
    """An argparse type: a device name as train.device accepts it."""
    from gansweep.config.constraints import device_name
    problem = device_name(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text
