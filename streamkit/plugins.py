"""The one plugin manager: built-ins and third-party plugins registered the same way.

Third-party packages declare ``[project.entry-points.streamkit]``. ``STREAMKIT_LOAD_PLUGINS``
(comma-separated entry-point or distribution names) limits which entry-point plugins load; set
but empty, it loads none. Built-ins (:data:`BUILTIN_PLUGINS`) always load: they carry the
default translation engine and viewer sources.

:func:`notify` is how streamkit fires a notification hook. Each plugin gets one daemon worker
thread; every implementation is called there and waited for at most ``STREAMKIT_HOOK_TIMEOUT``
seconds (default :data:`DEFAULT_HOOK_TIMEOUT`) in total per notification. A plugin that raises
is reported; a plugin that hangs is reported once and skipped until its call returns. Neither
stops or delays a run beyond that bound. Reports go to ``logging.getLogger("streamkit")`` and to
:func:`failures` so the CLI can show them.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import logging
import os
import queue
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, NamedTuple

import pluggy

from . import hookspecs
from .hookspecs import PROJECT

__all__ = [
    "BUILTIN_PLUGINS",
    "DEFAULT_HOOK_TIMEOUT",
    "HookFailure",
    "PluginInfo",
    "clear_failures",
    "collect_registrations",
    "failures",
    "get_plugin_manager",
    "hook_timeout",
    "list_plugins",
    "notify",
    "record_failure",
    "register_plugin",
    "registered",
    "reset_plugin_manager",
    "unregister_plugin",
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

#: A worker thread with nothing to do for this long ends (a new one starts on demand).
_WORKER_IDLE_S = 30.0
_MAX_FAILURES = 500


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
        return {
            "name": self.name,
            "hooks": list(self.hooks),
            "source": self.source,
            "distribution": self.distribution,
            "version": self.version,
            "target": self.target,
            "unknown_hooks": list(self.unknown_hooks),
        }


@dataclass(frozen=True)
class _Origin:
    source: str
    distribution: str | None = None
    version: str | None = None
    target: str | None = None


_pm: pluggy.PluginManager | None = None
_pm_lock = threading.RLock()
_origins: dict[str, _Origin] = {}
_failures: deque[HookFailure] = deque(maxlen=_MAX_FAILURES)
_failures_lock = threading.Lock()


# --------------------------------------------------------------------------- the manager


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    allow = os.environ.get(ENV_LOAD_PLUGINS)
    wanted = None if allow is None else {_normalize(n.strip()) for n in allow.split(",") if n.strip()}
    matched: set[str] = set()
    for dist in list(importlib.metadata.distributions()):
        eps = [ep for ep in dist.entry_points if ep.group == PROJECT]
        if not eps:
            continue
        dist_name = dist.metadata["Name"] or "?"
        for ep in eps:
            if wanted is not None:
                hit = wanted & {_normalize(ep.name), _normalize(dist_name)}
                if not hit:
                    continue
                matched |= hit
            if pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue  # the same distribution seen twice on sys.path, or a name taken
            try:
                plugin = ep.load()
                pm.register(plugin, name=ep.name)
            except Exception as exc:  # a broken plugin is reported; streamkit still starts
                record_failure(ep.name, "load", f"{type(exc).__name__}: {exc} (from {dist_name} {dist.version})")
                continue
            _origins[ep.name] = _Origin("entry point", dist_name, dist.version, ep.value)
    for name in sorted((wanted or set()) - matched):
        record_failure(name, "load", f"{ENV_LOAD_PLUGINS} names {name!r} but no installed plugin has that name")


def _make() -> pluggy.PluginManager:
    global _pm
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
        _origins[name] = _Origin("built-in", "streamkit", _streamkit_version(), name)
    _pm = pm  # a plugin importing streamkit while it loads sees this manager (same thread: RLock)
    try:
        _load_entry_points(pm)
    except BaseException:
        _pm = None
        raise
    return pm


def _streamkit_version() -> str:
    from . import __version__

    return __version__


def get_plugin_manager() -> pluggy.PluginManager:
    """The one plugin manager; built on first use (built-ins, then entry points)."""
    with _pm_lock:
        if _pm is None:
            return _make()
        return _pm


def reset_plugin_manager() -> None:
    """Forget the manager, its workers and its failures (tests, or after changing the env)."""
    global _pm
    with _pm_lock:
        _pm = None
        _origins.clear()
        with _workers_lock:
            for worker in _workers.values():
                worker.stop()
            _workers.clear()
    clear_failures()


def register_plugin(plugin: object, name: str | None = None, *, source: str = "registered") -> str:
    """Register ``plugin`` (a module or an object with ``@hookimpl`` methods); returns its name.

    A name already taken gets a ``-2``, ``-3`` ... suffix.
    """
    pm = get_plugin_manager()
    with _pm_lock:
        base = name or pm.get_canonical_name(plugin)
        final, n = base, 1
        while pm.has_plugin(final) or pm.is_blocked(final):
            n += 1
            final = f"{base}-{n}"
        pm.register(plugin, name=final)
        _origins[final] = _Origin(source)
        return final


def unregister_plugin(plugin: object) -> None:
    """Remove ``plugin`` if it is registered (a no-op otherwise)."""
    pm = get_plugin_manager()
    with _pm_lock:
        name = pm.get_name(plugin)
        if name is None:
            return
        pm.unregister(plugin)
        _origins.pop(name, None)


def list_plugins() -> list[PluginInfo]:
    """Every registered plugin: built-ins first, then entry points, sinks and the rest."""
    pm = get_plugin_manager()
    order = {"built-in": 0, "entry point": 1, "sink": 2}
    found: list[PluginInfo] = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        callers = pm.get_hookcallers(plugin) or []
        origin = _origins.get(name, _Origin("registered"))
        found.append(
            PluginInfo(
                name=name,
                hooks=tuple(sorted(c.name for c in callers)),
                source=origin.source,
                distribution=origin.distribution,
                version=origin.version,
                target=origin.target,
                unknown_hooks=tuple(sorted(c.name for c in callers if c.spec is None)),
            )
        )
    return sorted(found, key=lambda p: (order.get(p.source, 3), p.name))


# --------------------------------------------------------------------------- failures


def record_failure(plugin: str, hook: str, error: str) -> None:
    """Report a plugin's failure: a ``streamkit`` log warning and an entry in :func:`failures`."""
    if hook == "load":
        log.warning("plugin %s could not be loaded: %s", plugin, error)
    else:
        log.warning("plugin %s failed in %s: %s", plugin, hook, error)
    with _failures_lock:
        _failures.append(HookFailure(plugin, hook, error))


def failures() -> list[HookFailure]:
    """What went wrong in plugins in this process so far (the last 500), oldest first."""
    with _failures_lock:
        return list(_failures)


def clear_failures() -> None:
    with _failures_lock:
        _failures.clear()


# --------------------------------------------------------------------------- bounded calls


def hook_timeout() -> float:
    """``STREAMKIT_HOOK_TIMEOUT`` in seconds (``0`` calls plugins inline, unbounded)."""
    raw = os.environ.get(ENV_HOOK_TIMEOUT, "").strip()
    if not raw:
        return DEFAULT_HOOK_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0 or value == float("inf"):
        log.warning("%s=%r is not a number of seconds; using %.1f", ENV_HOOK_TIMEOUT, raw, DEFAULT_HOOK_TIMEOUT)
        return DEFAULT_HOOK_TIMEOUT
    return value


_Job = tuple[Future[Any], Callable[..., Any], dict[str, Any]]
_local = threading.local()


class _Worker:
    """One daemon thread per plugin: its hook calls run there, one at a time, in order.

    The thread ends after :data:`_WORKER_IDLE_S` idle seconds; being a daemon, a hung plugin
    never keeps the process alive at exit.
    """

    def __init__(self, plugin_name: str, plugin: object) -> None:
        self.plugin_name = plugin_name
        self.plugin = plugin
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stuck_in: str | None = None
        self._stuck_since = 0.0
        self._skipped = 0

    def submit(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            self._queue.put((future, fn, kwargs))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=f"streamkit-plugin-{self.plugin_name}", daemon=True
                )
                self._thread.start()
        return future

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        _local.in_worker = True
        while True:
            try:
                job = self._queue.get(timeout=_WORKER_IDLE_S)
            except queue.Empty:
                job = None
            if job is None:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            future, fn, kwargs = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(**kwargs)
            except BaseException as exc:  # reported by notify() in the caller's thread
                future.set_exception(exc)
            else:
                future.set_result(result)
            self._recovered()

    # A call that outlives its deadline marks the worker stuck: later notifications skip this
    # plugin (instead of queueing behind the hung call) until the call returns.

    def is_stuck(self) -> bool:
        with self._lock:
            if self._stuck_in is not None:
                self._skipped += 1
                return True
            return False

    def mark_stuck(self, future: Future[Any], hook: str) -> bool:
        """Mark stuck unless ``future`` finished meanwhile; ``True`` if it is stuck now."""
        with self._lock:
            if future.done():
                return False
            self._stuck_in = hook
            self._stuck_since = time.monotonic()
            self._skipped = 0
            return True

    def _recovered(self) -> None:
        with self._lock:
            if self._stuck_in is None:
                return
            hook, waited, skipped = self._stuck_in, time.monotonic() - self._stuck_since, self._skipped
            self._stuck_in = None
        log.warning("plugin %s returned from %s %.1f s after its deadline; %d notification(s) were skipped",
                    self.plugin_name, hook, waited, skipped)


_workers: dict[str, _Worker] = {}
_workers_lock = threading.Lock()


def _worker_for(plugin_name: str, plugin: object) -> _Worker:
    with _workers_lock:
        worker = _workers.get(plugin_name)
        if worker is None or worker.plugin is not plugin:
            if worker is not None:
                worker.stop()
            worker = _workers[plugin_name] = _Worker(plugin_name, plugin)
        return worker


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _arguments(impl: Any, hook: str, kwargs: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return {name: kwargs[name] for name in impl.argnames}
    except KeyError as exc:
        record_failure(impl.plugin_name, hook, f"asks for argument {exc.args[0]!r} that {hook} does not pass")
        return None


def notify(hook: str, **kwargs: Any) -> None:
    """Call every implementation of notification ``hook``; never raises because of a plugin.

    Implementations run concurrently, each on its plugin's worker thread; ``notify`` returns when
    all have returned or :func:`hook_timeout` seconds have passed, whichever is first. A plugin
    that raised is reported; one still running is reported once and skipped by later
    notifications until it returns. Called from inside a hook implementation (a plugin that
    records a viewer sample, say), the nested notification runs inline, bounded by the outer one.
    """
    pm = get_plugin_manager()
    caller = getattr(pm.hook, hook)
    impls = [i for i in reversed(caller.get_hookimpls()) if not (i.wrapper or i.hookwrapper)]
    if not impls:
        return
    limit = hook_timeout()
    if limit <= 0 or getattr(_local, "in_worker", False):
        for impl in impls:
            args = _arguments(impl, hook, kwargs)
            if args is None:
                continue
            try:
                impl.function(**args)
            except Exception as exc:
                record_failure(impl.plugin_name, hook, _describe(exc))
        return

    deadline = time.monotonic() + limit
    calls: list[tuple[Any, _Worker, Future[Any]]] = []
    for impl in impls:
        worker = _worker_for(impl.plugin_name, impl.plugin)
        if worker.is_stuck():
            log.debug("plugin %s skipped for %s: still inside an earlier hook", impl.plugin_name, hook)
            continue
        args = _arguments(impl, hook, kwargs)
        if args is not None:
            calls.append((impl, worker, worker.submit(impl.function, args)))
    for impl, worker, future in calls:
        try:
            raised = future.exception(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            if worker.mark_stuck(future, hook):
                record_failure(impl.plugin_name, hook,
                               f"did not return within {limit:g} s ({ENV_HOOK_TIMEOUT}); "
                               "skipped until it returns")
                continue
            raised = future.exception(timeout=0)
        if raised is not None:
            record_failure(impl.plugin_name, hook, _describe(raised))


def collect_registrations(hook: str) -> dict[str, tuple[Callable[..., Any], str]]:
    """Everything registered through a ``register_*`` hook, as ``{name: (factory, description)}``.

    The hook's implementations are called with ``register(name, factory, description="")``
    through :func:`notify`: a plugin that raises is reported and registers nothing, one that
    answers after the hook timeout registers nothing (its late calls are ignored).
    """
    found: dict[str, tuple[Callable[..., Any], str]] = {}
    lock = threading.Lock()
    open_ = [True]

    def register(name: str, factory: Callable[..., Any], description: str = "") -> None:
        with lock:
            if open_[0]:
                found[name] = (factory, description)

    notify(hook, register=register)
    with lock:
        open_[0] = False
        return dict(found)


@contextlib.contextmanager
def registered(plugin: object, name: str | None = None, *, source: str = "registered") -> Iterator[str]:
    """Register ``plugin`` for the duration of a ``with`` block."""
    final = register_plugin(plugin, name, source=source)
    try:
        yield final
    finally:
        unregister_plugin(plugin)
