"""How an engine reads its own settings: environment variables first, then the config's ``[translator]`` keys.

:func:`engine_setting` gives the value; :func:`setting_source` says where it came from (for
``streamkit doctor``, never the value); :func:`is_loopback` tells a host on this machine (keys may
go there over plain HTTP); :class:`EngineConfig` is an engine's verdict on its own settings.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .options import SettingValue, TranslatorSettings

__all__ = ["EngineConfig", "engine_setting", "is_loopback", "setting_source"]


def engine_setting(settings: TranslatorSettings, engine: str, key: str, env: Sequence[str] = ()) -> SettingValue | None:
    """An engine setting: environment variables first, then ``[translator.ENGINE] key`` (or ``ENGINE_key``)."""
    for var in env:
        value = os.environ.get(var)
        if value:
            return value
    return settings.lookup(engine, key)


def setting_source(settings: TranslatorSettings, engine: str, key: str, env: Sequence[str]) -> str | None:
    """Where a setting comes from, for ``doctor`` (never the value)."""
    for var in env:
        if os.environ.get(var):
            return f"${var}"
    if settings.lookup(engine, key) is not None:
        return f"config [translator.{engine}] {key}"
    return None


def is_loopback(host: str | None) -> bool:
    """``host`` is this machine (``localhost``, ``127.0.0.1``, ``::1`` ...)."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class EngineConfig:
    """Whether an engine has what it needs (``detail`` names where keys come from, never their values)."""

    configured: bool
    detail: str
