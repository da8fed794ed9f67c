"""A short turn decoded after the voice before it (``streamkit.glue``)."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streamkit.glue import GluedClip, _on_turn, _on_turns, _turns, context_spans, decode_glued, glued_clips
from streamkit.media import extract_audio, probe
from streamkit.models import Transcript, Utterance, Word
from streamkit.quality import QualityOptions
from streamkit.rescue import RescueOptions
from streamkit.transcribe import TranscribeOptions, WhisperTranscriber

from .conftest import SAMPLES


def _said(*words: tuple[int, int, str]) -> Transcript:
    ws = tuple(Word(a, b, t) for a, b, t in words)
    return Transcript("ko", (Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), ws),),
                      duration_ms=100_000)


def test_the_context_is_the_voice_of_the_last_words_before_the_turn() -> None:
    said = _said((1000, 1500, "하나"), (1600, 2200, "둘"), (9000, 9800, "셋"), (20_000, 20_500, "넷"))
    # Enough words from the end for 1 s of voice: "둘" and "셋", each padded, nothing after the turn.
    assert context_spans(said, 12_000, 1000, 60_000) == [(1450, 2350), (8850, 9950)]
    # Words closer than 0.3 s make one span; none reaches past the turn.
    assert context_spans(said, 9900, 5000, 60_000) == [(850, 2350), (8850, 9900)]
    # Only within the reach.
    assert context_spans(said, 12_000, 5000, 5000) == [(8850, 9950)]
    assert context_spans(said, 900, 5000, 60_000) == []


@given(st.lists(st.tuples(st.integers(0, 60_000), st.integers(50, 3000)), min_size=1, max_size=30),
       st.integers(0, 80_000), st.integers(1, 20_000), st.integers(1, 80_000))
def test_context_spans_are_ordered_apart_and_before_the_turn(words: list[tuple[int, int]], before: int, want: int,
                                                             reach: int) -> None:
    said = _said(*((a, a + n, "말") for a, n in sorted(words)))
    spans = context_spans(said, before, want, reach)
    assert all(a < b <= before for a, b in spans)
    assert all(b1 < a2 for (_, b1), (a2, _) in pairwise(spans))
    assert all(a >= before - reach - 150 for a, _ in spans)


def test_a_reply_running_on_into_music_is_glued_without_the_music() -> None:
    """conv-115 at 92.8 s: 0.45 s of reply, then 6 s of music the VAD hears as voice, one stretch too long to glue.
    Without its runs of music frames, the reply is a turn; a sliver between two runs of music is none."""
    o, r = QualityOptions(), RescueOptions()

    def music(a: int, b: int) -> float:
        return 1.0 if 93_250 <= a < 99_400 or 120_000 <= a < 121_500 or 121_700 <= a < 123_000 else 0.0

    voice = [(92_750, 99_400), (110_000, 111_500), (120_000, 123_000)]
    assert _turns(voice, r, o, music) == [(92_750, 93_250), (110_000, 111_500)]
    assert _turns(voice, r, o, None) == [(110_000, 111_500)]
    # A stretch and the voice after the music over the same reply give one turn, decoded once.
    assert _turns([*voice, (92_750, 93_250)], r, o, music) == [(92_750, 93_250), (110_000, 111_500)]


def test_a_turn_with_no_voice_before_it_is_not_glued() -> None:
    said = _said((5000, 6000, "안녕하세요"))
    clips = glued_clips([(1000, 1500), (8000, 8600)], said, 6000, 60_000, 300, 100_000)
    assert [(c.parts, c.said) for c in clips] == [(((4850, 6150), (7700, 8900)), "안녕하세요")]
    clip = clips[0]
    assert clip.turn == (7700, 8900) and clip.turn_at_ms == 1300 + 200 and clip.length_ms == 1500 + 1200


def test_only_the_words_on_the_turn_are_kept_in_track_time_with_their_own_confidence() -> None:
    clip = GluedClip(((4000, 6000), (10_000, 11_000)))  # the turn begins 2.2 s into the clip
    decoded = Utterance(50_000, 53_100, "민간 자문단장으로 하더라도", (
        Word(50_100, 51_900, "민간 자문단장으로", 0.9), Word(52_150, 52_400, "글쎄", 0.4),
        Word(52_500, 53_100, "하더라도", 0.95), Word(53_300, 53_900, "하더라도", 0.9)), avg_logprob=-0.1)
    on = _on_turn(decoded, clip, 50_000)
    assert on is not None and on.text == "글쎄 하더라도"
    assert [(w.start_ms, w.end_ms) for w in on.words] == [(10_000, 10_200), (10_300, 10_900)]
    assert on.avg_logprob < -0.4  # "글쎄" at 0.4 counts; the context's confidence does not
    # The last word lies past the clip's end (3.2 s): Whisper went on into the padding of its window.
    assert _on_turn(Utterance(50_000, 51_000, "민간", (Word(50_000, 51_000, "민간", 0.9),)), clip, 50_000) is None


def test_each_clip_takes_the_words_on_its_turn_whatever_segment_they_came_in() -> None:
    first, second = GluedClip(((0, 1000), (2000, 2500))), GluedClip(((5000, 6000), (9000, 9600)))
    starts = [0, first.length_ms + 200]  # 1700 and 1900: the second clip's turn begins at 3100 in the array
    word = Word(3150, 3500, "하더라도", 0.9)
    # Rounded to a millisecond before the second clip begins: the segment would go to the first clip.
    decoded = [Utterance(1899, 3500, "민간 하더라도", (Word(1899, 2900, "민간", 0.9), word))]
    assert [(c, u.text, u.start_ms) for c, u in _on_turns(decoded, [first, second], starts)] == [
        (second, "하더라도", 9050)]


@pytest.mark.slow
def test_a_reply_whisper_cannot_read_alone_reads_after_the_voice_before_it(
        transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    """conversation.mp4 at 46.5 s: "하더라도" on a music bed, read alone as "자, 한 번 더." (-1.44); after the
    line before it, or the two, glued on without the music between, it reads as itself. Which context reads it
    depends on the CPU's int8 kernels: on an AMD EPYC, after the two lines Whisper reads the lines and stops;
    after "한 잔 의" alone, "하더라도" (0.75). Both clips go in one batch, as the rescue decodes them."""
    audio = extract_audio(probe(SAMPLES / "conversation.mp4"), tmp_path / "audio.wav")
    clips = [GluedClip(((33_383, 35_943), (44_305, 45_265), (46_156, 47_406))),
             GluedClip(((44_305, 45_265), (46_156, 47_406)))]
    found = decode_glued(transcriber, audio, clips, TranscribeOptions(), 2)
    assert found and {c for c, _ in found} <= set(clips)
    assert "하더라도" in " ".join(u.text for _, u in found)
    assert all(46_156 <= w.start_ms <= w.end_ms <= 47_406 for _, u in found for w in u.words)


def test_a_turn_read_after_the_voice_before_it_is_kept_on_its_turn_and_unsure_words_are_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """conv-110 at 24.1 s: the reply "하더라도" after 14 s of noise, lost decoded alone, read at 0.96 after the
    line before it. It stays on its own voice, from its onset (on conv-110, aligning to the voice moved it 0.9 s late,
    onto the next turn's stretch: a voice heard from one side only is no stretch to align to); a word read unsurely
    after the talk before it ("보셨습니다." at 0.60 over music) is not kept."""
    import streamkit.glue as glue
    import streamkit.rescue as rescue
    from streamkit.models import AudioTrack
    from streamkit.quality import QualityOptions
    from streamkit.rescue import rescue_voice

    voice = [(1000, 3000), (24_100, 24_750), (25_550, 26_050)]

    def energy(a: int, b: int) -> float:  # 14 s of noise as loud as the voice just before the reply
        return -30.0 if any(s <= a < e for s, e in voice) or 10_000 <= a < 24_050 else -93.0

    def speech(a: int, b: int) -> float:
        return 0.9 if any(s <= a < e for s, e in voice) else 0.02

    line = Utterance(1000, 3000, "민간 자문단장으로",
                     (Word(1000, 2000, "민간", 0.9), Word(2000, 3000, "자문단장으로", 0.9)), avg_logprob=-0.2)
    reply = Utterance(25_550, 26_050, "뭐야?", (Word(25_550, 26_050, "뭐야?", 0.8),), avg_logprob=-0.3)
    asked: list[GluedClip] = []

    def decoded(_t: object, _a: object, clips: list[GluedClip], _o: object,
                _b: int) -> list[tuple[GluedClip, Utterance]]:
        asked.extend(clips)
        return [(c, Utterance(24_140, 24_640, "보셨습니다. 하더라도", (Word(24_140, 24_300, "보셨습니다.", 0.6),
                                                                   Word(24_300, 24_640, "하더라도", 0.96))))
                for c in clips if c.turn[0] <= 24_140 < c.turn[1]]

    monkeypatch.setattr(rescue, "turn_regions", lambda *_: [])
    monkeypatch.setattr(rescue, "_rescue_regions", lambda *_: [])
    monkeypatch.setattr(glue, "decode_glued", decoded)
    track = AudioTrack(Path("unused.wav"), Path("unused.mp4"), 40_000)
    result, dropped, report = rescue_voice(
        Transcript("ko", (line, reply), 40_000), track, WhisperTranscriber.__new__(WhisperTranscriber),
        TranscribeOptions(), QualityOptions(), energy=energy, speech=speech, band=lambda a, b: 0.0)
    assert [c.said for c in asked] == ["민간 자문단장으로"] and asked[0].parts[0] == (850, 3150)
    assert [(u.start_ms, u.text) for u in result.utterances] == [
        (1000, "민간 자문단장으로"), (24_100, "하더라도"), (25_550, "뭐야?")]
    assert report.decoded >= 1
    assert not any("하더라도" in d.text for d in dropped)
