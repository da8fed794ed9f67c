"""Conversational speech (issue 12): short replies between pauses keep their cue, music gets none.

``samples/conversation.mp4`` (made by ``samples/make_conversation.py``) holds short phrases and
replies cut from Zeroth clips, spliced as turns between pauses, music, laughter and near-silence,
some phone-band, some over a music bed, levels varying by +-12 dB. Its timeline
(``conversation.ref.tsv``) has each phrase's voice onset and offset and the non-speech stretches.
The slow tests run the real pipeline once (``--translator none``, no mux) on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from streamkit.job import OutputOptions
from streamkit.models import Cue
from streamkit.pipeline import SubtitleJob, run_subtitle
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber
from streamkit.translation.options import TranslateOptions

from .conftest import SAMPLES

SAMPLE = SAMPLES / "conversation.mp4"
SPEECH = ("speech", "reply")
#: A cue with less speech than this under it is not a cue of that speech (it is invented, or lingers).
SPEECH_UNDER_MS = 200
#: A reply is "between pauses" when no other voice lies this close before or after it.
PAUSE_MS = 300


@dataclass(frozen=True)
class Row:
    start_ms: int
    end_ms: int
    kind: str
    text: str


def timeline() -> list[Row]:
    lines = SAMPLE.with_suffix(".ref.tsv").read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["start_ms", "end_ms", "kind", "text", "source", "conditions"]
    return [Row(int(f[0]), int(f[1]), f[2], f[3]) for f in (line.split("\t") for line in lines[1:] if line)]


def overlap(a: Row | Cue, b: Row | Cue) -> int:
    return max(0, min(a.end_ms, b.end_ms) - max(a.start_ms, b.start_ms))


def replies_between_pauses(rows: list[Row]) -> list[Row]:
    speech = [r for r in rows if r.kind in SPEECH]
    return [r for r in speech if r.kind == "reply" and not any(
        o is not r and o.start_ms < r.end_ms + PAUSE_MS and o.end_ms > r.start_ms - PAUSE_MS for o in speech)]


def test_the_timeline_is_a_conversation() -> None:
    rows = timeline()
    speech = [r for r in rows if r.kind in SPEECH]
    assert all(r.text for r in speech) and not any(r.text for r in rows if r.kind not in SPEECH)
    assert all(400 <= r.end_ms - r.start_ms <= 800 for r in speech if r.kind == "reply")
    assert all(r.end_ms - r.start_ms <= 3000 for r in speech)
    # non-speech stretches never lie over a voice; replies are plenty and stand alone
    assert not any(overlap(s, o) for s in speech for o in rows if o.kind not in SPEECH)
    assert len(replies_between_pauses(rows)) >= 5
    assert {"music", "silence"} <= {r.kind for r in rows}
    assert SAMPLE.stat().st_size < 2_000_000


@pytest.fixture(scope="module")
def cues(transcriber: WhisperTranscriber, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cue, ...]:
    out: Path = tmp_path_factory.mktemp("conversation")
    job = SubtitleJob(SAMPLE, outputs=OutputOptions(folder=out, mux=False, use_cache=False),
                      translate=TranslateOptions(engine="none"))
    return run_subtitle(job, transcriber=transcriber).tracks[0].cues


def phone_band(rows: list[Row]) -> list[Row]:
    """The utterances heard over a telephone line (300-3400 Hz: ``conditions`` holds ``phone``)."""
    lines = SAMPLE.with_suffix(".ref.tsv").read_text(encoding="utf-8").splitlines()[1:]
    phone = {int(f[0]) for f in (line.split("\t") for line in lines if line) if "phone" in f[5].split()}
    return [r for r in rows if r.kind in SPEECH and r.start_ms in phone]


@pytest.mark.slow
def test_phone_band_turns_are_under_a_cue(cues: tuple[Cue, ...]) -> None:
    """Silero VAD hears a telephone voice poorly; ``rescue.phone_turns`` finds one by its spectrum
    (without it, the line at 33.4 s over a music bed had no cue; the reply at 55.2 s, straight after music
    20 dB louder, comes in by its spectrum, not its level)."""
    turns = phone_band(timeline())
    assert [r.start_ms for r in turns] == [983, 22_726, 33_383, 55_159]
    lost = [(r.start_ms, r.text) for r in turns if not any(overlap(c, r) >= SPEECH_UNDER_MS for c in cues)]
    assert not lost, f"phone-band turns without a cue: {lost}"


@pytest.mark.slow
def test_every_short_reply_between_pauses_is_under_a_cue(cues: tuple[Cue, ...]) -> None:
    replies = replies_between_pauses(timeline())
    lost = [(r.start_ms, r.text) for r in replies if not any(overlap(c, r) for c in cues)]
    assert not lost, f"replies without a cue: {lost}"


@pytest.fixture(scope="module")
def turn_cues(transcriber: WhisperTranscriber, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cue, ...]:
    """The same run with turn-aware decoding (``[transcribe] turns = true``, opt-in: docs/benchmarks.md)."""
    out: Path = tmp_path_factory.mktemp("conversation-turns")
    job = SubtitleJob(SAMPLE, outputs=OutputOptions(folder=out, mux=False, use_cache=False),
                      translate=TranslateOptions(engine="none"), decoding=TranscribeOptions(turns=True))
    return run_subtitle(job, transcriber=transcriber).tracks[0].cues


def assert_every_reply_the_vad_hears_is_under_a_cue(cues: tuple[Cue, ...], tmp_path: Path) -> None:
    """A short reply between pauses that Silero VAD hears (probability 0.3 or more somewhere on it)
    keeps its cue, and still no cue lies over music or noise."""
    from streamkit.media import extract_audio, probe
    from streamkit.quality import vad_profile

    speech = vad_profile(extract_audio(probe(SAMPLE), tmp_path / "a.wav"))
    heard = [r for r in replies_between_pauses(timeline())
             if max(speech(t, t + 32) for t in range(r.start_ms, r.end_ms, 32)) >= 0.3]
    assert len(heard) >= 6
    lost = [(r.start_ms, r.text) for r in heard if not any(overlap(c, r) for c in cues)]
    assert not lost, f"replies the VAD hears without a cue: {lost}"
    test_no_cue_lies_over_music_or_noise(cues)


@pytest.mark.slow
def test_by_default_every_reply_the_voice_detector_hears_is_under_a_cue(cues: tuple[Cue, ...],
                                                                        tmp_path: Path) -> None:
    """The default (batched whole chunks, then the speech regions over voice left without a word
    decoded again in one batch: ``streamkit.rescue``)."""
    assert_every_reply_the_vad_hears_is_under_a_cue(cues, tmp_path)


@pytest.mark.slow
def test_by_turns_every_reply_the_voice_detector_hears_is_under_a_cue(turn_cues: tuple[Cue, ...],
                                                                      tmp_path: Path) -> None:
    """Turn-aware decoding (``streamkit.turns``): each region decoded on its own."""
    assert_every_reply_the_vad_hears_is_under_a_cue(turn_cues, tmp_path)


@pytest.mark.slow
def test_no_cue_lies_over_music_or_noise(cues: tuple[Cue, ...]) -> None:
    rows = timeline()
    speech = [r for r in rows if r.kind in SPEECH]
    invented = [(c.start_ms, c.text) for c in cues
                if sum(overlap(c, s) for s in speech) < SPEECH_UNDER_MS
                and any(overlap(c, r) for r in rows if r.kind in ("music", "noise", "babble"))]
    assert not invented, f"cues over music or noise: {invented}"
