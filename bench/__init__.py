"""Benchmarks: `.venv/bin/python -m bench.<module>`."""
