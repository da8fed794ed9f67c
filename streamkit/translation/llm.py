"""The context-aware engine ``llm``: any OpenAI-compatible chat-completions server.

A local Ollama (``http://127.0.0.1:11434/v1``, the default), a llama.cpp server
(``http://127.0.0.1:8080/v1``) or a hosted service with a key. What it adds over the sentence-by-
sentence engines is context: each request carries the numbered Korean sentences to translate, the
sentences just before them (so a reply such as "그래?" is read as a reply), a short description of
the show (``[translator.llm] description``) and the official names the recording uses (protected
by the glossary, listed so the model keeps them as written).

The answer must be strict JSON, ``{"translations": {"1": "...", "2": "..."}}``, one entry per
number. An answer that is not JSON or has another count is a mismatch: the batch is halved (down to
single sentences, which are retried), exactly as the line-based engines halve when lines merge.
Batching, the cache, timeouts, retries and name restoration are :class:`TextEngine`'s.

Settings (``[translator.llm]`` in the config file, or ``llm_KEY`` in ``[translator]``):
``url`` (or ``--translator-url``, ``$STREAMKIT_LLM_URL``), ``model`` (``$STREAMKIT_LLM_MODEL``),
``api_key`` (``$STREAMKIT_LLM_API_KEY``; sent as a Bearer header, and only over HTTPS or to this
machine), ``description``, ``context`` (previous sentences sent, default 3).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from hashlib import sha1
from typing import Any
from urllib.parse import urlsplit

import requests  # type: ignore[import-untyped,unused-ignore]

from ..errors import TranslationError
from .lookup import EngineConfig, is_loopback, setting_source
from .names import protect_names
from .options import TranslatorSettings
from .textengine import TextEngine
from .transport import _EngineAnswer

__all__ = ["LANGUAGE_NAMES", "LlmEngine", "build_messages", "parse_answer"]

#: streamkit language codes -> the language's English name, for the instruction.
LANGUAGE_NAMES: Mapping[str, str] = {
    "en": "English", "ko": "Korean", "ja": "Japanese", "zh": "Simplified Chinese",
    "zh-Hans": "Simplified Chinese", "zh-Hant": "Traditional Chinese", "es": "Spanish",
    "pt": "Brazilian Portuguese", "id": "Indonesian", "th": "Thai", "vi": "Vietnamese", "fr": "French",
    "de": "German", "ar": "Arabic", "tl": "Filipino (Tagalog)", "tr": "Turkish", "ru": "Russian",
    "it": "Italian", "ms": "Malay", "hi": "Hindi", "pl": "Polish", "nl": "Dutch",
}  # fmt: skip

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


def build_messages(
    sentences: Sequence[str],
    *,
    source: str,
    target: str,
    context: Sequence[str] = (),
    names: Sequence[str] = (),
    description: str = "",
) -> list[dict[str, str]]:
    """The chat messages for one batch: instructions, then the batch as a JSON document."""
    src = LANGUAGE_NAMES.get(source, source)
    dst = LANGUAGE_NAMES.get(target, target)
    rules = [
        f"You translate {src} livestream speech into {dst} subtitles for K-pop fans.",
        "Translate each numbered sentence on its own, keeping the speaker's meaning, tone and register; "
        "use the context (earlier sentences, not to be translated) to understand short replies and "
        "what pronouns refer to.",
        "Write names exactly as listed under names (official forms, Latin script); never translate them.",
        'Answer with JSON only: {"translations": {"1": "...", "2": "..."}}, exactly one entry for '
        "every number given and no other keys, no notes.",
    ]
    document: dict[str, Any] = {}
    if description:
        document["show"] = description
    if names:
        document["names"] = list(names)
    if context:
        document["context"] = list(context)
    document["sentences"] = {str(i): text for i, text in enumerate(sentences, 1)}
    return [
        {"role": "system", "content": " ".join(rules)},
        {"role": "user", "content": json.dumps(document, ensure_ascii=False)},
    ]


def parse_answer(content: str, count: int) -> list[str] | None:
    """The translations in order, or ``None`` when ``content`` is not the JSON asked for with ``count`` entries."""
    try:
        data = json.loads(_FENCE.sub("", content.strip()))
    except ValueError:
        return None
    if isinstance(data, dict) and "translations" in data:
        data = data["translations"]
    if isinstance(data, list):
        items = data
    elif isinstance(data, dict):
        numbered = {str(key).strip(): value for key, value in data.items()}
        wanted = [str(i) for i in range(1, count + 1)]
        if set(numbered) != set(wanted):
            return None
        items = [numbered[key] for key in wanted]
    else:
        return None
    if len(items) != count or not all(isinstance(x, str) and x.strip() for x in items):
        return None
    return [" ".join(str(x).split()) for x in items]


class LlmEngine(TextEngine):
    """Context-aware translation through an OpenAI-compatible ``/chat/completions`` endpoint."""

    name = "llm"
    description = "OpenAI-compatible chat server: Ollama, llama.cpp or hosted (--translator-url; context-aware)"
    #: Korean characters and sentences per request: short enough for a small local model's answer budget.
    max_chars = 1200
    max_items = 24
    timeout = 120.0  # a 7B model on a CPU takes a while
    url_env = ("STREAMKIT_LLM_URL",)
    default_url = "http://127.0.0.1:11434/v1"
    key_env = ("STREAMKIT_LLM_API_KEY",)
    model_env = ("STREAMKIT_LLM_MODEL",)
    default_model = "qwen2.5:7b-instruct"
    #: This engine talks to whatever server the producer names (``--translator-url``).
    accepts_url = True

    def configure(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TranslationError(self.name, f"not an http(s) URL: {self.url!r}",
                                   hint="use --translator-url http://HOST:PORT/v1 (e.g. http://127.0.0.1:11434/v1)")
        self.model = str(self.setting("model", self.model_env) or self.default_model)
        self.api_key = self.setting("api_key", self.key_env)
        if self.api_key and parts.scheme != "https" and not is_loopback(parts.hostname):
            raise TranslationError(self.name, f"refusing to send the API key over plain HTTP to {parts.hostname}",
                                   hint="use an https:// URL for a hosted server (keys go only over HTTPS or "
                                   "to this machine)")
        self.show = str(self.setting("description") or "").strip()
        raw_context = self.setting("context")
        try:
            self.context_size = 3 if raw_context is None else max(0, int(raw_context))
        except (TypeError, ValueError) as exc:
            raise TranslationError(self.name, "[translator.llm] context must be a whole number") from exc
        self._sequence: list[str] = []
        self._position: dict[str, int] = {}
        self._names: list[str] = []

    def credentials(self) -> list[str]:
        return [str(self.api_key)] if self.api_key else []

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        where = "--translator-url" if settings.url else setting_source(settings, cls.name, "url", cls.url_env)
        model = setting_source(settings, cls.name, "model", cls.model_env)
        key = setting_source(settings, cls.name, "api_key", cls.key_env)
        model_part = f"from {model}" if model else cls.default_model
        key_part = f"from {key}" if key else "none"
        url_part = f"URL from {where}" if where else f"default URL {cls.default_url}"
        return EngineConfig(True, f"{url_part}; model {model_part}; key {key_part}")

    @property
    def endpoint(self) -> str:
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else base + "/chat/completions"

    def fingerprint(self) -> str:
        show = sha1(self.show.encode()).hexdigest()[:8] if self.show else "-"
        return f"{self.name}|{self.endpoint}|{self.model}|{show}|{self.context_size}"

    # -- context -----------------------------------------------------------------------------

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: Callable[[int, int], None] | None = None
    ) -> list[str]:
        """As :meth:`TextEngine.translate_texts`, remembering the order of sentences for context."""
        protected = [protect_names(" ".join(t.split()), self.glossary) for t in texts]
        self._sequence = [p.text for p in protected]
        self._position = {}
        for i, text in enumerate(self._sequence):
            self._position.setdefault(text, i)
        self._names = list(dict.fromkeys(name for p in protected for name in p.names))
        return super().translate_texts(texts, source, progress)

    def _context_for(self, first: str) -> list[str]:
        at = self._position.get(first)
        if at is None or self.context_size == 0:
            return []
        return self._sequence[max(0, at - self.context_size) : at]

    # -- one request -------------------------------------------------------------------------

    def _client(self, source: str) -> Any:
        return source

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        source = str(client)
        names = [n for n in self._names if any(n in t for t in (*self._context_for(texts[0]), *texts))]
        body: dict[str, Any] = {
            "model": self.model,
            "messages": build_messages(texts, source=source, target=self.target, context=self._context_for(texts[0]),
                                       names=names, description=self.show),
            "temperature": 0,
            "stream": False,
            "response_format": {"type": "json_object"},
        }
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        response = requests.post(self.endpoint, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"HTTP {response.status_code}")  # classified by its status code
        try:
            content = str(response.json()["choices"][0]["message"]["content"] or "")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise _EngineAnswer("malformed", "not a chat-completions answer", retry=True) from exc
        lines = parse_answer(content, len(texts))
        if lines is not None:
            return lines
        if len(texts) == 1:
            raise _EngineAnswer("malformed", "the answer is not the JSON asked for", retry=True)
        if not content.strip():
            return []  # an empty answer: retried
        return ["(mismatch)"]  # not the JSON asked for, or another count: the batch is halved

    def offline_hint(self) -> str:
        shown = urlsplit(self.url)._replace(query="").geturl()
        return (f"is an OpenAI-compatible server running at {shown}? e.g. `ollama serve` then "
                f"`ollama pull {self.model}`, or pass --translator-url; --translator whisper works offline")

    def key_hint(self) -> str:
        return "set STREAMKIT_LLM_API_KEY (or [translator.llm] api_key in the config file)"
