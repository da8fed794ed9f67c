"""What SOURCE is, the ffmpeg command as data, and real ffmpeg on bad sources (one clear error each)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.live import AudioFeed, LiveSourceError, RetryPolicy, StreamingTranscriber, decode_args, parse_source
from streamkit.live.source import CHUNK_BYTES, AudioChunk, FeedEnded

from ..conftest import FANLIVE, SHORT, make_video


def test_sources_are_told_apart(tmp_path: Path) -> None:
    assert parse_source("https://cdn.example/live/index.m3u8").kind == "url"
    assert parse_source("srt://127.0.0.1:9000?mode=caller").kind == "url"
    device = parse_source("alsa:default")
    assert (device.kind, device.device_format, device.target, device.label) == ("device", "alsa", "default",
                                                                                 "alsa:default")
    assert parse_source(str(SHORT)).kind == "file"
    with pytest.raises(LiveSourceError, match="no such file"):
        parse_source(str(tmp_path / "missing.ts"))
    with pytest.raises(LiveSourceError, match="is a folder"):
        parse_source(str(tmp_path))


def test_the_decode_command_as_data() -> None:
    hls = decode_args(parse_source("http://127.0.0.1:8080/live.m3u8"), ffmpeg_exe="ffmpeg", rw_timeout_s=5)
    assert hls[:5] == ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    assert hls[5:7] == ["-reconnect", "1"] and "-reconnect_streamed" in hls
    assert hls[hls.index("-live_start_index") + 1] == "-1"
    assert hls[hls.index("-rw_timeout") + 1] == "5000000"
    # a live input is probed for 0.5 s before decoding, not ffmpeg's 5 s (its first sentence came 5 s late)
    assert hls[hls.index("-i") - 4 : hls.index("-i")] == ["-analyzeduration", "500000", "-probesize", "2000000"]
    assert hls[hls.index("-i") + 1 :] == ["http://127.0.0.1:8080/live.m3u8", "-map", "0:a:0", "-vn", "-sn", "-dn",
                                          "-ac", "1", "-ar", "16000", "-acodec", "pcm_s16le", "-f", "s16le", "pipe:1"]
    rtmp = decode_args(parse_source("rtmp://127.0.0.1/live/key"))
    assert "-reconnect" not in rtmp and "-live_start_index" not in rtmp
    assert rtmp[rtmp.index("-i") - 4 : rtmp.index("-i") - 2] == ["-analyzeduration", "500000"]
    grown = decode_args(parse_source(str(SHORT)), idle_timeout_s=2.5)
    i = grown.index("-i")
    assert grown[i - 8 : i] == ["-follow", "1", "-rw_timeout", "2500000", "-analyzeduration", "500000",
                                "-probesize", "2000000"]
    assert grown[: i - 8][-1:] == ["-re"] or grown[: i - 8][-4:] == ["-readrate", "1", "-readrate_catchup", "4"]
    assert grown[i + 1] == f"file:{SHORT}"
    device = decode_args(parse_source("pulse:default"))
    assert device[device.index("-i") - 2 : device.index("-i") + 2] == ["-f", "pulse", "-i", "default"]


def _drain(feed: AudioFeed, timeout: float = 60.0) -> tuple[int, FeedEnded]:
    samples = 0
    while True:
        item = feed.get(timeout)
        assert item is not None, "the feed neither ended nor gave audio"
        if isinstance(item, AudioChunk):
            samples += item.samples.size
        elif isinstance(item, FeedEnded):
            return samples, item


def _unused_decoder(*_args: object) -> list[Any]:
    raise AssertionError("only the clock is under test")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4000), max_size=60))
def test_the_stream_clock_counts_every_sample_however_the_source_cuts_it(sizes: list[int]) -> None:
    engine = StreamingTranscriber(_unused_decoder)
    for size in sizes:
        engine.feed(np.zeros(size, np.float32))
    assert engine.received_ms == sum(sizes) // 16 == engine.buffer_end_ms


@pytest.mark.slow
def test_the_stream_clock_keeps_time_with_a_real_pipe(ffmpeg_exe: str) -> None:
    """ffmpeg's pipe hands over scraps (341 samples of 16 kHz: 21.3 ms). Rounding each one down lost 1.5 % of the
    stream clock, so the lag never showed the last 27 s of a 30-minute run and decodes waited for them (the drift
    run's latency grew from 7 s to 45 s). The feed now reads whole chunks, and the engine counts every sample."""
    args = [ffmpeg_exe, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(FANLIVE), "-map", "0:a:0",
            "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, bufsize=0) as proc:  # scraps, as the feed read them before
        assert proc.stdout is not None
        scraps = list(iter(lambda: proc.stdout.read(CHUNK_BYTES), b""))  # type: ignore[union-attr]
    if len(scraps) <= 2 * sum(map(len, scraps)) // CHUNK_BYTES:
        # A loaded machine lets the pipe fill up, and every read gets a whole chunk: cut the same bytes into the
        # scraps an idle pipe hands over (341 samples), so the clock is still checked against them.
        data = b"".join(scraps)
        scraps = [data[i: i + 682] for i in range(0, len(data), 682)]
    engine = StreamingTranscriber(_unused_decoder)
    for scrap in scraps:
        engine.feed(np.frombuffer(scrap, np.int16).astype(np.float32))
    total = sum(map(len, scraps)) // 2
    assert engine.received_ms == total // 16

    spec = parse_source(str(FANLIVE))
    feed = AudioFeed(spec, args).start()  # unpaced: the whole clip at once
    sizes = []
    while isinstance(item := feed.get(30), AudioChunk):
        sizes.append(item.samples.size)
    feed.stop()
    assert isinstance(item, FeedEnded) and sum(sizes) == total
    assert set(sizes[:-1]) == {CHUNK_BYTES // 2}, "the feed hands over whole 100 ms chunks"


@pytest.mark.slow
def test_an_unreachable_url_is_one_clear_error_after_bounded_retries(ffmpeg_exe: str) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    spec = parse_source(f"http://127.0.0.1:{port}/live.m3u8")
    feed = AudioFeed(spec, decode_args(spec, ffmpeg_exe=ffmpeg_exe, rw_timeout_s=2),
                     RetryPolicy(attempts=2, first_delay_s=0.1)).start()
    samples, end = _drain(feed)
    feed.stop()
    assert samples == 0 and feed.connects == 3
    assert end.error is not None and "is unreachable after 2 retries" in str(end.error)


@pytest.mark.slow
def test_a_source_without_audio_says_so(tmp_path: Path, ffmpeg_exe: str) -> None:
    silent = make_video(tmp_path / "video-only.mp4", seconds=1.0, audio=False)
    spec = parse_source(str(silent))
    feed = AudioFeed(spec, decode_args(spec, ffmpeg_exe=ffmpeg_exe, idle_timeout_s=1)).start()
    _samples, end = _drain(feed)
    feed.stop()
    assert end.error is not None and str(end.error).endswith("has no audio stream")


@pytest.mark.slow
def test_a_followed_file_catches_up_after_the_reader_stalls(ffmpeg_exe: str) -> None:
    """A reader stopped for 3 s (a loaded machine) must not keep those 3 s as latency for the rest of the run.

    The real ffmpeg reads samples/fanlive.mp4 with the live source's pacing; it is frozen with SIGSTOP 2 s in
    and thawed 3 s later. With ``-re`` alone it then stays 3 s behind for good; with the catch-up rate it
    is back on the recording's clock within a few seconds. Only the bundled-kind ffmpeg (7.1+) can.
    """
    import os
    import signal
    import subprocess
    import threading
    import time

    from streamkit.live.source import catches_up, pace_args

    from ..conftest import FANLIVE

    if not catches_up(ffmpeg_exe):
        pytest.skip("this ffmpeg has no -readrate_catchup (FFmpeg < 7.1): it reads with -re")
    args = [ffmpeg_exe, "-hide_banner", "-nostdin", "-loglevel", "error", *pace_args(ffmpeg_exe), "-i", str(FANLIVE),
            "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-f", "s16le", "pipe:1"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE)
    got = [0]

    def read() -> None:
        assert proc.stdout is not None
        while chunk := proc.stdout.read1(65536):
            got[0] += len(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    start = time.monotonic()
    try:
        time.sleep(2)
        os.kill(proc.pid, signal.SIGSTOP)
        time.sleep(3)
        os.kill(proc.pid, signal.SIGCONT)
        time.sleep(max(0.0, 10 - (time.monotonic() - start)))
        audio_s = got[0] / 32000
    finally:
        proc.kill()
        proc.wait()
    assert audio_s > 10 - 1.5, f"{audio_s:.1f} s of audio read in 10 s with a 3 s stall: it did not catch up"


@pytest.mark.slow
def test_a_recording_being_written_is_read_close_behind_its_writer(tmp_path: Path, ffmpeg_exe: str) -> None:
    """The real ffmpeg writes samples/fanlive.mp4 as a growing MPEG-TS in real time (tests/live/publish.py) and
    the live source follows it. ffmpeg's default 5 s of probing kept the reader 4.4 s behind the writer for the
    whole run (bench/live.py, file mode); now it is a fraction of a second. The 2.5 s bound leaves room for a
    loaded machine and still fails the old way."""
    import subprocess
    import time

    from ..conftest import FANLIVE
    from .publish import growing_file_args, start, wait_for

    target = tmp_path / "show.ts"
    publisher = start(growing_file_args(FANLIVE, target))
    began = time.monotonic()
    reader: subprocess.Popen[bytes] | None = None
    try:
        wait_for(target)
        reader = subprocess.Popen(decode_args(parse_source(str(target)), ffmpeg_exe=ffmpeg_exe, idle_timeout_s=3),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert reader.stdout is not None
        got = 0
        while got < 4 * 32000:  # 4 s of audio
            chunk = reader.stdout.read1(32000)
            assert chunk, "the reader ended"
            got += len(chunk)
        behind = time.monotonic() - began - got / 32000
    finally:
        for proc in (publisher, reader):
            if proc is not None:
                proc.kill()
                proc.wait()
    assert behind < 2.5


def _collect(feed: AudioFeed, seconds: float,
             after: Callable[[float], None] | None = None) -> tuple[float, list[object]]:
    """Read ``feed`` until it gave ``seconds`` of audio (or 40 s passed): the audio's length and the other items.
    ``after`` is called with the audio so far after each item."""
    import time

    audio_s, items, began = 0.0, [], time.monotonic()
    while audio_s < seconds and time.monotonic() - began < 40:
        item = feed.get(1.0)
        if isinstance(item, AudioChunk):
            audio_s += item.samples.size / 16000
        elif item is not None:
            items.append(item)
        if after is not None:
            after(audio_s)
    return audio_s, items


def test_an_hls_stream_of_long_segments_has_no_gaps(tmp_path: Path, ffmpeg_exe: str) -> None:
    """The real ffmpeg publishes 3 s HLS segments in real time, served on 127.0.0.1: the source hands them over
    whole, with 3 s of quiet pipe between them. That is no missing audio, nor a stuck stream; a gap was marked
    at every segment when a gap was any 2 s of quiet, and each one moved the stream clock and reset the
    window; with a 2.5 s stall bound the stream was reopened at every segment."""
    from ..conftest import FANLIVE
    from .publish import PLAYLIST, hls_args, serve_folder, start, wait_for

    with serve_folder(tmp_path) as base:
        publisher = start(hls_args(FANLIVE, tmp_path, segment_s=3.0))
        feed: AudioFeed | None = None
        try:
            wait_for(tmp_path / PLAYLIST)
            spec = parse_source(f"{base}/{PLAYLIST}")
            feed = AudioFeed(spec, decode_args(spec, ffmpeg_exe=ffmpeg_exe),
                             RetryPolicy(gap_s=2.0, stall_s=2.5)).start()
            audio_s, items = _collect(feed, 9.0)
            opened = feed.connects
        finally:
            if feed is not None:
                feed.stop()
            publisher.kill()
            publisher.wait()
    assert audio_s >= 9.0, "the stream did not deliver 9 s of audio"
    assert items == []
    assert opened == 1, "a quiet pipe between segments was taken for a stuck stream and reopened"


def test_a_followed_file_whose_writer_pauses_keeps_the_recordings_clock(tmp_path: Path, ffmpeg_exe: str) -> None:
    """The real ffmpeg writes samples/fanlive.mp4 as a growing file and is frozen (SIGSTOP) for 4 s mid-way.
    The file misses nothing: what the writer adds next is what came next, so no gap is marked (a gap moves
    the stream clock, and every later caption would sit 4 s late against the recording)."""
    import os
    import signal
    import time

    from ..conftest import FANLIVE
    from .publish import growing_file_args, start, wait_for

    target = tmp_path / "show.ts"
    publisher = start(growing_file_args(FANLIVE, target))
    feed: AudioFeed | None = None
    paused = False

    def pause_the_writer_once(audio_s: float) -> None:
        nonlocal paused
        if audio_s >= 3.0 and not paused:
            os.kill(publisher.pid, signal.SIGSTOP)
            time.sleep(4.0)
            os.kill(publisher.pid, signal.SIGCONT)
            paused = True

    try:
        wait_for(target)
        spec = parse_source(str(target))
        feed = AudioFeed(spec, decode_args(spec, ffmpeg_exe=ffmpeg_exe, idle_timeout_s=10),
                         RetryPolicy(gap_s=2.0)).start()
        audio_s, items = _collect(feed, 8.0, pause_the_writer_once)
    finally:
        if feed is not None:
            feed.stop()
        publisher.kill()
        publisher.wait()
    assert paused and audio_s >= 8.0, "the file did not grow past its writer's pause"
    assert items == []


def _first_audio_after(feed: AudioFeed, timeout: float = 20.0) -> float:
    """Seconds from now until ``feed`` hands over its first audio (``timeout`` if none came)."""
    import time

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        item = feed.get(0.5)
        if isinstance(item, AudioChunk):
            return item.received_at - began
        assert not isinstance(item, FeedEnded), item
    return timeout


@pytest.mark.slow
@pytest.mark.parametrize(("protocol", "audio_late_s"), [("rtmp", 0.0), ("srt", 0.0), ("srt", 3.0)])
def test_an_ingest_stream_is_heard_from_its_first_packets(ffmpeg_exe: str, protocol: str,
                                                          audio_late_s: float) -> None:
    """The real ffmpeg serves fanlive over RTMP or SRT on 127.0.0.1 in real time. ffmpeg reads 5 s of an input
    before decoding any by default, and a live stream has those 5 s only 5 s later: the first audio came
    4.8-5.0 s after connecting (so the first sentence was captioned that late), now 0.3-0.6 s. A stream whose
    audio starts 3 s after its video (a camera feed with the sound switched on late) is still heard."""
    from ..conftest import FANLIVE
    from ..libre_server import free_port
    from .publish import ingest_args, start

    args, url = ingest_args(FANLIVE, protocol, free_port(), audio_late_s=audio_late_s)
    publisher = start(args)
    feed: AudioFeed | None = None
    try:
        import time

        time.sleep(1.0)  # the publisher listens
        spec = parse_source(url)
        feed = AudioFeed(spec, decode_args(spec, ffmpeg_exe=ffmpeg_exe), RetryPolicy(stall_s=30)).start()
        first_s = _first_audio_after(feed)
    finally:
        if feed is not None:
            feed.stop()
        publisher.kill()
        publisher.wait()
    assert first_s < audio_late_s + 2.5, f"the first audio came {first_s:.1f} s after connecting"
