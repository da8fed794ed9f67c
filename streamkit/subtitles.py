"""SRT and WebVTT: write subtitle tracks, read subtitle files back.

This is the only module of streamkit that imports pysrt, and the only place where integer
milliseconds meet pysrt's ``SubRipTime``.

Writing (``format_srt``, ``format_vtt``, ``write_subtitles``) produces UTF-8 without BOM, ``\\n``
line endings and a final blank line; files are written atomically (``fsutil.atomic_write_text``).

Reading comes in two strengths:

* ``read_raw`` is lenient, for ``streamkit check`` and for files a person edited: CRLF, a BOM,
  CP949/EUC-KR, missing final blank line, missing / duplicate / out-of-order cue numbers, extra
  blank lines, ``.`` instead of ``,`` before the milliseconds, 1-digit hours. It returns every cue
  as found (:class:`RawCue`), even ones that end before they start, have no text or overlap.
  What it cannot make sense of (a bad timestamp, a timing line without ``-->``, text before the
  first cue, binary junk) raises :class:`~streamkit.errors.SubtitleFormatError` naming the cue
  and the line.
* ``read_subtitles`` is strict: it turns the raw cues into a valid :class:`SubtitleTrack`
  (sorted by time) or raises ``SubtitleFormatError`` for a cue that ends before it starts, has
  no text, or overlaps the one before it.

pysrt itself is not used for parsing: it silently "repairs" bad input (``99:99:99,999`` becomes
``100:40:39,999``, ``00:00:01,5`` becomes 5 ms, a cue with an unreadable timestamp is dropped
without a word) and does not report line numbers. Our own line-aware parser does both.

In error messages, "cue N" is the N-th cue in the file (what subtitle editors show as the row
number), which differs from the number written in the file when that numbering is off; the line
number is always the line of the cue's timing line (or of the offending line).
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from pysrt import SubRipFile, SubRipItem, SubRipTime

from .errors import ConfigError
from .fsutil import atomic_write_text
from .models import Cue, SubtitleFile, SubtitleTrack
from .subtitle_reading import (
    FORMATS,
    RawCue,
    ReadResult,
    _check_format,
    _split_lines,
    _vtt_timestamp,
    decode_subtitle_bytes,
    language_from_path,
    parse_raw,
    parse_subtitles,
    read_raw,
    read_subtitles,
)

__all__ = [
    "FORMATS",
    "RawCue",
    "ReadResult",
    "as_utf8",
    "decode_subtitle_bytes",
    "format_srt",
    "format_subtitles",
    "format_vtt",
    "language_from_path",
    "parse_raw",
    "parse_subtitles",
    "read_raw",
    "read_subtitles",
    "write_subtitles",
]

log = logging.getLogger("streamkit")


# --------------------------------------------------------------------------- writing


def _ms_to_subrip(ms: int) -> SubRipTime:
    return SubRipTime.from_ordinal(ms)


def _output_lines(cue: Cue) -> list[str]:
    """The lines a cue is written with.

    A blank line would end the cue in both formats, so blank lines are dropped; a line holding a
    line break is split; trailing whitespace (invisible, and dropped again by every reader) is
    removed.
    """
    out: list[str] = []
    for line in cue.lines:
        for part in _split_lines(line):
            part = part.rstrip()
            if part.strip():
                out.append(part)
    return out


def _srt_safe(line: str) -> str:
    while "-->" in line:  # "--->" becomes "-->" after one pass
        line = line.replace("-->", "->")
    return line


def format_srt(track: SubtitleTrack) -> str:
    """The track as SRT text: cues numbered 1..n, ``HH:MM:SS,mmm``, ``\\n`` endings, final blank line.

    SRT has no escaping, so a ``-->`` inside the text (which every reader takes for a timing line)
    is written as ``->``. An empty track gives an empty string.
    """
    items = [
        SubRipItem(
            index=number,
            start=_ms_to_subrip(cue.start_ms),
            end=_ms_to_subrip(cue.end_ms),
            text="\n".join(_srt_safe(line) for line in _output_lines(cue)),
        )
        for number, cue in enumerate(track.cues, start=1)
    ]
    buffer = io.StringIO()
    SubRipFile(items=items, eol="\n").write_into(buffer, eol="\n")
    return buffer.getvalue()


#: The styling tags kept as tags in WebVTT output; any other ``<`` or ``>`` is escaped.
_VTT_KEPT_TAG = re.compile(r"(</?[ibu]>)")


def _vtt_escape(line: str) -> str:
    parts = _VTT_KEPT_TAG.split(line)
    # split() with one group: even indexes are text, odd indexes are the kept tags.
    return "".join(
        part if i % 2 else part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for i, part in enumerate(parts)
    )


def format_vtt(track: SubtitleTrack) -> str:
    """The track as WebVTT: ``WEBVTT`` header, ``HH:MM:SS.mmm`` timestamps, blank-line separated cues.

    ``&``, ``<`` and ``>`` are escaped as entities, except the ``<i>``, ``<b>`` and ``<u>`` tags.
    """
    parts = ["WEBVTT\n\n"]
    for cue in track.cues:
        text = "\n".join(_vtt_escape(line) for line in _output_lines(cue))
        parts.append(f"{_vtt_timestamp(cue.start_ms)} --> {_vtt_timestamp(cue.end_ms)}\n{text}\n\n")
    return "".join(parts)


def format_subtitles(track: SubtitleTrack, fmt: str) -> str:
    """``format_srt`` or ``format_vtt`` by name."""
    return format_srt(track) if _check_format(fmt) == "srt" else format_vtt(track)


def write_subtitles(track: SubtitleTrack, path: Path, fmt: str | None = None) -> SubtitleFile:
    """Write ``track`` to ``path`` atomically, as UTF-8 without BOM.

    The format comes from the extension (``.srt``/``.vtt``) unless ``fmt`` is given. Raises
    ``ConfigError`` for an unknown format and ``OutputError`` when the file cannot be written; on
    failure nothing is left behind and an existing ``path`` is untouched.
    """
    path = Path(path)
    if fmt is None and not path.suffix:
        raise ConfigError(f"{path}: no extension to tell the subtitle format (use .srt or .vtt)", key="format")
    name = _check_format(fmt if fmt is not None else path.suffix)
    atomic_write_text(path, format_subtitles(track, name), encoding="utf-8")
    log.debug("wrote %d %s cues to %s", len(track.cues), name, path)
    return SubtitleFile(path=path, language=track.language, format=name, cues=len(track.cues))


def as_utf8(path: Path, copy: Path) -> Path:
    """``path`` when it is UTF-8 without a byte order mark, else its text written as UTF-8 to ``copy``.

    ffmpeg's SRT decoder stops at CP949 or UTF-16, which ``check`` and ``fix`` read (and report): the
    mux hands it the UTF-8 copy.
    """
    data = Path(path).read_bytes()
    text, encoding, had_bom = decode_subtitle_bytes(data, Path(path)) if data else ("", "utf-8", False)
    if encoding == "utf-8" and not had_bom:
        return Path(path)
    copy.write_text(text, encoding="utf-8")
    return copy
