"""Benchmarks, one script per figure; each prints its numbers and the ratio it is judged by."""
