"""The ``streamkit`` command line (Typer + Rich): the only package that prints and exits.

Each module here adds its commands to the one :data:`app`; :func:`main` is the console script.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._app import app, main

# Every public module of this package registers its commands on import.
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]
