"""Translation: the stage boundary between the Korean transcript and the English one.

Every engine has the :class:`Translator` protocol and is registered through the plugin
manager (``register_translators`` hook), built-ins exactly like third-party engines.
An engine turns the source :class:`Transcript` into a target-language :class:`Transcript`
whose utterances keep the source's time spans; ``segment`` then cuts it by the target's rules.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import ConfigError
from .models import AudioTrack, ProgressCallback, Transcript

__all__ = [
    "EngineContext",
    "EngineInfo",
    "Translator",
    "available_engines",
    "create_text_engine",
    "create_translator",
    "optional_glossary",
    "refuse_server_url",
    "text_engine_name",
]

log = logging.getLogger("streamkit")


@dataclass(frozen=True)
class EngineContext:
    """What an engine factory may use: the run's transcriber (Whisper engine), settings, target."""

    target: str = "en"
    transcriber: Any = None
    settings: dict[str, Any] = field(default_factory=dict)


class Translator(Protocol):
    name: str

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript: ...


@dataclass(frozen=True)
class EngineInfo:
    name: str
    factory: Callable[[EngineContext], Translator]
    description: str


def available_engines() -> dict[str, EngineInfo]:
    """Every registered engine by name (built-ins and plugins; a plugin that raises registers nothing)."""
    from .plugins import collect_registrations

    return {name: EngineInfo(name, factory, description)
            for name, (factory, description) in collect_registrations("register_translators").items()}


def create_translator(name: str, context: EngineContext) -> Translator | None:
    """The engine called ``name``; ``None`` for ``none`` (Korean only)."""
    if name == "none":
        return None
    engines = available_engines()
    if name not in engines:
        known = ", ".join(sorted([*engines, "none"]))
        raise ConfigError(f"unknown translator {name!r}", key="translator", hint=f"choose one of: {known}")
    return engines[name].factory(context)


# --------------------------------------------------------------------------- text engines for subtitle files


def text_engine_name(given: str | None, configured: str | None, recorded: str | None = None) -> str:
    """The text engine for a subtitle file: ``given``, else the one that made the draft, else the config's."""
    if configured in ("whisper", "none"):
        configured = None  # the producer's speech default; a subtitle file needs a text engine
    if recorded in ("whisper", "none", ""):
        recorded = None
    name = given or recorded or configured or "google"
    if name in ("whisper", "none"):
        raise ConfigError(f"--translator {name} cannot translate a subtitle file", key="translator",
                          hint="whisper translates speech; choose a text engine: google, deepl, papago, "
                          "mymemory, libre or llm")
    return name


def optional_glossary(paths: Sequence[Path]) -> Any:
    """The built-in glossary plus ``paths``; None (names unprotected) when this build has no glossary module."""
    try:
        module = importlib.import_module("streamkit.glossary")
    except ImportError as exc:
        if paths:
            raise ConfigError("--glossary needs streamkit.glossary, which this build lacks", key="glossary") from exc
        log.warning("no glossary module: names are translated without protection")
        return None
    return module.load_glossary(list(paths))


def create_text_engine(name: str, settings: dict[str, Any], target: str = "en", *,
                       glossary: Sequence[Path] = (), no_glossary: bool = False) -> Translator:
    """The text engine ``name`` (``settings``: the config's ``[translator]`` table), names protected by the glossary."""
    settings = dict(settings)
    if not no_glossary:
        settings["glossary"] = optional_glossary(glossary)
    elif glossary:
        raise ConfigError("--glossary and --no-glossary contradict each other", key="glossary")
    engine = create_translator(name, EngineContext(target=target, settings=settings))
    if engine is None:
        raise ConfigError(f"--translator {name} cannot translate a subtitle file", key="translator")
    return engine


def refuse_server_url(engine: str, settings: Mapping[str, Any], *, accepts_url: bool, home: str = "") -> None:
    """Refuse ``--translator-url`` (the ``url`` setting) for an engine that does not take a server URL.

    A credential goes only to its own service: an engine with a fixed service (its keys, its host)
    must never be pointed elsewhere by a generic option. Engines whose server is the user's choice
    (LibreTranslate, OpenAI-compatible servers) declare ``accepts_url``.
    """
    if accepts_url or not settings.get("url"):
        return
    if not home:  # an offline engine (whisper): no server at all
        raise ConfigError(f"--translator-url is not for {engine}: it translates offline, with no server",
                          key="translator-url", hint="drop --translator-url, or use it with -t libre or -t llm")
    raise ConfigError(f"--translator-url is not for {engine}: it talks to its own service only "
                      f"({urlsplit(home).hostname or home})", key="translator-url",
                      hint=f"--translator-url names a server you run (-t libre, -t llm); to send {engine}'s requests "
                      f"through a proxy, set [translator.{engine}] url in the config file")
