"""Storing samples and telling plugins: the store returns what was new, this fires the hook for it."""

from __future__ import annotations

from collections.abc import Iterable

from ..plugins import notify
from .samples import ViewerSample
from .store import AddResult, ViewerStore

__all__ = ["record_samples"]


def record_samples(store: ViewerStore, samples: Iterable[ViewerSample], *, fire_hooks: bool = True) -> AddResult:
    """Store ``samples`` (idempotent); fire ``viewer_sample_recorded`` once for each newly stored one.

    Called by ``viewers record``, ``import`` and ``poll`` alike; the hook fires after the commit.
    """
    result = store.add(samples)
    if fire_hooks:
        for sample in result.added:
            notify("viewer_sample_recorded", sample=sample)
    return result
