"""Tests for streamkit.mux: argument lists as data, then real ffmpeg runs checked with PyAV."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import subprocess
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from streamkit import mux as mx
from streamkit.errors import ConfigError, FFmpegError, InputError, MediaError
from streamkit.media import find_ffmpeg, probe
from streamkit.models import AudioStreamInfo, MediaInfo, MuxedVideo, SubtitleFile, VideoStreamInfo

KO_TEXT = "안녕하세요 여러분! 오늘 방송 시작할게요"
EN_TEXT = "Hello everyone! Let's start today's stream"
HALF = Fraction(1, 2)
SUBRIP = {"subrip", "srt"}  # PyAV names AV_CODEC_ID_SUBRIP by its decoder, "srt"
WEIRD_NAME = "라이브 방송 'best' \"clip\", 1:2 [final]"

# --------------------------------------------------------------------------- helpers


def _srt(path: Path, text: str) -> Path:
    path.write_text(f"1\n00:00:00,300 --> 00:00:02,700\n{text}\n", encoding="utf-8")
    return path


def _vtt(path: Path, text: str) -> Path:
    path.write_text(f"WEBVTT\n\n00:00:00.300 --> 00:00:02.700\n{text}\n", encoding="utf-8")
    return path


def _ffmpeg(*args: str) -> None:
    cmd = [find_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True, capture_output=True)


def _info(path: Path) -> MediaInfo:
    """The pipeline's own probe (PyAV; cover art is not a video stream)."""
    return probe(path)


def _fake_info(path: str = "/media/rec.mp4") -> MediaInfo:
    return MediaInfo(
        path=Path(path),
        container="mov,mp4,m4a,3gp,3g2,mj2",
        duration_ms=3000,
        video=(VideoStreamInfo(0, "h264", 1920, 1080, Fraction(30000, 1001)),),
        audio=(AudioStreamInfo(1, "aac", 48000, 2),),
    )


def _packet_digests(path: Path) -> dict[str, list[str]]:
    """Per video/audio stream (in order): sha256 of every packet's bytes and pts (in ms)."""
    digests: dict[str, list[str]] = {}
    with av.open(str(path)) as c:
        streams = [
            s
            for s in c.streams
            if s.type == "audio" or (s.type == "video" and not s.disposition & av.stream.Disposition.attached_pic)
        ]
        hashes = {s.index: hashlib.sha256() for s in streams}
        counts = dict.fromkeys(hashes, 0)
        for packet in c.demux(streams):
            if packet.size == 0 or packet.stream.index not in hashes:
                continue
            # milliseconds rounded half up, as ffmpeg rescales into Matroska's 1/1000 time base
            pts_ms = None if packet.pts is None else math.floor(packet.pts * packet.time_base * 1000 + HALF)
            hashes[packet.stream.index].update(f"{pts_ms}:".encode() + bytes(packet))
            counts[packet.stream.index] += 1
        for s in streams:
            digests.setdefault(s.type, []).append(f"{counts[s.index]}:{hashes[s.index].hexdigest()}")
    return digests


def _subtitle_streams(path: Path) -> list[tuple[str, dict[str, str], bool]]:
    with av.open(str(path)) as c:
        return [
            (
                s.codec_context.name,
                {k.lower(): v for k, v in s.metadata.items()},
                bool(s.disposition & av.stream.Disposition.default),
            )
            for s in c.streams.subtitles
        ]


def _frame_at(path: Path, seconds: float) -> np.ndarray:
    with av.open(str(path)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= seconds:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError(f"no frame at {seconds} s in {path}")


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# --------------------------------------------------------------------------- fixtures (real media)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny recordings: mp4 (old subtitle track, title, chapters, cover art), mkv, two-audio mp4."""
    d = tmp_path_factory.mktemp("media")
    lavfi_video = ["-f", "lavfi", "-i", "testsrc=size=320x180:rate=30000/1001:duration=3"]
    lavfi_sine = ["-f", "lavfi", "-i", "sine=frequency=440:duration=3"]
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    old_sub = _srt(d / "old.srt", "old burned-in-free subtitle")
    chapters = d / "chapters.txt"
    chapters.write_text(
        ";FFMETADATA1\ntitle=Live clip\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1500\ntitle=Intro\n"
        "[CHAPTER]\nTIMEBASE=1/1000\nSTART=1500\nEND=3000\ntitle=Song\n",
        encoding="utf-8",
    )
    mp4 = d / "clip.mp4"
    _ffmpeg(
        *lavfi_video, *lavfi_sine, "-i", str(old_sub), "-i", str(chapters),
        "-map", "0:v", "-map", "1:a", "-map", "2:s", "-map_metadata", "3", "-map_chapters", "3",
        *h264, "-c:a", "aac", "-c:s", "mov_text", "-metadata:s:s:0", "language=jpn", str(mp4),
    )  # fmt: skip
    cover = d / "cover.png"
    _ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x64", "-frames:v", "1", str(cover))
    covered = d / "covered.mp4"
    _ffmpeg(
        "-i", str(mp4), "-i", str(cover), "-map", "0:v", "-map", "0:a", "-map", "1",
        "-c", "copy", "-disposition:v:1", "attached_pic", str(covered),
    )  # fmt: skip
    mkv = d / "clip.mkv"
    _ffmpeg(
        *lavfi_video, *lavfi_sine, "-i", str(old_sub), "-map", "0:v", "-map", "1:a", "-map", "2:s",
        *h264, "-c:a", "libopus", "-c:s", "srt", str(mkv),
    )  # fmt: skip
    two = d / "two audio.mp4"
    _ffmpeg(
        *lavfi_video, *lavfi_sine, "-f", "lavfi", "-i", "sine=frequency=880:duration=3",
        "-map", "0:v", "-map", "1:a", "-map", "2:a", *h264, "-c:a", "aac",
        "-metadata:s:a:0", "language=kor", "-metadata:s:a:1", "language=eng", str(two),
    )  # fmt: skip
    weird = d / f"{WEIRD_NAME}.mp4"
    weird.write_bytes(mp4.read_bytes())
    return {"mp4": mp4, "covered": covered, "mkv": mkv, "two": two, "weird": weird}


@pytest.fixture
def subs(tmp_path: Path) -> list[SubtitleFile]:
    """Korean SRT first on purpose (English must still come out first), English as VTT."""
    return [
        SubtitleFile(_srt(tmp_path / "clip.ko.srt", KO_TEXT), "ko", "srt", 1),
        SubtitleFile(_vtt(tmp_path / "clip.en.vtt", EN_TEXT), "en", "vtt", 1),
    ]


@pytest.fixture(scope="module")
def static_fonts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fonts")
    mx.static_font(mx.font_dir() / mx.FONT_FILE, folder, text=KO_TEXT + EN_TEXT + "가나다라마바사아", weight=700)
    return folder


# --------------------------------------------------------------------------- names and containers


@pytest.mark.parametrize(
    ("source", "requested", "expected"),
    [
        ("rec.mp4", None, "mp4"),
        ("rec.MKV", None, "mkv"),
        ("rec.webm", None, "mkv"),
        ("rec.flv", None, "mp4"),
        ("rec.ts", None, "mp4"),
        ("rec.mkv", "mp4", "mp4"),
        ("rec.mp4", "MKV", "mkv"),
        ("rec.mp4", ".mkv", "mkv"),
    ],
)
def test_container_for(source: str, requested: str | None, expected: str) -> None:
    assert mx.container_for(Path(source), requested) == expected


@pytest.mark.parametrize("requested", ["avi", "matroska", "", "webm"])
def test_container_for_refuses_unknown(requested: str) -> None:
    with pytest.raises(ConfigError) as err:
        mx.container_for(Path("rec.mp4"), requested)
    assert err.value.key == "container"


def test_output_name() -> None:
    assert mx.output_name(Path("/x/recording.mp4"), "mp4") == "recording.subtitled.mp4"
    assert mx.output_name(Path("방송 1.flv"), "mkv") == "방송 1.subtitled.mkv"
    assert mx.output_name(Path("rec.mp4"), "mp4", tag="burned-en") == "rec.burned-en.mp4"
    with pytest.raises(ConfigError):
        mx.output_name(Path("rec.mp4"), "avi")


# --------------------------------------------------------------------------- mux_args as data


def _fake_subs() -> list[SubtitleFile]:
    return [
        SubtitleFile(Path("/subs/rec.ko.srt"), "ko", "srt"),
        SubtitleFile(Path("/subs/rec.en.srt"), "en", "srt"),
    ]


def _option_values(args: list[str], option: str) -> list[str]:
    return [args[i + 1] for i, a in enumerate(args) if a == option]


def test_mux_args_mp4() -> None:
    target = Path("/out/rec.subtitled.mp4")
    args = mx.mux_args(_fake_info(), _fake_subs(), target, container="mp4", ffmpeg_exe="/bin/ffmpeg")
    assert args[:6] == ["/bin/ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    assert args[-1] == str(target)
    # English (the default language) is the first subtitle input and track.
    assert _option_values(args, "-i") == ["/media/rec.mp4", "/subs/rec.en.srt", "/subs/rec.ko.srt"]
    assert _option_values(args, "-map") == ["0:V?", "0:a?", "1:s:0", "2:s:0"]
    assert args[args.index("/subs/rec.en.srt") - 3 : args.index("/subs/rec.en.srt")] == ["-f", "srt", "-i"]
    assert _option_values(args, "-c:v") == ["copy"]
    assert _option_values(args, "-c:a") == ["copy"]
    assert _option_values(args, "-c:s") == ["mov_text"]
    assert _option_values(args, "-map_metadata") == ["0"]
    assert _option_values(args, "-map_chapters") == ["0"]
    assert _option_values(args, "-movflags") == ["+faststart"]
    assert _option_values(args, "-f")[-1] == "mp4"
    assert _option_values(args, "-metadata:s:s:0") == ["language=eng", "title=English", "handler_name=English"]
    assert _option_values(args, "-metadata:s:s:1") == ["language=kor", "title=한국어", "handler_name=한국어"]
    assert _option_values(args, "-disposition:s:0") == ["default"]
    assert _option_values(args, "-disposition:s:1") == ["0"]
    # every option comes before the output file: nothing trails it
    assert args.index(str(target)) == len(args) - 1


def test_mux_args_mkv() -> None:
    args = mx.mux_args(_fake_info(), _fake_subs(), Path("/out/rec.mkv"), container="mkv")
    assert _option_values(args, "-c:s") == ["srt"]
    assert _option_values(args, "-f")[-1] == "matroska"
    assert "-movflags" not in args
    assert _option_values(args, "-metadata:s:s:0") == ["language=eng", "title=English"]
    assert _option_values(args, "-metadata:s:s:1") == ["language=kor", "title=한국어"]
    assert _option_values(args, "-disposition:s:0") == ["default"]
    assert _option_values(args, "-disposition:s:1") == ["0"]
    assert "-c" not in args and "-vcodec" not in args  # nothing re-encodes


def test_mux_args_default_language_and_vtt() -> None:
    subs = [
        SubtitleFile(Path("/s/a.en.srt"), "en", "srt"),
        SubtitleFile(Path("/s/a.ko.vtt"), "ko", "vtt"),
        SubtitleFile(Path("/s/a.ja.srt"), "ja", "srt"),
    ]
    args = mx.mux_args(_fake_info(), subs, Path("/o/a.mkv"), container="mkv", default_language="ko")
    assert _option_values(args, "-i")[1:] == ["/s/a.ko.vtt", "/s/a.en.srt", "/s/a.ja.srt"]
    assert args[args.index("/s/a.ko.vtt") - 3 : args.index("/s/a.ko.vtt")] == ["-f", "webvtt", "-i"]
    assert [_option_values(args, f"-disposition:s:{i}")[0] for i in range(3)] == ["default", "0", "0"]
    assert _option_values(args, "-metadata:s:s:2") == ["language=jpn", "title=日本語"]


def test_mux_args_without_default_language_track() -> None:
    subs = [SubtitleFile(Path("/s/a.ko.srt"), "ko", "srt")]
    args = mx.mux_args(_fake_info(), subs, Path("/o/a.mp4"), container="mp4", default_language="en")
    assert _option_values(args, "-disposition:s:0") == ["0"]


def test_mux_args_paths_are_absolute_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    info = _fake_info("-live:01 방송 'x'.mp4")
    subs = [SubtitleFile(Path("ko:1.srt"), "ko", "srt")]
    args = mx.mux_args(info, subs, Path("-out.mp4"), container="mp4")
    assert _option_values(args, "-i") == [str(tmp_path / "-live:01 방송 'x'.mp4"), str(tmp_path / "ko:1.srt")]
    assert args[-1] == str(tmp_path / "-out.mp4")


def test_mux_args_refuses_bad_input() -> None:
    with pytest.raises(ConfigError):
        mx.mux_args(_fake_info(), [], Path("/o/a.mp4"), container="mp4")
    with pytest.raises(ConfigError):
        mx.mux_args(_fake_info(), _fake_subs(), Path("/o/a.mp4"), container="avi")
    twice = [SubtitleFile(Path("/s/a.srt"), "ko", "srt"), SubtitleFile(Path("/s/a.srt"), "en", "srt")]
    with pytest.raises(ConfigError):
        mx.mux_args(_fake_info(), twice, Path("/o/a.mp4"), container="mp4")


def test_mux_refuses_before_running(tmp_path: Path) -> None:
    info = _fake_info(str(tmp_path / "rec.mp4"))
    (tmp_path / "rec.mp4").write_bytes(b"x")
    sub = SubtitleFile(_srt(tmp_path / "rec.en.srt", EN_TEXT), "en", "srt")
    with pytest.raises(InputError):
        mx.mux(info, [SubtitleFile(tmp_path / "missing.srt", "en", "srt")], tmp_path / "o.mp4")
    with pytest.raises(ConfigError, match="one of the inputs"):
        mx.mux(info, [sub], tmp_path / "rec.mp4")
    with pytest.raises(ConfigError, match="container"):
        mx.mux(info, [sub], tmp_path / "o.mp4", container="mkv")
    assert _leftovers(tmp_path, {"rec.mp4", "rec.en.srt"}) == []


# --------------------------------------------------------------------------- burn-in as data


def test_burn_in_style_force_style() -> None:
    style = mx.BurnInStyle()
    text = style.force_style(1920, 1080)
    fields = dict(item.split("=", 1) for item in text.split(","))
    assert fields["PlayResX"] == "1920" and fields["PlayResY"] == "1080"
    assert fields["FontName"] == "Noto Sans KR"
    assert 0.04 <= int(fields["FontSize"]) / 1080 <= 0.06
    assert 0.06 <= int(fields["MarginV"]) / 1080 <= 0.08
    assert 2 <= float(fields["Outline"]) <= 3 and 0 <= float(fields["Shadow"]) <= 1
    assert fields["Alignment"] == "2" and fields["BorderStyle"] == "1"
    assert fields["PrimaryColour"] == "&H00FFFFFF" and fields["OutlineColour"] == "&H00000000"
    assert fields["ScaledBorderAndShadow"] == "yes"
    assert dict(i.split("=", 1) for i in style.force_style(1080, 1920).split(","))["PlayResX"] == "608"
    assert "PlayResX" not in style.force_style()
    assert style.weight == 700 and mx.BurnInStyle(bold=False).weight == 400


@pytest.mark.parametrize(
    "bad",
    [{"font_name": "A,B"}, {"font_name": ""}, {"font_size": 0}, {"outline": -1}, {"alignment": 10}],
)
def test_burn_in_style_refuses_bad_values(bad: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        mx.BurnInStyle(**bad)  # type: ignore[arg-type]


def _unescape_filter_value(graph: str, key: str) -> str:
    """Undo ffmpeg's two escaping levels (filtergraph, then filter options) for one option."""

    def unescape(text: str, stops: str) -> list[str]:
        parts, cur, i = [], "", 0
        while i < len(text):
            ch = text[i]
            if ch == "\\" and i + 1 < len(text):
                cur += text[i + 1]
                i += 2
                continue
            if ch in stops:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
            i += 1
        return [*parts, cur]

    body = graph[graph.index("]") + 1 : graph.rindex("[")]
    (level1,) = unescape(body, "")
    options = unescape(level1.split("=", 1)[1], ":")
    values = dict(o.split("=", 1) for o in options)
    return values[key]


def test_burn_in_args_as_data() -> None:
    info = _fake_info()
    sub = SubtitleFile(Path("/tmp/stage/subtitles.srt"), "ko", "srt")
    weird_fonts = Path("/tmp/a,b:c'd [x];\\e")
    args = mx.burn_in_args(
        info, sub, Path("/o/rec.burned.mp4"), container="mp4", style=mx.BurnInStyle(), fonts_dir=weird_fonts
    )
    graph = _option_values(args, "-filter_complex")[0]
    assert graph.startswith("[0:V:0]subtitles=")
    assert _unescape_filter_value(graph, "filename") == "/tmp/stage/subtitles.srt"
    assert _unescape_filter_value(graph, "fontsdir") == str(weird_fonts)
    assert _unescape_filter_value(graph, "force_style") == mx.BurnInStyle().force_style(1920, 1080)
    assert _option_values(args, "-map") == ["[s0]", "0:a?"]
    assert _option_values(args, "-c:v") == ["libx264"]
    assert _option_values(args, "-crf") == ["20"] and _option_values(args, "-preset") == ["veryfast"]
    assert _option_values(args, "-pix_fmt") == ["yuv420p"]
    assert _option_values(args, "-c:a") == ["copy"]
    assert _option_values(args, "-movflags") == ["+faststart"]
    assert "-c:s" not in args
    no_video = dataclasses.replace(info, video=())
    with pytest.raises(MediaError):
        mx.burn_in_args(no_video, sub, Path("/o/x.mp4"), container="mp4", style=mx.BurnInStyle(), fonts_dir=Path())


def test_font_dir_has_noto_sans_kr() -> None:
    folder = mx.font_dir()
    assert (folder / mx.FONT_FILE).is_file()
    assert (folder / mx.FONT_FILE).stat().st_size > 1_000_000


# --------------------------------------------------------------------------- real soft muxes


@pytest.mark.slow
@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_mux_mp4_source(media: dict[str, Path], subs: list[SubtitleFile], tmp_path: Path, container: str) -> None:
    source = media["mp4"]
    info = _info(source)
    assert info.subtitle_streams == 1  # an old (Japanese) track that must not be carried over
    target = tmp_path / mx.output_name(source, container)
    seen: list[tuple[float, float]] = []
    result = mx.mux(info, subs, target, progress=lambda done, total: seen.append((done, total)))

    assert result.path == target and result.container == container and result.burned_in is None
    assert [t.language for t in result.tracks] == ["en", "ko"]
    assert _packet_digests(target) == _packet_digests(source)
    tracks = _subtitle_streams(target)  # the input's old Japanese track is gone
    assert all(codec in ({"mov_text"} if container == "mp4" else SUBRIP) for codec, _, _ in tracks)
    assert len(tracks) == 2
    assert [meta["language"] for _, meta, _ in tracks] == ["eng", "kor"]
    assert [default for _, _, default in tracks] == [True, False]
    for (_, meta, _), title in zip(tracks, ["English", "한국어"], strict=True):
        assert title in (meta.get("title"), meta.get("name"))
        if container == "mp4":
            assert meta["handler_name"] == title
    with av.open(str(target)) as c:
        assert c.metadata.get("title") == "Live clip"
        assert [ch["metadata"].get("title") for ch in c.chapters()] == ["Intro", "Song"]
        texts = [bytes(p) for p in c.demux(c.streams.subtitles[1]) if p.size]
    assert any(KO_TEXT.encode() in t for t in texts)
    assert seen and seen[-1] == (info.duration_ms / 1000, info.duration_ms / 1000)
    assert _leftovers(tmp_path, {target.name, "clip.ko.srt", "clip.en.vtt"}) == []


@pytest.mark.slow
def test_mux_mkv_source_two_audio_and_cover_art(
    media: dict[str, Path], subs: list[SubtitleFile], tmp_path: Path
) -> None:
    mkv = mx.mux(_info(media["mkv"]), subs, tmp_path / "a.mkv")  # container from the target name
    assert mkv.container == "mkv"
    assert _packet_digests(mkv.path) == _packet_digests(media["mkv"])
    assert [codec in SUBRIP for codec, _, _ in _subtitle_streams(mkv.path)] == [True, True]

    two = mx.mux(_info(media["two"]), subs, tmp_path / "b.mp4")
    digests = _packet_digests(two.path)
    assert len(digests["audio"]) == 2 and digests == _packet_digests(media["two"])
    with av.open(str(two.path)) as c:
        assert [s.metadata.get("language") for s in c.streams.audio] == ["kor", "eng"]

    with av.open(str(media["covered"])) as c:
        assert len(c.streams.video) == 2  # the real video and a cover picture
    covered = mx.mux(_info(media["covered"]), subs, tmp_path / "c.mp4")
    with av.open(str(covered.path)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 1  # the cover picture is not a track
    assert _packet_digests(covered.path) == _packet_digests(media["mp4"])


@pytest.mark.slow
def test_mux_awkward_paths(media: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "출력 'out', \"final\""
    folder.mkdir()
    sub = SubtitleFile(_srt(folder / f"{WEIRD_NAME}.ko.srt", KO_TEXT), "ko", "srt")
    target = folder / mx.output_name(media["weird"], "mkv")
    result = mx.mux(_info(media["weird"]), [sub], target, container="mkv", default_language="ko")
    assert result.path.is_file()
    assert [(m["language"], d) for _, m, d in _subtitle_streams(target)] == [("kor", True)]


@pytest.mark.slow
def test_mux_failure_leaves_nothing(subs: list[SubtitleFile], tmp_path: Path) -> None:
    bogus = tmp_path / "not media.mp4"
    bogus.write_text("this is not a video", encoding="utf-8")
    target = tmp_path / "out.mp4"
    target.write_bytes(b"an editor's earlier result")
    with pytest.raises(FFmpegError) as err:
        mx.mux(_fake_info(str(bogus)), subs, target)
    assert err.value.args_list[0] == find_ffmpeg() and err.value.stderr_tail
    assert target.read_bytes() == b"an editor's earlier result"
    assert _leftovers(tmp_path, {bogus.name, target.name, "clip.ko.srt", "clip.en.vtt"}) == []


@pytest.mark.slow
def test_mux_interrupt_leaves_nothing(media: dict[str, Path], subs: list[SubtitleFile], tmp_path: Path) -> None:
    def interrupt(done: float, total: float) -> None:
        raise KeyboardInterrupt

    target = tmp_path / "out.mp4"
    with pytest.raises(KeyboardInterrupt):
        mx.mux(_info(media["mp4"]), subs, target, progress=interrupt)
    assert _leftovers(tmp_path, {"clip.ko.srt", "clip.en.vtt"}) == []


# --------------------------------------------------------------------------- real burn-in


def _subtitle_band(frame: np.ndarray) -> np.ndarray:
    h = frame.shape[0]
    return frame[int(h * 0.65) :]


@pytest.mark.slow
def test_burn_in_renders_hangul(media: dict[str, Path], subs: list[SubtitleFile], tmp_path: Path) -> None:
    source = media["weird"]  # odd characters in the source name; the filter only sees staged names
    target = tmp_path / mx.output_name(source, "mp4", tag="burned-ko")
    result = mx.burn_in(_info(source), subs[0], target)

    assert result == MuxedVideo(path=target, container="mp4", tracks=(), burned_in="ko")
    assert _subtitle_streams(target) == []
    with av.open(str(target)) as c:
        assert len(c.streams.video) == 1 and c.streams.video[0].codec_context.name == "h264"
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert _packet_digests(target)["audio"] == _packet_digests(source)["audio"]  # audio copied

    burned, plain = _frame_at(target, 1.5), _frame_at(source, 1.5)
    diff = np.abs(burned - plain).mean(axis=2)
    band = _subtitle_band(diff)
    assert band.mean() > 3 * diff[: diff.shape[0] // 2].mean() + 1  # text only in the bottom band
    assert (band > 60).sum() > 150  # a visible amount of glyph and outline pixels
    early = np.abs(_frame_at(target, 0.1) - _frame_at(source, 0.1)).mean(axis=2)
    assert _subtitle_band(early).mean() < 3  # before the cue starts nothing is drawn
    assert _leftovers(tmp_path, {target.name, "clip.ko.srt", "clip.en.vtt"}) == []


def _render(
    info: MediaInfo,
    sub: SubtitleFile,
    target: Path,
    fonts: Path,
    loglevel: str = "error",
    style: mx.BurnInStyle | None = None,
) -> subprocess.CompletedProcess[str]:
    args = mx.burn_in_args(
        info, sub, target, container="mp4", style=style or mx.BurnInStyle(), fonts_dir=fonts, ffmpeg_exe=find_ffmpeg()
    )
    args[args.index("-loglevel") + 1] = loglevel
    return subprocess.run(args, capture_output=True, text=True, encoding="utf-8", check=True)


@pytest.mark.slow
def test_burn_in_selects_noto_sans_kr_without_tofu(
    media: dict[str, Path], static_fonts: Path, tmp_path: Path
) -> None:
    info = _info(media["mp4"])
    sub = SubtitleFile(_srt(tmp_path / "a.srt", "가나다라"), "ko", "srt")
    log = _render(info, sub, tmp_path / "a.mp4", static_fonts, loglevel="verbose").stderr
    assert "fontselect: (Noto Sans KR, 700, 0) -> NotoSansKR-Bold" in log
    assert "not found" not in log and "failed to find" not in log

    # Tofu boxes look alike for any text of the same length; real glyphs do not (large type here).
    big = mx.BurnInStyle(font_size=160)
    for name, text in (("big-a", "가나다라"), ("big-b", "마바사아")):
        _render(info, SubtitleFile(_srt(tmp_path / f"{name}.srt", text), "ko", "srt"), tmp_path / f"{name}.mp4",
                static_fonts, style=big)  # fmt: skip
    a, b = (_subtitle_band(_frame_at(tmp_path / f"{n}.mp4", 1.5)) for n in ("big-a", "big-b"))
    assert (np.abs(a - b).max(axis=2) > 60).sum() > 150  # tofu would give ~0


@pytest.mark.slow
def test_burn_in_args_survive_awkward_filter_paths(
    media: dict[str, Path], static_fonts: Path, tmp_path: Path
) -> None:
    """Even without burn_in's staging, ffmpeg-python's escaping carries odd paths through the graph."""
    odd = tmp_path / "폰트 a,b;c'd [x]=y:z"
    odd.mkdir()
    for font in static_fonts.iterdir():
        (odd / font.name).write_bytes(font.read_bytes())
    sub = SubtitleFile(_srt(odd / f"{WEIRD_NAME}.srt", KO_TEXT), "ko", "srt")
    log = _render(_info(media["mp4"]), sub, tmp_path / "out.mp4", odd, loglevel="verbose").stderr
    assert "-> NotoSansKR-Bold" in log


def test_burn_in_refuses_video_less_input(tmp_path: Path) -> None:
    audio_only = dataclasses.replace(_fake_info(str(tmp_path / "a.m4a")), video=())
    (tmp_path / "a.m4a").write_bytes(b"x")
    sub = SubtitleFile(_srt(tmp_path / "a.srt", KO_TEXT), "ko", "srt")
    with pytest.raises(MediaError):
        mx.burn_in(audio_only, sub, tmp_path / "a.mp4")


def test_every_language_gets_its_tag_and_its_own_name(tmp_path: Path) -> None:
    """Issue 16: one track per language, ISO 639-2 tag and the language's own name as title."""
    langs = ["ja", "es", "pt", "id", "th", "zh-Hans", "zh-Hant", "vi", "fr", "de", "ar", "tl", "tr", "ru"]
    subs = [SubtitleFile(Path(f"/subs/rec.{lang}.srt"), lang, "srt") for lang in langs]
    args = mx.mux_args(_fake_info(), subs, Path("/o/a.mkv"), container="mkv", default_language="th")
    tags = [_option_values(args, f"-metadata:s:s:{i}")[0] for i in range(len(langs))]
    assert tags[0] == "language=tha" and _option_values(args, "-disposition:s:0") == ["default"]
    assert set(tags) == {f"language={t}" for t in ("jpn", "spa", "por", "ind", "tha", "chi", "vie", "fre", "ger",
                                                   "ara", "tgl", "tur", "rus")}
    titles = {_option_values(args, f"-metadata:s:s:{i}")[1] for i in range(len(langs))}
    assert {"title=日本語", "title=Español", "title=العربية", "title=简体中文", "title=繁體中文"} <= titles
    assert mx.track_title("pt-BR") == "Português"


def test_an_unknown_language_code_is_an_error_not_und(tmp_path: Path) -> None:
    sub = _srt(tmp_path / "clip.xx.srt", "text")
    with pytest.raises(ConfigError, match=r"unknown language code 'xx' for subtitle file clip\.xx\.srt"):
        mx.check_languages([SubtitleFile(sub, "xx", "srt", 1)])
    with pytest.raises(ConfigError, match="unknown language code 'qq' for the default track"):
        mx.check_languages([SubtitleFile(sub, "ja", "srt", 1)], "qq")
    mx.check_languages([SubtitleFile(sub, "pt-BR", "srt", 1), SubtitleFile(sub, "kor", "srt", 1)], "en")
