"""The test suite (a regular package, so `tests.conftest` is ours even where another
distribution installs a top-level `tests`, as torch-fidelity 0.4 does)."""
