"""The context-aware ``llm`` engine against a real OpenAI-compatible HTTP server on 127.0.0.1.

The server (tests/llm_server.py) checks each request (model, JSON mode, numbered sentences) and answers
with a deterministic stand-in translation; it misbehaves on cue (wrong counts, prose, errors).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.errors import TranslationError
from streamkit.glossary import Glossary, load_glossary
from streamkit.translation.adapters import ENGINES, LlmEngine
from streamkit.translation.llm import build_messages, parse_answer

from ..libre_server import iter_sentences
from ..llm_server import LlmServer

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("STREAMKIT_LLM_URL", "STREAMKIT_LLM_MODEL", "STREAMKIT_LLM_API_KEY", "STREAMKIT_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache-root"))


@pytest.fixture
def server() -> Iterator[LlmServer]:
    with LlmServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return load_glossary()


def engine(server: LlmServer, tmp_path: Path, glossary: Glossary | None = None, **extra: Any) -> LlmEngine:
    settings: dict[str, Any] = {"url": server.url, "cache_path": str(tmp_path / "t.sqlite"), "timeout": 5,
                                "retries": 2, "backoff": 0.001, "backoff_max": 0.005, **extra}  # fmt: skip
    return LlmEngine(settings=settings, glossary=glossary)


# --------------------------------------------------------------------------- pure parts


def test_messages_carry_context_names_and_the_show() -> None:
    messages = build_messages(["그래?", "응 진짜야."], source="ko", target="ja", context=["BTS 신곡 들었어?"],
                              names=["BTS"], description="A fan livestream")  # fmt: skip
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Japanese" in messages[0]["content"] and '"translations"' in messages[0]["content"]
    document = json.loads(messages[1]["content"])
    assert document == {"show": "A fan livestream", "names": ["BTS"], "context": ["BTS 신곡 들었어?"],
                        "sentences": {"1": "그래?", "2": "응 진짜야."}}  # fmt: skip


@given(st.lists(st.text(min_size=1).filter(lambda s: s.strip()), min_size=1, max_size=8), st.booleans())
def test_a_well_formed_answer_parses_back_in_order(texts: list[str], as_list: bool) -> None:
    payload: Any = texts if as_list else {str(i): t for i, t in reversed(list(enumerate(texts, 1)))}
    assert parse_answer(json.dumps({"translations": payload}), len(texts)) == [" ".join(t.split()) for t in texts]
    assert parse_answer(json.dumps({"translations": payload}), len(texts) + 1) is None


@pytest.mark.parametrize("content", ["Here you go: Hello", '{"translations": {"1": "a", "3": "b"}}',
                                     '{"translations": {"1": "a", "2": ""}}', "[1, 2]", '{"other": 1}'])
def test_anything_else_is_a_mismatch(content: str) -> None:
    assert parse_answer(content, 2) is None


def test_registered_as_a_built_in_engine() -> None:
    assert ENGINES["llm"] is LlmEngine


# --------------------------------------------------------------------------- against the server


def test_translates_with_context_names_and_json_mode(server: LlmServer, tmp_path: Path, glossary: Glossary) -> None:
    texts = ["방탄소년단 신곡 들었어?", "그래?", *iter_sentences(6)]
    eng = engine(server, tmp_path, glossary=glossary, llm={"model": "tiny", "description": "BTS fan live"})
    eng.max_items = 3  # small batches, so later requests carry context
    out = eng.translate_texts(texts)
    assert all(out) and len(out) == len(texts)
    assert out[0].startswith("BTS") and "Bulletproof" not in out[0]
    assert server.problems == []
    first, second = server.requests[0], server.requests[1]
    assert first.body["model"] == "tiny" and first.body["response_format"] == {"type": "json_object"}
    assert first.document["show"] == "BTS fan live" and first.document["names"] == ["BTS"]
    assert "context" not in first.document
    assert second.document["context"] == ["BTS 신곡 들었어?", "그래?", texts[2]][-3:]
    assert sorted(server.answered()) == sorted(" ".join(t.split()).replace("방탄소년단", "BTS") for t in texts)


def test_wrong_counts_and_prose_are_halved_and_every_sentence_translated_once(server: LlmServer,
                                                                            tmp_path: Path) -> None:
    texts = list(iter_sentences(8))
    server.fail("wrong-count", "invalid-json", "fenced")
    eng = engine(server, tmp_path)
    out = eng.translate_texts(texts)
    assert all(out)
    assert sorted(server.answered()) == sorted(texts)  # each sentence in exactly one accepted answer
    assert eng.stats.split_fallbacks == 2


def test_a_rerun_sends_nothing(server: LlmServer, tmp_path: Path) -> None:
    texts = list(iter_sentences(5))
    engine(server, tmp_path).translate_texts(texts)
    sent = len(server.requests)
    assert engine(server, tmp_path).translate_texts(texts)
    assert len(server.requests) == sent


def test_server_errors_are_retried_and_a_refused_key_is_one_clear_error(tmp_path: Path) -> None:
    with LlmServer(api_key="sk-test-123") as srv:
        srv.fail("500", "429")
        out = engine(srv, tmp_path, llm={"api_key": "sk-test-123"}).translate_texts(["안녕하세요"])
        assert out == ["Hello"]
        assert srv.requests[-1].headers["authorization"] == "Bearer sk-test-123"
        with pytest.raises(TranslationError, match="refused") as info:
            engine(srv, tmp_path, cache=False, llm={"api_key": "wrong"}).translate_texts(["안녕하세요"])
        assert "STREAMKIT_LLM_API_KEY" in info.value.hint


def test_a_single_sentence_that_never_gets_json_is_an_error(server: LlmServer, tmp_path: Path) -> None:
    server.fail("invalid-json", "invalid-json", "invalid-json")
    with pytest.raises(TranslationError, match="llm"):
        engine(server, tmp_path).translate_texts(["안녕하세요"])


def test_a_key_never_travels_over_plain_http_to_another_host(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(TranslationError, match=r"plain HTTP to example\.org"):
        LlmEngine(settings={"url": "http://example.org/v1", "cache": False, "llm": {"api_key": "sk-secret-9"}})
    with caplog.at_level(logging.DEBUG, logger="streamkit"), LlmServer(api_key="sk-secret-9") as srv:
        engine(srv, tmp_path, llm={"api_key": "sk-secret-9"}).translate_texts(list(iter_sentences(3)))
    assert "sk-secret-9" not in caplog.text


def test_unreachable_server_names_ollama_in_the_hint(tmp_path: Path) -> None:
    with LlmServer() as srv:
        url = srv.url
    with pytest.raises(TranslationError, match="unreachable") as info:
        LlmEngine(settings={"url": url, "cache": False, "timeout": 1, "retries": 1, "backoff": 0.001}
                  ).translate_texts(["안녕하세요"])
    assert "ollama" in info.value.hint


def test_cli_translate_with_llm(server: LlmServer, tmp_path: Path) -> None:
    source = tmp_path / "show.ko.srt"
    source.write_text("1\n00:00:01,000 --> 00:00:03,000\n방탄소년단 신곡 들었어?\n\n"
                      "2\n00:00:03,500 --> 00:00:04,500\n그래?\n", encoding="utf-8")
    result = runner.invoke(app, ["translate", str(source), "-t", "llm", "--translator-url", server.url, "-q"])
    assert result.exit_code == 0, result.output
    english = (tmp_path / "show.en.srt").read_text(encoding="utf-8")
    assert "BTS" in english and server.problems == []
