"""The draft record beside every English draft (streamkit/translation/drafts.py): round trip, bad files."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streamkit.translation.drafts import load_record, record_path, save_record

from .test_plan import SENTENCES, korean, machine_draft


def test_record_round_trip_and_unreadable_records(tmp_path: Path) -> None:
    record = machine_draft(korean(SENTENCES))
    english = tmp_path / "show.en.srt"
    machine = [*record.machine[:-1], None]
    save_record(english, record.korean, record.english, engine="libre", fps=Fraction(30000, 1001), machine=machine)
    loaded = load_record(english)
    assert loaded is not None
    assert loaded.korean == record.korean and loaded.english == record.english
    assert loaded.machine == tuple(machine) and loaded.engine == "libre" and loaded.fps == Fraction(30000, 1001)
    assert load_record(tmp_path / "other.en.srt") is None
    record_path(english).write_text("{not json", encoding="utf-8")
    assert load_record(english) is None
