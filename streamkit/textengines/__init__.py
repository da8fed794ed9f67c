"""Text translation engines: deep-translator behind the :class:`~streamkit.translate.Translator` protocol.

Built-in engines ``google`` (default), ``deepl``, ``papago``, ``mymemory`` and ``libre`` are thin
adapters over one base class, :class:`TextEngine`, which does everything they share. Import from
``streamkit.textengines``; one concern per module (each module's docstring says more):

* ``sentences.py``: sentences, not cues: :func:`join_sentences` (with :class:`JoinRules`,
  :class:`Sentence`) and :func:`transcript_from_track` for an editor's SRT.
* ``names.py``: the glossary protocol (:class:`NameGlossary`) and name protection
  (:class:`ProtectedText`, :func:`protect_names`, :func:`restore_names`, :func:`names_kept`).
* ``transport.py``: the ``requests`` boundary (a socket timeout and a hard deadline on every call, only
  inside engine calls) and failures and retries (classification, :class:`RetryPolicy`).
* ``cache.py``: the SQLite :class:`TranslationCache` (:class:`CacheKey`, :func:`default_cache_path`).
* ``base.py``: engine settings and :class:`TextEngine` (batching and halving, retries, cache, names;
  :class:`EngineStats`).
* ``adapters.py``: :class:`GoogleEngine`, :class:`DeeplEngine`, :class:`PapagoEngine`,
  :class:`MyMemoryEngine`, :class:`LibreEngine` and :data:`ENGINES`.
* ``llm.py``: :class:`LlmEngine` (``-t llm``), context-aware translation through any OpenAI-compatible
  chat-completions server (Ollama, llama.cpp, hosted), strict JSON answers.
* ``doctor.py``: :class:`EngineCheck` and :func:`check_engines` (``streamkit doctor``).

This package module is the built-in plugin (``plugins.BUILTIN_PLUGINS``): it implements
``register_translators`` for :data:`ENGINES`.
"""

from __future__ import annotations

from ..hookspecs import hookimpl
from .adapters import ENGINES, DeeplEngine, GoogleEngine, LibreEngine, MyMemoryEngine, PapagoEngine
from .base import EngineStats, TextEngine
from .cache import CacheKey as CacheKey
from .cache import TranslationCache, default_cache_path
from .doctor import EngineCheck, check_engines
from .llm import LlmEngine
from .names import NameGlossary, ProtectedText, protect_names, restore_names
from .names import names_kept as names_kept
from .sentences import JoinRules, Sentence, join_sentences, transcript_from_track
from .transport import RetryPolicy

__all__ = [
    "ENGINES",
    "DeeplEngine",
    "EngineCheck",
    "EngineStats",
    "GoogleEngine",
    "JoinRules",
    "LibreEngine",
    "LlmEngine",
    "MyMemoryEngine",
    "NameGlossary",
    "PapagoEngine",
    "ProtectedText",
    "RetryPolicy",
    "Sentence",
    "TextEngine",
    "TranslationCache",
    "check_engines",
    "default_cache_path",
    "join_sentences",
    "protect_names",
    "restore_names",
    "transcript_from_track",
]

# --------------------------------------------------------------------------- registration


@hookimpl
def register_translators(register) -> None:  # type: ignore[no-untyped-def]
    for name, cls in ENGINES.items():
        register(name, cls.from_context, cls.description)
