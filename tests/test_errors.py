from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from streamkit import errors as e

CASES = [
    e.InputError(Path("a b.mp4"), "no such file"),
    e.MediaError(Path("x.mp4"), "not a media file"),
    e.NoAudioError(Path("x.mp4"), "has no audio stream"),
    e.ConfigError("unknown key foo", key="foo", source="job.toml"),
    e.OutputError(Path("/ro"), "not writable"),
    e.OutputExistsError([Path("a.ko.srt"), Path("a.en.srt")]),
    e.FFmpegError("mux", ["ffmpeg", "-i", "x"], "line1\nInvalid data found", 1),
    e.ModelError("base", "missing"),
    e.ModelIntegrityError("base", Path("model.bin"), "a" * 64, "b" * 64),
    e.TranslationError("google", "unreachable"),
    e.SubtitleFormatError(Path("x.srt"), "bad timestamp", line=7, cue=3),
]


@pytest.mark.parametrize("error", CASES, ids=lambda x: type(x).__name__)
def test_errors_survive_pickling_with_their_facts(error: e.StreamkitError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert again.hint == error.hint
    assert again.exit_code == error.exit_code
    for attr in ("path", "key", "engine", "stderr_tail", "line", "cue", "expected"):
        if hasattr(error, attr):
            assert getattr(again, attr) == getattr(error, attr)


@pytest.mark.parametrize("error", CASES, ids=lambda x: type(x).__name__)
def test_messages_are_one_line_and_everything_is_a_streamkit_error(error: e.StreamkitError) -> None:
    assert isinstance(error, e.StreamkitError)
    assert "\n" not in str(error)
    assert error.exit_code != 0


def test_ffmpeg_error_keeps_the_tail_and_names_the_last_line() -> None:
    err = e.FFmpegError("mux", ["ffmpeg"], "\n".join(f"l{i}" for i in range(20)) + "\nmoov atom not found", 1)
    assert "moov atom not found" in str(err)
    assert err.stderr_tail.count("\n") == 7


def test_subtitle_error_names_cue_and_line() -> None:
    assert "cue 3, line 7: bad timestamp" in str(e.SubtitleFormatError("x.srt", "bad timestamp", line=7, cue=3))
