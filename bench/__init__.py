"""Benchmarks and load test for CareTeam (``make bench``, ``make loadtest``; docs/performance.md)."""
