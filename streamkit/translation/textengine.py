"""The base engine, :class:`TextEngine`: what every text engine shares, and how engine settings are read.

Sentences are protected (names), looked up in the cache, and the rest joined with newlines into
requests up to the engine's limits; an answer is split back by lines and accepted only when the
line count matches, else the batch is halved (recursively, down to single sentences). A request
refused as too large (HTTP 400, 413, 414) is halved too, and the limit lowered for the rest of the
run. Giving up raises :class:`~streamkit.errors.TranslationError` naming the engine, with a hint
(another engine, offline choices). Answers already received stay cached, so running the same
command again resumes where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

from ..errors import ConfigError, StreamkitError, TranslationError
from ..models import AudioTrack, ProgressCallback, Transcript, Utterance
from ..redaction import redact, register_secret
from .cache import CacheKey, TranslationCache, default_cache_path
from .lookup import EngineConfig, engine_setting, is_loopback
from .names import NameGlossary, names_kept, protect_names, restore_names
from .options import TranslatorSettings
from .protocol import EngineContext, TextProgress, Translator, refuse_server_url
from .sentences import JoinRules, join_sentences
from .transport import RetryPolicy, _CallFailed, _classify, _Failure, _guarded

log = logging.getLogger("streamkit")

# --------------------------------------------------------------------------- the base engine


@dataclass
class EngineStats:
    """What one engine object did (summed over its ``translate`` calls)."""

    requests: int = 0  # HTTP requests sent, retries included
    retries: int = 0
    answers: int = 0  # batches answered and accepted
    split_fallbacks: int = 0  # batches halved because the answer could not be split by lines
    too_large: int = 0  # batches halved because the server refused their size
    sentences: int = 0
    cached: int = 0  # texts answered from the cache
    translated: int = 0  # texts answered by the engine
    chars_sent: int = 0
    names: int = 0  # glossary names in the Korean
    names_kept: int = 0  # of those, found in their official English form in the translation


@dataclass(frozen=True)
class _Item:
    """One text to send: a (part of a) protected sentence."""

    sentence: int
    text: str


class TextEngine:
    """Shared logic of the text engines; subclasses build the deep-translator client.

    Settings (:class:`~streamkit.translation.options.TranslatorSettings`, the config file's
    ``[translator]`` table, or that table as a mapping): ``cache_path`` (or ``cache = false``),
    ``timeout``, ``retries``, ``backoff``, ``backoff_max``, ``url`` (``--translator-url``),
    ``max_chars`` and the engine's own keys (see each adapter). ``glossary`` (a :class:`NameGlossary`)
    protects names.
    """

    name: str = ""
    description: str = ""
    #: Request limits: characters, UTF-8 bytes, percent-encoded length (GET engines), texts per request.
    max_chars: int = 2000
    max_bytes: int | None = None
    max_encoded: int | None = None
    max_items: int | None = None
    #: Default socket timeout in seconds (``[translator] timeout`` overrides it).
    timeout: float = 15.0
    #: streamkit language code -> the engine's code.
    codes: ClassVar[Mapping[str, str]] = {}
    #: Environment variables naming the endpoint (after ``--translator-url``), and the default endpoint.
    url_env: tuple[str, ...] = ()
    default_url: str = ""
    #: Whether ``--translator-url`` (the ``url`` setting) may point this engine at any server: only for
    #: engines whose server is the user's choice (LibreTranslate; an OpenAI-compatible engine declares it
    #: too). An engine with its own service talks to that service only; an override for it (a proxy)
    #: is set by name in the config file (``[translator.NAME] url``) and never carries a key over plain
    #: HTTP to another machine.
    accepts_url: ClassVar[bool] = False

    def __init__(self, target: str = "en", settings: TranslatorSettings | Mapping[str, object] | None = None, *,
                 glossary: NameGlossary | None = None) -> None:
        self.target = target
        self.settings = (settings if isinstance(settings, TranslatorSettings)
                         else TranslatorSettings.from_table(settings or {}))
        self.policy = RetryPolicy.from_settings(self.settings, timeout=self.timeout)
        self.glossary = glossary
        self.join_rules = JoinRules()
        self.stats = EngineStats()
        self._limit = self._chars_limit()
        self._lines_fail = 0  # answers that could not be split by lines (this run)
        self._lines_ok = 0
        self.cache: TranslationCache | None = None
        if self.settings.cache:
            path = self.settings.cache_path
            self.cache = TranslationCache(Path(path) if path else default_cache_path())
        refuse_server_url(self.name, self.settings, accepts_url=self.accepts_url, home=self.default_url)
        self.configure()
        for secret in self.credentials():
            register_secret(secret)
        self._check_transport()

    def _chars_limit(self) -> int:
        limit = self.setting("max_chars") or self.settings.max_chars
        try:
            chars = int(limit) if limit else self.max_chars
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[translator] {self.name}_max_chars must be a whole number", key="max_chars") from exc
        if chars < 1:
            raise ConfigError(f"[translator] {self.name}_max_chars must be positive", key="max_chars")
        return chars

    def setting(self, key: str, env: Sequence[str] = ()) -> str | int | float | bool | None:
        """This engine's own ``key``: environment variables ``env`` first, then ``[translator.NAME] key``."""
        return engine_setting(self.settings, self.name, key, env)

    # -- what subclasses provide -------------------------------------------------------------

    def configure(self) -> None:
        """Read and check the engine's own settings; raise ``TranslationError`` if unusable."""

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        return EngineConfig(True, "no key needed")

    def credentials(self) -> list[str]:
        """The secrets this engine sends (keys, ids, an e-mail): kept out of logs, sent to its own host only."""
        return []

    def _check_transport(self) -> None:
        """Refuse to send a credential over plain HTTP to another machine (an override set by name)."""
        parts = urlsplit(self.url)
        if self.accepts_url or not self.credentials() or parts.scheme != "http" or is_loopback(parts.hostname):
            return
        raise ConfigError(f"[translator.{self.name}] url would send {self.name}'s key over plain HTTP to "
                          f"{parts.hostname}; refused", key=f"{self.name}_url",
                          hint="use an https:// URL (or a proxy on this machine, http://127.0.0.1:PORT)")

    def _client(self, source: str) -> Any:
        """A new deep-translator translator for ``source`` -> ``self.target`` (one per attempt)."""
        raise NotImplementedError

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        """One request: newline-joined texts through deep-translator's ``translate``."""
        return str(client.translate("\n".join(texts)) or "")

    @property
    def url(self) -> str:
        """The endpoint the requests go to: ``--translator-url`` (engines that accept one), else set by name."""
        given = self.settings.url if self.accepts_url else None
        explicit = given or self.setting("url", self.url_env)
        return str(explicit or self.default_url)

    def fingerprint(self) -> str:
        """Everything besides the languages and the text that changes the answer (never secrets)."""
        return f"{self.name}|{self.url}"

    def code(self, language: str) -> str:
        from ..languages import engine_code  # the per-language table (zh-Hans -> zh-CN for Google ...)

        return self.codes.get(language) or engine_code(self.name, language)

    # -- hints -------------------------------------------------------------------------------

    def offline_hint(self) -> str:
        return ("no network? --translator whisper works offline; or run a LibreTranslate server and use "
                "--translator libre --translator-url http://localhost:5000")

    def key_hint(self) -> str:
        return "check the engine's key"

    def _error(self, failure: _Failure) -> TranslationError:
        tries = f" after {failure.attempts} attempts" if failure.attempts > 1 else ""
        resume = "run the same command again later: sentences already translated are cached"
        if failure.kind == "unreachable":
            return TranslationError(self.name, f"{failure.detail}{tries}", hint=self.offline_hint())
        if failure.kind == "auth":
            return TranslationError(self.name, failure.detail, hint=self.key_hint())
        if failure.kind == "unsupported":
            return TranslationError(self.name, failure.detail, hint="choose another engine with --translator")
        if failure.kind in ("timeout", "dropped", "server", "malformed"):
            return TranslationError(self.name, f"gave up{tries}: {failure.detail}",
                                    hint=f"{resume}, or choose another engine with --translator "
                                    "(whisper works offline); [translator] timeout raises the time limit")
        if failure.kind == "rate-limited":
            return TranslationError(self.name, f"gave up{tries}: {failure.detail}",
                                    hint=f"{resume}, or choose another engine with --translator")
        return TranslationError(self.name, failure.detail, hint="choose another engine with --translator")

    # -- one request, with retries -----------------------------------------------------------

    def _request(self, source: str, texts: list[str], *, policy: RetryPolicy | None = None) -> str | list[str]:
        """One request through deep-translator, retried on transient failures; raises ``_Failure`` when it gives up.

        An unreachable host is retried once only: no network will not come back within seconds.
        """
        policy = policy or self.policy
        failure: _Failure | None = None
        attempt = 0
        while attempt < policy.attempts:
            attempt += 1
            try:
                answer, guard = _guarded(lambda: self._send(self._client(source), texts), policy.timeout)
            except _CallFailed as failed:
                self.stats.requests += failed.guard.requests
                failure = _classify(failed.error, failed.guard)
                log.debug("%s: attempt %d failed: %s (%s)", self.name, attempt, failure.detail,
                          redact(repr(failed.error)))
                if not failure.retry:
                    failure.attempts = attempt
                    raise failure from failed.error
            else:
                self.stats.requests += guard.requests
                self.stats.chars_sent += sum(len(t) for t in texts) + len(texts) - 1
                if any(answer) if isinstance(answer, list) else answer.strip():
                    return answer
                failure = _Failure("malformed", "empty answer", retry=True)
            if attempt >= policy.attempts or (failure.kind == "unreachable" and attempt >= 2):
                break
            self.stats.retries += 1
            wait = policy.delay(attempt, failure.retry_after)
            log.info("%s: %s; retrying in %.1f s", self.name, failure.detail, wait)
            time.sleep(wait)
        assert failure is not None
        failure.retry = False
        failure.attempts = attempt
        raise failure

    # -- batching ----------------------------------------------------------------------------

    def _fits(self, texts: Sequence[str]) -> bool:
        if self.max_items is not None and len(texts) > self.max_items:
            return False
        joined = "\n".join(texts)
        if len(joined) > self._limit:
            return False
        if self.max_bytes is not None and len(joined.encode("utf-8")) > self.max_bytes:
            return False
        return self.max_encoded is None or len(quote(joined, safe="")) <= self.max_encoded

    def _pieces(self, text: str) -> list[str]:
        """``text`` cut at spaces into pieces that each fit one request (almost always ``[text]``)."""
        if self._fits([text]):
            return [text]
        pieces: list[str] = []
        current = ""
        for word in text.split():
            candidate = f"{current} {word}" if current else word
            if current and not self._fits([candidate]):
                pieces.append(current)
                current = word
            else:
                current = candidate
            while len(current) > 1 and not self._fits([current]):  # a "word" over the limit: cut it
                cut = len(current) // 2
                pieces.append(current[:cut])
                current = current[cut:]
        if current:
            pieces.append(current)
        return pieces

    def _pack(self, texts: Sequence[str]) -> list[list[str]]:
        """Greedy batches of consecutive texts, each within the engine's limits."""
        batches: list[list[str]] = []
        current: list[str] = []
        size = 0
        for text in texts:
            step = len(text) + (1 if current else 0)
            if current and (size + step > self._limit or not self._fits([*current, text])):
                batches.append(current)
                current, size = [], 0
                step = len(text)
            current.append(text)
            size += step
        if current:
            batches.append(current)
        return batches

    @staticmethod
    def _split_answer(answer: str | list[str], count: int) -> list[str] | None:
        if isinstance(answer, list):
            return [str(a).strip() for a in answer] if len(answer) == count else None
        lines = [line.strip() for line in answer.replace("\r\n", "\n").strip("\n").split("\n")]
        if len(lines) != count:
            lines = [line for line in lines if line]
        if len(lines) != count or (count > 1 and not all(lines)):
            return None
        return lines

    def _translate_batch(self, source: str, batch: list[str], done: Callable[[list[str], list[str]], None]) -> None:
        try:
            answer = self._request(source, batch)
        except _Failure as failure:
            if len(batch) > 1 and failure.kind in ("too-large", "bad-request"):
                self.stats.too_large += 1
                self._limit = max(1, min(self._limit, len("\n".join(batch)) // 2))
                log.info("%s: %s; halving the batch (limit now %d characters)", self.name, failure.detail,
                         self._limit)
                self._halves(source, batch, done)
                return
            raise
        lines = self._split_answer(answer, len(batch))
        if lines is None and len(batch) == 1:
            lines = [" ".join(answer if isinstance(answer, list) else answer.split())]
        if lines is None:
            self.stats.split_fallbacks += 1
            self._lines_fail += 1
            log.info("%s: the answer to %d lines could not be split back; halving the batch", self.name, len(batch))
            self._halves(source, batch, done)
            return
        if len(batch) > 1:
            self._lines_ok += 1
        self.stats.answers += 1
        done(batch, lines)

    def _halves(self, source: str, batch: list[str], done: Callable[[list[str], list[str]], None]) -> None:
        if self._lines_fail >= 3 and self._lines_ok == 0:
            # This engine does not keep lines: one sentence per request from here on.
            for text in batch:
                self._translate_batch(source, [text], done)
            return
        mid = len(batch) // 2
        self._translate_batch(source, batch[:mid], done)
        self._translate_batch(source, batch[mid:], done)

    # -- text translation --------------------------------------------------------------------

    def translate_texts(
        self, texts: Sequence[str], source: str = "ko", progress: TextProgress | None = None
    ) -> list[str]:
        """Translate each text as one unit (a sentence): names protected, cached, batched.

        Returns one English string per text ("" where the engine gave nothing). ``progress`` gets
        ``(texts_done, texts_total)``.
        """
        protected = [protect_names(" ".join(t.split()), self.glossary) for t in texts]
        items: list[_Item] = []
        passthrough: dict[int, str] = {}
        for i, p in enumerate(protected):
            if not any(ch.isalnum() for ch in p.text):
                passthrough[i] = p.text  # "♪", "...": nothing to translate
                continue
            items.extend(_Item(i, piece) for piece in self._pieces(p.text))
        key = CacheKey(self.name, source, self.target, self.fingerprint())
        wanted = list(dict.fromkeys(item.text for item in items))
        answers = self.cache.lookup(key, wanted) if self.cache is not None else {}
        self.stats.cached += len(answers)
        missing = [t for t in wanted if t not in answers]
        total = len(wanted)
        if progress:
            progress(len(answers), total)

        def done(batch: list[str], lines: list[str]) -> None:
            pairs = [(t, line) for t, line in zip(batch, lines, strict=True) if line]
            answers.update(pairs)
            self.stats.translated += len(pairs)
            if self.cache is not None:
                self.cache.store(key, pairs)
            if progress:
                progress(len(answers), total)

        if missing:
            log.info("%s: %d of %d texts to translate (%d cached)", self.name, len(missing), total,
                     total - len(missing))
        try:
            for batch in self._pack(missing):
                self._translate_batch(source, batch, done)
        except _Failure as failure:
            raise self._error(failure) from None

        parts: dict[int, list[str]] = {}
        for item in items:
            english = answers.get(item.text, "")
            if english:
                parts.setdefault(item.sentence, []).append(english)
        out: list[str] = []
        for i, p in enumerate(protected):
            if i in passthrough:
                out.append(passthrough[i])
                continue
            english = restore_names(" ".join(parts.get(i, [])), p, self.glossary) if i in parts else ""
            if not english:
                log.warning("%s: no translation for %r", self.name, p.source[:60])
            self.stats.names += len(p.names)
            self.stats.names_kept += names_kept(english, p.names)
            out.append(english)
        return out

    def translate(
        self, transcript: Transcript, audio: AudioTrack | None, progress: ProgressCallback | None = None
    ) -> Transcript:
        """The English transcript: one utterance per Korean sentence, over that sentence's span."""
        sentences = join_sentences(transcript, self.join_rules)
        self.stats.sentences += len(sentences)
        total_s = transcript.duration_ms / 1000

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress(total_s * done / max(total, 1), total_s)

        english = self.translate_texts([s.text for s in sentences], transcript.language, report)
        utterances = tuple(
            Utterance(s.start_ms, s.end_ms, text) for s, text in zip(sentences, english, strict=True) if text.strip()
        )
        return Transcript(self.target, utterances, transcript.duration_ms, model=self.fingerprint(), task=self.name)

    def check(self, timeout: float = 5.0) -> tuple[bool, str]:
        """One real request (a short greeting, no cache, no retry): is the engine reachable and accepting us?"""
        policy = RetryPolicy(timeout=min(timeout, self.policy.timeout), retries=0)
        started = time.perf_counter()
        try:
            answer = self._request("ko", ["안녕하세요"], policy=policy)
        except _Failure as failure:
            return False, failure.detail
        except StreamkitError as exc:
            return False, exc.message
        ms = (time.perf_counter() - started) * 1000
        text = answer if isinstance(answer, str) else " ".join(answer)
        return bool(text.strip()), f"answered in {ms:.0f} ms" if text.strip() else "empty answer"

    @classmethod
    def from_context(cls, context: EngineContext) -> Translator:
        return cls(target=context.target, settings=context.settings, glossary=context.glossary)
