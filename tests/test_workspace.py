"""streamkit.workspace: the one spelling of the .streamkit/ layout, used by every module that keeps records there."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from streamkit.fsutil import FolderLock
from streamkit.workspace import DIRNAME, Workspace


def test_the_layout(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "out")
    root = tmp_path / "out" / ".streamkit"
    assert (ws.root, DIRNAME) == (root, ".streamkit")
    assert ws.cache == root / "cache"
    assert ws.manifest("show") == root / "runs" / "show.json"
    assert ws.draft_record("show.en.srt") == root / "drafts" / "show.en.srt.json"
    assert ws.lock("subtitle") == root / "subtitle.lock"
    assert ws.replay_state == root / "replay-state.json"
    assert ws.is_cache_entry(root / "cache" / "transcribe-k.json")
    assert not ws.is_cache_entry(root / "runs" / "show.json")
    assert not tmp_path.joinpath("out").exists()  # paths only: nothing is created


def test_a_workspace_takes_a_string_and_compares_by_folder(tmp_path: Path) -> None:
    assert Workspace(str(tmp_path)) == Workspace(tmp_path) and Workspace(str(tmp_path)).root == tmp_path / DIRNAME


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1,
               max_size=40).filter(lambda s: s not in (".", "..")))
def test_every_record_stays_inside_the_workspace(name: str) -> None:
    ws = Workspace(Path("/srv/out"))
    for path in (ws.manifest(name), ws.draft_record(name), ws.lock(name)):
        assert ws.root in path.parents


def test_the_modules_that_keep_records_use_it(tmp_path: Path) -> None:
    from streamkit.pipeline import RunManifest
    from streamkit.replay.state import ReplayLock, ReplayState
    from streamkit.translation.drafts import record_path

    ws = Workspace(tmp_path)
    assert RunManifest(tmp_path, "show").path == ws.manifest("show")
    assert record_path(tmp_path / "show.en.srt") == ws.draft_record("show.en.srt")
    assert ReplayState(tmp_path).path == ws.replay_state
    assert ReplayLock(tmp_path).path == ws.lock("replay")
    assert FolderLock(tmp_path, "subtitle").path == ws.lock("subtitle")
