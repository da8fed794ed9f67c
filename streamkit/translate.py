"""Moved: translation lives in :mod:`streamkit.translation`; this path stays for plugins and old imports."""

from .translation import *  # noqa: F403
from .translation import __all__ as __all__
