"""Translation: the stage boundary between the Korean transcript and the English one.

Every engine has the :class:`Translator` protocol and is registered through the plugin
manager (``register_translators`` hook), built-ins exactly like third-party engines.
An engine turns the source :class:`Transcript` into a target-language :class:`Transcript`
whose utterances keep the source's time spans; ``segment`` then cuts it by the target's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .errors import ConfigError
from .models import AudioTrack, ProgressCallback, Transcript

__all__ = ["EngineContext", "EngineInfo", "Translator", "available_engines", "create_translator"]


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
