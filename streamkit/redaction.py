"""Secrets kept out of logs and messages: each credential is registered when it is read, then blanked wherever it shows.

An engine or source that reads a key, e-mail address or signing secret calls :func:`register_secret`;
:func:`redact` replaces every registered value, raw and percent-encoded (``%40``, ``+`` for a
space), plus the value of any ``key=``/``token=``/``secret=``-like URL parameter, with ``***``.
The first registration puts :class:`RedactingFilter` on the ``streamkit`` logger and on
``urllib3.connectionpool`` (which logs every request line, query string included, at DEBUG), so
no log record from either carries a secret, whoever configured the handlers. Error messages are
built from :func:`redact`-ed text too. Nothing here configures logging output.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, quote_plus

__all__ = ["RedactingFilter", "redact", "register_secret"]

#: Shorter values are not treated as secrets (they would blank ordinary words); real keys are far longer.
MIN_SECRET_LENGTH = 4
#: Loggers whose records are redacted once a secret is known.
FILTERED_LOGGERS = ("streamkit", "urllib3.connectionpool")
MASK = "***"

_SECRET_PARAM = re.compile(r"(?<![\w-])((?:api_key|auth_key|apikey|key|secret|token|password|de)=)[^&\s'\")]+",
                           re.IGNORECASE)
_lock = threading.Lock()
_forms: list[str] = []  # every registered secret in every form, longest first
_installed = False


def register_secret(value: object) -> None:
    """Remember ``value`` (a credential just read) so that :func:`redact` and the log filter blank it."""
    if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_LENGTH:
        return
    global _installed
    with _lock:
        forms = {value, quote(value, safe=""), quote(value), quote_plus(value)}
        _forms[:] = sorted(set(_forms) | forms, key=len, reverse=True)
        if not _installed:
            for name in FILTERED_LOGGERS:
                logging.getLogger(name).addFilter(RedactingFilter())
            _installed = True


def redact(text: str) -> str:
    """``text`` with every registered secret (raw or URL-encoded) and every key-like URL parameter blanked."""
    for form in _forms:
        if form in text:
            text = text.replace(form, MASK)
    return _SECRET_PARAM.sub(rf"\1{MASK}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record whose message (or traceback) holds a secret; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler to report
            return True
        clean = redact(message)
        if record.exc_info and record.exc_info[0] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            if redact(trace) != trace:  # the traceback quotes a secret: keep it as redacted text only
                clean = f"{clean}\n{redact(trace)}"
                record.exc_info = None
                record.exc_text = None
        if clean != message:
            record.msg = clean
            record.args = None
        return True
