"""Benchmarks (not tests): `make bench`, `make bench-dashboard`."""
