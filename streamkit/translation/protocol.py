"""What an engine is and what it is given: the :class:`Translator` protocol and the :class:`EngineContext`.

An engine turns the source :class:`~streamkit.models.Transcript` into a target-language one whose
utterances keep the source's time spans (``translate``), and translates a list of sentences one
for one (``translate_texts``: ``streamkit retranslate`` and the review page send only the changed
sentences). An engine that translates speech only (Whisper) raises
:class:`~streamkit.errors.TranslationError` from ``translate_texts``; a plugin engine without it is
refused with a clear error by :func:`text_translator`, never an ``AttributeError`` half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError, TranslationError
from ..models import AudioTrack, ProgressCallback, Transcript
from .options import TranslatorSettings

if TYPE_CHECKING:
    from ..glossary import Glossary
    from ..transcribe import TranscribeOptions, Transcriber

__all__ = ["EngineContext", "TextProgress", "Translator", "refuse_server_url", "text_translator"]

#: ``(texts_done, texts_total)`` while :meth:`Translator.translate_texts` works.
TextProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class EngineContext:
    """What an engine factory may use: the target, the ``[translator]`` settings, the glossary, the model."""

    target: str = "en"
    #: The run's loaded Whisper model (the ``whisper`` engine translates speech with it).
    transcriber: Transcriber | None = None
    #: The run's decoding options, which the ``whisper`` engine turns into its translate task.
    transcribe_options: TranscribeOptions | None = None
    settings: TranslatorSettings = field(default_factory=TranslatorSettings)
    #: Names protected through translation (``None``: translated like any other word).
    glossary: Glossary | None = None


class Translator(Protocol):
    """A translation engine: a transcript over time spans, and sentences one for one."""

    name: str

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript: ...

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: TextProgress | None = None
    ) -> list[str]: ...


def text_translator(engine: object, name: str) -> Callable[[Sequence[str], str], list[str]]:
    """``engine.translate_texts``, or a clear error when a (plugin) engine does not declare it."""
    method = getattr(engine, "translate_texts", None)
    if not callable(method):
        raise TranslationError(name, "cannot translate sentences (the engine has no translate_texts)",
                               hint="choose a text engine: google, deepl, papago, mymemory, libre or llm")

    def translate(texts: Sequence[str], source: str = "ko") -> list[str]:
        return list(method(texts, source))

    return translate


def refuse_server_url(engine: str, settings: TranslatorSettings, *, accepts_url: bool, home: str = "") -> None:
    """Refuse ``--translator-url`` (the ``url`` setting) for an engine that does not take a server URL.

    A credential goes only to its own service: an engine with a fixed service (its keys, its host)
    must never be pointed elsewhere by a generic option. Engines whose server is the user's choice
    (LibreTranslate, OpenAI-compatible servers) declare ``accepts_url``.
    """
    if accepts_url or not settings.url:
        return
    if not home:  # an offline engine (whisper): no server at all
        raise ConfigError(f"--translator-url is not for {engine}: it translates offline, with no server",
                          key="translator-url", hint="drop --translator-url, or use it with -t libre or -t llm")
    raise ConfigError(f"--translator-url is not for {engine}: it talks to its own service only "
                      f"({urlsplit(home).hostname or home})", key="translator-url",
                      hint=f"--translator-url names a server you run (-t libre, -t llm); to send {engine}'s requests "
                      f"through a proxy, set [translator.{engine}] url in the config file")
