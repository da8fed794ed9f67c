"""Tests of streamkit/glossary/, one file per module (test_data.py: the built-in glossary/*.toml)."""
