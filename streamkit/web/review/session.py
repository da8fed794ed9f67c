"""One review session: a recording, its subtitle files, and the core calls the page makes.

The page owns the editing (cues, undo/redo); the session is the core behind it: it finds the
tracks (``NAME.LANG.srt`` beside the recording and in ``--out``), checks cues with
:func:`streamkit.checks.check_track` and the rules of :func:`streamkit.segment.rules_for`, fixes
with :func:`streamkit.fixes.fix_cues`, re-translates with
:func:`streamkit.retranslate.retranslate_track`, and saves atomically, refusing a stale write: each
file is served with its version (a hash of its bytes) and a save naming another version than the
one on disk is a :class:`~streamkit.web.review.cues.StaleFileError` listing what changed.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ...checks import CHECKS, ERROR, CheckMemo, Problem, check_track, glossary_check
from ...errors import InputError, StreamkitError
from ...fixes import fix_cues, format_raw_srt
from ...fsutil import atomic_write_text
from ...models import Cue, MediaInfo, SubtitleTrack
from ...segment import DEFAULT_FPS, rules_for
from ...subtitles import RawCue, language_from_path, read_raw
from ...translation.apply import retranslate_track
from ...translation.drafts import load_record, save_record
from .cues import EditCue, RequestError, StaleFileError, cue_json, describe_changes, parse_cues, to_raw
from .voice import uncovered

__all__ = ["ReviewOptions", "ReviewSession", "TrackFile", "find_tracks", "open_review", "show_name"]

log = logging.getLogger("streamkit")


@dataclass(frozen=True)
class ReviewOptions:
    """How the session translates and checks (the ``streamkit review`` options)."""

    translator: str | None = None
    #: The config's ``[translator]`` table (keys, ``url`` for libre, ``cache_path``).
    translator_settings: Mapping[str, Any] = field(default_factory=dict)
    #: The config's ``[subtitle] translator``.
    configured_translator: str | None = None
    glossary: tuple[Path, ...] = ()
    no_glossary: bool = False
    fps: Fraction | None = None


@dataclass(frozen=True)
class TrackFile:
    """A subtitle file as the session last read or wrote it."""

    language: str
    path: Path
    version: str
    cues: tuple[RawCue, ...]

    def cues_json(self) -> list[dict[str, object]]:
        return [cue_json(f"{self.language}-{n}", c.start_ms, c.end_ms, c.lines) for n, c in enumerate(self.cues, 1)]


def show_name(video: Path) -> str:
    """``show.mp4`` and its replay ``show.subtitled.mp4`` both belong to ``show``."""
    stem = video.stem
    return stem[: -len(".subtitled")] if stem.endswith(".subtitled") else stem


def _version(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _read(language: str, path: Path) -> TrackFile:
    read = read_raw(path)
    return TrackFile(language, path, _version(path.read_bytes()), read.cues)


def _order(language: str) -> tuple[int, str]:
    return ({"ko": 0, "en": 1}.get(language.split("-")[0], 2), language)


def find_tracks(video: Path, out: Path | None) -> dict[str, Path]:
    """``NAME.LANG.srt`` files beside ``video`` and in ``out`` (``out`` wins), Korean and English first."""
    name = show_name(video)
    found: dict[str, Path] = {}
    for folder in dict.fromkeys([video.parent, *([out] if out is not None else [])]):
        for path in sorted(folder.glob(f"{name}.*.srt")):
            language = language_from_path(path)
            if language and path.name == f"{name}.{language}.srt":
                found[language] = path
    return {lang: found[lang] for lang in sorted(found, key=_order)}


class ReviewSession:
    """The core behind the review page; thread-safe (the server runs requests on a thread pool)."""

    def __init__(self, video: Path, info: MediaInfo, tracks: Mapping[str, Path], options: ReviewOptions) -> None:
        if not tracks:
            raise InputError(video, f"no subtitles found for it (looked for {show_name(video)}.LANG.srt)",
                             hint="run `streamkit subtitle` first, or give --out with the folder of the SRT files")
        self.video = video
        self.info = info
        self.options = options
        self.fps = options.fps or info.fps or DEFAULT_FPS
        self._lock = threading.Lock()
        self.tracks = {lang: _read(lang, path) for lang, path in tracks.items()}
        self._served = {(t.language, t.version): t.cues for t in self.tracks.values()}
        self._pending: dict[str, tuple[SubtitleTrack, SubtitleTrack, tuple[str | None, ...], str]] = {}
        self._glossary: Any = None
        self._memo: CheckMemo = {}
        self._glossary_loaded = False
        self._engine: Any = None
        self._new_ids = itertools.count(1)
        #: Speech spans of the recording, once found (``None``: not yet, or no video check asked).
        self.speech: list[tuple[int, int]] | None = None

    # ----------------------------------------------------------------------- reading

    def _track(self, language: object) -> TrackFile:
        if not isinstance(language, str) or language not in self.tracks:
            raise RequestError(f"no track {language!r} (this show has {', '.join(self.tracks)})",
                               status=404, field="language")
        return self.tracks[language]

    def snapshot(self) -> dict[str, object]:
        """What the page loads: the video, every track with its version, the rules and the checks."""
        tracks = [{"language": t.language, "file": t.path.name, "version": t.version, "cues": t.cues_json()}
                  for t in self.tracks.values()]
        rules = {lang: _rules_json(lang) for lang in self.tracks}
        return {
            "video": {"name": self.video.name, "url": "/video", "duration": self.info.duration_ms,
                      "fps": [self.fps.numerator, self.fps.denominator]},
            "tracks": tracks,
            "rules": rules,
            "checks": {code: {"severity": sev, "rule": rule} for code, (sev, rule) in CHECKS.items()},
            "retranslate": "ko" in self.tracks and "en" in self.tracks,
        }

    def reload(self, language: object) -> dict[str, object]:
        """The file as it is on disk now (after a conflict the editor chose to take)."""
        with self._lock:
            old = self._track(language)
            fresh = _read(old.language, old.path)
            self.tracks[old.language] = fresh
            self._served[(fresh.language, fresh.version)] = fresh.cues
        return {"language": fresh.language, "file": fresh.path.name, "version": fresh.version,
                "cues": fresh.cues_json()}

    # ----------------------------------------------------------------------- checking

    def _load_glossary(self) -> Any:
        if not self._glossary_loaded:
            from ...translation.registry import optional_glossary

            self._glossary_loaded = True
            try:
                self._glossary = None if self.options.no_glossary else optional_glossary(self.options.glossary)
            except StreamkitError as exc:
                log.warning("no glossary check on the review page: %s", exc)
        return self._glossary

    def _names(self, language: str, cues: Sequence[EditCue], other: Sequence[EditCue],
               budget: float | None) -> tuple[list[tuple[int, Problem]], bool]:
        """The glossary check cue by cue: each cue with its neighbours against the other track's cues
        around it (what the whole-file report compares), remembered by their wording and timing.

        A cue's first check takes a few ms (3,000 cues: seconds): past ``budget`` seconds the cues not
        yet checked are left for later (the second value says so; :meth:`warm` checks them in the background).
        """
        glossary = self._load_glossary()
        if glossary is None:
            return [], False
        raw, counterpart = to_raw(cues), to_raw(other)
        starts = [c.start_ms for c in counterpart]
        found: list[tuple[int, Problem]] = []
        pending, spent = False, 0.0
        for i, cue in enumerate(raw):
            own = raw[max(i - 1, 0): i + 2]
            lo = bisect.bisect_left(starts, own[0].start_ms - 8000)
            hi = bisect.bisect_right(starts, own[-1].end_ms + 1000)
            window = [c for c in counterpart[lo:hi] if c.end_ms > own[0].start_ms - 1000]
            key = ("names", language, tuple((c.start_ms, c.end_ms, c.lines) for c in own),
                   tuple((c.start_ms, c.end_ms, c.lines) for c in window))
            mine = self._memo.get(key)
            if mine is None and budget is not None and spent > budget:
                pending = True
                continue
            if mine is None:
                began = time.monotonic()
                where = own.index(cue) + 1
                mine = self._memo[key] = tuple(
                    p for p in glossary_check(glossary, window)(own, language) if p.cue == where)
                spent += time.monotonic() - began
            found.extend((i, p) for p in mine)
        return found, pending

    def warm(self) -> None:
        """Check the tracks as loaded, names included, so the page's first checks are quick."""
        self.check({t.language: parse_cues(t.cues_json()) for t in self.tracks.values()}, budget=None)

    def check(self, tracks: Mapping[str, Sequence[EditCue]], budget: float | None = 0.3) -> dict[str, object]:
        """Every problem of every track (by cue id), the counts, and voiced stretches with no cue.

        ``names_pending``: the glossary check of some cues did not fit in ``budget`` seconds (ask again).
        """
        pending = False
        problems: dict[str, list[dict[str, object]]] = {}
        counts: dict[str, dict[str, int]] = {}
        gaps: dict[str, list[list[int]]] = {}
        if len(self._memo) > 200_000:
            self._memo.clear()
        for language, cues in tracks.items():
            self._track(language)
            found = [(p.cue - 1, p) for p in check_track(to_raw(cues), rules_for(language), self.fps, language,
                                                         numbered=False, memo=self._memo)]
            other = {"ko": "en", "en": "ko"}.get(language.split("-")[0])
            if other is not None and other in tracks:
                names, late = self._names(language, cues, tracks[other], budget)
                found += names
                pending = pending or late
            problems[language] = [{"id": cues[i].id, "code": p.code, "severity": p.severity, "message": p.message}
                                  for i, p in sorted(found, key=lambda item: item[0])]
            errors = sum(1 for _, p in found if p.severity == ERROR)
            counts[language] = {"error": errors, "warning": len(found) - errors}
            if self.speech is not None:
                gaps[language] = [[a, b] for a, b in uncovered(self.speech, ((c.start_ms, c.end_ms) for c in cues))]
                counts[language]["no-cue"] = len(gaps[language])
        return {"problems": problems, "counts": counts, "uncovered": gaps if self.speech is not None else None,
                "names_pending": pending}

    # ----------------------------------------------------------------------- fixing

    def fix(self, language: object, cues: Sequence[EditCue], only: str | None = None) -> dict[str, object]:
        """``streamkit fix`` on the track (timing needs the neighbours), then on one cue or all of them."""
        track = self._track(language)
        ids = [c.id for c in cues]
        if only is not None and only not in ids:
            raise RequestError(f"no cue {only!r} in the {track.language} track", status=404, field="id", cue=only)
        for c in cues:
            if c.end_ms < c.start_ms:
                raise RequestError(f"cue {c.id} ends before it starts: correct its times by hand first",
                                   field="end", cue=c.id)
        result = fix_cues(to_raw(cues), rules_for(track.language), self.fps, track.language)
        fixed = {ids[c.line - 1]: c for c in result.cues}
        changes = [{"id": ids[ch.cue - 1], "what": ch.what, "before": ch.before, "after": ch.after}
                   for ch in result.changes if only is None or ids[ch.cue - 1] == only]
        if only is not None:
            changes = [ch for ch in changes if ch["what"] not in ("sort", "renumber")]
            out = [fixed[only]] if only in fixed else []
            return {"cues": [cue_json(only, c.start_ms, c.end_ms, c.lines) for c in out],
                    "removed": [] if out else [only], "changes": changes}
        kept = [cue_json(cue_id, c.start_ms, c.end_ms, c.lines) for cue_id, c in fixed.items()]  # in time order
        return {"cues": kept, "removed": [i for i in ids if i not in fixed],
                "changes": [ch for ch in changes if ch["what"] not in ("sort", "renumber")]}

    # ----------------------------------------------------------------------- re-translating

    def _text_engine(self, recorded: str | None) -> Any:
        if self._engine is None:
            from ...translation.registry import create_text_engine, text_engine_name

            name = text_engine_name(self.options.translator, self.options.configured_translator, recorded)
            self._engine = create_text_engine(name, dict(self.options.translator_settings), "en",
                                              glossary=self.options.glossary, no_glossary=self.options.no_glossary)
        return self._engine

    def retranslate(self, korean: Sequence[EditCue], english: Sequence[EditCue]) -> dict[str, object]:
        """New English where the Korean changed, English edits kept (see :mod:`streamkit.retranslate`)."""
        self._track("ko")
        en_file = self._track("en")
        record = load_record(en_file.path)
        if record is None:
            raise RequestError(f"streamkit has no record of how {en_file.path.name} was made", status=409,
                               hint="run `streamkit retranslate --ko-draft` with the unedited Korean once")
        edited, draft = _valid_track("ko", korean), _valid_track("en", english)
        engine = self._text_engine(record.engine)
        result = retranslate_track(record, edited, draft, lambda texts: engine.translate_texts(texts, "ko"),
                                   fps=self.fps)
        token = f"r{next(self._new_ids)}"
        with self._lock:
            self._pending[token] = (edited, result.track, result.machine, getattr(engine, "name", record.engine))
        return {**_retranslation_json(english, result, self._new_ids), "token": token}

    # ----------------------------------------------------------------------- saving

    def save(self, language: object, version: object, cues: Sequence[EditCue],
             retranslation: str | None = None) -> dict[str, object]:
        """Write the track atomically unless the file changed on disk since ``version`` (then 409).

        ``retranslation``: the token of the re-translation the English descends from: its draft
        record (what the machine wrote, from which Korean) is written beside the file.
        """
        track = self._track(language)
        for c in cues:
            if not c.lines:
                raise RequestError(f"cue {c.id} has no text: write it or delete the cue", field="text", cue=c.id)
            if c.end_ms < c.start_ms:
                raise RequestError(f"cue {c.id} ends before it starts", field="end", cue=c.id)
        ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
        with self._lock:
            disk = track.path.read_bytes() if track.path.exists() else b""
            if _version(disk) != version:
                loaded = self._served.get((track.language, str(version)), track.cues)
                try:
                    now = read_raw(track.path).cues
                except StreamkitError:
                    now = ()
                raise StaleFileError(track.path.name, str(version), _version(disk), describe_changes(loaded, now))
            atomic_write_text(track.path, format_raw_srt(to_raw(ordered)))
            fresh = _read(track.language, track.path)
            self.tracks[track.language] = fresh
            self._served[(fresh.language, fresh.version)] = fresh.cues
            pending = self._pending.pop(retranslation, None) if retranslation and track.language == "en" else None
        if pending is not None:  # the record of what the machine wrote, for the next re-translation
            korean, machine_track, machine, engine = pending
            save_record(track.path, korean, machine_track, engine=engine, fps=self.fps, machine=machine)
        return {"language": fresh.language, "file": fresh.path.name, "version": fresh.version,
                "cues": len(fresh.cues)}

    # ----------------------------------------------------------------------- muxing

    def mux(self, progress: Callable[[float, float], None] | None = None) -> Path:
        """The replay with the tracks as saved: ``NAME.subtitled.EXT`` beside the first track."""
        from ...models import SubtitleFile
        from ...mux import container_for, mux, output_name

        source = self.video
        if source.stem.endswith(".subtitled"):
            raise RequestError(f"{source.name} is already a replay: open the original recording to mux",
                               status=409)
        first = next(iter(self.tracks.values()))
        container = container_for(source, None)
        target = first.path.parent / output_name(source, container)
        subs = [SubtitleFile(t.path, t.language, "srt", len(t.cues)) for t in self.tracks.values()]
        return mux(self.info, subs, target, container=container, progress=progress).path


def open_review(video: Path, out: Path | None = None, options: ReviewOptions | None = None) -> ReviewSession:
    """Probe ``video`` (a ``MediaError`` if it is not one) and find its tracks (an ``InputError`` if none)."""
    from ...media import probe

    video = Path(video)
    if out is not None and not out.is_dir():
        raise InputError(out, "is not a folder", hint="give --out the folder holding NAME.LANG.srt")
    return ReviewSession(video, probe(video), find_tracks(video, out), options or ReviewOptions())


def _rules_json(language: str) -> dict[str, object]:
    r = rules_for(language)
    return {"name": r.name, "max_line_columns": r.max_line_columns, "max_lines": r.max_lines, "max_cps": r.max_cps,
            "min_duration_ms": r.min_duration_ms, "max_duration_ms": r.max_duration_ms}


def _valid_track(language: str, cues: Sequence[EditCue]) -> SubtitleTrack:
    """A track the core accepts (text, in time order, no overlap), or a 422 naming the cue."""
    ordered = sorted(cues, key=lambda c: (c.start_ms, c.end_ms))
    out: list[Cue] = []
    for prev, c in zip([None, *ordered], ordered, strict=False):
        if not c.lines or c.end_ms < c.start_ms:
            raise RequestError(f"cue {c.id} has no text or ends before it starts: fix it before re-translating",
                               cue=c.id)
        if prev is not None and c.start_ms < prev.end_ms:
            raise RequestError(f"cue {c.id} overlaps cue {prev.id}: fix the overlap before re-translating", cue=c.id)
        out.append(Cue(c.start_ms, c.end_ms, c.lines))
    return SubtitleTrack(language, tuple(out))


def _retranslation_json(english: Sequence[EditCue], result: Any, new_ids: Iterator[int]) -> dict[str, object]:
    """The new English with ids: cues carried over keep theirs, new cues get ``en-rN``; what was touched."""
    spare: dict[tuple[int, int, tuple[str, ...]], list[str]] = {}
    for c in english:
        spare.setdefault((c.start_ms, c.end_ms, c.lines), []).append(c.id)
    cues, ids = [], []
    for cue in result.track.cues:
        same = spare.get((cue.start_ms, cue.end_ms, cue.lines))
        cue_id = same.pop(0) if same else f"en-r{next(new_ids)}"
        ids.append(cue_id)
        cues.append(cue_json(cue_id, cue.start_ms, cue.end_ms, cue.lines))
    changes = [{"action": ch.action, "ids": [ids[n - 1] for n in ch.new_cues], "start": ch.start_ms,
                "korean": ch.korean, "korean_was": ch.original, "english": ch.english} for ch in result.changes]
    touched = sorted({i for ch in changes if ch["action"] in ("retranslated", "added") for i in ch["ids"]})
    review = sorted({i for ch in changes if ch["action"] == "kept-edit" for i in ch["ids"]})
    return {"cues": cues, "changes": changes, "touched": touched, "review": review,
            "sent": len(result.plan.changed_sentences), "dropped": list(result.dropped)}
