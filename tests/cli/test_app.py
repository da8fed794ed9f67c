from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from streamkit.cli import app

from ..conftest import FANLIVE, SHORT, make_video

runner = CliRunner()


def _one_line_error(result_output: str) -> str:
    lines = [ln for ln in result_output.strip().splitlines() if ln.strip()]
    assert lines and lines[0].startswith("error: "), result_output
    assert "Traceback" not in result_output
    assert len(lines) <= 2  # the message and a hint
    return lines[0]


def test_help_reads_like_a_well_kept_tool() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("subtitle", "mux", "model", "translate", "doctor"):
        assert command in result.output
    sub = runner.invoke(app, ["subtitle", "--help"])
    assert sub.exit_code == 0
    for option in ("--out", "--model", "--device", "--translator", "--format", "--burn-in", "--force", "--json"):
        assert option in sub.output


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("streamkit ")


@pytest.mark.parametrize(
    ("make", "expected", "code"),
    [
        (lambda d: d / "missing.mp4", "no such file", 2),
        (lambda d: d, "is a folder", 2),
        (lambda d: (d / "notes.mp4").write_text("not a video\n" * 20) and d / "notes.mp4", "not a media file", 2),
        (lambda d: make_video(d / "silent.mp4", seconds=1, audio=False), "no audio stream", 2),
    ],
    ids=["missing", "folder", "text-as-mp4", "no-audio"],
)
def test_bad_input_is_one_line_and_nonzero(tmp_path: Path, make, expected: str, code: int) -> None:  # type: ignore[no-untyped-def]
    target = make(tmp_path)
    result = runner.invoke(app, ["subtitle", str(target), "--out", str(tmp_path / "o")])
    assert result.exit_code == code
    assert expected in _one_line_error(result.output)


def test_unknown_translator_names_the_choices(tmp_path: Path) -> None:
    shutil.copy(SHORT, tmp_path / "s.mp4")
    result = runner.invoke(app, ["subtitle", str(tmp_path / "s.mp4"), "-t", "bing", "--no-mux"])
    assert result.exit_code == 2
    assert "unknown translator 'bing'" in _one_line_error(result.output)
    assert "whisper" in result.output


def test_bad_config_file_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "streamkit.toml"
    cfg.write_text('[subtitle]\nmodle = "small"\n')
    result = runner.invoke(app, ["subtitle", str(SHORT), "--config", str(cfg)])
    assert result.exit_code == 2
    assert "unknown key subtitle.modle" in _one_line_error(result.output)


def test_bad_decoding_setting_is_refused_before_any_work(tmp_path: Path) -> None:
    cfg = tmp_path / "streamkit.toml"
    cfg.write_text("[transcribe]\nbeam_size = 0\n")
    result = runner.invoke(app, ["subtitle", str(SHORT), "--config", str(cfg), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "transcribe.beam_size: must be between 1 and 10, not 0" in _one_line_error(result.output)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_config_decoding_settings_are_used_and_reported(tmp_path: Path) -> None:
    cfg = tmp_path / "streamkit.toml"
    cfg.write_text("[transcribe]\nbeam_size = 2\nbatched = false\n")
    result = runner.invoke(app, ["subtitle", str(SHORT), "--config", str(cfg), "-o", str(tmp_path), "-t", "none",
                                 "--no-mux", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["decoding"] == {"beam_size": 2, "batched": False}
    assert summary["outputs"][0]["cues"] >= 1


@pytest.mark.slow
def test_subtitle_json_summary(tmp_path: Path) -> None:
    src = tmp_path / "팬 라이브 'v1'.mp4"
    shutil.copy(SHORT, src)
    result = runner.invoke(app, ["subtitle", str(src), "--json", "-t", "none", "--format", "srt,vtt"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    kinds = sorted((o["kind"], o.get("language"), o.get("format")) for o in summary["outputs"])
    assert kinds == [("subtitles", "ko", "srt"), ("subtitles", "ko", "vtt"), ("video", None, None)]
    assert summary["model"]["source"] == "bundled"
    assert summary["decoding"] == {"beam_size": 5, "batched": True, "batch_size": 8}
    again = runner.invoke(app, ["subtitle", str(src), "-t", "none"])
    assert again.exit_code == 3
    assert "already exists" in _one_line_error(again.output)


@pytest.mark.slow
def test_mux_command_puts_corrected_files_in(tmp_path: Path) -> None:
    video = tmp_path / "show.mp4"
    shutil.copy(SHORT, video)
    (tmp_path / "show.ko.srt").write_text("1\n00:00:00,500 --> 00:00:03,000\n한 잔의 커피\n", encoding="utf-8")
    (tmp_path / "show.en.srt").write_text("1\n00:00:00,500 --> 00:00:03,000\nA cup of coffee\n", encoding="utf-8")
    args = ["mux", str(video), "--sub", str(tmp_path / "show.en.srt"), "--sub", str(tmp_path / "show.ko.srt")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "show.subtitled.mp4").is_file()
    assert runner.invoke(app, args).exit_code == 3  # exists: refused
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    nolang = tmp_path / "fixed.srt"
    shutil.copy(tmp_path / "show.ko.srt", nolang)
    bad = runner.invoke(app, ["mux", str(video), "--sub", str(nolang), "-o", str(tmp_path / "x.mp4")])
    assert bad.exit_code == 2 and "language" in _one_line_error(bad.output)


@pytest.mark.slow
def test_real_subprocess_and_ctrl_c_leaves_nothing_half_written(tmp_path: Path) -> None:
    """One real process: `python -m streamkit`, interrupted mid-run, then resumed.

    The 55-second sample, not the 5-second one: with batched decoding the short clip can finish before the
    interrupt, which then lands after the outputs are committed. The interrupt is sent 1 s into the transcribe
    stage, as the run's event log says, not at a fixed time: with a fixed 4 s the run once finished with exit 0
    and nothing on stderr (one full suite in five, 2026-12-06; where that interrupt landed was not found)."""
    src = tmp_path / "show.mp4"
    shutil.copy(FANLIVE, src)
    events = tmp_path.parent / f"{tmp_path.name}.events.jsonl"  # outside the folder checked for leftovers
    cmd = [sys.executable, "-m", "streamkit", "subtitle", str(src), "-t", "none", "-q"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([*cmd, "--event-log", str(events)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    deadline = time.monotonic() + 60
    while '"stage":"transcribe"' not in (events.read_text(encoding="utf-8") if events.exists() else ""):
        assert proc.poll() is None and time.monotonic() < deadline, "the run never reached its transcribe stage"
        time.sleep(0.05)
    time.sleep(1.0)  # mid-run: loading the model or transcribing
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("show.mp4", ".streamkit")]
    assert leftovers == []
    done = subprocess.run([*cmd, "--force"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "show.ko.srt").is_file() and (tmp_path / "show.subtitled.mp4").is_file()


def test_model_verify_reports_bit_rot_with_the_fix_and_repair_rebuilds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamkit.modelstore import bundled_model_dir

    monkeypatch.setenv("STREAMKIT_CACHE", str(tmp_path / "cache"))
    model_bin = bundled_model_dir() / "model.bin"
    ok = runner.invoke(app, ["model", "--verify"])
    assert ok.exit_code == 0 and "verified: 4 files match" in ok.output, ok.output
    st = model_bin.stat()
    with open(model_bin, "r+b") as f:  # 30 MB of the weights overwritten, size and mtime kept
        f.seek(20_000_000)
        f.write(os.urandom(30_000_000))
    os.utime(model_bin, ns=(st.st_atime_ns, st.st_mtime_ns))
    bad = runner.invoke(app, ["model", "--verify"])
    lines = [ln for ln in bad.output.splitlines() if ln.strip()]
    assert bad.exit_code == 5, bad.output
    assert lines[-2].startswith("error: model 'base': the cached model is damaged: model.bin: sha256")
    assert "streamkit model --repair" in lines[-1]
    doctor = runner.invoke(app, ["doctor", "--offline", "--json"])
    report = json.loads(doctor.stdout)
    assert report["model_check"]["ok"] is False and report["model_check"]["damaged"] == ["model.bin"]
    assert "streamkit model --repair" in report["model_check"]["fix"]
    fixed = runner.invoke(app, ["model", "--repair"])
    assert fixed.exit_code == 0 and "rebuilt" in fixed.output, fixed.output
    assert runner.invoke(app, ["model", "--verify"]).exit_code == 0


def test_subtitle_to_an_unknown_language_is_one_clear_line(tmp_path: Path) -> None:
    src = tmp_path / "show.mp4"
    shutil.copy(SHORT, src)
    result = runner.invoke(app, ["subtitle", str(src), "--to", "en,klingon", "--translator", "libre"])
    assert result.exit_code != 0
    assert "unknown language 'klingon'" in _one_line_error(result.output)
    config = tmp_path / "streamkit.toml"
    config.write_text('[translate]\ntargets = ["en", "ja", "xx"]\n', encoding="utf-8")
    result = runner.invoke(app, ["subtitle", str(src), "--config", str(config)])
    assert result.exit_code != 0 and "unknown language 'xx'" in _one_line_error(result.output)
    result = runner.invoke(app, ["subtitle", str(src), "--to", "en,ja", "--default-track", "fr"])
    assert result.exit_code != 0 and "--default-track fr: no such track" in _one_line_error(result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["show.mp4", "streamkit.toml"]  # nothing written
