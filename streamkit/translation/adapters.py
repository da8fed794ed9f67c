"""The built-in engines: thin adapters over :class:`~streamkit.translation.textengine.TextEngine`, one per service.

Each builds its deep-translator client and reads its own settings; DeepL and Papago (Naver Cloud)
get their request brought up to date. :data:`ENGINES` maps the names to the classes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests  # type: ignore[import-untyped,unused-ignore]

from ..errors import TranslationError
from ..redaction import redact, register_secret
from .llm import LlmEngine
from .lookup import EngineConfig, setting_source
from .options import TranslatorSettings
from .textengine import TextEngine
from .transport import _EngineAnswer


class GoogleEngine(TextEngine):
    """Google Translate's web endpoint via deep-translator's ``GoogleTranslator`` (GET, no key).

    deep-translator refuses 5000 characters or more; the text travels in the URL, and Google
    answers 400 to URLs much over 16 kB (about 1800 Hangul characters), so requests are also kept
    under 15000 percent-encoded characters.
    """

    name = "google"
    description = "Google Translate (default, no key)"
    max_chars = 4999
    max_encoded = 15000
    codes: ClassVar[Mapping[str, str]] = {"zh": "zh-CN"}
    default_url = "https://translate.google.com/m"

    def _client(self, source: str) -> Any:
        from deep_translator import GoogleTranslator

        client = GoogleTranslator(source=self.code(source), target=self.code(self.target))
        client._base_url = self.url
        return client


class LibreEngine(TextEngine):
    """Any LibreTranslate server via deep-translator's ``LibreTranslator`` (``custom_url``).

    URL: ``--translator-url``, ``$STREAMKIT_LIBRE_URL``, ``[translator] libre_url``, else
    ``http://localhost:5000/``. Key (optional): ``$STREAMKIT_LIBRE_API_KEY`` or
    ``[translator] libre_api_key``. deep-translator sends the text and the key in the query string
    of a POST (where server access logs keep them); the adapter sends both in the form body.
    """

    name = "libre"
    description = "LibreTranslate server (--translator-url, optional key)"
    max_chars = 2000
    timeout = 30.0  # a CPU server takes a while over 2000 characters
    url_env = ("STREAMKIT_LIBRE_URL",)
    default_url = "http://localhost:5000/"
    key_env = ("STREAMKIT_LIBRE_API_KEY",)
    accepts_url = True  # a LibreTranslate server is whichever one the user runs

    @property
    def url(self) -> str:
        base = super().url
        return base if base.endswith("/") else base + "/"

    def configure(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TranslationError(self.name, f"not an http(s) URL: {redact(self.url)!r}",
                                   hint="use --translator-url http://HOST:PORT (e.g. http://localhost:5000)")
        self.api_key = self.setting("api_key", self.key_env)
        register_secret(parts.password)

    def credentials(self) -> list[str]:
        return [str(self.api_key)] if self.api_key else []

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        where = "--translator-url" if settings.url else setting_source(settings, cls.name, "url", cls.url_env)
        key = setting_source(settings, cls.name, "api_key", cls.key_env)
        url_part = f"URL from {where}" if where else f"default URL {cls.default_url}"
        return EngineConfig(True, f"{url_part}; key {'from ' + key if key else 'none'}")

    def _client(self, source: str) -> Any:
        client = _libre_client_class()(source=self.code(source), target="en", api_key=self.api_key or "-",
                                       custom_url=self.url)
        # deep-translator's own language list lags LibreTranslate's (no th, tl, zh-Hans, zh-Hant): the server decides.
        client.target = self.code(self.target)
        if not self.api_key:
            client.api_key = None  # deep-translator insists on a key; keyless servers get none
        return client

    def offline_hint(self) -> str:
        parts = urlsplit(self.url)
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()  # no user:password
        return (f"is a LibreTranslate server running at {shown}? start one (libretranslate --load-only ko,en) "
                "or pass --translator-url; --translator whisper works offline")

    def key_hint(self) -> str:
        return "set STREAMKIT_LIBRE_API_KEY (or [translator] libre_api_key in the config file)"


@functools.cache
def _libre_client_class() -> Any:
    from deep_translator import LibreTranslator
    from deep_translator.exceptions import AuthorizationException, ServerException, TranslationNotFound
    from deep_translator.validate import request_failed

    class _LibreClient(LibreTranslator):  # type: ignore[misc]
        """deep-translator's LibreTranslator with the text and the key in the form body, not the URL."""

        def translate(self, text: str, **kwargs: Any) -> str:
            form = {"q": text, "source": self._source, "target": self._target, "format": "text"}
            if self.api_key:
                form["api_key"] = self.api_key
            response = requests.post(self._base_url + "translate", data=form)
            if response.status_code == 403:
                raise AuthorizationException("(the key sent)")
            if request_failed(status_code=response.status_code):
                raise ServerException(response.status_code)
            res = response.json()
            if not res:
                raise TranslationNotFound(text)
            return str(res["translatedText"])

    return _LibreClient


class DeeplEngine(TextEngine):
    """DeepL via deep-translator's ``DeeplTranslator``, with the request brought up to date.

    deep-translator 1.11.4 sends ``GET /v2/translate?auth_key=...``; DeepL stopped accepting the
    key as a parameter (header ``Authorization: DeepL-Auth-Key`` only, since 2026-01-15) and GET on
    ``/translate``. The adapter keeps deep-translator's class (languages, errors) and sends a POST
    with the header and one ``text`` field per sentence (DeepL's own batching, up to 50).
    Key: ``$STREAMKIT_DEEPL_API_KEY``, ``$DEEPL_API_KEY`` or ``[translator] deepl_api_key``; keys
    ending in ``:fx`` use the Free endpoint.
    """

    name = "deepl"
    description = "DeepL (API key)"
    max_chars = 10000
    max_items = 50
    key_env = ("STREAMKIT_DEEPL_API_KEY", "DEEPL_API_KEY")
    url_env = ()

    def configure(self) -> None:
        key = self.setting("api_key", self.key_env)
        if not key:
            raise TranslationError(self.name, "no API key", hint=self.key_hint())
        self.api_key = str(key)

    def credentials(self) -> list[str]:
        return [self.api_key]

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        where = setting_source(settings, cls.name, "api_key", cls.key_env)
        return EngineConfig(bool(where), f"key from {where}" if where else "no key: set STREAMKIT_DEEPL_API_KEY")

    @property
    def default_url(self) -> str:  # type: ignore[override]
        free = getattr(self, "api_key", "").endswith(":fx")
        return "https://api-free.deepl.com/v2/" if free else "https://api.deepl.com/v2/"

    @property
    def url(self) -> str:
        base = super().url
        return base if base.endswith("/") else base + "/"

    def code(self, language: str) -> str:
        return {"en": "EN-US", "pt": "PT-BR", "zh": "ZH"}.get(language, language.upper())

    def _client(self, source: str) -> Any:
        client = _deepl_client_class()(source="de", target="en", api_key=self.api_key)
        client.source = self.code(source)  # deep-translator's list predates DeepL's Korean
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        return list(client.translate_lines(texts))

    def key_hint(self) -> str:
        return "set STREAMKIT_DEEPL_API_KEY (or [translator] deepl_api_key); Free keys end in :fx"


@functools.cache
def _deepl_client_class() -> Any:
    from deep_translator import DeeplTranslator
    from deep_translator.exceptions import AuthorizationException, ServerException, TranslationNotFound
    from deep_translator.validate import request_failed

    class _DeeplClient(DeeplTranslator):  # type: ignore[misc]
        def translate_lines(self, texts: list[str]) -> list[str]:
            data = [("text", t) for t in texts] + [("source_lang", self._source), ("target_lang", self._target)]
            response = requests.post(self._base_url + "translate", data=data,
                                     headers={"Authorization": f"DeepL-Auth-Key {self.api_key}"})
            if response.status_code == 403:
                raise AuthorizationException("(the key sent)")
            if request_failed(status_code=response.status_code):
                raise ServerException(response.status_code)
            res = response.json()
            if not res or "translations" not in res:
                raise TranslationNotFound(texts)
            return [t["text"] for t in res["translations"]]

    return _DeeplClient


class PapagoEngine(TextEngine):
    """Naver Papago (the Korean specialist) via deep-translator's ``PapagoTranslator``.

    deep-translator posts to the Naver Developers endpoint ``openapi.naver.com/v1/papago/n2mt``
    with ``X-Naver-Client-Id``/``-Secret`` headers, and maps ``ko`` to ``Korean`` (its language
    table is reversed); the adapter sets the codes back. Keys from the Naver Cloud Platform
    (``naveropenapi.apigw.ntruss.com/nmt/v1/translation``, ``X-NCP-APIGW-API-KEY-ID`` headers):
    set ``[translator] papago_api = "ncp"``. Credentials: ``$STREAMKIT_PAPAGO_CLIENT_ID`` and
    ``$STREAMKIT_PAPAGO_CLIENT_SECRET`` (or ``papago_client_id``/``papago_client_secret``).
    """

    name = "papago"
    description = "Naver Papago (client id and secret; the Korean specialist)"
    max_chars = 5000
    codes: ClassVar[Mapping[str, str]] = {"zh": "zh-CN"}
    id_env = ("STREAMKIT_PAPAGO_CLIENT_ID",)
    secret_env = ("STREAMKIT_PAPAGO_CLIENT_SECRET",)
    NCP_URL = "https://naveropenapi.apigw.ntruss.com/nmt/v1/translation"

    @property
    def default_url(self) -> str:  # type: ignore[override]
        return self.NCP_URL if getattr(self, "api", "") == "ncp" else "https://openapi.naver.com/v1/papago/n2mt"

    def configure(self) -> None:
        self.client_id = self.setting("client_id", self.id_env)
        self.client_secret = self.setting("client_secret", self.secret_env)
        self.api = str(self.setting("api") or "developers")
        if self.api not in ("developers", "ncp"):
            raise TranslationError(self.name, f"unknown papago_api {self.api!r}", hint='use "developers" or "ncp"')
        if not (self.client_id and self.client_secret):
            raise TranslationError(self.name, "no client id and secret", hint=self.key_hint())

    def credentials(self) -> list[str]:
        return [str(self.client_id), str(self.client_secret)]

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        cid = setting_source(settings, cls.name, "client_id", cls.id_env)
        secret = setting_source(settings, cls.name, "client_secret", cls.secret_env)
        if cid and secret:
            return EngineConfig(True, f"client id from {cid}, secret from {secret}")
        return EngineConfig(False, "set STREAMKIT_PAPAGO_CLIENT_ID and STREAMKIT_PAPAGO_CLIENT_SECRET")

    def fingerprint(self) -> str:
        return f"{self.name}|{self.api}|{self.url}"

    def _client(self, source: str) -> Any:
        from deep_translator import PapagoTranslator

        cls = _papago_ncp_class() if self.api == "ncp" else PapagoTranslator
        client = cls(client_id=self.client_id, secret_key=self.client_secret, source="ko", target="en")
        client.source = self.code(source)
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def key_hint(self) -> str:
        return ("set STREAMKIT_PAPAGO_CLIENT_ID and STREAMKIT_PAPAGO_CLIENT_SECRET; Naver Cloud keys also need "
                '[translator] papago_api = "ncp"')


@functools.cache
def _papago_ncp_class() -> Any:
    from deep_translator import PapagoTranslator
    from deep_translator.exceptions import TranslationNotFound
    from deep_translator.validate import request_failed

    class _PapagoNcp(PapagoTranslator):  # type: ignore[misc]
        """deep-translator's Papago with the Naver Cloud Platform's header names."""

        def translate(self, text: str, **kwargs: Any) -> str:
            headers = {"X-NCP-APIGW-API-KEY-ID": self.client_id, "X-NCP-APIGW-API-KEY": self.secret_key}
            payload = {"source": self._source, "target": self._target, "text": text}
            response = requests.post(self._base_url, headers=headers, data=payload)
            if request_failed(status_code=response.status_code):
                raise Exception(f"Translation error! -> status code: {response.status_code}")
            result = (response.json().get("message") or {}).get("result") or {}
            if not result.get("translatedText"):
                raise TranslationNotFound(text)
            return str(result["translatedText"])

    return _PapagoNcp


class MyMemoryEngine(TextEngine):
    """MyMemory via deep-translator's ``MyMemoryTranslator`` (GET, no key; 500 bytes per request).

    An e-mail address (``$STREAMKIT_MYMEMORY_EMAIL`` or ``[translator] mymemory_email``) raises the
    free daily quota from 5000 to 50000 characters. MyMemory reports an exhausted quota as a 200
    answer whose "translation" is a warning; the adapter turns that into an error.
    """

    name = "mymemory"
    description = "MyMemory (no key; optional e-mail for a larger quota)"
    max_chars = 499
    max_bytes = 480
    codes: ClassVar[Mapping[str, str]] = {"ko": "ko-KR", "en": "en-US", "zh": "zh-CN"}
    default_url = "https://api.mymemory.translated.net/get"
    email_env = ("STREAMKIT_MYMEMORY_EMAIL",)

    def configure(self) -> None:
        self.email = self.setting("email", self.email_env)

    def credentials(self) -> list[str]:
        return [str(self.email)] if self.email else []  # MyMemory's API takes it in the URL (de=), to its host only

    @classmethod
    def configuration(cls, settings: TranslatorSettings) -> EngineConfig:
        where = setting_source(settings, cls.name, "email", cls.email_env)
        return EngineConfig(True, f"e-mail from {where}" if where else "anonymous (5000 characters a day)")

    def _client(self, source: str) -> Any:
        from deep_translator import MyMemoryTranslator

        client = MyMemoryTranslator(source="korean", target="english", email=self.email)
        client.source = self.code(source)
        client.target = self.code(self.target)
        client._base_url = self.url
        return client

    def _send(self, client: Any, texts: list[str]) -> str | list[str]:
        answer = super()._send(client, texts)
        head = str(answer)[:80].upper()
        if "MYMEMORY WARNING" in head:
            raise _EngineAnswer("rate-limited", "daily free quota used up (MyMemory warning)")
        if "QUERY LENGTH LIMIT" in head:
            raise _EngineAnswer("too-large", "request too large (MyMemory query length limit)")
        return answer


#: The built-in text engines, by name.
ENGINES: dict[str, type[TextEngine]] = {
    cls.name: cls for cls in (GoogleEngine, DeeplEngine, PapagoEngine, MyMemoryEngine, LibreEngine, LlmEngine)
}
