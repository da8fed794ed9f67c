"""The vocabulary of viewer counts, their errors, parsing one field, and :class:`ViewerSample`.

Everything else in the package builds on this module; it imports none of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import OutputError, StreamkitError

# --------------------------------------------------------------------------- vocabulary (data)

#: Metric kinds and how a total of each is obtained. Kinds are never added to each other.
KINDS: dict[str, str] = {
    "concurrent": "concurrent viewers at one instant; the report gives the peak, never a sum",
    "cumulative": "views counted so far (a running total); the latest sample is the total",
    "participants": "people who joined so far (a running total); the latest sample is the total",
    "impressions": "times shown so far (a running total); the latest sample is the total",
    "manual": "a figure entered by a person; the latest one supersedes earlier ones",
}
KIND_LABELS = {
    "concurrent": "concurrent viewers",
    "cumulative": "cumulative views",
    "participants": "participants",
    "impressions": "impressions",
    "manual": "manual figures",
}
_KIND_ALIASES = {
    "ccu": "concurrent",
    "ccv": "concurrent",
    "concurrent_viewers": "concurrent",
    "concurrentviewers": "concurrent",
    "viewers": "concurrent",
    "live_viewers": "concurrent",
    "views": "cumulative",
    "view_count": "cumulative",
    "viewcount": "cumulative",
    "cumulative_views": "cumulative",
    "total_views": "cumulative",
    "participant": "participants",
    "impression": "impressions",
}
VERSIONS = ("live", "replay")
#: The language a version is in when a row does not say: the Korean live, the English replay.
DEFAULT_LANGUAGE = {"live": "ko", "replay": "en"}

_NAME = re.compile(r"^[^\W][\w.\-]{0,99}$")
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9._\-]{0,49}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
_MAX_VALUE = 2**63 - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

ENV_DB = "STREAMKIT_VIEWERS_DB"


# --------------------------------------------------------------------------- errors


class ViewerError(StreamkitError):
    """Viewer-count data that cannot be used."""

    exit_code = 2


class SampleError(ViewerError):
    """One field of a sample is invalid; names the field and the value."""

    def __init__(self, field_name: str, value: object, problem: str, *, hint: str | None = None) -> None:
        self.field = field_name
        self.value = value
        self.problem = problem
        shown = repr(value) if not isinstance(value, str) else repr(value[:60])
        super().__init__(f"{field_name} {shown}: {problem}", hint=hint)

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "field": self.field, "value": self.value, "problem": self.problem}


class ViewerStoreError(ViewerError, OutputError):
    """The viewer database cannot be opened or written; names the file (``PATH: problem``)."""

    exit_code = 3
    default_hint = f"choose another file with --db (or {ENV_DB})"


class PollerBusyError(ViewerStoreError):
    """Another ``streamkit viewers poll`` already polls into this database."""

    default_hint = "stop the other poller first, or poll into another --db"

    def __init__(self, path: Path | str, holder: str) -> None:
        self.holder = holder
        who = f" ({holder})" if holder else ""
        super().__init__(path, f"another poller{who} is already polling into this database; refused")

    def _facts(self) -> dict[str, Any]:
        return {**super()._facts(), "holder": self.holder}


# --------------------------------------------------------------------------- parsing one field


def parse_time(value: object) -> tuple[datetime, bool]:
    """An aware UTC datetime from ISO 8601 text or a datetime; ``True`` when it had no time zone.

    A time without a zone is taken as UTC (the caller says so to the person).
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise SampleError("time", value, "is not an ISO 8601 time",
                              hint="write e.g. 2024-05-01T20:00:00+09:00 or 2024-05-01T11:00:00Z") from None
    else:
        raise SampleError("time", value, "is missing" if value in (None, "") else "is not a time")
    naive = parsed.tzinfo is None or parsed.utcoffset() is None
    if naive:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC), naive
    except OverflowError:  # 0001-01-01T00:00+09:00 is before year 1 in UTC
        raise _out_of_range(value if isinstance(value, str) else str(value)) from None


#: The times a viewer count may carry (inclusive). Every platform streamkit reads started after 2000
#: (YouTube 2005, Twitch 2011); 2100 is far beyond any recording. Fixed bounds, not "now": an import
#: gives the same answer on any day, and dates stay far from year 1 and 9999, where the chart's date
#: arithmetic (axis padding, time zones) overflows.
TIME_RANGE = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def check_time_range(when: datetime, shown: object) -> datetime:
    """``when`` (aware, UTC) when it lies in :data:`TIME_RANGE`; else :class:`SampleError` naming ``shown``."""
    low, high = TIME_RANGE
    if not low <= when <= high:
        raise _out_of_range(shown if isinstance(shown, str) else _iso(when))
    return when


def split_time_range(samples: Iterable[ViewerSample]) -> tuple[list[ViewerSample], list[ViewerSample]]:
    """``(in range, out of range)``: a store written before input was checked may hold impossible times."""
    low, high = TIME_RANGE
    kept: list[ViewerSample] = []
    left: list[ViewerSample] = []
    for sample in samples:
        (kept if low <= sample.time <= high else left).append(sample)
    return kept, left


def _out_of_range(shown: str) -> SampleError:
    low, high = TIME_RANGE
    return SampleError("time", shown, f"is outside {low.date()} .. {high.date()} (UTC), not a plausible viewer "
                       "count time", hint="check the year and the column order")


_COUNT = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmb]?)$", re.IGNORECASE)
_SCALE = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(value: object) -> int:
    """A whole, non-negative count from an int, an integral float, or text (``1,300,000``, ``1.3M``)."""
    if isinstance(value, bool):
        raise SampleError("value", value, "is not a count")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise SampleError("value", value, "is not a whole number")
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "").replace(" ", "")
        if text.startswith("-") and text[1:2].isdigit():
            raise SampleError("value", value, "is negative; counts are never below 0")
        match = _COUNT.match(text)
        if not match:
            what = "is missing" if not text else "is not a number"
            raise SampleError("value", value, what, hint="write a whole number such as 1300000, 1,300,000 or 1.3M")
        digits, suffix = match.groups()
        scale = _SCALE[suffix.lower()]
        whole, _, frac = digits.partition(".")
        if frac and (scale == 1 or len(frac) > len(str(scale)) - 1):
            raise SampleError("value", value, "is not a whole number")
        number = int(whole) * scale + (int(frac.ljust(len(str(scale)) - 1, "0")) if frac else 0)
    else:
        raise SampleError("value", value, "is missing" if value is None else "is not a number")
    if number < 0:
        raise SampleError("value", value, "is negative; counts are never below 0")
    if number > _MAX_VALUE:
        raise SampleError("value", value, "is too large")
    return number


def parse_kind(value: object) -> str:
    text = str(value if value is not None else "").strip().lower().replace("-", "_").replace(" ", "_")
    kind = _KIND_ALIASES.get(text, text)
    if kind not in KINDS:
        raise SampleError("kind", value, f"is not a metric kind ({', '.join(KINDS)})" if text else "is missing",
                          hint=f"use one of: {', '.join(KINDS)}")
    return kind


def parse_version(value: object) -> str:
    text = str(value if value is not None else "").strip().lower()
    if text not in VERSIONS:
        raise SampleError("version", value, "is not a version (live, replay)" if text else "is missing",
                          hint="use live (the Korean livestream) or replay (the subtitled replay)")
    return text


# --------------------------------------------------------------------------- the sample


@dataclass(frozen=True, slots=True)
class ViewerSample:
    """One viewer count: ``value`` of ``kind`` for ``stream``/``version``/``language`` on ``platform``.

    ``time`` is an aware datetime, normalized to UTC and whole milliseconds; ``source`` says
    where the number came from (``youtube-api``, ``manual``, ``import:file.csv`` ...).
    """

    time: datetime
    stream: str
    version: str
    language: str
    platform: str
    kind: str
    value: int
    source: str

    def __post_init__(self) -> None:
        t = self.time
        if not isinstance(t, datetime):
            raise SampleError("time", t, "is not a datetime")
        if t.tzinfo is None or t.utcoffset() is None:
            raise SampleError("time", t.isoformat(), "has no time zone",
                              hint="pass an aware datetime (parse_time assumes UTC and tells you)")
        t = t.astimezone(UTC)
        object.__setattr__(self, "time", t.replace(microsecond=t.microsecond // 1000 * 1000))
        if not isinstance(self.stream, str) or not _NAME.match(self.stream):
            raise SampleError("stream", self.stream, "is not a stream name",
                              hint="use letters, digits, '-', '_' or '.', e.g. decade-live")
        if self.version not in VERSIONS:
            raise SampleError("version", self.version, "is not a version", hint="use live or replay")
        if not isinstance(self.language, str) or not _LANGUAGE.match(self.language):
            raise SampleError("language", self.language, "is not a language code", hint="use e.g. ko or en")
        if not isinstance(self.platform, str) or not _PLATFORM.match(self.platform):
            raise SampleError("platform", self.platform, "is not a platform name",
                              hint="use lower-case letters, digits, '-', '_' or '.', e.g. youtube")
        if self.kind not in KINDS:
            raise SampleError("kind", self.kind, "is not a metric kind", hint=f"use one of: {', '.join(KINDS)}")
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise SampleError("value", self.value, "is not a whole number")
        if not 0 <= self.value <= _MAX_VALUE:
            raise SampleError("value", self.value, "is negative; counts are never below 0" if self.value < 0
                              else "is too large")
        if not isinstance(self.source, str) or not self.source.strip() or len(self.source) > 200 \
                or any(c in self.source for c in "\r\n"):
            raise SampleError("source", self.source, "must be one line of 1 to 200 characters")
        # Stored and compared as read back from CSV/JSON: without surrounding white space.
        object.__setattr__(self, "source", self.source.strip())

    @property
    def time_ms(self) -> int:
        """Milliseconds since the Unix epoch (UTC)."""
        return (self.time - _EPOCH) // _MS

    @property
    def series(self) -> tuple[str, str, str]:
        """``(platform, language, kind)``: samples of one series are comparable over time."""
        return (self.platform, self.language, self.kind)

    def key(self) -> tuple[str, str, str, str, str, str, int]:
        """What makes two samples "the same sample" (the value is not part of it)."""
        return (self.stream, self.version, self.language, self.platform, self.kind, self.source, self.time_ms)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": _iso(self.time),
            "stream": self.stream,
            "version": self.version,
            "language": self.language,
            "platform": self.platform,
            "kind": self.kind,
            "value": self.value,
            "source": self.source,
        }


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _from_ms(ms: int) -> datetime:
    return _EPOCH + ms * _MS


def sample_from_fields(fields: Mapping[str, Any], *, default_source: str) -> tuple[ViewerSample, bool]:
    """A sample from loose fields (a CSV row, a JSON object, CLI options); ``True`` if the time was naive.

    ``language`` defaults to the version's (live: ko, replay: en), ``platform`` to
    ``unspecified``, ``source`` to ``default_source``. Raises :class:`SampleError`.
    """

    def text(name: str) -> str:
        value = fields.get(name)
        return "" if value is None else str(value).strip()

    when, naive = parse_time(fields.get("time"))
    check_time_range(when, fields.get("time"))
    version = parse_version(fields.get("version"))
    kind = parse_kind(fields.get("kind"))
    value = parse_count(fields.get("value"))
    stream = text("stream")
    if not stream:
        raise SampleError("stream", "", "is missing")
    sample = ViewerSample(
        time=when,
        stream=stream,
        version=version,
        language=text("language").lower() or DEFAULT_LANGUAGE[version],
        platform=text("platform").lower() or "unspecified",
        kind=kind,
        value=value,
        source=text("source") or default_source,
    )
    return sample, naive
