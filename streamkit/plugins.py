"""The one plugin manager: built-ins and third-party plugins registered the same way.

Third-party packages declare ``[project.entry-points.streamkit]``. ``STREAMKIT_LOAD_PLUGINS``
(comma-separated plugin names) limits which entry-point plugins load; empty loads none.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from typing import Any

import pluggy

from . import hookspecs

__all__ = ["BUILTIN_PLUGINS", "get_plugin_manager", "notify", "reset_plugin_manager"]

log = logging.getLogger("streamkit")

#: Modules registered exactly as entry-point plugins are.
BUILTIN_PLUGINS = ("streamkit.engines", "streamkit.textengines")

_pm: pluggy.PluginManager | None = None
_pm_lock = threading.Lock()


def _make() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("streamkit")
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    allow = os.environ.get("STREAMKIT_LOAD_PLUGINS")
    if allow is None:
        pm.load_setuptools_entrypoints("streamkit")
    else:
        wanted = {n.strip() for n in allow.split(",") if n.strip()}
        for name in sorted(wanted):
            pm.load_setuptools_entrypoints("streamkit", name=name)
    return pm


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    with _pm_lock:
        if _pm is None:
            _pm = _make()
        return _pm


def reset_plugin_manager() -> None:
    """Forget the manager (tests, or after changing ``STREAMKIT_LOAD_PLUGINS``)."""
    global _pm
    with _pm_lock:
        _pm = None


def notify(hook: str, **kwargs: Any) -> None:
    """Call every implementation of notification ``hook``; a plugin that raises is reported, not fatal."""
    pm = get_plugin_manager()
    caller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():
        try:
            impl.function(**{k: kwargs[k] for k in impl.argnames})
        except Exception as exc:
            log.warning("plugin %s failed in %s: %s: %s", impl.plugin_name, hook, type(exc).__name__, exc)
