"""Messages that used to mislead (issue 13, item 13): each fault gets the message that names it.

One test per fault; each failed before its fix. Real ffmpeg, real files; the model runs only in
the slow test of a silent recording.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app
from streamkit.config import load_config
from streamkit.errors import ConfigError, MediaError, OutputError, StreamkitError
from streamkit.media import find_ffmpeg, probe
from streamkit.models import AudioTrack, ModelChoice, Transcript
from streamkit.pipeline import SubtitleJob, run_subtitle
from streamkit.replay.spec import SpecError, load_spec
from streamkit.translation.options import TranslateOptions
from streamkit.workdir import remove_stale_workdirs, workdir

from .conftest import SHORT, run_ffmpeg_cmd

runner = CliRunner()

SRT = "1\n00:00:01,000 --> 00:00:03,000\nhello there\n"


def one_line_error(output: str) -> str:
    lines = [ln for ln in output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), output
    assert "Traceback" not in output and len(lines) <= 2, output
    return " ".join(lines)


# --------------------------------------------------------------------------- media


def test_garbled_media_is_not_called_a_file_without_audio(tmp_path: Path) -> None:
    # An MP4 whose track boxes are garbled: the container opens, but holds no stream at all.
    garbled = tmp_path / "show.mp4"
    garbled.write_bytes(SHORT.read_bytes().replace(b"trak", b"free"))
    with pytest.raises(MediaError) as info:
        probe(garbled)
    assert "cannot be read as media" in str(info.value) and "no audio stream" not in str(info.value)


@pytest.mark.parametrize(("binary", "says"), [("/bin/false", "exit code 1"), ("/bin/true", "not ffmpeg"),
                                              ("/nonexistent/ffmpeg", "cannot be started")])
def test_a_broken_ffmpeg_is_named_not_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str, says: str
) -> None:
    monkeypatch.setenv("STREAMKIT_FFMPEG", binary)
    find_ffmpeg.cache_clear()
    try:
        result = runner.invoke(app, ["subtitle", str(SHORT), "--out", str(tmp_path / "o"), "-t", "none", "-q"])
    finally:
        find_ffmpeg.cache_clear()
    line = one_line_error(result.output)
    assert binary in line and says in line and "ffmpeg itself" in line, line
    assert "re-download" not in line and "cannot be decoded" not in line and "audio track is empty" not in line
    assert "STREAMKIT_FFMPEG" in line
    assert result.exit_code == 4


# --------------------------------------------------------------------------- names and folders


class _MustNotRun:
    """A Transcriber that fails the test if anything is transcribed."""

    choice = ModelChoice("base", "/nowhere", "bundled", "test")

    def transcribe(self, audio: AudioTrack, options: object, progress: object = None) -> Transcript:
        raise AssertionError("transcribed although an output name cannot be written")


def test_a_name_too_long_for_the_file_system_is_refused_before_the_work(tmp_path: Path) -> None:
    recording = tmp_path / ("x" * 245 + ".mp4")
    shutil.copy(SHORT, recording)
    with pytest.raises(OutputError) as info:
        run_subtitle(SubtitleJob(input=recording, translate=TranslateOptions(engine="none")), transcriber=_MustNotRun())  # type: ignore[arg-type]
    assert "too long" in str(info.value) and "subtitled.mp4" in str(info.value)
    assert "shorter" in info.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == [recording.name]


def test_the_hint_names_the_option_that_chose_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = runner.invoke(app, ["viewers", "record", "-s", "x", "--value", "5", "--db", str(blocker / "v.sqlite")])
    assert "--db" in one_line_error(db.output) and "--out" not in db.output
    log = runner.invoke(app, ["viewers", "record", "-s", "x", "--value", "5", "--db", str(tmp_path / "v.sqlite"),
                              "--event-log", str(blocker / "events.jsonl")])
    assert "--event-log" in one_line_error(log.output) and "--out" not in log.output


def test_rich_markup_and_emoji_codes_in_names_are_printed_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "live [bold]x :tv:.ko.srt"
    path.write_text(SRT, encoding="utf-8")
    shown = " ".join(runner.invoke(app, ["check", str(path), "--no-glossary"]).output.split())
    assert "live [bold]x :tv:.ko.srt" in shown and "📺" not in shown
    missing = " ".join(runner.invoke(app, ["check", str(tmp_path / "gone [red]y :tv:.srt")]).output.split())
    assert "gone [red]y :tv:.srt" in missing and "📺" not in missing


# --------------------------------------------------------------------------- mux


def _subs(tmp_path: Path) -> list[str]:
    en, ko = tmp_path / "show.en.srt", tmp_path / "show.ko.srt"
    en.write_text(SRT, encoding="utf-8")
    ko.write_text(SRT.replace("hello there", "안녕하세요"), encoding="utf-8")
    return ["--sub", str(en), "--sub", str(ko)]


def test_mux_refuses_a_container_the_extension_does_not_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mux", str(SHORT), *_subs(tmp_path), "-o", str(tmp_path / "x.avi"), "-q"])
    line = one_line_error(result.output)
    assert ".avi" in line and "mp4" in line and "mkv" in line
    assert result.exit_code == 2 and not (tmp_path / "x.avi").exists()


def test_mux_default_language_must_be_one_of_the_tracks(tmp_path: Path) -> None:
    result = runner.invoke(app, ["mux", str(SHORT), *_subs(tmp_path), "--default", "fr", "-q",
                                 "-o", str(tmp_path / "x.mp4")])
    line = one_line_error(result.output)
    assert "--default fr" in line and "en, ko" in line
    assert result.exit_code == 2 and not (tmp_path / "x.mp4").exists()


# --------------------------------------------------------------------------- config and spec


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "streamkit.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_an_unknown_translator_key_is_refused_with_the_nearest_valid_one(tmp_path: Path) -> None:
    path = _config(tmp_path, '[translator]\ndeepl_key = "abc"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value) + " " + info.value.hint
    assert str(path) in message and "deepl_key" in message and "deepl_api_key" in message
    assert "abc" not in message  # a key's value is never echoed
    with pytest.raises(ConfigError, match=r"libre\.url"):
        load_config(_config(tmp_path, '[translator.libre]\nurll = "http://127.0.0.1:5000"\n'))


def test_config_values_are_type_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, '[translator]\ndeepl_api_key = ["a", "b"]\n'))
    assert "deepl_api_key" in str(info.value) and "string" in str(info.value) and "'a'" not in str(info.value)
    with pytest.raises(ConfigError, match=r"translator\.timeout: must be a number"):
        load_config(_config(tmp_path, '[translator]\ntimeout = "fast"\n'))
    with pytest.raises(ConfigError, match=r"papago\.client_id: must be a string"):
        load_config(_config(tmp_path, "[translator.papago]\nclient_id = 7\n"))
    fine = '[translator]\ntimeout = 15\nretries = 2\ncache = false\n[translator.libre]\nurl = "http://x"\n'
    assert load_config(_config(tmp_path, fine)).get("translator", "timeout") == 15


def test_a_replay_output_outside_the_specs_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    (folder / "rec").mkdir(parents=True)
    shutil.copy(SHORT, folder / "rec" / "one.mp4")
    spec = folder / "event.toml"
    spec.write_text('[job]\ninputs = ["rec/*.mp4"]\noutput = "../../x"\n[translate]\nengine = "none"\n',
                    encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(spec)
    assert "job.output" in str(info.value) and "outside" in str(info.value) and str(tmp_path / "x") in str(info.value)
    spec.write_text(f'[job]\ninputs = ["rec/*.mp4"]\noutput = "{tmp_path / "abs"}"\n', encoding="utf-8")
    assert load_spec(spec).output == tmp_path / "abs"  # an absolute folder is the producer's explicit choice


# --------------------------------------------------------------------------- temp folders and silence


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_stale_work_folders_of_dead_processes_are_removed(tmp_path: Path) -> None:
    base = Path(tempfile.gettempdir())
    dead = base / f"streamkit-{_dead_pid()}-test"
    alive = base / f"streamkit-{os.getpid()}-test"
    for folder in (dead, alive):
        folder.mkdir(exist_ok=True)
        (folder / "audio.wav").write_bytes(b"RIFF" + bytes(1000))
    try:
        removed = remove_stale_workdirs()
        assert dead in removed and not dead.exists()
        assert alive.exists()  # this process is alive: its folder stays
        with workdir() as work:
            assert work.name.startswith(f"streamkit-{os.getpid()}-")
        assert not work.exists()
    finally:
        shutil.rmtree(dead, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)


@pytest.mark.slow
def test_a_silent_recording_says_no_speech_found(tmp_path: Path) -> None:
    silent = tmp_path / "quiet.mp4"
    run_ffmpeg_cmd("-f", "lavfi", "-i", "testsrc2=size=160x90:rate=25:duration=4", "-f", "lavfi", "-i",
                   "anullsrc=r=16000:cl=mono", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast",
                   "-pix_fmt", "yuv420p", "-c:a", "aac", str(silent))
    stale = Path(tempfile.gettempdir()) / f"streamkit-{_dead_pid()}-killed"
    stale.mkdir(exist_ok=True)
    (stale / "audio.wav").write_bytes(bytes(100))
    try:
        result = runner.invoke(app, ["subtitle", str(silent), "--out", str(tmp_path / "o"), "-t", "none", "-q",
                                     "--json"])
        assert result.exit_code == 0, result.output
        import json

        summary = json.loads(result.output[result.output.index("{"):])
        assert any("no speech found" in w for w in summary["warnings"])
        srt = tmp_path / "o" / "quiet.ko.srt"
        assert srt.is_file() and srt.read_bytes() == b""  # an empty SRT: editors open it as "no cues"
        assert not stale.exists()
        text = runner.invoke(app, ["subtitle", str(silent), "--out", str(tmp_path / "o2"), "-t", "none"]).output
        assert "no speech found" in text
        _editor_tools_take_the_empty_srt(srt, silent, tmp_path)
    finally:
        shutil.rmtree(stale, ignore_errors=True)


def _editor_tools_take_the_empty_srt(srt: Path, video: Path, tmp_path: Path) -> None:
    """The empty SRT of a silent recording is a valid file with no cues for every editor tool: check accepts
    it (0 cues, no problems), fix and shift write it back empty, mux adds an empty Korean track (as the
    subtitle run's own mux does). Before: all four refused it as "empty file"."""
    import hashlib
    import json

    import av

    before = hashlib.sha256(srt.read_bytes()).hexdigest()
    checked = runner.invoke(app, ["check", str(srt), "--json"])
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.output[checked.output.index("{"):])
    assert (report["cues"], report["errors"], report["warnings"]) == (0, 0, 0)
    for args, out in ((["fix", str(srt), "-o", str(tmp_path / "f.ko.srt")], tmp_path / "f.ko.srt"),
                      (["shift", str(srt), "1s", "-o", str(tmp_path / "s.ko.srt")], tmp_path / "s.ko.srt")):
        done = runner.invoke(app, args)
        assert done.exit_code == 0 and "0 cues" in " ".join(done.output.split()), done.output
        assert out.read_text(encoding="utf-8").strip() == ""
    muxed = tmp_path / "m.mp4"
    done = runner.invoke(app, ["mux", str(video), "--sub", str(srt), "-o", str(muxed)])
    assert done.exit_code == 0 and "0 cues" in " ".join(done.output.split()), done.output  # wrapped at the path
    with av.open(str(muxed)) as container:
        subs = [s for s in container.streams if s.type == "subtitle"]
        assert [s.language for s in subs] == ["kor"]
    assert hashlib.sha256(srt.read_bytes()).hexdigest() == before


def test_errors_survive_pickling() -> None:
    import pickle

    from streamkit.errors import FFmpegUnusableError

    err = FFmpegUnusableError("/bin/false", 1, "")
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, StreamkitError) and str(again) == str(err) and again.returncode == 1


def test_mux_takes_a_cp949_srt_and_refuses_a_recording_cut_short(tmp_path: Path) -> None:
    """Found by bench/faults.py: a CP949 SRT (which check and fix read) stopped ffmpeg's SRT decoder (exit 4,
    "Terminating thread with return code ..."); the first third of an MP4 (its index whole, its data cut)
    was muxed into a 3 s replay of a 7.5 s recording, exit 0. Now the SRT reaches ffmpeg as a UTF-8 copy
    (the file itself untouched) and the cut recording is refused as subtitle refuses it."""
    import av

    srt = tmp_path / "draft.ko.srt"
    srt.write_bytes("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요 여러분\n".encode("cp949"))
    before = srt.read_bytes()
    done = runner.invoke(app, ["mux", str(SHORT), "--sub", str(srt), "-o", str(tmp_path / "out.mp4")])
    assert done.exit_code == 0, done.output
    with av.open(str(tmp_path / "out.mp4")) as container:
        (stream,) = [s for s in container.streams if s.type == "subtitle"]
        texts = [bytes(sub.dialogue).decode() for p in container.demux(stream) for sub in p.decode()]
    assert texts == ["안녕하세요 여러분"] and srt.read_bytes() == before
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(SHORT.read_bytes()[: SHORT.stat().st_size // 3])
    done = runner.invoke(app, ["mux", str(cut), "--sub", str(srt), "-o", str(tmp_path / "cut.out.mp4")])
    assert done.exit_code == 2 and "truncated or corrupt" in done.output, done.output
    assert not (tmp_path / "cut.out.mp4").exists()


@pytest.mark.parametrize("binary", ["/bin/true", "/bin/false"])
def test_mux_with_a_broken_ffmpeg_names_it_not_an_incomplete_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, binary: str
) -> None:
    """The fault tour (bench/faults.py) found ``mux`` with ``STREAMKIT_FFMPEG=/bin/true`` reporting "ffmpeg
    wrote an incomplete file" with a full-disk hint: the file it probed was the empty temp file."""
    srt = tmp_path / "show.ko.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요\n", encoding="utf-8")
    monkeypatch.setenv("STREAMKIT_FFMPEG", binary)
    find_ffmpeg.cache_clear()
    try:
        result = runner.invoke(app, ["mux", str(SHORT), "--sub", str(srt), "-o", str(tmp_path / "out.mp4"), "-q"])
    finally:
        find_ffmpeg.cache_clear()
    line = one_line_error(result.output)
    assert binary in line and "ffmpeg itself" in line and "STREAMKIT_FFMPEG" in line, line
    assert "incomplete" not in result.output and "disk" not in result.output
    assert result.exit_code == 4 and sorted(p.name for p in tmp_path.iterdir()) == ["show.ko.srt"]


def test_a_name_too_long_on_the_command_line_is_one_clear_error(tmp_path: Path) -> None:
    """The fault tour (bench/faults.py) found ``fix -o NAME`` with a 300-character name an internal error
    (exit 70): ``Path.exists`` raises "File name too long" instead of answering."""
    srt = tmp_path / "in.ko.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:03,000\n안녕하세요\n", encoding="utf-8")
    long = tmp_path / ("y" * 300 + ".ko.srt")
    for args in (["fix", str(srt), "-o", str(long)], ["shift", str(srt), "+1s", "-o", str(long)], ["check", str(long)]):
        result = runner.invoke(app, args)
        line = one_line_error(result.output)
        assert "file name too long" in line and "internal error" not in result.output, line
        assert result.exit_code == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ko.srt"]
