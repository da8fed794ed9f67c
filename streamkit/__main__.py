"""``python -m streamkit``."""

from .cli import main

main()
