"""The engines by name: built-ins and plugins registered through the ``register_translators`` hook.

:data:`TRANSLATORS` is a :class:`streamkit.registry.Registry`; :func:`available_engines` and
:func:`create_translator` are its two uses. :func:`text_engine_name` and :func:`create_text_engine`
pick and make the engine for a subtitle file (``streamkit translate``, ``retranslate``, the review page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..registry import Registered, Registry
from .options import DEFAULT_ENGINE, TranslatorSettings
from .protocol import EngineContext, Translator

if TYPE_CHECKING:
    from ..glossary import Glossary

__all__ = [
    "TRANSLATORS",
    "EngineInfo",
    "available_engines",
    "create_text_engine",
    "create_translator",
    "settings_of",
    "text_engine",
    "text_engine_name",
]

#: Every translation engine, by the name ``--translator`` takes.
TRANSLATORS: Registry[EngineContext, Translator] = Registry("register_translators", "translator", "translator")

#: One registered engine: its name, factory and description.
EngineInfo = Registered[EngineContext, Translator]


def available_engines() -> dict[str, EngineInfo]:
    """Every registered engine by name (built-ins and plugins; a plugin that raises registers nothing)."""
    return TRANSLATORS.available()


def create_translator(name: str, context: EngineContext) -> Translator | None:
    """The engine called ``name``; ``None`` for ``none`` (Korean only)."""
    if name == "none":
        return None
    return TRANSLATORS.create(name, context, extra=("none",))


def text_engine_name(given: str | None, configured: str | None, recorded: str | None = None) -> str:
    """The text engine for a subtitle file: ``given``, else the one that made the draft, else the config's."""
    if configured in ("whisper", "none"):
        configured = None  # the producer's speech default; a subtitle file needs a text engine
    if recorded in ("whisper", "none", ""):
        recorded = None
    name = given or recorded or configured or DEFAULT_ENGINE
    if name in ("whisper", "none"):
        raise ConfigError(f"--translator {name} cannot translate a subtitle file", key="translator",
                          hint="whisper translates speech; choose a text engine: google, deepl, papago, "
                          "mymemory, libre or llm")
    return name


def settings_of(settings: TranslatorSettings | Mapping[str, object]) -> TranslatorSettings:
    """Typed settings from either the typed object or the config's ``[translator]`` table as TOML gives it."""
    return settings if isinstance(settings, TranslatorSettings) else TranslatorSettings.from_table(settings)


def create_text_engine(name: str, settings: TranslatorSettings | Mapping[str, object], target: str = "en", *,
                       glossary: Sequence[Path] = (), no_glossary: bool = False) -> Translator:
    """The text engine ``name`` for ``target``, names protected by the glossary (built-in plus ``glossary``)."""
    from ..glossary import optional_glossary

    return text_engine(name, target, settings_of(settings), optional_glossary(glossary, no_glossary=no_glossary))


def text_engine(name: str, target: str, settings: TranslatorSettings, glossary: Glossary | None) -> Translator:
    """The text engine ``name`` for ``target`` with an already loaded glossary (``none`` refused)."""
    engine = create_translator(name, EngineContext(target=target, settings=settings, glossary=glossary))
    if engine is None:
        raise ConfigError(f"--translator {name} cannot translate a subtitle file", key="translator")
    return engine
