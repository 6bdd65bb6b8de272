"""Reproducible speed benchmarks (`make bench`); records go to benchmarks/results/."""
