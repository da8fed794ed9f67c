"""Credentials go only to their own service (protocol.refuse_server_url, TextEngine transport checks).

Real HTTP against tests/libre_server.py on 127.0.0.1 (``LibreTranslator`` pointed at it with its own
``custom_url``; the other services' adapters by their base URL set by name, e.g. ``deepl_url``).
Nothing is mocked below ``requests``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import ConfigError, TranslationError
from streamkit.translation.adapters import ENGINES, DeeplEngine, LibreEngine, MyMemoryEngine, PapagoEngine
from streamkit.translation.protocol import EngineContext
from streamkit.translation.registry import create_translator
from streamkit.translation.textengine import TextEngine

from ..libre_server import SECRETS, LibreServer, free_port, leaked
from .helpers import fast, libre_engine, typed

# --------------------------------------------------------------------------- credentials and the servers they go to

@pytest.mark.parametrize("name", ["deepl", "papago", "mymemory", "google"])
def test_translator_url_is_refused_for_engines_with_their_own_service(
    name: str, libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=f"--translator-url is not for {name}") as caught:
        create_translator(name, EngineContext(settings=typed(fast(libre, tmp_path))))
    assert f"[translator.{name}] url" in caught.value.hint and caught.value.exit_code == 2
    assert libre.hits() == []


def test_which_engines_take_a_server_url_is_a_property_of_the_engine(libre: LibreServer, tmp_path: Path) -> None:
    assert {name for name, cls in ENGINES.items() if cls.accepts_url} == {"libre", "llm"}  # servers the user runs
    with pytest.raises(ConfigError, match="not for whisper: it translates offline"):
        create_translator("whisper", EngineContext(settings=typed({"url": libre.url})))

    class OwnServer(LibreEngine):  # e.g. an OpenAI-compatible engine a plugin adds: it declares it takes a URL
        name = "own-server"
        accepts_url = True

    assert OwnServer(settings=fast(libre, tmp_path)).url == libre.url


def test_a_service_url_set_by_name_is_used_but_a_key_never_goes_over_plain_http_to_another_host(
    libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEEPL_API_KEY", "k-123:fx")
    engine = DeeplEngine(settings=fast(None, tmp_path, deepl_url=libre.url + "deepl/v2"))  # loopback: a local proxy
    assert engine.translate_texts(["안녕하세요."]) == ["Hello."]
    with pytest.raises(ConfigError, match=r"plain HTTP to translate\.example\.org"):
        DeeplEngine(settings=fast(None, tmp_path, deepl={"url": "http://translate.example.org/v2"}))
    DeeplEngine(settings=fast(None, tmp_path, deepl={"url": "https://proxy.example.org/v2"}))  # https: fine
    assert libre.translate_requests == 1


def test_no_secret_reaches_a_log_record_or_an_error_message(
    libre: LibreServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    for var, value in SECRETS.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(logging.getLogger("streamkit"), "propagate", True)  # a CLI test may have turned it off
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's request lines included
    said: list[str] = []

    def attempt(engine: TextEngine) -> None:
        try:
            engine.translate_texts(["안녕하세요."])
        except TranslationError as exc:
            said.extend([exc.message, exc.hint])

    libre.fail("403", "403")  # deep-translator's AuthorizationException quotes the key it sent
    attempt(libre_engine(libre, tmp_path, retries=0))
    attempt(DeeplEngine(settings=fast(None, tmp_path, retries=0, deepl_url=libre.url + "deepl/v2")))
    attempt(PapagoEngine(settings=fast(None, tmp_path, papago_url=libre.url + "papago/v1/papago/n2mt", cache=False)))
    attempt(MyMemoryEngine(settings=fast(None, tmp_path, mymemory_url=libre.url + "mymemory/get", cache=False)))
    down = f"http://127.0.0.1:{free_port()}/get"  # requests' message quotes the whole URL, de=... included
    attempt(MyMemoryEngine(settings=fast(None, tmp_path, retries=1, mymemory_url=down, cache=False)))
    assert len(said) == 6 and libre.translate_requests >= 4
    assert caplog.records and any(r.name.startswith("urllib3") for r in caplog.records)
    assert leaked(caplog.text + "\n".join(said)) == []


def test_the_libre_key_travels_in_the_body_not_the_url(libre: LibreServer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMKIT_LIBRE_API_KEY", SECRETS["STREAMKIT_LIBRE_API_KEY"])
    libre.api_key = SECRETS["STREAMKIT_LIBRE_API_KEY"]  # the server refuses requests without it
    assert libre_engine(libre, tmp_path).translate_texts(["안녕하세요.", "감사합니다."]) == ["Hello.", "Thank you."]
    hit = libre.hits("/translate")[0]
    assert hit.method == "POST" and hit.query == ""  # nothing in the URL: text and key are in the body
    assert hit.params["api_key"] == [SECRETS["STREAMKIT_LIBRE_API_KEY"]] and hit.params["q"]
    assert leaked(hit.path + hit.query) == []
