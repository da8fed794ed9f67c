from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from streamkit.errors import FFmpegError, InputError, MediaError, NoAudioError
from streamkit.media import extract_audio, extract_audio_args, probe, read_pcm, run_ffmpeg

from .conftest import FANLIVE, SHORT, make_video, run_ffmpeg_cmd


def test_extract_audio_args_are_data() -> None:
    args = extract_audio_args(Path("/in/a b.mp4"), Path("/w/audio.wav"), ffmpeg_exe="ffmpeg")
    assert args[0] == "ffmpeg"
    assert args[args.index("-i") + 1] == "/in/a b.mp4"
    assert args[args.index("-map") + 1] == "0:a:0"
    assert args[args.index("-ar") + 1] == "16000"
    assert args[args.index("-ac") + 1] == "1"
    assert args[args.index("-acodec") + 1] == "pcm_s16le"
    assert "-vn" in args and "-sn" in args and "-y" in args
    assert "/w/audio.wav" in args


def test_probe_reads_streams_duration_and_exact_frame_rate() -> None:
    info = probe(FANLIVE)
    assert info.container.startswith("mov,mp4")
    assert 54_000 < info.duration_ms < 56_500
    assert info.fps == Fraction(30000, 1001)
    assert (info.video[0].codec, info.video[0].width, info.video[0].height) == ("h264", 640, 360)
    assert info.audio[0].codec == "aac"


def test_extract_audio_is_16k_mono_and_as_long_as_the_recording(tmp_path: Path) -> None:
    info = probe(SHORT)
    seen: list[tuple[float, float]] = []
    track = extract_audio(info, tmp_path / "a.wav", progress=lambda d, t: seen.append((d, t)))
    assert abs(track.duration_ms - info.duration_ms) < 100
    pcm = read_pcm(track)
    assert pcm.dtype.name == "float32" and pcm.ndim == 1
    assert abs(pcm.size - track.duration_ms * 16) < 32
    assert 0.001 < float(abs(pcm).max()) <= 1.0
    assert seen and seen[-1][0] == pytest.approx(seen[-1][1])
    assert abs(read_pcm(track, 1000, 2000).size - 16000) <= 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


def test_a_name_with_spaces_quotes_and_hangul_works(tmp_path: Path) -> None:
    odd = tmp_path / "팬 라이브 'live' \"2020\" (1).mp4"
    shutil.copy(SHORT, odd)
    track = extract_audio(probe(odd), tmp_path / "a.wav")
    assert track.duration_ms > 6000


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        probe(tmp_path / "nope.mp4")


def test_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        probe(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.mp4").write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(tmp_path / "e.mp4")


def test_a_text_file_named_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("these are my notes, not a video\n" * 50)
    with pytest.raises(MediaError, match="not a media file"):
        probe(fake)


def test_truncated_mp4_without_index(tmp_path: Path) -> None:
    # moov at the end (no faststart) and the end cut off: the index is gone.
    src = make_video(tmp_path / "src.mp4", seconds=3)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(MediaError):
        probe(cut)


def test_truncated_mp4_with_index_first_is_refused_at_decoding(tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    data = FANLIVE.read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # faststart: moov first, most media data missing
    with pytest.raises(MediaError, match="truncated or corrupt"):
        extract_audio(probe(cut), tmp_path / "a.wav")
    assert not (tmp_path / "a.wav").exists()


def test_video_without_audio(tmp_path: Path) -> None:
    silent = make_video(tmp_path / "v.mp4", seconds=1, audio=False)
    with pytest.raises(NoAudioError, match="no audio stream"):
        probe(silent)


def test_zero_length_audio(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mkv"
    run_ffmpeg_cmd("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=1",
                   "-f", "lavfi", "-i", "anullsrc=r=16000:cl=mono", "-map", "0:v", "-map", "1:a",
                   "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le", "-t", "1",
                   "-af", "atrim=end_sample=0", str(empty))
    with pytest.raises((NoAudioError, MediaError)):
        extract_audio(probe(empty), tmp_path / "a.wav")


def test_runner_maps_failure_to_ffmpeg_error_with_stderr_tail(ffmpeg_exe: str, tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as info:
        run_ffmpeg([ffmpeg_exe, "-hide_banner", "-i", str(tmp_path / "missing.mp4"), str(tmp_path / "o.wav")],
                   action="decode")
    assert "missing.mp4" in info.value.stderr_tail
    assert info.value.returncode != 0


def test_probe_keeps_the_container_title(tmp_path: Path) -> None:
    titled = tmp_path / "t.mp4"
    run_ffmpeg_cmd("-i", str(SHORT), "-c", "copy", "-metadata", "title=BTS 컴백 라이브", str(titled))
    assert probe(titled).title == "BTS 컴백 라이브"
    assert probe(SHORT).title == ""
