"""The run's scratch folder (decoded audio), tagged with the process id so a killed run's is found.

``tempfile.TemporaryDirectory`` is removed on a normal exit, on an error and on Ctrl-C, but not
after ``kill -9`` or a power cut: every such run left ``/tmp/streamkit-*/audio.wav`` (about 115 MB
per hour of audio) behind. :func:`workdir` names the folder ``streamkit-PID-*``, and
:func:`remove_stale_workdirs` (called when a run starts) removes those whose process is gone.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["remove_stale_workdirs", "workdir"]

log = logging.getLogger("streamkit")

PREFIX = "streamkit-"
_TAGGED = re.compile(rf"{PREFIX}(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def remove_stale_workdirs(base: Path | None = None) -> list[Path]:
    """Remove this user's ``streamkit-PID-*`` folders whose process no longer runs; return them.

    Folders of live processes, of other users, and untagged ones are left alone (a live PID that
    was reused by another program keeps its folder: the safe side).
    """
    folder = Path(base or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TAGGED.match(entry.name)
        if match is None or int(match.group(1)) == os.getpid():
            continue
        try:
            if not entry.is_dir() or entry.is_symlink() or entry.stat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if not _alive(int(match.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            if not entry.exists():
                removed.append(entry)
                log.info("removed %s, left by a run that was killed", entry)
    return removed


@contextmanager
def workdir() -> Iterator[Path]:
    """A fresh scratch folder ``streamkit-PID-*``, removed afterwards; stale ones are removed first."""
    remove_stale_workdirs()
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-") as work:
        yield Path(work)
