from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import OutputError
from streamkit.fsutil import atomic_path, atomic_write_text, ensure_writable_dir


def test_atomic_path_renames_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.srt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".srt" and tmp.name.startswith(".")
        tmp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == ["out.srt"]


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_atomic_path_leaves_nothing_and_keeps_the_old_file_on_failure(tmp_path: Path, exc: type) -> None:
    target = tmp_path / "out.srt"
    target.write_text("editor's corrected version")
    with pytest.raises(exc), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise exc()
    assert target.read_text() == "editor's corrected version"
    assert [p.name for p in tmp_path.iterdir()] == ["out.srt"]


def test_atomic_write_text_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError):
        atomic_write_text(blocker / "out.srt", "x")


def test_ensure_writable_dir_refuses_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match=r"cannot create|not a folder"):
        ensure_writable_dir(blocker / "sub")
    with pytest.raises(OutputError):
        ensure_writable_dir(blocker)
