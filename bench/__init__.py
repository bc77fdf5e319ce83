"""Benchmarks, run on demand with `make bench`; each prints ratios against a baseline from the same run."""
