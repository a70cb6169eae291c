"""Benchmarks, run on purpose with `make bench`; each figure is set against a baseline
measured in the same run."""
