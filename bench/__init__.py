"""Benchmarks. Each `bench/<name>.py` runs as `python -m bench.<name>`, prints a table and writes
JSON to `out/bench/<name>.json`. `python -m bench` (make bench) runs them all."""
