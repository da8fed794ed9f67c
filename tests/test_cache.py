"""streamkit.cache: stage results on disk; a damaged entry is a miss with a warning, never a crash."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streamkit.cache import StageCache, file_digest, transcript_from_dict, transcript_to_dict
from streamkit.models import Transcript, Utterance, Word
from streamkit.workspace import Workspace


def _transcript() -> Transcript:
    words = (Word(0, 400, "안녕", 0.9), Word(400, 900, "하세요", 0.8))
    return Transcript("ko", (Utterance(0, 900, "안녕하세요", words),), 1000, "base", "transcribe")


def test_a_saved_entry_is_loaded_back(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    key = StageCache.key("transcribe", "digest", 1)
    cache.save_transcript("transcribe", key, _transcript())
    assert cache.load_transcript("transcribe", key) == _transcript()


@pytest.mark.parametrize(
    ("stage", "content"),
    [
        ("translate", "[1,2,3]"),
        ("transcribe", "null"),
        ("transcribe", '{"format": 1, "language": "ko", "utterances": [{"start_ms": 0'),  # truncated
        ("translate", '"just a string"'),
        ("transcribe", '{"format": 1, "language": "ko", "utterances": [[1, 2]], "duration_ms": 1,'
                       ' "model": "base", "task": "transcribe"}'),
        ("transcribe", '{"format": 1, "language": "ko", "utterances": null, "duration_ms": 1,'
                       ' "model": "base", "task": "transcribe"}'),
        ("translate", '{"format": 1, "language": "ko", "utterances": [{"start_ms": 5, "end_ms": 1, "text": "x",'
                      ' "words": [], "avg_logprob": 0, "no_speech_prob": 0, "compression_ratio": 1}],'
                      ' "duration_ms": 1, "model": "base", "task": "transcribe"}'),  # breaks an invariant
        ("transcribe", "\x00\x00\x00"),
    ],
)
def test_a_corrupt_entry_is_a_miss_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, stage: str, content: str
) -> None:
    cache = StageCache(tmp_path)
    key = StageCache.key(stage, "digest")
    (tmp_path / f"{stage}-{key}.json").write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        assert cache.load_transcript(stage, key) is None
    assert "ignoring unreadable cache entry" in caplog.text
    cache.save_transcript(stage, key, _transcript())  # the next run replaces it
    assert cache.load_transcript(stage, key) == _transcript()


def test_an_entry_that_is_not_utf8_is_a_miss(tmp_path: Path) -> None:
    cache = StageCache(tmp_path)
    key = StageCache.key("transcribe", "x")
    (tmp_path / f"transcribe-{key}.json").write_bytes(b"\xff\xfe\x00garbage")
    assert cache.load_transcript("transcribe", key) is None


@pytest.mark.parametrize("content", ["[1,2,3]", "null", '{"version": 1, "korean": [[0, 1', '"x"'])
def test_a_corrupt_draft_record_is_no_record(tmp_path: Path, content: str) -> None:
    """The retranslate draft record is a cache of what the machine wrote: the same rule holds."""
    from streamkit.translation.drafts import load_record, record_path

    english = tmp_path / "live.en.srt"
    record_path(english).parent.mkdir(parents=True)
    record_path(english).write_text(content, encoding="utf-8")
    assert load_record(english) is None


# --------------------------------------------------------------------------- keys, digests, writes


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False)), min_size=1, max_size=5),
       st.integers(min_value=0, max_value=4), st.text(min_size=1))
def test_a_changed_parameter_misses_the_cache(parts: list[object], index: int, extra: str) -> None:
    """The key covers every part: changing, adding or dropping one gives another key."""
    key = StageCache.key(*parts)
    assert key == StageCache.key(*parts) and len(key) == 32
    i = index % len(parts)
    changed = [*parts[:i], f"{parts[i]}{extra}", *parts[i + 1:]]
    assert StageCache.key(*changed) != key
    assert StageCache.key(*parts, extra) != key
    if len(parts) > 1:
        assert StageCache.key(*parts[:-1]) != key


def test_file_digest_streams_the_content(tmp_path: Path) -> None:
    path = tmp_path / "media.bin"
    data = bytes(range(256)) * 5000
    path.write_bytes(data)
    assert file_digest(path, chunk=4096) == file_digest(path) == hashlib.sha256(data).hexdigest()


def test_the_json_form_round_trips_and_refuses_another_format() -> None:
    data = transcript_to_dict(_transcript())
    assert transcript_from_dict(json.loads(json.dumps(data))) == _transcript()
    with pytest.raises(ValueError, match="unknown cache format"):
        transcript_from_dict({**data, "format": 99})


def test_a_cache_that_cannot_be_written_does_not_fail_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    cache = StageCache(blocker / "cache")
    with caplog.at_level(logging.WARNING, logger="streamkit"):
        cache.save_transcript("transcribe", "k", _transcript())
    assert "could not cache the transcribe result" in caplog.text
    assert cache.load_transcript("transcribe", "k") is None


def test_entries_are_written_whole_into_the_workspace_cache(tmp_path: Path) -> None:
    cache = StageCache(Workspace(tmp_path).cache)
    cache.save_transcript("transcribe", "k", _transcript())
    assert [p.name for p in (tmp_path / ".streamkit" / "cache").iterdir()] == ["transcribe-k.json"]  # no temp left
