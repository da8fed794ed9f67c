"""Translation in one room: the protocol, the registry, the engines, sentences, names, cache and retranslate.

Import from ``streamkit.translation``; one concern per module:

* ``options.py``: :class:`TranslateOptions` (the translation part of a job) and :class:`TranslatorSettings`
  (the config's ``[translator]`` table, typed; engines read their keys with ``lookup``).
* ``protocol.py``: the :class:`Translator` protocol (``translate`` a transcript, ``translate_texts``
  sentence by sentence), the typed :class:`EngineContext` an engine factory gets, :func:`text_translator`
  (a clear error for an engine without ``translate_texts``) and :func:`refuse_server_url`.
* ``registry.py``: :data:`TRANSLATORS` (a :class:`streamkit.registry.Registry`), :func:`available_engines`,
  :func:`create_translator`; :func:`text_engine_name` and :func:`create_text_engine` for subtitle files.
* ``engines.py``: the built-in plugin (``register_translators`` for every engine below).
* ``whisper.py``: the offline engine :class:`WhisperTranslator` (Whisper's translate task on the audio).
* ``textengine.py``: :class:`TextEngine`, what every text engine shares (batching and halving, retries,
  cache, names; :class:`EngineStats`); ``lookup.py``: how an engine reads its own keys (environment first).
* ``adapters.py``: :class:`GoogleEngine`, :class:`DeeplEngine`, :class:`PapagoEngine`, :class:`MyMemoryEngine`,
  :class:`LibreEngine` and :data:`ENGINES`; ``llm.py``: :class:`LlmEngine` (any OpenAI-compatible server).
* ``transport.py``: the ``requests`` boundary (timeouts, deadline), failure classification, :class:`RetryPolicy`.
* ``cache.py``: the SQLite :class:`TranslationCache`.
* ``sentences.py``: :func:`join_sentences`, :func:`transcript_from_track`; ``names.py``: name protection.
* ``targets.py``: many target languages in one run (:func:`create_engines`, :func:`translate_targets`).
* ``doctor.py``: :func:`check_engines` (``streamkit doctor``).
* ``files.py``: ``streamkit translate``'s core (:func:`translate_file`).
* ``drafts.py``, ``plan.py``, ``apply.py``, ``retranslate.py``: the retranslate core: the
  :class:`DraftRecord` beside every draft, :func:`plan_retranslation` (pure), :func:`apply_plan`,
  and :func:`retranslate_files` (``streamkit retranslate``).
"""

from __future__ import annotations

from .adapters import ENGINES, DeeplEngine, GoogleEngine, LibreEngine, MyMemoryEngine, PapagoEngine
from .apply import CueChange, Retranslation, apply_plan, retranslate_track
from .cache import CacheKey, TranslationCache, default_cache_path
from .doctor import EngineCheck, check_engines
from .drafts import DraftRecord, load_record, record_path, save_record
from .files import FileTranslation, default_output, plan_outputs, translate_file
from .llm import LlmEngine
from .names import NameGlossary, ProtectedText, names_kept, protect_names, restore_names
from .options import DEFAULT_ENGINE, TranslateOptions, TranslatorSettings
from .plan import Region, RetranslationPlan, plan_retranslation
from .protocol import EngineContext, Translator, refuse_server_url, text_translator
from .registry import (
    TRANSLATORS,
    EngineInfo,
    available_engines,
    create_text_engine,
    create_translator,
    optional_glossary,
    text_engine_name,
)
from .retranslate import RetranslateReport, RetranslateRequest, retranslate_files
from .sentences import JoinRules, Sentence, join_sentences, transcript_from_track
from .targets import TargetResults, create_engines, translate_targets
from .textengine import EngineStats, TextEngine
from .transport import RetryPolicy
from .whisper import WhisperTranslator

__all__ = [
    "DEFAULT_ENGINE", "ENGINES", "TRANSLATORS", "CacheKey", "CueChange", "DeeplEngine", "DraftRecord",
    "EngineCheck", "EngineContext", "EngineInfo", "EngineStats", "FileTranslation", "GoogleEngine", "JoinRules",
    "LibreEngine", "LlmEngine", "MyMemoryEngine", "NameGlossary", "PapagoEngine", "ProtectedText", "Region",
    "RetranslateReport", "RetranslateRequest", "Retranslation", "RetranslationPlan", "RetryPolicy", "Sentence",
    "TargetResults", "TextEngine", "TranslateOptions", "TranslationCache", "Translator", "TranslatorSettings",
    "WhisperTranslator", "apply_plan", "available_engines", "check_engines", "create_engines", "create_text_engine",
    "create_translator", "default_cache_path", "default_output", "join_sentences", "load_record", "names_kept",
    "optional_glossary", "plan_outputs", "plan_retranslation", "protect_names", "record_path", "refuse_server_url",
    "restore_names", "retranslate_files", "retranslate_track", "save_record", "text_engine_name",
    "text_translator", "transcript_from_track", "translate_file", "translate_targets",
]
