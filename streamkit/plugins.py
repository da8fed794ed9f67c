"""The one plugin manager: built-ins and third-party plugins registered the same way.

Third-party packages declare ``[project.entry-points.streamkit]``. ``STREAMKIT_LOAD_PLUGINS``
(comma-separated entry-point or distribution names) limits which entry-point plugins load; set
but empty, it loads none. Built-ins (:data:`BUILTIN_PLUGINS`) always load.

:func:`notify` fires a hook: every implementation runs on its own daemon thread (named
``streamkit-plugin-NAME``) and all are waited for at most ``STREAMKIT_HOOK_TIMEOUT`` seconds
(default :data:`DEFAULT_HOOK_TIMEOUT`) in total. A plugin that raises is reported; one that hangs
is reported once and skipped until its call returns. Reports go to the ``streamkit`` logger and
to :func:`failures` (the CLI shows them). Registration hooks (``register_*``) go through the same
call (:func:`collect_registrations`, used by :class:`streamkit.registry.Registry`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import logging
import os
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import pluggy

from . import hookspecs
from ._version import __version__
from .hookspecs import PROJECT

__all__ = [
    "BUILTIN_PLUGINS", "DEFAULT_HOOK_TIMEOUT", "ENV_HOOK_TIMEOUT", "ENV_LOAD_PLUGINS", "HookFailure", "PluginInfo",
    "clear_failures", "collect_registrations", "failures", "get_plugin_manager", "hook_timeout", "list_plugins",
    "notify", "record_failure", "register_plugin", "registered", "reset_plugin_manager", "unregister_plugin",
]

log = logging.getLogger("streamkit")

#: Modules registered exactly as entry-point plugins are (one per line: easy to merge).
BUILTIN_PLUGINS = (
    "streamkit.translation.engines",
    "streamkit.viewer_sources",
)

#: Seconds one notification may spend in plugins before a slow one is reported and skipped.
DEFAULT_HOOK_TIMEOUT = 5.0
ENV_LOAD_PLUGINS = "STREAMKIT_LOAD_PLUGINS"
ENV_HOOK_TIMEOUT = "STREAMKIT_HOOK_TIMEOUT"


class HookFailure(NamedTuple):
    """A plugin that raised, hung, or could not be loaded (``hook == "load"``)."""

    plugin: str
    hook: str
    error: str


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin, as ``streamkit plugins`` lists it."""

    name: str
    hooks: tuple[str, ...]
    #: ``built-in``, ``entry point``, ``sink`` or ``registered`` (by code, e.g. a test).
    source: str
    distribution: str | None = None
    version: str | None = None
    #: The entry point's target (``module`` or ``module:attr``).
    target: str | None = None
    #: Hooks the plugin implements that streamkit does not specify (typos, newer streamkit).
    unknown_hooks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


_pm: pluggy.PluginManager | None = None
_lock = threading.RLock()  # the manager, the origins, the failures and the stuck plugins
_origins: dict[str, tuple[str, str | None, str | None, str | None]] = {}  # source, distribution, version, target
_failures: deque[HookFailure] = deque(maxlen=500)


# --------------------------------------------------------------------------- the manager


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allow = os.environ.get(ENV_LOAD_PLUGINS)
    wanted = None if allow is None else {_normalize(n) for n in allow.split(",") if n.strip()}
    matched: set[str] = set()
    for dist in list(importlib.metadata.distributions()):
        dist_name = dist.metadata["Name"] or "?"
        for ep in (ep for ep in dist.entry_points if ep.group == PROJECT):
            hit = set() if wanted is None else wanted & {_normalize(ep.name), _normalize(dist_name)}
            matched |= hit
            if (wanted is not None and not hit) or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue  # not allowed, or the same distribution seen twice on sys.path, or a name taken
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:  # a broken plugin is reported; streamkit still starts
                record_failure(ep.name, "load", f"{_describe(exc)} (from {dist_name} {dist.version})")
                continue
            _origins[ep.name] = ("entry point", dist_name, dist.version, ep.value)
    for name in sorted((wanted or set()) - matched):
        record_failure(name, "load", f"{ENV_LOAD_PLUGINS} names {name!r} but no installed plugin has that name")


def get_plugin_manager() -> pluggy.PluginManager:
    """The one plugin manager; built on first use (built-ins, then entry points)."""
    global _pm
    with _lock:
        if _pm is None:
            pm = pluggy.PluginManager(PROJECT)
            pm.add_hookspecs(hookspecs)
            for name in BUILTIN_PLUGINS:
                pm.register(importlib.import_module(name), name=name)
                _origins[name] = ("built-in", "streamkit", __version__, name)
            _pm = pm  # a plugin importing streamkit while it loads sees this manager (same thread: RLock)
            try:
                _load_entry_points(pm)
            except BaseException:
                _pm = None
                raise
        return _pm


def reset_plugin_manager() -> None:
    """Forget the manager, its failures and its stuck plugins (tests, or after changing the env)."""
    global _pm
    with _lock:
        _pm = None
        _origins.clear()
        _stuck.clear()
        _failures.clear()


def register_plugin(plugin: object, name: str | None = None, *, source: str = "registered") -> str:
    """Register ``plugin`` (a module or an object with ``@hookimpl`` methods); returns its name.

    A name already taken gets a ``-2``, ``-3`` ... suffix.
    """
    pm = get_plugin_manager()
    with _lock:
        base = name or pm.get_canonical_name(plugin)
        final = next(n for n in (base, *(f"{base}-{i}" for i in range(2, 10_000)))
                     if not (pm.has_plugin(n) or pm.is_blocked(n)))
        pm.register(plugin, name=final)
        _origins[final] = (source, None, None, None)
        return final


def unregister_plugin(plugin: object) -> None:
    """Remove ``plugin`` if it is registered (a no-op otherwise)."""
    pm = get_plugin_manager()
    with _lock:
        name = pm.get_name(plugin)
        if name is not None:
            pm.unregister(plugin)
            _origins.pop(name, None)


@contextlib.contextmanager
def registered(plugin: object, name: str | None = None, *, source: str = "registered") -> Iterator[str]:
    """Register ``plugin`` for the duration of a ``with`` block."""
    final = register_plugin(plugin, name, source=source)
    try:
        yield final
    finally:
        unregister_plugin(plugin)


def list_plugins() -> list[PluginInfo]:
    """Every registered plugin: built-ins first, then entry points, sinks and the rest."""
    pm = get_plugin_manager()
    found: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        callers = pm.get_hookcallers(plugin) or []
        source, distribution, version, target = _origins.get(name, ("registered", None, None, None))
        found.append(PluginInfo(name, tuple(sorted(c.name for c in callers)), source, distribution, version, target,
                                tuple(sorted(c.name for c in callers if c.spec is None))))
    order = {"built-in": 0, "entry point": 1, "sink": 2}
    return sorted(found, key=lambda p: (order.get(p.source, 3), p.name))


# --------------------------------------------------------------------------- failures


def record_failure(plugin: str, hook: str, error: str) -> None:
    """Report a plugin's failure: a ``streamkit`` log warning and an entry in :func:`failures`."""
    if hook == "load":
        log.warning("plugin %s could not be loaded: %s", plugin, error)
    else:
        log.warning("plugin %s failed in %s: %s", plugin, hook, error)
    with _lock:
        _failures.append(HookFailure(plugin, hook, error))


def failures() -> list[HookFailure]:
    """What went wrong in plugins in this process so far (the last 500), oldest first."""
    with _lock:
        return list(_failures)


def clear_failures() -> None:
    with _lock:
        _failures.clear()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# --------------------------------------------------------------------------- bounded calls


def hook_timeout() -> float:
    """``STREAMKIT_HOOK_TIMEOUT`` in seconds (``0`` calls plugins inline, unbounded)."""
    raw = os.environ.get(ENV_HOOK_TIMEOUT, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_HOOK_TIMEOUT
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        log.warning("%s=%r is not a number of seconds; using %.1f", ENV_HOOK_TIMEOUT, raw, DEFAULT_HOOK_TIMEOUT)
        return DEFAULT_HOOK_TIMEOUT
    return value


@dataclass
class _Stuck:
    """A plugin whose call outlived its deadline: later notifications skip it until the call returns."""

    hook: str
    since: float
    skipped: int = 0


_stuck: dict[str, _Stuck] = {}
_local = threading.local()


def _invoke(impl: pluggy.HookImpl, hook: str, args: dict[str, Any]) -> bool:
    """Call one implementation (``_local.plugin`` names it meanwhile); ``False`` when it raised."""
    outer, _local.plugin = getattr(_local, "plugin", None), impl.plugin_name
    try:
        impl.function(**args)
    except Exception as exc:
        record_failure(impl.plugin_name, hook, _describe(exc))
        return False
    finally:
        _local.plugin = outer
    return True


class _Call(threading.Thread):
    """One hook implementation's call on a daemon thread (a hung plugin never keeps the process alive)."""

    def __init__(self, impl: pluggy.HookImpl, hook: str, args: dict[str, Any]) -> None:
        super().__init__(name=f"streamkit-plugin-{impl.plugin_name}", daemon=True)
        self.impl, self.hook, self.args, self.done, self.ok = impl, hook, args, False, False

    def run(self) -> None:
        _local.in_hook = True
        ok = _invoke(self.impl, self.hook, self.args)
        with _lock:
            self.ok = ok
            self.done = True
            stuck = _stuck.pop(self.impl.plugin_name, None)
        if stuck is not None:
            log.warning("plugin %s returned from %s %.1f s after its deadline; %d notification(s) were skipped",
                        self.impl.plugin_name, stuck.hook, time.monotonic() - stuck.since, stuck.skipped)

    def mark_stuck(self) -> bool:
        """``True`` (and the plugin marked stuck) unless the call finished meanwhile."""
        with _lock:
            if not self.done:
                _stuck[self.impl.plugin_name] = _Stuck(self.hook, time.monotonic())
            return not self.done


def _skip(plugin_name: str) -> bool:
    with _lock:
        stuck = _stuck.get(plugin_name)
        if stuck is not None:
            stuck.skipped += 1
        return stuck is not None


def notify(hook: str, **kwargs: Any) -> list[str]:
    """Call every implementation of ``hook``; never raises because of a plugin.

    Implementations run concurrently; ``notify`` returns when all have returned or
    :func:`hook_timeout` seconds have passed, with the names of the plugins whose call returned
    in time without raising (in call order). Called from inside a hook implementation (a plugin
    that records a viewer sample, say), the nested notification runs inline, bounded by the outer one.
    """
    impls = [i for i in reversed(getattr(get_plugin_manager().hook, hook).get_hookimpls())
             if not (i.wrapper or i.hookwrapper)]
    limit = hook_timeout()
    deadline = time.monotonic() + limit
    inline = limit <= 0 or getattr(_local, "in_hook", False)
    calls: list[_Call] = []
    ok: list[str] = []
    for impl in impls:
        missing = [name for name in impl.argnames if name not in kwargs]
        if missing:
            record_failure(impl.plugin_name, hook, f"asks for argument {missing[0]!r} that {hook} does not pass")
        elif inline:
            if _invoke(impl, hook, {name: kwargs[name] for name in impl.argnames}):
                ok.append(impl.plugin_name)
        elif _skip(impl.plugin_name):
            log.debug("plugin %s skipped for %s: still inside an earlier hook", impl.plugin_name, hook)
        else:
            calls.append(_Call(impl, hook, {name: kwargs[name] for name in impl.argnames}))
            calls[-1].start()
    for call in calls:
        call.join(max(0.0, deadline - time.monotonic()))
        if call.is_alive() and call.mark_stuck():
            record_failure(call.impl.plugin_name, hook,
                           f"did not return within {limit:g} s ({ENV_HOOK_TIMEOUT}); skipped until it returns")
        with _lock:
            if call.done and call.ok:
                ok.append(call.impl.plugin_name)
    return ok


def collect_registrations(hook: str) -> dict[str, tuple[Callable[..., Any], str]]:
    """Everything registered through a ``register_*`` hook, as ``{name: (factory, description)}``.

    The hook's implementations are called with ``register(name, factory, description="")``
    through :func:`notify`. Only plugins whose call returned in time without raising count: one
    that raises (after registering a few names, say) or answers after the hook timeout is
    reported and registers nothing.
    """
    by_plugin: dict[str | None, dict[str, tuple[Callable[..., Any], str]]] = {}

    def register(name: str, factory: Callable[..., Any], description: str = "") -> None:
        with _lock:
            by_plugin.setdefault(getattr(_local, "plugin", None), {})[name] = (factory, description)

    ok = notify(hook, register=register)
    with _lock:
        return {name: entry for plugin in ok for name, entry in by_plugin.get(plugin, {}).items()}
