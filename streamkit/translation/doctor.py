"""``streamkit doctor`` for the engines: configured (keys present, never their values) and reachable."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from ..errors import StreamkitError
from .adapters import ENGINES
from .options import TranslatorSettings
from .registry import available_engines

__all__ = ["EngineCheck", "check_engines"]


@dataclass(frozen=True)
class EngineCheck:
    """One row of ``streamkit doctor``."""

    name: str
    description: str
    configured: str  # "yes" | "no" | "?"
    reachable: str  # "yes" | "no" | "not checked" | "offline engine"
    detail: str = ""


def _check_whisper(name: str, description: str) -> EngineCheck:
    from ..transcribe import resolve_model

    try:
        choice = resolve_model(None, allow_download=False)
        return EngineCheck(name, description, "yes", "offline engine", f"model {choice.name} ({choice.source})")
    except StreamkitError as exc:
        return EngineCheck(name, description, "no", "offline engine", exc.message)


def _check_one(name: str, description: str, settings: TranslatorSettings, offline: bool,
               timeout: float) -> EngineCheck:
    cls = ENGINES.get(name)
    if name == "whisper":
        return _check_whisper(name, description)
    if cls is None:
        return EngineCheck(name, description, "?", "not checked", "plugin engine")
    if not cls.accepts_url:  # --translator-url is for servers the user runs: never another service's keys
        settings = replace(settings, url=None)
    config = cls.configuration(settings)
    if not config.configured:
        return EngineCheck(name, description, "no", "not checked", config.detail)
    if offline:
        return EngineCheck(name, description, "yes", "not checked", config.detail)
    try:
        engine = cls(settings=replace(settings, cache=False))
        ok, detail = engine.check(timeout)
    except StreamkitError as exc:
        return EngineCheck(name, description, "no", "not checked", exc.message)
    return EngineCheck(name, description, "yes", "yes" if ok else "no", f"{config.detail}; {detail}")


def check_engines(
    settings: TranslatorSettings | None = None, *, offline: bool = False, timeout: float = 5.0
) -> list[EngineCheck]:
    """Every registered engine: configured (keys present; never their values) and reachable (one short request).

    A ``url`` setting (``--translator-url``) goes only to engines that take a server URL
    (``accepts_url``); every other engine is checked against its own service.

    Reachability checks run concurrently, each bounded by ``timeout`` seconds.
    """
    settings = settings or TranslatorSettings()
    engines = available_engines()
    with ThreadPoolExecutor(max_workers=max(1, len(engines))) as pool:
        futures = [
            pool.submit(_check_one, name, info.description, settings, offline, timeout)
            for name, info in sorted(engines.items())
        ]
        return [f.result() for f in futures]
