"""Voice the rolling window let go without a word, decoded once more alone (``streamkit.live.missed``).

The pure part runs the engine with scripted decoders (a window that hears nothing, a clip decoder that
hears the reply); the slow test runs the real model on the phone-band reply that opens
``samples/conversation.mp4``."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from numpy.typing import NDArray

from streamkit.live import LiveOptions, StreamingTranscriber, TimedWord
from streamkit.live.missed import MissedVoice
from streamkit.live.session import build_pipeline
from streamkit.media import find_ffmpeg
from streamkit.quality import QualityOptions
from streamkit.transcribe import WhisperTranscriber

from ..conftest import SAMPLES

RATE = 16000


def _loud_is_speech(audio: NDArray[np.float32]) -> NDArray[np.float64]:
    frames = audio[: audio.size // 512 * 512].reshape(-1, 512)
    return np.where(np.abs(frames).mean(axis=1) > 0.02, 0.9, 0.0)


def _tone(ms: int, level: float = 0.1) -> NDArray[np.float32]:
    t = np.arange(ms * RATE // 1000) / RATE
    return (level * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def _quiet(ms: int) -> NDArray[np.float32]:
    return np.zeros(ms * RATE // 1000, np.float32)


class ClipDecoder:
    """Hears "reply" over the loud part of whatever clip it is given; records the clips (stream ms)."""

    def __init__(self) -> None:
        self.clips: list[tuple[int, int]] = []

    def __call__(self, samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
        self.clips.append((offset_ms, offset_ms + samples.size * 1000 // RATE))
        loud = np.flatnonzero(np.abs(samples) > 0.05)
        if loud.size == 0:
            return []
        return [TimedWord(offset_ms + int(loud[0]) * 1000 // RATE, offset_ms + int(loud[-1]) * 1000 // RATE, "reply")]


def _run(window: object, audio: NDArray[np.float32], clips: ClipDecoder,
         options: LiveOptions | None = None, **missed: int) -> tuple[list[tuple[int, str]], int]:
    """``audio`` fed in 0.1 s chunks; (ms received when committed, word) for every word, and the clips decoded."""
    engine = StreamingTranscriber(window, options or LiveOptions(), vad=_loud_is_speech)  # type: ignore[arg-type]
    engine.missed = MissedVoice(clips, QualityOptions(), **missed)
    committed: list[tuple[int, str]] = []
    for start in range(0, audio.size, 1600):
        engine.feed(audio[start: start + 1600])
        committed += [(engine.received_ms, w.text) for w in engine.step().words]
    committed += [(engine.received_ms, w.text) for w in engine.finish().words]
    return committed, len(clips.clips)


def _deaf(samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
    return []


def test_a_reply_the_window_never_heard_is_decoded_alone_once_and_captioned_soon_after() -> None:
    """The reply (0.8 s between pauses) gets no word from the window; decoded alone it is committed about a
    second after it ends, and only once, however long the engine then idles."""
    audio = np.concatenate([_quiet(2000), _tone(800), _quiet(8000)])
    clips = ClipDecoder()
    committed, decoded = _run(_deaf, audio, clips)
    assert [text for _at, text in committed] == ["reply"]
    assert decoded == 1
    a, b = clips.clips[0]
    assert a <= 2000 and b >= 2800 and b - a <= 800 + 2 * 400  # the stretch and a little padding, not the stream
    assert committed[0][0] <= 2800 + 2000


def test_a_reply_the_window_heard_is_not_decoded_again() -> None:
    def window(samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
        end = offset_ms + samples.size * 1000 // RATE
        return [TimedWord(2000, 2800, "heard")] if offset_ms <= 2000 and end >= 2800 else []

    audio = np.concatenate([_quiet(2000), _tone(800), _quiet(6000)])
    clips = ClipDecoder()
    committed, decoded = _run(window, audio, clips)
    assert [text for _at, text in committed] == ["heard"]
    assert decoded == 0


def test_a_long_run_the_vad_calls_speech_is_never_decoded_alone() -> None:
    """Music or a crowd the VAD hears as voice for longer than a voiced stretch (8 s) is no missed reply."""
    audio = np.concatenate([_quiet(1000), _tone(12000), _quiet(4000)])
    clips = ClipDecoder()
    committed, decoded = _run(_deaf, audio, clips)
    assert committed == [] and decoded == 0


def test_nothing_heard_alone_commits_nothing_and_is_not_tried_again() -> None:
    audio = np.concatenate([_quiet(2000), _tone(800), _quiet(8000)])

    class Nothing(ClipDecoder):
        def __call__(self, samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
            super().__call__(samples, offset_ms)
            return []

    committed, decoded = _run(_deaf, audio, Nothing())
    assert committed == [] and decoded == 1


def test_a_caption_is_never_shown_out_of_order() -> None:
    """Words committed after the reply (the window heard the next turn first) leave the reply alone."""
    def window(samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
        end = offset_ms + samples.size * 1000 // RATE
        return [TimedWord(3000, 3600, "next")] if offset_ms <= 3000 and end >= 3600 else []

    audio = np.concatenate([_quiet(2000), _tone(700), _quiet(300), _tone(600), _quiet(6000)])
    committed, _decoded = _run(window, audio, ClipDecoder())
    texts = [text for _at, text in committed]
    assert "next" in texts and texts == sorted(texts, key=["reply", "next"].index)


class Unsure:
    """A window that hears the reply (2.0-2.8 s) once it has all of it, spelled differently each time."""

    def __init__(self) -> None:
        self.decodes = 0

    def __call__(self, samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
        if offset_ms > 2000 or offset_ms + samples.size * 1000 // RATE < 2800:
            return []
        self.decodes += 1
        return [TimedWord(2000, 2800, f"guess{self.decodes}")]


def test_a_reply_no_two_decodes_agreed_on_is_read_again_alone_at_the_pause() -> None:
    """A short reply gets one or two decodes of the short window before its pause, seldom read alike; what they
    wrote was committed as it was ("볼론식" for 물론 십 대). Heard again alone in a full window at the pause, the
    reply is committed as that reads it, once, at the moment the pause committed it before."""
    audio = np.concatenate([_quiet(2000), _tone(800), _quiet(8000)])
    clips = ClipDecoder()
    committed, decoded = _run(Unsure(), audio, clips)
    before, decoded_before = _run(Unsure(), audio, ClipDecoder(), LiveOptions(reread_unagreed=False))
    assert before == [(4000, "guess3")] and decoded_before == 0  # three decodes, none alike, flushed at the pause
    assert committed == [(4000, "reply")] and decoded == 1
    assert clips.clips == [(1700, 3100)]  # the reply and the clip's padding, not the stream


def test_a_reply_read_as_nothing_alone_is_committed_as_the_window_heard_it() -> None:
    class Nothing(ClipDecoder):
        def __call__(self, samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
            super().__call__(samples, offset_ms)
            return []

    audio = np.concatenate([_quiet(2000), _tone(800), _quiet(8000)])
    committed, decoded = _run(Unsure(), audio, Nothing())
    assert committed == [(4000, "guess3")] and decoded == 1


class HeadThenUnsure:
    """A window that hears a phrase's head (1.0-1.9 s) alike every time, and its tail (2.0-2.8 s), once it has
    all of it, spelled differently each time."""

    def __init__(self, head: str) -> None:
        self.head, self.decodes = head, 0

    def __call__(self, samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
        end = offset_ms + samples.size * 1000 // RATE
        words = [TimedWord(1000, 1900, self.head)] if offset_ms <= 1000 and end >= 1900 else []
        if offset_ms <= 2000 and end >= 2800:
            self.decodes += 1
            words.append(TimedWord(2000, 2800, f"guess{self.decodes}"))
        return words


class PhraseDecoder(ClipDecoder):
    """Hears "head" over the first loud run and "tail" over the second when the clip holds both; the second alone
    it reads as "tial" (a phrase's tail misread without its head); ``merged``: it runs the tail into the head."""

    def __init__(self, merged: bool = False) -> None:
        super().__init__()
        self.merged = merged

    def __call__(self, samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
        self.clips.append((offset_ms, offset_ms + samples.size * 1000 // RATE))
        with_head = offset_ms <= 1000
        if self.merged and with_head:
            return [TimedWord(1000, 2800, "headtail")]
        return [*([TimedWord(1000, 1900, "head")] if with_head else []),
                TimedWord(2000, 2800, "tail" if with_head else "tial")]


def test_unagreed_words_that_go_on_from_the_committed_ones_are_read_again_after_them() -> None:
    """A phrase's tail no two decodes agreed on, 0.1 s after its head with no sentence end between, is read
    again with the head before it, and only the words past the head are committed."""
    audio = np.concatenate([_quiet(1000), _tone(900), _quiet(100), _tone(800), _quiet(8000)])
    clips = PhraseDecoder()
    committed, decoded = _run(HeadThenUnsure("head"), audio, clips)
    assert [text for _at, text in committed] == ["head", "tail"] and decoded == 1
    assert clips.clips[0][0] <= 1000 - 300  # the head and its padding in the clip


def test_unagreed_words_after_a_sentence_end_are_read_again_alone() -> None:
    """A new sentence (the committed one ended) is a new turn: its unagreed words are read on their own."""
    audio = np.concatenate([_quiet(1000), _tone(900), _quiet(100), _tone(800), _quiet(8000)])
    clips = PhraseDecoder()
    committed, decoded = _run(HeadThenUnsure("head."), audio, clips)
    assert [text for _at, text in committed] == ["head.", "tial"] and decoded == 1
    assert clips.clips[0][0] >= 2000 - 400


def test_a_reading_in_context_that_runs_the_words_into_the_committed_ones_falls_back_to_alone() -> None:
    """Whisper read head and tail as one word starting in the head: nothing past the committed end, so the
    unagreed words are read alone after all rather than lost."""
    audio = np.concatenate([_quiet(1000), _tone(900), _quiet(100), _tone(800), _quiet(8000)])
    clips = PhraseDecoder(merged=True)
    committed, decoded = _run(HeadThenUnsure("head"), audio, clips)
    assert [text for _at, text in committed] == ["head", "tial"] and decoded == 2
    alone = _run(HeadThenUnsure("head"), audio, PhraseDecoder(), LiveOptions(reread_context_ms=0))
    assert [text for _at, text in alone[0]] == ["head", "tial"] and alone[1] == 1


class ReplyThenLoop:
    """A window that hears a reply (2.0-2.45 s) once, then, holding the music after it, loops over the music from
    the reply's second word on and hears the next line after it (the words before such a loop are dropped)."""

    def __init__(self) -> None:
        self.heard = False

    def __call__(self, samples: NDArray[np.float32], beam: int, offset_ms: int) -> list[TimedWord]:
        end = offset_ms + samples.size * 1000 // RATE
        if offset_ms > 2000 or end < 2450:
            return []
        reply = [TimedWord(2000, 2450, "reply")]
        if not self.heard:
            self.heard = True
            return reply
        return [*reply, *(TimedWord(2600 + 150 * i, 2700 + 150 * i, "la") for i in range(5)),
                TimedWord(end - 400, end - 300, "next")]


def test_a_reply_running_into_music_the_window_then_loops_over_is_read_again_not_dropped() -> None:
    """conv-113 at 57.9 s: "또한 박" with music 80 ms after it. One decode read the reply; the next read it with a loop
    over the music, and the words before such a loop are dropped with it. The reply is read again as at a pause."""
    audio = np.concatenate([_quiet(2000), _tone(450), _quiet(100), _tone(9000), _quiet(6000)])
    committed, decoded = _run(ReplyThenLoop(), audio, ClipDecoder())
    assert committed[:1] == [(3000, "reply")] and decoded == 1  # read again once, at the loop's decode


class LoopAlone(ClipDecoder):
    """Reads the loud part of a clip as "야," six times when the clip starts within 1 s of it (alone, as a music
    bed can make Whisper loop), and as "reply" after a word of its own ("context") when it starts further back;
    ``always``: loops either way."""

    def __init__(self, always: bool = False) -> None:
        super().__init__()
        self.always = always

    def __call__(self, samples: NDArray[np.float32], offset_ms: int) -> list[TimedWord]:
        self.clips.append((offset_ms, offset_ms + samples.size * 1000 // RATE))
        loud = np.flatnonzero(np.abs(samples) > 0.05)
        if loud.size == 0:
            return []
        a = offset_ms + int(loud[0]) * 1000 // RATE
        if a - offset_ms > 1000 and not self.always:
            return [TimedWord(offset_ms + 100, offset_ms + 300, "context"), TimedWord(a, a + 700, "reply")]
        return [TimedWord(a + 100 * i, a + 100 * i + 90, "야,") for i in range(6)]


def test_a_reply_read_as_a_loop_alone_is_read_again_with_the_stream_before_it() -> None:
    """Alone, the reply reads as a loop; read again with the 10 s before it (as offline's rescue retries a
    pattern), its own words are committed and none of the context's."""
    audio = np.concatenate([_quiet(3000), _tone(800), _quiet(8000)])
    clips = LoopAlone()
    committed, decoded = _run(_deaf, audio, clips)
    assert [text for _at, text in committed] == ["reply"] and decoded == 2
    assert clips.clips[1][0] <= 3000 - 300 - 1000 < clips.clips[0][0]


def test_a_loop_read_again_in_context_that_loops_again_keeps_the_alone_reading_cut() -> None:
    audio = np.concatenate([_quiet(3000), _tone(800), _quiet(8000)])
    committed, decoded = _run(_deaf, audio, LoopAlone(always=True))
    assert [text for _at, text in committed] == ["야,"] * 3 and decoded == 2


def test_a_loop_with_no_second_of_stream_before_it_or_no_context_asked_for_is_not_read_again() -> None:
    early = np.concatenate([_quiet(1000), _tone(800), _quiet(8000)])
    committed, decoded = _run(_deaf, early, LoopAlone())
    assert [text for _at, text in committed] == ["야,"] * 3 and decoded == 1
    later = np.concatenate([_quiet(3000), _tone(800), _quiet(8000)])
    committed, decoded = _run(_deaf, later, LoopAlone(), loop_context_ms=0)
    assert [text for _at, text in committed] == ["야,"] * 3 and decoded == 1


def test_a_negative_reread_context_is_refused() -> None:
    with pytest.raises(ValueError, match="reread_context_ms"):
        LiveOptions(reread_context_ms=-1)


@pytest.mark.slow
@pytest.mark.parametrize("phone_share", [None, LiveOptions().phone_share])
def test_the_phone_reply_that_opens_the_conversation_sample_is_captioned(transcriber: WhisperTranscriber,
                                                                         phone_share: float | None) -> None:
    """``samples/conversation.mp4`` opens with a phone-band reply at -23 dBFS ("입장 뿐 아니라", 0.98-1.71 s)
    between silences. With Silero alone (``phone_share=None``) the rolling window wrote nothing for it (live
    captions lost it); decoded alone in a full window it reads "장풍 아닌가?" (as offline decoding reads it), close
    enough to be the line. With the phone band read as speech the window hears it itself."""
    raw = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(SAMPLES / "conversation.mp4"), "-t", "6",
                          "-f", "s16le", "-ac", "1", "-ar", "16000", "-"], capture_output=True, check=True).stdout
    audio = np.frombuffer(raw, np.int16).astype(np.float32) / 32768
    engine, builder = build_pipeline(transcriber.model, LiveOptions(phone_share=phone_share), QualityOptions())
    assert engine.missed is not None
    finals = []
    for start in range(0, audio.size, 8000):
        engine.feed(audio[start: start + 8000])
        for _ in range(2):  # a live run steps until it has caught up: the second step finds the engine idle
            result = engine.step()
            finals += [c for c in builder.add(result.words, result.sentence_end) if c.final]
    result = engine.finish()
    finals += [c for c in [*builder.add(result.words, result.sentence_end), *builder.close()] if c.final]
    on_reply = [c for c in finals if c.start_ms < 1713 and c.end_ms > 983]
    assert on_reply, f"no caption over the reply: {[(c.start_ms, c.end_ms, c.text) for c in finals]}"
    assert engine.missed.decoded >= (1 if phone_share is None else 0)
    assert all(c.start_ms < 2500 for c in finals), "nothing but the reply in the first 6 s"
