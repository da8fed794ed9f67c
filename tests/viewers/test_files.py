"""CSV and JSON-lines imports: bad rows listed with their line numbers, good rows kept, conflicts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from streamkit.errors import InputError
from streamkit.viewers import (
    ViewerStore,
    import_samples,
    read_samples,
)

from .data import CSV_WITH_BAD_ROWS, sample

# --------------------------------------------------------------------------- import


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
