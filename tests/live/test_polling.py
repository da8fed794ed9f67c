"""``--poll youtube:ID``: the viewers Poller beside the live run, against the fake platform APIs of
tests/viewer_sources/fakes.py (a real HTTP server on 127.0.0.1), stored in a real SQLite file."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.live.polling import ViewerPoll, parse_poll_targets
from streamkit.viewers import ViewerStore

from ..viewer_sources.fakes import FakePlatforms, platforms  # noqa: F401  (the fixture)


def test_poll_targets_are_source_colon_id() -> None:
    (target,) = parse_poll_targets(["youtube:live123"], "fan")
    assert (target.source, target.id, target.stream, target.version) == ("youtube", "live123", "fan", "live")  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="is not SOURCE:ID"):
        parse_poll_targets(["youtube"], "fan")


def test_viewer_counts_are_recorded_alongside_and_the_poller_stops(platforms: FakePlatforms,  # noqa: F811
                                                                   tmp_path: Path) -> None:
    db = tmp_path / "viewers.sqlite"
    poll = ViewerPoll(parse_poll_targets(["youtube:live123"], "fan"), db, interval=1.0).start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not db.exists():
        time.sleep(0.1)
    time.sleep(1.5)
    poll.stop()
    assert poll._thread is not None and not poll._thread.is_alive() and poll.error is None
    store = ViewerStore(db, create=False)
    try:
        assert store.count() >= 1 and store.streams() == ["fan"]
    finally:
        store.close()
