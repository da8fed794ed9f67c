"""Built-in translation engines, registered through the plugin hook like any third party's."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import TranslationError
from .hookspecs import hookimpl
from .models import AudioTrack, ProgressCallback, Transcript
from .transcribe import TranscribeOptions, Transcriber
from .translate import EngineContext, Translator, refuse_server_url


@dataclass
class WhisperTranslator:
    """Offline: Whisper's own translate task (speech -> English) on the same loaded model.

    Quality follows the model: rough with ``base``, usable with ``large-v3``. Whisper can only
    translate into English.
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


def _whisper_factory(context: EngineContext) -> Translator:
    refuse_server_url("whisper", context.settings, accepts_url=False)
    if context.target != "en":
        raise TranslationError("whisper", f"can only translate into English, not {context.target!r}")
    if context.transcriber is None:
        raise TranslationError("whisper", "needs a loaded Whisper model")
    base: TranscribeOptions = context.settings.get("transcribe_options", TranscribeOptions())
    # English words are not aligned to Korean speech: segment spreads the text over each span.
    # The temperature fallback only re-samples the same weak translation at 5x the cost.
    options = replace(base, task="translate", word_timestamps=False, temperature=(0.0,),
                      initial_prompt=None, hotwords=None)
    return WhisperTranslator(context.transcriber, options)


@hookimpl
def register_translators(register) -> None:  # type: ignore[no-untyped-def]
    register("whisper", _whisper_factory, "offline: Whisper's translate task on the audio (weak with base)")
