"""Viewer samples, the SQLite store, imports with bad rows, two writers, the poll lock, and the report."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.errors import InputError
from streamkit.hookspecs import hookimpl
from streamkit.plugins import registered, reset_plugin_manager
from streamkit.viewers import (
    KINDS,
    PollerBusyError,
    PollLock,
    SampleError,
    ViewerSample,
    ViewerStore,
    ViewerStoreError,
    build_report,
    chart_png,
    default_db_path,
    import_samples,
    parse_count,
    parse_time,
    read_samples,
    record_samples,
    report_html,
    sample_from_fields,
    write_html,
)

T0 = datetime(2024, 5, 1, 11, 0, tzinfo=UTC)  # 20:00 in Seoul


@pytest.fixture(autouse=True)
def only_builtins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", "")
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def sample(minutes: float, value: int, *, version: str = "live", kind: str = "concurrent", platform: str = "youtube",
           language: str | None = None, stream: str = "decade-live", source: str = "test") -> ViewerSample:
    lang = language or {"live": "ko", "replay": "en"}[version]
    return ViewerSample(T0 + timedelta(minutes=minutes), stream, version, lang, platform, kind, value, source)


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


# --------------------------------------------------------------------------- import

CSV_WITH_BAD_ROWS = """\
time,stream,version,language,platform,kind,value,source,comment
2024-05-01T11:00:00Z,decade-live,live,ko,youtube,concurrent,100000,yt,
2024-05-01T11:10:00Z,decade-live,live,ko,youtube,concurrent,"312,000",yt,"peak, during the
encore"
2024-05-01T11:20:00Z,decade-live,live,ko,youtube,concurrent,abc,yt,
2024-05-01T11:30:00Z,decade-live,live,ko,youtube,concurrent,-5,yt,

2024-05-01T11:40:00Z,decade-live,live,ko,youtube,viewers_peak,5,yt,
2024-05-01 11:50:00,decade-live,live,ko,youtube,concurrent,200000,yt,
2024-05-02T11:00:00Z,decade-live,replay,en,youtube
2024-05-02T11:00:00Z,decade-live,vod,en,youtube,concurrent,5,yt,
not a time,decade-live,replay,en,youtube,concurrent,5,yt,
2024-05-02T11:00:00Z,decade-live,replay,,youtube,cumulative,1.2M,,
"""


def test_bad_csv_rows_are_reported_with_line_numbers_and_good_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text(CSV_WITH_BAD_ROWS, encoding="utf-8")
    with ViewerStore(tmp_path / "v.sqlite") as store:
        result = import_samples(store, path)
        assert [(p.line, p.problem.split(":")[0]) for p in result.problems] == [
            (5, "value 'abc'"), (6, "value '-5'"), (8, "kind 'viewers_peak'"), (10, "has 5 fields, the header has 9"),
            (11, "version 'vod'"), (12, "time 'not a time'"),
        ]
        assert "is not a number" in result.problems[0].problem and "negative" in result.problems[1].problem
        assert result.added == 4 and result.rows == 10
        assert result.naive_lines == [9]
        assert any("taken as UTC (line 9)" in n for n in result.notes)
        assert any("ignored column(s): comment" in n for n in result.notes)
        stored = store.samples()
        assert [s.value for s in stored] == [100_000, 312_000, 200_000, 1_200_000]
        replay = stored[-1]
        assert (replay.language, replay.source, replay.kind) == ("en", "import:counts.csv", "cumulative")

        again = import_samples(store, path)  # the same file twice: nothing stored twice
        assert again.added == 0 and again.duplicates == 4 and store.count() == 4


def test_a_changed_value_for_a_stored_sample_is_a_conflict_and_the_stored_one_kept(tmp_path: Path) -> None:
    with ViewerStore(tmp_path / "v.sqlite") as store:
        store.add([sample(0, 100)])
        result = store.add([sample(0, 150), sample(0, 100), sample(1, 120)])
        assert len(result.added) == 1 and result.duplicates == 1
        assert [(s.value, kept) for s, kept in result.conflicts] == [(150, 100)]
        assert [s.value for s in store.samples()] == [100, 120]


def test_jsonl_import_reports_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "counts.jsonl"
    path.write_text("\n".join([
        json.dumps(sample(0, 10).to_dict()),
        "{not json",
        "[1, 2]",
        "",
        json.dumps({**sample(1, 20).to_dict(), "kind": "likes"}),
        json.dumps({"time": "2024-05-01T11:05:00+09:00", "stream": "decade-live", "version": "live",
                    "kind": "concurrent", "value": 30}),
    ]) + "\n", encoding="utf-8")
    result = read_samples(path)
    assert [(p.line, p.problem) for p in result.problems][:2] == [(2, "is not JSON (Expecting property name enclosed "
                                                                  "in double quotes)"), (3, "is not a JSON object")]
    assert result.problems[2].line == 5 and "not a metric kind" in result.problems[2].problem
    assert [s.value for s in result.samples] == [10, 30]
    assert result.samples[1].time == datetime(2024, 5, 1, 2, 5, tzinfo=UTC)
    assert result.samples[1].platform == "unspecified" and result.samples[1].language == "ko"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.csv", "when,stream,count\n2024-05-01T11:00:00Z,x,1\n", "the header lacks time, version, kind, value"),
    ("a.xlsx", "", "unknown file type"),
    ("a.csv", None, "no such file"),
])
def test_files_that_cannot_be_imported_at_all(tmp_path: Path, name: str, content: str | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_samples(path)


def test_every_newly_stored_sample_fires_the_hook_once(tmp_path: Path) -> None:
    seen: list[ViewerSample] = []

    class Dashboard:
        @hookimpl
        def viewer_sample_recorded(self, sample: ViewerSample) -> None:
            seen.append(sample)

    with registered(Dashboard(), "dashboard"), ViewerStore(tmp_path / "v.sqlite") as store:
        record_samples(store, [sample(0, 1), sample(1, 2)])
        record_samples(store, [sample(0, 1), sample(2, 3)])
        record_samples(store, [sample(3, 4)], fire_hooks=False)
        store.add([sample(4, 5)])  # the store alone fires nothing: the caller does
    assert [s.value for s in seen] == [1, 2, 3]


# --------------------------------------------------------------------------- the database


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "viewers.sqlite"
    path.write_text("time,stream\n2024-05-01,decade-live\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(ViewerStoreError, match="is not a SQLite database") as info:
        ViewerStore(path)
    assert info.value.exit_code == 3 and path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["viewers.sqlite"]


def test_someone_elses_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.close()
    with pytest.raises(ViewerStoreError, match="not a streamkit viewer store"):
        ViewerStore(path)
    with pytest.raises(ViewerStoreError, match="is a folder"):
        ViewerStore(tmp_path)
    with pytest.raises(ViewerStoreError, match="no such viewer database"):
        ViewerStore(tmp_path / "missing.sqlite", create=False)
    assert not (tmp_path / "missing.sqlite").exists()


def test_the_store_uses_wal_and_the_default_path_is_configurable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAMKIT_VIEWERS_DB", str(tmp_path / "env.sqlite"))
    assert default_db_path() == tmp_path / "env.sqlite"
    monkeypatch.delenv("STREAMKIT_VIEWERS_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "streamkit" / "viewers.sqlite"
    with ViewerStore() as store:
        store.add([sample(0, 1)])
        assert store.path == tmp_path / "data" / "streamkit" / "viewers.sqlite"
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


WRITER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime, timedelta
    from streamkit.viewers import ViewerSample, ViewerStore
    db, start, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    base = datetime(2024, 5, 1, tzinfo=UTC)
    with ViewerStore(db) as store:
        for i in range(start, start + n):  # one transaction per sample: the writers interleave
            s = ViewerSample(base + timedelta(seconds=i), "decade-live", "live", "ko", "youtube", "concurrent", i,
                             "writer")
            store.add([s])
    print("done")
""")


def _env() -> dict[str, str]:
    return {**os.environ, "STREAMKIT_LOAD_PLUGINS": ""}


def test_two_writer_processes_at_once_lose_nothing_and_store_nothing_twice(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"  # both create it: the schema is set up once
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(start), "300"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for start in (0, 150)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with ViewerStore(db) as store:
        values = [s.value for s in store.samples()]
    assert values == list(range(450))


HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from streamkit.viewers import PollLock
    with PollLock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()
""")


def test_a_second_poller_on_one_database_is_refused_until_the_first_ends(tmp_path: Path) -> None:
    db = tmp_path / "v.sqlite"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env=_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(PollerBusyError, match=f"pid {holder.pid}") as info:
            PollLock(db).acquire()
        assert "already polling" in str(info.value)
    finally:
        holder.kill()  # even a killed poller leaves no stale lock: the kernel drops it
        holder.wait(10)
    with PollLock(db) as lock:
        info = json.loads(lock.path.read_text())
        assert info["pid"] == os.getpid()
        assert PollLock.holder_at(lock.path) == \
            f"pid {os.getpid()} on {socket.gethostname()}: streamkit viewers poll, since {info['since']}"
        with pytest.raises(PollerBusyError):
            PollLock(db).acquire()
    PollLock(db).acquire()


# --------------------------------------------------------------------------- the report


def campaign() -> list[ViewerSample]:
    """The campaign's numbers: 1.3M views of the Korean live, 1.2M of the English replay."""
    live_ccv = [sample(m, v) for m, v in [(0, 120_000), (10, 250_000), (20, 312_000), (30, 280_000), (40, 90_000)]]
    live_views = [sample(m, v, kind="cumulative") for m, v in [(0, 200_000), (20, 900_000), (60, 1_300_000)]]
    replay_ccv = [sample(60 * 24 + m, v, version="replay") for m, v in [(0, 40_000), (30, 65_000), (60, 30_000)]]
    replay_views = [sample(60 * 24 * d, v, version="replay", kind="cumulative")
                    for d, v in [(1, 300_000), (2, 800_000), (3, 1_200_000)]]
    return live_ccv + live_views + replay_ccv + replay_views


def test_the_report_keeps_peaks_and_totals_apart_and_says_how(tmp_path: Path) -> None:
    with ViewerStore(tmp_path / "v.sqlite") as store:
        store.add(campaign())
        report = build_report(store.samples())
    stream = report.stream("decade-live")
    assert stream is not None
    live, replay = stream.version("live"), stream.version("replay")
    assert live is not None and replay is not None
    assert live.peak is not None and (live.peak.value, live.peak.time) == (312_000, T0 + timedelta(minutes=20))
    assert replay.peak is not None and replay.peak.value == 65_000
    live_total, replay_total = live.total("cumulative"), replay.total("cumulative")
    assert live_total is not None and live_total.value == 1_300_000 and live_total.method == "latest cumulative sample"
    assert replay_total is not None and replay_total.value == 1_200_000
    both = stream.total("cumulative")
    assert both is not None and both.value == 2_500_000
    assert dict(both.by_version) == {"live": 1_300_000, "replay": 1_200_000}
    assert both.method == ("live 1,300,000 (latest cumulative sample) + replay 1,200,000 (latest cumulative sample) "
                           "= 2,500,000")
    assert stream.total("concurrent") is None  # concurrent viewers are never summed
    data = report.to_dict()
    assert data["streams"][0]["totals"]["cumulative"]["value"] == 2_500_000
    assert data["streams"][0]["peak_concurrent"]["live"]["value"] == 312_000
    assert json.loads(json.dumps(data)) == data


def test_totals_over_platforms_say_so_and_kinds_stay_apart() -> None:
    samples = [
        sample(0, 500_000, kind="cumulative", platform="youtube"),
        sample(60, 800_000, kind="cumulative", platform="youtube"),
        sample(50, 500_000, kind="cumulative", platform="weverse"),
        sample(10, 1_000_000, kind="manual", platform="weverse"),
        sample(20, 1_100_000, kind="manual", platform="weverse"),  # a correction supersedes
        sample(5, 9_000, kind="concurrent", platform="twitch", language="en"),
        sample(5, 200_000, kind="concurrent", platform="youtube"),
        sample(70, 790_000, kind="cumulative", platform="youtube", source="other"),  # lower than an earlier one
    ]
    live = build_report(samples).streams[0].versions[0]
    cumulative, manual = live.total("cumulative"), live.total("manual")
    assert cumulative is not None and cumulative.value == 790_000 + 500_000
    assert cumulative.method == "sum of the latest cumulative sample of each of 2 platform/language series"
    assert manual is not None and (manual.value, manual.method) == (1_100_000, "latest manual figure")
    assert live.peak is not None and live.peak.value == 200_000 and "never added" in live.peak.method
    assert any("below an earlier one" in n for n in live.notes)
    both = build_report(samples).streams[0].total("cumulative")
    assert both is not None and "no cumulative views for replay" in both.method


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_is_a_real_png_and_the_page_embeds_it_with_the_table(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    samples = [*campaign(), sample(5, 7, stream="other-show")]
    png = chart_png(samples)
    width, height = _png_size(png)
    assert width >= 800 and height >= 600 and len(png) > 20_000  # two streams: two rows of two plots
    report = build_report(samples)
    page = write_html(report, samples, tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<table" in page
    assert "312,000" in page and "2,500,000" in page and "latest cumulative sample" in page
    assert 'src="data:image/png;base64,' in page
    bare = report_html(report, None)  # without matplotlib the page still has the table
    assert "<table" in bare and "data:image/png" not in bare
