"""An example streamkit plugin: a sink for two hooks and a viewer-count source.

Installed, it is loaded through its entry point (``[project.entry-points.streamkit]`` in
``pyproject.toml``); no streamkit code names it. Every hook implementation runs on a worker
thread of its own with a time limit, so it may block briefly (a file write, an HTTP call); if it
raises, streamkit reports it and goes on.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from streamkit.hookspecs import hookimpl

__version__ = "0.1.0"

ENV_LOG = "STREAMKIT_EXAMPLE_LOG"
log = logging.getLogger("streamkit.example")


def _append(record: dict[str, Any]) -> None:
    target = os.environ.get(ENV_LOG)
    line = json.dumps(record, ensure_ascii=False, default=str)
    if not target:
        log.info("%s", line)
        return
    with open(target, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


@hookimpl
def run_finished(run_id: str, recording: str, summary: dict[str, Any], error: str | None) -> None:
    """One line per finished recording: which, how long, and whether it failed."""
    _append({"plugin": "example", "event": "run_finished", "run_id": run_id, "recording": recording,
             "outputs": [o.get("path") for o in summary.get("outputs", [])], "error": error})


@hookimpl
def viewer_sample_recorded(sample: Any) -> None:
    """Forward every newly stored viewer sample (a dashboard or a chat bot would go here)."""
    _append({"plugin": "example", "event": "viewer_sample_recorded", **sample.to_dict()})


class FileCountSource:
    """A viewer source that reads a whole number from a text file (the target id is the path)."""

    name = "example"
    platform = "example"
    units_per_poll = 0
    daily_units = None

    def __init__(self, context: Any) -> None:
        self.context = context

    def quota_day(self, now: datetime) -> str:
        return now.date().isoformat()

    def poll(self, target: Any, now: datetime) -> Any:
        from streamkit.viewer_sources import PollResult, SourceError
        from streamkit.viewers import ViewerSample

        try:
            value = int(Path(target.id).read_text(encoding="utf-8").strip())
        except (OSError, ValueError) as exc:
            raise SourceError(self.name, f"cannot read a count from {target.id}: {exc}") from None
        sample = ViewerSample(now, target.stream, target.version, target.lang, self.platform, "concurrent", value,
                              "example-file")
        return PollResult((sample,))


@hookimpl
def register_viewer_sources(register: Any) -> None:
    register("example", FileCountSource, "example plugin: a count read from a text file")
