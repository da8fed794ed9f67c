"""One registry helper for everything plugins register by name: translation engines, viewer sources.

A :class:`Registry` names the ``register_*`` hook, what a wrong name is called in an error
(``key`` of the :class:`ConfigError`) and how the kind is spelled in messages. Built-ins and
plugins register the same way (``register(name, factory, description)``); a plugin that raises
or answers after the hook timeout registers nothing (see :func:`streamkit.plugins.collect_registrations`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from .errors import ConfigError

__all__ = ["Registered", "Registry"]

C = TypeVar("C")  # what a factory is given
T = TypeVar("T")  # what a factory makes


@dataclass(frozen=True)
class Registered(Generic[C, T]):
    """One registered name: its factory and the line ``--help`` and ``doctor`` show."""

    name: str
    factory: Callable[[C], T]
    description: str


@dataclass(frozen=True)
class Registry(Generic[C, T]):
    """The names registered through ``hook``; ``create`` makes one from its context."""

    hook: str
    key: str  # the option an unknown name is reported against (``translator``, ``source``)
    kind: str  # ``translator``, ``viewer source``

    def available(self) -> dict[str, Registered[C, T]]:
        from .plugins import collect_registrations

        return {name: Registered(name, factory, description)
                for name, (factory, description) in collect_registrations(self.hook).items()}

    def get(self, name: str, *, extra: tuple[str, ...] = ()) -> Registered[C, T]:
        """The registration of ``name``; an unknown name is a :class:`ConfigError` listing the known ones
        (plus ``extra``: names the caller handles itself, like ``none``)."""
        found = self.available()
        if name not in found:
            known = ", ".join(sorted([*found, *extra])) or "(none registered)"
            raise ConfigError(f"unknown {self.kind} {name!r}", key=self.key, hint=f"choose one of: {known}")
        return found[name]

    def create(self, name: str, context: C, *, extra: tuple[str, ...] = ()) -> T:
        return self.get(name, extra=extra).factory(context)
