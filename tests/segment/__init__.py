"""Tests of streamkit/segment/, one file per module (segment() end to end in test_timing.py)."""
