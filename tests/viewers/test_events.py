"""record_samples: the store returns what was new, the caller fires viewer_sample_recorded once for each."""

from __future__ import annotations

from pathlib import Path

from streamkit.hookspecs import hookimpl
from streamkit.plugins import registered
from streamkit.viewers import (
    ViewerSample,
    ViewerStore,
    record_samples,
)

from .data import sample


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
