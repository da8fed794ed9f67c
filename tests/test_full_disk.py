"""A full disk: every output is verified before it is renamed into place, and ENOSPC is a clear error.

Three levels:

* ffmpeg's stderr and the probe of a written file, as units (``media.ffmpeg_write_failure``,
  ``media.verify_output``) on real files made by real ffmpeg, truncated the way a full disk does;
* ``mux`` with an ffmpeg that reports a failed trailer and still exits 0 (as some ffmpeg versions
  do; the one bundled here exits 228, so this ffmpeg is a wrapper around the real one: a fake, said
  so, because the real old binary cannot run here);
* the CLI on a real 3 MB tmpfs (``mount -t tmpfs``, root only: skipped with the reason otherwise).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit import mux as mx
from streamkit.cli import app
from streamkit.errors import FFmpegError, OutputError
from streamkit.media import ExpectedOutput, ffmpeg_write_failure, find_ffmpeg, probe, verify_output
from streamkit.models import SubtitleFile

from .conftest import SHORT, make_video, run_ffmpeg_cmd

runner = CliRunner()

SRT = "1\n00:00:00,500 --> 00:00:02,000\n안녕하세요 여러분\n\n2\n00:00:03,000 --> 00:00:04,500\n오늘 방송 시작할게요\n"


def one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in output, output
    return errors[0]


# --------------------------------------------------------------------------- ffmpeg's stderr


@pytest.mark.parametrize(
    ("stderr", "found"),
    [
        ("[out#0/mp4 @ 0x55c4] Error writing trailer: No space left on device",
         "Error writing trailer: No space left on device"),
        ("[mp4 @ 0x1] Starting second pass: moving the moov atom\n"
         "[out#0/mp4 @ 0x5620] Error closing file: No space left on device",
         "Error closing file: No space left on device"),
        ("av_interleaved_write_frame(): No space left on device",
         "av_interleaved_write_frame(): No space left on device"),
        ("[matroska @ 0x2] Error writing trailer of out.mkv: Disk quota exceeded",
         "Error writing trailer of out.mkv: Disk quota exceeded"),
        ("Error submitting a packet to the muxer: Input/output error",
         "Error submitting a packet to the muxer: Input/output error"),
        ("[h264 @ 0x3] non-existing PPS 0 referenced\n[aac @ 0x4] Queue input is backward in time", None),
        ("", None),
    ],
)
def test_write_failures_are_found_in_ffmpeg_stderr(stderr: str, found: str | None) -> None:
    assert ffmpeg_write_failure(stderr) == found


# --------------------------------------------------------------------------- the probe of a written file


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 4-second H.264 + AAC clip with its index at the front (faststart) and at the end, and an MKV."""
    folder = tmp_path_factory.mktemp("clips")
    front = make_video(folder / "plain.mp4", seconds=4.0)
    run_ffmpeg_cmd("-i", str(front), "-c", "copy", "-movflags", "+faststart", str(folder / "front.mp4"))
    run_ffmpeg_cmd("-i", str(front), "-c", "copy", str(folder / "end.mp4"))
    run_ffmpeg_cmd("-i", str(front), "-c", "copy", str(folder / "clip.mkv"))
    return {"front": folder / "front.mp4", "end": folder / "end.mp4", "mkv": folder / "clip.mkv"}


def _truncated(source: Path, folder: Path, share: float = 0.6) -> Path:
    data = source.read_bytes()
    cut = folder / f"cut-{source.name}"
    cut.write_bytes(data[: int(len(data) * share)])
    return cut


PLANNED = ExpectedOutput(duration_ms=4000, video=1, audio=1, subtitles=0)


@pytest.mark.parametrize("kind", ["front", "end", "mkv"])
def test_a_whole_file_passes_the_probe(clips: dict[str, Path], kind: str) -> None:
    verify_output(clips[kind], PLANNED)


@pytest.mark.parametrize(("kind", "says"), [("front", "its data stops at"), ("end", "unreadable"),
                                            ("mkv", "its data stops at")])
def test_a_truncated_file_fails_the_probe_naming_the_target(
    clips: dict[str, Path], tmp_path: Path, kind: str, says: str
) -> None:
    cut = _truncated(clips[kind], tmp_path)
    target = tmp_path / "replay.mp4"
    with pytest.raises(OutputError) as info:
        verify_output(cut, PLANNED, target=target)
    assert info.value.path == target and says in str(info.value), str(info.value)
    assert "incomplete" in str(info.value)


def test_missing_streams_and_a_short_duration_fail_the_probe(clips: dict[str, Path]) -> None:
    with pytest.raises(OutputError, match=r"1 video, 1 audio, 0 subtitle streams; planned 1, 1, 2"):
        verify_output(clips["front"], ExpectedOutput(duration_ms=4000, video=1, audio=1, subtitles=2))
    with pytest.raises(OutputError, match=r"lasts 4\.0 s of the 60\.0 s planned"):
        verify_output(clips["front"], ExpectedOutput(duration_ms=60_000, video=1, audio=1, subtitles=0))


# --------------------------------------------------------------------------- an ffmpeg that exits 0 on a failed write


def _wrapper(folder: Path, *, keep: float, message: str) -> Path:
    """A fake ffmpeg: runs the real one, then cuts its output file and prints ``message``; exits 0.

    This is what older ffmpeg builds do on a full disk ("Error writing trailer: No space left on
    device", exit 0): the real bundled ffmpeg exits non-zero, so it cannot show the fault itself.
    """
    script = folder / f"ffmpeg-{uuid.uuid4().hex[:6]}"
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, subprocess, sys\n"
        f"subprocess.run([{find_ffmpeg()!r}, *sys.argv[1:]])\n"
        "out = sys.argv[-1]\n"
        "if os.path.exists(out):\n"
        f"    os.truncate(out, int(os.path.getsize(out) * {keep}))\n"
        f"sys.stderr.write({message!r} + '\\n')\n"
        "sys.exit(0)\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture
def fake_ffmpeg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[object]:
    def install(*, keep: float = 0.4, message: str = "") -> Path:
        script = _wrapper(tmp_path, keep=keep, message=message)
        monkeypatch.setenv("STREAMKIT_FFMPEG", str(script))
        find_ffmpeg.cache_clear()
        return script

    yield install
    monkeypatch.delenv("STREAMKIT_FFMPEG", raising=False)
    find_ffmpeg.cache_clear()


def _sub(folder: Path) -> SubtitleFile:
    path = folder / "short.ko.srt"
    path.write_text(SRT, encoding="utf-8")
    return SubtitleFile(path=path, language="ko", format="srt", cues=2)


FAULTS = {
    # what ffmpeg says (and exits 0) -> what the error says
    "failed trailer": ("[out#0/mp4 @ 0x55c4] Error writing trailer: No space left on device", "disk is full"),
    "silent truncation": ("", "incomplete"),
}


@pytest.mark.slow
@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", ["mux", "burn-in"])
def test_a_replay_ffmpeg_did_not_write_whole_is_never_kept(
    tmp_path: Path, fake_ffmpeg: object, fault: str, operation: str
) -> None:
    info = probe(SHORT)
    sub = _sub(tmp_path)
    message, says = FAULTS[fault]
    fake_ffmpeg(message=message)  # type: ignore[operator]
    target = tmp_path / "short.subtitled.mp4"
    with pytest.raises(OutputError) as raised:
        if operation == "mux":
            mx.mux(info, [sub], target)
        else:
            mx.burn_in(info, sub, target)
    assert raised.value.path == target and says in str(raised.value), str(raised.value)
    assert "free" in raised.value.hint
    assert not target.exists() and not list(tmp_path.glob(".*part*"))


@pytest.mark.slow
def test_a_failed_trailer_that_is_not_the_disk_is_an_ffmpeg_error(tmp_path: Path, fake_ffmpeg: object) -> None:
    info = probe(SHORT)
    fake_ffmpeg(keep=1.0, message="[out#0/mp4 @ 0x1] Error writing trailer: Invalid argument")  # type: ignore[operator]
    with pytest.raises(FFmpegError, match="Error writing trailer: Invalid argument"):
        mx.mux(info, [_sub(tmp_path)], tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()


# --------------------------------------------------------------------------- a real full disk (tmpfs)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB tmpfs mounted in the test's folder; unmounted afterwards."""
    mount = tmp_path / "full"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, *, leave_kb: int) -> Path:
    """Fill ``disk`` until about ``leave_kb`` KB are free."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    filler = disk / "filler.bin"
    with open(filler, "ab") as f:
        f.write(b"\0" * max(0, free - leave_kb * 1024))
    return filler


def test_mux_onto_a_full_disk_is_one_clear_error_and_leaves_nothing(small_disk: Path, tmp_path: Path) -> None:
    sub = _sub(tmp_path)
    fill(small_disk, leave_kb=60)
    target = small_disk / "edit.mp4"
    for quiet in ([], ["-q"]):
        result = runner.invoke(app, ["mux", str(SHORT), "--sub", str(sub.path), "-o", str(target), *quiet])
        assert result.exit_code == 3, result.output
        line = one_line_error(result.output)
        assert str(target) in line and "disk is full" in line
        assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin"]  # no output, no temp file


def test_an_srt_onto_a_full_disk_is_one_clear_error(small_disk: Path, tmp_path: Path) -> None:
    source = tmp_path / "draft.ko.srt"
    source.write_text(SRT * 20, encoding="utf-8")
    fill(small_disk, leave_kb=0)
    for args in (["fix", str(source), "-o", str(small_disk / "fixed.ko.srt")],
                 ["shift", str(source), "+1s", "-o", str(small_disk / "shifted.ko.srt")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 3, result.output
        assert "disk is full" in one_line_error(result.output)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler.bin"]


@pytest.mark.slow
def test_subtitle_on_a_full_disk_fails_then_resumes_once_space_is_freed(small_disk: Path) -> None:
    """The reported case: ``subtitle ... -t whisper`` exited 0 listing a 57 KB replay with no moov atom.

    The ffmpeg here is the real one on the real full disk, wrapped only to exit 0 as older builds do.
    """
    script = _wrapper(small_disk.parent, keep=1.0, message="")
    out = small_disk / "out"
    filler = fill(small_disk, leave_kb=80)
    cmd = [sys.executable, "-m", "streamkit", "subtitle", str(SHORT), "--out", str(out), "-t", "whisper", "-q"]
    env = {**os.environ, "STREAMKIT_FFMPEG": str(script)}
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 3, first.stderr
    assert "disk is full" in one_line_error(first.stderr) and "Traceback" not in first.stderr
    assert not (out / "short.subtitled.mp4").exists()
    assert not [p for p in out.rglob("*") if ".part" in p.name]
    manifest = json.loads((out / ".streamkit" / "runs" / "short.json").read_text())
    assert manifest["complete"] is False  # the drafts are the run's own, unfinished

    filler.unlink()  # space is freed: the same command resumes (nothing counts as an editor's)
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stderr
    info = probe(out / "short.subtitled.mp4")
    assert info.duration_ms > 7000 and len(info.video) == 1 and info.subtitle_streams == 2


def test_a_full_disk_no_streamkit_code_wrapped_is_still_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC raised anywhere (a library's own write) is exit 3 with the disk named, not an internal error."""
    import errno

    import typer

    from streamkit.cli import _app

    def body() -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/media/full/x.json")

    with pytest.raises(typer.Exit) as info:
        _app._guard(body)
    assert info.value.exit_code == 3


@pytest.mark.slow
def test_replay_on_a_full_disk_fails_the_recording_then_resumes(
    small_disk: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``streamkit replay`` left a corrupt replay: now the recording fails (exit 1) and reruns whole."""
    from streamkit.replay import load_spec, run_replay

    from .test_replay import make_recordings, spec_text, write_spec

    make_recordings(tmp_path, ["a.mp4"])
    body = spec_text(engine="none", workers=1).replace('"out"', repr(str(small_disk / "out")))
    spec_file = write_spec(tmp_path, body)
    monkeypatch.setenv("STREAMKIT_FFMPEG", str(_wrapper(tmp_path, keep=1.0, message="")))  # exits 0, as old builds
    filler = fill(small_disk, leave_kb=100)
    first = run_replay(load_spec(spec_file))
    (entry,) = first.recordings
    assert entry.status == "failed" and "the disk is full" in entry.error, entry.error
    assert not (small_disk / "out" / "a" / "a.subtitled.mp4").exists()
    assert not [p for p in (small_disk / "out").rglob("*") if ".part" in p.name]
    filler.unlink()
    (again,) = run_replay(load_spec(spec_file)).recordings
    assert again.status == "done", again.error
    assert probe(small_disk / "out" / "a" / "a.subtitled.mp4").subtitle_streams == 1


@pytest.mark.slow
@pytest.mark.parametrize("fails", ["drafts", "final"])
def test_outputs_the_run_manifest_could_not_record_are_not_left_to_pass_for_an_editors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: str
) -> None:
    """The disk fills up exactly when the run manifest is written (the outputs fit, its JSON does
    not). Unrecorded, the outputs would be refused on the rerun as an editor's; so the run fails
    with the disk error and removes the files it could not record, and the rerun redoes them.
    The fault is injected (an OSError from the manifest's write): a tmpfs cannot be filled that exactly."""
    import errno

    from streamkit import runplan  # the run manifest's module
    from streamkit.pipeline import SubtitleJob, run_subtitle
    from streamkit.transcribe import WhisperTranscriber, resolve_model
    from streamkit.translation.options import TranslateOptions

    src = tmp_path / "show.mp4"
    src.write_bytes(SHORT.read_bytes())
    from streamkit.fsutil import atomic_write_text as real
    calls = {"n": 0}

    def full_for_the_manifest(path: Path, text: str, **kw: object) -> None:
        if "/runs/" in str(path):
            calls["n"] += 1
            if fails == "drafts" or calls["n"] == 2:
                from streamkit.fsutil import _output_error

                raise _output_error(path, OSError(errno.ENOSPC, "No space left on device"))
        real(path, text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(runplan, "atomic_write_text", full_for_the_manifest)
    transcriber = WhisperTranscriber(resolve_model("base", device="cpu"))
    job = SubtitleJob(src, translate=TranslateOptions(engine="none"))
    with pytest.raises(OutputError, match="the disk is full"):
        run_subtitle(job, transcriber=transcriber)
    assert not (tmp_path / "show.subtitled.mp4").exists()
    assert (tmp_path / "show.ko.srt").exists() == (fails == "final")  # recorded drafts stay
    monkeypatch.setattr(runplan, "atomic_write_text", real)
    result = run_subtitle(job, transcriber=transcriber)  # the same command: nothing passes for an editor's
    assert result.video is not None and result.video.path.is_file()


def test_ray_outputs_shipped_back_onto_a_full_disk_fail_that_recording(small_disk: Path, tmp_path: Path) -> None:
    """With Ray the driver writes the files a worker returns: ENOSPC there is the recording's
    OutputError (the others go on), not an OSError that stopped the whole replay."""
    pytest.importorskip("ray", reason="Ray is not installed: pip install 'streamkit[ray]'")
    from streamkit.replay import RayExecutor, Recording, load_spec
    from streamkit.replay.tasks import Outcome

    from .test_replay import make_recordings, spec_text, write_spec

    make_recordings(tmp_path, ["a.mp4"])
    spec = load_spec(write_spec(tmp_path, spec_text(extra='executor = "ray"')))
    executor = RayExecutor(spec)  # imports Ray; starts nothing
    fill(small_disk, leave_kb=0)
    outcome = Outcome("a", files={"a.ko.srt": SRT.encode() * 200})
    with pytest.raises(OutputError, match="the disk is full"):
        executor.materialize(outcome, Recording("a", tmp_path / "rec" / "a.mp4", small_disk / "a"))
    assert not [p for p in small_disk.rglob("*") if ".part" in p.name]
