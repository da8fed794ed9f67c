"""The registry, the protocol and the context: engines by name through the plugin hook
(translation/registry.py), ``translate_texts`` required where sentences are sent (translation/protocol.py),
the typed :class:`EngineContext` and settings engines read. A third-party engine is a real plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from streamkit.errors import ConfigError, TranslationError
from streamkit.hookspecs import hookimpl
from streamkit.models import Cue, SubtitleTrack, Transcript, Utterance
from streamkit.plugins import get_plugin_manager
from streamkit.translation.adapters import LibreEngine
from streamkit.translation.options import TranslatorSettings
from streamkit.translation.protocol import EngineContext
from streamkit.translation.registry import TRANSLATORS, available_engines, create_translator

from ..libre_server import LibreServer
from .helpers import fast, typed

# --------------------------------------------------------------------------- registry


def test_engines_are_registered_through_the_plugin_hook(libre: LibreServer, tmp_path: Path) -> None:
    engines = available_engines()
    assert {"google", "deepl", "papago", "mymemory", "libre", "whisper"} <= set(engines)
    engine = create_translator("libre", EngineContext(target="en", settings=typed(fast(libre, tmp_path))))
    assert isinstance(engine, LibreEngine)


class _Shouting:
    """A third party's engine: registered with the same hook, no streamkit change needed."""

    name = "shout"

    def translate(self, transcript: Transcript, audio: Any, progress: Any = None) -> Transcript:
        return Transcript("en", tuple(Utterance(u.start_ms, u.end_ms, u.text.upper()) for u in transcript.utterances),
                          transcript.duration_ms, task=self.name)

    @hookimpl
    def register_translators(self, register: Any) -> None:
        register("shout", lambda context: _Shouting(), "test engine")


def test_a_plugin_adds_an_engine() -> None:
    pm = get_plugin_manager()
    plugin = _Shouting()
    pm.register(plugin, name="test-shout")
    try:
        assert "shout" in available_engines()
        engine = create_translator("shout", EngineContext())
        assert engine is not None and engine.name == "shout"
    finally:
        pm.unregister(plugin)


def test_missing_keys_are_refused_before_any_work() -> None:
    with pytest.raises(TranslationError, match="no API key") as caught:
        create_translator("deepl", EngineContext())
    assert "STREAMKIT_DEEPL_API_KEY" in caught.value.hint
    with pytest.raises(TranslationError, match="no client id and secret"):
        create_translator("papago", EngineContext())
    with pytest.raises(TranslationError, match="not an http"):
        create_translator("libre", EngineContext(settings=typed({"url": "localhost:5000"})))


# --------------------------------------------------------------------------- the protocol and the context


def test_an_engine_without_translate_texts_is_refused_clearly_where_sentences_are_needed(tmp_path: Path) -> None:
    """A plugin engine that only translates transcripts: retranslate says so, never an AttributeError."""
    from streamkit.subtitles import write_subtitles
    from streamkit.translation.drafts import save_record
    from streamkit.translation.protocol import text_translator
    from streamkit.translation.retranslate import RetranslateRequest, retranslate_files

    with pytest.raises(TranslationError, match="'shout': cannot translate sentences") as caught:
        text_translator(_Shouting(), "shout")
    assert "translate_texts" in caught.value.message
    ko = SubtitleTrack("ko", (Cue(1000, 3000, ("안녕하세요 여러분.",)), Cue(5000, 7000, ("감사합니다.",))))
    en = SubtitleTrack("en", (Cue(1000, 3000, ("Hello everyone.",)), Cue(5000, 7000, ("Thank you.",))))
    english = write_subtitles(en, tmp_path / "show.en.srt").path
    save_record(english, ko, en, engine="shout")
    edited = write_subtitles(SubtitleTrack("ko", (ko.cues[0], Cue(5000, 7000, ("고마워요.",)))),
                             tmp_path / "show.ko.srt").path
    pm = get_plugin_manager()
    plugin = _Shouting()
    pm.register(plugin, name="test-shout")
    try:
        with pytest.raises(TranslationError, match="cannot translate sentences"):
            retranslate_files(RetranslateRequest(edited, english, no_glossary=True))
    finally:
        pm.unregister(plugin)
    assert not (tmp_path / "show.retranslated.en.srt").exists()


def test_the_context_is_typed_and_the_whisper_engine_reads_the_run_options_from_it() -> None:
    from streamkit.transcribe import TranscribeOptions, Transcriber
    from streamkit.translation.whisper import WhisperTranslator

    model = cast(Transcriber, object())  # the factory only keeps the run's loaded model; nothing is decoded here
    context = EngineContext(transcriber=model, transcribe_options=TranscribeOptions(beam_size=2, hotwords="BTS"))
    engine = create_translator("whisper", context)
    assert isinstance(engine, WhisperTranslator) and engine.transcriber is model
    assert engine.options.task == "translate" and engine.options.beam_size == 2 and engine.options.hotwords is None
    with pytest.raises(TranslationError, match="'whisper': translates speech, not text"):
        engine.translate_texts(["안녕하세요."])
    with pytest.raises(TranslationError, match="needs a loaded Whisper model"):
        create_translator("whisper", EngineContext())
    assert create_translator("none", context) is None


def test_engines_read_their_keys_from_the_typed_settings(libre: LibreServer, tmp_path: Path) -> None:
    own = {"api_key": "k-nested", "max_chars": 300}
    nested = TranslatorSettings.from_table({**fast(libre, tmp_path), "libre": own})
    flat = TranslatorSettings.from_table({**fast(libre, tmp_path), "libre_api_key": "k-flat"})
    for settings, key in ((nested, "k-nested"), (flat, "k-flat")):
        engine = create_translator("libre", EngineContext(settings=settings))
        assert isinstance(engine, LibreEngine) and engine.api_key == key
    assert cast(LibreEngine, create_translator("libre", EngineContext(settings=nested)))._limit == 300
    with pytest.raises(ConfigError, match="unknown translator 'nope'") as caught:
        TRANSLATORS.create("nope", EngineContext(), extra=("none",))
    assert "libre" in (caught.value.hint or "") and "none" in (caught.value.hint or "")
    assert set(available_engines()) == set(TRANSLATORS.available())
