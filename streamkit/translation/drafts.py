"""The draft record: what streamkit wrote for one English draft, kept beside it for ``streamkit retranslate``.

Every English draft streamkit writes leaves a :class:`DraftRecord` (``.streamkit/drafts/NAME.en.srt.json``
beside it): the Korean cues it was translated from and the English cues as the machine wrote them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import StreamkitError
from ..fsutil import atomic_write_text
from ..models import Cue, SubtitleTrack
from ..workspace import Workspace

log = logging.getLogger(__name__)

__all__ = ["RECORD_VERSION", "DraftRecord", "load_record", "machine_text", "record_path", "save_record"]

RECORD_VERSION = 1


def machine_text(cue: Cue) -> str:
    """A cue's wording for comparison: line breaks and spacing do not count."""
    return " ".join(" ".join(cue.lines).split())


@dataclass(frozen=True, slots=True)
class DraftRecord:
    """What streamkit wrote for one English draft.

    ``korean`` is the Korean track the English was made from; ``english`` the English cues as
    written, with ``machine[i]`` the machine's text for ``english.cues[i]``, or ``None`` where the
    cue holds an editor's text that a re-translation kept.
    """

    korean: SubtitleTrack
    english: SubtitleTrack
    machine: tuple[str | None, ...]
    engine: str = ""
    fps: Fraction | None = None

    def __post_init__(self) -> None:
        if len(self.machine) != len(self.english.cues):
            raise ValueError("DraftRecord: one machine text per English cue")

    @classmethod
    def of_machine(
        cls, korean: SubtitleTrack, english: SubtitleTrack, *, engine: str = "", fps: Fraction | None = None
    ) -> DraftRecord:
        """The record of a draft whose every English cue is the machine's own."""
        return cls(korean, english, tuple(machine_text(c) for c in english.cues), engine=engine, fps=fps)


def record_path(english: Path) -> Path:
    """Where the record of the English draft ``english`` lives."""
    return Workspace(english.parent).draft_record(english.name)


def _cues_json(track: SubtitleTrack) -> list[list[object]]:
    return [[c.start_ms, c.end_ms, list(c.lines)] for c in track.cues]


def _track(language: str, rows: object) -> SubtitleTrack:
    if not isinstance(rows, list):
        raise ValueError("cues must be a list")
    cues = [Cue(int(r[0]), int(r[1]), tuple(str(x) for x in r[2])) for r in rows]
    return SubtitleTrack(language=language, cues=tuple(cues))


def save_record(
    english_path: Path,
    korean: SubtitleTrack,
    english: SubtitleTrack,
    *,
    engine: str,
    fps: Fraction | None = None,
    machine: Sequence[str | None] | None = None,
) -> None:
    """Record the draft just written to ``english_path``. Bookkeeping: a failure is only logged."""
    texts = list(machine) if machine is not None else list(DraftRecord.of_machine(korean, english).machine)
    data = {
        "version": RECORD_VERSION,
        "english_file": english_path.name,
        "engine": engine,
        "fps": str(fps) if fps is not None else None,
        "korean": _cues_json(korean),
        "english": _cues_json(english),
        "machine": texts,
    }
    target = record_path(english_path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(data, ensure_ascii=False, indent=0))
    except (OSError, StreamkitError) as exc:
        log.warning("could not record the draft of %s (retranslate will need --ko-draft): %s", english_path, exc)


def load_record(english_path: Path) -> DraftRecord | None:
    """The record of ``english_path``, or ``None`` when there is none (or it cannot be read)."""
    path = record_path(english_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != RECORD_VERSION:
            return None
        fps = Fraction(data["fps"]) if data.get("fps") else None
        korean = _track("ko", data["korean"])
        english = _track("en", data["english"])
        machine = tuple(None if m is None else str(m) for m in data["machine"])
        return DraftRecord(korean, english, machine, engine=str(data.get("engine", "")), fps=fps)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, IndexError, ZeroDivisionError, AttributeError) as exc:
        log.warning("ignoring the unreadable draft record %s: %s", path, exc)
        return None
