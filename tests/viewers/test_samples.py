"""Parsing one field (counts, times) and the sample: its invariants and its JSON form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.viewers import (
    KINDS,
    SampleError,
    ViewerSample,
    parse_count,
    parse_time,
    sample_from_fields,
)

from .data import T0

# --------------------------------------------------------------------------- fields and samples


@pytest.mark.parametrize(("text", "value"), [
    ("1300000", 1_300_000), ("1,300,000", 1_300_000), ("1.3M", 1_300_000), ("1.25k", 1250), (" 42 ", 42),
    ("2b", 2_000_000_000), ("0", 0), (42, 42), (42.0, 42), ("1_000", 1000),
])
def test_counts_are_read_exactly(text: object, value: int) -> None:
    assert parse_count(text) == value


@pytest.mark.parametrize(("text", "problem"), [
    ("abc", "not a number"), ("-5", "negative"), (-5, "negative"), ("1.5", "not a whole number"),
    (12.5, "not a whole number"), ("1.2345k", "not a whole number"), ("", "missing"), (None, "missing"),
    (True, "not a count"), (float("nan"), "not a whole number"), ("1e6", "not a number"),
    ("12 viewers", "not a number"),
])
def test_bad_counts_are_refused(text: object, problem: str) -> None:
    with pytest.raises(SampleError, match=problem) as info:
        parse_count(text)
    assert info.value.field == "value"


def test_times_become_utc_and_naive_ones_are_flagged() -> None:
    assert parse_time("2024-05-01T20:00:00+09:00") == (T0, False)
    assert parse_time("2024-05-01T11:00:00Z") == (T0, False)
    assert parse_time("2024-05-01 11:00:00") == (T0, True)
    with pytest.raises(SampleError, match="not an ISO 8601 time"):
        parse_time("yesterday evening")


def test_a_sample_keeps_its_invariants() -> None:
    s = ViewerSample(datetime(2024, 5, 1, 20, 0, 0, 123456, tzinfo=timezone(timedelta(hours=9))), "decade-live",
                     "live", "ko", "youtube", "concurrent", 5, "test")
    assert s.time == datetime(2024, 5, 1, 11, 0, 0, 123000, tzinfo=UTC) and s.time.tzinfo is UTC
    bad: list[tuple[dict[str, Any], str]] = [
        ({"time": datetime(2024, 5, 1)}, "no time zone"),
        ({"value": -1}, "negative"),
        ({"value": True}, "not a whole number"),
        ({"kind": "peak"}, "not a metric kind"),
        ({"version": "vod"}, "not a version"),
        ({"platform": "You Tube"}, "not a platform"),
        ({"stream": "decade live"}, "not a stream name"),
        ({"language": "korean!"}, "not a language"),
        ({"source": ""}, "source"),
    ]
    for change, message in bad:
        fields = {"time": T0, "stream": "decade-live", "version": "live", "language": "ko", "platform": "youtube",
                  "kind": "concurrent", "value": 5, "source": "test", **change}
        with pytest.raises(SampleError, match=message):
            ViewerSample(**fields)


samples_st = st.builds(
    ViewerSample,
    time=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    stream=st.from_regex(r"[a-z][a-z0-9\-]{0,20}", fullmatch=True),
    version=st.sampled_from(["live", "replay"]),
    language=st.sampled_from(["ko", "en", "ja", "en-us"]),
    platform=st.sampled_from(["youtube", "twitch", "x", "weverse"]),
    kind=st.sampled_from(list(KINDS)),
    value=st.integers(min_value=0, max_value=10**12),
    source=st.text(st.characters(min_codepoint=33, max_codepoint=0x10FF), min_size=1, max_size=30).filter(str.strip),
)


@settings(max_examples=60, deadline=None)
@given(samples_st)
def test_a_sample_survives_its_json_form(s: ViewerSample) -> None:
    again, naive = sample_from_fields(json.loads(json.dumps(s.to_dict())), default_source="x")
    assert again == s and not naive
