"""What a run will write, and what the last run for a recording wrote: refused before any work.

:func:`plan_outputs` names every output of a job by role; :class:`RunManifest` records what a run
wrote (sha256 per file) and whether it finished, so a run that failed part-way resumes while a
file an editor changed is never overwritten without ``force`` (:func:`check_existing_outputs`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from .cache import file_digest
from .errors import OutputError, OutputExistsError, StreamkitError
from .fsutil import atomic_write_text
from .job import SubtitleJob
from .models import MediaInfo
from .mux import container_for, output_name
from .workspace import Workspace

__all__ = ["RunManifest", "check_existing_outputs", "plan_outputs"]

log = logging.getLogger("streamkit")


def plan_outputs(job: SubtitleJob, info: MediaInfo | None = None) -> dict[str, Path]:
    """Every file the job will write, by role (``ko.srt``, ``en.vtt``, ``video``)."""
    stem = job.input.stem
    folder = job.output_dir
    out = job.outputs
    planned = {f"{lang}.{fmt}": folder / f"{stem}.{lang}.{fmt}" for lang in job.languages for fmt in out.formats}
    has_video = info.has_video if info is not None else True
    if out.mux and has_video:
        container = container_for(job.input, out.container)
        planned["video"] = folder / output_name(job.input, container)
    return planned


class RunManifest:
    """What the last run for one recording wrote (sha256 per file) and whether it finished.

    Lets a run that failed part-way (say, translation was unreachable after the Korean SRT was
    written) be resumed by running the same command again, while a file an editor has changed
    since streamkit wrote it is still never overwritten without ``force``.
    """

    def __init__(self, folder: Path, stem: str) -> None:
        self.path = Workspace(folder).manifest(stem)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.complete = bool(data["complete"])
            self.files: dict[str, str] = dict(data["files"])
        except (OSError, ValueError, KeyError, TypeError):
            self.complete, self.files = True, {}

    def untouched(self, path: Path) -> bool:
        """``path`` is exactly what streamkit last wrote there (no one has edited it)."""
        recorded = self.files.get(path.name)
        return recorded is not None and path.is_file() and file_digest(path) == recorded

    def record(self, paths: list[Path], *, complete: bool) -> None:
        """Record what the run wrote; on failure (a full disk) remove the outputs it could not record.

        Unrecorded, they would be refused on the next run as an editor's; removed, the same
        command writes them again. Files recorded before stay.
        """
        unrecorded = [p for p in paths if not self.untouched(p)]
        self.complete = complete
        self.files = {p.name: file_digest(p) for p in paths if p.is_file()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps({"complete": complete, "files": self.files}, indent=1))
        except (OSError, StreamkitError) as exc:
            for path in unrecorded:
                path.unlink(missing_ok=True)
            if isinstance(exc, StreamkitError):
                raise
            raise OutputError(self.path, f"cannot record the run ({exc.strerror or exc})") from exc


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long to exist: refused by name after the probe
        return False


def check_existing_outputs(planned: dict[str, Path], force: bool, manifest: RunManifest | None = None) -> None:
    """Refuse existing outputs unless ``force``, or unless they are the untouched drafts of an unfinished run."""
    existing = [p for p in planned.values() if _exists(p)]
    if not existing or force:
        return
    if manifest is not None and not manifest.complete and all(manifest.untouched(p) for p in existing):
        log.info("resuming an unfinished run: %s", ", ".join(p.name for p in existing))
        return
    raise OutputExistsError(existing)
