"""Secrets registered once are blanked everywhere: raw, percent-encoded, in log records and tracebacks."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit import redaction
from streamkit.redaction import MASK, RedactingFilter, redact, register_secret


@pytest.fixture(autouse=True, scope="module")
def _forget_test_secrets() -> Iterator[None]:
    """The registry is process-wide: random test secrets must not blank other tests' output."""
    kept = list(redaction._forms)
    yield
    redaction._forms[:] = kept


secrets_st = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=8, max_size=40)


@given(secret=secrets_st, before=st.text(max_size=20), after=st.text(max_size=20))
def test_a_registered_secret_never_survives_redaction_in_any_encoding(secret: str, before: str, after: str) -> None:
    register_secret(secret)
    for form in (secret, quote(secret, safe=""), quote(secret), quote_plus(secret)):
        assert secret not in redact(f"{before}{form}{after}")
        assert MASK in redact(f"{before}{form}{after}")


def test_key_parameters_are_blanked_even_when_unregistered_and_short_values_are_not_secrets() -> None:
    assert redact("GET /get?q=hi&de=someone%40example.net&langpair=ko|en") == "GET /get?q=hi&de=***&langpair=ko|en"
    assert redact("/translate?api_key=abc&format=text mode=fast") == "/translate?api_key=***&format=text mode=fast"
    register_secret("id")  # too short to be a credential: would blank ordinary words
    assert redact("the client id is shown") == "the client id is shown"


def test_the_log_filter_rewrites_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    secret = "sk-filter-test-9f8e7d"
    register_secret(secret)
    record = logging.LogRecord("streamkit", logging.DEBUG, __file__, 1, "sent %s to %s", (secret, "host"), None)
    assert RedactingFilter().filter(record) and record.getMessage() == f"sent {MASK} to host"
    try:
        raise RuntimeError(f"Unauthorized access with the api key {quote_plus(secret)}")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("streamkit", logging.DEBUG, __file__, 1, "details", (), sys.exc_info())
    assert RedactingFilter().filter(failed)
    assert failed.exc_info is None and secret not in failed.getMessage() and "RuntimeError" in failed.getMessage()
    logger = logging.getLogger("streamkit")
    with caplog.at_level(logging.DEBUG, logger="streamkit"):
        logger.propagate, was = True, logger.propagate
        try:
            logger.debug("key=%s", secret)  # the filter sits on the logger itself, whoever set up the handlers
        finally:
            logger.propagate = was
    assert secret not in caplog.text and f"key={MASK}" in caplog.text


def test_the_cli_error_line_never_shows_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from streamkit.cli._app import _guard
    from streamkit.errors import StreamkitError

    secret = "sk-cli-line-7f6e5d4c"
    register_secret(secret)

    def fails() -> None:
        raise StreamkitError(f"the server said: bad key {secret}", hint=f"check {quote(secret, safe='')}")

    def crashes() -> None:
        raise RuntimeError(f"Unauthorized access with the api key {secret}")

    for body in (fails, crashes):
        with pytest.raises(typer.Exit):
            _guard(body, verbose=1)
    shown = capsys.readouterr().err
    assert "bad key ***" in shown and "internal error: RuntimeError" in shown
    assert secret not in shown and quote(secret, safe="") not in shown
