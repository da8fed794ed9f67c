"""``streamkit viewers ...`` and ``streamkit plugins`` through Typer's runner, and two real poll processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.plugins import reset_plugin_manager
from streamkit.viewers import ViewerStore

from ..viewer_sources.fakes import FakePlatforms, platforms  # noqa: F401  (the fixture)
from ..viewers.data import CSV_WITH_BAD_ROWS, campaign

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("STREAMKIT_LOAD_PLUGINS", "")
    monkeypatch.setenv("STREAMKIT_VIEWERS_DB", str(tmp_path / "viewers.sqlite"))
    monkeypatch.delenv("STREAMKIT_WEBHOOK_SECRET", raising=False)
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def _one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output and len(lines) <= 2
    return lines[0]


def test_record_a_figure_then_the_same_again_then_a_conflicting_one(tmp_path: Path) -> None:
    args = ["viewers", "record", "-s", "decade-live", "--version", "live", "--kind", "cumulative", "--value", "1.3M",
            "-p", "youtube", "--time", "2024-05-01T20:00:00+09:00"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "recorded: decade-live live (ko, youtube) cumulative 1,300,000 at 2024-05-01T11:00:00.000Z" in first.output
    again = runner.invoke(app, [*args, "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == "already stored"
    changed = runner.invoke(app, [*args[:-6], "--value", "1.4M", "-p", "youtube", "--time", args[-1]])
    assert changed.exit_code == 2 and "already stored with value 1,300,000 (kept)" in changed.output
    with ViewerStore(tmp_path / "viewers.sqlite") as store:
        assert [s.value for s in store.samples()] == [1_300_000]


def test_record_without_a_time_zone_says_it_assumed_utc(tmp_path: Path) -> None:
    result = runner.invoke(app, ["viewers", "record", "-s", "decade-live", "--value", "5", "--time",
                                 "2024-05-01T11:00:00", "--db", str(tmp_path / "other.sqlite")])
    assert result.exit_code == 0 and "has no time zone; taken as UTC" in result.output
    assert (tmp_path / "other.sqlite").is_file()


@pytest.mark.parametrize(("args", "expected"), [
    (["--value", "-5"], "value '-5': is negative"),
    (["--value", "lots"], "value 'lots': is not a number"),
    (["--value", "5", "--kind", "peak"], "kind 'peak': is not a metric kind"),
    (["--value", "5", "--version", "vod"], "version 'vod': is not a version"),
])
def test_bad_figures_are_one_line_errors(args: list[str], expected: str) -> None:
    result = runner.invoke(app, ["viewers", "record", "-s", "decade-live", *args])
    assert result.exit_code == 2
    assert expected in _one_line_error(result.output)


def test_import_lists_bad_rows_keeps_good_ones_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text(CSV_WITH_BAD_ROWS, encoding="utf-8")
    result = runner.invoke(app, ["viewers", "import", str(path)])
    assert result.exit_code == 2
    assert "line 5: value 'abc': is not a number" in result.stderr
    assert "line 10: has 5 fields, the header has 9" in result.stderr
    assert "1 time(s) had no time zone and were taken as UTC (line 9)" in result.stderr
    assert "4 new sample(s), 0 already stored, 0 conflict(s), 6 bad row(s) skipped" in result.stdout
    again = runner.invoke(app, ["viewers", "import", str(path), "--json"])
    data = json.loads(again.stdout)["files"][0]
    assert (data["added"], data["duplicates"], len(data["skipped"])) == (0, 4, 6)
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(s.to_dict()) + "\n" for s in campaign()), encoding="utf-8")
    ok = runner.invoke(app, ["viewers", "import", str(good)])
    assert ok.exit_code == 0 and f"{len(campaign())} new sample(s)" in ok.stdout


def test_report_table_json_chart_and_page(tmp_path: Path) -> None:
    with ViewerStore(tmp_path / "viewers.sqlite") as store:
        store.add(campaign())
    table = runner.invoke(app, ["viewers", "report"])
    assert table.exit_code == 0, table.output
    for text in ("decade-live", "312,000", "65,000", "1,300,000", "1,200,000", "2,500,000", "never added"):
        assert text in table.stdout
    data = json.loads(runner.invoke(app, ["viewers", "report", "--json"]).stdout)
    stream = data["streams"][0]
    assert stream["totals"]["cumulative"]["value"] == 2_500_000
    assert stream["versions"]["live"]["peak_concurrent"]["value"] == 312_000
    assert stream["versions"]["live"]["peak_concurrent"]["time"] == "2024-05-01T11:20:00.000Z"
    pytest.importorskip("matplotlib")
    chart, page = tmp_path / "out" / "chart.png", tmp_path / "out" / "report.html"
    (tmp_path / "out").mkdir()
    made = runner.invoke(app, ["viewers", "report", "--chart", str(chart), "--html", str(page)])
    assert made.exit_code == 0, made.output
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 10_000
    assert "2,500,000" in page.read_text(encoding="utf-8")


def test_report_errors_are_one_line(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["viewers", "report", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 3 and "no such viewer database" in _one_line_error(missing.output)
    notdb = tmp_path / "notes.sqlite"
    notdb.write_text("hello\n" * 10)
    bad = runner.invoke(app, ["viewers", "report", "--db", str(notdb)])
    assert bad.exit_code == 3 and "is not a SQLite database" in _one_line_error(bad.output)
    ViewerStore(tmp_path / "empty.sqlite").close()
    empty = runner.invoke(app, ["viewers", "report", "--db", str(tmp_path / "empty.sqlite")])
    assert empty.exit_code == 2 and "no viewer samples" in _one_line_error(empty.output)


def test_poll_once_stores_samples_and_sinks_see_them(platforms: FakePlatforms, tmp_path: Path) -> None:  # noqa: F811
    log = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["viewers", "poll", "-s", "decade-live", "--youtube", "live123", "--twitch",
                                 "decadelive", "--once", "--event-log", str(log), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["polls"], summary["added"], summary["problems"]) == (2, 3, [])
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert sorted((e["sample"]["platform"], e["sample"]["kind"]) for e in events) == [
        ("twitch", "concurrent"), ("youtube", "concurrent"), ("youtube", "cumulative")]


def test_poll_without_keys_is_a_one_line_error(platforms: FakePlatforms, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.delenv("STREAMKIT_X_BEARER_TOKEN")
    result = runner.invoke(app, ["viewers", "poll", "-s", "decade-live", "--x", "1790000000000000000", "--once"])
    assert result.exit_code == 7
    assert "needs STREAMKIT_X_BEARER_TOKEN in the environment" in _one_line_error(result.output)
    nothing = runner.invoke(app, ["viewers", "poll", "-s", "decade-live", "--once"])
    assert nothing.exit_code == 2 and "nothing to poll" in _one_line_error(nothing.output)


def test_two_poll_processes_on_one_database(platforms: FakePlatforms, tmp_path: Path) -> None:  # noqa: F811
    db = tmp_path / "shared.sqlite"
    cmd = [sys.executable, "-m", "streamkit", "viewers", "poll", "-s", "decade-live", "--twitch", "decadelive",
           "--db", str(db)]
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.Popen([*cmd, "--interval", "1", "--duration", "60"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 30
        lock = db.with_name(db.name + ".poll-lock")
        while time.monotonic() < deadline and not (lock.exists() and '"pid"' in lock.read_text()):
            time.sleep(0.05)
        second = subprocess.run([*cmd, "--once"], capture_output=True, text=True, env=env, timeout=60)
        assert second.returncode == 3, second.stderr
        assert f"another poller (pid {first.pid} on" in second.stderr
        assert "already polling into this database; refused" in second.stderr
        assert "Traceback" not in second.stderr
        time.sleep(1.5)
    finally:
        first.send_signal(signal.SIGINT)  # Ctrl-C is how a poller is stopped
        out, errors = first.communicate(timeout=30)
    assert first.returncode == 0, errors
    assert "stopped with Ctrl-C" in out
    with ViewerStore(db) as store:
        assert store.count() >= 2  # the first poller kept polling while the second was refused


# --------------------------------------------------------------- foreign stores, times out of range (issue 13)


def test_another_apps_database_is_refused_before_anything_changes(tmp_path: Path) -> None:
    import hashlib
    import sqlite3

    other = tmp_path / "other-app.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
        conn.execute("INSERT INTO invoices (total) VALUES (42)")
    conn.close()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    result = runner.invoke(app, ["viewers", "record", "-s", "decade-live", "--value", "5", "--db", str(other)])
    assert result.exit_code == 3 and "not a streamkit viewer store" in _one_line_error(result.output)
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before  # still in rollback-journal mode: not WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other-app.sqlite"]  # no -wal or -shm left beside it
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z",
                                  "0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-05:00",
                                  "2100-01-01T00:00:01Z"])
def test_record_refuses_a_time_out_of_the_plausible_range(when: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["viewers", "record", "-s", "decade-live", "--value", "5", "--time", when])
    assert result.exit_code == 2
    assert f"time '{when}': is outside 2000-01-01 .. 2100-01-01" in _one_line_error(result.output)
    assert not (tmp_path / "viewers.sqlite").exists()


def test_import_skips_rows_with_times_out_of_range_and_the_report_still_works(tmp_path: Path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text("time,stream,version,kind,value\n"
                    "0001-01-01T00:00:00Z,decade-live,live,concurrent,5\n"
                    "2024-05-01T11:00:00Z,decade-live,live,concurrent,7\n"
                    "9999-12-31T00:00:00Z,decade-live,live,concurrent,9\n", encoding="utf-8")
    result = runner.invoke(app, ["viewers", "import", str(path)])
    assert result.exit_code == 2
    assert "line 2: time '0001-01-01T00:00:00Z': is outside 2000-01-01 .. 2100-01-01" in result.stderr
    assert "line 4: time '9999-12-31T00:00:00Z': is outside" in result.stderr
    page = tmp_path / "report.html"
    report = runner.invoke(app, ["viewers", "report", "--html", str(page)])
    assert report.exit_code == 0, report.output


def test_a_store_holding_impossible_times_from_before_still_reports(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from streamkit.viewers import ViewerSample

    with ViewerStore(tmp_path / "viewers.sqlite") as store:  # written before input was checked
        store.add([ViewerSample(datetime(9999, 12, 31, tzinfo=UTC), "decade-live", "live", "ko", "youtube",
                                "concurrent", 5, "old"), *campaign()])
    chart, page = tmp_path / "chart.png", tmp_path / "report.html"
    result = runner.invoke(app, ["viewers", "report", "--chart", str(chart), "--html", str(page)])
    assert result.exit_code == 0, result.output
    assert "left out 1 sample(s) with times outside 2000-01-01 .. 2100-01-01, e.g. 9999-12-31" in result.stderr
    data = json.loads(runner.invoke(app, ["viewers", "report", "--json"]).stdout)
    assert [s["time"] for s in data["left_out"]] == ["9999-12-31T00:00:00.000Z"]


def test_the_event_log_is_refused_before_the_store_is_created_and_never_the_store_or_an_input(tmp_path: Path) -> None:
    """The fault tour (bench/faults.py) found ``--event-log notes.srt`` refused only after the store was
    created, and ``--event-log`` naming the store itself (not there yet) or an imported file unchecked."""
    notes = tmp_path / "notes.srt"
    notes.write_text("1\n00:00:01,000 --> 00:00:02,000\nhi\n", encoding="utf-8")
    db = tmp_path / "v.sqlite"
    record = ["viewers", "record", "-s", "x", "--value", "5", "--db", str(db)]
    refused = runner.invoke(app, [*record, "--event-log", str(notes)])
    assert refused.exit_code == 3 and "notes.srt" in _one_line_error(refused.output)
    assert not db.exists()
    itself = runner.invoke(app, [*record, "--event-log", str(db)])
    assert itself.exit_code == 3 and "input or output" in _one_line_error(itself.output) and not db.exists()
    samples = tmp_path / "samples.jsonl"
    samples.write_text('{"time": "2024-05-01T11:00:00Z", "stream": "x", "version": "live", "kind": "concurrent", '
                       '"value": 7}\n', encoding="utf-8")
    before = samples.read_bytes()
    imported = runner.invoke(app, ["viewers", "import", str(samples), "--db", str(db), "--event-log", str(samples)])
    assert imported.exit_code == 3 and samples.read_bytes() == before and not db.exists()
    # An event log of its own works, before and after the store exists.
    log = tmp_path / "events.jsonl"
    assert runner.invoke(app, [*record, "--event-log", str(log)]).exit_code == 0
    assert db.exists() and log.read_text(encoding="utf-8").count("\n") >= 1
