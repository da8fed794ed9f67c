"""The offline engine ``whisper``: Whisper's own translate task (speech -> English) on the run's loaded model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import TranslationError
from ..models import AudioTrack, ProgressCallback, Transcript
from ..transcribe import TranscribeOptions, Transcriber
from .protocol import EngineContext, TextProgress, Translator, refuse_server_url

__all__ = ["WhisperTranslator", "speech_only", "whisper_factory"]


@dataclass
class WhisperTranslator:
    """Offline: Whisper's own translate task (speech -> English) on the same loaded model.

    Quality follows the model: rough with ``base``, usable with ``large-v3``. Whisper can only
    translate into English, and only speech: it has no text to translate sentences from.
    """

    transcriber: Transcriber
    options: TranscribeOptions
    name: str = "whisper"

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript:
        if audio is None:
            raise TranslationError(self.name, "needs the recording's audio (it translates speech, not text)",
                                   hint="use a text engine to translate an existing SRT")
        return self.transcriber.transcribe(audio, self.options, progress)

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: TextProgress | None = None
    ) -> list[str]:
        raise speech_only(self.name)


def speech_only(name: str) -> TranslationError:
    """The error for asking an engine that translates speech (offline, or live) to translate text."""
    return TranslationError(name, "translates speech, not text",
                            hint="choose a text engine: google, deepl, papago, mymemory, libre or llm")


def whisper_factory(context: EngineContext) -> Translator:
    """The ``whisper`` engine on the context's transcriber, with the run's decoding options as its base."""
    refuse_server_url("whisper", context.settings, accepts_url=False)
    if context.target != "en":
        raise TranslationError("whisper", f"can only translate into English, not {context.target!r}")
    if context.transcriber is None:
        raise TranslationError("whisper", "needs a loaded Whisper model")
    base = context.transcribe_options or TranscribeOptions()
    # English words are not aligned to Korean speech: segment spreads the text over each span.
    # The temperature fallback only re-samples the same weak translation at 5x the cost.
    options = replace(base, task="translate", word_timestamps=False, temperature=(0.0,),
                      initial_prompt=None, hotwords=None)
    return WhisperTranslator(context.transcriber, options)
