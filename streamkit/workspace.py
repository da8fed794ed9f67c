"""The one place that knows the layout of ``<out>/.streamkit/``, the bookkeeping beside a run's outputs.

Every path under it comes from a :class:`Workspace` property, so the layout is written once::

    <out>/.streamkit/
      cache/STAGE-KEY.json        the stage cache (cache.StageCache)
      runs/STEM.json              the run manifest of one recording (pipeline.RunManifest)
      drafts/NAME.en.srt.json     the record of an English draft (retranslate.DraftRecord)
      NAME.lock                   a run's lock (fsutil.FolderLock: subtitle.lock, replay.lock)
      replay-state.json           a replay's state (replay.state.ReplayState)

Pure path arithmetic: nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["DIRNAME", "Workspace"]

#: The folder's name inside an output folder.
DIRNAME = ".streamkit"


@dataclass(frozen=True)
class Workspace:
    """The ``.streamkit/`` folder of the output folder ``out_dir``."""

    out_dir: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))

    @property
    def root(self) -> Path:
        return self.out_dir / DIRNAME

    @property
    def cache(self) -> Path:
        """The stage cache's folder."""
        return self.root / "cache"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    def manifest(self, stem: str) -> Path:
        """The run manifest of the recording named ``stem``."""
        return self.runs / f"{stem}.json"

    @property
    def drafts(self) -> Path:
        return self.root / "drafts"

    def draft_record(self, draft_name: str) -> Path:
        """The record of the English draft ``draft_name`` (a file name in ``out_dir``)."""
        return self.drafts / f"{draft_name}.json"

    def lock(self, name: str) -> Path:
        """The lock file of a ``name`` run (``subtitle``, ``replay``)."""
        return self.root / f"{name}.lock"

    @property
    def replay_state(self) -> Path:
        return self.root / "replay-state.json"

    def is_cache_entry(self, path: Path) -> bool:
        """``path`` is a file of this workspace's stage cache."""
        return Path(path).parent == self.cache
