"""Reading SRT and WebVTT files: bytes to text, text to raw cues, raw cues to a valid track.

The public path is :mod:`streamkit.subtitles` (which re-exports everything here); see its
docstring for the two strengths of reading (``read_raw`` lenient, ``read_subtitles`` strict) and
why pysrt is not used for parsing. Also here: the formats streamkit knows and the language tag in
a subtitle file's name, which readers and writers share.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InputError, SubtitleFormatError
from .models import LANGUAGE_NAMES, Cue, SubtitleTrack

FORMATS = ("srt", "vtt")

_MS_PER_HOUR = 3_600_000
_MS_PER_MINUTE = 60_000
_MS_PER_SECOND = 1000


def _vtt_timestamp(ms: int) -> str:
    hours, rest = divmod(ms, _MS_PER_HOUR)
    minutes, rest = divmod(rest, _MS_PER_MINUTE)
    seconds, millis = divmod(rest, _MS_PER_SECOND)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _check_format(fmt: str) -> str:
    name = fmt.lower().lstrip(".")
    if name not in FORMATS:
        raise ConfigError(f"unknown subtitle format {fmt!r} (choose {' or '.join(FORMATS)})", key="format")
    return name


# --------------------------------------------------------------------------- reading: bytes


_UTF32_BOMS = ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"))
_UTF16_BOMS = ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
#: Control characters an ordinary text file may hold (tab, line ends, form feed, DOS end-of-file).
_HARMLESS_CONTROLS = frozenset("\t\n\r\x0b\x0c\x1a")
_ENCODING_HINT = "save the file as UTF-8 text in a text or subtitle editor"


def _not_text(path: Path, detail: str) -> SubtitleFormatError:
    err = SubtitleFormatError(path, f"not a text subtitle file ({detail})")
    err.hint = _ENCODING_HINT
    return err


def decode_subtitle_bytes(data: bytes, path: Path) -> tuple[str, str, bool]:
    """Decode a subtitle file's bytes: ``(text, encoding, had_bom)``.

    Tried in order: a UTF-8, UTF-32 or UTF-16 byte order mark; UTF-8; CP949 (a superset of EUC-KR,
    what Korean Windows editors save). NUL bytes, bytes no encoding accepts, or many control
    characters raise ``SubtitleFormatError`` ("not a text subtitle file"). The BOM is not part of
    ``text``.
    """
    path = Path(path)
    boms = [(b"\xef\xbb\xbf", "utf-8"), *_UTF32_BOMS, *_UTF16_BOMS]
    for bom, encoding in boms:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _not_text(path, f"starts with a {encoding} byte order mark but is not {encoding}") from exc
            had_bom = True
            break
    else:
        had_bom = False
        if b"\x00" in data:
            raise _not_text(path, "it holds NUL bytes")
        for encoding in ("utf-8", "cp949"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            break
        else:
            raise _not_text(path, "neither UTF-8, UTF-16 nor CP949/EUC-KR text")
    controls = sum(1 for ch in text if (ch < " " or ch == "\x7f") and ch not in _HARMLESS_CONTROLS)
    if "\x00" in text or controls > 2 + len(text) // 100:
        raise _not_text(path, "it holds binary data")
    return text, encoding, had_bom


# --------------------------------------------------------------------------- reading: structure


@dataclass(frozen=True, slots=True)
class RawCue:
    """One cue as found in a file; may be invalid (end before start, no text, overlapping).

    ``index`` is the number written above the timing line (``None`` when missing, or for a WebVTT
    identifier that is not a number); ``line`` is the 1-based line number of the timing line.
    """

    index: int | None
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ReadResult:
    """What ``read_raw`` found in a file."""

    path: Path
    encoding: str
    cues: tuple[RawCue, ...]
    had_bom: bool
    crlf: bool
    format: str


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_INTEGER = re.compile(r"\s*(\d+)\s*")
#: SRT: 1+ digit hours, ``,`` or ``.`` before exactly three digits of milliseconds.
#: An ordinary SRT timing line, nothing after the end time; anything else takes the careful path.
_PLAIN_TIMING = re.compile(r"(\d+):(\d\d):(\d\d)[,.](\d{3}) --> (\d+):(\d\d):(\d\d)[,.](\d{3})\s*")
_SRT_TIME = re.compile(r"(\d+):(\d{2}):(\d{2})[,.](\d{3})")
#: WebVTT: optional hours; ``,`` accepted as well as ``.`` (lenient).
_VTT_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})")
#: A line that starts like a timing line but has no ``-->`` (``00:00:01,000 - 00:00:02,000``).
_ARROWLESS_TIMING = re.compile(
    r"\s*[-+\u2212]?\d+:\d{2}:\d{2}[,.]\d+\s*\S{0,3}\s*[-+\u2212]?\d+:\d{2}:\d{2}[,.]\d+"
)
#: A line with "-->" that starts like a time (a sign allowed: "-00:00:03,000 --> ..." is a timing line).
_TIMING_START = re.compile(r"\s*[-+\u2212]?\d")
_MINUS_SIGNS = ("-", "\u2212")
#: WebVTT blocks that are not cues.
_VTT_SKIPPED_BLOCK = re.compile(r"(NOTE|STYLE|REGION)(?:[ \t]|$)")
_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
_VTT_ENTITY = re.compile(r"&(amp|lt|gt|nbsp|lrm|rlm|#\d+|#[xX][0-9a-fA-F]+);")
_VTT_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0", "lrm": "\u200e", "rlm": "\u200f"}
_EXPECTED = {"srt": "HH:MM:SS,mmm --> HH:MM:SS,mmm", "vtt": "HH:MM:SS.mmm --> HH:MM:SS.mmm"}


def _split_lines(text: str) -> list[str]:
    """Split on ``\\r\\n``, ``\\r`` and ``\\n`` only (``str.splitlines`` also splits on U+2028 ...)."""
    return _LINE_BREAK.split(text)


def _vtt_unescape(line: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("#"):
            code = int(name[2:], 16) if name[1:2] in "xX" else int(name[1:])
            valid = 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF
            return chr(code) if valid else match.group(0)
        return _VTT_ENTITIES[name]

    return _VTT_ENTITY.sub(replace, line)


def _format_of(text: str, path: Path) -> str:
    if _VTT_HEADER.match(text) or path.suffix.lower() == ".vtt":
        return "vtt"
    return "srt"


def _is_timing_candidate(line: str, fmt: str) -> bool:
    """Whether ``line`` is meant as a timing line (and so must parse as one)."""
    if "-->" in line:
        # WebVTT forbids "-->" in text. SRT cannot escape it, so "A --> B" stays text there.
        return fmt == "vtt" or _TIMING_START.match(line) is not None
    return _ARROWLESS_TIMING.match(line) is not None


class _Parser:
    """Line-aware reading of SRT / WebVTT text into raw cues."""

    def __init__(self, text: str, fmt: str, path: Path) -> None:
        self.fmt = fmt
        self.path = path
        self.lines = _split_lines(text)
        if fmt == "vtt":
            self._blank_vtt_non_cues()

    def error(self, problem: str, *, line: int, cue: int | None = None) -> SubtitleFormatError:
        return SubtitleFormatError(self.path, problem, line=line, cue=cue)

    def _blank_vtt_non_cues(self) -> None:
        """Blank out the WebVTT header and NOTE/STYLE/REGION blocks (they are not cue text)."""
        lines = self.lines
        i = 0
        if lines and _VTT_HEADER.match(lines[0]):
            while i < len(lines) and lines[i].strip():
                lines[i] = ""
                i += 1
        at_block_start = True
        while i < len(lines):
            if not lines[i].strip():
                at_block_start = True
                i += 1
                continue
            if at_block_start and _VTT_SKIPPED_BLOCK.match(lines[i]):
                end = i
                while end < len(lines) and lines[end].strip():
                    end += 1
                if not any("-->" in ln for ln in lines[i:end]):
                    lines[i:end] = [""] * (end - i)
                i = end
                continue
            at_block_start = False
            i += 1

    def timestamp(self, token: str, *, line: int, cue: int) -> int:
        pattern = _SRT_TIME if self.fmt == "srt" else _VTT_TIME
        if token.startswith(_MINUS_SIGNS):
            raise self.error(f"negative time {token!r} (times start at {_show_time(0, self.fmt)})",
                             line=line, cue=cue)
        match = pattern.fullmatch(token)
        if match is None:
            raise self.error(f"bad timestamp {token!r} (expected {_EXPECTED[self.fmt]})", line=line, cue=cue)
        hours, minutes, seconds, millis = (int(g) if g else 0 for g in match.groups())
        for value, unit in ((minutes, "minutes"), (seconds, "seconds")):
            if value >= 60:
                raise self.error(f"bad timestamp {token!r} ({unit} must be 00-59)", line=line, cue=cue)
        return hours * _MS_PER_HOUR + minutes * _MS_PER_MINUTE + seconds * _MS_PER_SECOND + millis

    def timing(self, text: str, *, line: int, cue: int) -> tuple[int, int]:
        plain = _PLAIN_TIMING.fullmatch(text)
        if plain is not None and self.fmt == "srt":  # the usual line, read at once (100,000 cues: 1 s less)
            h1, m1, s1, f1, h2, m2, s2, f2 = map(int, plain.groups())
            if m1 < 60 and s1 < 60 and m2 < 60 and s2 < 60:
                return (h1 * _MS_PER_HOUR + m1 * _MS_PER_MINUTE + s1 * _MS_PER_SECOND + f1,
                        h2 * _MS_PER_HOUR + m2 * _MS_PER_MINUTE + s2 * _MS_PER_SECOND + f2)
        if "-->" not in text:
            raise self.error(f"bad timing line {text.strip()!r} (expected {_EXPECTED[self.fmt]})", line=line, cue=cue)
        left, _, right = text.partition("-->")
        # After the end time may come SRT coordinates or WebVTT cue settings: ignored.
        right_tokens = right.split(None, 1)
        if not left.strip() or not right_tokens or "-->" in right:
            raise self.error(f"bad timing line {text.strip()!r} (expected {_EXPECTED[self.fmt]})", line=line, cue=cue)
        start = self.timestamp(left.strip(), line=line, cue=cue)
        end = self.timestamp(right_tokens[0], line=line, cue=cue)
        return start, end

    def text_lines(self, lines: list[str]) -> tuple[str, ...]:
        kept = [ln.rstrip() for ln in lines if ln.strip()]
        if self.fmt == "vtt":
            kept = [_vtt_unescape(ln) for ln in kept]
        return tuple(kept)

    def parse(self) -> tuple[RawCue, ...]:
        lines = self.lines
        timings = [i for i, ln in enumerate(lines) if _is_timing_candidate(ln, self.fmt)]
        if not timings:
            if self.fmt == "srt" and any(ln.strip() for ln in lines):
                raise SubtitleFormatError(self.path, "no subtitle cues found (is this an SRT file?)")
            if any(ln.strip() for ln in lines):
                first = next(i for i, ln in enumerate(lines) if ln.strip())
                raise self.error("no subtitle cues found (is this a WebVTT file?)", line=first + 1)
            return ()  # valid, no cues: a bare WEBVTT header, or an empty SRT (a recording with no speech)

        # Which line (if any) above each timing line is its number / identifier.
        labels: list[int | None] = []
        for k, t in enumerate(timings):
            floor = timings[k - 1] + 1 if k else 0  # the label cannot be the previous timing line
            above = t - 1
            if above < floor or not lines[above].strip():
                labels.append(None)
                continue
            # A line alone after a blank line (or at the top) labels the cue; a line right under
            # the previous timing line or under text is text, unless it is a number.
            starts_block = above == 0 or (above - 1 >= floor and not lines[above - 1].strip())
            if _INTEGER.fullmatch(lines[above]) or starts_block:
                labels.append(above)
            else:
                labels.append(None)  # text of the previous cue, no blank line or number between

        stray = next((i for i in range(timings[0]) if lines[i].strip() and i != labels[0]), None)
        if stray is not None:
            raise self.error(f"unexpected text before the first cue: {lines[stray].strip()!r}", line=stray + 1)

        cues: list[RawCue] = []
        for k, t in enumerate(timings):
            number = k + 1
            label = labels[k]
            index: int | None = None
            if label is not None:
                found = _INTEGER.fullmatch(lines[label])
                if found:
                    index = int(found.group(1))
                elif self.fmt == "srt":
                    raise self.error(f"bad cue number {lines[label].strip()!r}", line=label + 1, cue=number)
                # WebVTT: a text identifier; RawCue keeps numbers only.
            start, end = self.timing(lines[t], line=t + 1, cue=number)
            if k + 1 < len(timings):
                next_label = labels[k + 1]
                stop = next_label if next_label is not None else timings[k + 1]
            else:
                stop = len(lines)
            cues.append(
                RawCue(
                    index=index,
                    start_ms=start,
                    end_ms=end,
                    lines=self.text_lines(lines[t + 1 : stop]),
                    line=t + 1,
                )
            )
        return tuple(cues)


def parse_raw(text: str, fmt: str = "srt", *, path: Path | str = "<text>") -> tuple[RawCue, ...]:
    """Leniently parse subtitle ``text`` (already decoded, no BOM) into raw cues; see ``read_raw``."""
    return _Parser(text, _check_format(fmt), Path(path)).parse()


def _show_time(ms: int, fmt: str) -> str:
    return _vtt_timestamp(ms) if fmt == "vtt" else _vtt_timestamp(ms).replace(".", ",")


def _to_track(raw: tuple[RawCue, ...], language: str, fmt: str, path: Path) -> SubtitleTrack:
    numbered = list(enumerate(raw, start=1))
    for number, cue in numbered:
        if not cue.lines:
            raise SubtitleFormatError(path, "no text", line=cue.line, cue=number)
        if cue.end_ms < cue.start_ms:
            raise SubtitleFormatError(
                path,
                f"ends before it starts ({_show_time(cue.start_ms, fmt)} --> {_show_time(cue.end_ms, fmt)})",
                line=cue.line,
                cue=number,
            )
    numbered.sort(key=lambda item: (item[1].start_ms, item[1].end_ms))
    for (before_no, before), (number, cue) in itertools.pairwise(numbered):
        if cue.start_ms < before.end_ms:
            raise SubtitleFormatError(
                path,
                f"overlaps cue {before_no} (line {before.line}): starts at "
                f"{_show_time(cue.start_ms, fmt)}, before that cue ends at {_show_time(before.end_ms, fmt)}",
                line=cue.line,
                cue=number,
            )
    cues = tuple(Cue(start_ms=c.start_ms, end_ms=c.end_ms, lines=c.lines) for _, c in numbered)
    return SubtitleTrack(language=language, cues=cues)


def parse_subtitles(
    text: str, fmt: str = "srt", *, language: str = "und", path: Path | str = "<text>"
) -> SubtitleTrack:
    """Strictly parse subtitle ``text`` into a valid track; see ``read_subtitles``."""
    name = _check_format(fmt)
    where = Path(path)
    return _to_track(_Parser(text, name, where).parse(), language, name, where)


def read_raw(path: Path) -> ReadResult:
    """Read a subtitle file leniently, keeping every cue as found (see the module docstring).

    The format is WebVTT when the text starts with ``WEBVTT`` or the name ends in ``.vtt``, SRT
    otherwise. Raises ``InputError`` for a missing or unreadable file and ``SubtitleFormatError``
    for binary junk, text without any timing line, and lines that make no sense
    (bad timestamp, bad cue number, text before the first cue), naming the cue and the line.
    The file is only read, never changed.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(path, "no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(path, "is a folder, not a subtitle file") from exc
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from exc
    text, encoding, had_bom = decode_subtitle_bytes(data, path) if data else ("", "utf-8", False)
    fmt = _format_of(text, path)
    cues = _Parser(text, fmt, path).parse()
    return ReadResult(path=path, encoding=encoding, cues=cues, had_bom=had_bom, crlf="\r\n" in text, format=fmt)


def read_subtitles(path: Path, language: str | None = None) -> SubtitleTrack:
    """Read a subtitle file into a valid track, cues sorted by time.

    Everything ``read_raw`` refuses, plus a cue with no text, a cue that ends before it starts,
    or cues that overlap, raises ``SubtitleFormatError`` naming the cue and the line. The language
    is ``language``, else taken from the file name (``x.ko.srt`` -> ``ko``), else ``"und"``.
    """
    result = read_raw(path)
    lang = language or language_from_path(result.path) or "und"
    return _to_track(result.cues, lang, result.format, result.path)


_TWO_LETTER = re.compile(r"([a-z]{2})(?:[-_]([a-z0-9]{2,8}))?", re.IGNORECASE)
_THREE_LETTER = {three: two for two, (three, _) in reversed(LANGUAGE_NAMES.items())}  # chi -> zh, the first


def language_from_path(path: Path) -> str | None:
    """The language tag in a subtitle file name: ``x.ko.srt`` -> ``ko``, ``x.en.vtt`` -> ``en``.

    Also ``x.pt-BR.srt`` -> ``pt-BR`` and the container tags streamkit knows (``x.kor.srt`` ->
    ``ko``). ``None`` when the part before the extension is not a language tag (``x.srt``,
    ``show.2024.srt``, ``x.final.srt``).
    """
    suffixes = Path(path).suffixes
    if len(suffixes) < 2:
        return None
    tag = suffixes[-2][1:]
    match = _TWO_LETTER.fullmatch(tag)
    if match:
        primary, region = match.group(1).lower(), match.group(2)
        return f"{primary}-{region.upper() if len(region) == 2 else region}" if region else primary
    return _THREE_LETTER.get(tag.lower())
