"""Mux: put subtitle files into the replay (soft subtitles), or burn one into the picture.

Soft mux copies every video and audio stream untouched (no re-encode) and adds one text track
per :class:`~streamkit.models.SubtitleFile`: ``mov_text`` in MP4, SubRip in Matroska, tagged with
ISO 639-2 language codes and human titles, the default language first and flagged ``default``.

Burn-in re-encodes the video with libx264 and draws one subtitle file with libass, in a
broadcast-like style (:class:`BurnInStyle`) and the bundled Noto Sans KR font, so Hangul and
Latin text render without tofu on any machine.

As everywhere in streamkit, ``*_args`` functions build the ffmpeg command as data (with
ffmpeg-python) and :func:`streamkit.media.run_ffmpeg` runs it. Outputs are written atomically.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.resources
import importlib.util
import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from .errors import ConfigError, InputError, MediaError
from .fsutil import atomic_path
from .media import MIN_DECODED_SHARE, ExpectedOutput, find_ffmpeg, media_end_ms, run_ffmpeg, verify_output
from .models import LANGUAGE_NAMES, MediaInfo, MuxedVideo, ProgressCallback, SubtitleFile, iso639_2, known_language
from .subtitles import as_utf8

__all__ = [
    "CONTAINERS",
    "FONT_FILE",
    "BurnInStyle",
    "burn_in",
    "burn_in_args",
    "check_languages",
    "container_for",
    "font_dir",
    "mux",
    "mux_args",
    "output_name",
    "static_font",
    "track_title",
]

log = logging.getLogger("streamkit")

CONTAINERS = ("mp4", "mkv")
#: container -> (ffmpeg muxer name, subtitle codec for soft subtitles)
_MUXERS = {"mp4": ("mp4", "mov_text"), "mkv": ("matroska", "srt")}
#: file suffix -> container it implies
_SUFFIXES = {".mp4": "mp4", ".m4v": "mp4", ".mkv": "mkv"}
#: SubtitleFile.format -> ffmpeg demuxer (given explicitly so odd extensions still work)
_SUB_DEMUXERS = {"srt": "srt", "vtt": "webvtt"}
_QUIET = ("-hide_banner", "-nostdin", "-loglevel", "error")

FONT_PACKAGE = "justmytype_intl_cjk"
FONT_FILE = "NotoSansKR[wght].ttf"
#: Characters always kept in the burn-in font besides those of the subtitle file itself.
_ALWAYS_GLYPHS = "".join(chr(c) for c in range(0x20, 0x7F)) + "…‘’“”·–—♪~「」『』"


# --------------------------------------------------------------------------- names


def container_for(source: Path, requested: str | None) -> str:
    """The output container: ``requested`` if given, else ``mkv`` for Matroska/WebM input, else ``mp4``."""
    if requested is not None:
        wanted = requested.strip().lower().lstrip(".")
        if wanted not in CONTAINERS:
            raise ConfigError(
                f"unknown container {requested!r}",
                key="container",
                hint=f"use one of: {', '.join(CONTAINERS)}",
            )
        return wanted
    return "mkv" if Path(source).suffix.lower() in (".mkv", ".webm") else "mp4"


def output_name(source: Path, container: str, *, tag: str = "subtitled") -> str:
    """File name of the replay: ``recording.subtitled.mp4`` (``tag`` e.g. ``burned-en``)."""
    if container not in CONTAINERS:
        raise ConfigError(f"unknown container {container!r}", key="container")
    return f"{Path(source).stem}.{tag}.{container}"


def track_title(language: str) -> str:
    """Title of a subtitle track: the language's own name (``en`` -> ``English``, ``ja`` -> ``日本語``,
    ``pt-BR`` -> ``Português``); unknown codes stay as they are."""
    if language in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[language][1]
    return LANGUAGE_NAMES.get(language.split("-")[0].lower(), ("", language))[1]


def check_languages(subs: Sequence[SubtitleFile], default_language: str | None = None) -> None:
    """Refuse a track (or default) whose language code containers cannot be told (an error, not ``und``)."""
    for code, what in [*((s.language, f"subtitle file {Path(s.path).name}") for s in subs),
                       *([(default_language, "the default track")] if default_language else [])]:
        if not known_language(code):
            raise ConfigError(f"unknown language code {code!r} for {what}", key="language",
                              hint="name files NAME.LANG.srt with a known code: "
                              + ", ".join(sorted(c for c in LANGUAGE_NAMES)) + " (or a three-letter ISO 639-2 tag)")


def _resolve_container(source: Path, target: Path, container: str | None) -> str:
    implied = _SUFFIXES.get(target.suffix.lower())
    if implied is None:
        # MP4 data in a file named .avi plays nowhere it should: the name must say what the file is.
        # (AVI, TS and the rest cannot carry the soft subtitle tracks anyway.)
        raise ConfigError(
            f"output {target.name!r}: a replay with subtitle tracks is written as MP4 or MKV, "
            f"not {target.suffix or 'a file without an extension'}",
            key="container",
            hint=f"name the output {target.stem}.mp4 or {target.stem}.mkv",
        )
    if container is None:
        return implied or container_for(source, None)
    chosen = container_for(source, container)
    if implied is not None and implied != chosen:
        raise ConfigError(
            f"output {target.name!r} has a .{target.suffix.lstrip('.')} name but container {chosen!r} "
            "was asked for",
            key="container",
            hint=f"name the output *.{chosen} or leave the container out",
        )
    return chosen


def _arg_path(path: Path) -> str:
    """A path as ffmpeg must see it: absolute, so ``-x.mp4`` is no option and ``a:b.mp4`` no protocol."""
    return str(Path(path).absolute())


# --------------------------------------------------------------------------- soft mux


def _ordered(subs: Sequence[SubtitleFile], default_language: str) -> list[SubtitleFile]:
    """Default-language tracks first; otherwise the given order (stable)."""
    return sorted(subs, key=lambda s: s.language != default_language)


def mux_args(
    info: MediaInfo,
    subs: Sequence[SubtitleFile],
    target: Path,
    *,
    container: str,
    default_language: str = "en",
    ffmpeg_exe: str = "ffmpeg",
) -> list[str]:
    """ffmpeg arguments that copy ``info``'s video and audio and add ``subs`` as text tracks.

    Maps every real video stream (``0:V``: not cover art) and every audio stream, copied as they
    are; the input's old subtitle, data and attachment streams are left out. Global metadata and
    chapters are kept. Subtitle track ``i`` is input ``i + 1``; the default-language track comes
    first and is the only one flagged ``default``.
    """
    if container not in CONTAINERS:
        raise ConfigError(f"unknown container {container!r}", key="container")
    if not subs:
        raise ConfigError("no subtitle files to mux", key="subtitles")
    paths = [Path(s.path).absolute() for s in subs]
    if len(set(paths)) != len(paths):
        raise ConfigError("the same subtitle file is given twice", key="subtitles")
    muxer, sub_codec = _MUXERS[container]
    tracks = _ordered(subs, default_language)

    source = ffmpeg.input(_arg_path(info.path))
    streams = [source["V?"], source["a?"]]
    for sub in tracks:
        demuxer = _SUB_DEMUXERS.get(sub.format.lower())
        options = {"f": demuxer} if demuxer else {}
        streams.append(ffmpeg.input(_arg_path(sub.path), **options)["s:0"])
    output_options: dict[str, str | int] = {
        "c:v": "copy",
        "c:a": "copy",
        "c:s": sub_codec,
        "map_metadata": 0,
        "map_chapters": 0,
        "format": muxer,
    }
    if container == "mp4":
        output_options["movflags"] = "+faststart"
    out = ffmpeg.output(*streams, _arg_path(target), **output_options)
    # Per-track tags: ffmpeg-python keeps output options in a dict (one value per key), so the
    # repeated -metadata:s:s:N options go in here, before the output file name.
    return _finish(
        out.compile(cmd=ffmpeg_exe),
        _track_options(tracks, container=container, default_language=default_language),
    )


def _finish(compiled: list[str], output_options: Sequence[str] = ()) -> list[str]:
    """Global options right after the executable (ffmpeg-python would append them after the
    output file, where ffmpeg warns about trailing options), extra output options before the
    output file name (the last argument), and ``-y``: the temp file already exists."""
    exe, *middle, output_file = compiled
    return [exe, *_QUIET, "-y", *middle, *output_options, output_file]


def _track_options(tracks: Sequence[SubtitleFile], *, container: str, default_language: str) -> list[str]:
    options: list[str] = []
    for i, sub in enumerate(tracks):
        title = track_title(sub.language)
        options += [f"-metadata:s:s:{i}", f"language={iso639_2(sub.language)}"]
        options += [f"-metadata:s:s:{i}", f"title={title}"]
        if container == "mp4":
            options += [f"-metadata:s:s:{i}", f"handler_name={title}"]
        is_default = sub.language == default_language and i == 0
        options += [f"-disposition:s:{i}", "default" if is_default else "0"]
    return options


def _expected(info: MediaInfo, *, video: int, subtitles: int) -> ExpectedOutput:
    """What the written replay must hold before it replaces anything: every planned stream, and
    media up to where the recording's own data stops (a full disk cuts it short). A recording cut
    short itself is refused, as ``subtitle`` refuses it (its copy would pass for a whole replay)."""
    end_ms = media_end_ms(info.path)
    if info.duration_ms > 2000 and end_ms < info.duration_ms * MIN_DECODED_SHARE:
        raise MediaError(info.path, f"truncated or corrupt: its media data stops short of the "
                                    f"{info.duration_ms / 1000:.1f} s the file declares")
    return ExpectedOutput(end_ms, video=video, audio=len(info.audio), subtitles=subtitles)


def _check_paths(info: MediaInfo, target: Path, subs: Sequence[SubtitleFile]) -> None:
    for sub in subs:
        if not Path(sub.path).is_file():
            raise InputError(sub.path, "no such subtitle file")
    inputs = {Path(info.path).resolve(), *(Path(s.path).resolve() for s in subs)}
    if Path(target).resolve() in inputs:
        raise ConfigError(
            f"output {target} is one of the inputs", key="output", hint="write the replay to another name"
        )


def mux(
    info: MediaInfo,
    subs: Sequence[SubtitleFile],
    target: Path,
    *,
    container: str | None = None,
    default_language: str = "en",
    progress: ProgressCallback | None = None,
) -> MuxedVideo:
    """Write ``target``: the recording with ``subs`` as soft subtitle tracks (no re-encode).

    ``container`` defaults to what ``target``'s suffix says, else to :func:`container_for` the
    recording. ``target`` appears whole or not at all; an existing one is replaced only on success.
    """
    target = Path(target)
    chosen = _resolve_container(info.path, target, container)
    _check_paths(info, target, subs)
    check_languages(subs, default_language)
    tracks = tuple(_ordered(subs, default_language))
    exe = find_ffmpeg()
    log.info("muxing %d subtitle track(s) into %s (%s)", len(tracks), target, chosen)
    with atomic_path(target) as tmp, tempfile.TemporaryDirectory(prefix="streamkit-mux-") as scratch:
        args = mux_args(
            info, tuple(dataclasses.replace(t, path=as_utf8(t.path, Path(scratch) / f"{i}.{t.format}"))
                        for i, t in enumerate(tracks)),
            tmp, container=chosen, default_language=default_language, ffmpeg_exe=exe,
        )
        run_ffmpeg(
            args,
            action="add the subtitle tracks",
            total_seconds=info.duration_ms / 1000,
            progress=progress,
            output=target,
        )
        verify_output(tmp, _expected(info, video=len(info.video), subtitles=len(tracks)), target=target)
    return MuxedVideo(path=target, container=chosen, tracks=tracks)


# --------------------------------------------------------------------------- burn-in


@dataclass(frozen=True, slots=True)
class BurnInStyle:
    """How burned-in subtitles look; sizes are in a 1080-line frame (ASS ``PlayResY``), like broadcasters'.

    The defaults: Noto Sans KR Bold at 5 % of the picture height, white with a 3 px black border
    and a soft 1 px shadow, bottom-centre, 7 % of the height above the bottom edge.
    """

    font_name: str = "Noto Sans KR"
    font_size: int = 54
    bold: bool = True
    primary_colour: str = "&H00FFFFFF"  # ASS &HAABBGGRR: opaque white
    outline_colour: str = "&H00000000"  # opaque black
    back_colour: str = "&H80000000"  # shadow: half-transparent black
    outline: float = 3.0
    shadow: float = 1.0
    margin_v: int = 75
    margin_h: int = 80
    alignment: int = 2  # numpad layout: bottom centre
    border_style: int = 1  # outline + shadow (3 would be an opaque box)
    play_res_y: int = 1080

    def __post_init__(self) -> None:
        for name in ("font_name", "primary_colour", "outline_colour", "back_colour"):
            value = getattr(self, name)
            if not value or any(c in value for c in ",=\n"):
                raise ConfigError(f"burn-in style: {name} {value!r} is empty or has ',', '=' or a newline")
        if self.font_size <= 0 or self.play_res_y <= 0:
            raise ConfigError("burn-in style: font_size and play_res_y must be positive")
        if min(self.outline, self.shadow, self.margin_v, self.margin_h) < 0:
            raise ConfigError("burn-in style: outline, shadow and margins must not be negative")
        if not 1 <= self.alignment <= 9 or self.border_style not in (1, 3):
            raise ConfigError("burn-in style: alignment must be 1-9 and border_style 1 or 3")

    @property
    def weight(self) -> int:
        """The font weight the style asks for (what the burn-in font is instanced at)."""
        return 700 if self.bold else 400

    def force_style(self, width: int = 0, height: int = 0) -> str:
        """The libass ``force_style`` string; ``PlayResX`` follows the picture's aspect ratio."""
        fields: list[tuple[str, object]] = [
            ("PlayResY", self.play_res_y),
            ("ScaledBorderAndShadow", "yes"),
            ("FontName", self.font_name),
            ("FontSize", self.font_size),
            ("Bold", -1 if self.bold else 0),
            ("PrimaryColour", self.primary_colour),
            ("OutlineColour", self.outline_colour),
            ("BackColour", self.back_colour),
            ("BorderStyle", self.border_style),
            ("Outline", _num(self.outline)),
            ("Shadow", _num(self.shadow)),
            ("Alignment", self.alignment),
            ("MarginV", self.margin_v),
            ("MarginL", self.margin_h),
            ("MarginR", self.margin_h),
        ]
        if width > 0 and height > 0:
            fields.insert(0, ("PlayResX", round(self.play_res_y * width / height)))
        return ",".join(f"{key}={value}" for key, value in fields)


def _num(value: float) -> str:
    return f"{value:g}"


def font_dir() -> Path:
    """The folder holding ``NotoSansKR[wght].ttf`` from the installed ``justmytype-intl-cjk`` package."""
    hint = "reinstall streamkit, or: pip install justmytype-intl-cjk"
    if importlib.util.find_spec(FONT_PACKAGE) is None:
        raise ConfigError(
            f"the Noto Sans KR font package ({FONT_PACKAGE}) is not installed", key="fonts", hint=hint
        )
    root = Path(str(importlib.resources.files(FONT_PACKAGE)))
    folder = root / "fonts" / "ofl" / "notosanskr"
    if (folder / FONT_FILE).is_file():
        return folder
    found = sorted(root.rglob(FONT_FILE)) if root.is_dir() else []
    if found:
        return found[0].parent
    raise ConfigError(f"{FONT_FILE} is missing from {root}", key="fonts", hint=hint)


def static_font(variable_font: Path, folder: Path, *, text: str, weight: int) -> Path:
    """Write a static instance of ``variable_font`` at ``weight``, cut to the glyphs ``text`` needs.

    libass loads only a variable font's default instance, and Noto Sans KR's is *Thin* (family
    "Noto Sans KR Thin"), so the family would not even match. The instance gets the proper
    names ("Noto Sans KR", "Bold"). Subsetting first keeps this to a second or two.
    """
    try:
        subset = importlib.import_module("fontTools.subset")
        ttlib = importlib.import_module("fontTools.ttLib")
        instancer = importlib.import_module("fontTools.varLib.instancer")
    except ImportError as exc:
        raise ConfigError(
            "burning in subtitles needs fontTools", key="fonts", hint="pip install fonttools"
        ) from exc
    font = ttlib.TTFont(str(variable_font))
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text + _ALWAYS_GLYPHS)
    subsetter.subset(font)
    if "fvar" in font:
        # Every axis pinned (weight as asked, width and the others at their default): a static font.
        location = {axis.axisTag: weight if axis.axisTag == "wght" else axis.defaultValue
                    for axis in font["fvar"].axes}
        font = instancer.instantiateVariableFont(font, location, updateFontNames="STAT" in font)
    ps_name = str(font["name"].getDebugName(6) or variable_font.stem).replace("/", "-")
    path = Path(folder) / f"{ps_name}.ttf"
    font.save(str(path))
    log.debug("burn-in font %s (%s)", path.name, font["name"].getDebugName(4))
    return path


def burn_in_args(
    info: MediaInfo,
    sub: SubtitleFile,
    target: Path,
    *,
    container: str,
    style: BurnInStyle,
    fonts_dir: Path,
    ffmpeg_exe: str = "ffmpeg",
    crf: int = 20,
    preset: str = "veryfast",
) -> list[str]:
    """ffmpeg arguments that draw ``sub`` onto the first video stream and copy all audio.

    Filter arguments are escaped by ffmpeg-python (both levels); :func:`burn_in` still hands
    plain ASCII temp paths for ``sub`` and ``fonts_dir``, so nothing depends on that escaping.
    """
    if container not in CONTAINERS:
        raise ConfigError(f"unknown container {container!r}", key="container")
    if not info.video:
        raise MediaError(info.path, "has no video stream to burn subtitles into")
    first = info.video[0]
    source = ffmpeg.input(_arg_path(info.path))
    video = source["V:0"].filter(
        "subtitles",
        filename=_arg_path(sub.path),
        fontsdir=_arg_path(fonts_dir),
        force_style=style.force_style(first.width, first.height),
    )
    muxer, _ = _MUXERS[container]
    output_options: dict[str, str | int] = {
        "c:v": "libx264",
        "crf": crf,
        "preset": preset,
        "pix_fmt": "yuv420p",
        "fps_mode": "passthrough",  # keep every frame's timestamp: audio is copied, sync must hold
        "c:a": "copy",
        "map_metadata": 0,
        "map_chapters": 0,
        "format": muxer,
    }
    if container == "mp4":
        output_options["movflags"] = "+faststart"
    out = ffmpeg.output(video, source["a?"], _arg_path(target), **output_options)
    return _finish(out.compile(cmd=ffmpeg_exe))


def burn_in(
    info: MediaInfo,
    sub: SubtitleFile,
    target: Path,
    *,
    container: str | None = None,
    style: BurnInStyle | None = None,
    progress: ProgressCallback | None = None,
) -> MuxedVideo:
    """Write ``target``: the recording with ``sub`` drawn into the picture (libx264), audio copied.

    The font is the one for the subtitles' language (:func:`streamkit.fonts.font_for`: Noto Sans
    KR for Korean and English, JP/SC/TC, Thai, Arabic ...); without a ``style``, the default style
    in that font. The subtitle file and a static instance of the font are staged in a temp folder
    under plain names, so odd characters in the real paths never reach the filter graph.
    """
    from .fonts import font_for, font_path

    target = Path(target)
    script_font = font_for(sub.language)
    style = style or BurnInStyle(font_name=script_font.family)
    chosen = _resolve_container(info.path, target, container)
    _check_paths(info, target, [sub])
    if not info.video:
        raise MediaError(info.path, "has no video stream to burn subtitles into")
    variable_font = font_dir() / FONT_FILE if script_font.family == "Noto Sans KR" else font_path(script_font)
    exe = find_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="streamkit-burn-") as tmp_dir:
        staging = Path(tmp_dir)
        ext = "vtt" if sub.format.lower() == "vtt" else "srt"
        staged_sub = staging / f"subtitles.{ext}"
        shutil.copyfile(sub.path, staged_sub)
        fonts = staging / "fonts"
        fonts.mkdir()
        text = staged_sub.read_text(encoding="utf-8-sig", errors="replace")
        static_font(variable_font, fonts, text=text, weight=style.weight)
        staged = dataclasses.replace(sub, path=staged_sub)
        log.info("burning %s subtitles into %s (%s)", sub.language, target, chosen)
        with atomic_path(target) as tmp:
            args = burn_in_args(
                info, staged, tmp, container=chosen, style=style, fonts_dir=fonts, ffmpeg_exe=exe
            )
            run_ffmpeg(
                args,
                action="burn the subtitles into the video",
                total_seconds=info.duration_ms / 1000,
                progress=progress,
                output=target,
            )
            verify_output(tmp, _expected(info, video=1, subtitles=0), target=target)
    return MuxedVideo(path=target, container=chosen, tracks=(), burned_in=sub.language)
